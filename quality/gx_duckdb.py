"""Great Expectations on DuckDB through ``duckdb-engine``: the one-connection fix, isolated here.

Why this module exists: GX 1.x has no DuckDB dialect, and through ``duckdb-engine`` every SQL metric
fails with ``list index out of range``. GX runs each metric query inside ``with engine.connect()``
and fetches the rows *after* the block; returning the connection to the pool rolls back the DB-API
connection, and ``duckdb-engine``'s cursor is the DuckDB connection itself, which does not buffer
results — so the rollback discards the pending result and GX reads ``[]``. GX already keeps one
persistent connection for SQLite, SQL Server, BigQuery and Databricks (``get_connection`` in
``sqlalchemy_execution_engine.py``); this module does the same for DuckDB.

How it stays scoped: no GX module is modified. ``DuckDBDatasource`` is a new fluent datasource type
(``type: duckdb``, registered by GX's own metaclass as ``context.data_sources.add_duckdb``) whose
execution engine, ``DuckDBExecutionEngine``, overrides only ``get_connection`` and ``close`` (and
names PostgreSQL's dialect module, which GX needs to write a regex for DuckDB). Every other
datasource type and dialect — ``add_sql`` on a DuckDB URL included — runs GX's code unchanged.
The engine uses one DB-API connection (``StaticPool``), so an in-memory database, the views created
in it and GX's schema inspection all see the same DuckDB connection.

Written for and tested against ``great_expectations`` ``GX_VERSION``: importing this module with any
other version raises ``GXVersionError``. Before moving the pin, run ``tests/quality/test_gx_duckdb.py``;
``test_without_the_fix_every_metric_fails`` says whether the upstream bug is still there.

Quiet exit: a process that imported GX and ``duckdb-engine`` printed ``nanobind: leaked N instances of
type _duckdb._sqltypes.DuckDBPyType`` walls at exit. Two references keep DuckDB's nanobind objects
alive past the point where nanobind checks for leaks: ``duckdb-engine`` evaluates annotations naming
``duckdb.DuckDBPyConnection`` (``apply_config``, ``ConnectionWrapper``, ``CursorWrapper``), which GX's
import keeps reachable through module teardown; and SQLAlchemy's PostgreSQL reflection queries are
``lru_cache``'d methods, so their caches hold every DuckDB dialect GX reflected a table with (and the
DuckDB objects it holds) forever. ``release_duckdb_at_exit`` drops exactly those references at exit.
"""

from __future__ import annotations

import atexit
import builtins
import functools
import gc
import inspect
import sys
from collections.abc import Generator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

from quality.gx_runtime import import_gx

GX_VERSION = "1.24.1"
"""The only GX version this module was verified with (requirements.lock pins it)."""


class GXVersionError(RuntimeError):
    """The installed GX is not the version the DuckDB fix was written and tested for."""


def check_gx_version(installed: str) -> None:
    """Refuse any GX but ``GX_VERSION``: the fix overrides GX internals that may change in any release."""
    if installed != GX_VERSION:
        raise GXVersionError(
            f"quality/gx_duckdb.py was written for great_expectations {GX_VERSION}, found {installed}: "
            "re-run tests/quality/test_gx_duckdb.py against the new version (does the upstream "
            "'list index out of range' bug remain? do get_connection/close still look the same?), "
            "then update GX_VERSION"
        )


_gx = import_gx()
check_gx_version(_gx.__version__)

# Imported only after the version check: these are the GX internals the fix relies on.
from great_expectations.datasource.fluent.sql_datasource import SQLDatasource  # noqa: E402
from great_expectations.execution_engine import SqlAlchemyExecutionEngine  # noqa: E402

if TYPE_CHECKING:
    from great_expectations.data_context import AbstractDataContext
    from great_expectations.datasource.fluent.sql_datasource import TableAsset

DIALECT = "duckdb"
MEMORY = ":memory:"


