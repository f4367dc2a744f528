"""Extract the sales CRM over SQL (SQLite or PostgreSQL, read with connectorx).

Incremental tables are read in the window ``(watermark, end of the logical date]`` on their cursor
column (``system_modstamp``, or ``created_date`` for the append-only history), ordered by cursor and
key. The watermark is the highest cursor value a landed batch holds, kept in the source's own text
form so that the comparison happens in the database exactly as the database orders it. It is the
highest value *seen*, not the window's end, so that a run whose logical date is ahead of what the
source shows cannot skip the rows the source shows later. Soft-deleted rows are rows like any other
(``is_deleted = true``). Snapshot tables (no change cursor) are read whole and land only when their
content changed.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from datetime import time as clock_time
from typing import Any

import connectorx as cx
import polars as pl

from crm.settings import Settings
from ingestion.contracts import Entity, WriteMode
from ingestion.extract import Delivery
from ingestion.landing import Manifest
from ingestion.sales.entities import ENTITIES

SQLITE_TIMESTAMP = "%Y-%m-%d %H:%M:%S.%f"  # how the sales SQLite stores timestamps (fixed-width UTC text)


def connection_url(url: str) -> tuple[str, str]:
    """(dialect, connectorx URL) for a SQLAlchemy-style sales database URL."""
    if url.startswith("sqlite:"):
        return "sqlite", url
    for prefix in ("postgresql+psycopg://", "postgresql+psycopg2://", "postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql", "postgresql://" + url.removeprefix(prefix)
    raise ValueError(f"unsupported sales database URL {url!r}: use sqlite:///<path> or postgresql://…")


def end_of_day(logical_date: date) -> datetime:
    """The first instant after logical date D (UTC): the exclusive upper bound of D's window."""
    return datetime.combine(logical_date + timedelta(days=1), clock_time(0), tzinfo=UTC)


def _literal(dialect: str, value: datetime | str) -> str:
    """A timestamp literal the database compares in its own ordering."""
    if isinstance(value, datetime):
        text = value.strftime(SQLITE_TIMESTAMP) if dialect == "sqlite" else value.isoformat()
    else:
        text = value
    text = text.replace("'", "''")
    return f"'{text}'" if dialect == "sqlite" else f"'{text}'::timestamptz"


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def window_query(entity: Entity, dialect: str, after: str | None, upto: datetime) -> str:
    """The incremental query for one table: rows with ``after < cursor < upto``, in cursor order."""
    assert entity.cursor is not None
    cursor = _quote(entity.cursor)
    conditions = [f"{cursor} < {_literal(dialect, upto)}"]
    if after is not None:
        conditions.insert(0, f"{cursor} > {_literal(dialect, after)}")
    order = ", ".join(_quote(c) for c in (entity.cursor, *entity.primary_key))
    return f"SELECT * FROM {_quote(entity.name)} WHERE {' AND '.join(conditions)} ORDER BY {order}"


def _read(url: str, query: str) -> pl.DataFrame:
    frame = cx.read_sql(url, query, return_type="polars")
    assert isinstance(frame, pl.DataFrame)
    return frame


def _watermark(frame: pl.DataFrame, column: str, dialect: str) -> str:
    """The highest cursor value in a batch, as text the database orders the same way it orders the column.

    SQLite keeps timestamps as fixed-width text, compared as text: the watermark must use the very
    same layout (connectorx may hand them back parsed). PostgreSQL gets ISO 8601 with an offset.
    """
    highest = frame.get_column(column).max()
    if isinstance(highest, datetime):
        highest = highest.replace(tzinfo=UTC) if highest.tzinfo is None else highest.astimezone(UTC)
        return highest.strftime(SQLITE_TIMESTAMP) if dialect == "sqlite" else highest.isoformat()
    return str(highest)


def content_sha256(frame: pl.DataFrame, key: tuple[str, ...]) -> str:
    """A checksum of a snapshot's content, independent of the order the database returned rows in."""
    ordered = frame.sort(list(key)).write_csv()
    return hashlib.sha256(ordered.encode()).hexdigest()


def extract(settings: Settings, logical_date: date, history: dict[str, list[Manifest]]) -> Iterator[Delivery]:
    """Yield one delivery per sales table with rows new since its last landed batch (up to end of D)."""
    dialect, url = connection_url(settings.sales_db_url)
    upto = end_of_day(logical_date)
    for entity in ENTITIES:
        landed = [m for m in history.get(entity.name, []) if m.status == "landed"]
        started = time.perf_counter()
        position: dict[str, Any]
        if entity.write_mode is WriteMode.SNAPSHOT:
            frame = _read(url, f"SELECT * FROM {_quote(entity.name)}")
            if frame.height == 0:
                continue
            checksum = content_sha256(frame, entity.primary_key)
            if landed and landed[-1].position.get("content_sha256") == checksum:
                continue
            position = {"content_sha256": checksum}
            lineage = f"snapshot sha256:{checksum[:16]}"
        else:
            assert entity.cursor is not None
            after = landed[-1].position["watermark_to"] if landed else None
            frame = _read(url, window_query(entity, dialect, after, upto))
            if frame.height == 0:
                continue
            high = _watermark(frame, entity.cursor, dialect)
            position = {"cursor": entity.cursor, "watermark_from": after, "watermark_to": high}
            lineage = f"{entity.cursor} in ({after or '-inf'}, {high}]"
        yield Delivery(
            entity=entity,
            frame=frame,
            position=position,
            origin=f"{dialect} table {entity.name}",
            lineage=lineage,
            rows_in=frame.height,
            timings={"read_s": round(time.perf_counter() - started, 4)},
        )
