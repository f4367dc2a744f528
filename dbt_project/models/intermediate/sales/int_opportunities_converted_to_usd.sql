with

opportunities as (

    select * from {{ ref('stg_sales__opportunities') }}

),

converted as (

    select
        opportunities.*,
        {{ conversion_rate('rates', 'opportunities.currency_code') }} as conversion_rate,
        {{ convert_amount('opportunities.amount', 'rates', 'opportunities.currency_code') }} as amount_usd
    from opportunities
    {{ currency_rate_join('rates', 'opportunities.currency_code', 'opportunities.close_date') }}

)

select * from converted
