"""TEMPORARY: build a raw schema straight from the generator's world, for developing dbt before ingestion.

This is *not* the pipeline: the pipeline reads the sources only through their transports and
`crm ingest`. It exists so that dbt models could be written while ingestion was being built, and to
run the dbt tests against a world when only the generator is available. Remove it once every dbt
test runs through `crm ingest`.

It writes `raw.<source>__<entity>` exactly as the loaders do in shape: the world's rows visible up to
the end of a clock date (every version, append-only), the source's column names, plus the lineage
columns `_batch_id`, `_loaded_at` (= when the version became visible) and `_source_cursor` /
`_source_file`. Sales and support are already typed in the world; marketing stays text as exported,
which staging must parse either way.
"""

from __future__ import annotations

import json
from datetime import date, timedelta
from pathlib import Path

import duckdb


def build_dev_raw(world_dir: Path, warehouse_path: Path, until: date | None = None) -> dict[str, int]:
    """Write every world table visible before ``until`` + 1 day into ``raw``; return rows per table."""
    meta = json.loads((world_dir / "world.json").read_text(encoding="utf-8"))
    clock = until or date.fromisoformat(meta["end"])
    cutoff = (clock + timedelta(days=1)).isoformat()
    warehouse_path.parent.mkdir(parents=True, exist_ok=True)
    counts: dict[str, int] = {}
    with duckdb.connect(str(warehouse_path)) as con:
        con.execute("set TimeZone = 'UTC'")
        con.execute("create schema if not exists raw")
        for source in ("sales", "support", "marketing"):
            lineage = "_source_file" if source == "marketing" else "_source_cursor"
            for path in sorted((world_dir / source).glob("*.parquet")):
                if path.name.startswith("_"):
                    continue
                table = f"raw.{source}__{path.stem}"
                columns = {
                    name for name, *_ in con.sql(f"describe select * from read_parquet('{path}')").fetchall()
                }
                # reference tables without _visible_at (e.g. currency_rate) are visible from the start
                visible = (
                    "_visible_at"
                    if "_visible_at" in columns
                    else f"timestamptz '{meta['start']} 00:00:00+00'"
                )
                hidden = ", ".join(c for c in ("_visible_at", "_delivery_date") if c in columns)
                con.execute(
                    f"""
                    create or replace table {table} as
                    select * {f"exclude ({hidden})" if hidden else ""},
                        'dev-' || strftime({visible}, '%Y%m%d') as _batch_id,
                        {visible} as _loaded_at,
                        '{path.name}' as {lineage}
                    from read_parquet('{path}')
                    where {visible} < timestamptz '{cutoff} 00:00:00+00'
                    """
                )
                counts[table] = con.sql(f"select count(*) from {table}").fetchall()[0][0]
    return counts
