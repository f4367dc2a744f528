"""The whole ingestion path on the seeds engineers' tiny hand-made world, through the real transports
(SQLite / PostgreSQL sales database, HTTP support API, marketing inbox): idempotence, backfills,
crash safety, and the sales extractor on both database engines."""

from __future__ import annotations

import dataclasses
import os
import subprocess
import sys
from datetime import date

import pytest

from crm.settings import Settings
from ingestion import landing, run
from ingestion.checkpoints import CRASH_ENV, CRASH_EXIT_CODE
from seeds.transports import advance
from tests.ingestion.helpers import query, raw_fingerprints

SOURCES = ["sales", "support", "marketing"]
D1, D3, D5 = date(2025, 1, 1), date(2025, 1, 3), date(2025, 1, 5)
SMALL = run.ExtractOptions(support_page_size=1, support_batch_rows=2)

CHILD = """
import sys
from datetime import date
from crm.settings import Settings
from ingestion import run
settings = Settings.from_env()
dates = [date.fromisoformat(d) for d in sys.argv[1:]]
options = run.ExtractOptions(support_page_size=1, support_batch_rows=2)
run.ingest(settings, {sources!r}, dates, options=options)
"""


def _child(settings: Settings, dates: list[date], crash_at: str, sources: list[str] = SOURCES) -> int:
    env = os.environ | {
        "CRM_DATA_DIR": str(settings.data_dir),
        "CRM_SUPPORT_URL": settings.support_url,
        "CRM_SALES_DB_URL": settings.sales_db_url,
        CRASH_ENV: crash_at,
    }
    code = CHILD.format(sources=sources)
    return subprocess.run([sys.executable, "-c", code, *map(str, dates)], env=env, timeout=120).returncode


def test_every_batch_balances_and_lineage_is_recorded(tiny_served: Settings) -> None:
    advance(tiny_served, D5)
    report = run.ingest(tiny_served, SOURCES, [D5], options=SMALL)
    assert not report.errors
    rows = query(
        tiny_served,
        "select count(*), count_if(rows_in = rows_loaded + rows_quarantined) from ops.load_manifest",
    )
    assert rows[0][0] == rows[0][1] > 25
    assert query(tiny_served, "select count(distinct _source_cursor) from raw.support__tickets")[0][0] >= 2
    assert query(tiny_served, "select count(*) from raw.sales__account where is_deleted") == [(1,)]
    quarantined = query(tiny_served, "select sum(rows_quarantined) from ops.load_manifest")[0][0]
    assert query(tiny_served, "select count(*) from ops.quarantine") == [(quarantined,)]


def test_rerunning_a_date_and_the_whole_backfill_changes_nothing(tiny_served: Settings) -> None:
    advance(tiny_served, D5)
    run.ingest(tiny_served, SOURCES, run.days(D1, D5), options=SMALL)
    before = raw_fingerprints(tiny_served), query(tiny_served, "select count(*) from ops.load_manifest")
    assert run.ingest(tiny_served, SOURCES, [D3], options=SMALL).landed == []
    assert run.ingest(tiny_served, SOURCES, run.days(D1, D5), options=SMALL).landed == []
    assert (
        raw_fingerprints(tiny_served),
        query(tiny_served, "select count(*) from ops.load_manifest"),
    ) == before


def test_backfill_day_by_day_equals_one_run_at_the_last_date(tiny_served: Settings, tmp_path) -> None:
    advance(tiny_served, D3)
    run.ingest(tiny_served, SOURCES, run.days(D1, D3), options=SMALL)
    day_by_day = raw_fingerprints(tiny_served)
    at_once = dataclasses.replace(tiny_served, data_dir=tmp_path / "at_once")
    _copy_sources(tiny_served, at_once)
    run.ingest(at_once, SOURCES, [D3], options=SMALL)
    assert raw_fingerprints(at_once) == day_by_day
    assert len(day_by_day) >= 20


def _copy_sources(settings: Settings, other: Settings) -> None:
    import shutil

    shutil.copytree(settings.world_dir, other.world_dir)
    shutil.copytree(settings.sources_dir, other.sources_dir)


def test_daily_runs_with_an_advancing_clock_carry_every_version(tiny_served: Settings) -> None:
    for day in run.days(date(2024, 12, 31), D5):
        advance(tiny_served, day)
        report = run.ingest(tiny_served, SOURCES, [day], options=SMALL)
        assert not report.errors
    # Account 1 has three versions (the last a soft delete), each seen on its own day.
    versions = query(
        tiny_served,
        "select count(*), max(is_deleted::int) from raw.sales__account where id = 'ID000000000000001'",
    )
    assert versions == [(3, 1)]
    # Account 3's second version is stamped exactly at midnight: it belongs to the next day's batch.
    batches = query(
        tiny_served, "select _batch_id from raw.sales__account where id = 'ID000000000000003' order by 1"
    )
    assert [b[0].split("__")[2] for b in batches] == ["20250102", "20250104"]
    latest = query(tiny_served, "select count(distinct id) from raw.sales__account")
    assert latest == [(4,)]


@pytest.mark.slow
@pytest.mark.parametrize("step", ["extracted:3", "landed_data:3", "landed:3", "loaded:3", "committed:3"])
def test_a_crash_between_steps_then_a_rerun_ends_as_an_uninterrupted_run(
    tiny_served: Settings, tmp_path, step: str
) -> None:
    advance(tiny_served, D5)
    clean = dataclasses.replace(tiny_served, data_dir=tmp_path / "clean")
    _copy_sources(tiny_served, clean)
    run.ingest(clean, SOURCES, [D3, D5], options=SMALL)

    assert _child(tiny_served, [D3, D5], crash_at=step) == CRASH_EXIT_CODE
    report = run.ingest(tiny_served, SOURCES, [D3, D5], options=SMALL)
    assert not report.errors
    assert raw_fingerprints(tiny_served) == raw_fingerprints(clean)
    counts = "select source, entity, sum(rows_in), sum(rows_loaded) from ops.load_manifest group by all"
    counts += " order by 1, 2"
    assert query(tiny_served, counts) == query(clean, counts)


