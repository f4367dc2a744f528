{#
    One row per month (the quote's creation) and opportunity owner: quotes issued (presented to the
    customer: every status but Draft), accepted, denied and still open, the acceptance rate (accepted ÷
    decided), the quoted and accepted amounts (USD at the quote's date), the average discount, and the
    win rate of the quoted opportunities (won ÷ closed among the opportunities these quotes were for).
#}
with

quotes as (

    select * from {{ ref('int_quotes_converted_to_usd') }}

),

issued as (

    select * from quotes
    where is_issued

),

opportunity_outcomes as (

    select
        created_month,
        owner_user_id,
        count(distinct opportunity_id) as quoted_opportunities,
        count(distinct case when is_opportunity_won then opportunity_id end) as won_opportunities,
        count(distinct case when is_opportunity_closed then opportunity_id end) as closed_opportunities
    from issued
    group by created_month, owner_user_id

),

counted as (

    select
        created_month,
        owner_user_id,
        count(*) as quotes_issued,
        count(case when quote_status = 'Accepted' then 1 end) as quotes_accepted,
        count(case when quote_status = 'Denied' then 1 end) as quotes_denied,
        count(case when quote_status = 'Presented' then 1 end) as quotes_open,
        sum(total_price_usd) as quoted_amount_usd,
        sum(case when quote_status = 'Accepted' then total_price_usd else 0 end) as accepted_amount_usd,
        avg(discount) as average_discount,
        avg(case when quote_status = 'Accepted' then discount end) as average_accepted_discount
    from issued
    group by created_month, owner_user_id

),

final as (

    select
        {{ dbt.hash(dbt.concat([
            'cast(counted.created_month as ' ~ dbt.type_string() ~ ')', "'|'", "coalesce(counted.owner_user_id, '')"
        ])) }} as quote_month_owner_id,
        counted.created_month as month_start_date,
        counted.owner_user_id,
        counted.quotes_issued,
        counted.quotes_accepted,
        counted.quotes_denied,
        counted.quotes_open,
        cast(
            1.0 * counted.quotes_accepted / nullif(counted.quotes_accepted + counted.quotes_denied, 0)
            as {{ type_ratio() }}
        ) as acceptance_rate,
        cast(counted.quoted_amount_usd as {{ type_money() }}) as quoted_amount_usd,
        cast(counted.accepted_amount_usd as {{ type_money() }}) as accepted_amount_usd,
        cast(counted.average_discount as {{ type_ratio() }}) as average_discount,
        cast(counted.average_accepted_discount as {{ type_ratio() }}) as average_accepted_discount,
        opportunity_outcomes.quoted_opportunities,
        opportunity_outcomes.won_opportunities,
        cast(
            1.0 * opportunity_outcomes.won_opportunities / nullif(opportunity_outcomes.closed_opportunities, 0)
            as {{ type_ratio() }}
        ) as win_rate
    from counted
    inner join opportunity_outcomes
        on counted.created_month = opportunity_outcomes.created_month
        and counted.owner_user_id is not distinct from opportunity_outcomes.owner_user_id

)

select * from final
