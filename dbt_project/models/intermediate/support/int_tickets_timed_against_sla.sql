{#
    One row per ticket, timed against its SLA policies (marts.md: first reply = creation → first public
    agent comment; business minutes use the policy's schedule and time zone):
      - the SLA priority is the priority the ticket was created with (the first priority change's
        previous value, else its current priority): later bumps do not move the goalposts;
      - first reply and full resolution (the last solve not followed by a reopen) in calendar minutes
        (to the second) and business minutes (business-minute clock differences, see
        macros/support/business_minutes.sql);
      - each metric is judged on the minutes its policy counts (business or calendar): breached when
        the measured minutes exceed the target, or — not yet replied / resolved — when the minutes
        elapsed up to the help desk's data clock (its latest event) already exceed it (a ticket solved
        without any public reply stops the first-reply clock at the solve);
      - handoffs: reassignments after the first assignment (an escalation's new assignee counts).
#}
with

tickets as (

    select * from {{ ref('int_tickets_measured') }}

),

ticket_events as (

    select * from {{ ref('stg_support__ticket_events') }}

),

sla_policies as (

    select * from {{ ref('int_sla_policies_scheduled') }}

),

business_calendar as (

    select * from {{ ref('int_business_hours_converted_to_utc') }}

),

-- the schedule most business-hours policies use: business minutes of a ticket whose priority matches no
-- policy (an unknown value) are still measured on it; its targets and breaches stay unknown
default_schedule as (

    select business_schedule_id
    from (
        select
            business_schedule_id,
            row_number() over (order by count(*) desc, business_schedule_id) as schedule_rank
        from sla_policies
        where is_business_hours
        group by business_schedule_id
    ) as ranked
    where schedule_rank = 1

),

clock as (

    select max(created_at) as as_of_at from ticket_events

),

priority_changes as (

    select
        ticket_id,
        lower(trim(previous_value)) as initial_priority
    from (
        select
            ticket_id,
            previous_value,
            row_number() over (partition by ticket_id order by created_at, ticket_event_id) as change_rank
        from ticket_events
        where ticket_event_type = 'Change'
            and changed_field_name = 'priority'
    ) as ranked
    where change_rank = 1

),

status_changes as (

    select
        ticket_id,
        max(case when new_value = 'solved' then created_at end) as last_solved_at,
        max(case when previous_value in ('solved', 'closed') and new_value not in ('solved', 'closed')
                then created_at
        end) as last_reopened_at
    from ticket_events
    where ticket_event_type = 'Change'
        and changed_field_name = 'status'
    group by ticket_id

),

handoffs as (

    select
        ticket_id,
        count(*) as handoff_count
    from ticket_events
    where ticket_event_type = 'Change'
        and changed_field_name = 'assignee_id'
        and previous_value is not null
    group by ticket_id

),

ticket_policies as (

    select
        tickets.ticket_id,
        tickets.created_at,
        tickets.first_replied_at,
        -- the first-reply clock stops at the reply, or at a solve without one, or runs to the data clock
        coalesce(tickets.first_replied_at, tickets.first_solved_at) as first_reply_clock_stopped_at,
        case
            when status_changes.last_reopened_at is null
                or status_changes.last_solved_at > status_changes.last_reopened_at
                then status_changes.last_solved_at
        end as full_resolved_at,
        coalesce(priority_changes.initial_priority, tickets.ticket_priority) as sla_priority,
        coalesce(handoffs.handoff_count, 0) as handoff_count,
        first_reply_policies.sla_policy_id as first_reply_sla_policy_id,
        coalesce(first_reply_policies.business_schedule_id, default_schedule.business_schedule_id)
            as first_reply_schedule_id,
        first_reply_policies.target_minutes as first_reply_target_minutes,
        first_reply_policies.is_business_hours as is_first_reply_business_hours,
        resolution_policies.sla_policy_id as full_resolution_sla_policy_id,
        coalesce(resolution_policies.business_schedule_id, default_schedule.business_schedule_id)
            as full_resolution_schedule_id,
        resolution_policies.target_minutes as full_resolution_target_minutes,
        resolution_policies.is_business_hours as is_full_resolution_business_hours,
        clock.as_of_at
    from tickets
    cross join clock
    left join default_schedule
        on true
    left join priority_changes
        on tickets.ticket_id = priority_changes.ticket_id
    left join status_changes
        on tickets.ticket_id = status_changes.ticket_id
    left join handoffs
        on tickets.ticket_id = handoffs.ticket_id
    left join sla_policies as first_reply_policies
        on coalesce(priority_changes.initial_priority, tickets.ticket_priority) = first_reply_policies.ticket_priority
        and first_reply_policies.sla_metric = 'first_reply_time'
    left join sla_policies as resolution_policies
        on coalesce(priority_changes.initial_priority, tickets.ticket_priority) = resolution_policies.ticket_priority
        and resolution_policies.sla_metric = 'full_resolution_time'

),

instants as (

    select
        ticket_id,
        'first_reply_start' as instant_kind,
        first_reply_schedule_id as business_schedule_id,
        created_at as instant_at
    from ticket_policies
    union all
    select
        ticket_id,
        'first_reply_end' as instant_kind,
        first_reply_schedule_id as business_schedule_id,
        coalesce(first_reply_clock_stopped_at, as_of_at) as instant_at
    from ticket_policies
    union all
    select
        ticket_id,
        'resolution_start' as instant_kind,
        full_resolution_schedule_id as business_schedule_id,
        created_at as instant_at
    from ticket_policies
    union all
    select
        ticket_id,
        'resolution_end' as instant_kind,
        full_resolution_schedule_id as business_schedule_id,
        coalesce(full_resolved_at, as_of_at) as instant_at
    from ticket_policies

),

clocks as (

    {{ business_minute_clock('instants', 'business_calendar', ['ticket_id', 'instant_kind']) }}

),

business_minutes as (

    select
        ticket_id,
        cast(
            max(case when instant_kind = 'first_reply_end' then business_minute_clock end)
            - max(case when instant_kind = 'first_reply_start' then business_minute_clock end)
            as {{ dbt.type_bigint() }}
        ) as first_reply_business_minutes,
        cast(
            max(case when instant_kind = 'resolution_end' then business_minute_clock end)
            - max(case when instant_kind = 'resolution_start' then business_minute_clock end)
            as {{ dbt.type_bigint() }}
        ) as full_resolution_business_minutes
    from clocks
    group by ticket_id

),

measured as (

    select
        ticket_policies.*,
        {{ elapsed_minutes(
            'ticket_policies.created_at',
            'coalesce(ticket_policies.first_reply_clock_stopped_at, ticket_policies.as_of_at)'
        ) }} as first_reply_elapsed_minutes,
        {{ elapsed_minutes(
            'ticket_policies.created_at', 'coalesce(ticket_policies.full_resolved_at, ticket_policies.as_of_at)'
        ) }} as full_resolution_elapsed_minutes,
        business_minutes.first_reply_business_minutes as first_reply_elapsed_business_minutes,
        business_minutes.full_resolution_business_minutes as full_resolution_elapsed_business_minutes
    from ticket_policies
    left join business_minutes
        on ticket_policies.ticket_id = business_minutes.ticket_id

),

judged as (

    select
        *,
        case
            when is_first_reply_business_hours then first_reply_elapsed_business_minutes
            else first_reply_elapsed_minutes
        end as first_reply_sla_minutes,
        case
            when is_full_resolution_business_hours then full_resolution_elapsed_business_minutes
            else full_resolution_elapsed_minutes
        end as full_resolution_sla_minutes
    from measured

),

final as (

    select
        ticket_id,
        sla_priority,
        first_replied_at,
        full_resolved_at,
        handoff_count,
        first_reply_sla_policy_id,
        first_reply_schedule_id,
        first_reply_target_minutes,
        is_first_reply_business_hours,
        case when first_replied_at is not null then first_reply_elapsed_minutes end as first_reply_minutes,
        case when first_replied_at is not null then first_reply_elapsed_business_minutes end
            as first_reply_business_minutes,
        full_resolution_sla_policy_id,
        full_resolution_target_minutes,
        is_full_resolution_business_hours,
        case when full_resolved_at is not null then full_resolution_elapsed_minutes end as full_resolution_minutes,
        case when full_resolved_at is not null then full_resolution_elapsed_business_minutes end
            as full_resolution_business_minutes,
        case
            when first_reply_target_minutes is not null
                then first_reply_sla_minutes > first_reply_target_minutes
        end as is_first_reply_breached,
        case
            when full_resolution_target_minutes is not null
                then full_resolution_sla_minutes > full_resolution_target_minutes
        end as is_full_resolution_breached,
        as_of_at
    from judged

)

select * from final
