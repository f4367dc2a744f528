"""Airflow on the embedded defaults: its configuration, its metadata DB, and running the DAG chain.

One function says how Airflow is configured for this project (:func:`airflow_settings`); the tests,
``make airflow`` (``airflow standalone``), ``crm dags run`` and the docker-compose deployment all use
the same AIRFLOW__* keys and values (``tests/dags`` check the compose file against it):

- ``AIRFLOW_HOME`` under ``<data>/airflow``, so one data directory holds a whole installation;
- the DAG folder is this repository's ``dags/``; example DAGs off; new DAGs start unpaused (the
  Assets chain ingest → transform needs every DAG active);
- the metadata DB is a SQLite file in ``AIRFLOW_HOME`` unless a URL is given (PostgreSQL in
  production and in the scheduler test);
- the one-slot pool ``duckdb_writer`` (created by :func:`prepare`).

Airflow reads its configuration when it is first imported, so :func:`apply` must run before any
``import airflow`` in the process; :func:`run_dag_chain` does both.
"""

from __future__ import annotations

import contextlib
import logging
import os
import sys
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Annotated, Any, Literal

import typer

from crm.settings import DEFAULT_SUPPORT_PORT, Settings

log = logging.getLogger(__name__)

REPO_ROOT = Path(__file__).resolve().parent.parent
DAGS_FOLDER = REPO_ROOT / "dags"
WRITER_POOL = "duckdb_writer"
WRITER_POOL_DESCRIPTION = "The warehouse's single writer: DuckDB allows one read-write process per file."
INGEST_DAGS = ("ingest_sales", "ingest_support", "ingest_marketing")
TRANSFORM_DAG = "transform"

# Airflow's own INFO lines that repeat for every task of a run and tell an operator nothing; warnings
# and errors still show, and so does every line of the project's own code.
QUIET_NAMESPACES = (
    "airflow.api_fastapi.execution_api",
    "airflow.dag_processing",
    "airflow.models.dag",
    "airflow.models.dagrun",
    "airflow.serialization",
)
# In `crm dags run` (dag.test in the foreground) the task runner's section markers and XCom echoes are
# noise too; in the Airflow UI they fold the task log, so they stay there.
CHAIN_QUIET_NAMESPACES = ("task", "airflow.task.operators", "airflow.sdk.definitions.dag")

# Settings that do not depend on paths or the executor: identical in every deployment. The compose
# file must carry exactly these (tests/dags/test_deployment.py).
SHARED_SETTINGS: dict[str, str] = {
    "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
    "AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION": "False",
    "AIRFLOW__CORE__DAG_IGNORE_FILE_SYNTAX": "glob",
    "AIRFLOW__SCHEDULER__ENABLE_HEALTH_CHECK": "True",
    "AIRFLOW__LOGGING__LOGGING_LEVEL": "INFO",
    "AIRFLOW__LOGGING__COLORED_CONSOLE_LOG": "False",
    "AIRFLOW__LOGGING__NAMESPACE_LEVELS": " ".join(f"{name}=WARNING" for name in QUIET_NAMESPACES),
}
# Keys whose values are paths or URLs of the deployment (checked for presence, not value).
PATH_SETTINGS = ("AIRFLOW__CORE__DAGS_FOLDER", "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN", "CRM_DATA_DIR")


def airflow_home(settings: Settings) -> Path:
    return settings.data_dir / "airflow"


def airflow_settings(settings: Settings, *, metadata_url: str | None = None) -> dict[str, str]:
    """The environment Airflow runs with for this data directory (AIRFLOW_HOME, AIRFLOW__*, CRM_DATA_DIR).

    A deployment that already sets ``AIRFLOW_HOME`` or the metadata DB URL in the environment (the
    docker-compose services) keeps them; otherwise both live under ``<data>/airflow``.
    """
    home = Path(os.environ.get("AIRFLOW_HOME") or airflow_home(settings))
    database = (
        metadata_url
        or os.environ.get("AIRFLOW__DATABASE__SQL_ALCHEMY_CONN")
        or f"sqlite:///{home / 'airflow.db'}"
    )
    environment = {
        "AIRFLOW_HOME": str(home),
        "AIRFLOW__CORE__DAGS_FOLDER": str(DAGS_FOLDER),
        "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": database,
        **SHARED_SETTINGS,
        "CRM_DATA_DIR": str(settings.data_dir),
    }
    if database.startswith("postgresql") and not os.environ.get("AIRFLOW__DATABASE__SQL_ALCHEMY_CONN_ASYNC"):
        # Airflow 3 also opens the metadata DB asynchronously; its default async driver (asyncpg) is
        # not installed, psycopg 3 (installed) speaks both
        rest = database.partition("://")[2]
        environment["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN_ASYNC"] = f"postgresql+psycopg://{rest}"
    return environment


