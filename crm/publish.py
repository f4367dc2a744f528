"""``crm publish``: replace the read-only serving database with this run's marts, atomically.

BI tools hold the serving file (``Settings.serve_path``) open read-only while the pipeline runs, and
DuckDB lets one read-only reader block every writer — so the serving file is never written in place.
Publishing builds a complete new file next to it, checks it, and renames it over the old one:

1. refuse if the quality gate blocked this run (``quality.gate.assert_publishable``);
2. copy only the ``marts`` schema of the warehouse into a new file written with
   ``STORAGE_VERSION 'v1.5.0'`` (DuckDB 2.0 writes v69 by default, which DuckDB 1.x clients — most
   BI drivers — cannot open), plus ``meta.publication``: one row per table with its row count and the
   run id, so a reader can tell which run it sees and that it is whole;
   Direct identifiers are pseudonymised while copying (``crm.pii``: emails and phones become SHA-256
   hashes; the warehouse keeps them). After the first publish the new file starts as a copy of the
   served one, and the marts dbt builds incrementally take only their new rows (``crm.serving_file``);

3. run the marts quality suite on the new file (``run_checks(..., "marts", serve_path=new_file)``) and
   add this run's check results as ``meta.check_results``, so the report and BI users see how good
   "good enough" was without opening the warehouse;
4. scan every text column of the new file for anything that still looks like an email or a phone
   number (``crm.pii.scan``; a hit raises ``PersonalDataExposed``) — of a carried-over table, the new
   rows only;
5. only then ``os.replace`` it over the served file. A reader sees the old file or the new one, never
   a mix; on a block or any error the new file is deleted and the last good file stays.

Runs in the single-writer chain: the gate's results are written to the warehouse.
"""

from __future__ import annotations

import logging
import os
import re
import uuid
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from crm.serving_file import build_serving_file, in_memory_duckdb, path_literal
from crm.settings import Settings
from crm.transform import incremental_mart_keys

if TYPE_CHECKING:
    from collections.abc import Mapping

log = logging.getLogger(__name__)

CANDIDATE_SUFFIX = ".publishing"


def publish(settings: Settings, run_id: str) -> Path:
    """Publish the warehouse's marts for ``run_id`` to ``settings.serve_path``; return that path.

    Raises ``quality.gate.QualityBlocked`` when the gate blocked the run or the new file fails the
    marts suite, and ``crm.pii.PersonalDataExposed`` when it would expose an email or phone number;
    the served file is then untouched.
    """
    from quality.gate import QualityBlocked, assert_publishable, run_checks

    assert_publishable(settings, run_id)
    serve = settings.serve_path
    serve.parent.mkdir(parents=True, exist_ok=True)
    for stale in serve.parent.glob(f".{serve.name}.*{CANDIDATE_SUFFIX}*"):
        log.info("removing %s, left by an interrupted publish", stale)  # single writer: none is live
        stale.unlink()
    candidate = serve.with_name(f".{serve.name}.{_slug(run_id)}.{uuid.uuid4().hex[:8]}{CANDIDATE_SUFFIX}")
    try:
        build = build_serving_file(
            settings.warehouse_path,
            candidate,
            run_id,
            previous=serve if serve.exists() else None,
            incremental_keys=incremental_mart_keys(settings),
        )
        gate = run_checks(settings, "marts", run_id, serve_path=candidate)
        if gate.blocking:
            raise QualityBlocked(run_id, gate.blocking)
        add_check_results(settings.warehouse_path, candidate, run_id)
        assert_no_personal_data(candidate, only=build.new_rows)
        os.replace(candidate, serve)
        _fsync_directory(serve.parent)
    except BaseException:
        for leftover in (candidate, candidate.with_name(candidate.name + ".wal")):
            leftover.unlink(missing_ok=True)
        raise
    log.info("published %d marts tables of run %s to %s", len(build.row_counts), run_id, serve)
    return serve


def add_check_results(warehouse: Path, target: Path, run_id: str) -> int:
    """Copy this run's quality results (``ops.check_results``, landing and marts stages) into
    ``target`` as ``meta.check_results``; return how many rows.

    The scorecard mart is built by dbt before the gate runs, so it shows earlier runs; this table is
    the verdict on exactly the data being published.
    """

    from crm.pii import masked_select_list

    with in_memory_duckdb() as con:
        con.execute(f"attach {path_literal(warehouse)} as warehouse (read_only)")
        con.execute(f"attach {path_literal(target)} as serving")
        columns = con.execute(
            "select column_name, data_type from information_schema.columns where table_catalog = "
            "'warehouse' and table_schema = 'ops' and table_name = 'check_results' order by ordinal_position"
        ).fetchall()
        select_list, _ = masked_select_list(columns)  # failed checks quote sample values: redact them
        con.execute(
            f"create table serving.meta.check_results as select {select_list} "
            "from warehouse.ops.check_results where run_id = ? order by stage, check_id, batch_id",
            [run_id],
        )
        ((rows,),) = con.execute("select count(*) from serving.meta.check_results").fetchall()
        con.execute("checkpoint serving")
        con.execute("detach serving")
    return int(rows)


def assert_no_personal_data(target: Path, only: Mapping[str, str] | None = None) -> None:
    """Raise ``crm.pii.PersonalDataExposed`` if any text column of ``target`` looks like an email or phone.

    ``only`` narrows a table (``"schema.table"``) to the rows a predicate selects: a carried-over table's
    older rows were scanned under the same rules when they were first published.
    """

    from crm.pii import PersonalDataExposed, scan

    with in_memory_duckdb() as con:
        con.execute(f"attach {path_literal(target)} as serving (read_only)")
        findings = scan(con, "serving", only=only)
        con.execute("detach serving")
    if findings:
        raise PersonalDataExposed(findings)


def _slug(run_id: str) -> str:
    return re.sub(r"[^A-Za-z0-9_-]+", "_", run_id)[:80]


def _fsync_directory(directory: Path) -> None:
    """Make the rename itself durable (the new file's bytes were synced by DuckDB's checkpoint)."""
    descriptor = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


def publish_command(
    run_id: Annotated[str, typer.Option("--run-id", help="The gate run whose verdict allows publishing.")],
) -> None:
    """Publish the marts to the read-only serving database (refused when the quality gate blocked)."""
    from crm.pii import PersonalDataExposed
    from quality.gate import QualityBlocked

    settings = Settings.from_env()
    try:
        path = publish(settings, run_id)
    except (QualityBlocked, PersonalDataExposed) as refused:
        typer.echo(str(refused), err=True)
        typer.echo(f"nothing published; {settings.serve_path} is unchanged", err=True)
        raise typer.Exit(1) from None
    typer.echo(f"published {path}")
