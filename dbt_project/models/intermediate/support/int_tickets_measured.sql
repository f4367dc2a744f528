{#
    One row per help-desk ticket (current version), with its customer and requester person, and the
    timings the customer experiences: first reply (first public comment by an agent), resolution
    (first time solved), reopens, escalations, and the latest satisfaction rating. Calendar minutes
    here; business minutes against the SLA schedule belong to the support marts.
#}
with

tickets as (

    select * from {{ ref('stg_support__tickets') }}

),

ticket_events as (

    select * from {{ ref('stg_support__ticket_events') }}

),

support_users as (

    select * from {{ ref('stg_support__users') }}

),

groups as (

    select * from {{ ref('stg_support__groups') }}

),

satisfaction_ratings as (

    select * from {{ ref('stg_support__satisfaction_ratings') }}

),

organization_clusters as (

    select * from {{ ref('int_organization_records_clustered') }}

),

person_clusters as (

    select * from {{ ref('int_person_records_clustered') }}

),

persons as (

    select * from {{ ref('int_persons_survived') }}

),

agent_replies as (

    select
        ticket_events.ticket_id,
        min(ticket_events.created_at) as first_replied_at,
        count(*) as agent_reply_count
    from ticket_events
    inner join support_users
        on ticket_events.author_user_id = support_users.support_user_id
    where ticket_events.ticket_event_type = 'Comment'
        and ticket_events.is_public
        and support_users.user_role in ('agent', 'admin')
    group by ticket_events.ticket_id

),

status_changes as (

    select
        ticket_id,
        min(case when new_value in ('solved', 'closed') then created_at end) as first_solved_at,
        count(case when previous_value in ('solved', 'closed') and new_value not in ('solved', 'closed')
                then 1
        end) as reopen_count
    from ticket_events
    where ticket_event_type = 'Change'
        and changed_field_name = 'status'
    group by ticket_id

),

escalations as (

    select
        ticket_events.ticket_id,
        count(*) as escalation_count
    from ticket_events
    inner join groups
        on ticket_events.new_value = cast(groups.group_id as {{ dbt.type_string() }})
    where ticket_events.ticket_event_type = 'Change'
        and ticket_events.changed_field_name = 'group_id'
        and lower(groups.group_name) like '%escalat%'
    group by ticket_events.ticket_id

),

latest_ratings as (

    select
        ticket_id,
        satisfaction_score
    from (
        select
            ticket_id,
            satisfaction_score,
            row_number() over (partition by ticket_id order by updated_at desc, satisfaction_rating_id desc)
                as rating_rank
        from satisfaction_ratings
        where satisfaction_score in ('good', 'bad')
    ) as ranked
    where rating_rank = 1

),

final as (

    select
        tickets.ticket_id,
        coalesce(organization_clusters.customer_id, persons.customer_id) as customer_id,
        person_clusters.person_id as requester_person_id,
        tickets.requester_user_id,
        tickets.assignee_user_id,
        tickets.organization_id,
        tickets.group_id,
        groups.group_name,
        tickets.ticket_status,
        tickets.ticket_priority,
        tickets.ticket_type,
        tickets.ticket_channel,
        tickets.ticket_status not in ('solved', 'closed') as is_open,
        coalesce(escalations.escalation_count, 0) > 0 as is_escalated,
        coalesce(escalations.escalation_count, 0) as escalation_count,
        coalesce(status_changes.reopen_count, 0) as reopen_count,
        coalesce(agent_replies.agent_reply_count, 0) as agent_reply_count,
        latest_ratings.satisfaction_score,
        agent_replies.first_replied_at,
        status_changes.first_solved_at,
        {{ dbt.datediff('tickets.created_at', 'agent_replies.first_replied_at', 'minute') }}
            as first_reply_minutes,
        {{ dbt.datediff('tickets.created_at', 'status_changes.first_solved_at', 'minute') }}
            as resolution_minutes,
        tickets.created_at,
        cast(tickets.created_at as date) as created_date,
        tickets.updated_at
    from tickets
    left join groups
        on tickets.group_id = groups.group_id
    left join agent_replies
        on tickets.ticket_id = agent_replies.ticket_id
    left join status_changes
        on tickets.ticket_id = status_changes.ticket_id
    left join escalations
        on tickets.ticket_id = escalations.ticket_id
    left join latest_ratings
        on tickets.ticket_id = latest_ratings.ticket_id
    left join organization_clusters
        on organization_clusters.record_key
        = 'support:organizations:' || cast(tickets.organization_id as {{ dbt.type_string() }})
    left join person_clusters
        on person_clusters.record_key = 'support:users:' || cast(tickets.requester_user_id as {{ dbt.type_string() }})
    left join persons
        on person_clusters.person_id = persons.person_id

)

select * from final
