"""``crm transform``: build the warehouse's models, snapshots and tests with dbt (``dbt build``).

dbt runs in-process through its programmatic ``dbtRunner`` against the project in ``dbt_project/``. The
warehouse file comes from :class:`~crm.settings.Settings` and reaches dbt's committed ``profiles.yml``
through ``CRM_WAREHOUSE_PATH``; dbt's own artefacts (``target/``, logs) go under the data directory so
that two data directories never share them. The run is the warehouse's single writer: nothing else may
hold the DuckDB file open while it runs.

Every dbt command gets the quality policy in force (``$CRM_QUALITY_POLICY`` or the shipped one) as
``--vars`` (``quality.dbt_policy``): the data tests' severity, ``warn_if`` and ``error_if`` come from it,
so editing the policy changes what ``dbt build`` does without touching the dbt project.
"""

from __future__ import annotations

import json
import logging
import os
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from crm.settings import Settings

if TYPE_CHECKING:
    import polars as pl

log = logging.getLogger(__name__)

DBT_PROJECT_DIR = Path(__file__).resolve().parent.parent / "dbt_project"
FAILED_STATUSES = frozenset({"error", "fail", "runtime error"})
COMMANDS_WITHOUT_VARS = frozenset({"clean", "deps", "init"})


@dataclass
class NodeResult:
    """One finished dbt node (model, snapshot, seed, test, unit test)."""

    unique_id: str
    resource_type: str
    relation: str
    status: str
    seconds: float
    message: str


@dataclass
class BuildSummary:
    """What one ``dbt build`` did: every node's result, and whether the build as a whole succeeded."""

    success: bool
    seconds: float
    nodes: list[NodeResult] = field(default_factory=list)

    @property
    def failures(self) -> list[NodeResult]:
        return [node for node in self.nodes if node.status in FAILED_STATUSES]

    def count(self, resource_type: str) -> int:
        return sum(1 for node in self.nodes if node.resource_type == resource_type)


def dbt_environment(settings: Settings) -> dict[str, str]:
    """The environment dbt's ``profiles.yml`` reads: where the warehouse file is."""
    return {"CRM_WAREHOUSE_PATH": str(settings.warehouse_path), "CRM_DATA_DIR": str(settings.data_dir)}


def run_dbt(
    arguments: list[str],
    settings: Settings | None = None,
    *,
    progress: bool = False,
    artefacts_dir: Path | None = None,
) -> BuildSummary:
    """Run one dbt command (e.g. ``["build", "--select", "marts"]``) on the warehouse; never raises.

    Logs one concise line per finished model, snapshot and seed (tests only when they do not pass), and
    shows a progress bar when ``progress`` is true. dbt's ``target/`` and logs go to ``artefacts_dir``
    (default ``<data>/dbt``; another target, e.g. the PostgreSQL peer, keeps its own).
    """
    from dbt.cli.main import dbtRunner

    from quality.dbt_policy import cli_vars
    from quality.policy import load_policy

    settings = settings or Settings.from_env()
    settings.warehouse_path.parent.mkdir(parents=True, exist_ok=True)
    artefacts = artefacts_dir or settings.dbt_dir
    os.environ.update(dbt_environment(settings))
    nodes: list[NodeResult] = []
    bar = _progress_bar() if progress else None
    task = bar.add_task("dbt", total=None) if bar else None

    def on_event(event: Any) -> None:
        name = event.info.name
        if name == "ConcurrencyLine" and bar is not None and task is not None:
            bar.update(task, total=event.data.node_count)
        elif name == "NodeFinished":
            node = _node_result(event)
            nodes.append(node)
            _log_node(node)
            if bar is not None and task is not None:
                bar.update(task, advance=1, description=node.relation)

    # the policy in force sets every data test's severity and thresholds (an invalid one raises here)
    policy_vars = [] if arguments[0] in COMMANDS_WITHOUT_VARS else ["--vars", cli_vars(load_policy())]
    command = [
        *arguments,
        *policy_vars,
        "--project-dir", str(DBT_PROJECT_DIR),
        "--profiles-dir", str(DBT_PROJECT_DIR),
        "--target-path", str(artefacts / "target"),
        "--log-path", str(artefacts / "logs"),
        "--quiet",
        "--no-use-colors",
    ]  # fmt: skip
    started = time.monotonic()
    try:
        if bar is not None:
            bar.start()
        result = dbtRunner(callbacks=[on_event]).invoke(command)
    finally:
        if bar is not None:
            bar.stop()
        _release_warehouse()
    summary = BuildSummary(success=bool(result.success), seconds=time.monotonic() - started, nodes=nodes)
    if result.exception is not None:
        log.error("dbt %s could not run: %s", arguments[0], result.exception)
    return summary


def build(
    settings: Settings | None = None,
    select: str | None = None,
    full_refresh: bool = False,
    *,
    progress: bool = False,
) -> BuildSummary:
    """``dbt build`` (seeds, models, snapshots, tests in DAG order), optionally for a selection."""
    arguments = ["build"]
    if select:
        arguments += ["--select", select]
    if full_refresh:
        arguments.append("--full-refresh")
    return run_dbt(arguments, settings, progress=progress)