def apply(
    settings: Settings, *, metadata_url: str | None = None, namespace_levels: str | None = None
) -> dict[str, str]:
    """Export :func:`airflow_settings` into this process; refuse if Airflow was configured otherwise."""
    wanted = airflow_settings(settings, metadata_url=metadata_url)
    if namespace_levels:
        wanted["AIRFLOW__LOGGING__NAMESPACE_LEVELS"] = namespace_levels
    if "airflow" in sys.modules and os.environ.get("AIRFLOW_HOME") != wanted["AIRFLOW_HOME"]:
        raise RuntimeError(
            f"Airflow is already imported with AIRFLOW_HOME={os.environ.get('AIRFLOW_HOME')!r}; "
            f"run this in a fresh process to use {wanted['AIRFLOW_HOME']}"
        )
    Path(wanted["AIRFLOW_HOME"]).mkdir(parents=True, exist_ok=True)
    os.environ.update(wanted)
    return wanted


def prepare(
    settings: Settings, *, metadata_url: str | None = None, namespace_levels: str | None = None
) -> None:
    """Migrate the metadata DB if it is behind (idempotent) and create the ``duckdb_writer`` pool."""
    apply(settings, metadata_url=metadata_url, namespace_levels=namespace_levels)
    from airflow.models.pool import Pool
    from airflow.utils.db import upgradedb

    with _quiet("alembic", "airflow.utils.db"):
        upgradedb()
    Pool.create_or_update_pool(
        name=WRITER_POOL, slots=1, description=WRITER_POOL_DESCRIPTION, include_deferred=False
    )


@dataclass(frozen=True)
class ChainRun:
    """The outcome of one DAG run of the chain."""

    dag_id: str
    logical_date: date
    state: str


def run_dag_chain(
    settings: Settings,
    dates: Sequence[date],
    *,
    transform: Literal["each", "last"] = "each",
    metadata_url: str | None = None,
) -> list[ChainRun]:
    """Run the real DAGs with ``dag.test()`` for each date: the three ingest DAGs, then ``transform``.

    ``transform="each"`` runs transform after every date (what the scheduler does when the Assets
    fire daily); ``"last"`` only after the last date (a catch-up: the same marts, one dbt build).
    On the embedded defaults the local support simulator is started for the run if nothing answers.
    """
    quiet = " ".join(f"{name}=WARNING" for name in (*QUIET_NAMESPACES, *CHAIN_QUIET_NAMESPACES))
    prepare(settings, metadata_url=metadata_url, namespace_levels=quiet)
    from airflow.dag_processing.dagbag import DagBag

    bag = DagBag(dag_folder=str(DAGS_FOLDER), bundle_path=DAGS_FOLDER, bundle_name="dags-folder")
    if bag.import_errors:
        raise RuntimeError(f"DAG import errors: {bag.import_errors}")
    runs: list[ChainRun] = []
    pending: list[str] = []  # the days ingested since the last transform: its gate judges them all
    with _support_api(settings):
        for index, day in enumerate(dates):
            logical = datetime(day.year, day.month, day.day, tzinfo=UTC)  # dag.test needs an aware date
            for dag_id in INGEST_DAGS:
                runs.append(_test(bag, dag_id, day, logical, None))
            pending.append(day.isoformat())
            if transform == "each" or index == len(dates) - 1:
                conf = {"logical_date": day.isoformat(), "logical_dates": pending}
                runs.append(_test(bag, TRANSFORM_DAG, day, logical, conf))
                pending = []
    return runs


def _test(bag: object, dag_id: str, day: date, logical: datetime, conf: dict[str, Any] | None) -> ChainRun:
    dag = bag.dags[dag_id]  # type: ignore[attr-defined]
    log.info("running %s for %s", dag_id, day)
    dag_run = dag.test(logical_date=logical, run_conf=conf)
    state = str(getattr(dag_run.state, "value", dag_run.state))
    log.info("%s for %s: %s", dag_id, day, state)
    return ChainRun(dag_id, day, state)


