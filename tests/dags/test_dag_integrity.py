"""The whole DagBag: imports cleanly, is configured as the style guide says, and does no work at parse time.

Parsing runs in a fresh process (``dag_probe.py``) with sockets blocked, so a DAG file that opened a
database or HTTP connection at import fails here; "no heavy imports at parse time" is measured as the
set of heavy modules the DAG files add to what ``airflow.sdk`` imports anyway — not as a timing.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from crm.airflow_env import WRITER_POOL

PROBE = Path(__file__).with_name("dag_probe.py")
EXPECTED_DAGS = {"ingest_sales", "ingest_support", "ingest_marketing", "transform"}
WAREHOUSE_WRITERS = {
    ("ingest_sales", "load"),
    ("ingest_support", "load"),
    ("ingest_marketing", "load"),
    ("transform", "dbt_build"),
    ("transform", "quality_gate"),
    ("transform", "publish"),
}


def _probe(mode: str, tmp_path: Path) -> dict[str, Any]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AIRFLOW")}
    env["AIRFLOW_HOME"] = str(tmp_path / "airflow")
    done = subprocess.run(
        [sys.executable, str(PROBE), mode], capture_output=True, text=True, env=env, timeout=120, check=False
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


@pytest.fixture(scope="module")
def dagbag(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    return _probe("bag", tmp_path_factory.mktemp("bag"))


def test_every_dag_file_imports_without_errors_and_defines_the_chain(dagbag: dict[str, Any]) -> None:
    assert dagbag["errors"] == {}
    assert set(dagbag["dags"]) == EXPECTED_DAGS


def test_parsing_opens_no_connection_and_imports_no_heavy_module(tmp_path: Path) -> None:
    parsed = _probe("parse", tmp_path)
    assert parsed["errors"] == {}
    assert parsed["heavy"] == []  # polars, duckdb, dbt, GX, the pipeline packages: only inside tasks


def test_every_dag_states_owner_tags_docs_start_date_and_catchup(dagbag: dict[str, Any]) -> None:
    for dag_id, dag in dagbag["dags"].items():
        assert dag["owner"] == "data-engineering", dag_id
        assert "crm" in dag["tags"] and len(dag["tags"]) >= 2, dag_id
        assert dag["doc_md"], dag_id
        assert dag["start_date"] == "2024-11-01T00:00:00+00:00", dag_id
        assert dag["catchup"] is False, dag_id
        assert dag["max_active_runs"] == 1, dag_id


def test_ingest_dags_run_daily_on_their_data_interval_and_feed_transform(dagbag: dict[str, Any]) -> None:
    for source in ("sales", "support", "marketing"):
        dag = dagbag["dags"][f"ingest_{source}"]
        assert dag["timetable"] == "CronDataIntervalTimetable"  # logical date = the day the data covers
        assert dag["tasks"]["load"]["outlets"] == [f"crm_raw_{source}"]
        assert dag["tasks"]["load"]["upstream"] == ["extract"]
        assert dag["tasks"]["check_contract"]["upstream"] == ["load"]
    transform = dagbag["dags"]["transform"]
    assert transform["asset_schedule"] == ["crm_raw_marketing", "crm_raw_sales", "crm_raw_support"]
    assert transform["tasks"]["publish"]["outlets"] == ["crm_serving_marts"]
    assert transform["tasks"]["publish"]["upstream"] == ["quality_gate"]
    assert transform["tasks"]["quality_gate"]["upstream"] == ["dbt_build"]


def test_retries_back_off_where_a_retry_can_help_and_bad_data_fails_at_once(dagbag: dict[str, Any]) -> None:
    for dag_id, dag in dagbag["dags"].items():
        for task_id, task in dag["tasks"].items():
            assert task["owner"] == "data-engineering"
            assert task["on_failure_callback"], f"{dag_id}.{task_id} notifies nobody"
            assert task["retry_policy"] == "ExceptionRetryPolicy", f"{dag_id}.{task_id}"
            if task_id == "check_contract":
                assert task["retries"] == 0  # a contract failure is not transient
            else:
                assert task["retries"] == 3 and task["backoff"] == 2.0, f"{dag_id}.{task_id}"


def test_every_task_that_writes_the_warehouse_runs_in_the_one_slot_pool(dagbag: dict[str, Any]) -> None:
    writers = {
        (dag_id, task_id)
        for dag_id, dag in dagbag["dags"].items()
        for task_id, task in dag["tasks"].items()
        if task["pool"] == WRITER_POOL
    }
    assert writers == WAREHOUSE_WRITERS
    for source in ("sales", "support", "marketing"):  # extraction never opens the warehouse: parallel
        assert dagbag["dags"][f"ingest_{source}"]["tasks"]["extract"]["pool"] == "default_pool"


def test_the_retry_policy_fails_bad_data_at_once_and_retries_everything_else() -> None:
    from airflow.sdk import RetryAction

    from crm import dag_tasks
    from crm.dag_defaults import RETRY_POLICY

    for error in (
        dag_tasks.ContractViolation("rejected batch"),
        dag_tasks.QualityGateBlocked("blocked"),
        dag_tasks.DbtBuildFailed("dbt test failed"),
    ):
        assert RETRY_POLICY.evaluate(error, 1, 4).action is RetryAction.FAIL
    for error in (ConnectionRefusedError("sales db down"), TimeoutError("support API"), OSError("busy")):
        assert RETRY_POLICY.evaluate(error, 1, 4).action is RetryAction.DEFAULT
