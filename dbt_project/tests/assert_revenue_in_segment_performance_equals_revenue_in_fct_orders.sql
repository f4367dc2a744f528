{#
    Revenue in = revenue out, per month: for every segment type, the segments' revenue adds up to the
    revenue of the month's orders with a customer in fct_orders — up to the half cent each segment row
    rounds. Returns the segment types and months that disagree. Caught: returns booked before a
    customer's first qualifying order, which no segment counted (24 of 24 months at SF 0.1).
#}
{{ governed_by_policy('dbt.segment_performance.revenue_reconciles') }}

with

calendar_months as (

    select month_start_date from {{ ref('int_calendar_months') }}

),

order_revenue as (

    select
        effective_month as month_start_date,
        sum(revenue_usd) as revenue_usd
    from {{ ref('fct_orders') }}
    where customer_id is not null
    group by effective_month

),

segment_revenue as (

    select
        segment_type,
        month_start_date,
        sum(revenue_usd) as revenue_usd,
        count(*) as segment_rows
    from {{ ref('segment_performance') }}
    group by segment_type, month_start_date

),

segment_types as (

    select distinct segment_type from segment_revenue

),

compared as (

    select
        segment_types.segment_type,
        calendar_months.month_start_date,
        coalesce(order_revenue.revenue_usd, 0) as fct_orders_revenue_usd,
        coalesce(segment_revenue.revenue_usd, 0) as segment_revenue_usd,
        coalesce(segment_revenue.segment_rows, 0) as segment_rows
    from calendar_months
    cross join segment_types
    left join order_revenue
        on calendar_months.month_start_date = order_revenue.month_start_date
    left join segment_revenue
        on segment_types.segment_type = segment_revenue.segment_type
        and calendar_months.month_start_date = segment_revenue.month_start_date

)

select *
from compared
where abs(fct_orders_revenue_usd - segment_revenue_usd) > 0.005 * segment_rows + 0.01
