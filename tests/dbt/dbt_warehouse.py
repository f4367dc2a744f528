"""The warehouses the dbt tests share: how raw is loaded, and what a built warehouse offers.

Two worlds: SF 0.01, built twice (a first load, then the last ``INCREMENT_DAYS`` days incrementally),
which every dbt test reads; and SF 0.1, built once from a single load, which the truth tests read too
(``TRUTH_SCALE_FACTORS``) — dirt that is one record at SF 0.01 is dozens at SF 0.1.

The raw schema is loaded through the real path (``seeds.transports.advance`` + ``ingestion.run.ingest``
over SQLite, the local help-desk API and the marketing inbox). ``CRM_DBT_TEST_RAW=world`` switches to
the temporary direct loader in ``dev_raw.py`` (see its docstring) — only for developing models while
the transports or ingestion are broken; CI never sets it.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, replace
from datetime import date
from pathlib import Path

import duckdb

from crm.settings import Settings
from crm.transform import BuildSummary

SCALE_FACTOR = 0.01
LARGE_SCALE_FACTOR = 0.1
TRUTH_SCALE_FACTORS = (SCALE_FACTOR, LARGE_SCALE_FACTOR)
SEED = 7
INCREMENT_DAYS = 10  # the second load brings the last ten days of history


@dataclass(frozen=True)
class TruthWarehouse:
    """A warehouse built from a generated world as of its last day, beside that world's truth."""

    settings: Settings
    scale_factor: float
    last_day: date

    def connect(self) -> duckdb.DuckDBPyConnection:
        return duckdb.connect(str(self.settings.warehouse_path), read_only=True)

    @property
    def truth_dir(self) -> Path:
        return self.settings.truth_dir

    def scaled(self, count_at_sf001: float) -> float:
        """A count stated for SF 0.01, scaled to this warehouse's world (for bounds on dirt counts)."""
        return count_at_sf001 * self.scale_factor / SCALE_FACTOR


@dataclass(frozen=True)
class BuiltWarehouse(TruthWarehouse):
    """The SF 0.01 warehouse after a first build at ``first_day`` and an incremental one at ``last_day``."""

    first_day: date
    first_build: BuildSummary
    incremental_build: BuildSummary


def load_raw(settings: Settings, day: date) -> None:
    """Make the raw schema show the sources as of the end of ``day``."""
    if os.environ.get("CRM_DBT_TEST_RAW") == "world":
        from dev_raw import build_dev_raw

        build_dev_raw(settings.world_dir, settings.warehouse_path, until=day)
        return
    from ingestion import run
    from seeds.transports import advance
    from seeds.transports.support_api import start_server

    advance(settings, day)
    server = start_server(settings, port=0, token=settings.support_token)
    try:
        report = run.ingest(
            replace(settings, support_url=server.url), ["sales", "support", "marketing"], [day]
        )
    finally:
        server.stop()
    # A broken delivery (truncated file, bad encoding, …) fails its batch by design: the dirt the world
    # injects. A source that cannot be read at all is a real failure.
    assert not report.errors, f"ingestion for {day} failed: {report.errors}"
