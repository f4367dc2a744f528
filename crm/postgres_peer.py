"""``crm peer build``: the same dbt project on PostgreSQL, the peer engine a small team would pick.

1. (Re)create the peer database (UTF-8, byte-order collation like DuckDB's, session time zone UTC) with
   the extensions the models use (``fuzzystrmatch``, ``unaccent``).
2. Copy what dbt's sources read from the DuckDB warehouse — every table of ``raw`` and the quality
   gate's ``ops.check_results`` when it exists — with their column types mapped (lists and structs
   become ``jsonb``, which the dispatched macros in ``dbt_project/macros/cross_database`` read). Rows
   stream as DuckDB Arrow batches rendered to CSV by Arrow into ``COPY … FROM STDIN``: no per-row work
   in Python.
3. ``dbt build`` (seeds, models, snapshots, tests) with the ``postgres`` target of ``profiles.yml``,
   through :func:`crm.transform.run_dbt`, with its own dbt artefacts folder.

The warehouse is only read (read-only DuckDB connection); the peer database is dropped and rebuilt on
every run, so a run always starts from the warehouse's raw data as it is.
"""

from __future__ import annotations

import io
import json
import logging
import os
import re
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from crm.settings import Settings, temporary_environment
from crm.transform import BuildSummary, run_dbt

if TYPE_CHECKING:
    import duckdb
    import psycopg

log = logging.getLogger(__name__)

DEFAULT_DATABASE = "crm_peer"
EXTENSIONS = ("fuzzystrmatch", "unaccent")
# What the dbt sources read (models/staging/*/_*__sources.yml): all of raw, and the gate's results.
COPIED_SCHEMAS = ("raw",)
COPIED_TABLES = (("ops", "check_results"),)
BATCH_ROWS = 100_000
# Session defaults of the peer database. Staging views keep each key's latest version with a window
# filter, which PostgreSQL estimates at one row: it then nests loops over hundreds of thousands of rows
# (one model at SF 0.1: > 13 min; with hash joins 1.4 s). The models' joins are all equi-joins, so the
# peer plans without nested loops, with sort/hash memory for analytics, and without JIT (the disabled
# join's cost estimate would make every query compile).
DATABASE_SETTINGS = {
    "timezone": "UTC",
    "enable_nestloop": "off",
    "work_mem": "256MB",
    "jit": "off",
}

# DuckDB scalar types → PostgreSQL; DECIMAL(p, s) keeps its precision, nested types become jsonb.
SCALAR_TYPES = {
    "VARCHAR": "text",
    "BOOLEAN": "boolean",
    "TINYINT": "smallint",
    "SMALLINT": "smallint",
    "INTEGER": "integer",
    "BIGINT": "bigint",
    "UTINYINT": "smallint",
    "USMALLINT": "integer",
    "UINTEGER": "bigint",
    "UBIGINT": "numeric(20, 0)",
    "HUGEINT": "numeric(38, 0)",
    "FLOAT": "real",
    "DOUBLE": "double precision",
    "DATE": "date",
    "TIME": "time",
    "TIMESTAMP": "timestamp",
    "TIMESTAMP WITH TIME ZONE": "timestamptz",
    "INTERVAL": "interval",
    "UUID": "uuid",
    "JSON": "jsonb",
}
NESTED_TYPE = re.compile(r"^(STRUCT|MAP|UNION)\(|\[\d*\]$")
DECIMAL_TYPE = re.compile(r"^DECIMAL\((\d+),\s*(\d+)\)$")


class PeerError(RuntimeError):
    """The peer database could not be prepared (server unreachable, unsupported column type, …)."""


