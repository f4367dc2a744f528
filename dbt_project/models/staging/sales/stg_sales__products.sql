with

source as (

    select * from {{ source('sales', 'product') }}

),

latest as (

    {{ latest_version('source', 'id', 'system_modstamp desc nulls last') }}

),

renamed as (

    select
        -- ids
        cast(id as {{ dbt.type_string() }}) as product_id,

        -- strings
        {{ clean_text('name') }} as product_name,
        {{ clean_text('product_code') }} as product_code,
        {{ clean_text('family') }} as product_family,

        -- numerics
        cast(list_price as {{ type_money() }}) as list_price,

        -- booleans
        coalesce(cast(is_active as {{ dbt.type_boolean() }}), false) as is_active,

        -- timestamps
        {{ to_utc_timestamp('system_modstamp') }} as modified_at,
        {{ to_utc_timestamp('_loaded_at') }} as loaded_at

    from latest

)

select * from renamed
