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

trailing_sums as (

    select
        *,
        cast(sum(revenue_usd) over trailing_window as {{ type_converted_money() }}) as trailing_12_month_revenue_usd,
        cast(sum(qualifying_orders) over trailing_window as {{ dbt.type_bigint() }}) as trailing_12_month_orders,
        cast(sum(revenue_orders) over trailing_window as {{ dbt.type_bigint() }}) as trailing_12_month_revenue_orders,
        max(last_qualifying_order_date) over (
            partition by customer_id order by month_start_date rows between unbounded preceding and current row
        ) as last_order_date,
        cast(sum(qualifying_orders) over (
            partition by customer_id order by month_start_date rows between unbounded preceding and current row
        ) as {{ dbt.type_bigint() }}) as lifetime_orders
    from customer_months
    window trailing_window as (
        partition by customer_id
        order by month_start_date
        rows between {{ var('active_window_months') | int - 1 }} preceding and current row
    )

),

median_gaps as (

    select
        customer_months.customer_id,
        customer_months.month_start_date,
        {{ median('order_gaps.days_since_previous_order') }} as median_days_between_orders
    from customer_months
    inner join order_gaps
        on customer_months.customer_id = order_gaps.customer_id
        and customer_months.month_end_date >= order_gaps.order_date
    where order_gaps.days_since_previous_order is not null
    group by customer_months.customer_id, customer_months.month_start_date

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
        and trailing_sums.month_start_date = median_gaps.month_start_date

),

with_previous as (

    select
        *,
        coalesce(
            lag(is_active) over (partition by customer_id order by month_start_date), false
        ) as was_active_last_month
    from flagged

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
    from with_previous

),

final as (

    select
        *,
        max(case when is_won_back_this_month then month_start_date end) over (
            partition by customer_id order by month_start_date rows between unbounded preceding and current row
        ) as last_won_back_month
    from with_events

)

select * from final
