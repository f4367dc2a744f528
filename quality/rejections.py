"""Rejected deliveries, judged by the policy: which rejected batch is a routine ache, which a pain.

Ingestion rejects a batch whole when a delivery breaks its contract — a file truncated or altered
against its delivery manifest, a bad gzip stream, undecodable bytes, a record count that disagrees with
the manifest, a listed file that is missing, or a required column missing or renamed (any source). The
batch's landing manifest then has status ``failed``, an ``error`` naming file, entity and column or
byte (``ops.failed_batches`` mirrors it after the load) and an ``error_kind`` naming the fault.
Whether that stops anything is a policy decision: ``rejected_batches`` checks (``quality/policy.yml``)
say, per source or entity and per kind of fault, how many rejected batches (or what share of the day's
rows) are tolerated and how much a breach hurts. A vendor's truncated marketing file is re-delivered
and only delays a day of one entity (``warn``); a schema break, or any rejected sales or support batch,
hides data until an engineer acts (``block``).

Read from the landing manifests, not the warehouse, so the ingest DAG's ``check_contract`` task (which
holds no warehouse lock) and the gate (``crm check --stage landing``, which stores the results in
``ops.check_results``) judge the same batches the same way. A rejected batch no enabled check covers
blocks (fail closed): switching a check off must not make a schema break pass unnoticed.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from importlib import import_module

from crm.settings import Settings
from ingestion.landing import Manifest, manifests
from quality.policy import FAULTS, Fault, Policy, RejectedBatchesCheck, Severity
from quality.results import CheckResult, Status, now

STAGE = "landing"
FAILED = "failed"
UNJUDGED_ID = "landing.{source}.rejected_unjudged"

# Manifests name their fault (``error_kind``); these patterns read it off the error text of manifests
# written before that field existed (ingestion/marketing/extract.py, ingestion/enforce.py wording),
# most specific first. tests/quality/test_rejections.py lands real failed batches both ways.
_FAULT_PATTERNS: tuple[tuple[Fault, re.Pattern[str]], ...] = (
    ("schema_break", re.compile(r"is missing required column\(s\)")),
    ("truncated", re.compile(r": truncated or altered: ")),
    ("bad_gzip", re.compile(r": not a valid gzip stream")),
    ("bad_encoding", re.compile(r": not valid \S+ at byte \d+|: declared \S+ but the bytes are UTF-8")),
    ("record_count_mismatch", re.compile(r": \d+ records, the delivery manifest says \d+")),
    ("missing_file", re.compile(r": listed in \S+ but missing")),
)


def fault_of(manifest: Manifest) -> Fault:
    """Why ingestion rejected the batch: its manifest's ``error_kind``, else read off its ``error``."""
    if manifest.error_kind in FAULTS:
        return manifest.error_kind  # type: ignore[return-value]
    return classify(manifest.error)


def classify(error: str | None) -> Fault:
    """The kind of fault a failed batch's ``error`` describes (``other`` when none matches)."""
    for fault, pattern in _FAULT_PATTERNS:
        if error and pattern.search(error):
            return fault
    return "other"


@dataclass(frozen=True)
class Rejection:
    """One batch ingestion rejected whole, and why."""

    manifest: Manifest
    fault: Fault

    def describe(self) -> str:
        return f"{self.manifest.batch_id} ({self.fault}, {self.manifest.rows_in} rows): {self.manifest.error}"


@dataclass(frozen=True)
class Day:
    """Every batch of one source on one logical date: the rejected ones and the rows delivered in all."""

    source: str
    logical_date: date
    batches: tuple[Manifest, ...]

    @property
    def rejections(self) -> list[Rejection]:
        return [Rejection(m, fault_of(m)) for m in self.batches if m.status == FAILED]


def entities(source: str) -> list[str]:
    """The entity names of a source's ingestion contract."""
    module = import_module(f"ingestion.{source}.entities")
    return [entity.name for entity in module.ENTITIES]


