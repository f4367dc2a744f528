"""Extract the help desk through its cursor-based incremental export API.

Zendesk semantics: the API cannot show the past, so a run for logical date D takes everything after
the last landed cursor (records are ordered by write time, so late events written later come later)
and labels the batch D. Pages are landed in chunks of ``batch_rows`` rows, each chunk a batch whose
manifest records the cursor range it covers; a run killed mid-export resumes from the last landed
chunk's ``after_cursor`` — nothing re-read twice into raw, nothing skipped. Each row keeps, as
lineage, the request that returned it (``_source_cursor``).

Pages are fetched on a background thread a few pages ahead of the chunk being built and landed, so
the next request waits on the network while this process enforces and writes the current chunk; they
are consumed in order, so chunks and cursors are those of a serial export.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from datetime import date
from typing import Any

import polars as pl

from crm.settings import Settings
from ingestion.contracts import Entity
from ingestion.enforce import QUARANTINE_SCHEMA, ROW_LINEAGE
from ingestion.extract import Delivery, prefetch
from ingestion.landing import Manifest
from ingestion.support.client import Page, SupportClient
from ingestion.support.entities import ENTITIES

PAGES_AHEAD = 32  # pages fetched before the consumer asks for them: covers a chunk's landing, bounds memory


def extract(
    settings: Settings,
    logical_date: date,
    history: dict[str, list[Manifest]],
    *,
    per_page: int = 1000,
    batch_rows: int = 100_000,
    timeout_seconds: float = 30.0,
) -> Iterator[Delivery]:
    """Yield chunks of every entity's export after its last landed cursor."""
    with SupportClient(
        settings.support_url, settings.support_token, timeout_seconds=timeout_seconds
    ) as client:
        for entity in ENTITIES:
            landed = [m for m in history.get(entity.name, []) if m.status == "landed"]
            cursor = landed[-1].position["cursor_to"] if landed else None
            yield from _chunks(client, entity, cursor, per_page, batch_rows)


def _chunks(
    client: SupportClient, entity: Entity, cursor: str | None, per_page: int, batch_rows: int
) -> Iterator[Delivery]:
    pages: list[Page] = []
    rows = 0
    started = time.perf_counter()
    start_cursor = cursor
    for page in prefetch(client.pages(entity.name, cursor=cursor, per_page=per_page), PAGES_AHEAD):
        if page.rows:
            pages.append(page)
            rows += page.rows
        if pages and (rows >= batch_rows or page.end_of_stream):
            yield _delivery(entity, pages, start_cursor, page.after_cursor, started)
            pages, rows, start_cursor, started = [], 0, page.after_cursor, time.perf_counter()


def _delivery(
    entity: Entity, pages: list[Page], cursor_from: str | None, cursor_to: str, started: float
) -> Delivery:
    frame, rejected = _frame(entity, pages)
    return Delivery(
        entity=entity,
        frame=frame,
        position={"cursor_from": cursor_from, "cursor_to": cursor_to, "pages": len(pages)},
        origin=f"support API {entity.name} export ({len(pages)} pages after {cursor_from or 'start_time=0'})",
        rejected=rejected,
        rows_in=frame.height + rejected.height,
        timings={"read_s": round(time.perf_counter() - started, 4)},
    )


def _frame(entity: Entity, pages: list[Page]) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Pages as one frame (JSON shapes as parsed, then judged by the contract), with per-row lineage."""
    frames = []
    rejected: list[tuple[str, str]] = []
    for page in pages:
        frame = page.frame
        if frame is None:
            frame, bad = _record_by_record(page.records or [])
            rejected.extend(bad)
        frames.append(frame.with_columns(pl.lit(page.request, pl.String).alias(ROW_LINEAGE)))
    combined = pl.concat(frames, how="diagonal_relaxed")
    return combined, pl.DataFrame(rejected, schema=QUARANTINE_SCHEMA, orient="row")


def _record_by_record(records: list[dict[str, Any]]) -> tuple[pl.DataFrame, list[tuple[str, str]]]:
    """Slow path for a page whose records disagree on a field's JSON type: reject the minority shape.

    The records are grouped by the JSON type of each field; the largest group's shape is kept and the
    records of other shapes are quarantined with the field that differs.
    """
    shapes: dict[tuple[tuple[str, str], ...], list[dict[str, Any]]] = {}
    for record in records:
        shape = tuple(
            sorted((key, type(value).__name__) for key, value in record.items() if value is not None)
        )
        shapes.setdefault(shape, []).append(record)
    kept: list[dict[str, Any]] = []
    bad: list[tuple[str, str]] = []
    types: dict[str, str] = {}
    for shape, group in sorted(shapes.items(), key=lambda item: -len(item[1])):
        conflicts = [
            f"{key} is {kind}, expected {types[key]}" for key, kind in shape if types.get(key, kind) != kind
        ]
        if conflicts:
            bad += [
                (json.dumps(r, ensure_ascii=False), f"record does not fit the API shape: {conflicts[0]}")
                for r in group
            ]
            continue
        types.update(shape)
        kept += group
    return pl.DataFrame(kept, infer_schema_length=None), bad
