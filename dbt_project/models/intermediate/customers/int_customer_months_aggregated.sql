{#
    One row per customer and calendar month, from the month of the customer's first qualifying order
    (not Cancelled / Returned) to the data clock's month — a dense grid, so trailing windows can count
    rows — with what the customer did that month: revenue and orders, tickets and satisfaction, email
    engagement and NPS answers of its people.
#}
with

calendar_months as (

    select * from {{ ref('int_calendar_months') }}

),

orders as (

    select * from {{ ref('int_orders_attributed_to_customers') }}

),

tickets as (

    select * from {{ ref('int_tickets_measured') }}

),

email_engagement as (

    select * from {{ ref('int_email_engagement_by_person_month') }}

),

nps_responses as (

    select * from {{ ref('int_nps_responses_attributed') }}

),

persons as (

    select * from {{ ref('int_persons_survived') }}

),

first_orders as (

    select
        customer_id,
        min(effective_month) as first_order_month
    from orders
    where is_qualifying_order
        and customer_id is not null
    group by customer_id

),

customer_months as (

    select
        first_orders.customer_id,
        first_orders.first_order_month,
        calendar_months.month_start_date,
        calendar_months.month_end_date,
        calendar_months.as_of_date
    from first_orders
    inner join calendar_months
        on first_orders.first_order_month <= calendar_months.month_start_date

),

orders_by_month as (

    select
        customer_id,
        effective_month as month_start_date,
        sum(revenue_usd) as revenue_usd,
        count(case when is_qualifying_order then 1 end) as qualifying_orders,
        count(case when order_status in ('Activated', 'Fulfilled') then 1 end) as revenue_orders,
        max(case when is_qualifying_order then effective_date end) as last_qualifying_order_date
    from orders
    where customer_id is not null
    group by customer_id, effective_month

),

tickets_by_month as (

    select
        customer_id,
        cast({{ dbt.date_trunc('month', 'created_at') }} as date) as month_start_date,
        count(*) as tickets_created,
        count(case when satisfaction_score = 'good' then 1 end) as satisfaction_good,
        count(case when satisfaction_score = 'bad' then 1 end) as satisfaction_bad
    from tickets
    where customer_id is not null
    group by customer_id, cast({{ dbt.date_trunc('month', 'created_at') }} as date)

),

email_by_month as (

    select
        persons.customer_id,
        email_engagement.activity_month as month_start_date,
        cast(sum(email_engagement.emails_delivered) as {{ dbt.type_bigint() }}) as emails_delivered,
        cast(sum(email_engagement.unique_opens) as {{ dbt.type_bigint() }}) as unique_opens,
        cast(sum(email_engagement.unique_clicks) as {{ dbt.type_bigint() }}) as unique_clicks
    from email_engagement
    inner join persons
        on email_engagement.person_id = persons.person_id
    where persons.customer_id is not null
    group by persons.customer_id, email_engagement.activity_month

),

nps_by_month as (

    select
        customer_id,
        cast({{ dbt.date_trunc('month', 'submitted_at') }} as date) as month_start_date,
        count(*) as nps_responses,
        count(case when nps_category = 'promoter' then 1 end) as nps_promoters,
        count(case when nps_category = 'detractor' then 1 end) as nps_detractors
    from nps_responses
    where customer_id is not null
        and nps_score is not null
    group by customer_id, cast({{ dbt.date_trunc('month', 'submitted_at') }} as date)

),

final as (

    select
        customer_months.customer_id,
        customer_months.month_start_date,
        customer_months.month_end_date,
        customer_months.as_of_date,
        customer_months.first_order_month,
        cast(coalesce(orders_by_month.revenue_usd, 0) as {{ type_converted_money() }}) as revenue_usd,
        coalesce(orders_by_month.qualifying_orders, 0) as qualifying_orders,
        coalesce(orders_by_month.revenue_orders, 0) as revenue_orders,
        orders_by_month.last_qualifying_order_date,
        coalesce(tickets_by_month.tickets_created, 0) as tickets_created,
        coalesce(tickets_by_month.satisfaction_good, 0) as satisfaction_good,
        coalesce(tickets_by_month.satisfaction_bad, 0) as satisfaction_bad,
        coalesce(email_by_month.emails_delivered, 0) as emails_delivered,
        coalesce(email_by_month.unique_opens, 0) as unique_opens,
        coalesce(email_by_month.unique_clicks, 0) as unique_clicks,
        coalesce(nps_by_month.nps_responses, 0) as nps_responses,
        coalesce(nps_by_month.nps_promoters, 0) as nps_promoters,
        coalesce(nps_by_month.nps_detractors, 0) as nps_detractors
    from customer_months
    left join orders_by_month
        on customer_months.customer_id = orders_by_month.customer_id
        and customer_months.month_start_date = orders_by_month.month_start_date
    left join tickets_by_month
        on customer_months.customer_id = tickets_by_month.customer_id
        and customer_months.month_start_date = tickets_by_month.month_start_date
    left join email_by_month
        on customer_months.customer_id = email_by_month.customer_id
        and customer_months.month_start_date = email_by_month.month_start_date
    left join nps_by_month
        on customer_months.customer_id = nps_by_month.customer_id
        and customer_months.month_start_date = nps_by_month.month_start_date

)

select * from final
