"""Fixtures for the DAG tests: an SF 0.01 world with its sources opened up to the last test day, a real
HTTP webhook receiver, and helpers that run Airflow in a fresh process (Airflow reads its configuration
once, at import, so every Airflow run here gets its own process and AIRFLOW_HOME)."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
import threading
from collections.abc import Iterator
from datetime import date
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import duckdb
import polars as pl
import pytest

from crm.settings import Settings

DAYS = (date(2026, 10, 26), date(2026, 10, 27), date(2026, 10, 28))
REPO = Path(__file__).resolve().parents[2]
CRM = str(Path(sys.executable).with_name("crm"))
SNAPSHOT_COLUMNS = ("dbt_scd_id", "dbt_updated_at", "dbt_valid_from", "dbt_valid_to")
LOAD_LINEAGE_COLUMNS = ("loaded_at",)


@pytest.fixture(scope="session")
def sources_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An SF 0.01 world with the source systems at the last test day, built once per session."""
    from seeds.generator import generate
    from seeds.transports import advance

    root = tmp_path_factory.mktemp("sf001") / "data"
    settings = Settings.from_env(root)
    generate(settings.world_dir, settings.truth_dir, sf=0.01, seed=7, progress=False)
    advance(settings, DAYS[-1])
    return root


@pytest.fixture
def world(sources_template: Path, data_dir: Path) -> Settings:
    """A private copy of the SF 0.01 sources in this test's data directory."""
    for name in ("world", "sources"):
        shutil.copytree(sources_template / name, data_dir / name)
    return Settings.from_env(data_dir)


def run_env(data_dir: Path, **extra: str) -> dict[str, str]:
    """The environment of a child process working on ``data_dir`` (no inherited Airflow settings)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AIRFLOW", "CRM_"))}
    return {**env, "CRM_DATA_DIR": str(data_dir), "CRM_RETRY_DELAY_SECONDS": "1", **extra}


def run_crm(data_dir: Path, *args: str, timeout: float = 600, **extra: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [CRM, *args],
        env=run_env(data_dir, **extra),
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
        cwd=REPO,
    )


class WebhookReceiver:
    """A real HTTP server on loopback that records every JSON body POSTed to it."""

    def __init__(self) -> None:
        self.bodies: list[dict[str, Any]] = []
        received = self.bodies

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", "0"))
                received.append(json.loads(self.rfile.read(length)))
                self.send_response(204)
                self.end_headers()

            def log_message(self, *args: object) -> None:  # keep the test output clean
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hooks/crm"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def of_kind(self, kind: str) -> list[dict[str, Any]]:
        return [body for body in self.bodies if body["kind"] == kind]


@pytest.fixture
def webhook() -> Iterator[WebhookReceiver]:
    receiver = WebhookReceiver()
    receiver.thread.start()
    try:
        yield receiver
    finally:
        receiver.server.shutdown()
        receiver.server.server_close()


def marts_fingerprints(database: Path) -> dict[str, tuple[int, str]]:
    """Per marts table: (rows, sha256 of its sorted rows), on what the rows say rather than when they
    were made. The SCD2 snapshot keeps only its current versions without dbt's bookkeeping columns:
    how many versions it holds depends on how often dbt ran, which is exactly what a catch-up changes.
    ``loaded_at`` (the wall-clock lineage of a load) is left out, and doubles are compared to 12
    significant digits: DuckDB's parallel aggregation adds floats in no fixed order, so the last
    bit of a ratio varies from one build to the next."""
    result: dict[str, tuple[int, str]] = {}
    with duckdb.connect(str(database), read_only=True) as con:
        tables = [
            row[0]
            for row in con.execute(
                "select table_name from information_schema.tables where table_schema = 'marts' order by 1"
            ).fetchall()
        ]
        for table in tables:
            frame = con.sql(f'select * from marts."{table}"').pl()
            if "dbt_valid_to" in frame.columns:
                frame = frame.filter(pl.col("dbt_valid_to").is_null()).drop(SNAPSHOT_COLUMNS, strict=False)
            frame = frame.drop(LOAD_LINEAGE_COLUMNS, strict=False).with_columns(
                pl.col(pl.Float32, pl.Float64).round_sig_figs(12)
            )
            rows = sorted(frame.select(pl.struct(pl.all()).struct.json_encode()).to_series().to_list())
            result[table] = (len(rows), hashlib.sha256("\n".join(rows).encode()).hexdigest())
    return result
