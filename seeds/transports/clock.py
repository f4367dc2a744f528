"""The simulated world's clock and the one as-of rule every transport applies.

The world holds every version of every record with ``_visible_at``, the moment that version was
written to its source system. As of clock date D a source shows, for each record, the latest version
with ``_visible_at < D + 1 day`` (UTC); a record whose first version is later does not exist yet.
Advancing D → D' therefore reveals exactly the versions with ``_visible_at`` in ``[D + 1 day,
D' + 1 day)``. This module is the only place that rule is written; the transports call it.
"""

from __future__ import annotations

import json
import os
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path

import polars as pl

from crm.settings import Settings
from seeds.transports.contract import VISIBLE_AT, Entity


class WorldError(RuntimeError):
    """The world on disk is missing or does not follow the format of seeds/README.md."""


def cutoff(as_of: date) -> datetime:
    """The first instant NOT visible as of ``as_of``: midnight UTC starting the next day."""
    return datetime.combine(as_of + timedelta(days=1), time(0), tzinfo=UTC)


def read_clock(settings: Settings) -> date | None:
    """The sources' current as-of date, or None when the clock has never been set."""
    path = settings.clock_file
    if not path.exists():
        return None
    try:
        return date.fromisoformat(json.loads(path.read_text(encoding="utf-8"))["as_of"])
    except (ValueError, KeyError, TypeError) as error:
        raise WorldError(f'{path}: expected {{"as_of": "YYYY-MM-DD"}}: {error}') from error


def write_clock(settings: Settings, as_of: date) -> None:
    """Set the clock atomically, so a server reading it mid-write never sees half a file."""
    write_atomic(settings.clock_file, (json.dumps({"as_of": as_of.isoformat()}) + "\n").encode())


def write_atomic(path: Path, content: bytes) -> None:
    """Write ``content`` to ``path`` via a temporary sibling and a rename: readers see old or new."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_bytes(content)
    os.replace(tmp, path)


def world_file(settings: Settings, entity: Entity) -> Path:
    """The Parquet file holding every version of ``entity``'s records."""
    path = settings.world_dir / entity.source / f"{entity.name}.parquet"
    if not path.exists():
        raise WorldError(f"{path} is missing: run `crm generate` first (or check --data-dir)")
    return path


def scan(settings: Settings, entity: Entity) -> pl.LazyFrame:
    """All versions of ``entity`` as a lazy scan, after checking the contract columns are there."""
    path = world_file(settings, entity)
    frame = pl.scan_parquet(path)
    present = frame.collect_schema().names()
    missing = [c for c in (*entity.columns, VISIBLE_AT) if c not in present]
    if missing:
        raise WorldError(f"{path}: missing column(s) {', '.join(missing)} required by the source contract")
    return frame


def as_of(versions: pl.LazyFrame, key: tuple[str, ...], as_of_date: date) -> pl.LazyFrame:
    """Each record's latest version visible as of ``as_of_date``, one row per key.

    Versions written at the same instant keep their file order, and the later row wins: the
    generator writes versions in the order they happened.
    """
    visible = versions.filter(pl.col(VISIBLE_AT) < cutoff(as_of_date))
    if not key:
        return visible
    return visible.sort(VISIBLE_AT, maintain_order=True).unique(
        subset=list(key), keep="last", maintain_order=True
    )


def changed(versions: pl.LazyFrame, key: tuple[str, ...], after: date | None, upto: date) -> pl.LazyFrame:
    """Records created or changed in ``(after, upto]``, each in its latest version as of ``upto``.

    A record's latest version as of ``upto`` lies in the window exactly when the record has any
    version in the window, so only the window's versions need reading: a one-day delta costs a
    filtered scan, not a pass over the whole history. ``after=None`` means "from the beginning of
    time" (a full build).
    """
    if after is not None:
        versions = versions.filter(pl.col(VISIBLE_AT) >= cutoff(after))
    return as_of(versions, key, upto)
