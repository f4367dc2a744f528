{#
    One row per order, with its customer and person (identity resolution), its amounts in the original
    currency and in the corporate currency, and its revenue (marts.md: Activated / Fulfilled lines
    count, Returned lines count negatively, Draft and Cancelled count nothing).
#}
with

orders as (

    select * from {{ ref('int_orders_converted_to_usd') }}

),

order_items as (

    select * from {{ ref('int_order_items_converted_to_usd') }}

),

organization_clusters as (

    select * from {{ ref('int_organization_records_clustered') }}

),

person_clusters as (

    select * from {{ ref('int_person_records_clustered') }}

),

order_lines_aggregated as (

    select
        order_id,
        count(*) as order_item_count,
        cast(sum(quantity) as {{ dbt.type_bigint() }}) as quantity,
        sum(total_price) as items_total_price,
        sum(total_price_usd) as items_total_price_usd,
        sum(revenue_usd) as revenue_usd
    from order_items
    group by order_id

),

final as (

    select
        orders.order_id,
        organization_clusters.customer_id,
        person_clusters.person_id,
        orders.account_id,
        orders.contact_id,
        orders.opportunity_id,
        orders.order_number,
        orders.order_status,
        orders.order_channel,
        orders.currency_code,
        orders.total_amount,
        orders.conversion_rate,
        orders.total_amount_usd,
        coalesce(order_lines_aggregated.order_item_count, 0) as order_item_count,
        coalesce(order_lines_aggregated.quantity, 0) as quantity,
        cast(coalesce(order_lines_aggregated.items_total_price, 0) as {{ type_money() }}) as items_total_price,
        cast(coalesce(order_lines_aggregated.revenue_usd, 0) as {{ type_converted_money() }}) as revenue_usd,
        orders.order_status not in ('Cancelled', 'Returned') as is_qualifying_order,
        orders.effective_date,
        cast({{ dbt.date_trunc('month', 'orders.effective_date') }} as date) as effective_month,
        orders.created_at,
        orders.modified_at
    from orders
    left join order_lines_aggregated
        on orders.order_id = order_lines_aggregated.order_id
    left join organization_clusters
        on organization_clusters.record_key = 'sales:account:' || orders.account_id
    left join person_clusters
        on person_clusters.record_key = 'sales:contact:' || orders.contact_id

)

select * from final
