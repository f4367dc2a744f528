{#
    Revenue in = revenue out: every customer's lifetime revenue in customer_360 equals, to the cent,
    the revenue of its orders in fct_orders, and no customer with order revenue is missing from
    customer_360. Returns the customers that disagree.
#}
{{ governed_by_policy('dbt.customer_360.revenue_reconciles') }}

with

customer_revenue as (

    select
        customer_id,
        lifetime_revenue_usd
    from {{ ref('customer_360') }}

),

order_revenue as (

    select
        customer_id,
        round(sum(revenue_usd), 2) as revenue_usd
    from {{ ref('fct_orders') }}
    where customer_id is not null
    group by customer_id

),

per_customer as (

    select
        coalesce(customer_revenue.customer_id, order_revenue.customer_id) as customer_id,
        coalesce(customer_revenue.lifetime_revenue_usd, 0) as customer_360_revenue_usd,
        coalesce(order_revenue.revenue_usd, 0) as fct_orders_revenue_usd
    from customer_revenue
    full outer join order_revenue
        on customer_revenue.customer_id = order_revenue.customer_id

)

select *
from per_customer
where customer_360_revenue_usd <> fct_orders_revenue_usd
