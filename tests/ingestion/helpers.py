"""Helpers for the ingestion tests: a hand-made inbox writer and raw-table fingerprints."""

from __future__ import annotations

import gzip
import hashlib
import json
from datetime import date
from pathlib import Path

import duckdb
import polars as pl

from crm.settings import Settings

LINEAGE = ("_batch_id", "_loaded_at", "_source_file", "_source_cursor")


def deliver(settings: Settings, day: date, files: list[dict], manifest_overrides: dict | None = None) -> Path:
    """Drop files into the inbox folder of ``day`` with a ``_manifest.json`` written last.

    Each file: ``name``, ``kind``, ``text``, optional ``format`` (csv), ``gzip``, ``encoding`` (utf-8),
    ``rows`` (data rows; counted from the text when omitted) and ``cut`` (bytes kept on disk, for a
    truncated file whose manifest describes the whole file).
    """
    folder = settings.marketing_inbox / day.isoformat()
    folder.mkdir(parents=True, exist_ok=True)
    entries = []
    for spec in files:
        content = spec["text"].encode(spec.get("encoding", "utf-8"))
        if spec.get("gzip"):
            content = gzip.compress(content, mtime=0)
        described = content
        if "cut" in spec:
            content = content[: spec["cut"]]
        (folder / spec["name"]).write_bytes(content)
        fmt = spec.get("format", "csv")
        rows = spec.get("rows")
        if rows is None:
            rows = len([line for line in spec["text"].splitlines() if line]) - (1 if fmt == "csv" else 0)
        entry = {
            "file_name": spec["name"],
            "file_kind": spec["kind"],
            "format": fmt,
            "gzip": bool(spec.get("gzip")),
            "encoding": spec.get("declared_encoding", spec.get("encoding", "utf-8")),
            "row_count": rows,
            "bytes": len(described),
            "sha256": hashlib.sha256(described).hexdigest(),
        }
        entries.append(entry | (manifest_overrides or {}).get(spec["name"], {}))
    manifest = {"delivery_date": day.isoformat(), "written_at": f"{day}T06:00:00Z", "files": entries}
    (folder / "_manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    return folder


def raw_fingerprints(settings: Settings) -> dict[str, tuple[int, str]]:
    """Per raw table: (rows, sha256 of its sorted rows without lineage columns) — content, not lineage."""
    con = duckdb.connect(str(settings.warehouse_path), read_only=True)
    try:
        tables = [
            r[0]
            for r in con.execute(
                "select table_name from information_schema.tables where table_schema = 'raw' order by 1"
            ).fetchall()
        ]
        result = {}
        for table in tables:
            frame = con.sql(f'select * from raw."{table}"').pl()
            frame = frame.drop([c for c in LINEAGE if c in frame.columns])
            rows = sorted(frame.select(pl.struct(pl.all()).struct.json_encode()).to_series().to_list())
            result[table] = (len(rows), hashlib.sha256("\n".join(rows).encode()).hexdigest())
        return result
    finally:
        con.close()


def query(settings: Settings, sql: str) -> list[tuple]:
    con = duckdb.connect(str(settings.warehouse_path), read_only=True)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()
