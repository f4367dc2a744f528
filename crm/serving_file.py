"""The serving file's contents: the warehouse's ``marts`` schema, with direct identifiers masked.

A first publish copies every table (``build_serving_file(..., previous=None)``). After that the cost
should grow with the new data, not with the history, so the new file starts as a byte copy of the
served one and each table is brought up to date in one of two ways:

- **carried over + new rows** — a mart dbt builds incrementally (delete+insert by a unique key, rows
  stamped with ``loaded_at``: ``fct_email_events``, ``fct_order_items``) takes only the warehouse rows
  loaded after the newest ``loaded_at`` the served table holds: their older versions are deleted by key
  and the new rows inserted, masked. At SF 1 that is ~30 thousand rows instead of 12.8 million.
- **copied** — every other table is dropped and copied whole, as in a first publish.

A carried-over table must then have the warehouse table's fingerprint (row count and the sum of the
row hashes over every column that is not masked) or it is copied whole after all, with a log line
saying why. So whatever happened in between — a ``--full-refresh``, a deleted key, a changed model,
a served file from another warehouse — the served table is the warehouse's table. Masked columns are
outside the fingerprint (hashing them again is the cost being saved); a row's masked value follows from
its version, which ``loaded_at`` and the other columns pin.

The file is copied, not reused, when it was written under another *serving format* (storage version,
masking rules or scan patterns: ``FORMAT_ID``, stored in ``meta.serving_format``), or when more than
half of it is free blocks (DuckDB never shrinks a file; a full copy compacts it).
"""

from __future__ import annotations

import hashlib
import logging
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from crm.pii import ANY_PATTERN, MASKED_COLUMNS, masked_select_list
from crm.settings import duckdb_memory_limit

if TYPE_CHECKING:
    from collections.abc import Mapping

    import duckdb

log = logging.getLogger(__name__)

SCHEMA = "marts"
STORAGE_VERSION = "v1.5.0"
LOADED_AT = "loaded_at"
# the rules a served row was written and scanned under; a file written under others is not reused
FORMAT_ID = hashlib.sha256(
    "\n".join(
        [
            STORAGE_VERSION,
            ANY_PATTERN,
            *(f"{name}={masking.sql(name)}" for name, masking in sorted(MASKED_COLUMNS.items())),
        ]
    ).encode()
).hexdigest()[:16]
MAX_FREE_BLOCK_SHARE = 0.5


@dataclass
class ServingBuild:
    """What one build wrote: rows per table, and for each carried-over table the predicate selecting the
    rows it added (the only ones the personal-data scan needs to read again)."""

    row_counts: dict[str, int] = field(default_factory=dict)
    new_rows: dict[str, str] = field(default_factory=dict)

    @property
    def carried_over(self) -> list[str]:
        return sorted(name.split(".", 1)[1] for name in self.new_rows)


def build_serving_file(
    warehouse: Path,
    target: Path,
    run_id: str,
    *,
    previous: Path | None = None,
    incremental_keys: Mapping[str, str] | None = None,
) -> ServingBuild:
    """Write ``target``: every table and view of ``warehouse``'s ``marts`` schema, plus ``meta.publication``.

    Views are materialised (the serving file has no other schema for them to read); the columns
    ``crm.pii.MASKED_COLUMNS`` declares are hashed on the way, and say so in their column comment.
    With ``previous`` (the served file) and ``incremental_keys`` (mart → unique key of the marts dbt
    builds incrementally), unchanged history is carried over instead of copied (module docstring).
    """
    if not warehouse.exists():
        raise FileNotFoundError(f"no warehouse at {warehouse}: run `crm ingest` and `crm transform` first")
    if target.exists():
        raise FileExistsError(f"{target} already exists; a publish builds a new file only")
    reuse = previous is not None and _reusable(previous)
    if reuse:
        assert previous is not None
        shutil.copyfile(previous, target)
    build = ServingBuild()
    with in_memory_duckdb() as con:
        con.execute(f"attach {path_literal(warehouse)} as warehouse (read_only)")
        options = "" if reuse else f" (storage_version '{STORAGE_VERSION}')"
        con.execute(f"attach {path_literal(target)} as serving{options}")
        names = _tables(con, "warehouse", SCHEMA)
        if not names:
            raise LookupError(f"{warehouse} has no {SCHEMA} tables: run `crm transform` first")
        con.execute("begin transaction")
        con.execute(f"create schema if not exists serving.{SCHEMA}")
        con.execute("create schema if not exists serving.meta")
        for stale in sorted(set(_tables(con, "serving", SCHEMA)) - set(names)):
            con.execute(f'drop table serving.{SCHEMA}."{stale}"')
        for name in names:
            key = (incremental_keys or {}).get(name) if reuse else None
            predicate = _add_new_rows(con, name, key) if key else None
            if predicate is None:
                _copy_table(con, name)
            else:
                build.new_rows[f"{SCHEMA}.{name}"] = predicate
            ((rows,),) = con.execute(f'select count(*) from serving.{SCHEMA}."{name}"').fetchall()
            build.row_counts[name] = int(rows)
        _write_meta(con, run_id, build.row_counts)
        con.execute("commit")
        con.execute("checkpoint serving")
        con.execute("detach serving")
    if build.carried_over:
        log.info("carried over %s with their new rows; copied the other %d tables",
                 ", ".join(build.carried_over), len(names) - len(build.carried_over))  # fmt: skip
    return build


