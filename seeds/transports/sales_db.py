"""The sales CRM as a real SQL database (SQLite file or PostgreSQL), kept at the clock date.

Twelve tables with the columns of sources.md, a primary key on each record key and an index on the
incremental cursor column. Moving the clock forward applies only the delta (the versions written in
``(previous as-of, new as-of]``, upserted); moving it back, or finding a database this simulator did
not build from this world, rebuilds every table from scratch. The database remembers its own as-of
date and the world it was built from in ``_simulator_state``, so the delta never depends on the clock
file agreeing with it.

Speed matters (SF 1 is about 5M rows): SQLite is built into a temporary file with the journal in WAL
mode and ``synchronous=OFF``, rows streamed to ``executemany`` in key order (sequential B-tree
appends), secondary indexes created after the load, and the file swapped in with one rename so a
reader never sees half a database. PostgreSQL is loaded with ``COPY`` inside one transaction.
"""

from __future__ import annotations

import hashlib
import logging
import os
import sqlite3
from collections.abc import Callable, Iterator
from contextlib import closing
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import polars as pl

from crm.settings import Settings
from seeds.transports import clock
from seeds.transports.contract import SALES, Entity

log = logging.getLogger(__name__)

STATE_TABLE = "_simulator_state"
FORMAT_VERSION = "1"
SQLITE_TIMESTAMP = "%Y-%m-%d %H:%M:%S%.6f"  # fixed width: text order is time order; UTC by contract
CHUNK_ROWS = 200_000

Progress = Callable[[str, int], None]


@dataclass(frozen=True)
class Target:
    """Where the sales database lives: a SQLite file or a PostgreSQL URL."""

    kind: str  # "sqlite" | "postgresql"
    location: str  # file path or connection URL

    @classmethod
    def parse(cls, url: str) -> Target:
        """Accept ``sqlite:///path`` and ``postgresql://…`` (also ``postgres://``, ``+psycopg``)."""
        if url.startswith("sqlite:///"):
            return cls("sqlite", url.removeprefix("sqlite:///"))
        for prefix in ("postgresql+psycopg://", "postgresql://", "postgres://"):
            if url.startswith(prefix):
                return cls("postgresql", "postgresql://" + url.removeprefix(prefix))
        raise ValueError(f"unsupported sales database URL {url!r}: use sqlite:///<path> or postgresql://…")


def cursor_column(entity: Entity) -> str | None:
    """The column incremental extraction filters on, indexed in the database."""
    if "system_modstamp" in entity.columns:
        return "system_modstamp"
    if entity.name == "opportunity_history":
        return "created_date"
    return None


def world_fingerprint(settings: Settings) -> str:
    """Identify the world a database was built from (regenerating it forces a rebuild)."""
    digest = hashlib.sha256()
    meta = settings.world_dir / "world.json"
    digest.update(meta.read_bytes() if meta.exists() else b"")
    for entity in SALES:
        stat = clock.world_file(settings, entity).stat()
        digest.update(f"{entity.name}:{stat.st_size}:{stat.st_mtime_ns};".encode())
    return digest.hexdigest()[:32]


def sync(
    settings: Settings, as_of: date, url: str | None = None, progress: Progress | None = None
) -> dict[str, int]:
    """Bring the sales database to ``as_of``; return rows written per ``sales.<table>``."""
    target = Target.parse(url or settings.sales_db_url)
    backend: _Backend = (
        _Sqlite(Path(target.location)) if target.kind == "sqlite" else _Postgres(target.location)
    )
    fingerprint = world_fingerprint(settings)
    previous = backend.state(fingerprint)
    full = previous is None or previous > as_of
    after = None if full else previous
    log.info(
        "sales %s: %s to %s (%s)",
        target.kind,
        "rebuilding" if full else "advancing",
        as_of,
        "from scratch" if full else f"delta after {previous}",
    )
    frames = {
        entity.name: _frame(settings, entity, after, as_of) for entity in SALES if full or previous != as_of
    }
    if full:
        backend.rebuild(frames, as_of, fingerprint, progress)
    elif frames:
        backend.upsert(frames, as_of, progress)
    return {f"sales.{name}": frame.height for name, frame in frames.items()} or {
        f"sales.{e.name}": 0 for e in SALES
    }


def _frame(settings: Settings, entity: Entity, after: date | None, as_of: date) -> pl.DataFrame:
    """The versions to write for ``entity``: world columns minus the simulator's, in key order."""
    versions = clock.scan(settings, entity)
    columns = [c for c in versions.collect_schema().names() if not c.startswith("_")]
    return clock.changed(versions, entity.key, after, as_of).select(columns).sort(list(entity.key)).collect()


