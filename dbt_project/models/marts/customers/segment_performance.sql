{#
    One row per segment type × segment × month: the customer performance measures (size, value,
    behaviour, attitude) of each segment, with the change against the previous month and against the
    same month a year before. Segment types: value_tier, rfm_segment, industry_size_band,
    lifecycle_stage (definitions in int_customer_months_segmented). A month's customers are those who
    had placed a qualifying order by its end; each is in exactly one segment of each type. Churned
    customers are counted in the segment they were in the month before they churned.
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
        cast(coalesce(measured.revenue_usd, 0) as {{ type_money() }}) as revenue_usd,
        coalesce(measured.orders, 0) as orders,
        cast(measured.revenue_usd / nullif(measured.customers, 0) as {{ type_money() }})
            as revenue_per_customer_usd,
        cast(measured.revenue_usd / nullif(measured.revenue_orders, 0) as {{ type_money() }})
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
