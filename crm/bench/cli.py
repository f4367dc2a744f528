"""``crm bench``: time the pipeline stage by stage at a scale factor and print the one table.

``crm/cli.py`` registers :func:`bench`; the heavy work happens in child processes (``crm.bench.stages``).
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from crm.settings import DEFAULT_DUCKDB_MEMORY_LIMIT

if TYPE_CHECKING:
    from rich.console import Console

    from crm.bench.results import BenchResult, StageResult
    from crm.bench.stages import BenchOptions

LARGE_SF = 1.0  # above this a bench takes long and needs tens of GB of disk: opt in with --allow-large


def bench(
    sf: Annotated[float, typer.Option("--sf", min=0.001, help="Scale factor of the generated world.")] = 0.1,
    runs: Annotated[int, typer.Option("--runs", min=1, help="Runs on fresh copies; medians reported.")] = 3,
    paths: Annotated[
        str, typer.Option("--paths", help="Comma-separated: cli (the crm commands), dag (the Airflow DAGs).")
    ] = "cli,dag",
    peer: Annotated[
        bool, typer.Option("--peer/--no-peer", help="Also time `crm peer build` (dbt on PostgreSQL).")
    ] = True,
    incremental: Annotated[
        bool,
        typer.Option("--incremental/--no-incremental", help="Also time one more day after the full run."),
    ] = True,
    out: Annotated[Path, typer.Option("--out", help="Where the JSON and Markdown results go.")] = Path(
        "bench/results"
    ),
    memory_limit: Annotated[
        str,
        typer.Option("--memory-limit", help="DuckDB memory limit for every stage (CRM_DUCKDB_MEMORY_LIMIT)."),
    ] = DEFAULT_DUCKDB_MEMORY_LIMIT,
    keep: Annotated[
        Path | None,
        typer.Option("--keep", help="Work in this folder and keep it (data directories and stage logs)."),
    ] = None,
    seed: Annotated[int, typer.Option("--seed", help="Generator seed.")] = 7,
    peer_timeout: Annotated[
        float,
        typer.Option(
            "--peer-timeout",
            help="Stop the peer after this many seconds; the ratio is then a lower bound.",
        ),
    ] = 1800,
    peer_database: Annotated[
        str, typer.Option("--peer-database", help="PostgreSQL database the peer builds into.")
    ] = "crm_bench_peer",
    allow_large: Annotated[
        bool,
        typer.Option("--allow-large", help=f"Allow --sf above {LARGE_SF:g} (SF 10 is ~200M source rows)."),
    ] = False,
) -> None:
    """Time the pipeline stage by stage, each as a whole process.

    Generates the world once (timed), opens the sources up to the day before
    its last day, then per run, on a fresh copy:

    - CLI path: extract+land per source, load, dbt build, landing checks,
      publish, report (their sum is the full run);
    - floor: one DuckDB pass over the landing Parquet (customer 360 core);
    - peer: the same dbt project on PostgreSQL (crm peer build);
    - day +1: the next day, incrementally;
    - Airflow path: the same full run through the real DAGs.

    Prints rows, median seconds, rows/s and peak RSS per stage, and the
    ratios of the targets with met/missed; writes them to
    <out>/sf<SF>-<UTC time>.json and .md, and <out>/latest-sf<SF>.md.
    Timings belong here, never in tests. See bench/README.md.
    """
    from rich.console import Console

    from crm.bench.preflight import room_for
    from crm.bench.results import pipeline_seconds_from_file
    from crm.bench.stages import PATHS, BenchOptions

    console = Console()
    chosen = tuple(path.strip() for path in paths.split(",") if path.strip())
    if not chosen or any(path not in PATHS for path in chosen):
        raise typer.BadParameter(f"choose from {', '.join(PATHS)}", param_hint="--paths")
    if sf > LARGE_SF and not allow_large:
        raise typer.BadParameter(
            f"SF {sf:g} takes long and needs tens of GB of disk; add --allow-large to run it",
            param_hint="--sf",
        )
    room = room_for(
        sf, chosen, keep.resolve() if keep else Path(tempfile.gettempdir()), keep=keep is not None, runs=runs
    )
    if problems := room.problems():
        console.print(f"[red]SF {sf:g} does not fit on this machine:[/red] {'; '.join(problems)}.")
        raise typer.Exit(2)
    work_dir = keep.resolve() if keep else Path(tempfile.mkdtemp(prefix="crm-bench-"))
    options = BenchOptions(
        sf=sf,
        runs=runs,
        paths=chosen,
        peer=peer,
        incremental=incremental,
        memory_limit=memory_limit,
        work_dir=work_dir,
        seed=seed,
        peer_database=peer_database,
        keep=keep is not None,
        peer_timeout_seconds=peer_timeout,
    )
    console.print(f"[dim]working in {work_dir}; stage logs under {work_dir / 'logs'}[/dim]")
    result = _run_with_progress(options, console)
    if sf == 10:  # SF 10 is judged against the last SF 1 result in the same folder
        result.reference_sf1_pipeline_seconds = pipeline_seconds_from_file(out / "latest-sf1.json")
    json_path, md_path = result.write(out)
    stages, ratios = result.rich_tables()
    console.print(stages)
    console.print(ratios)
    console.print(f"bench took {result.wall_seconds or 0:.0f} s; results: {json_path} and {md_path}")
    if result.failed:
        console.print(f"[red]{len(result.failed)} stage(s) failed[/red]; logs kept in {work_dir / 'logs'}")
        raise typer.Exit(1)
    if keep is None:
        shutil.rmtree(work_dir, ignore_errors=True)


def _run_with_progress(options: BenchOptions, console: Console) -> BenchResult:
    """Run the bench under a progress bar; one line per finished stage above it."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from crm.bench.stages import Bench, planned_stages

    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    with Progress(*columns, console=console, transient=True) as progress:
        task = progress.add_task("bench", total=planned_stages(options))

        def on_done(stage: StageResult) -> None:
            progress.advance(task)
            console.print(_stage_line(stage), highlight=False)

        bench_run = Bench(
            options,
            on_start=lambda label: progress.update(task, description=label),
            on_done=on_done,
        )
        return bench_run.run()


def _stage_line(stage: StageResult) -> str:
    seconds = f"{stage.seconds:.2f} s" if stage.seconds is not None else ""
    rows = f"{stage.rows:,} rows" if stage.rows is not None else ""
    memory = f"{stage.peak_rss_bytes / 2**20:,.0f} MiB" if stage.peak_rss_bytes else ""
    line = f"{stage.label[:44]:<44} {seconds:>9} {rows:>15} {memory:>9}"
    if stage.ok:
        return line
    colour = "red" if stage.status == "failed" else "yellow"
    first_line = stage.detail.splitlines()[0] if stage.detail else ""
    return f"{line}\n  [{colour}]{stage.status}[/{colour}]: {first_line}"
