"""``crm generate``: write the simulated world and its ground truth under the data directory."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Annotated

import typer


def generate(
    sf: Annotated[
        float,
        typer.Option(
            "--sf",
            min=0.0001,
            help=(
                "Scale factor: 1 ≈ 100k customer accounts and ~20M source rows; "
                "0.01 for tests, 0.1 for the demo."
            ),
        ),
    ] = 0.01,
    seed: Annotated[
        int, typer.Option("--seed", help="Random seed: the same seed and options always give the same bytes.")
    ] = 7,
    start: Annotated[
        datetime | None,
        typer.Option(
            "--start", formats=["%Y-%m-%d"], help="First day of the history.", show_default="2024-11-01"
        ),
    ] = None,
    end: Annotated[
        datetime | None,
        typer.Option(
            "--end", formats=["%Y-%m-%d"], help="Last day of the history.", show_default="2026-10-31"
        ),
    ] = None,
    dirt: Annotated[
        Path | None,
        typer.Option(
            "--dirt",
            exists=True,
            dir_okay=False,
            help="YAML overriding dirt rates of seeds/dirt.yml (same sections; 0 means clean).",
        ),
    ] = None,
) -> None:
    """Generate the sales, support and marketing world (world/) and its ground truth (truth/).

    Replaces any previous world atomically. The transports (crm sources …) serve the world; tests
    compare the marts to truth/.
    """
    import polars as pl
    from rich.console import Console
    from rich.table import Table

    from crm.settings import Settings
    from seeds.generator import DEFAULT_END, DEFAULT_START
    from seeds.generator import generate as run_generate

    settings = Settings.from_env()
    console = Console()
    first = start.date() if start else DEFAULT_START
    last = end.date() if end else DEFAULT_END
    try:
        counts = run_generate(
            settings.world_dir,
            settings.truth_dir,
            sf=sf,
            seed=seed,
            start=first,
            end=last,
            dirt=dirt,
            progress=True,
        )
    except ValueError as error:
        console.print(f"[red]error:[/red] {error}")
        raise typer.Exit(code=2) from error

    rows = Table(title=f"World at SF {sf:g}, seed {seed}, {first} … {last}")
    rows.add_column("source.entity")
    rows.add_column("rows", justify="right")
    for name, n in counts.items():
        rows.add_row(name, f"{n:,}")
    rows.add_row("[bold]total", f"[bold]{sum(counts.values()):,}")
    console.print(rows)

    dirt_log = pl.read_parquet(settings.truth_dir / "dirt.parquet")
    per_kind = dirt_log.group_by("kind").len().sort("kind")
    faults = Table(title="Dirt injected (truth/dirt.parquet)")
    faults.add_column("kind")
    faults.add_column("faults", justify="right")
    for kind, n in per_kind.iter_rows():
        faults.add_row(kind, f"{n:,}")
    console.print(faults)
    console.print(f"world → {settings.world_dir}\ntruth → {settings.truth_dir}")
