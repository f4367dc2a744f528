"""The transports: expose the simulated world as of a clock date, the way the real systems would.

- sales CRM → a SQL database (``sales_db``: SQLite file by default, PostgreSQL given a URL),
- help desk → a REST API (``support_api``: reads the clock on every request),
- marketing platform → daily file drops (``marketing_inbox``).

``advance(settings, to)`` moves the clock: it brings the sales database and the inbox to ``to`` and
then writes the clock file, which the support API reads. The as-of rule itself lives in ``clock``.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from datetime import date
from typing import Any

from crm.settings import Settings

log = logging.getLogger(__name__)

__all__ = ["advance", "status"]


def advance(
    settings: Settings,
    to: date,
    sales_db_url: str | None = None,
    progress: Callable[[str, str, int], None] | None = None,
) -> dict[str, int]:
    """Move every source to clock date ``to``; return rows written or revealed per ``source.entity``.

    Sales rows are those upserted into the database, marketing rows those in files (re)written in
    the inbox, support rows the records the API shows that were created or changed since the
    previous clock date (all of them when moving backwards or starting). ``progress`` is called
    with (source, step, rows) as work completes.
    """
    from seeds.transports import clock, marketing_inbox, sales_db
    from seeds.transports.contract import SUPPORT

    previous = clock.read_clock(settings)
    summary: dict[str, int] = {}
    summary |= sales_db.sync(
        settings, to, sales_db_url, (lambda step, rows: progress("sales", step, rows)) if progress else None
    )
    summary |= marketing_inbox.sync(
        settings, to, (lambda step, rows: progress("marketing", step, rows)) if progress else None
    )
    since = previous if previous is not None and previous <= to else None
    for entity in SUPPORT:
        revealed = clock.changed(clock.scan(settings, entity), entity.key, since, to).select("id").collect()
        summary[entity.qualified] = revealed.height
    clock.write_clock(settings, to)
    log.info("sources are now as of %s (were %s)", to, previous or "unset")
    return summary


def status(settings: Settings, sales_db_url: str | None = None) -> dict[str, Any]:
    """The clock date and what each source shows at it (rows per entity)."""
    import polars as pl

    from seeds.transports import clock, marketing_inbox, sales_db
    from seeds.transports.contract import SUPPORT

    as_of = clock.read_clock(settings)
    url = sales_db_url or settings.sales_db_url
    report: dict[str, Any] = {"as_of": as_of, "sales_as_of": sales_db.as_of_date(url), "entities": {}}
    if report["sales_as_of"] is not None:
        report["entities"] |= {f"sales.{k}": v for k, v in sales_db.row_counts(url).items()}
    if as_of is None:
        return report
    for entity in SUPPORT:
        shown = clock.as_of(clock.scan(settings, entity), entity.key, as_of).select(pl.len()).collect().item()
        report["entities"][entity.qualified] = shown
    inbox = settings.marketing_inbox
    manifests = sorted(inbox.glob(f"*/{marketing_inbox.MANIFEST}")) if inbox.exists() else []
    report["marketing_folders"] = len(manifests)
    for path in manifests:
        for entry in json.loads(path.read_text(encoding="utf-8"))["files"]:
            key = f"marketing.{entry['file_kind']}"
            report["entities"][key] = report["entities"].get(key, 0) + entry["row_count"]
    return report
