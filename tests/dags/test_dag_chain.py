"""End to end on SF 0.01: the real DAGs, run with ``dag.test()``, against the ``crm`` command line.

A catch-up over three consecutive logical dates (ingest_* every day, transform once at the end — the
Assets having accumulated) must publish exactly the marts that ingesting the last date at once and
building them with ``crm transform`` gives (issue 3: backfill = last date at once). Then a quality
block: it notifies and leaves the published file untouched.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import duckdb
import pytest
import yaml

from crm.serving_file import build_serving_file
from crm.settings import Settings
from tests.dags.conftest import CRM, DAYS, REPO, WebhookReceiver, marts_fingerprints, run_crm, run_env

RUNNER = Path(__file__).with_name("dag_runner.py")
pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def chain(sources_template: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """Run the DAG chain and, concurrently in another data directory, the CLI path (2 cores)."""
    import shutil

    root = tmp_path_factory.mktemp("chain")
    dag_dir, cli_dir = root / "dags-data", root / "cli-data"
    for target in (dag_dir, cli_dir):
        for name in ("world", "sources"):
            shutil.copytree(sources_template / name, target / name)
    cli = subprocess.Popen(
        # `crm ingest` exits 1 on the world's truncated marketing files; the build goes on regardless
        ["bash", "-c", f'"{CRM}" ingest --date {DAYS[-1]} > ingest.log 2>&1; '
                       f'"{CRM}" transform > transform.log 2>&1'],
        cwd=cli_dir, env=run_env(cli_dir),
    )  # fmt: skip
    receiver = WebhookReceiver()
    receiver.thread.start()
    try:
        done = run_crm(
            dag_dir, "dags", "run", "--from", DAYS[0].isoformat(), "--to", DAYS[-1].isoformat(),
            "--transform", "last", "--json", CRM_NOTIFY_WEBHOOK_URL=receiver.url,
        )  # fmt: skip
    finally:
        receiver.server.shutdown()
        receiver.server.server_close()
    assert cli.wait(timeout=600) == 0
    runs = json.loads(done.stdout.strip().splitlines()[-1]) if done.stdout.strip() else None
    assert runs is not None, done.stderr[-4000:]
    return {
        "runs": runs,
        "dag_dir": dag_dir,
        "cli_dir": cli_dir,
        "notes": receiver.bodies,
        "log": done.stderr,
    }


def test_the_chain_runs_every_ingest_dag_each_day_then_transform(chain: dict[str, Any]) -> None:
    states = {(run["dag_id"], run["logical_date"]): run["state"] for run in chain["runs"]}
    expected = {(f"ingest_{s}", d.isoformat()) for s in ("sales", "support", "marketing") for d in DAYS}
    assert set(states) == expected | {("transform", DAYS[-1].isoformat())}
    for day in DAYS:
        assert states[("ingest_sales", day.isoformat())] == "success"
        assert states[("ingest_support", day.isoformat())] == "success"
    # the SF 0.01 world delivers truncated marketing files: a routine ache by the default policy
    # (landing.marketing.file_drop_faults, warn) — the contract check loads every good batch, says so
    # on the webhook and succeeds; it never blocks the chain
    warned = [note for note in chain["notes"] if note["kind"] == "contract_warning"]
    assert warned and {note["dag_id"] for note in warned} == {"ingest_marketing"}
    assert all("landing.marketing.file_drop_faults" in d for note in warned for d in note["details"])
    for day in DAYS:
        assert states[("ingest_marketing", day.isoformat())] == "success"
    assert states[("transform", DAYS[-1].isoformat())] == "success", _why_transform_failed(chain)
    assert [note for note in chain["notes"] if note["kind"] != "contract_warning"] == []


def _why_transform_failed(chain: dict[str, Any]) -> str:
    """The notifications and the blocking check results: what a failed transform says for itself."""
    lines = [
        f"{n['kind']}: {n['summary']} {n.get('details')}"
        for n in chain["notes"]
        if n["kind"] != "contract_warning"
    ]
    warehouse = Settings.from_env(chain["dag_dir"]).warehouse_path
    with duckdb.connect(str(warehouse), read_only=True) as con:
        lines += [
            " ".join(map(str, row))
            for row in con.execute(
                "select stage, check_id, check_status, observed, message from ops.check_results "
                "where severity = 'block' and check_status in ('failed', 'error')"
            ).fetchall()
        ]
    return "\n".join(lines)


def test_the_catch_up_publishes_the_marts_of_the_cli_path(chain: dict[str, Any], tmp_path: Path) -> None:
    dags = Settings.from_env(chain["dag_dir"])
    cli = Settings.from_env(chain["cli_dir"])
    # the CLI's marts as publishing makes them (PII masked in the serving copy), for a like-for-like view
    cli_serving = tmp_path / "cli-serve.duckdb"
    build_serving_file(cli.warehouse_path, cli_serving, "cli")
    published = marts_fingerprints(dags.serve_path)
    assert set(published) >= {"customer_360", "segment_performance", "dim_customer"}
    assert published == marts_fingerprints(cli_serving)
    assert marts_fingerprints(dags.warehouse_path) == marts_fingerprints(cli.warehouse_path)
    with duckdb.connect(str(dags.serve_path), read_only=True) as con:
        runs = {row[0] for row in con.execute("select run_id from meta.publication").fetchall()}
        version = con.execute(
            "select tags['storage_version'] from duckdb_databases() where database_name = current_database()"
        ).fetchone()
    assert len(runs) == 1 and next(iter(runs)).startswith("manual__")
    with duckdb.connect(str(dags.warehouse_path), read_only=True) as con:  # the gate judged every day
        judged = con.execute(
            "select distinct logical_date from ops.check_results where run_id = ? and stage = 'landing'",
            [next(iter(runs))],
        ).fetchall()
    assert {row[0] for row in judged if row[0] is not None} == set(DAYS)
    assert str(version[0]).startswith("v1.5.0")


def test_a_quality_block_notifies_and_publishes_nothing(
    chain: dict[str, Any], tmp_path: Path, webhook: WebhookReceiver
) -> None:
    dags = Settings.from_env(chain["dag_dir"])
    before = dags.serve_path.read_bytes()
    policy = yaml.safe_load((REPO / "quality" / "policy.yml").read_text(encoding="utf-8"))
    policy["checks"].append(
        {
            # order lines change every day, so the newest batch is never empty (an account batch
            # can be one row with no revenue: a value check then has nothing to judge)
            "id": "landing.sales.order_item.quantity_impossible",
            "target": "landing:sales.order_item",
            "kind": "value_range",
            "column": "quantity",
            "max": -1,
            "threshold": {"mostly": 1.0},
            "severity": "block",
            "owner": "data-engineering",
            "why": "A test-only strategic pain that every real batch breaks.",
        }
    )
    blocking = tmp_path / "policy.yml"
    blocking.write_text(yaml.safe_dump(policy, sort_keys=False), encoding="utf-8")
    env = run_env(chain["dag_dir"], CRM_NOTIFY_WEBHOOK_URL=webhook.url, CRM_QUALITY_POLICY=str(blocking))
    done = subprocess.run(
        [sys.executable, str(RUNNER), "transform", DAYS[-1].isoformat(), "--mark-success", "dbt_build"],
        env=env, capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    run = json.loads(done.stdout.strip().splitlines()[-1])
    assert run["state"] == "failed"
    assert run["tasks"]["quality_gate"] == {"state": "failed", "try_number": 1}  # not retried
    assert run["tasks"]["publish"]["state"] in ("upstream_failed", "None")
    assert [body["kind"] for body in webhook.bodies] == ["quality_blocked"]
    assert any("quantity_impossible" in detail for detail in webhook.bodies[0]["details"])
    assert dags.serve_path.read_bytes() == before  # BI keeps the last good serving database
