"""``crm sources …``: move the simulated sources' clock, serve the help desk, show what they expose."""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Annotated

import typer

from crm.settings import DEFAULT_SUPPORT_PORT, DEFAULT_SUPPORT_TOKEN

sources_app = typer.Typer(
    help="The simulated source systems: advance their clock, serve the support API, show their state.",
    no_args_is_help=True,
)


def _parse_date(value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError as error:
        raise typer.BadParameter(f"expected YYYY-MM-DD, got {value!r}") from error


def _parse_rate(value: str | None) -> float | None:
    if value is None:
        return None
    match = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*(?:/s)?\s*", value)
    if not match or float(match.group(1)) <= 0:
        raise typer.BadParameter(f"expected a positive rate like 10/s, got {value!r}")
    return float(match.group(1))


@sources_app.command("advance")
def advance_command(
    to: Annotated[str, typer.Option("--to", help="The clock date to move the sources to (YYYY-MM-DD).")],
    sales_db_url: Annotated[
        str | None,
        typer.Option(
            "--sales-db-url",
            help="Write the sales database here (postgresql://… or sqlite:///…) instead of CRM_SALES_DB_URL "
            "or the default SQLite file.",
        ),
    ] = None,
) -> None:
    """Move the sources to a clock date: the sales database and the marketing inbox are brought to
    that date (forward: only the delta; backward: rebuilt), then the clock file the support API
    reads is updated."""
    from rich.console import Console
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
    from rich.table import Table

    from crm.settings import Settings
    from seeds.transports import advance

    settings = Settings.from_env()
    target = _parse_date(to)
    started = datetime.now()
    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        TextColumn("{task.fields[step]}"),
        TimeElapsedColumn(),
        transient=True,
    ) as bar:
        task = bar.add_task(f"advancing to {target}", total=None, step="")

        def report(source: str, step: str, rows: int) -> None:
            bar.update(task, step=f"{source}: {step} ({rows:,} rows)")

        summary = advance(settings, target, sales_db_url, progress=report)
    table = Table(title=f"sources advanced to {target} in {(datetime.now() - started).total_seconds():.1f} s")
    table.add_column("source.entity")
    table.add_column("rows changed", justify="right")
    for name, rows in summary.items():
        table.add_row(name, f"{rows:,}")
    Console().print(table)


@sources_app.command("serve-support")
def serve_support(
    host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = DEFAULT_SUPPORT_PORT,
    token: Annotated[str, typer.Option(help="API token clients must send as a Bearer token.")] = (
        DEFAULT_SUPPORT_TOKEN
    ),
    rate_limit: Annotated[
        str | None, typer.Option("--rate-limit", help="Answer 429 above this many requests, e.g. 10/s.")
    ] = None,
    error_rate: Annotated[float, typer.Option(help="Share of requests answered 500/502/503.")] = 0.0,
    slow_rate: Annotated[float, typer.Option(help="Share of requests answered slowly.")] = 0.0,
    slow_seconds: Annotated[float, typer.Option(help="Delay of a slow response.")] = 2.0,
    malformed_rate: Annotated[float, typer.Option(help="Share of responses with a cut-off JSON body.")] = 0.0,
    fault_seed: Annotated[int, typer.Option(help="Seed making the injected faults reproducible.")] = 0,
) -> None:
    """Serve the help desk's incremental export API as of the clock (read on every request)."""
    from crm.settings import Settings
    from seeds.transports.support_api import Faults, serve

    for name, rate in (
        ("error-rate", error_rate),
        ("slow-rate", slow_rate),
        ("malformed-rate", malformed_rate),
    ):
        if not 0 <= rate <= 1:
            raise typer.BadParameter(f"--{name} must be between 0 and 1, got {rate}")
    faults = Faults(error_rate, slow_rate, slow_seconds, malformed_rate, fault_seed)
    serve(Settings.from_env(), host, port, token, _parse_rate(rate_limit), faults)


@sources_app.command("status")
def status_command(
    sales_db_url: Annotated[
        str | None,
        typer.Option("--sales-db-url", help="The sales database to count (default: CRM_SALES_DB_URL)."),
    ] = None,
) -> None:
    """Show the clock date and how many rows each source exposes at it."""
    from rich.console import Console
    from rich.table import Table

    from crm.settings import Settings
    from seeds.transports import status

    report = status(Settings.from_env(), sales_db_url)
    console = Console()
    if report["as_of"] is None:
        console.print("The sources' clock is not set: run [bold]crm sources advance --to YYYY-MM-DD[/bold].")
    table = Table(title=f"sources as of {report['as_of']} (sales database as of {report['sales_as_of']})")
    table.add_column("source.entity")
    table.add_column("rows shown", justify="right")
    for name, rows in report["entities"].items():
        table.add_row(name, f"{rows:,}")
    console.print(table)
    if "marketing_folders" in report:
        console.print(f"marketing inbox: {report['marketing_folders']} delivery folder(s)")
