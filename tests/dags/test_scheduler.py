"""A real Airflow: api-server + scheduler + dag-processor (LocalExecutor) on a PostgreSQL metadata DB.

The three ingest DAGs are triggered for one logical date; the test waits (bounded) until their Assets
have triggered ``transform`` and its ``publish`` task has swapped in a serving database. The ingest
runs execute concurrently: the extracts in parallel, the loads through the one-slot pool — every task
must succeed on its first try (a DuckDB lock error would fail it and show as a retry).

The marts' numbers are not judged here (the quality tests and the dag.test() end-to-end test do that
with the shipped policy): this test runs with the shipped policy minus its GX mart checks, so it
measures the orchestration alone.
"""

from __future__ import annotations

import contextlib
import itertools
import secrets
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import duckdb
import psycopg
import pytest
import yaml

from crm.airflow_env import airflow_settings
from crm.settings import Settings
from tests.dags.conftest import CRM, DAYS, REPO, run_env

pytestmark = [pytest.mark.slow, pytest.mark.postgres]
AIRFLOW = str(Path(CRM).with_name("airflow"))
DEADLINE_SECONDS = 420


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _orchestration_policy(path: Path) -> Path:
    policy = yaml.safe_load((REPO / "quality" / "policy.yml").read_text(encoding="utf-8"))
    policy["checks"] = [
        c for c in policy["checks"] if not (c["target"].startswith("mart:") and c["kind"] != "dbt_test")
    ]
    path.write_text(yaml.safe_dump(policy, sort_keys=False), encoding="utf-8")
    return path


@contextlib.contextmanager
def _airflow(env: dict[str, str], logs: Path) -> Iterator[None]:
    """Start the three Airflow services; stop exactly those processes afterwards."""
    processes = []
    try:
        for command in (["api-server", "--port", env["CRM_TEST_API_PORT"]], ["scheduler"], ["dag-processor"]):
            log = (logs / f"{command[0]}.log").open("w")
            processes.append(
                subprocess.Popen([AIRFLOW, *command], env=env, stdout=log, stderr=subprocess.STDOUT, cwd=REPO)
            )
        yield
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()


def _query(url: str, sql: str, *params: object) -> list[tuple]:
    with psycopg.connect(url) as conn:
        return conn.execute(sql, params).fetchall()


