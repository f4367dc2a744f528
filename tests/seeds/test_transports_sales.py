"""The clock and the sales database, on the tiny hand-made world (real SQLite, real PostgreSQL)."""

from __future__ import annotations

import sqlite3
from contextlib import closing
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import polars as pl
import pytest
from world_fixture import END, START, days, write_tiny_world

from crm.settings import Settings
from seeds.transports import advance, clock, sales_db
from seeds.transports.contract import SALES, SALES_BY_NAME


@pytest.fixture
def settings(data_dir: Path) -> Settings:
    write_tiny_world(data_dir / "world")
    return Settings.from_env(data_dir)


def _sqlite_table(path: Path, table: str) -> set[tuple[Any, ...]]:
    with closing(sqlite3.connect(path)) as con:
        return set(con.execute(f'SELECT * FROM "{table}"').fetchall())


def _world_latest(settings: Settings, table: str, upto: date, since: date | None = None) -> pl.DataFrame:
    """Expected rows, computed from the parquet without the transports' code."""
    entity = SALES_BY_NAME[table]
    frame = pl.read_parquet(settings.world_dir / "sales" / f"{table}.parquet").with_row_index("_n")
    end = datetime(upto.year, upto.month, upto.day, tzinfo=UTC) + timedelta(days=1)
    frame = frame.filter(pl.col("_visible_at") < end)
    latest = frame.sort(["_visible_at", "_n"]).group_by(list(entity.key), maintain_order=True).last()
    if since is not None:
        start = datetime(since.year, since.month, since.day, tzinfo=UTC) + timedelta(days=1)
        latest = latest.filter(pl.col("_visible_at") >= start)
    return latest


def test_as_of_shows_each_records_latest_version_written_by_the_end_of_the_day(settings: Settings) -> None:
    versions = clock.scan(settings, SALES_BY_NAME["account"])
    shown = {
        day: dict(
            clock.as_of(versions, ("id",), day).select("id", "website").sort("id").collect().iter_rows()
        )
        for day in days()
    }
    assert shown[START - timedelta(days=1)] == {}
    assert shown[date(2025, 1, 2)] == {
        "ID000000000000001": "website 1 v0",
        "ID000000000000002": "website 2 v0",
        "ID000000000000003": "website 3 v0",  # written at 23:00 on the 2nd: still that day
    }
    assert shown[date(2025, 1, 4)]["ID000000000000003"] == "website 3 v1"  # written at 00:00 on the 4th
    assert shown[date(2025, 1, 4)]["ID000000000000004"] == "website 4 v1"  # two versions the same day
    assert shown[END]["ID000000000000001"] == "website 1 v2"


def test_advancing_one_day_reveals_exactly_the_rows_written_that_day(settings: Settings) -> None:
    previous: dict[str, set[tuple[Any, ...]]] = {e.name: set() for e in SALES}
    for day in days()[1:]:
        summary = advance(settings, day)
        for entity in SALES:
            rows = _sqlite_table(settings.sales_sqlite_path, entity.name)
            expected_changed = _world_latest(settings, entity.name, day, since=day - timedelta(days=1))
            keys = {tuple(map(str, r)) for r in expected_changed.select(entity.key).iter_rows()}
            columns = expected_changed.drop("_n", "_visible_at").columns
            positions = [columns.index(k) for k in entity.key]
            revealed = {tuple(str(r[i]) for i in positions) for r in rows - previous[entity.name]}
            assert revealed == keys, (entity.name, day)
            assert summary[f"sales.{entity.name}"] == len(keys)
            assert len(rows) == _world_latest(settings, entity.name, day).height
            previous[entity.name] = rows
    assert clock.read_clock(settings) == END


