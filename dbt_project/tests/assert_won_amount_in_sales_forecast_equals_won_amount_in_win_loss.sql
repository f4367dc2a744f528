{#
    The sales marts tell one story: per month, the closed-won amount the forecast credits to owners adds
    up to the won amount win_loss reports for all opportunities (both by close month, USD at the close
    date), to the half-cent each row's rounding may move. Returns the months that disagree.
#}
{{ governed_by_policy('dbt.sales_forecast.won_amount_agrees') }}

with

forecast as (

    select
        month_start_date,
        sum(closed_won_amount_usd) as won_usd,
        count(*) as rows_summed
    from {{ ref('sales_forecast') }}
    group by month_start_date

),

outcomes as (

    select
        month_start_date,
        won_amount_usd as won_usd
    from {{ ref('win_loss') }}
    where dimension_type = 'all'

)

select
    coalesce(forecast.month_start_date, outcomes.month_start_date) as month_start_date,
    forecast.won_usd as forecast_won_usd,
    outcomes.won_usd as win_loss_won_usd
from forecast
full outer join outcomes
    on forecast.month_start_date = outcomes.month_start_date
where abs(coalesce(forecast.won_usd, 0) - coalesce(outcomes.won_usd, 0))
    > 0.005 * coalesce(forecast.rows_summed, 0) + 0.01