def day_of(settings: Settings, source: str, logical_date: date | None) -> Day:
    """The batches of ``source`` on ``logical_date`` (None: the newest date any of its entities landed)."""
    batches = [m for entity in entities(source) for m in manifests(settings, source, entity)]
    if logical_date is None:
        logical_date = max((m.date for m in batches), default=None)
    chosen = tuple(m for m in batches if m.date == logical_date) if logical_date else ()
    return Day(source=source, logical_date=logical_date or date.min, batches=chosen)


def evaluate(
    settings: Settings,
    policy: Policy,
    run_id: str,
    *,
    logical_date: date | None = None,
    sources: Iterable[str] | None = None,
) -> list[CheckResult]:
    """Judge the rejected batches of ``sources`` (default: every source the policy names) on a date.

    One result per enabled ``rejected_batches`` check, plus one blocking result per source with a
    rejected batch no enabled check covers.
    """
    checks = [c for c in policy.gated(STAGE) if isinstance(c, RejectedBatchesCheck)]
    wanted = sorted(set(sources) if sources is not None else {check.source for check in checks})
    results: list[CheckResult] = []
    for source in wanted:
        day = day_of(settings, source, logical_date)
        mine = [check for check in checks if check.source == source]
        results += [_judge(check, day, run_id) for check in mine]
        unjudged = [
            r for r in day.rejections if not any(c.covers(source, r.manifest.entity, r.fault) for c in mine)
        ]
        if unjudged:
            results.append(_unjudged(policy, source, day, unjudged, run_id))
    return results


def _judge(check: RejectedBatchesCheck, day: Day, run_id: str) -> CheckResult:
    in_scope = [m for m in day.batches if check.entity in (None, m.entity)]
    rejected = [r for r in day.rejections if check.covers(day.source, r.manifest.entity, r.fault)]
    rows_rejected = sum(r.manifest.rows_in for r in rejected)
    rows_delivered = sum(m.rows_in for m in in_scope)
    fraction = rows_rejected / rows_delivered if rows_delivered else 0.0
    limit = check.threshold
    breached = (limit.max_batches is not None and len(rejected) > limit.max_batches) or (
        limit.max_row_fraction is not None and fraction > limit.max_row_fraction
    )
    limits = []
    if limit.max_batches is not None:
        limits.append(f"≤ {limit.max_batches} rejected batches")
    if limit.max_row_fraction is not None:
        limits.append(f"rejected row fraction ≤ {limit.max_row_fraction:g}")
    faults = ", ".join(check.faults) if check.faults else "any fault"
    return CheckResult(
        run_id=run_id,
        stage=STAGE,
        check_id=check.id,
        target=check.target,
        check_kind=check.kind,
        batch_id=rejected[0].manifest.batch_id if len(rejected) == 1 else None,
        logical_date=day.logical_date if day.batches else None,
        severity=check.severity.value,
        check_status=Status.FAILED if breached else Status.PASSED,
        observed_value=float(len(rejected)),
        observed=(
            f"{len(rejected)} rejected batch(es), {rows_rejected} of {rows_delivered} rows ({fraction:.4f})"
        ),
        threshold=f"{' and '.join(limits)} ({faults})",
        message="; ".join(r.describe() for r in rejected),
        owner=check.owner,
        checked_at=now(),
    )


def _unjudged(policy: Policy, source: str, day: Day, unjudged: list[Rejection], run_id: str) -> CheckResult:
    faults = sorted({r.fault for r in unjudged})
    return CheckResult(
        run_id=run_id,
        stage=STAGE,
        check_id=UNJUDGED_ID.format(source=source),
        target=f"landing:{source}",
        check_kind="rejected_batches",
        batch_id=unjudged[0].manifest.batch_id if len(unjudged) == 1 else None,
        logical_date=day.logical_date,
        severity=Severity.BLOCK.value,
        check_status=Status.FAILED,
        observed_value=float(len(unjudged)),
        observed=f"{len(unjudged)} rejected batch(es) with fault(s) {', '.join(faults)}",
        threshold=f"a rejected_batches check in {policy.path.name} covering them",
        message="no enabled check judges these, so they block; " + "; ".join(r.describe() for r in unjudged),
        owner="data-engineering",
        checked_at=now(),
    )