@dataclass(frozen=True)
class PeerServer:
    """Where the PostgreSQL server is; ``maintenance_database`` is where databases are created from."""

    host: str
    port: int
    user: str
    password: str
    maintenance_database: str = "postgres"

    @classmethod
    def from_env(cls, url: str | None = None) -> PeerServer:
        """From ``url`` (``postgresql://user:pw@host:port/db``) if given, else the ``CRM_PG_*`` variables."""
        if url:
            from psycopg.conninfo import conninfo_to_dict

            parts = conninfo_to_dict(url)
            return cls(
                host=str(parts.get("host") or "127.0.0.1"),
                port=int(parts.get("port") or 5432),
                user=str(parts.get("user") or "postgres"),
                password=str(parts.get("password") or ""),
                maintenance_database=str(parts.get("dbname") or "postgres"),
            )
        return cls(
            host=os.environ.get("CRM_PG_HOST", "127.0.0.1"),
            port=int(os.environ.get("CRM_PG_PORT", "5432")),
            user=os.environ.get("CRM_PG_USER", "postgres"),
            password=os.environ.get("CRM_PG_PASSWORD", ""),
        )

    def connect(self, database: str, *, autocommit: bool = False) -> psycopg.Connection[Any]:
        import psycopg

        return psycopg.connect(
            host=self.host,
            port=self.port,
            user=self.user,
            password=self.password or None,
            dbname=database,
            autocommit=autocommit,
            connect_timeout=10,
        )

    def dbt_environment(self, database: str) -> dict[str, str]:
        """The variables the ``postgres`` output of ``profiles.yml`` reads."""
        return {
            "CRM_DBT_TARGET": "postgres",
            "CRM_PG_HOST": self.host,
            "CRM_PG_PORT": str(self.port),
            "CRM_PG_USER": self.user,
            "CRM_PG_PASSWORD": self.password,
            "CRM_PG_DATABASE": database,
        }


@dataclass
class PeerRun:
    """One ``crm peer build``: what was copied, how long each half took, and the dbt build's results."""

    database: str
    tables_copied: int
    rows_copied: int
    copy_seconds: float
    build: BuildSummary

    @property
    def success(self) -> bool:
        return self.build.success

    def as_json(self) -> str:
        return json.dumps(
            {
                "copy_seconds": round(self.copy_seconds, 2),
                "dbt_seconds": round(self.build.seconds, 2),
                "rows_copied": self.rows_copied,
                "models": self.build.count("model"),
                "tests": self.build.count("test") + self.build.count("unit_test"),
                "success": self.success,
            }
        )


def postgres_type(duckdb_type: str) -> str:
    """The PostgreSQL column type for a DuckDB one; raises :class:`PeerError` for one it cannot hold."""
    if NESTED_TYPE.search(duckdb_type):
        return "jsonb"
    decimal = DECIMAL_TYPE.match(duckdb_type)
    if decimal:
        return f"numeric({decimal[1]}, {decimal[2]})"
    if duckdb_type in SCALAR_TYPES:
        return SCALAR_TYPES[duckdb_type]
    raise PeerError(f"no PostgreSQL type for the DuckDB type {duckdb_type}")


def recreate_database(server: PeerServer, database: str) -> None:
    """Drop and create ``database``: UTF-8, C collation (byte order, as DuckDB sorts), DATABASE_SETTINGS."""
    with server.connect(server.maintenance_database, autocommit=True) as con:
        con.execute(f"drop database if exists {_quote(database)} with (force)")
        con.execute(
            f"create database {_quote(database)} template template0 encoding 'UTF8' "
            "lc_collate 'C' lc_ctype 'C.UTF-8'"
        )
        for setting, value in DATABASE_SETTINGS.items():
            con.execute(f"alter database {_quote(database)} set {setting} to '{value}'")
    with server.connect(database, autocommit=True) as con:
        for extension in EXTENSIONS:
            con.execute(f"create extension if not exists {extension}")


def copy_warehouse(warehouse: Path, server: PeerServer, database: str) -> tuple[int, int]:
    """Copy the source tables from the DuckDB warehouse into ``database``; return (tables, rows)."""
    import duckdb

    tables = rows = 0
    with duckdb.connect(str(warehouse), read_only=True) as source, server.connect(database) as target:
        source.execute("set TimeZone = 'UTC'")
        for schema, table in _source_tables(source):
            copied = _copy_table(source, target, schema, table)
            log.info("copied %s.%s: %d rows", schema, table, copied)
            tables += 1
            rows += copied
        target.commit()
        for schema, table in _source_tables(source):
            target.execute(f"analyze {_quote(schema)}.{_quote(table)}")
        target.commit()
    return tables, rows


def build_peer(
    settings: Settings, server: PeerServer, database: str = DEFAULT_DATABASE, *, progress: bool = False
) -> PeerRun:
    """Recreate ``database``, copy the warehouse's sources into it and run ``dbt build`` there."""
    if not settings.warehouse_path.exists():
        raise PeerError(f"no warehouse at {settings.warehouse_path}: run `crm ingest` first")
    started = time.monotonic()
    recreate_database(server, database)
    tables, rows = copy_warehouse(settings.warehouse_path, server, database)
    copy_seconds = time.monotonic() - started
    with temporary_environment(server.dbt_environment(database)):
        summary = run_dbt(
            ["build"], settings, progress=progress, artefacts_dir=settings.data_dir / "dbt" / "peer"
        )
    return PeerRun(database, tables, rows, copy_seconds, summary)


