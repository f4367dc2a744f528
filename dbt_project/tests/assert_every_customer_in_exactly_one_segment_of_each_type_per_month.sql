{#
    Every customer of a month is in exactly one segment of each segment type: for every segment type
    and month, the segments' customer counts add up to the month's customers, and no customer-month
    lacks a segment. Returns the (segment type, month) pairs that do not add up.
#}
{{ governed_by_policy('dbt.segment_performance.one_segment_each') }}

with

population as (

    select
        month_start_date,
        count(*) as customers,
        count(distinct customer_id) as distinct_customers,
        count(value_tier) as with_value_tier,
        count(rfm_segment) as with_rfm_segment,
        count(industry_size_band) as with_industry_size_band,
        count(lifecycle_stage) as with_lifecycle_stage
    from {{ ref('int_customer_months_segmented') }}
    group by month_start_date

),

segments as (

    select
        segment_type,
        month_start_date,
        sum(customers) as customers
    from {{ ref('segment_performance') }}
    group by segment_type, month_start_date

),

segment_types as (

    select 'value_tier' as segment_type
    union all
    select 'rfm_segment'
    union all
    select 'industry_size_band'
    union all
    select 'lifecycle_stage'

)

select
    segment_types.segment_type,
    population.month_start_date,
    population.customers as population_customers,
    segments.customers as segmented_customers
from population
cross join segment_types
left join segments
    on segment_types.segment_type = segments.segment_type
    and population.month_start_date = segments.month_start_date
where population.customers <> population.distinct_customers
    or population.customers <> coalesce(segments.customers, 0)
    or population.customers <> case segment_types.segment_type
        when 'value_tier' then population.with_value_tier
        when 'rfm_segment' then population.with_rfm_segment
        when 'industry_size_band' then population.with_industry_size_band
        else population.with_lifecycle_stage
    end
