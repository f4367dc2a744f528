"""Where things live and how to reach the sources: one place, read from the environment.

Every path hangs off the data directory (``--data-dir`` / ``CRM_DATA_DIR``, default ``./data``), so a
whole run — sources, landing, warehouse, serving database, reports — can be moved or deleted as one
folder. Connection settings have embedded defaults that point at the local simulators, so nothing
needs configuring for the demo.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

DEFAULT_SUPPORT_PORT = 8765
DEFAULT_SUPPORT_TOKEN = "crm-demo-token"  # the local simulator's token; real deployments set their own
# DuckDB's memory budget for every process that opens the warehouse (loader, dbt, publish, checks):
# 3 GB keeps the largest process (dbt) under the 4 GiB RSS target with dbt's own Python heap on top
DEFAULT_DUCKDB_MEMORY_LIMIT = "3GB"


@dataclass(frozen=True)
class Settings:
    """Resolved locations and connection settings for one invocation."""

    data_dir: Path
    sales_db_url: str
    support_url: str
    support_token: str

    @classmethod
    def from_env(cls, data_dir: Path | str | None = None) -> Settings:
        root = Path(data_dir or os.environ.get("CRM_DATA_DIR") or "data").resolve()
        default_sales = f"sqlite:///{root / 'sources' / 'sales.db'}"
        return cls(
            data_dir=root,
            sales_db_url=os.environ.get("CRM_SALES_DB_URL") or default_sales,
            support_url=(
                os.environ.get("CRM_SUPPORT_URL") or f"http://127.0.0.1:{DEFAULT_SUPPORT_PORT}"
            ).rstrip("/"),
            support_token=os.environ.get("CRM_SUPPORT_TOKEN") or DEFAULT_SUPPORT_TOKEN,
        )

    # --- the simulated world (seeds/) -------------------------------------------------------
    @property
    def world_dir(self) -> Path:
        """The generator's full history, as Parquet; only the transports read it."""
        return self.data_dir / "world"

    @property
    def truth_dir(self) -> Path:
        """Ground truth for tests; the pipeline never reads it."""
        return self.data_dir / "truth"

    @property
    def sources_dir(self) -> Path:
        """What the source systems expose at the current clock."""
        return self.data_dir / "sources"

    @property
    def clock_file(self) -> Path:
        return self.sources_dir / "clock.json"

    @property
    def sales_sqlite_path(self) -> Path:
        return self.sources_dir / "sales.db"

    @property
    def marketing_inbox(self) -> Path:
        return self.sources_dir / "marketing" / "inbox"

    # --- the pipeline ---------------------------------------------------------------------------
    @property
    def landing_dir(self) -> Path:
        return self.data_dir / "landing"

    @property
    def warehouse_path(self) -> Path:
        return self.data_dir / "warehouse" / "crm.duckdb"

    @property
    def dbt_dir(self) -> Path:
        """dbt's artefacts for this warehouse: ``target/`` (manifest, run results) and logs."""
        return self.data_dir / "dbt"

    @property
    def serve_path(self) -> Path:
        return self.data_dir / "serve" / "crm.duckdb"

    @property
    def reports_dir(self) -> Path:
        return self.data_dir / "reports"

    @property
    def logs_dir(self) -> Path:
        return self.data_dir / "logs"


def duckdb_memory_limit() -> str:
    """DuckDB's ``memory_limit`` (``CRM_DUCKDB_MEMORY_LIMIT``, e.g. ``3GB``); dbt's profile reads the same."""
    return os.environ.get("CRM_DUCKDB_MEMORY_LIMIT") or DEFAULT_DUCKDB_MEMORY_LIMIT


@contextmanager
def temporary_environment(values: Mapping[str, str]) -> Iterator[None]:
    """Set environment variables for the code inside the block (dbt's ``profiles.yml``, the policy path)
    and restore what was there before, unset variables included."""
    saved = {name: os.environ.get(name) for name in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
