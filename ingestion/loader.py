"""The single writer: load every landed-but-unloaded batch into DuckDB ``raw``, in sequence order.

Per batch, one DuckDB transaction holds: the rows appended to ``raw.<source>__<entity>`` (with
``_batch_id``, ``_loaded_at`` and the source's lineage column), any new drift columns (``ALTER TABLE
ADD COLUMN``, nullable), the quarantined rows (``ops.quarantine``), the batch's accounting
(``ops.load_manifest``, which refuses a batch whose rows do not balance) and the entity's watermark or
cursor (``ops.watermarks``). A crash anywhere leaves the batch wholly loaded or wholly not, and a
batch id already in ``ops.load_manifest`` is never loaded again.

Only this module opens the warehouse read-write; extraction never touches it.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

import duckdb

from crm.settings import Settings, duckdb_memory_limit
from ingestion import landing
from ingestion.checkpoints import checkpoint
from ingestion.contracts import Entity, WriteMode, duckdb_type

log = logging.getLogger(__name__)

OPS_DDL = """
create schema if not exists raw;
create schema if not exists ops;
create table if not exists ops.load_manifest (
    batch_id varchar primary key,
    source varchar not null,
    entity varchar not null,
    seq bigint not null,
    logical_date date not null,
    rows_in bigint not null,
    rows_loaded bigint not null,
    rows_quarantined bigint not null,
    checksum varchar not null,
    position json,
    notes json,
    added_columns varchar[],
    missing_columns varchar[],
    contract_version integer,
    extracted_at timestamptz,
    loaded_at timestamptz not null,
    extract_seconds double,
    load_seconds double,
    check (rows_in = rows_loaded + rows_quarantined)
);
create table if not exists ops.quarantine (
    batch_id varchar not null,
    source varchar not null,
    entity varchar not null,
    "row" varchar,
    reason varchar not null,
    quarantined_at timestamptz not null
);
create table if not exists ops.watermarks (
    source varchar not null,
    entity varchar not null,
    batch_id varchar not null,
    seq bigint not null,
    logical_date date not null,
    position json,
    committed_at timestamptz not null,
    primary key (source, entity)
);
create table if not exists ops.withdrawn_keys (
    source varchar not null,
    entity varchar not null,
    "key" varchar not null,
    batch_id varchar not null,
    withdrawn_at timestamptz not null
);
create table if not exists ops.failed_batches (
    batch_id varchar primary key,
    source varchar not null,
    entity varchar not null,
    logical_date date not null,
    rows_in bigint,
    error varchar not null,
    position json,
    extracted_at timestamptz,
    recorded_at timestamptz not null
);
"""
LINEAGE = ("_batch_id", "_loaded_at")


class LandingCorrupt(RuntimeError):
    """A landed file does not match its manifest, or the warehouse knows a batch id with other content."""


@dataclass(frozen=True)
class LoadResult:
    """What loading one batch did."""

    manifest: landing.Manifest
    loaded: bool  # False for a failed batch (recorded, nothing loaded)
    seconds: float


def connect(settings: Settings) -> duckdb.DuckDBPyConnection:
    """Open the warehouse read-write (the only place that does) and make sure raw/ops exist."""
    path = settings.warehouse_path
    path.parent.mkdir(parents=True, exist_ok=True)
    # the same memory budget dbt's profiles.yml gives DuckDB (CRM_DUCKDB_MEMORY_LIMIT)
    con = duckdb.connect(str(path), config={"memory_limit": duckdb_memory_limit()})
    con.execute("set TimeZone = 'UTC'")
    con.execute(OPS_DDL)
    return con


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def raw_table(entity: Entity) -> str:
    return f"raw.{_quote(entity.raw_table)}"


def _sql_string(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def ensure_table(con: duckdb.DuckDBPyConnection, entity: Entity, data_file: Path) -> list[str]:
    """Create the raw table from the contract, then add any column the batch carries that it lacks."""
    columns = [f"{_quote(c.name)} {duckdb_type(c.dtype)}" for c in entity.columns]
    columns += [
        f"{_quote(entity.lineage_column)} VARCHAR",
        '"_batch_id" VARCHAR NOT NULL',
        '"_loaded_at" TIMESTAMPTZ NOT NULL',
    ]
    con.execute(f"create table if not exists {raw_table(entity)} ({', '.join(columns)})")
    existing = {
        row[0]
        for row in con.execute(
            "select column_name from information_schema.columns "
            "where table_schema = 'raw' and table_name = ?",
            [entity.raw_table],
        ).fetchall()
    }
    landed = con.execute(
        f"describe select * from read_parquet({_sql_string(str(data_file))}, hive_partitioning = false)"
    ).fetchall()
    added = []
    for name, sql_type, *_ in landed:
        if name not in existing:
            con.execute(f"alter table {raw_table(entity)} add column {_quote(name)} {sql_type}")
            added.append(name)
    return added


def loaded_batch_ids(con: duckdb.DuckDBPyConnection, source: str, entity: str) -> dict[str, str | None]:
    """Batch ids the warehouse already holds for an entity (loaded or recorded as failed) → checksum."""
    rows = con.execute(
        "select batch_id, checksum from ops.load_manifest where source = ? and entity = ? "
        "union all select batch_id, null from ops.failed_batches where source = ? and entity = ?",
        [source, entity, source, entity],
    ).fetchall()
    return dict(rows)


def _record_withdrawn_keys(
    con: duckdb.DuckDBPyConnection, entity: Entity, batch_id: str, files: list[str], data_file: Path
) -> int:
    """Record in ``ops.withdrawn_keys`` the keys the earlier version of a re-delivered file loaded and
    the new version does not carry; return how many.

    Deleting the file's old rows removes them from raw, but incremental models only look at keys that
    arrive: this is how they learn that a key went away (dbt macro ``withdrawn_keys``). A composite key
    is recorded as its parts joined by ``|``.
    """

    def key_of(alias: str) -> str:
        parts = [f"cast({alias}.{_quote(column)} as varchar)" for column in entity.primary_key]
        return parts[0] if len(parts) == 1 else f"concat_ws('|', {', '.join(parts)})"

    matches = " and ".join(f"delivered.{_quote(c)} = earlier.{_quote(c)}" for c in entity.primary_key)
    inserted = con.execute(
        f"insert into ops.withdrawn_keys select distinct ?, ?, {key_of('earlier')}, ?, now() "
        f"from {raw_table(entity)} as earlier "
        f"where earlier.{_quote(entity.lineage_column)} in (select unnest(?)) and not exists ("
        f"select 1 from read_parquet({_sql_string(str(data_file))}, hive_partitioning = false) as delivered "
        f"where {matches})",
        [entity.source, entity.name, batch_id, files],
    ).fetchone()
    return int(inserted[0]) if inserted else 0


def load_entity(
    con: duckdb.DuckDBPyConnection,
    settings: Settings,
    entity: Entity,
    on_batch: Callable[[LoadResult], None] | None = None,
) -> list[LoadResult]:
    """Load the entity's pending batches in sequence order, one transaction each."""
    done = loaded_batch_ids(con, entity.source, entity.name)
    results = []
    for manifest in landing.manifests(settings, entity.source, entity.name):
        if manifest.batch_id in done:
            if done[manifest.batch_id] not in (None, manifest.checksum):
                raise LandingCorrupt(
                    f"{manifest.batch_id}: the warehouse loaded it with checksum {done[manifest.batch_id]}, "
                    f"landing now holds {manifest.checksum}; landing was rebuilt or altered"
                )
            continue
        result = load_batch(con, settings, entity, manifest)
        results.append(result)
        if on_batch:
            on_batch(result)
    return results


