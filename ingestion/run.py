"""The Python entry points: extract a source for a logical date, load what landed, or both.

Airflow calls ``extract`` and ``load`` as separate tasks (extracts in parallel, the load in a one-slot
pool); ``crm ingest`` calls ``ingest``, which does the same in sequence, day by day for a backfill.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from crm.settings import Settings
from ingestion import landing, loader
from ingestion.contracts import Entity
from ingestion.extract import land, prefetch
from ingestion.marketing import ENTITIES as MARKETING_ENTITIES
from ingestion.marketing import extract as extract_marketing
from ingestion.sales import ENTITIES as SALES_ENTITIES
from ingestion.sales import extract as extract_sales
from ingestion.support import ENTITIES as SUPPORT_ENTITIES
from ingestion.support import extract as extract_support

log = logging.getLogger(__name__)

DELIVERIES_AHEAD = 1  # deliveries read ahead of the one landing: one batch of extra memory

SOURCES: dict[str, tuple[Entity, ...]] = {
    "sales": SALES_ENTITIES,
    "support": SUPPORT_ENTITIES,
    "marketing": MARKETING_ENTITIES,
}


@dataclass(frozen=True)
class ExtractOptions:
    """Knobs of the support export (page size, rows per landed chunk, HTTP timeout)."""

    support_page_size: int = 1000
    support_batch_rows: int = 100_000
    http_timeout_seconds: float = 30.0


@dataclass
class IngestReport:
    """Everything one ``ingest`` call landed and loaded, and what failed."""

    landed: list[landing.Manifest] = field(default_factory=list)
    loaded: list[loader.LoadResult] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    @property
    def failed_batches(self) -> list[landing.Manifest]:
        return [m for m in self.landed if m.status == "failed"]


def entities(source: str) -> tuple[Entity, ...]:
    try:
        return SOURCES[source]
    except KeyError:
        raise ValueError(f"unknown source {source!r}: choose from {', '.join(SOURCES)}") from None


def all_entities() -> list[Entity]:
    return [entity for group in SOURCES.values() for entity in group]


def source_clock(settings: Settings) -> date | None:
    """The simulated sources' clock date, when the sources are the local simulators (else None)."""
    try:
        return date.fromisoformat(json.loads(settings.clock_file.read_text(encoding="utf-8"))["as_of"])
    except (OSError, ValueError, KeyError, TypeError):
        return None


def default_logical_date(settings: Settings) -> date:
    """The source clock's date if there is one, else today (UTC)."""
    return source_clock(settings) or datetime.now(UTC).date()


def extract(
    settings: Settings,
    source: str,
    logical_date: date,
    *,
    options: ExtractOptions | None = None,
    on_batch: Callable[[landing.Manifest], None] | None = None,
) -> list[landing.Manifest]:
    """Extract ``source`` as of the end of ``logical_date`` into landing; return the new batches.

    Never opens the warehouse: where to resume comes from the landing manifests. Holds the source's
    extraction lock, so two extractions of one source cannot interleave.
    """
    options = options or ExtractOptions()
    group = entities(source)
    landed: list[landing.Manifest] = []
    with landing.extraction_lock(settings, source):
        for entity in group:
            for orphan in landing.sweep_orphans(settings, source, entity.name):
                log.info("removed %s (left by an interrupted extraction)", orphan)
        history = {entity.name: landing.manifests(settings, source, entity.name) for entity in group}
        deliveries: Iterable[Any]
        if source == "sales":
            deliveries = extract_sales(settings, logical_date, history)
        elif source == "support":
            deliveries = extract_support(
                settings,
                logical_date,
                history,
                per_page=options.support_page_size,
                batch_rows=options.support_batch_rows,
                timeout_seconds=options.http_timeout_seconds,
            )
        else:
            deliveries = extract_marketing(settings, logical_date, history)
        # The next delivery is read while this one is enforced and written (order unchanged).
        for delivery in prefetch(iter(deliveries), DELIVERIES_AHEAD):
            name = delivery.entity.name
            manifest = land(settings, delivery, logical_date, landing.next_seq(history[name]))
            history[name].append(manifest)
            landed.append(manifest)
            if manifest.status == "failed":  # recorded and judged by the policy: a warning, not an error
                log.warning("%s rejected: %s", manifest.batch_id, manifest.error)
            if on_batch:
                on_batch(manifest)
    return landed


def load(
    settings: Settings,
    source: str | None = None,
    *,
    on_batch: Callable[[loader.LoadResult], None] | None = None,
) -> list[loader.LoadResult]:
    """Load every landed-but-unloaded batch of ``source`` (all sources when None) into raw."""
    group = entities(source) if source else all_entities()
    return loader.load(settings, group, on_batch)


def days(start: date, end: date) -> list[date]:
    if end < start:
        raise ValueError(f"--from {start} is after --to {end}")
    return [start + timedelta(days=offset) for offset in range((end - start).days + 1)]


def ingest(
    settings: Settings,
    sources: Iterable[str],
    dates: Iterable[date],
    *,
    options: ExtractOptions | None = None,
    on_landed: Callable[[landing.Manifest], None] | None = None,
    on_loaded: Callable[[loader.LoadResult], None] | None = None,
) -> IngestReport:
    """Extract then load each source for each date in order (a backfill is this, day by day).

    A source whose extraction fails is reported and skipped for the rest of the run (its later
    dates would resume from the same point anyway); the other sources carry on.
    """
    report = IngestReport()
    broken: set[str] = set()
    for logical_date in dates:
        for source in sources:
            if source in broken:
                continue
            try:
                report.landed += extract(settings, source, logical_date, options=options, on_batch=on_landed)
            except Exception as error:  # reported, and the other sources still load
                log.exception("extracting %s for %s failed", source, logical_date)
                report.errors.append(f"{source} {logical_date}: {type(error).__name__}: {error}")
                broken.add(source)
            report.loaded += load(settings, source, on_batch=on_loaded)
    return report