def test_assets_trigger_transform_and_publish_under_a_real_scheduler(
    world: Settings, postgres_url: str, tmp_path: Path
) -> None:
    from seeds.transports.support_api import start_server

    day = DAYS[-1]
    metadata = postgres_url.replace("postgresql://", "postgresql+psycopg2://", 1)
    api_port = _free_port()
    server = start_server(world, port=0, token=world.support_token)
    env = run_env(
        world.data_dir,
        CRM_SUPPORT_URL=server.url,
        CRM_QUALITY_POLICY=str(_orchestration_policy(tmp_path / "policy.yml")),
        CRM_TEST_API_PORT=str(api_port),
    )
    env.update(airflow_settings(world, metadata_url=metadata))
    env.update(
        {
            "AIRFLOW__CORE__EXECUTOR": "LocalExecutor",
            "AIRFLOW__CORE__PARALLELISM": "4",
            "AIRFLOW__CORE__EXECUTION_API_SERVER_URL": f"http://127.0.0.1:{api_port}/execution/",
            "AIRFLOW__API_AUTH__JWT_SECRET": secrets.token_hex(16),
            "AIRFLOW__API__SECRET_KEY": secrets.token_hex(16),
            "AIRFLOW__DAG_PROCESSOR__REFRESH_INTERVAL": "5",
            "AIRFLOW__SCHEDULER__SCHEDULER_HEARTBEAT_SEC": "1",
        }
    )
    logs = tmp_path / "logs"
    logs.mkdir()
    try:
        init = subprocess.run([CRM, "dags", "init"], env=env, capture_output=True, text=True, timeout=300)
        assert init.returncode == 0, init.stderr[-3000:]
        with _airflow(env, logs):
            deadline = time.monotonic() + DEADLINE_SECONDS
            while len(_query(postgres_url, "select dag_id from serialized_dag")) < 4:
                assert time.monotonic() < deadline, (logs / "dag-processor.log").read_text()[-3000:]
                time.sleep(2)
            triggers = [
                subprocess.Popen(
                    [
                        AIRFLOW,
                        "dags",
                        "trigger",
                        f"ingest_{source}",
                        "--logical-date",
                        f"{day}T00:00:00+00:00",
                    ],
                    env=env,
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.PIPE,
                )
                for source in ("sales", "support", "marketing")
            ]
            assert [trigger.wait(timeout=120) for trigger in triggers] == [0, 0, 0]
            while not _settled(postgres_url):
                assert time.monotonic() < deadline, "the chain did not settle in time: " + _tail(logs)
                time.sleep(3)
            runs = _query(
                postgres_url, "select dag_id, run_id, run_type, state from dag_run order by start_date"
            )
            tasks = _query(
                postgres_url,
                "select dag_id, run_id, task_id, state, try_number, start_date, end_date from task_instance",
            )
    finally:
        server.stop()

    # Unpaused DAGs also get their latest scheduled interval (catchup=False): each ingest DAG runs for
    # the triggered date and for that interval, serially; transform runs once or twice on the Assets.
    manual = {(dag_id, run_type) for dag_id, _, run_type, _ in runs if dag_id.startswith("ingest_")}
    assert {(f"ingest_{s}", "manual") for s in ("sales", "support", "marketing")} <= manual
    transforms = [
        (run_id, run_type, state) for dag_id, run_id, run_type, state in runs if dag_id == "transform"
    ]
    assert transforms and all(t[1:] == ("asset_triggered", "success") for t in transforms), runs
    for dag_id, _, task_id, state, tries, _, _ in tasks:
        if task_id == "check_contract":  # whichever run lands the world's truncated files fails here
            assert tries == 1 and state in ("success", "failed"), (dag_id, task_id, state, tries)
        elif task_id == "extract":
            # Extracts never open the warehouse; on a loaded machine the scheduler may retry one whose
            # heartbeat was late, which is what retries are for. They must still end in success.
            assert state == "success", (dag_id, task_id, state, tries)
        else:
            assert (state, tries) == ("success", 1), (dag_id, task_id)  # no lock error, no retry
    loads = sorted((start, end) for _, _, task_id, _, _, start, end in tasks if task_id == "load")
    assert len(loads) >= 3
    for (_, first_end), (second_start, _) in itertools.pairwise(loads):
        assert first_end <= second_start  # the one-slot pool serialises the warehouse writers
    extracts = [(start, end) for _, _, task_id, _, _, start, end in tasks if task_id == "extract"]
    overlapping = sum(
        any(s < e2 and s2 < e for s2, e2 in extracts if (s2, e2) != (s, e)) for s, e in extracts
    )
    print(f"extract tasks that ran while another source's extract ran: {overlapping} of {len(extracts)}")
    events = dict(
        _query(
            postgres_url,
            "select a.name, count(*) from asset_event e join asset a on a.id = e.asset_id group by a.name",
        )
    )
    assert set(events) == {"crm_raw_sales", "crm_raw_support", "crm_raw_marketing", "crm_serving_marts"}
    assert events["crm_serving_marts"] == len(transforms)
    with duckdb.connect(str(world.serve_path), read_only=True) as con:
        (run_id,) = con.execute("select distinct run_id from meta.publication").fetchone()
    assert run_id == transforms[-1][0]  # the serving file is the last transform run's publish


def _settled(url: str) -> bool:
    """Every run finished, at least one transform ran, and no complete set of Asset updates is waiting
    to trigger another (a partial set — one source updated again — waits for the others)."""
    states = _query(url, "select dag_id, state from dag_run")
    queued = _query(url, "select count(*) from asset_dag_run_queue where target_dag_id = 'transform'")[0][0]
    return (
        any(dag_id == "transform" for dag_id, _ in states)
        and all(state in ("success", "failed") for _, state in states)
        and queued < 3
    )


def _tail(logs: Path) -> str:
    return "\n".join(f"--- {p.name}\n{p.read_text()[-2000:]}" for p in sorted(logs.glob("*.log")))
