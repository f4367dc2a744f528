{#
    One row per customer (buying organisation), current state: the golden record from identity
    resolution plus the segments of the latest month (lifecycle stage, value tier, RFM segment).
    Customers that never ordered are Prospects with no value tier or RFM segment. `as_of_date` is the
    data clock the segments were computed at; the snapshot dim_customer_history uses it as the change
    time, so history follows the data, not the wall clock.
#}
with

customers as (

    select * from {{ ref('int_customers_survived') }}

),

customer_months as (

    select * from {{ ref('int_customer_months_segmented') }}

),

calendar_months as (

    select * from {{ ref('int_calendar_months') }}

),

clock as (

    select max(as_of_date) as as_of_date from calendar_months

),

latest_month as (

    select max(month_start_date) as month_start_date from calendar_months

),

latest_months as (

    select customer_months.*
    from customer_months
    inner join latest_month
        on customer_months.month_start_date = latest_month.month_start_date

),

person_counts as (

    select
        customer_id,
        count(*) as person_count,
        {{ dbt.bool_or('is_in_marketing') }} as has_marketing_person
    from {{ ref('int_persons_survived') }}
    where customer_id is not null
    group by customer_id

),

final as (

    select
        customers.customer_id,
        customers.customer_name,
        customers.web_domain,
        customers.industry,
        customers.country_code,
        customers.city,
        customers.number_of_employees,
        customers.size_band,
        customers.annual_revenue,
        customers.owner_user_id,
        customers.account_type,
        coalesce(latest_months.lifecycle_stage, 'Prospect') as lifecycle_stage,
        latest_months.value_tier,
        latest_months.rfm_segment,
        coalesce(customers.industry, 'Unknown') || ' × ' || customers.size_band as industry_size_band,
        customers.sales_account_ids,
        customers.support_organization_ids,
        {{ dbt.concat([
            "case when customers.is_in_sales then 'sales' else '' end",
            "case when customers.is_in_sales and customers.is_in_support then ',' else '' end",
            "case when customers.is_in_support then 'support' else '' end",
            "case when coalesce(person_counts.has_marketing_person, false) then ',marketing' else '' end",
        ]) }} as sources_present,
        customers.source_record_count,
        coalesce(person_counts.person_count, 0) as person_count,
        customers.match_confidence,
        customers.first_seen_at,
        cast(clock.as_of_date as date) as as_of_date,
        cast(clock.as_of_date as timestamp) as as_of_at
    from customers
    cross join clock
    left join latest_months
        on customers.customer_id = latest_months.customer_id
    left join person_counts
        on customers.customer_id = person_counts.customer_id

)

select * from final
