"""``crm.serving_file``: after the first publish, incremental marts are carried over with their new rows
only, and the result is always the table a full copy would have written.

The warehouse is a small real DuckDB file shaped like the real marts: ``fct_events`` is built the way
dbt builds ``fct_email_events`` (delete+insert by key, rows stamped with ``loaded_at``, an email column
that publishing hashes), ``customers`` is an ordinary table. Each test compares the carried-over file
with a full copy of the same warehouse, cell by cell (masked columns included).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from pathlib import Path

import duckdb
import pytest

from crm.pii import PersonalDataExposed
from crm.publish import assert_no_personal_data, publish
from crm.serving_file import FORMAT_ID, build_serving_file
from crm.settings import Settings
from crm.transform import incremental_mart_keys
from quality.results import Status, write_results
from tests.publish.test_publish import POLICY, _landing_verdict

KEYS = {"fct_events": "event_id"}


def _create_warehouse(path: Path, events: int) -> None:
    """``events`` events loaded at 2026-01-01 and a customers table."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with duckdb.connect(str(path)) as con:
        con.execute("create schema marts")
        con.execute(
            "create table marts.fct_events as select 'E' || lpad(cast(i as varchar), 6, '0') as event_id, "
            "'person' || (i % 97) || '@example.com' as recipient_email, i % 7 as clicks, "
            "timestamptz '2026-01-01 02:00:00+00' as loaded_at from range(?) t(i)",
            [events],
        )
        con.execute(
            "create table marts.customers as select 'C' || i as customer_id, i as orders from range(50) t(i)"
        )
        con.execute(
            "create table marts.orders_by_day as select date '2026-01-01' as order_date, 1.0 as revenue_usd"
        )


def _load_a_day(path: Path, day: int, changed: list[int], new: int) -> None:
    """What an incremental dbt run does: new versions of ``changed`` events, ``new`` new events, and a
    customers table rebuilt with one more order each, all loaded on 2026-01-``day``."""
    loaded_at = f"2026-01-{day:02d} 02:00:00+00"
    with duckdb.connect(str(path)) as con:
        ids = ", ".join(f"'E{i:06d}'" for i in changed)
        con.execute(f"delete from marts.fct_events where event_id in ({ids})")
        con.execute(
            "insert into marts.fct_events (event_id, recipient_email, clicks, loaded_at) "
            "select 'E' || lpad(cast(i as varchar), 6, '0'), "
            "'new' || i || '@example.com', 100 + i % 7, cast(? as timestamptz) "
            f"from (select unnest([{', '.join(map(str, changed))}]) as i union all "
            "select 900000 + ? * 1000 + i from range(?) t(i))",
            [loaded_at, day, new],
        )
        con.execute("update marts.customers set orders = orders + 1")


def _cells(path: Path) -> dict[str, list[tuple[object, ...]]]:
    with duckdb.connect(str(path), read_only=True) as con:
        names = [
            row[0]
            for row in con.execute(
                "select table_name from duckdb_tables() where schema_name = 'marts'"
            ).fetchall()
        ]
        tables = {
            name: sorted(con.execute(f'select * from marts."{name}"').fetchall(), key=str) for name in names
        }
        tables["meta.publication"] = con.execute(
            "select table_name, row_count, run_id from meta.publication order by 1"
        ).fetchall()
        version = con.execute(
            "select tags['storage_version'] from duckdb_databases() where database_name = current_database()"
        ).fetchone()
    tables["storage_version"] = [version]
    return tables


def _full_copy(warehouse: Path, tmp_path: Path, run_id: str) -> dict[str, list[tuple[object, ...]]]:
    reference = tmp_path / f"full-{run_id}.duckdb"
    build_serving_file(warehouse, reference, run_id)
    return _cells(reference)


def _publish_by_hand(warehouse: Path, served: Path, run_id: str) -> list[str]:
    """One publish as ``crm.publish`` does it (build next to the served file, then swap); returns the
    tables carried over."""
    candidate = served.with_name("candidate.duckdb")
    build = build_serving_file(
        warehouse, candidate, run_id, previous=served if served.exists() else None, incremental_keys=KEYS
    )
    candidate.replace(served)
    return build.carried_over


def test_a_day_later_only_the_new_rows_are_added_and_the_file_equals_a_full_copy(tmp_path: Path) -> None:
    warehouse, served = tmp_path / "warehouse.duckdb", tmp_path / "served.duckdb"
    _create_warehouse(warehouse, events=5_000)
    assert _publish_by_hand(warehouse, served, "day-1") == []  # nothing to carry over yet

    for day in (2, 3, 4):
        _load_a_day(warehouse, day, changed=[7, 4_000 + day, 900_000 + (day - 1) * 1000], new=40)
        assert _publish_by_hand(warehouse, served, f"day-{day}") == ["fct_events"]
        assert _cells(served) == _full_copy(warehouse, tmp_path, f"day-{day}")

    with duckdb.connect(str(served), read_only=True) as con:
        versions = con.execute("select clicks from marts.fct_events where event_id = 'E000007'").fetchall()
        assert versions == [(100,)]  # one row per key: the old version was deleted, not kept beside
        assert con.execute("select format_id from meta.serving_format").fetchall() == [(FORMAT_ID,)]
        (email,) = con.execute(
            "select recipient_email from marts.fct_events where event_id = 'E000007'"
        ).fetchone()
        assert len(email) == 64 and "@" not in email  # new rows are masked too


