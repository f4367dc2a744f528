with

source as (

    select * from {{ source('support', 'organizations') }}

),

latest as (

    {{ latest_version('source', 'id', 'updated_at desc nulls last') }}

),

renamed as (

    select
        -- ids
        cast(id as {{ dbt.type_bigint() }}) as organization_id,
        {{ clean_text('external_id') }} as external_id,

        -- strings
        {{ clean_text('name') }} as organization_name,

        -- lists
        domain_names,
        tags,

        -- timestamps
        {{ to_utc_timestamp('created_at') }} as created_at,
        {{ to_utc_timestamp('updated_at') }} as updated_at,
        {{ to_utc_timestamp('deleted_at') }} as deleted_at,
        {{ to_utc_timestamp('_loaded_at') }} as loaded_at

    from latest

)

select * from renamed
where deleted_at is null