def _reusable(previous: Path) -> bool:
    """Whether ``previous`` can start the new file: same serving format, mostly live blocks, no WAL."""
    if not previous.exists() or previous.with_name(previous.name + ".wal").exists():
        return False
    with in_memory_duckdb() as con:
        con.execute(f"attach {path_literal(previous)} as previous (read_only)")
        if "serving_format" not in _tables(con, "previous", "meta"):
            return False
        ((format_id,),) = con.execute("select format_id from previous.meta.serving_format").fetchall()
        ((free, used),) = con.execute(
            "select free_blocks, used_blocks from pragma_database_size() where database_name = 'previous'"
        ).fetchall()
    if format_id != FORMAT_ID:
        log.info("the served file was written under another serving format: copying every table")
        return False
    if free > MAX_FREE_BLOCK_SHARE * (free + used):
        log.info("the served file is %d%% free blocks: copying every table to compact it",
                 100 * free // (free + used))  # fmt: skip
        return False
    return True


def _copy_table(con: duckdb.DuckDBPyConnection, name: str) -> None:
    columns = _columns(con, "warehouse", name)
    select_list, masked = masked_select_list(columns)
    con.execute(f'drop table if exists serving.{SCHEMA}."{name}"')
    con.execute(
        f'create table serving.{SCHEMA}."{name}" as select {select_list} from warehouse.{SCHEMA}."{name}"'
    )
    for column in masked:
        description = MASKED_COLUMNS[column.lower()].description.replace("'", "''")
        con.execute(f'comment on column serving.{SCHEMA}."{name}"."{column}" is \'{description}\'')


def _add_new_rows(con: duckdb.DuckDBPyConnection, name: str, key: str) -> str | None:
    """Bring the carried-over table ``name`` up to date by its new rows; return the predicate selecting
    them, or None when the table must be copied whole instead (the caller then replaces it)."""
    columns = _columns(con, "warehouse", name)
    types = dict(columns)
    if _columns(con, "serving", name) != columns or LOADED_AT not in types or key not in types:
        return None
    ((watermark,),) = con.execute(
        f'select cast(max({LOADED_AT}) as varchar) from serving.{SCHEMA}."{name}"'
    ).fetchall()
    if watermark is None:
        return None
    predicate = f"{LOADED_AT} > cast('{watermark}' as {types[LOADED_AT]})"
    select_list, _ = masked_select_list(columns)
    con.execute(
        f'delete from serving.{SCHEMA}."{name}" where "{key}" in '
        f'(select "{key}" from warehouse.{SCHEMA}."{name}" where {predicate})'
    )
    con.execute(
        f'insert into serving.{SCHEMA}."{name}" select {select_list} from warehouse.{SCHEMA}."{name}" '
        f"where {predicate}"
    )
    unmasked = [column for column, _ in columns if column.lower() not in MASKED_COLUMNS]
    served, warehouse = (_fingerprint(con, catalog, name, unmasked) for catalog in ("serving", "warehouse"))
    if served != warehouse:
        log.info("%s: the served rows plus the new ones do not reproduce the warehouse table "
                 "(rows %d vs %d): copying it whole", name, served[0], warehouse[0])  # fmt: skip
        return None
    return predicate


def _fingerprint(
    con: duckdb.DuckDBPyConnection, catalog: str, name: str, columns: list[str]
) -> tuple[int, int]:
    """Row count and the sum of the rows' hashes over ``columns``: equal multisets of rows, equal result."""
    quoted = ", ".join(f'"{column}"' for column in columns)
    ((rows, hashes),) = con.execute(
        f'select count(*), coalesce(sum(hash({quoted})), 0) from {catalog}.{SCHEMA}."{name}"'
    ).fetchall()
    return int(rows), int(hashes)


def _write_meta(con: duckdb.DuckDBPyConnection, run_id: str, row_counts: dict[str, int]) -> None:
    """``meta.publication`` (one row per table: its rows and this run) and ``meta.serving_format``."""
    for table in ("publication", "check_results", "serving_format"):  # a carried-over file has the last ones
        con.execute(f"drop table if exists serving.meta.{table}")
    con.execute(
        "create table serving.meta.publication ("
        "table_name varchar primary key, row_count bigint not null, run_id varchar not null, "
        "published_at timestamptz not null)"
    )
    con.executemany(
        "insert into serving.meta.publication values (?, ?, ?, now())",
        [(name, rows, run_id) for name, rows in row_counts.items()],
    )
    con.execute("create table serving.meta.serving_format (format_id varchar not null)")
    con.execute("insert into serving.meta.serving_format values (?)", [FORMAT_ID])


def _tables(con: duckdb.DuckDBPyConnection, catalog: str, schema: str) -> list[str]:
    rows = con.execute(
        "select table_name from information_schema.tables where table_catalog = ? and table_schema = ? "
        "order by table_name",
        [catalog, schema],
    ).fetchall()
    return [row[0] for row in rows]


def _columns(con: duckdb.DuckDBPyConnection, catalog: str, name: str) -> list[tuple[str, str]]:
    rows = con.execute(
        "select column_name, data_type from information_schema.columns where table_catalog = ? "
        "and table_schema = ? and table_name = ? order by ordinal_position",
        [catalog, SCHEMA, name],
    ).fetchall()
    return [(str(column), str(data_type)) for column, data_type in rows]


def in_memory_duckdb() -> duckdb.DuckDBPyConnection:
    """An in-memory DuckDB within the pipeline's memory budget, for attaching the files it copies."""
    import duckdb

    con = duckdb.connect(config={"memory_limit": duckdb_memory_limit()})
    con.execute("set enable_progress_bar = false")  # a log, not a terminal
    return con


def path_literal(path: Path) -> str:
    """A SQL string literal for a path (ATTACH takes no bind parameters)."""
    return "'" + str(path).replace("'", "''") + "'"
