"""The ``crm`` command line: one entry point for every stage, each usable without Airflow.

Commands live next to the code they drive (``seeds/``, ``ingestion/``, …); this module only wires
them together and applies the global options. Heavy libraries are imported inside the commands so
that ``crm --help`` stays instant.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import Annotated

import typer

from crm.airflow_env import dags_app
from crm.bench.cli import bench
from crm.demo import demo
from crm.docs import docs
from crm.postgres_peer import peer_app
from crm.publish import publish_command
from crm.report import report
from crm.transform import transform
from ingestion.cli import ingest, status
from quality.cli import check
from seeds.generator.cli import generate
from seeds.transports.cli import sources_app

app = typer.Typer(
    name="crm",
    help=(
        "CRM data warehouse pipeline: simulate the sales, support and marketing sources, ingest them "
        "into DuckDB, build the marts with dbt, check that the data is good enough, publish and report.\n\n"
        "Every path lives under the data directory (--data-dir or CRM_DATA_DIR, default ./data). "
        "Source connections come from CRM_SALES_DB_URL, CRM_SUPPORT_URL and CRM_SUPPORT_TOKEN and "
        "default to the local simulators."
    ),
    no_args_is_help=True,
    add_completion=False,
    rich_markup_mode="rich",
)


@app.callback()
def main(
    data_dir: Annotated[
        Path | None,
        typer.Option(
            "--data-dir",
            envvar="CRM_DATA_DIR",
            help="Root folder for sources, landing, warehouse, serving database and reports.",
            show_default="./data",
        ),
    ] = None,
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Log debug details.")] = False,
) -> None:
    """Apply the global options before any command runs."""
    if data_dir is not None:
        os.environ["CRM_DATA_DIR"] = str(data_dir.resolve())
    logging.basicConfig(
        level=logging.DEBUG if verbose else logging.INFO,
        format="%(asctime)s %(levelname)-7s %(name)s: %(message)s",
        datefmt="%H:%M:%S",
    )


app.command("generate")(generate)
app.add_typer(sources_app, name="sources")
app.command("ingest")(ingest)
app.command("status")(status)
app.command("check")(check)
app.command("demo")(demo)
app.command("transform")(transform)
app.command("publish")(publish_command)
app.command("report")(report)
app.command("docs")(docs)
app.add_typer(dags_app, name="dags")
app.command("bench")(bench)
app.add_typer(peer_app, name="peer")


if __name__ == "__main__":
    app()
