{#
    Cohorts partition the customers: per month, the active customers of all cohorts add up to the
    active customers segment_performance counts over the value tiers (one definition of "active",
    marts.md). Returns the months that disagree.
#}
{{ governed_by_policy('dbt.retention_cohorts.active_customers_agree') }}

with

cohorts as (

    select
        month_start_date,
        sum(active_customers) as active_customers
    from {{ ref('retention_cohorts') }}
    group by month_start_date

),

segments as (

    select
        month_start_date,
        sum(active_customers) as active_customers
    from {{ ref('segment_performance') }}
    where segment_type = 'value_tier'
    group by month_start_date

)

select
    coalesce(cohorts.month_start_date, segments.month_start_date) as month_start_date,
    cohorts.active_customers as cohort_active_customers,
    segments.active_customers as segment_active_customers
from cohorts
full outer join segments
    on cohorts.month_start_date = segments.month_start_date
where coalesce(cohorts.active_customers, 0) <> coalesce(segments.active_customers, 0)
