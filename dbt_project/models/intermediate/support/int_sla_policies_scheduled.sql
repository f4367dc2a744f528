{#
    One row per SLA policy with the key of its business-hours schedule (time zone, weekly openings,
    holidays), so that policies sharing a schedule share one business calendar. A policy measured on
    calendar time (is_business_hours false) still names its schedule; it is simply not used.
#}
with

sla_policies as (

    select * from {{ ref('stg_support__sla_policies') }}

),

final as (

    select
        sla_policy_id,
        {{ business_schedule_key('schedule_time_zone', 'schedule_intervals', 'holidays') }} as business_schedule_id,
        sla_policy_title,
        ticket_priority,
        sla_metric,
        target_minutes,
        is_business_hours,
        coalesce(schedule_time_zone, 'UTC') as schedule_time_zone,
        schedule_intervals,
        holidays
    from sla_policies

)

select * from final
