{#
    One row per customer with everything the core facts know about them: sales (orders, revenue,
    pipeline, won / lost), support (tickets, reply and resolution times, satisfaction, escalations),
    marketing (emails, engagement rates, last touch, lead score, unsubscribes), attitude (latest NPS),
    retention (days since the last order, status) and value. The SLA breach rate comes from
    support_tickets, predicted value and share of wallet from customer_value.
#}
with

customers as (

    select * from {{ ref('dim_customer') }}

),

orders as (

    select * from {{ ref('fct_orders') }}

),

opportunities as (

    select * from {{ ref('fct_opportunities') }}

),

tickets as (

    select * from {{ ref('fct_tickets') }}

),

nps_responses as (

    select * from {{ ref('fct_nps_responses') }}

),

customer_months as (

    select * from {{ ref('int_customer_months_segmented') }}

),

email_engagement as (

    select * from {{ ref('int_email_engagement_by_person_month') }}

),

persons as (

    select * from {{ ref('dim_person') }}

),

person_clusters as (

    select * from {{ ref('int_person_records_clustered') }}

),

marketing_contacts as (

    select * from {{ ref('stg_marketing__contacts') }}

),

email_events as (

    select * from {{ ref('fct_email_events') }}

),

support_tickets as (

    select * from {{ ref('support_tickets') }}

),

customer_value as (

    select * from {{ ref('customer_value') }}

),

sales as (

    select
        customer_id,
        min(case when is_qualifying_order then effective_date end) as first_order_date,
        max(case when is_qualifying_order then effective_date end) as last_order_date,
        count(case when is_qualifying_order then 1 end) as order_count,
        count(case when order_status in ('Activated', 'Fulfilled') then 1 end) as revenue_order_count,
        sum(revenue_usd) as lifetime_revenue_usd
    from orders
    where customer_id is not null
    group by customer_id

),

latest_month as (

    select max(month_start_date) as month_start_date from customer_months

),

latest_months as (

    select customer_months.*
    from customer_months
    inner join latest_month
        on customer_months.month_start_date = latest_month.month_start_date

),

pipeline as (

    select
        customer_id,
        sum(case when is_open then amount_usd else 0 end) as open_pipeline_usd,
        count(case when is_open then 1 end) as open_opportunity_count,
        count(case when is_won then 1 end) as won_opportunity_count,
        count(case when is_closed and not is_won then 1 end) as lost_opportunity_count,
        sum(case when is_won then amount_usd else 0 end) as won_amount_usd
    from opportunities
    where customer_id is not null
    group by customer_id

),

support as (

    select
        customer_id,
        count(*) as ticket_count,
        count(case when is_open then 1 end) as open_ticket_count,
        {{ median('first_reply_minutes') }} / 60.0 as median_first_reply_hours,
        {{ median('resolution_minutes') }} / 60.0 as median_resolution_hours,
        count(case when satisfaction_score = 'good' then 1 end) as satisfaction_good,
        count(case when satisfaction_score in ('good', 'bad') then 1 end) as satisfaction_rated,
        count(case when is_escalated then 1 end) as escalated_ticket_count
    from tickets
    where customer_id is not null
    group by customer_id

),

service_levels as (

    select
        customer_id,
        count(case when is_sla_breached then 1 end) as sla_breached_ticket_count,
        count(case when first_reply_target_minutes is not null or full_resolution_target_minutes is not null
                then 1
        end) as sla_measured_ticket_count
    from support_tickets
    where customer_id is not null
    group by customer_id

),

email as (

    select
        persons.customer_id,
        cast(sum(email_engagement.emails_sent) as {{ dbt.type_bigint() }}) as emails_sent,
        cast(sum(email_engagement.emails_delivered) as {{ dbt.type_bigint() }}) as emails_delivered,
        cast(sum(email_engagement.unique_opens) as {{ dbt.type_bigint() }}) as unique_opens,
        cast(sum(email_engagement.unique_clicks) as {{ dbt.type_bigint() }}) as unique_clicks
    from email_engagement
    inner join persons
        on email_engagement.person_id = persons.person_id
    where persons.customer_id is not null
    group by persons.customer_id

),

customer_marketing_contacts as (

    select
        persons.customer_id,
        marketing_contacts.marketing_contact_id,
        marketing_contacts.lead_score,
        marketing_contacts.unsubscribed_at
    from marketing_contacts
    inner join person_clusters
        on person_clusters.record_key = 'marketing:contacts:' || marketing_contacts.marketing_contact_id
    inner join persons
        on person_clusters.person_id = persons.person_id
    where persons.customer_id is not null

),

marketing as (

    select
        customer_id,
        max(lead_score) as lead_score,
        count(*) as marketing_contact_count,
        count(case when unsubscribed_at is not null then 1 end) as unsubscribed_contact_count
    from customer_marketing_contacts
    group by customer_id

),

last_touches as (

    select
        customer_marketing_contacts.customer_id,
        max(email_events.occurred_at) as last_marketing_touch_at
    from email_events
    inner join customer_marketing_contacts
        on email_events.marketing_contact_id = customer_marketing_contacts.marketing_contact_id
    group by customer_marketing_contacts.customer_id

),

latest_nps as (

    select
        customer_id,
        nps_score,
        nps_category,
        submitted_at
    from (
        select
            customer_id,
            nps_score,
            nps_category,
            submitted_at,
            row_number() over (partition by customer_id order by submitted_at desc, nps_response_id desc)
                as response_rank
        from nps_responses
        where customer_id is not null
            and nps_score is not null
    ) as ranked
    where response_rank = 1

),

final as (

    select
        -- the customer
        customers.customer_id,
        customers.customer_name,
        customers.industry,
        customers.country_code,
        customers.size_band,
        customers.owner_user_id,
        customers.lifecycle_stage,
        customers.value_tier,
        customers.rfm_segment,

        -- sales
        sales.first_order_date,
        sales.last_order_date,
        coalesce(sales.order_count, 0) as order_count,
        cast(coalesce(sales.lifetime_revenue_usd, 0) as {{ type_money() }}) as lifetime_revenue_usd,
        cast(coalesce(latest_months.trailing_12_month_revenue_usd, 0) as {{ type_money() }})
            as revenue_last_12_months_usd,
        cast(
            sales.lifetime_revenue_usd / nullif(sales.revenue_order_count, 0) as {{ type_money() }}
        ) as average_order_value_usd,
        cast(coalesce(pipeline.open_pipeline_usd, 0) as {{ type_money() }}) as open_pipeline_usd,
        coalesce(pipeline.open_opportunity_count, 0) as open_opportunity_count,
        coalesce(pipeline.won_opportunity_count, 0) as won_opportunity_count,
        coalesce(pipeline.lost_opportunity_count, 0) as lost_opportunity_count,
        cast(coalesce(pipeline.won_amount_usd, 0) as {{ type_money() }}) as won_amount_usd,

        -- support
        coalesce(support.ticket_count, 0) as ticket_count,
        coalesce(support.open_ticket_count, 0) as open_ticket_count,
        cast(support.median_first_reply_hours as {{ type_ratio() }}) as median_first_reply_hours,
        cast(support.median_resolution_hours as {{ type_ratio() }}) as median_resolution_hours,
        cast(
            1.0 * support.satisfaction_good / nullif(support.satisfaction_rated, 0) as {{ type_ratio() }}
        ) as csat_score,
        coalesce(support.escalated_ticket_count, 0) as escalated_ticket_count,
        cast(
            1.0 * service_levels.sla_breached_ticket_count / nullif(service_levels.sla_measured_ticket_count, 0)
            as {{ type_ratio() }}
        ) as sla_breach_rate,

        -- marketing
        coalesce(email.emails_sent, 0) as emails_sent,
        coalesce(email.emails_delivered, 0) as emails_delivered,
        cast(1.0 * email.unique_opens / nullif(email.emails_delivered, 0) as {{ type_ratio() }})
            as email_open_rate,
        cast(1.0 * email.unique_clicks / nullif(email.emails_delivered, 0) as {{ type_ratio() }})
            as email_click_rate,
        last_touches.last_marketing_touch_at,
        marketing.lead_score,
        coalesce(marketing.marketing_contact_count, 0) as marketing_contact_count,
        coalesce(marketing.unsubscribed_contact_count, 0) as unsubscribed_contact_count,
        coalesce(
            marketing.marketing_contact_count > 0
            and marketing.unsubscribed_contact_count = marketing.marketing_contact_count,
            false
        ) as is_unsubscribed,

        -- attitude
        latest_nps.nps_score as latest_nps_score,
        latest_nps.nps_category as latest_nps_category,
        latest_nps.submitted_at as latest_nps_submitted_at,

        -- retention
        latest_months.days_since_last_order,
        case
            when latest_months.customer_id is null then 'prospect'
            when latest_months.lifecycle_stage = 'Churned' then 'churned'
            when latest_months.lifecycle_stage = 'Won Back' then 'won_back'
            when latest_months.lifecycle_stage = 'At Risk' then 'at_risk'
            else 'active'
        end as retention_status,

        -- value
        cast(coalesce(sales.lifetime_revenue_usd, 0) as {{ type_money() }}) as historic_clv_usd,
        customer_value.predicted_12_month_value_usd,
        customer_value.estimated_annual_wallet_usd,
        customer_value.share_of_wallet,

        customers.as_of_date
    from customers
    left join sales on customers.customer_id = sales.customer_id
    left join latest_months on customers.customer_id = latest_months.customer_id
    left join pipeline on customers.customer_id = pipeline.customer_id
    left join support on customers.customer_id = support.customer_id
    left join service_levels on customers.customer_id = service_levels.customer_id
    left join email on customers.customer_id = email.customer_id
    left join marketing on customers.customer_id = marketing.customer_id
    left join last_touches on customers.customer_id = last_touches.customer_id
    left join latest_nps on customers.customer_id = latest_nps.customer_id
    left join customer_value on customers.customer_id = customer_value.customer_id

)

select * from final
