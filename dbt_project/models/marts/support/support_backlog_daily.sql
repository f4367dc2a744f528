{#
    One row per day, queue (help-desk group) and priority, from the first ticket to the help desk's data
    clock: the backlog at the end of the day and the day's flow. A ticket counts in the queue and priority
    it had at the end of that day (escalations move it to the escalation queue), from its creation day
    until it is closed.
      open       tickets not solved or closed at the end of the day;
      created    tickets created that day;
      solved     tickets set to solved that day (a reopened ticket solved again on another day counts
                 on that day too);
      escalated  tickets moved to an escalation queue that day;
      breached   open tickets that, by the end of the day, had breached their first-reply target
                 (replied late, or still waiting past it — in business minutes where the policy says so).
    Only (day, queue, priority) combinations with a ticket are present.
#}
with

tickets as (

    select * from {{ ref('support_tickets') }}

),

field_values as (

    select * from {{ ref('int_ticket_field_values_dated') }}

),

ticket_activity as (

    select * from {{ ref('int_ticket_activity_by_day') }}

),

sla_timings as (

    select * from {{ ref('int_tickets_timed_against_sla') }}

),

business_calendar as (

    select * from {{ ref('int_business_hours_converted_to_utc') }}

),

clock as (

    select
        max(as_of_at) as as_of_at,
        cast(max(as_of_at) as date) as as_of_date
    from tickets

),

days as (

    select cast(spine.date_day as date) as backlog_date
    from ({{ dbt.date_spine('day', "cast('2000-01-01' as date)", "cast('2100-01-01' as date)") }}) as spine
    cross join clock
    where cast(spine.date_day as date) <= clock.as_of_date
        and cast(spine.date_day as date) >= (select min(tickets.created_date) from tickets)

),

statuses as (

    select * from field_values
    where field_name = 'status'

),

-- every day of a ticket's life, from its creation to the day it closed (or the data clock)
ticket_days as (

    select
        statuses.ticket_id,
        days.backlog_date,
        statuses.field_value as ticket_status
    from statuses
    inner join days
        on statuses.valid_from_date <= days.backlog_date
        and (statuses.valid_to_date > days.backlog_date or statuses.valid_to_date is null)
    where statuses.field_value <> 'closed'
        or days.backlog_date = statuses.valid_from_date

),

ticket_days_placed as (

    select
        ticket_days.ticket_id,
        ticket_days.backlog_date,
        ticket_days.ticket_status,
        coalesce(queues.field_value, 'none') as group_key,
        coalesce(queues.field_label, 'Unknown') as group_name,
        coalesce(priorities.field_value, 'none') as ticket_priority
    from ticket_days
    left join field_values as queues
        on ticket_days.ticket_id = queues.ticket_id
        and queues.field_name = 'group_id'
        and ticket_days.backlog_date >= queues.valid_from_date
        and (ticket_days.backlog_date < queues.valid_to_date or queues.valid_to_date is null)
    left join field_values as priorities
        on ticket_days.ticket_id = priorities.ticket_id
        and priorities.field_name = 'priority'
        and ticket_days.backlog_date >= priorities.valid_from_date
        and (ticket_days.backlog_date < priorities.valid_to_date or priorities.valid_to_date is null)

),


-- business-minute clock at the end of each day (= start of the next) for every schedule
day_end_clocks as (

    select
        business_schedule_id,
        cast({{ dbt.dateadd('day', -1, 'calendar_date') }} as date) as backlog_date,
        min(business_minutes_before_day) as business_minute_clock
    from business_calendar
    group by business_schedule_id, calendar_date

),

creation_instants as (

    select
        tickets.ticket_id,
        tickets.first_reply_target_minutes,
        tickets.is_first_reply_business_hours,
        tickets.first_replied_at,
        tickets.is_first_reply_breached,
        tickets.created_at,
        tickets.created_date,
        sla_timings.first_reply_schedule_id as business_schedule_id,
        tickets.created_at as instant_at
    from tickets
    inner join sla_timings
        on tickets.ticket_id = sla_timings.ticket_id

),

creation_clocks as (

    {{ business_minute_clock('creation_instants', 'business_calendar', ['ticket_id']) }}

),

ticket_days_judged as (

    select
        ticket_days_placed.*,
        ticket_days_placed.backlog_date = creation_instants.created_date as is_created_today,
        coalesce(ticket_activity.solve_count, 0) > 0 as is_solved_today,
        coalesce(ticket_activity.escalation_count, 0) > 0 as is_escalated_today,
        ticket_days_placed.ticket_status not in ('solved', 'closed') as is_open_at_day_end,
        case
            when creation_instants.first_reply_target_minutes is null then false
            when creation_instants.first_replied_at is not null
                and cast(creation_instants.first_replied_at as date) <= ticket_days_placed.backlog_date
                then coalesce(creation_instants.is_first_reply_breached, false)
            when creation_instants.is_first_reply_business_hours
                then day_end_clocks.business_minute_clock - creation_clocks.business_minute_clock
                    > creation_instants.first_reply_target_minutes
            else {{ dbt.datediff(
                    'creation_instants.created_at',
                    'cast(' ~ dbt.dateadd('day', 1, 'ticket_days_placed.backlog_date') ~ ' as ' ~ dbt.type_timestamp() ~ ')',
                    'minute'
                ) }} > creation_instants.first_reply_target_minutes
        end as is_first_reply_breached_by_day_end
    from ticket_days_placed
    inner join creation_instants
        on ticket_days_placed.ticket_id = creation_instants.ticket_id
    left join creation_clocks
        on ticket_days_placed.ticket_id = creation_clocks.ticket_id
    left join day_end_clocks
        on creation_instants.business_schedule_id = day_end_clocks.business_schedule_id
        and ticket_days_placed.backlog_date = day_end_clocks.backlog_date
    left join ticket_activity
        on ticket_days_placed.ticket_id = ticket_activity.ticket_id
        and ticket_days_placed.backlog_date = ticket_activity.activity_date

),

aggregated as (

    select
        backlog_date,
        group_key,
        group_name,
        ticket_priority,
        count(case when is_open_at_day_end then 1 end) as open_tickets,
        count(case when is_created_today then 1 end) as created_tickets,
        count(case when is_solved_today then 1 end) as solved_tickets,
        count(case when is_escalated_today then 1 end) as escalated_tickets,
        count(case when is_open_at_day_end and is_first_reply_breached_by_day_end then 1 end) as breached_tickets
    from ticket_days_judged
    group by backlog_date, group_key, group_name, ticket_priority

),

final as (

    select
        {{ dbt.hash(dbt.concat([
            'cast(aggregated.backlog_date as ' ~ dbt.type_string() ~ ')', "'|'",
            'aggregated.group_key', "'|'", 'aggregated.ticket_priority',
        ])) }} as backlog_day_id,
        aggregated.backlog_date,
        case when aggregated.group_key <> 'none' then cast(aggregated.group_key as {{ dbt.type_bigint() }}) end
            as group_id,
        aggregated.group_name,
        aggregated.ticket_priority,
        aggregated.open_tickets,
        aggregated.created_tickets,
        aggregated.solved_tickets,
        aggregated.escalated_tickets,
        aggregated.breached_tickets
    from aggregated

)

select * from final
