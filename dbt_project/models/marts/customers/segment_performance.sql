{#
    One row per segment type × segment × month: the customer performance measures (size, value,
    behaviour, attitude) of each segment, with the change against the previous month and against the
    same month a year before. Segment types: value_tier, rfm_segment, industry_size_band,
    lifecycle_stage (definitions in int_customer_months_segmented). A month's customers are those who
    had placed a qualifying order by its end; each is in exactly one segment of each type. Churned
    customers are counted in the segment they were in the month before they churned.
    Revenue adds up to fct_orders' revenue of every month: an order returned before its customer's
    first qualifying order (or by a customer who never placed one) subtracts its total in a month
    where that customer is not yet counted. That revenue goes to the segments the rules give a
    customer without an order in the trailing 12 months — Bronze, Lost, Churned, and its industry ×
    size band — and adds no customer.
#}
{%- set segment_types = ['value_tier', 'rfm_segment', 'industry_size_band', 'lifecycle_stage'] -%}
{%- set changed_measures = [
    'customers', 'active_customers', 'new_customers', 'retained_customers', 'churned_customers',
    'revenue_usd', 'revenue_per_customer_usd', 'average_order_value_usd', 'orders_per_customer',
    'purchase_frequency_12_months', 'tickets_per_customer', 'email_open_rate', 'email_click_rate',
    'csat_score', 'nps',
] -%}
with

customer_months as (

    select * from {{ ref('int_customer_months_segmented') }}

),

orders as (

    select * from {{ ref('int_orders_attributed_to_customers') }}

),

customers as (

    select * from {{ ref('int_customers_survived') }}

),

last_customer_month as (

    select max(month_start_date) as month_start_date from customer_months

),

segment_types as (

    {% for segment_type in segment_types %}
    select '{{ segment_type }}' as segment_type
    {% if not loop.last %}union all{% endif %}
    {% endfor %}

),

-- orders of a customer in a month before it counts as one (see the note above)
revenue_outside_customer_months as (

    select
        orders.customer_id,
        orders.effective_month as month_start_date,
        sum(orders.revenue_usd) as revenue_usd,
        count(case when orders.order_status in ('Activated', 'Fulfilled') then 1 end) as revenue_orders
    from orders
    cross join last_customer_month
    left join customer_months
        on orders.customer_id = customer_months.customer_id
        and orders.effective_month = customer_months.month_start_date
    where orders.customer_id is not null
        and customer_months.customer_id is null
        and orders.effective_month <= last_customer_month.month_start_date
    group by orders.customer_id, orders.effective_month

),

outside_unpivoted as (

    select
        segment_types.segment_type,
        case segment_types.segment_type
            when 'value_tier' then 'Bronze'
            when 'rfm_segment' then 'Lost'
            when 'lifecycle_stage' then 'Churned'
            else coalesce(customers.industry, 'Unknown') || ' × ' || customers.size_band
        end as segment,
        revenue_outside_customer_months.month_start_date,
        revenue_outside_customer_months.revenue_usd,
        revenue_outside_customer_months.revenue_orders
    from revenue_outside_customer_months
    inner join customers
        on revenue_outside_customer_months.customer_id = customers.customer_id
    cross join segment_types

),

outside_measured as (

    select
        segment_type,
        segment,
        month_start_date,
        sum(revenue_usd) as revenue_usd,
        cast(sum(revenue_orders) as {{ dbt.type_bigint() }}) as revenue_orders
    from outside_unpivoted
    group by segment_type, segment, month_start_date

),

unpivoted as (

    {% for segment_type in segment_types %}
    select
        '{{ segment_type }}' as segment_type,
        {{ segment_type }} as segment,
        lag({{ segment_type }}) over (partition by customer_id order by month_start_date) as previous_segment,
        customer_months.*
    from customer_months
    {% if not loop.last %}union all{% endif %}
    {% endfor %}

),

measured as (

    select
        segment_type,
        segment,
        month_start_date,
        count(*) as customers,
        count(case when is_active then 1 end) as active_customers,
        count(case when is_new_this_month then 1 end) as new_customers,
        count(case when is_retained_this_month then 1 end) as retained_customers,
        count(case when is_won_back_this_month then 1 end) as won_back_customers,
        sum(revenue_usd) as revenue_usd,
        cast(sum(revenue_orders) as {{ dbt.type_bigint() }}) as revenue_orders,
        cast(sum(qualifying_orders) as {{ dbt.type_bigint() }}) as orders,
        cast(sum(trailing_12_month_orders) as {{ dbt.type_bigint() }}) as trailing_12_month_orders,
        cast(sum(tickets_created) as {{ dbt.type_bigint() }}) as tickets,
        cast(sum(satisfaction_good) as {{ dbt.type_bigint() }}) as satisfaction_good,
        cast(sum(satisfaction_good + satisfaction_bad) as {{ dbt.type_bigint() }}) as satisfaction_rated,
        cast(sum(emails_delivered) as {{ dbt.type_bigint() }}) as emails_delivered,
        cast(sum(unique_opens) as {{ dbt.type_bigint() }}) as unique_opens,
        cast(sum(unique_clicks) as {{ dbt.type_bigint() }}) as unique_clicks,
        cast(sum(nps_responses) as {{ dbt.type_bigint() }}) as nps_responses,
        cast(sum(nps_promoters) as {{ dbt.type_bigint() }}) as nps_promoters,
        cast(sum(nps_detractors) as {{ dbt.type_bigint() }}) as nps_detractors
    from unpivoted
    group by segment_type, segment, month_start_date

),

churned as (

    select
        segment_type,
        previous_segment as segment,
        month_start_date,
        count(*) as churned_customers
    from unpivoted
    where is_churned_this_month
    group by segment_type, previous_segment, month_start_date

),

segment_months as (

    select
        segment_type,
        segment,
        month_start_date
    from measured
    union
    select
        segment_type,
        segment,
        month_start_date
    from churned
    union
    select
        segment_type,
        segment,
        month_start_date
    from outside_measured

),

-- the segments' revenue and revenue orders, with those booked outside the customer months
revenue_measured as (

    select
        segment_months.segment_type,
        segment_months.segment,
        segment_months.month_start_date,
        coalesce(measured.revenue_usd, 0) + coalesce(outside_measured.revenue_usd, 0) as revenue_usd,
        coalesce(measured.revenue_orders, 0) + coalesce(outside_measured.revenue_orders, 0) as revenue_orders
    from segment_months
    left join measured
        on segment_months.segment_type = measured.segment_type
        and segment_months.segment = measured.segment
        and segment_months.month_start_date = measured.month_start_date
    left join outside_measured
        on segment_months.segment_type = outside_measured.segment_type
        and segment_months.segment = outside_measured.segment
        and segment_months.month_start_date = outside_measured.month_start_date

),

rated as (

    select
        segment_months.segment_type,
        segment_months.segment,
        segment_months.month_start_date,
        coalesce(measured.customers, 0) as customers,
        coalesce(measured.active_customers, 0) as active_customers,
        coalesce(measured.new_customers, 0) as new_customers,
        coalesce(measured.retained_customers, 0) as retained_customers,
        coalesce(churned.churned_customers, 0) as churned_customers,
        coalesce(measured.won_back_customers, 0) as won_back_customers,
        cast(revenue_measured.revenue_usd as {{ type_money() }}) as revenue_usd,
        coalesce(measured.orders, 0) as orders,
        cast(revenue_measured.revenue_usd / nullif(measured.customers, 0) as {{ type_money() }})
            as revenue_per_customer_usd,
        cast(revenue_measured.revenue_usd / nullif(revenue_measured.revenue_orders, 0) as {{ type_money() }})
            as average_order_value_usd,
        cast(1.0 * measured.orders / nullif(measured.customers, 0) as {{ type_ratio() }})
            as orders_per_customer,
        cast(1.0 * measured.trailing_12_month_orders / nullif(measured.customers, 0) as {{ type_ratio() }})
            as purchase_frequency_12_months,
        cast(1.0 * measured.tickets / nullif(measured.customers, 0) as {{ type_ratio() }})
            as tickets_per_customer,
        cast(1.0 * measured.unique_opens / nullif(measured.emails_delivered, 0) as {{ type_ratio() }})
            as email_open_rate,
        cast(1.0 * measured.unique_clicks / nullif(measured.emails_delivered, 0) as {{ type_ratio() }})
            as email_click_rate,
        cast(1.0 * measured.satisfaction_good / nullif(measured.satisfaction_rated, 0) as {{ type_ratio() }})
            as csat_score,
        coalesce(measured.nps_responses, 0) as nps_responses,
        cast(
            100.0 * (measured.nps_promoters - measured.nps_detractors) / nullif(measured.nps_responses, 0)
            as {{ type_ratio() }}
        ) as nps
    from segment_months
    left join measured
        on segment_months.segment_type = measured.segment_type
        and segment_months.segment = measured.segment
        and segment_months.month_start_date = measured.month_start_date
    left join churned
        on segment_months.segment_type = churned.segment_type
        and segment_months.segment = churned.segment
        and segment_months.month_start_date = churned.month_start_date
    inner join revenue_measured
        on segment_months.segment_type = revenue_measured.segment_type
        and segment_months.segment = revenue_measured.segment
        and segment_months.month_start_date = revenue_measured.month_start_date

),

final as (

    select
        {{ dbt.hash(dbt.concat([
            'rated.segment_type', "'|'", 'rated.segment', "'|'",
            'cast(rated.month_start_date as ' ~ dbt.type_string() ~ ')',
        ])) }} as segment_month_id,
        rated.segment_type,
        rated.segment,
        rated.month_start_date,
        {%- for measure in changed_measures %}
        rated.{{ measure }},
        {{ measure_change('rated', 'previous_month', measure) }} as {{ measure }}_change_vs_previous_month,
        {{ measure_change('rated', 'previous_year', measure) }} as {{ measure }}_change_vs_previous_year,
        {%- endfor %}
        rated.won_back_customers,
        rated.orders,
        rated.nps_responses
    from rated
    left join rated as previous_month
        on rated.segment_type = previous_month.segment_type
        and rated.segment = previous_month.segment
        and previous_month.month_start_date = cast({{ dbt.dateadd('month', -1, 'rated.month_start_date') }} as date)
    left join rated as previous_year
        on rated.segment_type = previous_year.segment_type
        and rated.segment = previous_year.segment
        and previous_year.month_start_date = cast({{ dbt.dateadd('year', -1, 'rated.month_start_date') }} as date)

)

select * from final