def peer_build(
    database: Annotated[
        str, typer.Option("--database", help="The PostgreSQL database to (re)create and build into.")
    ] = DEFAULT_DATABASE,
    pg_url: Annotated[
        str | None,
        typer.Option(
            "--pg-url",
            help="The server, as postgresql://user:password@host:port/maintenance-db "
            "(default: CRM_PG_HOST/PORT/USER/PASSWORD, else postgres@127.0.0.1:5432).",
        ),
    ] = None,
) -> None:
    """Copy the warehouse's raw data into a fresh PostgreSQL database and build the dbt project there."""
    settings = Settings.from_env()
    server = PeerServer.from_env(pg_url)
    try:
        run = build_peer(settings, server, database, progress=True)
    except PeerError as error:
        typer.echo(f"peer build failed: {error}", err=True)
        raise typer.Exit(1) from None
    _print_summary(run)
    typer.echo(run.as_json())
    if not run.success:
        raise typer.Exit(1)


peer_app = typer.Typer(help="The same dbt project on PostgreSQL (the peer engine).", no_args_is_help=True)
peer_app.command("build")(peer_build)


def _source_tables(source: duckdb.DuckDBPyConnection) -> list[tuple[str, str]]:
    listed = source.execute(
        "select table_schema, table_name from information_schema.tables "
        "where table_type = 'BASE TABLE' order by 1, 2"
    ).fetchall()
    return [
        (schema, table)
        for schema, table in listed
        if schema in COPIED_SCHEMAS or (schema, table) in COPIED_TABLES
    ]


def _copy_table(
    source: duckdb.DuckDBPyConnection, target: psycopg.Connection[Any], schema: str, table: str
) -> int:
    """Create ``schema.table`` in PostgreSQL with mapped types and stream its rows in with COPY."""
    import pyarrow.csv as arrow_csv

    columns = source.execute(
        "select column_name, data_type from information_schema.columns "
        "where table_schema = ? and table_name = ? order by ordinal_position",
        [schema, table],
    ).fetchall()
    qualified = f"{_quote(schema)}.{_quote(table)}"
    target.execute(f"create schema if not exists {_quote(schema)}")
    definitions = ", ".join(f"{_quote(name)} {postgres_type(kind)}" for name, kind in columns)
    target.execute(f"create table {qualified} ({definitions})")
    # Nested values travel as their JSON text; everything else as Arrow renders it in CSV.
    selected = ", ".join(
        f"cast(to_json({_quote(name)}) as varchar) as {_quote(name)}"
        if postgres_type(kind) == "jsonb" and kind != "JSON"
        else _quote(name)
        for name, kind in columns
    )
    names = ", ".join(_quote(name) for name, _ in columns)
    reader = source.sql(f"select {selected} from {qualified}").to_arrow_reader(BATCH_ROWS)
    options = arrow_csv.WriteOptions(include_header=False, quoting_style="needed")
    rows = 0
    with target.cursor().copy(f"copy {qualified} ({names}) from stdin (format csv)") as copy:
        for batch in reader:
            buffer = io.BytesIO()
            arrow_csv.write_csv(batch, buffer, write_options=options)
            copy.write(buffer.getbuffer())
            rows += batch.num_rows
    return rows


def _print_summary(run: PeerRun) -> None:
    summary = Table(title=f"dbt on PostgreSQL: database {run.database}", show_header=False)
    summary.add_row("tables copied", f"{run.tables_copied:,}")
    summary.add_row("rows copied", f"{run.rows_copied:,}")
    summary.add_row("copy", f"{run.copy_seconds:.1f} s")
    summary.add_row("dbt build", f"{run.build.seconds:.1f} s")
    summary.add_row("models / snapshots / seeds", f"{run.build.count('model')} / "
                    f"{run.build.count('snapshot')} / {run.build.count('seed')}")  # fmt: skip
    summary.add_row("tests", f"{run.build.count('test') + run.build.count('unit_test')}")
    summary.add_row("failed", f"{len(run.build.failures)}")
    summary.add_row("result", "[green]success" if run.success else "[red]failure")
    console = Console(stderr=True)
    console.print(summary)
    for node in run.build.failures:
        console.print(f"[red]{node.status.upper()}[/] {node.unique_id}: {node.message}")


def _quote(identifier: str) -> str:
    return '"' + identifier.replace('"', '""') + '"'