def load_batch(
    con: duckdb.DuckDBPyConnection, settings: Settings, entity: Entity, manifest: landing.Manifest
) -> LoadResult:
    """Apply one landed batch atomically (see the module docstring)."""
    started = time.perf_counter()
    if manifest.status == "failed":
        con.execute(
            "insert into ops.failed_batches values (?, ?, ?, ?, ?, ?, ?, ?, now())",
            [
                manifest.batch_id,
                manifest.source,
                manifest.entity,
                manifest.date,
                manifest.rows_in,
                manifest.error,
                json.dumps(manifest.position),
                manifest.extracted_at,
            ],
        )
        # extraction already warned with the reason; here it is only booked in ops.failed_batches
        log.info("batch %s was rejected at extraction: recorded in ops.failed_batches", manifest.batch_id)
        return LoadResult(manifest, loaded=False, seconds=time.perf_counter() - started)

    data_file = landing.data_path(settings, manifest)
    if not data_file.exists() or landing.file_sha256(data_file) != manifest.checksum:
        raise LandingCorrupt(f"{data_file}: missing or its sha256 differs from manifest {manifest.batch_id}")
    assert manifest.rows_in == manifest.rows_loaded + manifest.rows_quarantined, manifest.batch_id
    table = raw_table(entity)
    con.execute("begin transaction")
    try:
        added = ensure_table(con, entity, data_file)
        if added:
            log.warning(
                "%s: schema drift, new column(s) %s added to %s", manifest.batch_id, ", ".join(added), table
            )
        if entity.write_mode is WriteMode.REPLACE_FILE:
            # A re-delivered file replaces every row its earlier version loaded (even if none now load).
            files = [file["source_file"] for file in manifest.position["files"]]
            withdrawn = _record_withdrawn_keys(con, entity, manifest.batch_id, files, data_file)
            if withdrawn:
                log.info("%s: the re-delivered file no longer carries %d key(s) of its earlier version "
                         "(ops.withdrawn_keys)", manifest.batch_id, withdrawn)  # fmt: skip
            con.execute(
                f"delete from {table} where {_quote(entity.lineage_column)} in (select unnest(?))", [files]
            )
        inserted = con.execute(
            f"insert into {table} by name select *, ? as _batch_id, now() as _loaded_at "
            f"from read_parquet({_sql_string(str(data_file))}, hive_partitioning = false)",
            [manifest.batch_id],
        ).fetchone()
        if inserted is None or inserted[0] != manifest.rows_loaded:
            raise LandingCorrupt(
                f"{data_file}: inserted {inserted} rows, manifest says {manifest.rows_loaded}"
            )
        quarantine_file = landing.quarantine_path(settings, manifest)
        if manifest.rows_quarantined:
            con.execute(
                'insert into ops.quarantine select ?, ?, ?, "row", _reason, now() '
                f"from read_parquet({_sql_string(str(quarantine_file))}, hive_partitioning = false)",
                [manifest.batch_id, manifest.source, manifest.entity],
            )
        seconds = time.perf_counter() - started
        con.execute(
            "insert into ops.load_manifest values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, now(), ?, ?)",
            [
                manifest.batch_id,
                manifest.source,
                manifest.entity,
                manifest.seq,
                manifest.date,
                manifest.rows_in,
                manifest.rows_loaded,
                manifest.rows_quarantined,
                manifest.checksum,
                json.dumps(manifest.position),
                json.dumps(manifest.notes),
                manifest.added_columns,
                manifest.missing_columns,
                manifest.contract_version,
                manifest.extracted_at,
                sum(v for k, v in manifest.timings.items()),
                seconds,
            ],
        )
        con.execute(
            "insert or replace into ops.watermarks values (?, ?, ?, ?, ?, ?, now())",
            [
                manifest.source,
                manifest.entity,
                manifest.batch_id,
                manifest.seq,
                manifest.date,
                json.dumps(manifest.position),
            ],
        )
        checkpoint("loaded")
        con.execute("commit")
    except BaseException:
        con.execute("rollback")
        raise
    checkpoint("committed")
    return LoadResult(manifest, loaded=True, seconds=time.perf_counter() - started)


def load(
    settings: Settings,
    entities: Iterable[Entity],
    on_batch: Callable[[LoadResult], None] | None = None,
) -> list[LoadResult]:
    """Load every pending batch of ``entities``; one connection, closed before returning."""
    con = connect(settings)
    try:
        return [result for entity in entities for result in load_entity(con, settings, entity, on_batch)]
    finally:
        con.close()
