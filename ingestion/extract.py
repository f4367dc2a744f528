"""Shared extraction mechanics: what a source extractor yields, and how it becomes a landed batch.

A source package's extractor only talks to its source: it yields ``Delivery`` objects (rows as the
source gave them, plus the range they cover). ``land`` applies the entity's contract and commits the
batch to the landing zone. Extractors never open the warehouse: they resume from landing manifests.
``prefetch`` lets an extractor read the next delivery (or page) while the current one lands.
"""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Generator, Iterator
from dataclasses import dataclass, field
from datetime import date
from typing import Any, TypeVar

import polars as pl

from crm.settings import Settings
from ingestion import landing
from ingestion.checkpoints import checkpoint
from ingestion.contracts import Entity
from ingestion.enforce import ROW_LINEAGE, SchemaDriftError, enforce

T = TypeVar("T")


@dataclass
class Delivery:
    """Rows of one entity as the source delivered them, before the contract, or a failed delivery.

    ``position`` is what the next extraction resumes from (watermark, cursor or file checksum);
    ``lineage`` is the batch-level value of the raw table's ``_source_file`` / ``_source_cursor``.
    A delivery with ``error`` set lands as a failed batch: recorded, reported, nothing loaded.
    """

    entity: Entity
    frame: pl.DataFrame | None
    position: dict[str, Any]
    origin: str
    lineage: str | None = None
    rejected: pl.DataFrame | None = None
    error: str | None = None
    error_kind: str | None = None
    """Which of ``landing.ERROR_KINDS`` the ``error`` is; None for a failure of another kind."""
    rows_in: int = 0
    timings: dict[str, float] = field(default_factory=dict)


def land(settings: Settings, delivery: Delivery, logical_date: date, seq: int) -> landing.Manifest:
    """Enforce the contract on a delivery and commit it to landing as batch number ``seq``."""
    entity = delivery.entity
    checkpoint("extracted")
    started = time.perf_counter()
    manifest = landing.Manifest(
        source=entity.source,
        entity=entity.name,
        batch_id=landing.batch_id(entity.source, entity.name, logical_date, seq),
        seq=seq,
        logical_date=logical_date.isoformat(),
        status="failed",
        rows_in=delivery.rows_in,
        rows_loaded=0,
        rows_quarantined=0,
        checksum=None,
        position=delivery.position,
        extracted_at=landing.utc_now(),
        contract_version=entity.version,
        lineage=delivery.lineage,
        timings=dict(delivery.timings),
        error=delivery.error,
        error_kind=delivery.error_kind if delivery.error is not None else None,
    )
    if delivery.error is None:
        assert delivery.frame is not None
        try:
            enforced = enforce(delivery.frame, entity, origin=delivery.origin, rejected=delivery.rejected)
        except SchemaDriftError as error:
            manifest.error = str(error)
            manifest.error_kind = error.kind
            manifest.rows_in = delivery.frame.height + (
                delivery.rejected.height if delivery.rejected is not None else 0
            )
        else:
            clean = enforced.clean
            if ROW_LINEAGE in clean.columns:
                clean = clean.rename({ROW_LINEAGE: entity.lineage_column})
            else:
                clean = clean.with_columns(pl.lit(delivery.lineage, pl.String).alias(entity.lineage_column))
            manifest.checksum = landing.write_parquet(clean, landing.data_path(settings, manifest))
            if enforced.quarantine.height:
                landing.write_parquet(enforced.quarantine, landing.quarantine_path(settings, manifest))
            manifest.status = "landed"
            manifest.rows_in = enforced.rows_in
            manifest.rows_loaded = clean.height
            manifest.rows_quarantined = enforced.quarantine.height
            manifest.notes = enforced.notes
            manifest.added_columns = enforced.added_columns
            manifest.missing_columns = enforced.missing_columns
            checkpoint("landed_data")
    manifest.timings["land_s"] = round(time.perf_counter() - started, 4)
    landing.write_manifest(settings, manifest)
    checkpoint("landed")
    return manifest


def prefetch(items: Iterator[T], depth: int) -> Generator[T, None, None]:
    """``items`` in order, produced on a background thread up to ``depth`` items ahead of the consumer.

    For extractors whose reads wait on I/O or on native code that releases the GIL (a database
    driver, HTTP, Polars): the next read runs while the consumer enforces and writes the current
    batch. An error raised while producing reaches the consumer where its item would have come; if
    the consumer stops early, production stops after the item in progress.
    """
    # Each message is ([item], None), or ([], error) at the end: error None when the items ran out.
    buffer: queue.Queue[tuple[list[T], BaseException | None]] = queue.Queue(maxsize=depth)
    stop = threading.Event()

    def offer(message: tuple[list[T], BaseException | None]) -> bool:
        """Buffer a message unless the consumer has gone: False when it has."""
        while not stop.is_set():
            try:
                buffer.put(message, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def produce() -> None:
        try:
            for item in items:
                if not offer(([item], None)):
                    return
        except BaseException as error:  # raised again in the consumer
            offer(([], error))
            return
        finally:
            if isinstance(items, Generator):  # run its cleanup now (close a client, a pool), not at exit
                items.close()
        offer(([], None))

    producer = threading.Thread(target=produce, name="prefetch", daemon=True)
    producer.start()
    try:
        while True:
            item, error = buffer.get()
            if error is not None:
                raise error
            if not item:
                return
            yield item[0]
    finally:
        stop.set()
        producer.join()