def transform(
    select: Annotated[
        str | None,
        typer.Option("--select", "-s", help="dbt node selection, e.g. 'marts' or '+customer_360'."),
    ] = None,
    full_refresh: Annotated[
        bool, typer.Option("--full-refresh", help="Rebuild incremental models from scratch.")
    ] = False,
) -> None:
    """Build the warehouse with dbt: staging, identity resolution, marts, snapshots, and every test."""
    summary = build(select=select, full_refresh=full_refresh, progress=True)
    models = summary.count("model")
    tests = summary.count("test") + summary.count("unit_test")
    log.info(
        "dbt build: %d models, %d snapshots, %d tests in %.1f s; %d failed",
        models,
        summary.count("snapshot"),
        tests,
        summary.seconds,
        len(summary.failures),
    )
    if not summary.success:
        for node in summary.failures:
            log.error("%s %s: %s", node.status.upper(), node.unique_id, node.message)
        raise typer.Exit(code=1)


def incremental_mart_keys(settings: Settings) -> dict[str, str]:
    """The marts dbt builds incrementally, each with its unique key, from the last build's manifest.

    Publishing carries these over with only their new rows (``crm.serving_file``). Without a manifest
    (no build yet, or a warehouse dbt did not build) there are none, and every table is copied.
    """
    manifest_path = settings.dbt_dir / "target" / "manifest.json"
    if not manifest_path.exists():
        return {}
    nodes = json.loads(manifest_path.read_text(encoding="utf-8"))["nodes"].values()
    return {
        node["alias"]: node["config"]["unique_key"]
        for node in nodes
        if node["resource_type"] == "model"
        and node["schema"] == "marts"
        and node["config"].get("materialized") == "incremental"
        and isinstance(node["config"].get("unique_key"), str)
    }


def preview_marts(settings: Settings | None = None, rows: int = 5) -> dict[str, pl.DataFrame]:
    """A few rows of ``customer_360`` and ``segment_performance`` for ``make demo`` to print.

    Reads the warehouse read-only; call it only when no dbt run is writing.
    """
    import duckdb

    settings = settings or Settings.from_env()
    queries = {
        "customer_360": f"""
            select customer_name, lifecycle_stage, value_tier, rfm_segment, order_count,
                lifetime_revenue_usd, revenue_last_12_months_usd, ticket_count, csat_score,
                email_open_rate, latest_nps_score, retention_status
            from marts.customer_360
            order by revenue_last_12_months_usd desc, customer_id
            limit {int(rows)}
        """,
        "segment_performance": f"""
            select segment_type, segment, month_start_date, customers, new_customers, churned_customers,
                revenue_usd, revenue_per_customer_usd, revenue_usd_change_vs_previous_month,
                revenue_usd_change_vs_previous_year, csat_score, nps
            from marts.segment_performance
            where segment_type = 'value_tier'
                and month_start_date = (select max(month_start_date) from marts.segment_performance)
            order by revenue_usd desc
            limit {int(rows)}
        """,
    }
    with duckdb.connect(str(settings.warehouse_path), read_only=True) as con:
        return {name: con.sql(query).pl() for name, query in queries.items()}


def _release_warehouse() -> None:
    """Close the DuckDB file dbt-duckdb keeps open for the life of the process.

    dbt-duckdb caches one database handle per process (to reuse it across invocations); left open, it
    would block every other connection to the warehouse from this process — the demo's read-only
    preview, the next pipeline stage — and keep the file locked against other processes.
    """
    from dbt.adapters.duckdb.connections import DuckDBConnectionManager

    environment = DuckDBConnectionManager._ENV  # no public accessor; the class attribute is the cache
    if environment is not None:
        environment.close()
    DuckDBConnectionManager.close_all_connections()


def _node_result(event: Any) -> NodeResult:
    info = event.data.node_info
    result = event.data.run_result
    relation = info.node_relation
    is_test = info.resource_type in {"test", "unit_test"}
    name = f"{relation.schema}.{relation.alias}" if relation.alias and not is_test else info.node_name
    return NodeResult(
        unique_id=info.unique_id,
        resource_type=info.resource_type,
        relation=name,
        status=(result.status or info.node_status or "").lower(),
        seconds=float(result.execution_time or 0.0),
        message=result.message or "",
    )


def _log_node(node: NodeResult) -> None:
    """Models, snapshots and seeds get a line each; tests only when they do not pass (hundreds pass)."""
    if node.resource_type in {"test", "unit_test"} and node.status in {"pass", "skipped"}:
        return
    level = logging.ERROR if node.status in FAILED_STATUSES else logging.INFO
    if node.status == "warn":
        level = logging.WARNING
    log.log(level, "%-9s %-55s %-7s %6.2f s", node.resource_type, node.relation, node.status, node.seconds)


def _progress_bar() -> Progress:
    return Progress(
        TextColumn("[bold]dbt build"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TextColumn("{task.description}"),
        console=Console(stderr=True),
        transient=True,
    )
