with

source as (

    select * from {{ source('support', 'users') }}

),

latest as (

    {{ latest_version('source', 'id', 'updated_at desc nulls last') }}

),

renamed as (

    select
        -- ids
        cast(id as {{ dbt.type_bigint() }}) as support_user_id,
        cast(organization_id as {{ dbt.type_bigint() }}) as organization_id,

        -- strings
        {{ clean_text('name') }} as user_name,
        {{ clean_text('email') }} as email,
        {{ normalize_enum('role', ['end-user', 'agent', 'admin']) }} as user_role,
        {{ clean_text('phone') }} as phone,
        {{ clean_text('time_zone') }} as time_zone,

        -- booleans
        coalesce(cast(suspended as {{ dbt.type_boolean() }}), false) as is_suspended,

        -- timestamps
        {{ to_utc_timestamp('created_at') }} as created_at,
        {{ to_utc_timestamp('updated_at') }} as updated_at,
        {{ to_utc_timestamp('_loaded_at') }} as loaded_at

    from latest

)

select * from renamed
