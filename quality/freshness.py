"""Source freshness, judged by the policy: did the loads keep up?

``dbt source freshness`` measures, per raw table with a freshness config, the age of its newest
``_loaded_at``. The verdict is the policy's, not the YAML's: each ``dbt_source_freshness`` entry
(``source:sales`` or ``source:sales.order``; a table's own entry wins over its source's, per severity)
compares that measured age with its ``max_age_hours``, so editing the policy alone moves the outcome.
Stage ``sources`` of the gate; a warehouse with nothing loaded yet has nothing to judge (skipped).
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from crm.settings import Settings
from quality.policy import DbtSourceFreshnessCheck, Policy
from quality.results import CheckResult, Status

log = logging.getLogger(__name__)

STAGE = "sources"


@dataclass(frozen=True)
class TableAge:
    """What dbt measured for one source table: its age in seconds, or why it could not."""

    source: str
    table: str
    age_seconds: float | None
    error: str | None


def judge_source_freshness(settings: Settings, policy: Policy, run_id: str) -> list[CheckResult]:
    """One result per (policy entry, raw table it governs), from a real ``dbt source freshness``."""
    entries = [c for c in policy.for_layer("source") if isinstance(c, DbtSourceFreshnessCheck)]
    if not entries:
        return []
    if not _raw_loaded(settings.warehouse_path):
        return [_skipped(run_id, entry, "nothing loaded into the warehouse yet") for entry in entries]
    ages = measure_ages(settings)
    results: list[CheckResult] = []
    for age in ages:
        for entry in _governing(entries, age):
            results.append(_judge(run_id, entry, age))
    governing_any = {r.check_id for r in results}
    results += [
        _skipped(run_id, entry, "dbt measured no table of this target")
        for entry in entries
        if entry.id not in governing_any
    ]
    return results


def measure_ages(settings: Settings) -> list[TableAge]:
    """Run ``dbt source freshness`` and read each table's measured age from its ``sources.json``."""
    from crm.transform import run_dbt

    output = settings.data_dir / "dbt" / "target" / "sources.json"
    output.unlink(missing_ok=True)
    run_dbt(["source", "freshness", "--output", str(output)], settings)
    if not output.exists():
        logs = settings.data_dir / "dbt" / "logs"
        raise RuntimeError(f"dbt source freshness wrote no {output}: see {logs}")
    ages = []
    for result in json.loads(output.read_text(encoding="utf-8"))["results"]:
        _, _, source, table = result["unique_id"].split(".", 3)
        age = result.get("max_loaded_at_time_ago_in_s")
        error = result.get("error") if result.get("status") == "runtime error" else None
        ages.append(TableAge(source, table, None if error else float(age), error))
    return ages


def _governing(entries: list[DbtSourceFreshnessCheck], age: TableAge) -> list[DbtSourceFreshnessCheck]:
    """Per severity, the table's own entry if it has one, else its source's."""
    chosen: dict[str, DbtSourceFreshnessCheck] = {}
    for subject in (age.source, f"{age.source}.{age.table}"):  # the table's own entry comes last: it wins
        for entry in entries:
            if entry.subject == subject:
                chosen[entry.severity.value] = entry
    return list(chosen.values())


def _judge(run_id: str, entry: DbtSourceFreshnessCheck, age: TableAge) -> CheckResult:
    limit = entry.threshold.max_age_hours
    if age.age_seconds is None:
        status, hours, observed = Status.ERROR, None, f"not measured: {age.error}"
    else:
        hours = age.age_seconds / 3600
        status = Status.FAILED if hours > limit else Status.PASSED
        observed = f"last loaded {hours:.1f} h ago"
    return _result(
        run_id, entry, f"source:{age.source}.{age.table}", status, hours, observed, f"≤ {limit:g} h"
    )


def _skipped(run_id: str, entry: DbtSourceFreshnessCheck, why: str) -> CheckResult:
    threshold = f"≤ {entry.threshold.max_age_hours:g} h"
    return _result(run_id, entry, entry.target, Status.SKIPPED, None, why, threshold)


def _result(
    run_id: str,
    entry: DbtSourceFreshnessCheck,
    target: str,
    status: Status,
    hours: float | None,
    observed: str,
    threshold: str,
) -> CheckResult:
    return CheckResult(
        run_id=run_id,
        stage=STAGE,
        check_id=entry.id,
        target=target,
        check_kind=entry.kind,
        batch_id=None,
        logical_date=None,
        severity=entry.severity.value,
        check_status=status,
        observed_value=hours,
        observed=observed,
        threshold=threshold,
        message=entry.why,
        owner=entry.owner,
        checked_at=datetime.now(UTC),
    )


def _raw_loaded(warehouse: Path) -> bool:
    if not warehouse.exists():
        return False
    with duckdb.connect(str(warehouse), read_only=True) as con:
        found = con.execute(
            "select count(*) from information_schema.tables where table_schema = 'raw'"
        ).fetchall()
    return bool(found[0][0])