class DuckDBExecutionEngine(SqlAlchemyExecutionEngine):
    """GX's SQL execution engine with one persistent connection, as GX does for SQLite."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.dialect_name != DIALECT:
            raise ValueError(
                f"DuckDBExecutionEngine needs a duckdb engine, got dialect {self.dialect_name!r}"
            )
        # GX picks regex operators and type names by dialect module and knows none for "duckdb".
        # duckdb-engine's dialect derives from PostgreSQL's, and DuckDB's `~` is PostgreSQL's
        # (unanchored) regex match, so PostgreSQL's module states DuckDB's SQL correctly.
        self.dialect_module = postgresql

    @contextmanager
    def get_connection(self) -> Generator[sa.Connection, None, None]:
        """The one connection, kept open so results survive until GX fetches them."""
        if self._connection is None or self._connection.closed:
            self._connection = self.engine.connect()
        yield self._connection

    def close(self) -> None:
        """Close the persistent connection and the engine's pool (GX's ``close`` skips the former)."""
        if self._connection is not None:
            self._connection.close()
            self._connection = None
        self.engine.dispose()


class DuckDBDatasource(SQLDatasource):
    """A fluent SQL datasource for a DuckDB database (``duckdb:///:memory:``, or ``duckdb:///<path>``).

    Add it with ``add_duckdb(context, name)`` below (in memory, data reached through views; see there
    why); GX also registers ``context.data_sources.add_duckdb(name=..., connection_string=...)``.
    """

    type: Literal["duckdb"] = "duckdb"  # type: ignore[assignment]
    connection_string: str

    @property
    def execution_engine_type(self) -> builtins.type[SqlAlchemyExecutionEngine]:  # `type` is a field here
        return DuckDBExecutionEngine

    def _create_engine(self) -> sa.Engine:
        if not self.connection_string.startswith(f"{DIALECT}:///"):
            raise ValueError(f"{self.name}: not a duckdb:/// connection string: {self.connection_string!r}")
        # One DB-API connection for everything (GX's metrics, its inspector, our views).
        return sa.create_engine(self.connection_string, poolclass=sa.StaticPool, **self.kwargs)

    def get_execution_engine(self) -> SqlAlchemyExecutionEngine:
        """The execution engine, built on this datasource's own engine (GX would create a second one)."""
        if self._execution_engine is None:
            self._execution_engine = DuckDBExecutionEngine(
                name=self.name, engine=self.get_engine(), create_temp_table=self.create_temp_table
            )
        return self._execution_engine

    def execute(self, sql: str) -> None:
        """Run one statement (e.g. ``create view``) on the connection GX's metrics use."""
        engine = self.get_execution_engine()
        with engine.get_connection() as connection:
            connection.exec_driver_sql(sql)
            connection.commit()

    def close(self) -> None:
        """Release the DuckDB database (a read-only reader blocks every writer of the file)."""
        if self._execution_engine is not None:
            self._execution_engine.close()
            self._execution_engine = None
        if self._engine is not None:
            self._engine.dispose()
            self._engine = None


def add_duckdb(context: AbstractDataContext, name: str) -> DuckDBDatasource:
    """Add an in-memory DuckDB datasource (session time zone UTC) to ``context``.

    Data is reached through views in its ``main`` schema (``add_parquet_view``, ``add_table_view``),
    never through other schemas: duckdb-engine's column reflection fails on SQLAlchemy 2.1 (it
    queries ``pg_catalog.pg_collation``), and GX's fallback, ``select * from <table> limit 1``,
    drops the schema name.
    """
    datasource = context.data_sources.add_duckdb(name=name, connection_string=f"{DIALECT}:///{MEMORY}")  # type: ignore[attr-defined]
    assert isinstance(datasource, DuckDBDatasource)
    # Timestamps come back in the session time zone; UTC keeps observed values host-independent.
    datasource.execute("set TimeZone = 'UTC'")
    return datasource


def sql_string(value: str) -> str:
    """``value`` as a SQL string literal."""
    return "'" + value.replace("'", "''") + "'"


def sql_name(value: str) -> str:
    """``value`` as a quoted SQL identifier."""
    return '"' + value.replace('"', '""') + '"'


def add_parquet_view(datasource: DuckDBDatasource, view: str, path: Path) -> TableAsset:
    """A table asset over a Parquet file, through a view on ``read_parquet``: nothing is copied."""
    datasource.execute(
        f"create or replace view {sql_name(view)} as select * from read_parquet({sql_string(str(path))})"
    )
    return datasource.add_table_asset(view, table_name=view)


def attach_read_only(datasource: DuckDBDatasource, alias: str, database: Path) -> None:
    """Attach a DuckDB file read-only, once (the gate never opens a database read-write)."""
    datasource.execute(f"attach if not exists {sql_string(str(database))} as {sql_name(alias)} (read_only)")


def add_table_view(datasource: DuckDBDatasource, view: str, relation: str) -> TableAsset:
    """A table asset over ``relation`` (e.g. ``serve.marts.dim_customer``, already quoted) via a view."""
    datasource.execute(f"create or replace view {sql_name(view)} as select * from {relation}")
    return datasource.add_table_asset(view, table_name=view)


def release_duckdb_at_exit() -> None:
    """Drop the references that outlive DuckDB's nanobind module at exit (module docstring: why).

    Runs from ``atexit`` (before module teardown), when nothing reads annotations or reflects tables
    any more. Clears (1) the ``lru_cache``s of SQLAlchemy's PostgreSQL dialect methods, which are keyed
    by dialect instances (duckdb-engine's dialect derives from it), and (2) the annotations of
    duckdb-engine's functions and classes that hold objects of DuckDB's extension module; then
    collects the cycles that referenced them.
    """
    duckdb_engine = sys.modules.get("duckdb_engine")
    if duckdb_engine is None:  # never loaded (no DuckDB datasource in this process): nothing to drop
        return
    for klass in (postgresql.base.PGDialect, duckdb_engine.Dialect):
        for member in vars(klass).values():
            if isinstance(member, functools._lru_cache_wrapper):
                member.cache_clear()
    for member in list(vars(duckdb_engine).values()):
        if not (inspect.isclass(member) or inspect.isfunction(member)):
            continue
        if member.__module__.split(".", 1)[0] != duckdb_engine.__name__:  # its own (and .config's)
            continue
        owners = [member]
        if inspect.isclass(member):
            owners += [value for value in vars(member).values() if inspect.isfunction(value)]
        for owner in owners:
            annotations = inspect.get_annotations(owner)  # a class's own, never its bases'
            if annotations and any(_from_duckdb(value) for value in annotations.values()):
                owner.__annotations__ = {
                    name: value for name, value in annotations.items() if not _from_duckdb(value)
                }
    gc.collect()


def _from_duckdb(value: object) -> bool:
    """Whether ``value`` is (or is an instance of) a type of DuckDB's extension module ``_duckdb``."""
    klass = value if isinstance(value, type) else type(value)
    return klass.__module__.split(".", 1)[0] == "_duckdb"


atexit.register(release_duckdb_at_exit)
