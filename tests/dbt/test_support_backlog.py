"""The daily support backlog against the help desk's own history (the world's ticket versions).

The help desk writes a ticket version at every status change, so the world's versions are each ticket's
true status on every day. The warehouse only sees what the help desk has published by the data clock:
its current ticket versions and the change events, some of which are published days late (late_event
dirt). The backlog must equal the truth on every day, except where a status change is still unpublished
at the clock while a later change of the same ticket is not — the help desk shows no trace of when it
happened until its event arrives.
"""

from __future__ import annotations

import polars as pl
import pytest
from dbt_warehouse import TruthWarehouse

pytestmark = pytest.mark.slow


def test_backlog_open_and_created_tickets_equal_the_help_desks_versions_every_day(
    truth_warehouse: TruthWarehouse,
) -> None:
    """Open tickets at each day's end (all queues and priorities) and tickets created that day, from the
    first ticket to the data clock. Duplicate tickets the agents deleted are not tickets (staging drops
    them), so the truth leaves them out too. Tolerated on a day: one ticket per status change that is
    unpublished at the clock and followed by a published change, from the day it happened to the day of
    that next change; on the clock's day the current versions decide, so nothing is tolerated there."""
    support = truth_warehouse.settings.world_dir / "support"
    versions, events = support / "tickets.parquet", support / "ticket_events.parquet"
    clock_end = f"timestamptz '{truth_warehouse.last_day}' + interval 1 day"
    with truth_warehouse.connect() as con:
        con.sql("set TimeZone = 'UTC'")
        days = con.sql(f"""
            with

            versions as (
                select id as ticket_id, status, updated_at, cast(created_at as date) as created_date
                from read_parquet('{versions}')
                where id not in (select id from read_parquet('{versions}') where status = 'deleted')
            ),

            backlog as (
                select
                    backlog_date,
                    sum(open_tickets) as open_tickets,
                    sum(created_tickets) as created_tickets
                from marts.support_backlog_daily
                group by backlog_date
            ),

            status_by_day_end as (
                select
                    backlog.backlog_date,
                    versions.ticket_id,
                    arg_max(versions.status, versions.updated_at) as status
                from backlog
                inner join versions on cast(versions.updated_at as date) <= backlog.backlog_date
                group by backlog.backlog_date, versions.ticket_id
            ),

            open_truth as (
                select
                    backlog_date,
                    count(*) filter (where status not in ('solved', 'closed')) as open_tickets
                from status_by_day_end
                group by backlog_date
            ),

            created_truth as (
                select created_date, count(distinct ticket_id) as created_tickets
                from versions
                group by created_date
            ),

            status_events as (
                select ticket_id, created_at, _visible_at < {clock_end} as is_published
                from read_parquet('{events}')
                where field_name = 'status'
            ),

            unobservable_gaps as (
                select
                    cast(unpublished.created_at as date) as from_date,
                    cast(min(published.created_at) as date) as to_date
                from status_events as unpublished
                inner join status_events as published
                    on unpublished.ticket_id = published.ticket_id
                    and published.created_at > unpublished.created_at
                    and published.is_published
                where not unpublished.is_published
                group by unpublished.ticket_id, unpublished.created_at
            )

            select
                backlog.backlog_date,
                cast(backlog.open_tickets as bigint) as open_tickets,
                open_truth.open_tickets as true_open_tickets,
                cast(backlog.created_tickets as bigint) as created_tickets,
                coalesce(created_truth.created_tickets, 0) as true_created_tickets,
                (
                    select count(*) from unobservable_gaps
                    where backlog.backlog_date >= from_date and backlog.backlog_date < to_date
                ) as tolerated
            from backlog
            left join open_truth on backlog.backlog_date = open_truth.backlog_date
            left join created_truth on backlog.backlog_date = created_truth.created_date
            order by backlog.backlog_date
        """).pl()
        first_ticket_date = con.sql(f"""
            select min(cast(created_at as date)) from read_parquet('{versions}')
            where id not in (select id from read_parquet('{versions}') where status = 'deleted')
        """).fetchall()[0][0]
    assert days["backlog_date"].min() == first_ticket_date
    assert days["backlog_date"].max() == truth_warehouse.last_day
    assert days.height == (truth_warehouse.last_day - first_ticket_date).days + 1
    assert (days["open_tickets"] > 0).mean() > 0.9  # the backlog is rarely empty: not a vacuous match
    assert days.filter(pl.col("created_tickets") != pl.col("true_created_tickets")).is_empty()
    assert days["open_tickets"][-1] == days["true_open_tickets"][-1]
    off = days.filter((pl.col("open_tickets") - pl.col("true_open_tickets")).abs() > pl.col("tolerated"))
    assert off.is_empty(), off
    assert days["tolerated"].sum() <= truth_warehouse.scaled(5)
