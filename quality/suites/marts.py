"""The published marts, read-only: are the numbers BI users and managers will see sane?

Runs on the serving DuckDB file (schema ``marts``), opened read-only (attached read-only on the ``sql``
engine), never the warehouse. Checks the
invariants a reader would notice first: no negative revenue in any segment, NPS within −100..100,
every customer in exactly one segment. dbt tests already cover keys and relationships inside the
warehouse; these checks guard the artifact itself, so a publish step can run them on the new serving
file before swapping it in (``serve_path`` argument of ``quality.gate.run_checks``).

What a failure means: the published numbers are wrong in a way a manager would act on — a strategic
pain: the run fails, the last good serving database stays in place. Who acts: the analytics engineer
who owns the failing mart's model (dbt), with the data engineer on call.
"""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path
from typing import TYPE_CHECKING

import duckdb
import pandas as pd

from quality.expectations import Facts, Plan, Verdict, interpret, plan
from quality.gx_runtime import Engine, validate_duckdb_table, validate_frame
from quality.policy import Check
from quality.results import CheckResult, Status, now

if TYPE_CHECKING:
    from great_expectations.core import ExpectationValidationResult
    from great_expectations.data_context import AbstractDataContext

STAGE = "marts"
SCHEMA = "marts"
NOTES = __doc__ or ""


def validate_marts(
    context: AbstractDataContext,
    serve_path: Path,
    checks: list[Check],
    run_id: str,
    engine: Engine = "sql",
) -> list[CheckResult]:
    """Run every mart check against ``serve_path`` on ``engine``; one result per check, in policy order."""
    verdicts: dict[str, tuple[str, Verdict]] = {}
    if not serve_path.exists():
        message = f"no serving database at {serve_path} yet"
        for check in checks:
            verdicts[check.id] = (plan(check, Facts()).threshold, Verdict(Status.SKIPPED, None, "—", message))
        return [_result(check, run_id, *verdicts[check.id]) for check in checks]
    by_table: dict[str, list[Plan]] = defaultdict(list)
    for check in checks:
        item = plan(check, Facts())
        if item.error:
            verdicts[check.id] = (item.threshold, Verdict(Status.ERROR, None, "—", item.error))
        else:
            by_table[check.subject].append(item)
    with duckdb.connect(str(serve_path), read_only=True) as con:
        shapes = {table: _shape(con, table) for table in by_table}
        frames = (
            {
                table: _read(con, table, [c for item in plans for c in item.columns])
                for table, plans in by_table.items()
                if shapes[table] is not None
            }
            if engine == "pandas"
            else {}
        )
    for table, plans in by_table.items():
        shape = shapes[table]
        columns, rows = shape if shape is not None else (set(), 0)
        runnable = []
        for item in plans:
            absent = [c for c in item.columns if c not in columns]
            if shape is None or absent:
                what = f"table {SCHEMA}.{table}" if shape is None else f"column(s) {', '.join(absent)}"
                message = f"{what} not in {serve_path}"
                verdicts[item.check.id] = (item.threshold, Verdict(Status.ERROR, None, "—", message))
            else:
                runnable.append(item)
        if not runnable:
            continue
        name = f"{STAGE}.{table}"
        expectations = [expectation for item in runnable for expectation in item.expectations]
        if engine == "sql":
            outcome = validate_duckdb_table(
                context, name, serve_path, f"{SCHEMA}.{table}", expectations, run_id, NOTES
            )
        else:
            outcome = validate_frame(context, name, frames[table], expectations, run_id, NOTES)
        by_check: dict[str, list[ExpectationValidationResult]] = defaultdict(list)
        for result in outcome.results:
            by_check[_check_id(result)].append(result)
        for item in runnable:
            verdicts[item.check.id] = (item.threshold, interpret(item, by_check[item.check.id], rows))
    return [_result(check, run_id, *verdicts[check.id]) for check in checks]


def _shape(con: duckdb.DuckDBPyConnection, table: str) -> tuple[set[str], int] | None:
    """The table's column names and row count; None when the serving file has no such mart."""
    columns = _columns(con, table)
    if columns is None:
        return None
    ((rows,),) = con.execute(f'select count(*) from {SCHEMA}."{table}"').fetchall()
    return columns, int(rows)


def _columns(con: duckdb.DuckDBPyConnection, table: str) -> set[str] | None:
    rows = con.execute(
        "select column_name from information_schema.columns where table_schema = ? and table_name = ?",
        [SCHEMA, table],
    ).fetchall()
    return {row[0] for row in rows} or None


def _read(con: duckdb.DuckDBPyConnection, table: str, columns: list[str]) -> pd.DataFrame:
    selected = ", ".join(f'"{column}"' for column in dict.fromkeys(columns))
    return con.sql(f'select {selected} from {SCHEMA}."{table}"').arrow().read_all().to_pandas()


def _result(check: Check, run_id: str, threshold: str, verdict: Verdict) -> CheckResult:
    return CheckResult(
        run_id=run_id,
        stage=STAGE,
        check_id=check.id,
        target=check.target,
        check_kind=check.kind,
        batch_id=None,
        logical_date=None,
        severity=check.severity.value,
        check_status=verdict.status,
        observed_value=verdict.observed_value,
        observed=verdict.observed,
        threshold=threshold,
        message=verdict.message,
        owner=check.owner,
        checked_at=now(),
    )


def _check_id(result: ExpectationValidationResult) -> str:
    """The policy check an expectation result belongs to (every expectation is tagged when planned)."""
    assert result.expectation_config is not None
    return str(result.expectation_config.meta["check_id"])
