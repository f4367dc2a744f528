"""Rows per stage, counted from what the stage wrote — never assumed from the scale factor.

Every counter opens the DuckDB files read-only and closes them at once: the next stage is a writer.
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import duckdb

from crm.settings import Settings

# Schemas of the warehouse that dbt does not build (the loader's raw tables, the pipeline's bookkeeping)
NOT_DBT_SCHEMAS = ("raw", "ops")


def generated_rows(settings: Settings) -> int:
    """Source rows the generator wrote (``world/world.json``)."""
    world = json.loads((settings.world_dir / "world.json").read_text(encoding="utf-8"))
    return sum(int(count) for count in world["row_counts"].values())


def landed_rows(settings: Settings, *, source: str | None = None, logical_date: date | None = None) -> int:
    """Rows that arrived in landing (``rows_in`` of the batch manifests), for a source and/or a day."""
    pattern = f"{source or '*'}/*/date={logical_date.isoformat() if logical_date else '*'}/*.manifest.json"
    total = 0
    for path in settings.landing_dir.glob(pattern):
        manifest = json.loads(path.read_text(encoding="utf-8"))
        total += int(manifest["rows_in"])
    return total


def raw_rows(settings: Settings) -> int:
    """Rows in the warehouse's ``raw`` tables (what the loader committed)."""
    return _table_rows(settings.warehouse_path, "table_schema = 'raw'")


def dbt_rows(settings: Settings) -> int:
    """Rows in the tables dbt materialised (models, snapshots, seeds); views hold none."""
    excluded = ", ".join(f"'{schema}'" for schema in NOT_DBT_SCHEMAS)
    return _table_rows(settings.warehouse_path, f"table_schema not in ({excluded})")


def check_rows(settings: Settings, run_id: str, stage: str) -> int:
    """Check results the quality gate stored for ``run_id`` and ``stage`` (``ops.check_results``)."""
    with duckdb.connect(str(settings.warehouse_path), read_only=True) as con:
        found = con.execute(
            "select count(*) from ops.check_results where run_id = ? and stage = ?", [run_id, stage]
        ).fetchone()
    return int(found[0]) if found else 0


def served_rows(settings: Settings) -> int:
    """Rows of the published marts, as the serving file's ``meta.publication`` declares them."""
    with duckdb.connect(str(settings.serve_path), read_only=True) as con:
        found = con.execute("select coalesce(sum(row_count), 0) from meta.publication").fetchone()
    return int(found[0]) if found else 0


def _table_rows(database: Path, where: str) -> int:
    with duckdb.connect(str(database), read_only=True) as con:
        tables = con.execute(
            "select table_schema, table_name from information_schema.tables "
            f"where table_type = 'BASE TABLE' and {where}"
        ).fetchall()
        total = 0
        for schema, table in tables:
            found = con.execute(f'select count(*) from "{schema}"."{table}"').fetchone()
            total += int(found[0]) if found else 0
    return total
