{#
    Revenue (marts.md): order_item.total_price of Activated / Fulfilled orders, minus that of Returned
    orders, converted at the order's effective date. Draft and Cancelled orders carry no revenue.
    USD values keep six decimals; sums round to cents once (see type_converted_money).
#}
with

order_items as (

    select * from {{ ref('stg_sales__order_items') }}

),

orders as (

    select * from {{ ref('int_orders_converted_to_usd') }}

),

converted as (

    select
        order_items.order_item_id,
        order_items.order_id,
        order_items.product_id,
        orders.account_id,
        orders.order_status,
        orders.currency_code,
        order_items.quantity,
        order_items.unit_price,
        order_items.discount,
        order_items.total_price,
        orders.conversion_rate,
        cast(order_items.total_price / orders.conversion_rate as {{ type_converted_money() }}) as total_price_usd,
        -- a returned line may be booked with a negative quantity and total (dirt): it subtracts once either way
        cast(
            case
                when orders.order_status in ('Activated', 'Fulfilled')
                    then order_items.total_price / orders.conversion_rate
                when orders.order_status = 'Returned'
                    then -abs(order_items.total_price) / orders.conversion_rate
                else 0
            end
            as {{ type_converted_money() }}
        ) as revenue_usd,
        orders.effective_date,
        order_items.modified_at,
        -- the line changes when either the line or its order changed (status, date, currency)
        case
            when orders.loaded_at > order_items.loaded_at then orders.loaded_at
            else order_items.loaded_at
        end as loaded_at
    from order_items
    inner join orders
        on order_items.order_id = orders.order_id

)

select * from converted
