{#
    One row per ticket, tracked field (status, group, priority) and day on which the field's end-of-day
    value was set, valid up to (not including) valid_to_date — null while it is still the value. The
    values a ticket starts with come from the earliest change's previous value (or, with no change, the
    ticket's current value; status starts as "new"); the ticket's current status counts as a change at
    its last update (a late status event does not leave it open); several changes on one day keep the
    day's last.
    The daily backlog reads a ticket's queue, priority and status on any day from here; `field_label`
    is the queue's name for the group field, the value itself otherwise.
#}
with

tickets as (

    select * from {{ ref('stg_support__tickets') }}

),

ticket_events as (

    select * from {{ ref('stg_support__ticket_events') }}

),

groups as (

    select * from {{ ref('stg_support__groups') }}

),

changes as (

    select
        ticket_events.ticket_id,
        ticket_events.changed_field_name as field_name,
        lower(trim(ticket_events.new_value)) as field_value,
        lower(trim(ticket_events.previous_value)) as previous_value,
        ticket_events.created_at as changed_at,
        ticket_events.ticket_event_id as change_order
    from ticket_events
    inner join tickets
        on ticket_events.ticket_id = tickets.ticket_id
    where ticket_events.ticket_event_type in ('Create', 'Change')
        and ticket_events.changed_field_name in ('status', 'group_id', 'priority')

),

first_changes as (

    select
        ticket_id,
        field_name,
        previous_value
    from (
        select
            ticket_id,
            field_name,
            previous_value,
            row_number() over (partition by ticket_id, field_name order by changed_at, change_order) as change_rank
        from changes
    ) as ranked
    where change_rank = 1

),

tracked_fields as (

    select 'status' as field_name
    union all
    select 'group_id' as field_name
    union all
    select 'priority' as field_name

),

initial_values as (

    select
        tickets.ticket_id,
        tracked_fields.field_name,
        case tracked_fields.field_name
            when 'status' then 'new'
            when 'group_id'
                then coalesce(first_changes.previous_value, cast(tickets.group_id as {{ dbt.type_string() }}))
            else coalesce(first_changes.previous_value, tickets.ticket_priority)
        end as field_value,
        tickets.created_at as changed_at,
        cast(-1 as {{ dbt.type_bigint() }}) as change_order
    from tickets
    cross join tracked_fields
    left join first_changes
        on tickets.ticket_id = first_changes.ticket_id
        and tracked_fields.field_name = first_changes.field_name

),

-- the help desk writes a ticket version at every status change: its current status, as of its last
-- update, stands even when the event that set it arrives late (an event at the same moment wins)
current_statuses as (

    select
        ticket_id,
        'status' as field_name,
        ticket_status as field_value,
        updated_at as changed_at,
        cast(0 as {{ dbt.type_bigint() }}) as change_order
    from tickets
    where ticket_status is not null
        and ticket_status <> 'unknown'

),

all_values as (

    select
        ticket_id,
        field_name,
        field_value,
        changed_at,
        change_order
    from initial_values
    union all
    select
        ticket_id,
        field_name,
        field_value,
        changed_at,
        change_order
    from changes
    union all
    select
        ticket_id,
        field_name,
        field_value,
        changed_at,
        change_order
    from current_statuses

),

last_of_day as (

    select
        ticket_id,
        field_name,
        field_value,
        valid_from_date
    from (
        select
            ticket_id,
            field_name,
            field_value,
            cast(changed_at as date) as valid_from_date,
            row_number() over (
                partition by ticket_id, field_name, cast(changed_at as date)
                order by changed_at desc, change_order desc
            ) as day_rank
        from all_values
    ) as ranked
    where day_rank = 1

),

final as (

    select
        last_of_day.ticket_id,
        last_of_day.field_name,
        last_of_day.field_value,
        case
            when last_of_day.field_name = 'group_id' then coalesce(groups.group_name, 'Unknown')
            else last_of_day.field_value
        end as field_label,
        last_of_day.valid_from_date,
        lead(last_of_day.valid_from_date) over (
            partition by last_of_day.ticket_id, last_of_day.field_name order by last_of_day.valid_from_date
        ) as valid_to_date
    from last_of_day
    left join groups
        on last_of_day.field_name = 'group_id'
        and last_of_day.field_value = cast(groups.group_id as {{ dbt.type_string() }})

)

select * from final
