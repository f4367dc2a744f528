"""The transports on a real generated world (SF 0.01): clock, sales database, support API, inbox, samples."""

from __future__ import annotations

import csv
import gzip
import hashlib
import json
import shutil
import sqlite3
from collections.abc import Iterator
from contextlib import closing
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import polars as pl
import pytest

from crm.settings import Settings
from seeds.generator import generate
from seeds.transports import advance, marketing_inbox, sales_db
from seeds.transports.contract import MARKETING_BY_NAME, SALES, SUPPORT
from seeds.transports.samples import SAMPLES_DIR
from seeds.transports.support_api import start_server

START = date(2024, 11, 1)
TOKEN = "world-token"


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One SF 0.01 world for the whole module (generation is the expensive part)."""
    root = tmp_path_factory.mktemp("world-sf001")
    generate(root / "world", root / "truth", sf=0.01, seed=7)
    return root / "world"


def _settings(world: Path, root: Path) -> Settings:
    """Sources of their own under ``root`` over the shared, read-only world."""
    root.mkdir(parents=True, exist_ok=True)
    (root / "world").symlink_to(world, target_is_directory=True)
    return Settings.from_env(root)


def _end_of(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=UTC) + timedelta(days=1)


def _dump(settings: Settings) -> dict[str, set[tuple[Any, ...]]]:
    with closing(sqlite3.connect(settings.sales_sqlite_path)) as con:
        return {e.name: set(con.execute(f'SELECT * FROM "{e.name}"').fetchall()) for e in SALES}


def _inbox(settings: Settings) -> dict[str, bytes]:
    inbox = settings.marketing_inbox
    return {str(p.relative_to(inbox)): p.read_bytes() for p in sorted(inbox.rglob("*")) if p.is_file()}


def _changed_on(world: Path, source: str, name: str, key: list[str], day: date) -> int:
    """Records whose latest version as of ``day`` was written on ``day`` — straight from the parquet."""
    frame = pl.read_parquet(world / source / f"{name}.parquet", columns=[*key, "_visible_at"])
    latest = frame.filter(pl.col("_visible_at") < _end_of(day)).group_by(key).agg(pl.col("_visible_at").max())
    return latest.filter(pl.col("_visible_at") >= _end_of(day - timedelta(days=1))).height


@pytest.mark.slow
def test_day_by_day_advances_reveal_each_days_changes_and_equal_a_fresh_build(
    world: Path, tmp_path: Path
) -> None:
    stepped = _settings(world, tmp_path / "stepped")
    day = START + timedelta(days=120)
    advance(stepped, day)
    for _ in range(2):
        day += timedelta(days=1)
        summary = advance(stepped, day)
        for entity in SALES:
            assert summary[f"sales.{entity.name}"] == _changed_on(
                world, "sales", entity.name, list(entity.key), day
            )
        for entity in SUPPORT:
            assert summary[entity.qualified] == _changed_on(world, "support", entity.name, ["id"], day)
        plan = pl.read_parquet(world / "marketing" / "_deliveries.parquet")
        due = plan.filter(
            (pl.col("visible_at").dt.date() == day) | (pl.col("redelivered_at").dt.date() == day)
        ).height
        assert due > 0
    fresh = _settings(world, tmp_path / "fresh")
    advance(fresh, day)
    assert _dump(stepped) == _dump(fresh)
    assert _inbox(stepped) == _inbox(fresh)
    assert sum(len(rows) for rows in _dump(fresh).values()) > 1000


@pytest.mark.slow
def test_every_planned_delivery_fault_renders_as_designed(world: Path) -> None:
    plan = marketing_inbox.read_plan(Settings.from_env(world.parent))
    faults = {d.fault for d in plan}
    assert {"none", "late", "redelivered"} <= faults, faults
    rows = {
        kind: pl.read_parquet(world / "marketing" / f"{kind}.parquet").partition_by(
            "_delivery_date", as_dict=True
        )
        for kind in MARKETING_BY_NAME
    }
    for delivery in (d for d in plan if d.fault not in ("none", "late")):
        frame = rows[delivery.file_kind].get((delivery.delivery_date,))
        if frame is None or frame.height < 2:
            continue
        final = marketing_inbox.render(delivery, "final", frame)
        if delivery.fault == "truncated":
            assert len(final.content) < final.entry["bytes"]
        elif delivery.fault == "redelivered":
            first = marketing_inbox.render(delivery, "first", frame)
            assert first.entry["row_count"] < final.entry["row_count"] == frame.height
            assert first.entry["sha256"] == hashlib.sha256(first.content).hexdigest()
        else:
            assert final.entry["sha256"] == hashlib.sha256(final.content).hexdigest()
        if delivery.fault == "malformed" and delivery.format == "ndjson":
            raw = gzip.decompress(final.content) if delivery.gzip else final.content
            lines = raw.decode(delivery.encoding).splitlines()
            with pytest.raises(ValueError):
                [json.loads(line) for line in lines]


@pytest.mark.slow
def test_the_support_export_is_the_world_as_of_the_clock_and_resumes_after_an_advance(
    world: Path, tmp_path: Path
) -> None:
    settings = _settings(world, tmp_path / "support")
    day = START + timedelta(days=200)
    advance(settings, day)
    headers = {"Authorization": f"Bearer {TOKEN}"}
    with start_server(settings, token=TOKEN) as server, httpx.Client(headers=headers, timeout=60) as client:
        cursors: dict[str, str] = {}
        for entity in ("tickets", "ticket_events", "users"):
            seen: list[int] = []
            answer = client.get(
                f"{server.url}/api/v2/incremental/{entity}/cursor.json", params={"start_time": 0}
            )
            while True:
                body = answer.json()
                seen += [record["id"] for record in body[entity]]
                if body["end_of_stream"]:
                    cursors[entity] = body["after_cursor"]
                    break
                answer = client.get(body["after_url"])
            frame = pl.read_parquet(world / "support" / f"{entity}.parquet", columns=["id", "_visible_at"])
            expected = frame.filter(pl.col("_visible_at") < _end_of(day)).get_column("id").unique()
            assert len(seen) == len(set(seen)) == expected.len() > 0
            assert set(seen) == set(expected.to_list())
        later = day + timedelta(days=7)
        advance(settings, later)
        for entity, cursor in cursors.items():
            body = client.get(
                f"{server.url}/api/v2/incremental/{entity}/cursor.json", params={"cursor": cursor}
            ).json()
            frame = pl.read_parquet(world / "support" / f"{entity}.parquet", columns=["id", "_visible_at"])
            window = frame.filter(
                pl.col("_visible_at").is_between(_end_of(day), _end_of(later), closed="left")
            )
            assert {r["id"] for r in body[entity]} == set(window.get_column("id").to_list())


@pytest.mark.slow
@pytest.mark.postgres
def test_the_postgresql_sales_database_equals_the_sqlite_one(
    world: Path, tmp_path: Path, postgres_url: str
) -> None:
    import psycopg

    settings = _settings(world, tmp_path / "pg")
    day = START + timedelta(days=300)
    advance(settings, day - timedelta(days=3))
    advance(settings, day, sales_db_url=postgres_url)  # a full build on PostgreSQL …
    sales_db.sync(settings, day)  # … and a delta on SQLite
    lite = _dump(settings)
    with psycopg.connect(postgres_url) as con:
        con.execute("SET TIME ZONE 'UTC'")
        for entity in SALES:
            cursor = con.execute(f'SELECT * FROM "{entity.name}"')
            pg = {tuple(_normalise(v) for v in row) for row in cursor.fetchall()}
            assert pg == {tuple(_normalise(v) for v in row) for row in lite[entity.name]}, entity.name


def _normalise(value: Any) -> Any:
    from decimal import Decimal

    if isinstance(value, datetime):
        return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, Decimal | float):
        return round(float(value), 6)
    return value


@pytest.fixture(scope="module")
def built(world: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Settings]:
    """Sources built at the world's end date, for comparing the checked-in samples' shape."""
    root = tmp_path_factory.mktemp("built")
    settings = _settings(world, root / "data")
    advance(settings, json_end(world))
    yield settings
    shutil.rmtree(root, ignore_errors=True)


def json_end(world: Path) -> date:
    return date.fromisoformat(json.loads((world / "world.json").read_text(encoding="utf-8"))["end"])


@pytest.mark.slow
def test_the_checked_in_samples_have_the_current_export_shape(built: Settings) -> None:
    with closing(sqlite3.connect(built.sales_sqlite_path)) as con:
        for entity in SALES:
            columns = [row[1] for row in con.execute(f"PRAGMA table_info('{entity.name}')")]
            with (SAMPLES_DIR / "sales" / f"{entity.name}.csv").open(encoding="utf-8", newline="") as sample:
                assert next(csv.reader(sample)) == columns, entity.name
    headers = {"Authorization": f"Bearer {TOKEN}"}
    with start_server(built, token=TOKEN) as server, httpx.Client(headers=headers, timeout=60) as client:
        for entity in SUPPORT:
            live = client.get(
                f"{server.url}/api/v2/incremental/{entity.name}/cursor.json",
                params={"start_time": 0, "per_page": 1},
            ).json()
            sample = json.loads((SAMPLES_DIR / "support" / f"{entity.name}.json").read_text(encoding="utf-8"))
            assert set(sample) == set(live), entity.name
            assert list(sample[entity.name][0]) == list(live[entity.name][0]), entity.name
    (folder,) = (SAMPLES_DIR / "marketing" / "inbox").iterdir()
    manifest = json.loads((folder / "_manifest.json").read_text(encoding="utf-8"))
    for entry in manifest["files"]:
        live_file = built.marketing_inbox / folder.name / entry["file_name"]
        sample_file = folder / entry["file_name"]
        assert entry["sha256"] == hashlib.sha256(sample_file.read_bytes()).hexdigest()
        assert _first_line(sample_file, entry) == _first_line(live_file, entry), entry["file_name"]


def _first_line(path: Path, entry: dict[str, Any]) -> str:
    """The header of a CSV, or the keys of the first NDJSON record."""
    data = path.read_bytes()
    text = (gzip.decompress(data) if entry["gzip"] else data).decode(entry["encoding"])
    line = text.split("\n", 1)[0]
    return ",".join(json.loads(line)) if entry["format"] == "ndjson" else line


def test_samples_cover_every_source_entity_with_contract_columns() -> None:
    for entity in SALES:
        with (SAMPLES_DIR / "sales" / f"{entity.name}.csv").open(encoding="utf-8", newline="") as sample:
            rows = list(csv.reader(sample))
        assert set(entity.columns) <= set(rows[0]) and 1 <= len(rows) - 1 <= 10, entity.name
    for entity in SUPPORT:
        page = json.loads((SAMPLES_DIR / "support" / f"{entity.name}.json").read_text(encoding="utf-8"))
        assert {entity.name, "after_cursor", "after_url", "end_of_stream"} == set(page)
        assert page[entity.name] and all(set(entity.columns) <= set(r) for r in page[entity.name]), (
            entity.name
        )
    (folder,) = (SAMPLES_DIR / "marketing" / "inbox").iterdir()
    manifest = json.loads((folder / "_manifest.json").read_text(encoding="utf-8"))
    assert {e["file_kind"] for e in manifest["files"]} == set(MARKETING_BY_NAME)
    assert {p.name for p in folder.iterdir()} == {e["file_name"] for e in manifest["files"]} | {
        "_manifest.json"
    }
    for entry in manifest["files"]:
        data = (folder / entry["file_name"]).read_bytes()
        assert entry["sha256"] == hashlib.sha256(data).hexdigest() and entry["bytes"] == len(data)
        header = _first_line(folder / entry["file_name"], entry).split(",")
        missing = set(MARKETING_BY_NAME[entry["file_kind"]].columns) - set(header)
        assert len(missing) <= 1, (entry["file_name"], missing)  # at most one renamed by schema drift
