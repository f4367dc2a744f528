"""The shared runner behind the per-source landing suites: one GX suite per landed batch.

A source module (``sales``, ``support``, ``marketing``) only states what its failures mean and who
acts on them; this runner turns the policy's checks on a batch's entity into expectations, validates
the batch's Parquet through GX (a DuckDB view on the ``sql`` engine; the columns the checks need, as
a pandas frame, on the ``pandas`` engine) and reads back one ``CheckResult`` per check.
``quarantine_fraction`` needs no rows: it is read from the batch manifest.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from quality.expectations import Facts, Plan, Verdict, interpret, plan
from quality.gx_runtime import Engine, validate_frame, validate_parquet
from quality.landing import LandedBatch
from quality.policy import Check, QuarantineCheck, VolumeCheck
from quality.results import CheckResult, Status, now

if TYPE_CHECKING:
    from great_expectations.core import ExpectationValidationResult
    from great_expectations.data_context import AbstractDataContext

STAGE = "landing"


@dataclass(frozen=True)
class LandingSuite:
    """The landing suite of one source; ``notes`` (its module docstring) is shown in Data Docs."""

    source: str
    notes: str

    def validate(
        self,
        context: AbstractDataContext,
        batch: LandedBatch,
        checks: list[Check],
        run_id: str,
        engine: Engine = "sql",
    ) -> list[CheckResult]:
        """Run every check of ``batch``'s entity on ``engine``; one result per check, in policy order."""
        if batch.source != self.source:
            raise ValueError(f"{batch.batch_id} belongs to source {batch.source!r}, not {self.source!r}")
        verdicts: dict[str, tuple[str, Verdict]] = {}
        plans: list[Plan] = []
        for check in checks:
            if isinstance(check, QuarantineCheck):
                verdicts[check.id] = _quarantine(check, batch)
                continue
            item = plan(check, _facts(check, batch))
            if item.error or item.skip:
                status = Status.ERROR if item.error else Status.SKIPPED
                verdicts[check.id] = (
                    item.threshold,
                    Verdict(status, None, "—", item.error or item.skip or ""),
                )
            else:
                plans.append(item)
        present = set(batch.columns())
        rows = batch.rows()
        runnable = []
        for item in plans:
            absent = [column for column in item.columns if column not in present]
            if absent:
                message = f"column(s) {', '.join(absent)} missing from the batch"
                verdicts[item.check.id] = (item.threshold, Verdict(Status.ERROR, None, "—", message))
            elif rows == 0 and item.columns and not _judges_empty(item.check):
                verdicts[item.check.id] = (
                    item.threshold,
                    Verdict(Status.SKIPPED, None, "0 rows", "empty batch"),
                )
            else:
                runnable.append(item)
        if runnable:
            name = f"{batch.target.replace(':', '.')}.{batch.batch_id}"
            expectations = [expectation for item in runnable for expectation in item.expectations]
            if engine == "sql":
                outcome = validate_parquet(context, name, batch.path, expectations, run_id, self.notes)
            else:
                frame = batch.read(column for item in runnable for column in item.columns)
                outcome = validate_frame(context, name, frame, expectations, run_id, self.notes)
            by_check: dict[str, list[ExpectationValidationResult]] = {}
            for result in outcome.results:
                by_check.setdefault(_check_id(result), []).append(result)
            for item in runnable:
                verdicts[item.check.id] = (
                    item.threshold,
                    interpret(item, by_check[item.check.id], rows),
                )
        return [_result(check, batch, run_id, *verdicts[check.id]) for check in checks]


def _facts(check: Check, batch: LandedBatch) -> Facts:
    baseline, history = (None, 0)
    if isinstance(check, VolumeCheck):
        baseline, history = batch.volume_baseline(check.threshold.lookback, check.threshold.min_history)
    return Facts(
        source=batch.source,
        entity=batch.entity,
        reference_time=batch.reference_time,
        volume_baseline=baseline,
        volume_history=history,
    )


def _judges_empty(check: Check) -> bool:
    """Freshness has something to say about an empty batch (nothing new); value checks do not."""
    return check.kind == "freshness"


def _quarantine(check: QuarantineCheck, batch: LandedBatch) -> tuple[str, Verdict]:
    manifest = batch.manifest
    limit = check.threshold.max_fraction
    threshold = f"quarantined fraction ≤ {limit:g}"
    if manifest.rows_in == 0:
        return threshold, Verdict(Status.SKIPPED, None, "0 rows in", "empty batch")
    fraction = manifest.rows_quarantined / manifest.rows_in
    status = Status.PASSED if fraction <= limit else Status.FAILED
    observed = f"{fraction:.4f} ({manifest.rows_quarantined} of {manifest.rows_in} rows)"
    return threshold, Verdict(status, fraction, observed)


def _result(check: Check, batch: LandedBatch, run_id: str, threshold: str, verdict: Verdict) -> CheckResult:
    return CheckResult(
        run_id=run_id,
        stage=STAGE,
        check_id=check.id,
        target=check.target,
        check_kind=check.kind,
        batch_id=batch.batch_id,
        logical_date=batch.logical_date,
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
