"""``transform``: when every source has loaded, build the marts, judge them, publish them.

dbt_build → quality_gate → publish, all in the one-slot ``duckdb_writer`` pool (each writes the
warehouse). Scheduled on the three ``crm_raw_<source>`` Assets; ``publish`` updates ``crm_serving_marts``.
"""

from __future__ import annotations

from typing import Any

from airflow.sdk import chain, dag, task

from crm import dag_tasks
from crm.dag_defaults import DEFAULT_ARGS, SERVING, SOURCES, START_DATE, WRITER_POOL, raw_asset

DOC = """
### Transform, gate, publish

Runs when **all three** sources have loaded since the last run (Assets `crm_raw_sales`,
`crm_raw_support`, `crm_raw_marketing`); one run at a time (`max_active_runs=1`), every task in the
one-slot `duckdb_writer` pool — the warehouse has one writer.

- `dbt_build` — `dbt build` of `dbt_project/` (seeds, models, snapshots, tests), one log line per
  model. Failing models or error-severity tests: no retry, notify.
- `quality_gate` — the policy's checks on the landed batches of the day (`quality.gate.run_checks`),
  results in `ops.check_results` under this run's id. A block (strategic pain): no retry, notify,
  nothing published.
- `publish` — `crm.publish.publish`: the marts only, into a new DuckDB file (storage v1.5.0), the marts
  suite on it, then an atomic swap; updates Asset `crm_serving_marts`. Otherwise the last good serving
  file stays.

Publishing is a task of this DAG rather than its own DAG so that the gate's verdict and the marts it
judged belong to one build (see DECISIONS.md).
"""


@dag(
    dag_id="transform",
    description="dbt build, quality gate and atomic publish of the marts",
    schedule=[raw_asset(source) for source in SOURCES],
    start_date=START_DATE,
    catchup=False,
    max_active_runs=1,
    default_args=DEFAULT_ARGS,
    tags=["crm", "dbt", "quality", "publish"],
    doc_md=DOC,
)
def transform() -> None:
    @task(task_id="dbt_build", pool=WRITER_POOL)
    def dbt_build() -> dict:
        return dag_tasks.build_warehouse()

    @task(task_id="quality_gate", pool=WRITER_POOL)
    def quality_gate(**context: Any) -> dict:
        days = dag_tasks.gate_dates(context["dag_run"].conf, context["triggering_asset_events"])
        return dag_tasks.quality_gate(context["run_id"], days)

    @task(task_id="publish", pool=WRITER_POOL, outlets=[SERVING])
    def publish(**context: Any) -> dict:
        return dag_tasks.publish_marts(context["run_id"])

    @task(task_id="report")
    def report(**context: Any) -> dict:
        # Reads only the published serving file, so it needs no writer slot.
        day = dag_tasks.gate_date(context["dag_run"].conf, context["triggering_asset_events"])
        return dag_tasks.write_segment_report(day)

    chain(dbt_build(), quality_gate(), publish(), report())


transform()
