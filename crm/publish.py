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
   hashes; the warehouse keeps them);
3. run the marts quality suite on the new file (``run_checks(..., "marts", serve_path=new_file)``) and
   add this run's check results as ``meta.check_results``, so the report and BI users see how good
   "good enough" was without opening the warehouse;
4. scan every text column of the new file for anything that still looks like an email or a phone
   number (``crm.pii.scan``; a hit raises ``PersonalDataExposed``);
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

from crm.settings import Settings, duckdb_memory_limit

if TYPE_CHECKING:
    import duckdb

log = logging.getLogger(__name__)

SCHEMA = "marts"
STORAGE_VERSION = "v1.5.0"
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
        tables = build_serving_file(settings.warehouse_path, candidate, run_id)
        gate = run_checks(settings, "marts", run_id, serve_path=candidate)
        if gate.blocking:
            raise QualityBlocked(run_id, gate.blocking)
        add_check_results(settings.warehouse_path, candidate, run_id)
        assert_no_personal_data(candidate)
        os.replace(candidate, serve)
        _fsync_directory(serve.parent)
    except BaseException:
        for leftover in (candidate, candidate.with_name(candidate.name + ".wal")):
            leftover.unlink(missing_ok=True)
        raise
    log.info("published %d marts tables of run %s to %s", len(tables), run_id, serve)
    return serve


def build_serving_file(warehouse: Path, target: Path, run_id: str) -> dict[str, int]:
    """Copy every table and view of ``warehouse``'s ``marts`` schema into a new file ``target``.

    Views are materialised (the serving file has no other schema for them to read); the columns
    ``crm.pii.MASKED_COLUMNS`` declares are hashed on the way, and say so in their column comment.
    Returns the row count per table, also stored in ``meta.publication``.
    """

    from crm.pii import MASKED_COLUMNS, masked_select_list

    if not warehouse.exists():
        raise FileNotFoundError(f"no warehouse at {warehouse}: run `crm ingest` and `crm transform` first")
    if target.exists():
        raise FileExistsError(f"{target} already exists; a publish builds a new file only")
    with _connect() as con:
        con.execute(f"attach {_literal(warehouse)} as warehouse (read_only)")
        con.execute(f"attach {_literal(target)} as serving (storage_version '{STORAGE_VERSION}')")
        names = [
            row[0]
            for row in con.execute(
                "select table_name from information_schema.tables "
                "where table_catalog = 'warehouse' and table_schema = ? order by table_name",
                [SCHEMA],
            ).fetchall()
        ]
        if not names:
            raise LookupError(f"{warehouse} has no {SCHEMA} tables: run `crm transform` first")
        counts: dict[str, int] = {}
        con.execute("begin transaction")
        con.execute(f"create schema serving.{SCHEMA}")
        con.execute("create schema serving.meta")
        for name in names:
            columns = con.execute(
                "select column_name, data_type from information_schema.columns where table_catalog = "
                "'warehouse' and table_schema = ? and table_name = ? order by ordinal_position",
                [SCHEMA, name],
            ).fetchall()
            select_list, masked = masked_select_list(columns)
            con.execute(
                f'create table serving.{SCHEMA}."{name}" as '
                f'select {select_list} from warehouse.{SCHEMA}."{name}"'
            )
            for column in masked:
                description = MASKED_COLUMNS[column.lower()].description.replace("'", "''")
                con.execute(f'comment on column serving.{SCHEMA}."{name}"."{column}" is \'{description}\'')
            ((rows,),) = con.execute(f'select count(*) from serving.{SCHEMA}."{name}"').fetchall()
            counts[name] = int(rows)
        con.execute(
            "create table serving.meta.publication ("
            "table_name varchar primary key, row_count bigint not null, run_id varchar not null, "
            "published_at timestamptz not null)"
        )
        con.executemany(
            "insert into serving.meta.publication values (?, ?, ?, now())",
            [(name, rows, run_id) for name, rows in counts.items()],
        )
        con.execute("commit")
        con.execute("checkpoint serving")
        con.execute("detach serving")
    return counts


def add_check_results(warehouse: Path, target: Path, run_id: str) -> int:
    """Copy this run's quality results (``ops.check_results``, landing and marts stages) into
    ``target`` as ``meta.check_results``; return how many rows.

    The scorecard mart is built by dbt before the gate runs, so it shows earlier runs; this table is
    the verdict on exactly the data being published.
    """

    from crm.pii import masked_select_list

    with _connect() as con:
        con.execute(f"attach {_literal(warehouse)} as warehouse (read_only)")
        con.execute(f"attach {_literal(target)} as serving")
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


def assert_no_personal_data(target: Path) -> None:
    """Raise ``crm.pii.PersonalDataExposed`` if any text column of ``target`` looks like an email or phone."""

    from crm.pii import PersonalDataExposed, scan

    with _connect() as con:
        con.execute(f"attach {_literal(target)} as serving (read_only)")
        findings = scan(con, "serving")
        con.execute("detach serving")
    if findings:
        raise PersonalDataExposed(findings)


def _connect() -> duckdb.DuckDBPyConnection:
    """An in-memory DuckDB within the pipeline's memory budget, for attaching the files it copies."""
    import duckdb

    con = duckdb.connect(config={"memory_limit": duckdb_memory_limit()})
    con.execute("set enable_progress_bar = false")  # a log, not a terminal
    return con


def _literal(path: Path) -> str:
    """A SQL string literal for a path (ATTACH takes no bind parameters)."""
    return "'" + str(path).replace("'", "''") + "'"


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
