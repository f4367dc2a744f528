{{ config(materialized='incremental', unique_key='order_item_id') }}
{# Incremental (dbt_project.yml), not a view: the dedup window over this large source would otherwise
   run again for every model and test that reads it (issue 9, DECISIONS.md). #}
with

source as (

    select * from {{ source('sales', 'order_item') }}
    {{ keys_loaded_since_last_run('id', source('sales', 'order_item')) }}

),

latest as (

    {{ latest_version('source', 'id', 'system_modstamp desc nulls last') }}

),

renamed as (

    select
        -- ids
        cast(id as {{ dbt.type_string() }}) as order_item_id,
        cast(order_id as {{ dbt.type_string() }}) as order_id,
        cast(product_id as {{ dbt.type_string() }}) as product_id,

        -- numerics (a negative quantity is a returned line, kept as is)
        cast(quantity as {{ dbt.type_int() }}) as quantity,
        cast(unit_price as {{ type_money() }}) as unit_price,
        cast(discount as {{ type_ratio() }}) as discount,
        cast(total_price as {{ type_money() }}) as total_price,

        -- timestamps
        {{ to_utc_timestamp('system_modstamp') }} as modified_at,
        {{ to_utc_timestamp('_loaded_at') }} as loaded_at

    from latest

)

select * from renamed
