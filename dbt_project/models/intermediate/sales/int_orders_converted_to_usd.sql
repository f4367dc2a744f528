with

orders as (

    select * from {{ ref('stg_sales__orders') }}

),

converted as (

    select
        orders.order_id,
        orders.account_id,
        orders.contact_id,
        orders.opportunity_id,
        orders.order_number,
        orders.order_status,
        orders.order_channel,
        orders.currency_code,
        orders.total_amount,
        {{ conversion_rate('rates', 'orders.currency_code') }} as conversion_rate,
        {{ convert_amount('orders.total_amount', 'rates', 'orders.currency_code') }} as total_amount_usd,
        orders.order_status in ('Activated', 'Fulfilled', 'Returned') as is_revenue_relevant,
        orders.effective_date,
        orders.created_at,
        orders.modified_at,
        orders.loaded_at
    from orders
    {{ currency_rate_join('rates', 'orders.currency_code', 'orders.effective_date') }}

)

select * from converted
