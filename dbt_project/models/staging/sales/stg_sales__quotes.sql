with

source as (

    select * from {{ source('sales', 'quote') }}

),

latest as (

    {{ latest_version('source', 'id', 'system_modstamp desc nulls last') }}

),

renamed as (

    select
        -- ids
        cast(id as {{ dbt.type_string() }}) as quote_id,
        cast(opportunity_id as {{ dbt.type_string() }}) as opportunity_id,

        -- strings
        {{ clean_text('name') }} as quote_name,
        {{ normalize_enum('status', ['Draft', 'Presented', 'Accepted', 'Denied']) }} as quote_status,

        -- numerics
        cast(total_price as {{ type_money() }}) as total_price,
        cast(discount as {{ type_ratio() }}) as discount,

        -- dates
        cast(expiration_date as date) as expiration_date,

        -- timestamps
        {{ to_utc_timestamp('created_date') }} as created_at,
        {{ to_utc_timestamp('system_modstamp') }} as modified_at,
        {{ to_utc_timestamp('_loaded_at') }} as loaded_at

    from latest

)

select * from renamed