def test_support_export_killed_mid_way_resumes_from_the_last_landed_cursor(
    tiny_served: Settings, tmp_path
) -> None:
    advance(tiny_served, D5)
    clean = dataclasses.replace(tiny_served, data_dir=tmp_path / "clean")
    _copy_sources(tiny_served, clean)
    run.ingest(clean, ["support"], [D5], options=SMALL)

    # Killed right after the second chunk landed: organizations (2 rows), then users' first 2 of 3.
    assert _child(tiny_served, [D5], crash_at="landed:2", sources=["support"]) == CRASH_EXIT_CODE
    before = landing.manifests(tiny_served, "support", "users")
    run.ingest(tiny_served, ["support"], [D5], options=SMALL)
    after = landing.manifests(tiny_served, "support", "users")
    assert [m.rows_in for m in before] == [2] and [m.rows_in for m in after] == [2, 1]
    resumed = after[len(before)]
    assert resumed.position["cursor_from"] == before[-1].position["cursor_to"]
    assert raw_fingerprints(tiny_served) == raw_fingerprints(clean)


def test_support_extractor_survives_429_5xx_slow_and_malformed_pages_from_the_real_server(
    tiny: Settings, tmp_path, caplog: pytest.LogCaptureFixture
) -> None:
    from seeds.transports.support_api import Faults, start_server

    advance(tiny, D5)
    clean = dataclasses.replace(tiny, data_dir=tmp_path / "clean")
    _copy_sources(tiny, clean)
    with start_server(clean, token=clean.support_token) as server:
        run.ingest(dataclasses.replace(clean, support_url=server.url), ["support"], [D5], options=SMALL)

    faults = Faults(error_rate=0.25, slow_rate=0.3, slow_seconds=1.2, malformed_rate=0.2, seed=3)
    caplog.set_level("INFO", logger="ingestion.support.client")
    with start_server(tiny, token=tiny.support_token, rate_limit=3, faults=faults) as server:
        unfriendly = dataclasses.replace(tiny, support_url=server.url)
        options = dataclasses.replace(SMALL, http_timeout_seconds=1.0, support_page_size=2)
        report = run.ingest(unfriendly, ["support"], [D5], options=options)
    assert not report.errors
    retried = " ".join(r.getMessage() for r in caplog.records if "retrying" in r.getMessage())
    for symptom in ("429", "50", "malformed body", "Timeout"):
        assert symptom in retried, f"the server never produced {symptom!r}: {retried}"
    assert raw_fingerprints(tiny) == raw_fingerprints(clean)


def test_support_client_honours_retry_after_and_fails_fast_on_a_bad_token(tiny: Settings) -> None:
    from ingestion.support.client import SupportApiError, SupportClient
    from seeds.transports.support_api import start_server

    advance(tiny, D5)
    waits: list[float] = []
    with start_server(tiny, token=tiny.support_token, rate_limit=1) as server:
        with SupportClient(server.url, tiny.support_token, sleep=waits.append) as client:
            pages = list(client.pages("ticket_events", cursor=None, per_page=1))
        assert sum(p.rows for p in pages) == 5
        assert waits and all(w >= 1 for w in waits)  # Retry-After is whole seconds, honoured as given
        with (
            SupportClient(server.url, "wrong-token") as client,
            pytest.raises(SupportApiError, match=r"401.*CRM_SUPPORT_TOKEN"),
        ):
            list(client.pages("tickets", cursor=None))


@pytest.mark.postgres
def test_sales_extractor_reads_postgresql_the_same_as_sqlite(
    tiny: Settings, postgres_url: str, tmp_path
) -> None:
    advance(tiny, D3)
    run.ingest(tiny, ["sales"], [D1, D3])
    on_postgres = dataclasses.replace(tiny, data_dir=tmp_path / "pg", sales_db_url=postgres_url)
    _copy_sources(tiny, on_postgres)
    advance(on_postgres, D3, sales_db_url=postgres_url)
    run.ingest(on_postgres, ["sales"], [D1, D3])
    assert raw_fingerprints(on_postgres) == raw_fingerprints(tiny)
    assert (
        landing.manifests(on_postgres, "sales", "account")[-1]
        .position["watermark_to"]
        .startswith("2025-01-03")
    )


def test_extraction_runs_while_another_process_holds_the_warehouse(tiny_served: Settings) -> None:
    import duckdb

    advance(tiny_served, D5)
    run.load(tiny_served)  # creates the warehouse file
    holder = duckdb.connect(str(tiny_served.warehouse_path))  # what a running load looks like
    try:
        code = (
            "from datetime import date\nfrom crm.settings import Settings\nfrom ingestion import run\n"
            "s = Settings.from_env()\n"
            "for source in ('sales', 'support', 'marketing'):\n    run.extract(s, source, date(2025, 1, 5))\n"
        )
        env = os.environ | {
            "CRM_DATA_DIR": str(tiny_served.data_dir),
            "CRM_SUPPORT_URL": tiny_served.support_url,
        }
        assert subprocess.run([sys.executable, "-c", code], env=env, timeout=120).returncode == 0
    finally:
        holder.close()
    assert sum(m.rows_in for m in landing.manifests(tiny_served, "sales", "account")) == 4
    assert len(run.load(tiny_served)) > 25
