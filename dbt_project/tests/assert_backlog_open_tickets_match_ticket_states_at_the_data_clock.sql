{#
    The daily backlog agrees with the tickets: on its last day (the help desk's data clock) the backlog's
    open tickets are the tickets whose current status is open (not solved or closed), and over all days
    every ticket was created exactly once. Compared in total, not per queue: the help desk writes a new
    ticket version only when the status changes, so a ticket's exported queue can lag an escalation the
    events (which place the backlog) already show. Returns the measures that disagree.
#}
{{ governed_by_policy('dbt.support_backlog_daily.open_tickets_agree') }}

with

last_day as (

    select max(backlog_date) as backlog_date from {{ ref('support_backlog_daily') }}

),

backlog as (

    select
        sum(case when backlog.backlog_date = last_day.backlog_date then backlog.open_tickets else 0 end)
            as open_tickets,
        sum(backlog.created_tickets) as created_tickets
    from {{ ref('support_backlog_daily') }} as backlog
    cross join last_day

),

tickets as (

    select
        count(case when is_open then 1 end) as open_tickets,
        count(*) as created_tickets
    from {{ ref('support_tickets') }}

)

select
    'open at the data clock' as measure,
    backlog.open_tickets as backlog_tickets,
    tickets.open_tickets as ticket_states
from backlog
cross join tickets
where backlog.open_tickets <> tickets.open_tickets
union all
select
    'created' as measure,
    backlog.created_tickets as backlog_tickets,
    tickets.created_tickets as ticket_states
from backlog
cross join tickets
where backlog.created_tickets <> tickets.created_tickets
