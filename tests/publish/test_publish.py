"""``crm.publish``: marts only, a DuckDB-1.x-readable file, checked before it is swapped in atomically.

The warehouse here is a small real DuckDB file with a ``marts`` schema (and a ``raw`` schema that must
not be published); the gate's verdict is stored in ``ops.check_results`` through the quality package's
own store, and the marts suite runs for real (Great Expectations) with a one-check policy file.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import pytest

from crm.publish import publish
from crm.settings import Settings
from quality.gate import QualityBlocked
from quality.results import CheckResult, Status, write_results

POLICY = """
version: 1
checks:
  - id: mart.orders_by_day.revenue_not_negative
    target: mart:orders_by_day
    kind: value_range
    column: revenue_usd
    min: 0
    threshold: {mostly: 1.0}
    severity: block
    owner: analytics-engineering
    why: Negative revenue means a broken conversion.
"""


def _landing_verdict(run_id: str, severity: str, status: Status) -> CheckResult:
    return CheckResult(
        run_id=run_id,
        stage="landing",
        check_id="landing.sales.order.order_id_not_null",
        target="landing:sales.order",
        check_kind="not_null",
        batch_id="sales__order__20261028__000001",
        logical_date=None,
        severity=severity,
        check_status=status,
        observed_value=0.0 if status is Status.PASSED else 0.5,
        observed="0.0" if status is Status.PASSED else "0.5",
        threshold="null fraction ≤ 0",
        message="",
        owner="data-engineering",
        checked_at=datetime.now(UTC),
    )


def _build_warehouse(settings: Settings, days: int, revenue_sign: int = 1) -> None:
    """Marts with ``days`` rows of orders_by_day and a customer table; raw and ops must stay behind."""
    settings.warehouse_path.parent.mkdir(parents=True, exist_ok=True)
    with duckdb.connect(str(settings.warehouse_path)) as con:
        con.execute("create schema if not exists marts")
        con.execute("create schema if not exists raw")
        con.execute(
            "create or replace table marts.orders_by_day as select "
            "date '2026-01-01' + cast(i as integer) as order_date, "
            f"cast({revenue_sign} * (i * 10.5) as decimal(18, 2)) as revenue_usd "
            f"from range({days}) t(i)"
        )
        con.execute(
            "create or replace table marts.customer_360 as select "
            "'C' || lpad(cast(i as varchar), 5, '0') as customer_id, 'Café 東京 ' || i as customer_name "
            f"from range({days * 3}) t(i)"
        )
        con.execute("create or replace view marts.top_days as select * from marts.orders_by_day limit 3")
        con.execute("create or replace table raw.sales__account as select 'secret@example.com' as email")


@pytest.fixture
def settings(data_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Settings:
    policy = tmp_path / "policy.yml"
    policy.write_text(POLICY, encoding="utf-8")
    monkeypatch.setenv("CRM_QUALITY_POLICY", str(policy))
    return Settings.from_env(data_dir)


def _gate_passed(settings: Settings, run_id: str) -> None:
    write_results(
        settings.warehouse_path, run_id, "landing", [_landing_verdict(run_id, "block", Status.PASSED)]
    )


def _serving(settings: Settings) -> dict[str, object]:
    with duckdb.connect(str(settings.serve_path), read_only=True) as con:
        schemas = {
            r[0] for r in con.execute("select schema_name from information_schema.schemata").fetchall()
        }
        tables = con.execute(
            "select table_schema, table_name, table_type from information_schema.tables order by 1, 2"
        ).fetchall()
        publication = con.execute(
            "select table_name, row_count, run_id from meta.publication order by 1"
        ).fetchall()
        version = con.execute(
            "select tags['storage_version'] from duckdb_databases() where database_name = current_database()"
        ).fetchone()
        revenue = con.execute("select sum(revenue_usd) from marts.orders_by_day").fetchone()
    return {"schemas": schemas, "tables": tables, "publication": publication, "version": version[0],
            "revenue": revenue[0]}  # fmt: skip


def test_publish_copies_only_the_marts_into_a_duckdb_1x_readable_file(settings: Settings) -> None:
    _build_warehouse(settings, days=4)
    _gate_passed(settings, "run-1")

    path = publish(settings, "run-1")

    assert path == settings.serve_path
    served = _serving(settings)
    assert "raw" not in served["schemas"] and "ops" not in served["schemas"]
    assert served["tables"] == [
        ("marts", "customer_360", "BASE TABLE"),
        ("marts", "orders_by_day", "BASE TABLE"),
        ("marts", "top_days", "BASE TABLE"),  # a view is materialised: the file has nothing else to read
        ("meta", "check_results", "BASE TABLE"),  # the gate's verdict on this publication
        ("meta", "publication", "BASE TABLE"),
        ("meta", "serving_format", "BASE TABLE"),  # the rules it was written under (crm.serving_file)
    ]
    assert served["publication"] == [
        ("customer_360", 12, "run-1"),
        ("orders_by_day", 4, "run-1"),
        ("top_days", 3, "run-1"),
    ]
    assert str(served["version"]).startswith("v1.5.0")
    assert float(served["revenue"]) == pytest.approx(10.5 * (0 + 1 + 2 + 3))
    assert sorted(p.name for p in settings.serve_path.parent.iterdir()) == ["crm.duckdb"]  # no leftovers


def test_a_blocked_gate_publishes_nothing_and_keeps_the_last_good_file(settings: Settings) -> None:
    _build_warehouse(settings, days=4)
    _gate_passed(settings, "run-1")
    publish(settings, "run-1")
    before = settings.serve_path.read_bytes()

    _build_warehouse(settings, days=9)
    write_results(
        settings.warehouse_path, "run-2", "landing", [_landing_verdict("run-2", "block", Status.FAILED)]
    )
    with pytest.raises(QualityBlocked, match="order_id_not_null"):
        publish(settings, "run-2")
    with pytest.raises(QualityBlocked, match="no check results stored"):
        publish(settings, "never-checked")

    assert settings.serve_path.read_bytes() == before
    assert _serving(settings)["publication"][1] == ("orders_by_day", 4, "run-1")


def test_the_marts_suite_judges_the_new_file_before_it_is_swapped_in(settings: Settings) -> None:
    _build_warehouse(settings, days=4)
    _gate_passed(settings, "run-1")
    publish(settings, "run-1")
    before = settings.serve_path.read_bytes()

    _build_warehouse(settings, days=6, revenue_sign=-1)  # negative revenue: a strategic pain in the marts
    _gate_passed(settings, "run-2")
    with pytest.raises(QualityBlocked, match="revenue_not_negative"):
        publish(settings, "run-2")

    assert settings.serve_path.read_bytes() == before
    assert sorted(p.name for p in settings.serve_path.parent.iterdir()) == ["crm.duckdb"]
    stored = duckdb.connect(str(settings.warehouse_path), read_only=True)
    try:
        rows = stored.execute(
            "select stage, check_status from ops.check_results where run_id = 'run-2' order by stage"
        ).fetchall()
    finally:
        stored.close()
    assert rows == [("landing", "passed"), ("marts", "failed")]


def test_crm_publish_exits_1_and_says_nothing_was_published(settings: Settings) -> None:
    _build_warehouse(settings, days=2)
    write_results(
        settings.warehouse_path, "run-9", "landing", [_landing_verdict("run-9", "block", Status.FAILED)]
    )
    done = subprocess.run(
        [sys.executable, "-m", "crm.cli", "publish", "--run-id", "run-9"],
        capture_output=True,
        text=True,
        env={**os.environ, "CRM_DATA_DIR": str(settings.data_dir)},
        check=False,
    )
    assert done.returncode == 1, done.stderr
    assert "nothing published" in done.stderr
    assert not settings.serve_path.exists()


READER = textwrap.dedent(
    """
    import json, sys, time
    import duckdb

    path, stop = sys.argv[1], sys.argv[2]
    import pathlib
    seen, errors, reads = set(), [], 0
    while not pathlib.Path(stop).exists():
        try:
            with duckdb.connect(path, read_only=True) as con:
                query = "select table_name, row_count, run_id from meta.publication"
                published = con.execute(query).fetchall()
                runs = {run for _, _, run in published}
                if len(runs) != 1:
                    errors.append(f"mixed runs {runs}")
                for table, rows, run in published:
                    actual = con.execute(f'select count(*) from marts."{table}"').fetchone()[0]
                    if actual != rows:
                        errors.append(f"{table}: {actual} rows, publication says {rows} ({run})")
                days = con.execute("select count(*) from marts.orders_by_day").fetchone()[0]
                customers = con.execute("select count(*) from marts.customer_360").fetchone()[0]
                if customers != 3 * days:
                    errors.append(f"half-published state: {days} days but {customers} customers")
                seen.update(runs)
                reads += 1
        except Exception as error:
            errors.append(f"{type(error).__name__}: {error}")
    print(json.dumps({"seen": sorted(seen), "errors": errors[:20], "reads": reads}))
    """
)


@pytest.mark.slow
def test_a_reader_querying_in_a_loop_sees_only_complete_published_states(settings: Settings) -> None:
    _build_warehouse(settings, days=3)
    _gate_passed(settings, "run-0")
    publish(settings, "run-0")
    stop = settings.data_dir / "stop-reader"
    reader = subprocess.Popen(
        [sys.executable, "-c", READER, str(settings.serve_path), str(stop)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        for number in range(1, 5):
            _build_warehouse(settings, days=3 + number * 50)
            _gate_passed(settings, f"run-{number}")
            publish(settings, f"run-{number}")
    finally:
        stop.touch()
        out, err = reader.communicate(timeout=60)
    report = json.loads(out.strip().splitlines()[-1]) if out.strip() else {"errors": [err]}
    assert report["errors"] == []
    assert report["reads"] > 0
    assert set(report["seen"]) <= {f"run-{n}" for n in range(5)}
    assert len(report["seen"]) >= 2, report  # the reader really saw publishes happen under it
    assert _serving(settings)["publication"][1] == ("orders_by_day", 203, "run-4")
