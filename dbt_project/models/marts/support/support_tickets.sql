{#
    One row per help-desk ticket: who raised it, the queue and priority, and how the help desk served
    it — first reply and full resolution in calendar and business minutes (the SLA policy's schedule,
    time zone and holidays), the SLA targets and breaches, reopens, escalations, handoffs and CSAT.
#}
with

tickets as (

    select * from {{ ref('fct_tickets') }}

),

sla_timings as (

    select * from {{ ref('int_tickets_timed_against_sla') }}

),

final as (

    select
        -- the ticket
        tickets.ticket_id,
        tickets.customer_id,
        tickets.requester_person_id,
        tickets.organization_id,
        tickets.group_id,
        tickets.group_name,
        tickets.assignee_user_id,
        tickets.ticket_status,
        tickets.ticket_priority,
        sla_timings.sla_priority,
        tickets.ticket_type,
        tickets.ticket_channel,
        tickets.is_open,
        tickets.created_at,
        tickets.created_date,

        -- first reply
        sla_timings.first_replied_at,
        sla_timings.first_reply_minutes,
        sla_timings.first_reply_business_minutes,
        sla_timings.first_reply_sla_policy_id,
        sla_timings.first_reply_target_minutes,
        sla_timings.is_first_reply_business_hours,
        sla_timings.is_first_reply_breached,

        -- resolution
        tickets.first_solved_at,
        sla_timings.full_resolved_at,
        sla_timings.full_resolution_minutes,
        sla_timings.full_resolution_business_minutes,
        sla_timings.full_resolution_sla_policy_id,
        sla_timings.full_resolution_target_minutes,
        sla_timings.is_full_resolution_business_hours,
        sla_timings.is_full_resolution_breached,
        coalesce(sla_timings.is_first_reply_breached, false)
        or coalesce(sla_timings.is_full_resolution_breached, false) as is_sla_breached,

        -- effort
        tickets.reopen_count,
        tickets.reopen_count > 0 as is_reopened,
        tickets.escalation_count,
        tickets.is_escalated,
        sla_timings.handoff_count,
        tickets.agent_reply_count,

        -- satisfaction
        tickets.satisfaction_score,
        case tickets.satisfaction_score when 'good' then true when 'bad' then false end as is_satisfied,

        sla_timings.as_of_at
    from tickets
    inner join sla_timings
        on tickets.ticket_id = sla_timings.ticket_id

)

select * from final
