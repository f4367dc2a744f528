{#
    One row per cohort (the month of the customers' first qualifying order) and month since then
    (0 = the first-order month), up to the data clock's month:
      active customers       cohort customers active that month (marts.md: a qualifying order in the
                             trailing 12 months), and the logo retention rate = active ÷ cohort size;
      ordering customers     cohort customers who placed a qualifying order that month;
      revenue                the cohort's revenue that month (USD), the revenue retention rate = that
                             revenue ÷ the cohort's revenue in its first month, and the cumulative revenue
                             per cohort customer so far.
#}
with

customer_months as (

    select * from {{ ref('int_customer_months_classified') }}

),

cohort_sizes as (

    select
        first_order_month,
        count(distinct customer_id) as cohort_customers,
        sum(case when month_start_date = first_order_month then revenue_usd else 0 end) as first_month_revenue_usd
    from customer_months
    group by first_order_month

),

cells as (

    select
        first_order_month,
        month_start_date,
        count(case when is_active then 1 end) as active_customers,
        count(case when qualifying_orders > 0 then 1 end) as ordering_customers,
        sum(revenue_usd) as revenue_usd
    from customer_months
    group by first_order_month, month_start_date

),

final as (

    select
        {{ dbt.hash(dbt.concat([
            'cast(cells.first_order_month as ' ~ dbt.type_string() ~ ')', "'|'",
            'cast(cells.month_start_date as ' ~ dbt.type_string() ~ ')',
        ])) }} as cohort_month_id,
        cells.first_order_month as cohort_month,
        cells.month_start_date,
        {{ dbt.datediff('cells.first_order_month', 'cells.month_start_date', 'month') }} as months_since_first_order,
        cohort_sizes.cohort_customers,
        cells.active_customers,
        cells.ordering_customers,
        cast(1.0 * cells.active_customers / cohort_sizes.cohort_customers as {{ type_ratio() }})
            as logo_retention_rate,
        cast(cells.revenue_usd as {{ type_money() }}) as revenue_usd,
        cast(cohort_sizes.first_month_revenue_usd as {{ type_money() }}) as first_month_revenue_usd,
        cast(cells.revenue_usd / nullif(cohort_sizes.first_month_revenue_usd, 0) as {{ type_ratio() }})
            as revenue_retention_rate,
        cast(
            sum(cells.revenue_usd) over (
                partition by cells.first_order_month order by cells.month_start_date
                rows between unbounded preceding and current row
            ) / cohort_sizes.cohort_customers
            as {{ type_money() }}
        ) as cumulative_revenue_per_customer_usd
    from cells
    inner join cohort_sizes
        on cells.first_order_month = cohort_sizes.first_order_month

)

select * from final
