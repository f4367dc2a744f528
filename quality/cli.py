"""``crm check``: run the quality gate from the command line (the DAGs call ``quality.gate`` directly).

Exit codes: 0 when every check passes or only warns (the warnings are listed), 1 when a
block-severity check fails (each named with its observed value and threshold), 2 when the policy file
or ``CRM_GX_ENGINE`` is invalid.
"""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.table import Table

from crm.settings import Settings

if TYPE_CHECKING:
    from quality.results import CheckResult

console = Console()
err_console = Console(stderr=True)


def check(
    run_id: Annotated[
        str | None,
        typer.Option("--run-id", help="Store the results under this run id (default: manual__<utc time>)."),
    ] = None,
    stage: Annotated[
        str,
        typer.Option(
            "--stage",
            help="landing (landed batches), sources (raw tables' freshness), marts (the serving "
            "database) or all.",
        ),
    ] = "all",
    logical_date: Annotated[
        str | None,
        typer.Option(
            "--date", help="Check the landed batches of this logical date (default: each entity's newest)."
        ),
    ] = None,
) -> None:
    """Check that the data is good enough: warn on routine aches, fail on strategic pains."""
    from quality.gate import STAGES, run_checks
    from quality.gx_runtime import engine_from_env
    from quality.policy import PolicyError

    if stage not in (*STAGES, "all"):
        raise typer.BadParameter(f"must be one of {', '.join(STAGES)} or all", param_hint="--stage")
    settings = Settings.from_env()
    try:
        when = date.fromisoformat(logical_date) if logical_date else None
    except ValueError:
        raise typer.BadParameter(f"{logical_date!r} is not a YYYY-MM-DD date", param_hint="--date") from None
    try:
        engine = engine_from_env()
    except ValueError as error:
        err_console.print(f"[red]invalid setting:[/red] {error}")
        raise typer.Exit(2) from None
    try:
        gate = run_checks(
            settings,
            stage,  # type: ignore[arg-type]
            run_id,
            logical_date=when,
            progress=console.is_terminal,
            engine=engine,
        )
    except PolicyError as error:
        err_console.print(f"[red]invalid quality policy:[/red] {error}")
        raise typer.Exit(2) from None
    counts = {
        status: sum(r.check_status.value == status for r in gate.results)
        for status in ("passed", "failed", "error", "skipped")
    }
    console.print(
        f"run {gate.run_id}: {len(gate.results)} check results — "
        + ", ".join(f"{n} {status}" for status, n in counts.items())
    )
    breaches = gate.blocking + gate.warnings
    if breaches:
        console.print(_table(breaches))
    if gate.docs_index:
        console.print(f"Data Docs: {gate.docs_index}")
    if gate.blocking:
        err_console.print(
            f"[red bold]blocked:[/red bold] {len(gate.blocking)} strategic pain(s); nothing may be published"
        )
        for result in gate.blocking:
            err_console.print(f"  {result.describe()}", markup=False, highlight=False, soft_wrap=True)
        raise typer.Exit(1)
    if gate.warnings:
        console.print(f"[yellow]{len(gate.warnings)} warning(s) (routine aches): publishable[/yellow]")
    else:
        console.print("[green]all checks passed[/green]")


def _table(results: list[CheckResult]) -> Table:
    table = Table(title="Checks that did not pass", show_lines=False)
    for name in ("severity", "check", "target / batch", "observed", "threshold", "owner"):
        table.add_column(name, overflow="fold")
    for result in results:
        colour = "red" if result.blocks else "yellow"
        table.add_row(
            f"[{colour}]{result.severity}[/{colour}]",
            result.check_id,
            result.batch_id or result.target,
            result.observed + (f" ({result.message})" if result.message else ""),
            result.threshold,
            result.owner,
        )
    return table
