"""``generate()``: one run from seed to files, with optional rich progress."""

from __future__ import annotations

import time
from collections.abc import Mapping
from datetime import date
from functools import partial
from pathlib import Path
from typing import Any

import polars as pl

from seeds.generator.context import Context
from seeds.generator.deliveries import add_drift_column, plan_deliveries
from seeds.generator.dirt import DEFAULT_DIRT_FILE, Dirt, load_rates
from seeds.generator.fx import CORPORATE_CURRENCY
from seeds.generator.marketing import build_marketing
from seeds.generator.population import build_population
from seeds.generator.rng import Streams
from seeds.generator.sales import build_sales
from seeds.generator.support import build_support
from seeds.generator.timeline import Clock
from seeds.generator.truth import customers_table, expected_tables, persons_table, record_map
from seeds.generator.writer import BackgroundWriter, DeferredTable, swapped_dirs, write_json

DEFAULT_START = date(2024, 11, 1)
DEFAULT_END = date(2026, 10, 31)
STEPS = (
    "population",
    "sales.order",
    "sales.opportunity",
    "sales.account",
    "sales.contact",
    "sales.lead",
    "sales.opportunity",
    "sales.order",
    "sales.user",
    "support.organizations",
    "support.tickets",
    "support.users",
    "support.ticket_events",
    "support.satisfaction_ratings",
    "marketing.contacts",
    "marketing.email_events",
    "marketing.contacts",
    "marketing.campaigns",
    "marketing.ad_spend",
    "marketing.nps_responses",
    "marketing.deliveries",
    "truth",
    "write",
)


def generate(
    world_dir: Path,
    truth_dir: Path,
    *,
    sf: float,
    seed: int = 7,
    start: date = DEFAULT_START,
    end: date = DEFAULT_END,
    dirt: Path | None = None,
    progress: bool = False,
) -> dict[str, int]:
    """Generate the world and its truth; return the world's row counts per ``source.entity``.

    Same arguments ⇒ byte-identical files. ``dirt`` overrides rates of ``seeds/dirt.yml``.
    """
    if sf <= 0:
        raise ValueError(f"sf must be positive, got {sf}")
    if end <= start:
        raise ValueError(f"end ({end}) must be after start ({start})")
    rates = load_rates(dirt)
    streams = Streams(seed)
    reporter = _Reporter(progress)
    ctx = Context(
        clock=Clock(start, end), streams=streams, dirt=Dirt(rates, streams), sf=sf, step=reporter.step
    )
    counts: dict[str, int] = {}

    with reporter, swapped_dirs(Path(world_dir), Path(truth_dir)) as (w, t), BackgroundWriter() as writer:

        def flush(folder: Path, source: str, tables: Mapping[str, pl.DataFrame | DeferredTable]) -> None:
            """Hand one source's tables to the writer (the next source is built while they are written;
            callers then let go of them, so peak memory stays near one source)."""
            for name, df in tables.items():
                counts[f"{source}.{name}"] = df.height
                writer.submit(df, folder / source / f"{name}.parquet")

        reporter.step("population")
        pop = build_population(ctx)
        sales = build_sales(ctx, pop)
        flush(w, "sales", sales.tables)
        sales.tables.clear()
        support = build_support(ctx, pop, sales)
        flush(w, "support", support.tables)
        support.tables.clear()
        marketing = build_marketing(ctx, pop, sales, support)
        reporter.step("marketing.deliveries")
        marketing.tables["contacts"] = add_drift_column(ctx, marketing.tables["contacts"])
        deliveries, planned = plan_deliveries(ctx, marketing.tables)
        # The plan saw only the email events' keys; their ~2 GB of text is built on the writer thread.
        visible_at = planned["email_events"]["_visible_at"]
        email, marketing.email_events = marketing.email_events, None
        assert email is not None
        tables: dict[str, pl.DataFrame | DeferredTable] = dict(planned)
        tables["email_events"] = DeferredTable(email.height, partial(email.frame, visible_at))
        marketing.tables.clear()
        del planned, email, visible_at
        flush(w, "marketing", tables)
        del tables
        writer.submit(deliveries, w / "marketing" / "_deliveries.parquet")
        reporter.step("truth")
        truth: dict[str, pl.DataFrame] = {
            "customers": customers_table(ctx, pop, sales),
            "persons": persons_table(pop),
            "record_map": record_map(pop, sales, support, marketing),
            "dirt": ctx.dirt.log(),
        }
        expected = expected_tables(ctx, pop, sales, support, marketing)
        reporter.step("write")
        for name, df in truth.items():
            writer.submit(df, t / f"{name}.parquet")
        for name, df in expected.items():
            writer.submit(df, t / "expected" / f"{name}.parquet")
        del truth, expected
        write_json(
            {
                "sf": sf,
                "seed": seed,
                "start": start.isoformat(),
                "end": end.isoformat(),
                "corporate_currency": CORPORATE_CURRENCY,
                "row_counts": counts,
            },
            w / "world.json",
        )
        write_json(
            {
                "sf": sf,
                "seed": seed,
                "start": start.isoformat(),
                "end": end.isoformat(),
                "dirt_file": str(dirt) if dirt else f"seeds/{DEFAULT_DIRT_FILE.name}",
                "dirt_rates": rates,
                "dirt_summary": ctx.dirt.summary(),
                "row_counts": counts,
            },
            t / "config.json",
        )
    return counts


class _Reporter:
    """A rich progress bar over the generation steps (or nothing), plus step timings for debugging."""

    def __init__(self, enabled: bool) -> None:
        self.enabled = enabled
        self.timings: dict[str, float] = {}
        self._last: tuple[str, float] | None = None
        self._progress: Any = None
        self._task: Any = None

    def __enter__(self) -> _Reporter:
        if self.enabled:
            from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

            self._progress = Progress(
                SpinnerColumn(),
                TextColumn("[bold]{task.description:<32}"),
                BarColumn(),
                TextColumn("{task.completed}/{task.total} steps"),
                TimeElapsedColumn(),
            )
            self._progress.start()
            self._task = self._progress.add_task("generating", total=len(STEPS))
        return self

    def step(self, name: str) -> None:
        now = time.perf_counter()
        if self._last is not None:
            label, since = self._last
            self.timings[label] = self.timings.get(label, 0.0) + now - since
        self._last = (name, now)
        if self._progress is not None:
            self._progress.update(self._task, description=name, advance=1)

    def __exit__(self, *exc: object) -> None:
        self.step("done")
        if self._progress is not None:
            self._progress.update(self._task, completed=len(STEPS), description="done")
            self._progress.stop()
