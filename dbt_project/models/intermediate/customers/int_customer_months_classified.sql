{#
    One row per customer and month with the retention rules of marts.md applied:
      active     at least one qualifying order (not Cancelled / Returned) in the trailing
                 `active_window_months` months (default 12);
      churned    active last month, not active this month;
      won back   active again this month after having churned;
      at risk    active, but the days since the last qualifying order exceed
                 `at_risk_gap_multiple` (1.5) × the customer's median gap between order days so far
                 (a customer with a single order day has no gap yet and is not at risk).
    Trailing sums are row windows over the dense monthly grid of int_customer_months_aggregated.
#}
with

customer_months as (

    select * from {{ ref('int_customer_months_aggregated') }}

),

order_gaps as (

    select * from {{ ref('int_customer_order_gaps') }}

),

inter_order_gaps as (

    select
        customer_id,
        order_date,
        cast({{ dbt.date_trunc('month', 'order_date') }} as date) as order_month,
        days_since_previous_order
    from order_gaps
    where days_since_previous_order is not null

),

-- The median gap changes only in months with a new gap: compute it there (over every gap so far)
-- and carry it forward to the months after, rather than once per month of the dense grid.
gap_months as (

    select distinct
        customer_months.customer_id,
        customer_months.month_start_date,
        customer_months.month_end_date
    from customer_months
    inner join inter_order_gaps
        on customer_months.customer_id = inter_order_gaps.customer_id
        and customer_months.month_start_date = inter_order_gaps.order_month

),

median_gaps as (

    select
        gap_months.customer_id,
        gap_months.month_start_date,
        {{ median('inter_order_gaps.days_since_previous_order') }} as median_days_between_orders
    from gap_months
    inner join inter_order_gaps
        on gap_months.customer_id = inter_order_gaps.customer_id
        and gap_months.month_end_date >= inter_order_gaps.order_date
    group by gap_months.customer_id, gap_months.month_start_date

),

-- one window pass: trailing and running sums, whether last month was active (its trailing window is
-- this one shifted by a month), and the latest month whose median gap is in force
trailing_sums as (

    select
        customer_months.*,
        cast(sum(customer_months.revenue_usd) over trailing_window as {{ type_converted_money() }})
            as trailing_12_month_revenue_usd,
        cast(sum(customer_months.qualifying_orders) over trailing_window as {{ dbt.type_bigint() }})
            as trailing_12_month_orders,
        cast(sum(customer_months.revenue_orders) over trailing_window as {{ dbt.type_bigint() }})
            as trailing_12_month_revenue_orders,
        max(customer_months.last_qualifying_order_date) over running_window as last_order_date,
        cast(sum(customer_months.qualifying_orders) over running_window as {{ dbt.type_bigint() }})
            as lifetime_orders,
        coalesce(sum(customer_months.qualifying_orders) over previous_window > 0, false)
            as was_active_last_month,
        max(gap_months.month_start_date) over running_window as median_gap_month
    from customer_months
    left join gap_months
        on customer_months.customer_id = gap_months.customer_id
        and customer_months.month_start_date = gap_months.month_start_date
    window
        trailing_window as (
            partition by customer_months.customer_id
            order by customer_months.month_start_date
            rows between {{ var('active_window_months') | int - 1 }} preceding and current row
        ),
        previous_window as (
            partition by customer_months.customer_id
            order by customer_months.month_start_date
            rows between {{ var('active_window_months') | int }} preceding and 1 preceding
        ),
        running_window as (
            partition by customer_months.customer_id
            order by customer_months.month_start_date
            rows between unbounded preceding and current row
        )

),

flagged as (

    select
        trailing_sums.*,
        median_gaps.median_days_between_orders,
        {{ dbt.datediff(
            'trailing_sums.last_order_date',
            'case when trailing_sums.month_end_date < trailing_sums.as_of_date then trailing_sums.month_end_date '
            ~ 'else trailing_sums.as_of_date end',
            'day'
        ) }} as days_since_last_order,
        trailing_sums.trailing_12_month_orders > 0 as is_active
    from trailing_sums
    left join median_gaps
        on trailing_sums.customer_id = median_gaps.customer_id
        and trailing_sums.median_gap_month = median_gaps.month_start_date

),

with_events as (

    select
        *,
        was_active_last_month and not is_active as is_churned_this_month,
        is_active and not was_active_last_month and month_start_date > first_order_month
            as is_won_back_this_month,
        is_active and was_active_last_month as is_retained_this_month,
        month_start_date = first_order_month as is_new_this_month,
        is_active
        and median_days_between_orders is not null
        and days_since_last_order > {{ var('at_risk_gap_multiple') }} * median_days_between_orders
            as is_at_risk
    from flagged

),

with_last_won_back as (

    select
        *,
        max(case when is_won_back_this_month then month_start_date end) over (
            partition by customer_id order by month_start_date rows between unbounded preceding and current row
        ) as last_won_back_month
    from with_events

),

final as (

    select
        customer_id,
        month_start_date,
        month_end_date,
        as_of_date,
        first_order_month,
        revenue_usd,
        qualifying_orders,
        revenue_orders,
        last_qualifying_order_date,
        tickets_created,
        satisfaction_good,
        satisfaction_bad,
        emails_delivered,
        unique_opens,
        unique_clicks,
        nps_responses,
        nps_promoters,
        nps_detractors,
        trailing_12_month_revenue_usd,
        trailing_12_month_orders,
        trailing_12_month_revenue_orders,
        last_order_date,
        lifetime_orders,
        median_days_between_orders,
        days_since_last_order,
        is_active,
        was_active_last_month,
        is_churned_this_month,
        is_won_back_this_month,
        is_retained_this_month,
        is_new_this_month,
        is_at_risk,
        last_won_back_month
    from with_last_won_back

)

select * from final
