{#
    The business calendar of every SLA schedule, in UTC: one row per schedule, UTC day and opening
    segment (days without an opening keep one row with null opened_at / closed_at), with the business
    minutes of all earlier days. Each weekly opening (weekday, start and end minute, local time) is placed
    on every local date that is not a holiday, then converted to UTC with the schedule's time zone rules
    *for that date* — so a 09:00–17:00 New York day is 14:00–22:00 UTC in winter and 13:00–21:00 UTC in
    summer. Openings that cross UTC midnight are split at it, so every segment lies within one UTC day
    and a timestamp finds its segments by an equality join on its date (macros/support/business_minutes).

    The calendar covers the help desk's history: from the day before the first ticket to the day after
    the latest ticket change (local and UTC dates differ by up to a day at either end).
#}
with

sla_policies as (

    select * from {{ ref('int_sla_policies_scheduled') }}

),

tickets as (

    select * from {{ ref('stg_support__tickets') }}

),

ticket_events as (

    select * from {{ ref('stg_support__ticket_events') }}

),

ticket_instants as (

    select created_at as instant_at from tickets
    union all
    select updated_at as instant_at from tickets
    union all
    select created_at as instant_at from ticket_events

),

bounds as (

    select
        cast({{ dbt.dateadd('day', -1, 'cast(min(instant_at) as date)') }} as date) as first_date,
        cast({{ dbt.dateadd('day', 2, 'cast(max(instant_at) as date)') }} as date) as last_date
    from ticket_instants

),

days as (

    select cast(spine.date_day as date) as calendar_date
    from ({{ dbt.date_spine('day', "cast('2000-01-01' as date)", "cast('2100-01-01' as date)") }}) as spine
    cross join bounds
    where cast(spine.date_day as date) between bounds.first_date and bounds.last_date

),

schedules as (

    select
        business_schedule_id,
        min(schedule_time_zone) as schedule_time_zone
    from sla_policies
    group by business_schedule_id

),

schedule_lists as (

    select
        sla_policies.business_schedule_id,
        sla_policies.schedule_intervals,
        sla_policies.holidays,
        row_number() over (partition by sla_policies.business_schedule_id order by sla_policies.sla_policy_id)
            as policy_rank
    from sla_policies

),

weekly_openings as (

    select distinct
        schedule_lists.business_schedule_id,
        cast({{ struct_field('listed_openings.opening_interval', 'weekday') }} as {{ dbt.type_int() }})
            as opening_weekday,
        cast({{ struct_field('listed_openings.opening_interval', 'start_minute') }} as {{ dbt.type_int() }})
            as start_minute,
        cast({{ struct_field('listed_openings.opening_interval', 'end_minute') }} as {{ dbt.type_int() }})
            as end_minute
    from schedule_lists
    cross join {{ unnest_object_list('schedule_lists.schedule_intervals') }} as listed_openings (opening_interval)
    where schedule_lists.policy_rank = 1

),

holidays as (

    select distinct
        schedule_lists.business_schedule_id,
        cast(listed_holidays.holiday_date as date) as holiday_date
    from schedule_lists
    cross join {{ unnest_list('schedule_lists.holidays') }} as listed_holidays (holiday_date)
    where schedule_lists.policy_rank = 1

),

local_openings as (

    select
        weekly_openings.business_schedule_id,
        {{ local_to_utc(
            dbt.dateadd('minute', 'weekly_openings.start_minute', 'cast(days.calendar_date as ' ~ dbt.type_timestamp() ~ ')'),
            'schedules.schedule_time_zone'
        ) }} as opened_at,
        {{ local_to_utc(
            dbt.dateadd('minute', 'weekly_openings.end_minute', 'cast(days.calendar_date as ' ~ dbt.type_timestamp() ~ ')'),
            'schedules.schedule_time_zone'
        ) }} as closed_at
    from days
    inner join weekly_openings
        on {{ weekday_from_monday('days.calendar_date') }} = weekly_openings.opening_weekday
    inner join schedules
        on weekly_openings.business_schedule_id = schedules.business_schedule_id
    left join holidays
        on weekly_openings.business_schedule_id = holidays.business_schedule_id
        and days.calendar_date = holidays.holiday_date
    where holidays.holiday_date is null
        and weekly_openings.end_minute > weekly_openings.start_minute

),

-- an opening crossing UTC midnight becomes two segments, one on each UTC day
segments as (

    select
        business_schedule_id,
        opened_at,
        case
            when cast(closed_at as date) > cast(opened_at as date)
                then cast(cast(closed_at as date) as {{ dbt.type_timestamp() }})
            else closed_at
        end as closed_at
    from local_openings
    union all
    select
        business_schedule_id,
        cast(cast(closed_at as date) as {{ dbt.type_timestamp() }}) as opened_at,
        closed_at
    from local_openings
    where cast(closed_at as date) > cast(opened_at as date)
        and closed_at > cast(cast(closed_at as date) as {{ dbt.type_timestamp() }})

),

segments_dated as (

    select
        business_schedule_id,
        cast(opened_at as date) as calendar_date,
        opened_at,
        closed_at,
        {{ dbt.datediff('opened_at', 'closed_at', 'minute') }} as segment_minutes
    from segments
    where closed_at > opened_at

),

schedule_days as (

    select
        schedules.business_schedule_id,
        days.calendar_date,
        coalesce(sum(segments_dated.segment_minutes), 0) as business_minutes_in_day
    from schedules
    cross join days
    left join segments_dated
        on schedules.business_schedule_id = segments_dated.business_schedule_id
        and days.calendar_date = segments_dated.calendar_date
    group by schedules.business_schedule_id, days.calendar_date

),

accumulated as (

    select
        business_schedule_id,
        calendar_date,
        business_minutes_in_day,
        coalesce(sum(business_minutes_in_day) over (
            partition by business_schedule_id
            order by calendar_date
            rows between unbounded preceding and 1 preceding
        ), 0) as business_minutes_before_day
    from schedule_days

),

final as (

    select
        accumulated.business_schedule_id,
        accumulated.calendar_date,
        cast(accumulated.business_minutes_before_day as {{ dbt.type_bigint() }}) as business_minutes_before_day,
        cast(accumulated.business_minutes_in_day as {{ dbt.type_bigint() }}) as business_minutes_in_day,
        segments_dated.opened_at,
        segments_dated.closed_at
    from accumulated
    left join segments_dated
        on accumulated.business_schedule_id = segments_dated.business_schedule_id
        and accumulated.calendar_date = segments_dated.calendar_date

)

select * from final
