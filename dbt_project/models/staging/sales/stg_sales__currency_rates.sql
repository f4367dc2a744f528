with

source as (

    select * from {{ source('sales', 'currency_rate') }}

),

latest as (

    {{ latest_version('source', 'iso_code, start_date', '_loaded_at desc') }}

),

renamed as (

    select
        -- ids
        upper(trim(iso_code)) as currency_code,

        -- numerics: units of this currency per unit of the corporate currency (amount / rate = USD)
        cast(conversion_rate as {{ type_rate() }}) as conversion_rate,

        -- dates: the rate holds from start_date up to, not including, next_start_date
        cast(start_date as date) as valid_from_date,
        cast(next_start_date as date) as valid_to_date,

        -- timestamps
        {{ to_utc_timestamp('_loaded_at') }} as loaded_at

    from latest

)

select * from renamed
