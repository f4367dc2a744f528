{#
    The months the warehouse reports on: from the month of the first order to the month of the data
    clock (the latest change the sales source shows), one row each. `as_of_date` is that clock date,
    so "current" measures follow the data, not the wall clock, and re-running a day changes nothing.
#}
with

orders as (

    select * from {{ ref('stg_sales__orders') }}

),

bounds as (

    select
        cast({{ dbt.date_trunc('month', 'min(effective_date)') }} as date) as first_month,
        cast(max(modified_at) as date) as as_of_date
    from orders

),

months as (

    {{ dbt.date_spine('month', "cast('2000-01-01' as date)", "cast('2100-01-01' as date)") }}

),

final as (

    select
        cast(months.date_month as date) as month_start_date,
        cast({{ dbt.last_day('months.date_month', 'month') }} as date) as month_end_date,
        bounds.as_of_date
    from months
    cross join bounds
    where cast(months.date_month as date) >= bounds.first_month
        and cast(months.date_month as date) <= bounds.as_of_date

)

select * from final
