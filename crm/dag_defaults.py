"""What every CRM DAG shares: owner, start date, retries with backoff, the retry policy, notification,
the writer pool and the Assets that link the DAGs.

Configuration only. Imported by the DAG files at parse time, so it imports nothing heavy: the task
bodies live in ``crm.dag_tasks`` and import their packages when they run.
"""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta
from typing import Any

from airflow.sdk import Asset, ExceptionRetryPolicy, RetryAction, RetryRule

from crm.dag_tasks import NotRetryable
from crm.notify import on_failure_callback

OWNER = "data-engineering"
START_DATE = datetime(2024, 11, 1, tzinfo=UTC)  # the first day of the default simulated history
WRITER_POOL = "duckdb_writer"  # one slot: DuckDB allows one read-write process per file
SOURCES = ("sales", "support", "marketing")

# Every task that can meet a passing fault (a source down, a timeout, a busy file) retries 3 times,
# waiting 1, 2, then 4 minutes; CRM_RETRY_DELAY_SECONDS shortens the first wait (tests, demos).
RETRIES = 3
RETRY_DELAY = timedelta(seconds=float(os.environ.get("CRM_RETRY_DELAY_SECONDS", "60")))
RETRY_BACKOFF = 2.0
MAX_RETRY_DELAY = timedelta(minutes=30)

# Bad data is not a passing fault: a rejected batch, a failing dbt test or a quality block fails the
# task at once (no retries) and notifies.
RETRY_POLICY = ExceptionRetryPolicy(
    rules=[
        RetryRule(
            exception=NotRetryable,
            action=RetryAction.FAIL,
            reason="the data or its contract is wrong: a retry would read the same bytes",
        )
    ]
)

DEFAULT_ARGS: dict[str, Any] = {
    "owner": OWNER,
    "retries": RETRIES,
    "retry_delay": RETRY_DELAY,
    "retry_exponential_backoff": RETRY_BACKOFF,
    "max_retry_delay": MAX_RETRY_DELAY,
    "retry_policy": RETRY_POLICY,
    "on_failure_callback": on_failure_callback,
}


def raw_asset(source: str) -> Asset:
    """Updated when a source's batches are loaded into the warehouse's ``raw`` schema."""
    return Asset(name=f"crm_raw_{source}", uri=f"crm://warehouse/raw/{source}", group="crm")


# Updated when a new serving database (the published marts) has been swapped in.
SERVING = Asset(name="crm_serving_marts", uri="crm://serve/marts", group="crm")
