"""``ingest_sales``, ``ingest_support``, ``ingest_marketing``: one DAG per source, the same three steps.

extract (lands Parquet, parallel across sources) → load (the single warehouse writer, one-slot pool)
→ check_contract (fails, without retrying, if the source delivered a batch that broke its contract).
``load`` updates the source's Asset, which schedules ``transform``.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from airflow.sdk import CronDataIntervalTimetable, chain, dag, task

from crm import dag_tasks
from crm.dag_defaults import DEFAULT_ARGS, SOURCES, START_DATE, WRITER_POOL, raw_asset

# When each source's day D is complete: the run for D starts at the end of D plus a margin.
# CronDataIntervalTimetable makes the run's logical date the start of D (Airflow 3's default cron
# timetable would stamp it with the trigger time, the day after).
SCHEDULES = {
    "sales": "0 1 * * *",  # the CRM database is current at once; 01:00 UTC leaves room for late commits
    "support": "0 1 * * *",  # the help desk's incremental export is current at once
    "marketing": "0 7 * * *",  # the platform drops the day's files by 06:00 UTC
}

DOCS = {
    "sales": "the sales CRM database (SQL: SQLite by default, PostgreSQL via `CRM_SALES_DB_URL`), "
    "windowed on `system_modstamp` up to the end of the logical date",
    "support": "the help desk's Zendesk-style incremental export API (`CRM_SUPPORT_URL`, "
    "`CRM_SUPPORT_TOKEN`), resumed from the last landed cursor",
    "marketing": "the marketing platform's file drops (inbox folders with a `_manifest.json`), "
    "every folder up to the logical date and every re-delivered file",
}

DOC_TEMPLATE = """
### Ingest {source}

Extracts {what}, lands it as immutable Parquet batches with manifests (rows that break the contract
go to quarantine with a reason), then loads every landed batch into `raw`.

- `extract` — `ingestion.run.extract`; never opens the warehouse, so it runs in parallel with the
  other sources; 3 retries with exponential backoff.
- `load` — `ingestion.run.load` in the one-slot `duckdb_writer` pool (the warehouse's single writer);
  updates Asset `crm_raw_{source}`; 3 retries with exponential backoff.
- `check_contract` — fails, without retrying, if a batch of this date was rejected whole (the source
  must re-deliver it; the other batches loaded).

Logical date D = what the source shows up to the end of D (UTC). `catchup=False`: backfill with
`crm dags run --from D1 --to D2` or `airflow backfill create --dag-id ingest_{source} ...`.
Runs of one source are serial (`max_active_runs=1`): each day resumes where the previous one ended.
On failure: `crm.notify` (webhook, e-mail or log).
"""


def _day(context: dict[str, Any]) -> date:
    """The logical date D of the run (the day the data covers), never the wall clock."""
    return context["logical_date"].date()


def ingest_dag(source: str) -> None:
    """Declare the DAG ``ingest_<source>``."""
    asset = raw_asset(source)

    @dag(
        dag_id=f"ingest_{source}",
        description=f"Extract {source} to landing, load it into raw",
        schedule=CronDataIntervalTimetable(SCHEDULES[source], timezone="UTC"),
        start_date=START_DATE,
        catchup=False,
        max_active_runs=1,
        default_args=DEFAULT_ARGS,
        tags=["crm", "ingestion", source],
        doc_md=DOC_TEMPLATE.format(source=source, what=DOCS[source]),
    )
    def ingest() -> None:
        @task(task_id="extract")
        def extract(**context: Any) -> dict:
            return dag_tasks.extract_source(source, _day(context))

        @task(task_id="load", pool=WRITER_POOL, outlets=[asset])
        def load(**context: Any) -> dict:
            summary = dag_tasks.load_source(source)
            # transform's quality gate reads which day these batches belong to from the event
            context["outlet_events"][asset].extra = {"logical_date": _day(context).isoformat(), **summary}
            return summary

        @task(task_id="check_contract", retries=0)
        def check_contract(**context: Any) -> dict:
            return dag_tasks.check_contract(source, _day(context))

        chain(extract(), load(), check_contract())

    ingest()


for _source in SOURCES:
    ingest_dag(_source)
