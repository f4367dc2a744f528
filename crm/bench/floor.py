"""The floor: the least work the job needs, as one DuckDB pass over the landing Parquet.

It reads the landed batches directly (no raw tables, no dbt, no checks, no publish) and computes the
customer 360's core aggregates per sales account — revenue in USD and order count from the latest
version of each order, tickets through the help desk organisation's ``external_id``, and email
engagement (delivered, opened, clicked) through the marketing contact's CRM contact. The full
pipeline ÷ this is the overhead ratio of targets.md (≤ 4×).

Run as its own process, like every timed stage: ``python -m crm.bench.floor <landing dir>``; prints
one JSON line (customers, rows read, seconds). ``CRM_DUCKDB_MEMORY_LIMIT`` applies as for dbt.
"""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path

import duckdb

# One entity's landed batches; ``*[0-9].parquet`` leaves out the ``.quarantine.parquet`` files.
ENTITIES = {
    "accounts": "sales/account",
    "orders": "sales/order",
    "rates": "sales/currency_rate",
    "sales_contacts": "sales/contact",
    "organizations": "support/organizations",
    "tickets": "support/tickets",
    "marketing_contacts": "marketing/contacts",
    "email_events": "marketing/email_events",
}

FLOOR_SQL = """
create table customer_360_floor as
with
accounts as (
    select * from {accounts} qualify row_number() over (partition by id order by system_modstamp desc) = 1
),
orders as (
    select * from {orders} qualify row_number() over (partition by id order by system_modstamp desc) = 1
),
revenue as (
    select
        orders.account_id,
        count(*) as order_count,
        sum(
            case when orders.status = 'Returned' then -1 else 1 end
            * orders.total_amount / coalesce(rates.conversion_rate, 1)
        ) as revenue_usd,
    from orders
    left join {rates} as rates
        on rates.iso_code = orders.currency_iso_code
        and orders.effective_date >= rates.start_date
        and orders.effective_date < coalesce(rates.next_start_date, date '9999-12-31')
    where orders.status in ('Activated', 'Fulfilled', 'Returned')
    group by all
),
organizations as (
    select * from {organizations}
    qualify row_number() over (partition by id order by updated_at desc) = 1
),
tickets as (
    select * from {tickets} qualify row_number() over (partition by id order by updated_at desc) = 1
),
ticket_counts as (
    select organizations.external_id as account_id, count(*) as ticket_count,
    from tickets
    inner join organizations on organizations.id = tickets.organization_id
    where organizations.external_id is not null
    group by all
),
marketing_contacts as (
    select * from {marketing_contacts}
    qualify row_number() over (partition by contact_id order by updated_at desc) = 1
),
sales_contacts as (
    select * from {sales_contacts}
    qualify row_number() over (partition by id order by system_modstamp desc) = 1
),
engagement as (
    select
        sales_contacts.account_id,
        count(*) filter (where events.type = 'DELIVERED') as emails_delivered,
        count(*) filter (where events.type = 'OPEN') as email_opens,
        count(*) filter (where events.type = 'CLICK') as email_clicks,
    from {email_events} as events
    inner join marketing_contacts on marketing_contacts.contact_id = events.contact_id
    inner join sales_contacts on sales_contacts.id = marketing_contacts.crm_contact_id
    group by all
)
select
    accounts.id as account_id,
    accounts.name as customer_name,
    coalesce(revenue.revenue_usd, 0) as lifetime_revenue_usd,
    coalesce(revenue.order_count, 0) as order_count,
    coalesce(ticket_counts.ticket_count, 0) as ticket_count,
    coalesce(engagement.emails_delivered, 0) as emails_delivered,
    engagement.email_opens / nullif(engagement.emails_delivered, 0) as email_open_rate,
    engagement.email_clicks / nullif(engagement.emails_delivered, 0) as email_click_rate,
from accounts
left join revenue on revenue.account_id = accounts.id
left join ticket_counts on ticket_counts.account_id = accounts.id
left join engagement on engagement.account_id = accounts.id
"""


def batch_files(landing_dir: Path, entity: str) -> list[str]:
    files = sorted(str(path) for path in landing_dir.glob(f"{entity}/date=*/*[0-9].parquet"))
    if not files:
        raise FileNotFoundError(f"no landed batches of {entity} under {landing_dir}")
    return files


def compute(landing_dir: Path, memory_limit: str | None = None) -> dict[str, float | int]:
    """Build the floor's customer table in memory; return customers, rows read and seconds."""
    started = time.perf_counter()
    files = {name: batch_files(landing_dir, entity) for name, entity in ENTITIES.items()}
    relations = {
        name: f"read_parquet({paths!r}, union_by_name = true, hive_partitioning = false)"
        for name, paths in files.items()
    }
    with duckdb.connect(config={"memory_limit": memory_limit} if memory_limit else {}) as con:
        con.execute("set TimeZone = 'UTC'")
        con.execute(FLOOR_SQL.format(**relations))
        customers = con.execute("select count(*) from customer_360_floor").fetchone()
        everything = [path for paths in files.values() for path in paths]
        read = con.execute("select sum(num_rows) from parquet_file_metadata(?)", [everything]).fetchone()
    return {
        "customers": int(customers[0]) if customers else 0,
        "rows_read": int(read[0]) if read and read[0] is not None else 0,
        "seconds": round(time.perf_counter() - started, 3),
    }


def main(arguments: list[str]) -> int:
    if len(arguments) != 1:
        print("usage: python -m crm.bench.floor <landing dir>", file=sys.stderr)
        return 2
    print(json.dumps(compute(Path(arguments[0]), os.environ.get("CRM_DUCKDB_MEMORY_LIMIT"))))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
