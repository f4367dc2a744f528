"""Shared extraction mechanics: what a source extractor yields, and how it becomes a landed batch.

A source package's extractor only talks to its source: it yields ``Delivery`` objects (rows as the
source gave them, plus the range they cover). ``land`` applies the entity's contract and commits the
batch to the landing zone. Extractors never open the warehouse: they resume from landing manifests.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import polars as pl

from crm.settings import Settings
from ingestion import landing
from ingestion.checkpoints import checkpoint
from ingestion.contracts import Entity
from ingestion.enforce import ROW_LINEAGE, SchemaDriftError, enforce


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
