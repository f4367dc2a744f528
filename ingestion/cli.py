"""``crm ingest`` and ``crm status``: run ingestion without Airflow, and see where every entity stands.

``crm/cli.py`` registers these functions as commands; heavy imports happen inside them so that
``crm --help`` stays instant.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable, Iterator
from dataclasses import replace
from datetime import datetime
from typing import TYPE_CHECKING, Annotated, Any

import typer

if TYPE_CHECKING:
    from datetime import date as Date

    from rich.console import Console

    from crm.settings import Settings
    from ingestion.landing import Manifest
    from ingestion.loader import LoadResult
    from ingestion.run import IngestReport

log = logging.getLogger(__name__)

SOURCE_NAMES = ("sales", "support", "marketing")


def ingest(
    source: Annotated[
        str | None, typer.Option("--source", help="Only this source: sales, support or marketing.")
    ] = None,
    date: Annotated[
        datetime | None,
        typer.Option(
            "--date", formats=["%Y-%m-%d"], help="Logical date D: what the sources show up to the end of D."
        ),
    ] = None,
    from_: Annotated[
        datetime | None, typer.Option("--from", formats=["%Y-%m-%d"], help="Backfill: first logical date.")
    ] = None,
    to: Annotated[
        datetime | None, typer.Option("--to", formats=["%Y-%m-%d"], help="Backfill: last logical date.")
    ] = None,
    only: Annotated[
        str | None,
        typer.Option(
            "--only",
            help="Only one half: extract (extract, check the contract, land) or load (landed batches into "
            "raw). Airflow runs them as separate tasks; `crm bench` times them separately.",
        ),
    ] = None,
) -> None:
    """Extract, land and load the sources for a logical date (default: the source clock's date, else today
    UTC), or day by day for a backfill (--from/--to). Re-running is safe: nothing loads twice."""
    from rich.console import Console

    from crm.settings import Settings
    from ingestion import run

    console = Console(stderr=True)
    settings = Settings.from_env()
    sources = [source] if source else list(SOURCE_NAMES)
    if only not in (None, "extract", "load"):
        raise typer.BadParameter("must be extract or load", param_hint="--only")
    for name in sources:
        if name not in SOURCE_NAMES:
            raise typer.BadParameter(
                f"unknown source {name!r}: choose from {', '.join(SOURCE_NAMES)}", param_hint="--source"
            )
    if from_ or to:
        if date:
            raise typer.BadParameter("give either --date or --from/--to", param_hint="--date")
        first = (from_ or to).date()  # type: ignore[union-attr]
        last = (to or from_).date()  # type: ignore[union-attr]
        dates = run.days(first, last)
    else:
        dates = [date.date() if date else run.default_logical_date(settings)]

    with _support_simulator(settings, "support" in sources and only != "load", console) as effective:
        report = _run_with_progress(effective, sources, dates, console, only)
    _print_summary(report, console)
    if report.errors or report.failed_batches:
        raise typer.Exit(code=1)


def _run_with_progress(
    settings: Settings, sources: list[str], dates: list[Date], console: Console, only: str | None = None
) -> IngestReport:
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from ingestion import run

    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    with Progress(*columns, console=console, transient=False) as progress:
        days_task = progress.add_task("days", total=len(dates))
        rows_task = progress.add_task("rows landed", total=None)
        loads_task = progress.add_task("batches loaded", total=None)
        report = run.IngestReport()
        for logical_date in dates:
            progress.update(days_task, description=f"day {logical_date}")
            part = _ingest_day(
                settings,
                sources,
                logical_date,
                only,
                on_landed=lambda m: progress.update(
                    rows_task, advance=m.rows_in, description=f"landed {m.source}.{m.entity}"
                ),
                on_loaded=lambda r: progress.update(
                    loads_task, advance=1, description=f"loaded {r.manifest.source}.{r.manifest.entity}"
                ),
            )
            report.landed += part.landed
            report.loaded += part.loaded
            report.errors += part.errors
            progress.advance(days_task)
    return report


def _ingest_day(
    settings: Settings,
    sources: list[str],
    logical_date: Date,
    only: str | None,
    on_landed: Callable[[Manifest], None],
    on_loaded: Callable[[LoadResult], None],
) -> IngestReport:
    """Both halves (``run.ingest``), or only the extract or the load half with the same functions."""
    from ingestion import run

    if only is None:
        return run.ingest(settings, sources, [logical_date], on_landed=on_landed, on_loaded=on_loaded)
    report = run.IngestReport()
    for source in sources:
        if only == "load":
            report.loaded += run.load(settings, source, on_batch=on_loaded)
            continue
        try:
            report.landed += run.extract(settings, source, logical_date, on_batch=on_landed)
        except Exception as error:  # reported like run.ingest does; the other sources still extract
            log.exception("extracting %s for %s failed", source, logical_date)
            report.errors.append(f"{source} {logical_date}: {type(error).__name__}: {error}")
    return report


def _print_summary(report: IngestReport, console: Console) -> None:
    from rich.table import Table

    table = Table(title="Ingested (this run)")
    for header in ("entity", "batches", "in", "loaded", "quarantined", "failed batches"):
        table.add_column(header, justify="left" if header == "entity" else "right")
    totals: dict[str, list[int]] = {}
    for manifest in report.landed:
        row = totals.setdefault(f"{manifest.source}.{manifest.entity}", [0, 0, 0, 0, 0])
        row[0] += 1
        row[1] += manifest.rows_in
        row[2] += manifest.rows_loaded
        row[3] += manifest.rows_quarantined
        row[4] += manifest.status == "failed"
    for name, (batches, rows_in, loaded, quarantined, failed) in sorted(totals.items()):
        style = "red" if failed else ("yellow" if quarantined else None)
        table.add_row(
            name, str(batches), f"{rows_in:,}", f"{loaded:,}", f"{quarantined:,}", str(failed), style=style
        )
    if not totals and report.loaded:  # --only load: the batches landed earlier
        loaded = sum(result.manifest.rows_loaded for result in report.loaded if result.loaded)
        table.add_row("(loaded earlier landings)", str(len(report.loaded)), "-", f"{loaded:,}", "-", "-")
    elif not totals:
        table.add_row("(nothing new)", "0", "0", "0", "0", "0")
    console.print(table)
    for manifest in report.failed_batches:
        console.print(f"[red]failed batch[/red] {manifest.batch_id}: {manifest.error}")
    for error in report.errors:
        console.print(f"[red]error[/red] {error}")


@contextlib.contextmanager
def _support_simulator(settings: Settings, needed: bool, console: Console) -> Iterator[Settings]:
    """On the embedded defaults, start the local support simulator for the run if nothing answers.

    Only when ``CRM_SUPPORT_URL`` is the simulator's default address: a configured real help desk is
    never replaced by the simulator. The simulator (``seeds``) is imported only here.
    """
    from crm.settings import DEFAULT_SUPPORT_PORT

    default_url = f"http://127.0.0.1:{DEFAULT_SUPPORT_PORT}"
    if not needed or settings.support_url != default_url or _answers(settings.support_url):
        yield settings
        return
    from seeds.transports.support_api import start_server

    server = start_server(settings, port=0, token=settings.support_token)
    console.print(
        f"[dim]support API not running at {default_url}: started the local simulator at {server.url}[/dim]"
    )
    try:
        yield replace(settings, support_url=server.url)
    finally:
        server.stop()


def _answers(url: str) -> bool:
    import httpx

    try:
        httpx.get(url, timeout=1.0)
    except httpx.HTTPError:
        return False
    return True


def status() -> None:
    """Show, per entity, the last batch, its logical date, the committed watermark or cursor, and rows."""
    import json

    import duckdb
    from rich.console import Console
    from rich.table import Table

    from crm.settings import Settings
    from ingestion import landing, run

    settings = Settings.from_env()
    console = Console()
    committed: dict[tuple[str, str], tuple[Any, ...]] = {}
    totals: dict[tuple[str, str], tuple[Any, ...]] = {}
    done: set[str] = set()
    note = ""
    if settings.warehouse_path.exists():
        try:
            con = duckdb.connect(str(settings.warehouse_path), read_only=True)
        except duckdb.Error as error:  # the loader holds the file: show landing only
            note = f"warehouse busy ({error.__class__.__name__}); showing landing only"
        else:
            try:
                for row in con.execute(
                    "select source, entity, batch_id, logical_date, position from ops.watermarks"
                ).fetchall():
                    committed[(row[0], row[1])] = row[2:]
                for row in con.execute(
                    "select source, entity, count(*), sum(rows_loaded), sum(rows_quarantined) "
                    "from ops.load_manifest group by all"
                ).fetchall():
                    totals[(row[0], row[1])] = row[2:]
                done = {
                    row[0]
                    for row in con.execute(
                        "select batch_id from ops.load_manifest "
                        "union all select batch_id from ops.failed_batches"
                    ).fetchall()
                }
            finally:
                con.close()
    table = Table(title=f"Ingestion status ({settings.data_dir})")
    for header in (
        "entity",
        "last landed batch",
        "date",
        "status",
        "committed position",
        "batches",
        "rows loaded",
        "quarantined",
        "pending",
    ):
        table.add_column(header)
    for entity in run.all_entities():
        manifests = landing.manifests(settings, entity.source, entity.name)
        last = manifests[-1] if manifests else None
        key = (entity.source, entity.name)
        position = json.loads(committed[key][2]) if key in committed and committed[key][2] else {}
        last_file = (position.get("files") or [{}])[-1].get("source_file")
        shown = position.get("watermark_to") or position.get("cursor_to") or last_file or "-"
        batches, loaded, quarantined = totals.get(key, (0, 0, 0))
        pending = sum(1 for m in manifests if m.batch_id not in done)
        table.add_row(
            f"{entity.source}.{entity.name}",
            last.batch_id if last else "-",
            last.logical_date if last else "-",
            (last.status if last else "-"),
            str(shown)[:40],
            str(batches),
            f"{loaded or 0:,}",
            f"{quarantined or 0:,}",
            str(pending),
            style="red" if last and last.status == "failed" else None,
        )
    console.print(table)
    if note:
        console.print(f"[yellow]{note}[/yellow]")
