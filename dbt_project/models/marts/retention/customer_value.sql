{#
    One row per customer: what the customer has been worth, is predicted to be worth, and how much of
    their spend we hold.
      historic CLV          lifetime revenue (marts.md revenue), USD;
      predicted value       predicted revenue of the next 12 months = annualised revenue (trailing 12
                            months, scaled to a year for customers younger than one) × the 12-month
                            carry-over rate of the customer's current RFM segment
                            (int_rfm_segment_carry_over_rates: what that segment's customers of a year
                            ago went on to spend, relative to their previous 12 months; a segment absent
                            a year ago takes the rate of all segments). A customer with no revenue in the
                            last 12 months is predicted 0. Without a calibration year (history shorter
                            than 13 months) the rate is 1: next year repeats this one;
      share of wallet       trailing-12-month revenue ÷ the estimated annual wallet of a company of the
                            customer's size band and industry (seed wallet_estimates; an industry
                            without its own row uses the band's '*' row). Above 1 means the estimate
                            is too low for this customer;
      value tier            Platinum / Gold / Silver / Bronze by trailing-12-month revenue (marts.md).
    Prospects (never ordered) have zero value and no segment.
#}
with

customers as (

    select * from {{ ref('dim_customer') }}

),

customer_months as (

    select * from {{ ref('int_customer_months_segmented') }}

),

calendar_months as (

    select * from {{ ref('int_calendar_months') }}

),

carry_over_rates as (

    select * from {{ ref('int_rfm_segment_carry_over_rates') }}

),

wallet_estimates as (

    select * from {{ ref('wallet_estimates') }}

),

orders as (

    select * from {{ ref('fct_orders') }}

),

lifetime_revenue as (

    select
        customer_id,
        sum(revenue_usd) as lifetime_revenue_usd
    from orders
    where customer_id is not null
    group by customer_id

),

overall_rate as (

    select sum(next_12_month_revenue_usd) / nullif(sum(annualized_revenue_usd), 0) as carry_over_rate
    from carry_over_rates

),

latest_month as (

    select max(month_start_date) as month_start_date from calendar_months

),

latest_months as (

    select customer_months.*
    from customer_months
    inner join latest_month
        on customer_months.month_start_date = latest_month.month_start_date

),

final as (

    select
        customers.customer_id,
        customers.customer_name,
        customers.industry,
        customers.size_band,
        customers.lifecycle_stage,
        customers.value_tier,
        customers.rfm_segment,
        cast(coalesce(lifetime_revenue.lifetime_revenue_usd, 0) as {{ type_money() }}) as historic_clv_usd,
        cast(coalesce(latest_months.trailing_12_month_revenue_usd, 0) as {{ type_money() }})
            as revenue_last_12_months_usd,
        cast(coalesce({{ annualized_revenue('latest_months') }}, 0) as {{ type_money() }}) as annualized_revenue_usd,
        cast(
            coalesce(carry_over_rates.carry_over_rate, overall_rate.carry_over_rate, 1.0) as {{ type_ratio() }}
        ) as carry_over_rate,
        case
            when latest_months.customer_id is null then 'prospect'
            when carry_over_rates.rfm_segment is not null then 'rfm_segment_carry_over'
            when overall_rate.carry_over_rate is not null then 'overall_carry_over'
            else 'no_calibration_year'
        end as prediction_basis,
        cast(
            coalesce({{ annualized_revenue('latest_months') }}, 0)
            * coalesce(carry_over_rates.carry_over_rate, overall_rate.carry_over_rate, 1.0)
            as {{ type_money() }}
        ) as predicted_12_month_value_usd,
        cast(coalesce(industry_wallets.annual_wallet_usd, band_wallets.annual_wallet_usd) as {{ type_money() }})
            as estimated_annual_wallet_usd,
        cast(
            coalesce(latest_months.trailing_12_month_revenue_usd, 0)
            / nullif(coalesce(industry_wallets.annual_wallet_usd, band_wallets.annual_wallet_usd), 0)
            as {{ type_ratio() }}
        ) as share_of_wallet,
        customers.as_of_date
    from customers
    cross join overall_rate
    left join lifetime_revenue
        on customers.customer_id = lifetime_revenue.customer_id
    left join latest_months
        on customers.customer_id = latest_months.customer_id
    left join carry_over_rates
        on latest_months.rfm_segment = carry_over_rates.rfm_segment
    left join wallet_estimates as industry_wallets
        on customers.size_band = industry_wallets.size_band
        and customers.industry = industry_wallets.industry
    left join wallet_estimates as band_wallets
        on customers.size_band = band_wallets.size_band
        and band_wallets.industry = '*'

)

select * from final
