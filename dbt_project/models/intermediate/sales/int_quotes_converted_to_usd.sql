{#
    One row per quote, with its opportunity's owner, currency and outcome, and its total converted to
    USD at the date the quote was created.
#}
with

quotes as (

    select * from {{ ref('stg_sales__quotes') }}

),

opportunities as (

    select * from {{ ref('int_opportunities_timed') }}

),

final as (

    select
        quotes.quote_id,
        quotes.opportunity_id,
        opportunities.owner_user_id,
        opportunities.customer_id,
        quotes.quote_status,
        quotes.quote_status <> 'Draft' as is_issued,
        opportunities.currency_code,
        quotes.total_price,
        {{ convert_amount('quotes.total_price', 'rates', 'opportunities.currency_code') }} as total_price_usd,
        quotes.discount,
        opportunities.is_closed as is_opportunity_closed,
        opportunities.is_won as is_opportunity_won,
        quotes.expiration_date,
        quotes.created_at,
        cast(quotes.created_at as date) as created_date,
        cast({{ dbt.date_trunc('month', 'quotes.created_at') }} as date) as created_month
    from quotes
    left join opportunities
        on quotes.opportunity_id = opportunities.opportunity_id
    {{ currency_rate_join('rates', 'opportunities.currency_code', 'cast(quotes.created_at as date)') }}

)

select * from final