def _quote(name: str) -> str:
    """Quote an identifier: ``order`` and ``user`` are reserved words in SQL."""
    return '"' + name.replace('"', '""') + '"'


class _Backend:
    def state(self, fingerprint: str) -> date | None:  # pragma: no cover - interface
        raise NotImplementedError

    def rebuild(
        self, frames: dict[str, pl.DataFrame], as_of: date, fingerprint: str, progress: Progress | None
    ) -> None:  # pragma: no cover - interface
        raise NotImplementedError

    def upsert(
        self, frames: dict[str, pl.DataFrame], as_of: date, progress: Progress | None
    ) -> None:  # pragma: no cover - interface
        raise NotImplementedError


def _create_statements(name: str, schema: pl.Schema, type_of: Callable[[pl.DataType], str]) -> str:
    entity = next(e for e in SALES if e.name == name)
    columns = ", ".join(
        f"{_quote(c)} {type_of(t)}" + (" NOT NULL" if c in entity.key else "") for c, t in schema.items()
    )
    key = ", ".join(_quote(c) for c in entity.key)
    return f"CREATE TABLE {_quote(name)} ({columns}, PRIMARY KEY ({key}))"


def _index_statement(entity: Entity) -> str | None:
    column = cursor_column(entity)
    if column is None:
        return None
    return f"CREATE INDEX {_quote(f'{entity.name}_{column}_idx')} ON {_quote(entity.name)} ({_quote(column)})"


def _upsert_sql(entity: Entity, columns: list[str], source: str) -> str:
    """``INSERT … ON CONFLICT (key) DO UPDATE`` — the same text works in SQLite and PostgreSQL."""
    names = ", ".join(_quote(c) for c in columns)
    updates = ", ".join(f"{_quote(c)} = excluded.{_quote(c)}" for c in columns if c not in entity.key)
    key = ", ".join(_quote(c) for c in entity.key)
    action = f"DO UPDATE SET {updates}" if updates else "DO NOTHING"
    return f"INSERT INTO {_quote(entity.name)} ({names}) {source} ON CONFLICT ({key}) {action}"


# --- SQLite ---------------------------------------------------------------------------------------


def _sqlite_type(dtype: pl.DataType) -> str:
    if dtype == pl.String:
        return "TEXT"
    if dtype.is_integer():
        return "INTEGER"
    if dtype.is_float() or dtype.is_decimal():
        return "REAL"
    if dtype == pl.Boolean:
        return "BOOLEAN"
    if dtype == pl.Date:
        return "DATE"
    if isinstance(dtype, pl.Datetime):
        return "TIMESTAMP"
    raise TypeError(f"no SQLite type for {dtype}")


def _sqlite_rows(frame: pl.DataFrame) -> Iterator[tuple[Any, ...]]:
    """Rows as SQLite-native values: timestamps and dates as ISO text, booleans as 0/1."""
    converted = frame.with_columns(
        *(
            pl.col(c).dt.strftime(SQLITE_TIMESTAMP)
            for c, t in frame.schema.items()
            if isinstance(t, pl.Datetime)
        ),
        *(pl.col(c).dt.strftime("%Y-%m-%d") for c, t in frame.schema.items() if t == pl.Date),
        *(pl.col(c).cast(pl.Int8) for c, t in frame.schema.items() if t == pl.Boolean),
    )
    for start in range(0, converted.height, CHUNK_ROWS):
        yield from converted.slice(start, CHUNK_ROWS).iter_rows()


