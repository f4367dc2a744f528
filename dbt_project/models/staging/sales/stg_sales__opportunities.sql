with

source as (

    select * from {{ source('sales', 'opportunity') }}

),

latest as (

    {{ latest_version('source', 'id', 'system_modstamp desc nulls last') }}

),

renamed as (

    select
        -- ids
        cast(id as {{ dbt.type_string() }}) as opportunity_id,
        cast(account_id as {{ dbt.type_string() }}) as account_id,
        cast(campaign_id as {{ dbt.type_string() }}) as campaign_id,
        cast(owner_id as {{ dbt.type_string() }}) as owner_user_id,

        -- strings
        {{ clean_text('name') }} as opportunity_name,
        {{ normalize_enum('type', ['New Business', 'Upgrade', 'Renewal']) }} as opportunity_type,
        {{ clean_text('stage_name') }} as stage_name,
        upper(trim(currency_iso_code)) as currency_code,
        {{ normalize_enum('forecast_category', ['Pipeline', 'Best Case', 'Commit', 'Closed', 'Omitted']) }}
            as forecast_category,
        {{ clean_text('lead_source') }} as lead_source,
        {{ clean_text('loss_reason') }} as loss_reason,

        -- numerics
        cast(amount as {{ type_money() }}) as amount,
        cast(probability as {{ type_ratio() }}) as probability,

        -- booleans
        coalesce(cast(is_closed as {{ dbt.type_boolean() }}), false) as is_closed,
        coalesce(cast(is_won as {{ dbt.type_boolean() }}), false) as is_won,
        coalesce(cast(is_deleted as {{ dbt.type_boolean() }}), false) as is_deleted,

        -- dates
        cast(close_date as date) as close_date,

        -- timestamps
        {{ to_utc_timestamp('created_date') }} as created_at,
        {{ to_utc_timestamp('system_modstamp') }} as modified_at,
        {{ to_utc_timestamp('_loaded_at') }} as loaded_at

    from latest

)

select * from renamed
where not is_deleted
