{#
    One row per customer and product family the customer bought (a line of a qualifying order — not
    Cancelled or Returned): when they first and last bought it, on how many orders, and the revenue.
    What a customer "owns" for cross-sell, and the family an opportunity is most likely about.
#}
with

order_items as (

    select * from {{ ref('int_order_items_converted_to_usd') }}

),

orders as (

    select * from {{ ref('int_orders_attributed_to_customers') }}

),

products as (

    select * from {{ ref('stg_sales__products') }}

),

final as (

    select
        orders.customer_id,
        coalesce(products.product_family, 'Unknown') as product_family,
        min(orders.effective_date) as first_purchase_date,
        max(orders.effective_date) as last_purchase_date,
        count(distinct orders.order_id) as order_count,
        cast(sum(order_items.revenue_usd) as {{ type_converted_money() }}) as revenue_usd
    from order_items
    inner join orders
        on order_items.order_id = orders.order_id
    left join products
        on order_items.product_id = products.product_id
    where orders.is_qualifying_order
        and orders.customer_id is not null
    group by orders.customer_id, coalesce(products.product_family, 'Unknown')

)

select * from final