class _Sqlite(_Backend):
    def __init__(self, path: Path) -> None:
        self.path = path

    def state(self, fingerprint: str) -> date | None:
        if not self.path.exists():
            return None
        try:
            with closing(sqlite3.connect(self.path)) as con:
                rows = dict(con.execute(f"SELECT key, value FROM {STATE_TABLE}").fetchall())
        except sqlite3.DatabaseError as error:  # not ours, or not a database at all
            log.warning("%s is not a simulator-built sales database (%s): rebuilding it", self.path, error)
            return None
        if rows.get("world") != fingerprint or rows.get("format") != FORMAT_VERSION:
            log.info("%s was built from another world: rebuilding it", self.path)
            return None
        return date.fromisoformat(rows["as_of"])

    def rebuild(
        self, frames: dict[str, pl.DataFrame], as_of: date, fingerprint: str, progress: Progress | None
    ) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        building = self.path.with_name(self.path.name + ".building")
        for leftover in (building, Path(f"{building}-wal"), Path(f"{building}-shm")):
            leftover.unlink(missing_ok=True)
        con = sqlite3.connect(building, isolation_level=None)
        try:
            # A private file renamed into place when complete: no journal is needed to stay safe.
            con.execute("PRAGMA journal_mode=OFF")
            con.execute("PRAGMA synchronous=OFF")
            con.execute("PRAGMA cache_size=-262144")  # 256 MiB of page cache
            con.execute("BEGIN")
            for entity in SALES:
                frame = frames[entity.name]
                con.execute(_create_statements(entity.name, frame.schema, _sqlite_type))
                marks = ", ".join("?" * frame.width)
                con.executemany(f"INSERT INTO {_quote(entity.name)} VALUES ({marks})", _sqlite_rows(frame))
                index = _index_statement(entity)
                if index:
                    con.execute(index)
                if progress:
                    progress(entity.name, frame.height)
            con.execute(f"CREATE TABLE {STATE_TABLE} (key TEXT PRIMARY KEY, value TEXT NOT NULL)")
            con.executemany(
                f"INSERT INTO {STATE_TABLE} VALUES (?, ?)",
                [("as_of", as_of.isoformat()), ("world", fingerprint), ("format", FORMAT_VERSION)],
            )
            con.execute("COMMIT")
        finally:
            con.close()
        self._release()
        os.replace(building, self.path)

    def _release(self) -> None:
        """Fold the old file's WAL back in before it is replaced.

        A ``-wal`` file left beside a renamed-over database would be replayed into the new one.
        Switching the old file out of WAL mode needs it to be closed by everyone, so a reader still
        holding it gets a clear error instead of a corrupted database.
        """
        orphans = (Path(f"{self.path}-wal"), Path(f"{self.path}-shm"))
        if self.path.exists():
            try:
                with closing(sqlite3.connect(self.path, timeout=5)) as con:
                    con.execute("PRAGMA journal_mode=DELETE")
                return
            except sqlite3.OperationalError as error:  # locked: someone is reading it
                raise RuntimeError(
                    f"{self.path} is in use ({error}): close the programs reading it and advance again"
                ) from error
            except sqlite3.DatabaseError:  # not a database: nothing to fold in
                pass
        for orphan in orphans:
            orphan.unlink(missing_ok=True)

    def upsert(self, frames: dict[str, pl.DataFrame], as_of: date, progress: Progress | None) -> None:
        con = sqlite3.connect(self.path, isolation_level=None)
        try:
            con.execute("PRAGMA journal_mode=WAL")
            con.execute("BEGIN IMMEDIATE")
            for entity in SALES:
                frame = frames[entity.name]
                if frame.height:
                    marks = ", ".join("?" * frame.width)
                    con.executemany(
                        _upsert_sql(entity, frame.columns, f"VALUES ({marks})"), _sqlite_rows(frame)
                    )
                if progress:
                    progress(entity.name, frame.height)
            con.execute(f"UPDATE {STATE_TABLE} SET value = ? WHERE key = 'as_of'", (as_of.isoformat(),))
            con.execute("COMMIT")
        except BaseException:
            if con.in_transaction:
                con.execute("ROLLBACK")
            raise
        finally:
            con.close()


# --- PostgreSQL -----------------------------------------------------------------------------------


def _postgres_type(dtype: pl.DataType) -> str:
    if dtype == pl.String:
        return "text"
    if dtype.is_integer():
        return "bigint"
    if dtype.is_float() or dtype.is_decimal():
        return "numeric"  # the world rounds money to cents and rates to 6 places: keep them exact
    if dtype == pl.Boolean:
        return "boolean"
    if dtype == pl.Date:
        return "date"
    if isinstance(dtype, pl.Datetime):
        return "timestamptz"
    raise TypeError(f"no PostgreSQL type for {dtype}")


def _copy_csv(frame: pl.DataFrame) -> Iterator[bytes]:
    """The frame as CSV chunks for ``COPY … (FORMAT csv)``: unquoted empty is NULL, ``""`` is ''."""
    for start in range(0, frame.height, CHUNK_ROWS):
        yield (
            frame.slice(start, CHUNK_ROWS)
            .write_csv(
                include_header=False, datetime_format="%Y-%m-%d %H:%M:%S%.6f+00:00", date_format="%Y-%m-%d"
            )
            .encode()
        )


