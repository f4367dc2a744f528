with

source as (

    select * from {{ source('sales', 'opportunity_history') }}

),

latest as (

    {{ latest_version('source', 'id', 'created_date desc nulls last') }}

),

renamed as (

    select
        -- ids
        cast(id as {{ dbt.type_string() }}) as opportunity_history_id,
        cast(opportunity_id as {{ dbt.type_string() }}) as opportunity_id,

        -- strings
        {{ clean_text('stage_name') }} as stage_name,
        {{ normalize_enum('forecast_category', ['Pipeline', 'Best Case', 'Commit', 'Closed', 'Omitted']) }}
            as forecast_category,

        -- numerics
        cast(amount as {{ type_money() }}) as amount,
        cast(probability as {{ type_ratio() }}) as probability,

        -- dates
        cast(close_date as date) as close_date,

        -- timestamps
        {{ to_utc_timestamp('created_date') }} as changed_at,
        {{ to_utc_timestamp('_loaded_at') }} as loaded_at

    from latest

)

select * from renamed
