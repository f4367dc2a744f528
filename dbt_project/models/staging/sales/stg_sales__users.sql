with

source as (

    select * from {{ source('sales', 'user') }}

),

latest as (

    {{ latest_version('source', 'id', 'system_modstamp desc nulls last') }}

),

renamed as (

    select
        -- ids
        cast(id as {{ dbt.type_string() }}) as user_id,
        cast(manager_id as {{ dbt.type_string() }}) as manager_user_id,

        -- strings
        {{ clean_text('name') }} as user_name,
        lower({{ clean_text('email') }}) as email,
        {{ clean_text('title') }} as job_title,
        {{ clean_text('team') }} as team,
        {{ clean_text('region') }} as region,

        -- booleans
        coalesce(cast(is_active as {{ dbt.type_boolean() }}), false) as is_active,

        -- timestamps
        {{ to_utc_timestamp('system_modstamp') }} as modified_at,
        {{ to_utc_timestamp('_loaded_at') }} as loaded_at

    from latest

)

select * from renamed
