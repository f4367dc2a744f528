{#
    The predicted-value model's parameters (customer_value): one row per RFM segment with its
    12-month revenue carry-over rate — how much of their annual revenue run rate the segment's
    customers of a year ago spent in the 12 months that followed:

        carry_over_rate(s) = Σ revenue in months M+1 … M+12 of the customers in segment s at M
                             ÷ Σ their annualised revenue at M

    where a customer's annualised revenue is the trailing-12-month revenue scaled to a full year for
    customers younger than a year (× 12 ÷ months since their first order, counting that month), so a
    customer of two months is not mistaken for a small one.

    with M the calibration month: the latest month that has 12 complete months after it (the data
    clock's month − 12). Segments without revenue at M get the rate of all segments together. The rate
    folds churn, slowing down and growth of a segment into one observed number, so the prediction
    (trailing-12-month revenue × its segment's rate) needs no fitted parameters and can be checked by
    hand. When the history is shorter than 13 months there is no calibration month and no row.
#}
with

customer_months as (

    select * from {{ ref('int_customer_months_segmented') }}

),

calendar_months as (

    select * from {{ ref('int_calendar_months') }}

),

calibration as (

    select cast({{ dbt.dateadd('month', -12, 'max(month_start_date)') }} as date) as calibration_month
    from calendar_months

),

calibration_customers as (

    select
        customer_months.customer_id,
        customer_months.rfm_segment,
        {{ annualized_revenue('customer_months') }} as annualized_revenue_usd,
        calibration.calibration_month
    from customer_months
    inner join calibration
        on customer_months.month_start_date = calibration.calibration_month

),

following_revenue as (

    select
        calibration_customers.customer_id,
        sum(customer_months.revenue_usd) as next_12_month_revenue_usd
    from calibration_customers
    inner join customer_months
        on calibration_customers.customer_id = customer_months.customer_id
        and calibration_customers.calibration_month < customer_months.month_start_date
        and customer_months.month_start_date
        <= cast({{ dbt.dateadd('month', 12, 'calibration_customers.calibration_month') }} as date)
    group by calibration_customers.customer_id

),

by_segment as (

    select
        calibration_customers.rfm_segment,
        min(calibration_customers.calibration_month) as calibration_month,
        count(*) as calibration_customers,
        sum(calibration_customers.annualized_revenue_usd) as annualized_revenue_usd,
        sum(coalesce(following_revenue.next_12_month_revenue_usd, 0)) as next_12_month_revenue_usd
    from calibration_customers
    left join following_revenue
        on calibration_customers.customer_id = following_revenue.customer_id
    group by calibration_customers.rfm_segment

),

overall as (

    select sum(next_12_month_revenue_usd) / nullif(sum(annualized_revenue_usd), 0) as carry_over_rate
    from by_segment

),

final as (

    select
        by_segment.rfm_segment,
        by_segment.calibration_month,
        by_segment.calibration_customers,
        cast(by_segment.annualized_revenue_usd as {{ type_money() }}) as annualized_revenue_usd,
        cast(by_segment.next_12_month_revenue_usd as {{ type_money() }}) as next_12_month_revenue_usd,
        cast(
            coalesce(
                by_segment.next_12_month_revenue_usd / nullif(by_segment.annualized_revenue_usd, 0),
                overall.carry_over_rate
            ) as {{ type_ratio() }}
        ) as carry_over_rate
    from by_segment
    cross join overall

)

select * from final
