with

source as (

    select * from {{ source('sales', 'quota') }}

),

latest as (

    {{ latest_version('source', 'id', '_loaded_at desc') }}

),

renamed as (

    select
        -- ids
        cast(id as {{ dbt.type_string() }}) as quota_id,
        cast(owner_id as {{ dbt.type_string() }}) as owner_user_id,

        -- strings
        upper(trim(currency_iso_code)) as currency_code,

        -- numerics
        cast(quota_amount as {{ type_money() }}) as quota_amount,

        -- dates
        cast(period_start as date) as period_start_date,

        -- timestamps
        {{ to_utc_timestamp('_loaded_at') }} as loaded_at

    from latest

)

select * from renamed
