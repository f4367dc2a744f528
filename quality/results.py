"""Check results and their store: ``ops.check_results`` in the warehouse DuckDB file.

One row per check evaluation (a check on one landed batch, or on one mart table) with the run id, the
check, its target and threshold, what was observed, the severity and the status. The dbt side reads it
into the ``data_quality_scorecard`` mart, so BI users see how good "good enough" was. The gate runs
inside the single-writer chain (architecture.md), so writing the warehouse file here is safe; the
serving file is never opened read-write.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields
from datetime import UTC, date, datetime
from enum import StrEnum
from pathlib import Path

import duckdb

TABLE = "ops.check_results"

_DDL = f"""
create schema if not exists ops;
create table if not exists {TABLE} (
    run_id varchar not null,
    stage varchar not null,
    check_id varchar not null,
    target varchar not null,
    check_kind varchar not null,
    batch_id varchar,
    logical_date date,
    severity varchar not null,
    check_status varchar not null,
    observed_value double,
    observed varchar,
    threshold varchar not null,
    message varchar,
    owner varchar,
    checked_at timestamptz not null
)
"""


class Status(StrEnum):
    PASSED = "passed"
    FAILED = "failed"
    """The observed value breaks the threshold."""
    ERROR = "error"
    """The check could not be evaluated (missing column or table); treated like a failure."""
    SKIPPED = "skipped"
    """Nothing to judge yet (empty batch, no baseline for volume, no serving database)."""


@dataclass(frozen=True)
class CheckResult:
    """The outcome of one check on one batch or table."""

    run_id: str
    stage: str
    check_id: str
    target: str
    check_kind: str
    batch_id: str | None
    logical_date: date | None
    severity: str
    check_status: Status
    observed_value: float | None
    observed: str
    threshold: str
    message: str
    owner: str
    checked_at: datetime

    @property
    def is_breach(self) -> bool:
        return self.check_status in (Status.FAILED, Status.ERROR)

    @property
    def blocks(self) -> bool:
        """A strategic pain: publishing must stop."""
        return self.is_breach and self.severity == "block"

    @property
    def warns(self) -> bool:
        """A routine ache: published, reported."""
        return self.is_breach and self.severity == "warn"

    def describe(self) -> str:
        """One line naming the check, what was observed and the threshold — for errors and alerts."""
        where = f" [{self.batch_id}]" if self.batch_id else ""
        return (
            f"{self.check_id} on {self.target}{where}: {self.check_status.value}, "
            f"observed {self.observed}, threshold {self.threshold}"
            + (f" — {self.message}" if self.message else "")
        )


def now() -> datetime:
    return datetime.now(UTC)


def write_results(warehouse_path: Path, run_id: str, stage: str, results: list[CheckResult]) -> None:
    """Replace the run's rows for ``stage`` with ``results`` (re-running a stage is idempotent)."""
    warehouse_path.parent.mkdir(parents=True, exist_ok=True)
    columns = [f.name for f in fields(CheckResult)]
    rows = [tuple(_cell(asdict(result)[name]) for name in columns) for result in results]
    with duckdb.connect(str(warehouse_path)) as con:
        con.execute(_DDL)
        con.execute("begin transaction")
        con.execute(f"delete from {TABLE} where run_id = ? and stage = ?", [run_id, stage])
        if rows:
            placeholders = ", ".join("?" for _ in columns)
            con.executemany(f"insert into {TABLE} ({', '.join(columns)}) values ({placeholders})", rows)
        con.execute("commit")


def read_results(warehouse_path: Path, run_id: str) -> list[CheckResult]:
    """Every stored result of ``run_id`` (empty when the run has none or the table does not exist)."""
    if not warehouse_path.exists():
        return []
    columns = [f.name for f in fields(CheckResult)]
    with duckdb.connect(str(warehouse_path), read_only=True) as con:
        exists = con.execute(
            "select count(*) from information_schema.tables where table_schema = 'ops' and table_name = ?",
            [TABLE.split(".", 1)[1]],
        ).fetchone()
        if not exists or not exists[0]:
            return []
        rows = con.execute(
            f"select {', '.join(columns)} from {TABLE} where run_id = ? order by stage, check_id, batch_id",
            [run_id],
        ).fetchall()
    results = []
    for row in rows:
        record = dict(zip(columns, row, strict=True))
        record["check_status"] = Status(record["check_status"])
        results.append(CheckResult(**record))
    return results


def _cell(value: object) -> object:
    return value.value if isinstance(value, StrEnum) else value
