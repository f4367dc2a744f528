{#
    One row per customer and day on which they placed a qualifying order (not Cancelled / Returned),
    with the days since their previous such day: the inter-order gaps the at-risk rule compares with.
#}
with

orders as (

    select * from {{ ref('int_orders_attributed_to_customers') }}

),

order_days as (

    select distinct
        customer_id,
        effective_date as order_date
    from orders
    where is_qualifying_order
        and customer_id is not null
        and effective_date is not null

),

final as (

    select
        customer_id,
        order_date,
        {{ dbt.datediff(
            'lag(order_date) over (partition by customer_id order by order_date)', 'order_date', 'day'
        ) }} as days_since_previous_order
    from order_days

)

select * from final
