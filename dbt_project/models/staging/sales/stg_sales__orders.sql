{{ config(materialized='incremental', unique_key='order_id') }}
{# Incremental (dbt_project.yml), not a view: the dedup window over this large source would otherwise
   run again for every model and test that reads it (issue 9, DECISIONS.md). #}
with

source as (

    select * from {{ source('sales', 'order') }}
    {{ keys_loaded_since_last_run('id', source('sales', 'order')) }}

),

latest as (

    {{ latest_version('source', 'id', 'system_modstamp desc nulls last') }}

),

renamed as (

    select
        -- ids
        cast(id as {{ dbt.type_string() }}) as order_id,
        cast(account_id as {{ dbt.type_string() }}) as account_id,
        cast(contact_id as {{ dbt.type_string() }}) as contact_id,
        cast(opportunity_id as {{ dbt.type_string() }}) as opportunity_id,

        -- strings
        {{ clean_text('order_number') }} as order_number,
        {{ normalize_enum('status', ['Draft', 'Activated', 'Fulfilled', 'Cancelled', 'Returned']) }} as order_status,
        {{ normalize_enum('channel', ['web', 'field', 'partner']) }} as order_channel,
        upper(trim(currency_iso_code)) as currency_code,

        -- numerics
        cast(total_amount as {{ type_money() }}) as total_amount,

        -- dates
        cast(effective_date as date) as effective_date,

        -- timestamps
        {{ to_utc_timestamp('created_date') }} as created_at,
        {{ to_utc_timestamp('system_modstamp') }} as modified_at,
        {{ to_utc_timestamp('_loaded_at') }} as loaded_at

    from latest

)

select * from renamed
