{#
    One row per ticket and day with activity that the daily backlog counts: solves (status set to
    solved) and escalations (moved to a queue whose name says escalation, as int_tickets_measured
    counts them).
#}
with

ticket_events as (

    select * from {{ ref('stg_support__ticket_events') }}

),

groups as (

    select * from {{ ref('stg_support__groups') }}

),

escalation_groups as (

    select cast(group_id as {{ dbt.type_string() }}) as group_key
    from groups
    where lower(group_name) like '%escalat%'

),

final as (

    select
        ticket_events.ticket_id,
        cast(ticket_events.created_at as date) as activity_date,
        count(case when ticket_events.changed_field_name = 'status' and ticket_events.new_value = 'solved' then 1 end)
            as solve_count,
        count(case when ticket_events.changed_field_name = 'group_id' and escalation_groups.group_key is not null
                then 1
        end) as escalation_count
    from ticket_events
    left join escalation_groups
        on ticket_events.new_value = escalation_groups.group_key
    where ticket_events.ticket_event_type = 'Change'
        and ticket_events.changed_field_name in ('status', 'group_id')
    group by ticket_events.ticket_id, cast(ticket_events.created_at as date)

)

select * from final