class _Postgres(_Backend):
    def __init__(self, url: str) -> None:
        self.url = url

    def _connect(self) -> Any:
        import psycopg

        return psycopg.connect(self.url)

    def state(self, fingerprint: str) -> date | None:
        with self._connect() as con:
            if con.execute("SELECT to_regclass(%s)", (STATE_TABLE,)).fetchone() == (None,):
                return None
            rows = dict(con.execute(f"SELECT key, value FROM {STATE_TABLE}").fetchall())
        if rows.get("world") != fingerprint or rows.get("format") != FORMAT_VERSION:
            log.info("the PostgreSQL sales database was built from another world: rebuilding it")
            return None
        return date.fromisoformat(rows["as_of"])

    def _copy(self, con: Any, table: str, frame: pl.DataFrame) -> None:
        names = ", ".join(_quote(c) for c in frame.columns)
        with con.cursor().copy(f"COPY {_quote(table)} ({names}) FROM STDIN (FORMAT csv)") as copy:
            for chunk in _copy_csv(frame):
                copy.write(chunk)

    def rebuild(
        self, frames: dict[str, pl.DataFrame], as_of: date, fingerprint: str, progress: Progress | None
    ) -> None:
        # One transaction (PostgreSQL DDL is transactional): readers see the old database or the new.
        with self._connect() as con:
            con.execute("SET TIME ZONE 'UTC'")
            for entity in (*SALES, None):
                con.execute(f"DROP TABLE IF EXISTS {_quote(entity.name) if entity else STATE_TABLE}")
            for entity in SALES:
                frame = frames[entity.name]
                con.execute(_create_statements(entity.name, frame.schema, _postgres_type))
                self._copy(con, entity.name, frame)
                index = _index_statement(entity)
                if index:
                    con.execute(index)
                if progress:
                    progress(entity.name, frame.height)
            con.execute(f"CREATE TABLE {STATE_TABLE} (key text PRIMARY KEY, value text NOT NULL)")
            with con.cursor() as cur:
                cur.executemany(
                    f"INSERT INTO {STATE_TABLE} VALUES (%s, %s)",
                    [("as_of", as_of.isoformat()), ("world", fingerprint), ("format", FORMAT_VERSION)],
                )
            for entity in SALES:
                con.execute(f"ANALYZE {_quote(entity.name)}")

    def upsert(self, frames: dict[str, pl.DataFrame], as_of: date, progress: Progress | None) -> None:
        with self._connect() as con:
            con.execute("SET TIME ZONE 'UTC'")
            for entity in SALES:
                frame = frames[entity.name]
                if frame.height:
                    stage = f"_stage_{entity.name}"
                    con.execute(
                        f"CREATE TEMP TABLE {_quote(stage)} (LIKE {_quote(entity.name)}) ON COMMIT DROP"
                    )
                    self._copy(con, stage, frame)
                    names = ", ".join(_quote(c) for c in frame.columns)
                    con.execute(_upsert_sql(entity, frame.columns, f"SELECT {names} FROM {_quote(stage)}"))
                if progress:
                    progress(entity.name, frame.height)
            con.execute(f"UPDATE {STATE_TABLE} SET value = %s WHERE key = 'as_of'", (as_of.isoformat(),))


def as_of_date(url: str) -> date | None:
    """The as-of date a sales database was last brought to, without checking which world."""
    target = Target.parse(url)
    try:
        if target.kind == "sqlite":
            if not Path(target.location).exists():
                return None
            with closing(sqlite3.connect(f"file:{target.location}?mode=ro", uri=True)) as con:
                row = con.execute(f"SELECT value FROM {STATE_TABLE} WHERE key = 'as_of'").fetchone()
        else:
            import psycopg

            with psycopg.connect(target.location) as con:
                if con.execute("SELECT to_regclass(%s)", (STATE_TABLE,)).fetchone() == (None,):
                    return None
                row = con.execute(f"SELECT value FROM {STATE_TABLE} WHERE key = 'as_of'").fetchone()
    except (sqlite3.DatabaseError, OSError):
        return None
    return date.fromisoformat(row[0]) if row else None


def row_counts(url: str) -> dict[str, int]:
    """Rows per table in a built sales database (for ``crm sources status``)."""
    target = Target.parse(url)
    counts: dict[str, int] = {}
    if target.kind == "sqlite":
        with closing(sqlite3.connect(f"file:{target.location}?mode=ro", uri=True)) as con:
            for entity in SALES:
                (counts[entity.name],) = con.execute(f"SELECT count(*) FROM {_quote(entity.name)}").fetchone()
    else:
        import psycopg

        with psycopg.connect(target.location) as con:
            for entity in SALES:
                row = con.execute(f"SELECT count(*) FROM {_quote(entity.name)}").fetchone()
                counts[entity.name] = row[0] if row else 0
    return counts