@contextlib.contextmanager
def _support_api(settings: Settings) -> Iterator[None]:
    """Start the local support simulator when the sources are the embedded defaults and none answers."""
    default_url = f"http://127.0.0.1:{DEFAULT_SUPPORT_PORT}"
    if settings.support_url != default_url or not settings.world_dir.exists() or _answers(default_url):
        yield
        return
    from seeds.transports.support_api import start_server

    server = start_server(settings, port=0, token=settings.support_token)
    previous = os.environ.get("CRM_SUPPORT_URL")
    os.environ["CRM_SUPPORT_URL"] = server.url  # the tasks read Settings.from_env() when they run
    log.info("started the local support simulator at %s for the DAG runs", server.url)
    try:
        yield
    finally:
        server.stop()
        if previous is None:
            os.environ.pop("CRM_SUPPORT_URL", None)
        else:
            os.environ["CRM_SUPPORT_URL"] = previous


def _answers(url: str) -> bool:
    import httpx

    try:
        httpx.get(url, timeout=1.0)
    except httpx.HTTPError:
        return False
    return True


@contextlib.contextmanager
def _quiet(*names: str) -> Iterator[None]:
    """Hold the named loggers at WARNING for a step whose INFO lines say nothing to an operator."""
    loggers = [logging.getLogger(name) for name in names]
    levels = [logger.level for logger in loggers]
    for logger in loggers:
        logger.setLevel(logging.WARNING)
    try:
        yield
    finally:
        for logger, level in zip(loggers, levels, strict=True):
            logger.setLevel(level)


# --- the `crm dags` commands -----------------------------------------------------------------------

dags_app = typer.Typer(
    help="Airflow on the embedded defaults: configuration, metadata DB, and running the real DAGs.",
    no_args_is_help=True,
)


@dags_app.command("env")
def env_command(
    metadata_url: Annotated[
        str | None, typer.Option("--metadata-url", envvar="CRM_AIRFLOW_METADATA_URL", help="Metadata DB URL.")
    ] = None,
) -> None:
    """Print the Airflow environment as shell exports (`eval "$(crm dags env)"`)."""
    import shlex

    for key, value in airflow_settings(Settings.from_env(), metadata_url=metadata_url).items():
        typer.echo(f"export {key}={shlex.quote(value)}")


@dags_app.command("init")
def init_command(
    metadata_url: Annotated[
        str | None, typer.Option("--metadata-url", envvar="CRM_AIRFLOW_METADATA_URL", help="Metadata DB URL.")
    ] = None,
) -> None:
    """Migrate the Airflow metadata DB if needed and create the `duckdb_writer` pool (idempotent)."""
    settings = Settings.from_env()
    prepare(settings, metadata_url=metadata_url)
    typer.echo(f"Airflow ready: AIRFLOW_HOME={airflow_home(settings)}, pool {WRITER_POOL} (1 slot)")


@dags_app.command("run")
def run_command(
    from_: Annotated[datetime, typer.Option("--from", formats=["%Y-%m-%d"], help="First logical date.")],
    to: Annotated[
        datetime | None,
        typer.Option("--to", formats=["%Y-%m-%d"], help="Last logical date (default: --from)."),
    ] = None,
    transform: Annotated[
        str, typer.Option("--transform", help="each: transform after every date; last: only after the last.")
    ] = "each",
    metadata_url: Annotated[
        str | None, typer.Option("--metadata-url", envvar="CRM_AIRFLOW_METADATA_URL", help="Metadata DB URL.")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the run states as JSON.")] = False,
) -> None:
    """Run the real DAGs (ingest_* then transform) with dag.test() for each date, in order."""
    import json

    from ingestion.run import days

    if transform not in ("each", "last"):
        raise typer.BadParameter("must be each or last", param_hint="--transform")
    settings = Settings.from_env()
    dates = days(from_.date(), (to or from_).date())
    runs = run_dag_chain(settings, dates, transform=transform, metadata_url=metadata_url)  # type: ignore[arg-type]
    if as_json:
        typer.echo(json.dumps([{**vars(r), "logical_date": r.logical_date.isoformat()} for r in runs]))
    else:
        for run in runs:
            typer.echo(f"{run.logical_date}  {run.dag_id:<18} {run.state}")
    if any(run.state != "success" for run in runs):
        raise typer.Exit(1)


__all__ = [
    "DAGS_FOLDER",
    "SHARED_SETTINGS",
    "WRITER_POOL",
    "ChainRun",
    "airflow_settings",
    "apply",
    "prepare",
    "run_dag_chain",
]