def _rewrite_history(warehouse: Path, served: Path) -> None:
    """A full refresh that drops a stale key and rewrites an old row in place: nothing is newer than
    the served file's newest load, so only the fingerprint can tell."""
    with duckdb.connect(str(warehouse)) as con:
        con.execute("delete from marts.fct_events where event_id = 'E000011'")
        con.execute("update marts.fct_events set clicks = 99 where event_id = 'E000012'")


def _change_the_masking_rules(warehouse: Path, served: Path) -> None:
    """As if the served file had been written under other masking rules, then a normal day."""
    with duckdb.connect(str(served)) as con:
        con.execute("update meta.serving_format set format_id = 'older-rules'")
    _load_a_day(warehouse, 2, changed=[3], new=5)


@pytest.mark.parametrize(
    ("change", "logged"),
    [
        (
            _rewrite_history,
            "fct_events: the served rows plus the new ones do not reproduce the warehouse table",
        ),
        (_change_the_masking_rules, "the served file was written under another serving format"),
    ],
    ids=["history rewritten", "masking rules changed"],
)
def test_what_cannot_be_carried_over_is_copied_whole(
    change: Callable[[Path, Path], None], logged: str, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    warehouse, served = tmp_path / "warehouse.duckdb", tmp_path / "served.duckdb"
    _create_warehouse(warehouse, events=3_000)
    _publish_by_hand(warehouse, served, "day-1")
    change(warehouse, served)

    with caplog.at_level(logging.INFO, logger="crm.serving_file"):
        assert _publish_by_hand(warehouse, served, "day-2") == []

    assert logged in caplog.text
    assert _cells(served) == _full_copy(warehouse, tmp_path, "day-2")


def test_a_file_mostly_free_blocks_is_compacted_by_a_full_copy(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    warehouse, served = tmp_path / "warehouse.duckdb", tmp_path / "served.duckdb"
    _create_warehouse(warehouse, events=400_000)
    _publish_by_hand(warehouse, served, "day-1")
    large = served.stat().st_size
    with duckdb.connect(str(warehouse)) as con:  # a full refresh leaves a far smaller table
        con.execute("delete from marts.fct_events where event_id > 'E001000'")
    _publish_by_hand(warehouse, served, "day-2")  # copied whole: the old table's blocks are now free

    with caplog.at_level(logging.INFO, logger="crm.serving_file"):
        assert _publish_by_hand(warehouse, served, "day-3") == []

    assert "free blocks: copying every table to compact it" in caplog.text
    assert served.stat().st_size < large / 2
    assert _cells(served) == _full_copy(warehouse, tmp_path, "day-3")


def test_the_scan_reads_the_new_rows_of_a_carried_table_and_catches_an_email_in_them(tmp_path: Path) -> None:
    warehouse, served = tmp_path / "warehouse.duckdb", tmp_path / "served.duckdb"
    _create_warehouse(warehouse, events=1_000)
    with duckdb.connect(str(warehouse)) as con:
        con.execute("alter table marts.fct_events add column note varchar")
    _publish_by_hand(warehouse, served, "day-1")
    _load_a_day(warehouse, 2, changed=[], new=3)
    with duckdb.connect(str(warehouse)) as con:  # a new row leaks an address in an undeclared column
        con.execute(
            "update marts.fct_events set note = 'reply to jane.doe@example.org' where event_id = 'E902001'"
        )

    candidate = tmp_path / "candidate.duckdb"
    build = build_serving_file(warehouse, candidate, "day-2", previous=served, incremental_keys=KEYS)

    assert build.carried_over == ["fct_events"]
    with pytest.raises(
        PersonalDataExposed, match=r"marts\.fct_events\.note: 1 value\(s\) look like an email"
    ):
        assert_no_personal_data(candidate, only=build.new_rows)


def test_publish_carries_over_the_marts_the_dbt_manifest_declares_incremental(
    data_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    policy = tmp_path / "policy.yml"
    policy.write_text(POLICY, encoding="utf-8")
    monkeypatch.setenv("CRM_QUALITY_POLICY", str(policy))
    settings = Settings.from_env(data_dir)
    manifest = settings.dbt_dir / "target" / "manifest.json"
    manifest.parent.mkdir(parents=True)
    node = {"resource_type": "model", "schema": "marts", "alias": "fct_events"}
    staging = {"materialized": "incremental", "unique_key": "x"}
    manifest.write_text(json.dumps({"nodes": {
        "model.crm.fct_events": {**node, "config": {"materialized": "incremental", "unique_key": "event_id"}},
        "model.crm.customers": {**node, "alias": "customers", "config": {"materialized": "table"}},
        "model.crm.stg_x": {**node, "schema": "staging", "config": staging},
    }}))  # fmt: skip
    assert incremental_mart_keys(settings) == KEYS
    _create_warehouse(settings.warehouse_path, events=2_000)
    for day in (1, 2):
        if day > 1:
            _load_a_day(settings.warehouse_path, day, changed=[5], new=10)
        write_results(
            settings.warehouse_path,
            f"run-{day}",
            "landing",
            [_landing_verdict(f"run-{day}", "block", Status.PASSED)],
        )
        with caplog.at_level(logging.INFO, logger="crm.serving_file"):
            publish(settings, f"run-{day}")

    assert "carried over fct_events with their new rows; copied the other 2 tables" in caplog.text
    assert _cells(settings.serve_path) == _full_copy(settings.warehouse_path, tmp_path, "run-2")
