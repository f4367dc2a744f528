{#
    One row per opportunity (current version) with what the sales marts slice and time it by:
      - its customer (identity resolution), owner, converting lead, campaign and product family (the
        family with the most revenue on the order it became, else the customer's top family, else
        'Unknown');
      - when it was created and with what amount (the first stage change's), in USD at the creation
        date; when it closed — the moment the history recorded the move to Closed Won / Closed Lost,
        which a mistyped expected close date cannot move — else its expected close date;
      - its current amount in USD at the close date (closed) or at the expected close date (open), and
        the amount weighted by the stage's probability while open.
    As elsewhere, amount in USD = amount / conversion_rate at that date.
#}
with

opportunities as (

    select * from {{ ref('stg_sales__opportunities') }}

),

stages as (

    select * from {{ ref('int_opportunity_stages_sequenced') }}

),

organization_clusters as (

    select * from {{ ref('int_organization_records_clustered') }}

),

leads as (

    select * from {{ ref('stg_sales__leads') }}

),

orders as (

    select * from {{ ref('int_orders_attributed_to_customers') }}

),

order_items as (

    select * from {{ ref('int_order_items_converted_to_usd') }}

),

products as (

    select * from {{ ref('stg_sales__products') }}

),

customer_families as (

    select * from {{ ref('int_customer_product_families_summarized') }}

),

first_stages as (

    select
        opportunity_id,
        entry_amount as created_amount
    from stages
    where stage_sequence = 1

),

closing_stages as (

    select
        opportunity_id,
        stage_entered_at as closed_at
    from stages
    where is_closed_stage
        and stage_exited_at is null

),

converting_leads as (

    select
        converted_opportunity_id as opportunity_id,
        min(lead_id) as lead_id
    from leads
    where converted_opportunity_id is not null
    group by converted_opportunity_id

),

order_families as (

    select
        orders.opportunity_id,
        coalesce(products.product_family, 'Unknown') as product_family,
        sum(order_items.total_price_usd) as family_amount_usd
    from orders
    inner join order_items
        on orders.order_id = order_items.order_id
    left join products
        on order_items.product_id = products.product_id
    where orders.opportunity_id is not null
    group by orders.opportunity_id, coalesce(products.product_family, 'Unknown')

),

opportunity_families as (

    select
        opportunity_id,
        product_family
    from (
        select
            opportunity_id,
            product_family,
            row_number() over (
                partition by opportunity_id order by family_amount_usd desc, product_family asc
            ) as family_rank
        from order_families
    ) as ranked
    where family_rank = 1

),

top_customer_families as (

    select
        customer_id,
        product_family
    from (
        select
            customer_id,
            product_family,
            row_number() over (partition by customer_id order by revenue_usd desc, product_family asc) as family_rank
        from customer_families
    ) as ranked
    where family_rank = 1

),

dated as (

    select
        opportunities.*,
        organization_clusters.customer_id,
        converting_leads.lead_id,
        coalesce(opportunity_families.product_family, top_customer_families.product_family, 'Unknown')
            as product_family,
        coalesce(first_stages.created_amount, opportunities.amount) as created_amount,
        closing_stages.closed_at,
        case
            when opportunities.is_closed then coalesce(cast(closing_stages.closed_at as date), opportunities.close_date)
        end as closed_date,
        cast(opportunities.created_at as date) as created_date
    from opportunities
    left join organization_clusters
        on organization_clusters.record_key = 'sales:account:' || opportunities.account_id
    left join converting_leads
        on opportunities.opportunity_id = converting_leads.opportunity_id
    left join opportunity_families
        on opportunities.opportunity_id = opportunity_families.opportunity_id
    left join top_customer_families
        on organization_clusters.customer_id = top_customer_families.customer_id
    left join first_stages
        on opportunities.opportunity_id = first_stages.opportunity_id
    left join closing_stages
        on opportunities.opportunity_id = closing_stages.opportunity_id

),

converted as (

    select
        dated.*,
        {{ convert_amount('dated.created_amount', 'created_rates', 'dated.currency_code') }} as created_amount_usd,
        {{ conversion_rate('amount_rates', 'dated.currency_code') }} as conversion_rate,  -- noqa: AL09
        {{ convert_amount('dated.amount', 'amount_rates', 'dated.currency_code') }} as amount_usd
    from dated
    {{ currency_rate_join('created_rates', 'dated.currency_code', 'dated.created_date') }}
    {{ currency_rate_join('amount_rates', 'dated.currency_code', 'coalesce(dated.closed_date, dated.close_date)') }}

),

final as (

    select
        opportunity_id,
        customer_id,
        account_id,
        owner_user_id,
        lead_id,
        campaign_id,
        opportunity_name,
        opportunity_type,
        stage_name,
        forecast_category,
        lead_source,
        loss_reason,
        product_family,
        currency_code,
        created_amount,
        created_amount_usd,
        amount,
        conversion_rate,
        amount_usd,
        probability,
        case
            when not is_closed
                then cast(amount_usd * coalesce(probability, 0) / 100.0 as {{ type_converted_money() }})
            else cast(0 as {{ type_converted_money() }})
        end as weighted_amount_usd,
        is_closed,
        is_won,
        is_closed and not is_won as is_lost,
        not is_closed as is_open,
        created_at,
        created_date,
        close_date as expected_close_date,
        closed_at,
        closed_date,
        modified_at
    from converted

)

select * from final
