"""Which landed batches a gate run judges, and how their rows are read.

Batches are the immutable Parquet files of ``ingestion/`` (``<data>/landing/<source>/<entity>/
date=YYYY-MM-DD/<batch_id>.parquet`` with a manifest written last); this module only reads them,
through ``ingestion.landing``'s own manifest reader so the layout is written in one place. A run
judges the batches of its logical date, or, without one, the newest landed batch of each entity.
"""

from __future__ import annotations

import statistics
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq

from crm.settings import Settings
from ingestion.landing import Manifest, data_path, manifests

LANDED = "landed"


@dataclass(frozen=True)
class LandedBatch:
    """One landed batch and the entity's earlier landed batches (oldest first), for the volume baseline."""

    manifest: Manifest
    history: tuple[Manifest, ...]
    settings: Settings

    @property
    def source(self) -> str:
        return self.manifest.source

    @property
    def entity(self) -> str:
        return self.manifest.entity

    @property
    def target(self) -> str:
        return f"landing:{self.source}.{self.entity}"

    @property
    def batch_id(self) -> str:
        return self.manifest.batch_id

    @property
    def logical_date(self) -> date:
        return self.manifest.date

    @property
    def reference_time(self) -> datetime:
        """The end of the logical date (midnight UTC after it): the source's as-of instant."""
        return datetime.combine(self.logical_date + timedelta(days=1), time(0), tzinfo=UTC)

    def volume_baseline(self, lookback: int, min_history: int) -> tuple[float | None, int]:
        """Median loaded rows of the last ``lookback`` earlier batches (None: fewer than ``min_history``)."""
        recent = [m.rows_loaded for m in self.history[-lookback:]]
        if len(recent) < min_history:
            return None, len(recent)
        return float(statistics.median(recent)), len(recent)

    @property
    def path(self) -> Path:
        """The batch's Parquet file."""
        return data_path(self.settings, self.manifest)

    def columns(self) -> list[str]:
        """The batch's column names (from the Parquet footer; no rows are read)."""
        return list(pq.read_schema(self.path).names)

    def rows(self) -> int:
        """The batch's row count (from the Parquet footer; no rows are read)."""
        return int(pq.read_metadata(self.path).num_rows)

    def read(self, columns: Iterable[str]) -> pd.DataFrame:
        """The batch's rows, only ``columns`` (each must exist), for the pandas engine."""
        table = pq.read_table(self.path, columns=list(dict.fromkeys(columns)))
        # numpy-backed dtypes: GX's pandas metrics are several times slower on ArrowDtype columns
        return table.to_pandas()


def batches_to_check(
    settings: Settings, entities: Iterable[tuple[str, str]], logical_date: date | None
) -> list[LandedBatch]:
    """Landed batches of ``entities``: those of ``logical_date``, or the newest of each entity."""
    found: list[LandedBatch] = []
    for source, entity in sorted(set(entities)):
        landed = [m for m in manifests(settings, source, entity) if m.status == LANDED]
        if logical_date is not None:
            chosen = [i for i, m in enumerate(landed) if m.date == logical_date]
        else:
            chosen = [len(landed) - 1] if landed else []
        found.extend(LandedBatch(landed[i], tuple(landed[:i]), settings) for i in chosen)
    return found
