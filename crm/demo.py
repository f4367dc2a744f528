"""``crm demo``: the main job on the embedded defaults, end to end, then where to look.

It chains the same public entry points the Airflow DAGs and the other commands use — generate the
sources, open them up to the end of history, run the real DAGs (``dag.test()`` against a migrated
metadata DB in the data directory) for the last demo dates, then summarise — so the demo exercises the
product itself, not a special path.
"""

from __future__ import annotations

import json
import logging
import time
from datetime import date, timedelta
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from crm.settings import Settings

log = logging.getLogger(__name__)
console = Console()


def demo(
    sf: Annotated[float, typer.Option(help="Scale factor of the simulated world (0.1 ≈ 2M rows).")] = 0.1,
    seed: Annotated[int, typer.Option(help="Random seed; the same seed gives the same bytes.")] = 7,
    days: Annotated[
        int, typer.Option(min=1, help="How many of the last days of history to run through the DAGs.")
    ] = 3,
) -> None:
    """Generate the sources, run the real Airflow DAGs over the last days, and say where to look.

    The first ingested day picks up the whole history (a first load); the following days are
    incremental. The transform DAG (dbt build → quality gate → publish) runs once after the last day,
    as a catch-up does.
    """
    from crm.airflow_env import airflow_home, run_dag_chain
    from seeds.generator import generate as generate_world
    from seeds.transports import advance

    settings = Settings.from_env()
    started = time.monotonic()

    console.rule("[bold]1. Generate the simulated world")
    counts = generate_world(settings.world_dir, settings.truth_dir, sf=sf, seed=seed, progress=True)
    world = json.loads((settings.world_dir / "world.json").read_text())
    end = date.fromisoformat(world["end"])
    _print_sources_summary(settings, counts)

    console.rule(f"[bold]2. Advance the source clock to {end}")
    advance(settings, end)

    dates = [end - timedelta(days=offset) for offset in range(days - 1, -1, -1)]
    console.rule(f"[bold]3. Run the Airflow DAGs for {dates[0]} … {dates[-1]}")
    runs = run_dag_chain(settings, dates, transform="last")
    _print_dag_runs(runs)

    failed = [run for run in runs if run.state != "success"]
    if not failed:
        _print_marts(settings)
    console.rule("[bold]Where to look")
    reports = sorted(settings.reports_dir.glob("segment_performance_*.html"))
    where = {
        "segment performance report (open me)": reports[-1] if reports else settings.reports_dir,
        "serving database (BI, read-only)": settings.serve_path,
        "warehouse (raw, staging, marts, ops)": settings.warehouse_path,
        "quality Data Docs": settings.data_dir / "quality" / "docs" / "index.html",
        "how to connect a BI tool": "docs/serving.md",
        "Airflow home (metadata DB, task logs)": airflow_home(settings),
        "landing zone (immutable batches)": settings.landing_dir,
        "simulated sources": settings.sources_dir,
        "ground truth (tests only)": settings.truth_dir,
    }
    for label, path in where.items():
        console.print(f"{label:<40} {path}")
    console.print("support API                              .venv/bin/crm sources serve-support (port 8765)")
    console.print("pipeline state                           .venv/bin/crm status")
    elapsed = time.monotonic() - started
    if failed:
        names = ", ".join(f"{run.dag_id} {run.logical_date}" for run in failed)
        console.print(f"[red]demo finished in {elapsed:.0f} s with failed DAG runs: {names}[/red]")
        raise typer.Exit(1)
    console.print(f"[green]demo finished in {elapsed:.0f} s; every DAG run succeeded[/green]")
    report = where["segment performance report (open me)"]
    console.print(f"[bold]The segment performance report:[/bold] {report}", soft_wrap=True)


def _print_sources_summary(settings: Settings, counts: dict[str, int]) -> None:
    """Rows per source entity and the dirt the generator injected, from truth/."""
    import polars as pl

    rows = Table(title="Rows generated per source entity")
    rows.add_column("source.entity")
    rows.add_column("rows", justify="right")
    for name, count in sorted(counts.items()):
        rows.add_row(name, f"{count:,}")
    console.print(rows)

    dirt = (
        pl.scan_parquet(settings.truth_dir / "dirt.parquet")
        .group_by("source", "kind")
        .agg(pl.len().alias("records"))
        .sort("source", "kind")
        .collect()
    )
    table = Table(title="Dirt injected (recorded in truth/dirt.parquet)")
    for column in ("source", "kind", "records"):
        table.add_column(column, justify="right" if column == "records" else "left")
    for source, kind, records in dirt.iter_rows():
        table.add_row(source, kind, f"{records:,}")
    console.print(table)


def _print_dag_runs(runs: list) -> None:  # list[ChainRun]; typed loosely to keep Airflow out of imports
    table = Table(title="Airflow DAG runs (dag.test against the metadata DB)")
    for column in ("logical date", "DAG", "state"):
        table.add_column(column)
    for run in runs:
        colour = "green" if run.state == "success" else "red"
        table.add_row(str(run.logical_date), run.dag_id, f"[{colour}]{run.state}[/{colour}]")
    console.print(table)


def _print_marts(settings: Settings) -> None:
    """A few rows of the headline marts, read from the warehouse after the last run."""
    from crm.transform import preview_marts

    for name, frame in preview_marts(settings).items():
        table = Table(title=f"marts.{name} (first rows)")
        for column in frame.columns:
            table.add_column(column, overflow="fold")
        for row in frame.iter_rows():
            table.add_row(*(_cell(value) for value in row))
        console.print(table)


def _cell(value: object) -> str:
    if isinstance(value, float):
        return f"{value:,.2f}"
    return "" if value is None else str(value)