def test_the_database_holds_the_world_as_of_the_clock_with_sql_types(settings: Settings) -> None:
    advance(settings, date(2025, 1, 3))
    with closing(sqlite3.connect(settings.sales_sqlite_path)) as con:
        account = con.execute(
            "SELECT id, name, annual_revenue, is_deleted, system_modstamp, created_date"
            ' FROM "account" ORDER BY id'
        ).fetchall()
        columns = {row[1]: row[2] for row in con.execute("PRAGMA table_info('order')")}
        keys = [row[1] for row in con.execute("PRAGMA table_info('currency_rate')") if row[5]]
        indexes = {row[1] for row in con.execute("PRAGMA index_list('user')")}
    assert account[0] == (
        "ID000000000000001",
        'Café "Ünïcode",\nGmbH — 東京',
        1001.5,
        0,
        "2025-01-03 14:00:00.000000",
        "2025-01-01 08:00:00.000000",
    )
    assert [row[0] for row in account] == ["ID000000000000001", "ID000000000000002", "ID000000000000003"]
    assert list(columns) == list(SALES_BY_NAME["order"].columns)
    assert columns["total_amount"] == "REAL" and columns["system_modstamp"] == "TIMESTAMP"
    assert keys == ["iso_code", "start_date"]
    assert "user_system_modstamp_idx" in indexes


def test_an_incremental_advance_equals_a_fresh_build(settings: Settings, tmp_path: Path) -> None:
    for day in days()[1:]:
        advance(settings, day)
    fresh = Settings.from_env(tmp_path / "fresh")
    write_tiny_world(fresh.world_dir)
    advance(fresh, END)
    for entity in SALES:
        assert _sqlite_table(settings.sales_sqlite_path, entity.name) == _sqlite_table(
            fresh.sales_sqlite_path, entity.name
        ), entity.name
    # Backwards is a rebuild and lands on the same state as a fresh build there too.
    advance(settings, date(2025, 1, 2))
    again = Settings.from_env(tmp_path / "again")
    write_tiny_world(again.world_dir)
    advance(again, date(2025, 1, 2))
    for entity in SALES:
        assert _sqlite_table(settings.sales_sqlite_path, entity.name) == _sqlite_table(
            again.sales_sqlite_path, entity.name
        ), entity.name


def test_a_foreign_or_stale_database_is_rebuilt(settings: Settings) -> None:
    settings.sales_sqlite_path.parent.mkdir(parents=True)
    settings.sales_sqlite_path.write_bytes(b"not a database at all")
    summary = advance(settings, date(2025, 1, 2))
    assert summary["sales.account"] == 3
    assert sales_db.as_of_date(settings.sales_db_url) == date(2025, 1, 2)
    # Regenerating the world invalidates the database: the next advance rebuilds, not a delta.
    meta = settings.world_dir / "world.json"
    meta.write_text(meta.read_text().replace('"seed": 0', '"seed": 1'))
    summary = advance(settings, date(2025, 1, 3))
    assert summary["sales.account"] == 3  # all rows shown on the 3rd, not only the 3rd's delta (1)


def _normalise(value: Any) -> Any:
    """Compare SQLite and PostgreSQL values: timestamps as UTC instants, numbers as floats."""
    if isinstance(value, datetime):
        return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, Decimal | float):
        return round(float(value), 6)
    return value


@pytest.mark.postgres
def test_postgresql_holds_the_same_rows_as_sqlite(settings: Settings, postgres_url: str) -> None:
    import psycopg

    for day in (date(2025, 1, 3), date(2025, 1, 5)):  # a full build, then a delta
        advance(settings, day)
        pg_summary = sales_db.sync(settings, day, postgres_url)
    assert pg_summary["sales.account"] == 3  # the delta of the 4th and 5th: records 1, 3 and 4
    with psycopg.connect(postgres_url) as con:
        for entity in SALES:
            pg_rows = {
                tuple(_normalise(v) for v in row)
                for row in con.execute(f'SELECT * FROM "{entity.name}"').fetchall()
            }
            lite_rows = {
                tuple(_normalise(v) for v in row)
                for row in _sqlite_table(settings.sales_sqlite_path, entity.name)
            }
            assert pg_rows == lite_rows, entity.name
            assert len(pg_rows) == 4
        types = dict(
            con.execute(
                "SELECT column_name, data_type FROM information_schema.columns"
                " WHERE table_name = 'opportunity'"
            ).fetchall()
        )
    assert types["amount"] == "numeric"
    assert types["system_modstamp"] == "timestamp with time zone"
    assert types["is_won"] == "boolean"
    assert sales_db.as_of_date(postgres_url) == date(2025, 1, 5)
