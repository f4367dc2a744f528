"""Policy checks → Great Expectations expectations, and GX results → observed values.

This is the one translation between the policy's vocabulary (``not_null`` with ``max_null_fraction``,
``volume`` with a ratio band, …) and GX's (``mostly``, ``min_value``, …), used by every suite module.
GX judges pass/fail; this module only states the threshold in GX terms and reads back the observed
value in the policy's terms (a null fraction, a valid fraction, a row count, an age in hours).
"""

from __future__ import annotations

import importlib
import math
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import pandas as pd

from quality.gx_runtime import import_gx
from quality.policy import (
    AcceptedValuesCheck,
    Check,
    ExactlyOneCheck,
    FreshnessCheck,
    NotNullCheck,
    UniqueCheck,
    ValidEmailCheck,
    ValueRangeCheck,
    VolumeCheck,
)
from quality.results import Status

# Deliberately loose: one @, no spaces, a dot in the domain. Stricter rules are staging's job.
EMAIL_REGEX = r"^[^@\s]+@[^@\s]+\.[^@\s]+$"


@dataclass(frozen=True)
class Facts:
    """What a check needs to know beyond the frame: the target's contract and the batch's context."""

    source: str | None = None
    entity: str | None = None
    reference_time: datetime | None = None
    """Freshness is measured back from here: the end of the batch's logical date (never now())."""
    volume_baseline: float | None = None
    """Median row count of the entity's recent landed batches; None when there are too few."""
    volume_history: int = 0


@dataclass
class Plan:
    """One check, ready to run: its expectations, the columns they read, its threshold in words."""

    check: Check
    threshold: str
    columns: tuple[str, ...] = ()
    expectations: list[Any] = field(default_factory=list)
    skip: str | None = None
    error: str | None = None
    reference_time: datetime | None = None


@dataclass(frozen=True)
class Verdict:
    status: Status
    observed_value: float | None
    observed: str
    message: str = ""


def plan(check: Check, facts: Facts) -> Plan:
    """Translate one GX-evaluated policy check into expectations tagged with the check id."""
    gx = import_gx()
    e = gx.expectations
    meta = {"check_id": check.id, "severity": check.severity.value, "owner": check.owner, "why": check.why}
    if isinstance(check, NotNullCheck):
        limit = check.threshold.max_null_fraction
        return Plan(
            check,
            f"null fraction ≤ {limit:g}",
            (check.column,),
            [e.ExpectColumnValuesToNotBeNull(column=check.column, mostly=1.0 - limit, meta=meta)],
        )
    if isinstance(check, UniqueCheck):
        limit = check.threshold.max_duplicate_fraction
        mostly = 1.0 - limit
        expectation = (
            e.ExpectColumnValuesToBeUnique(column=check.columns[0], mostly=mostly, meta=meta)
            if len(check.columns) == 1
            else e.ExpectCompoundColumnsToBeUnique(column_list=check.columns, mostly=mostly, meta=meta)
        )
        return Plan(check, f"duplicate fraction ≤ {limit:g}", tuple(check.columns), [expectation])
    if isinstance(check, ValidEmailCheck):
        mostly = check.threshold.mostly
        return Plan(
            check,
            f"valid fraction ≥ {mostly:g}",
            (check.column,),
            [
                e.ExpectColumnValuesToMatchRegex(
                    column=check.column, regex=EMAIL_REGEX, mostly=mostly, meta=meta
                )
            ],
        )
    if isinstance(check, AcceptedValuesCheck):
        values = check.values if check.values is not None else contract_enum(facts, check.column)
        if values is None:
            return Plan(check, "—", error=f"no values given and no contract enum for column {check.column!r}")
        mostly = check.threshold.mostly
        return Plan(
            check,
            f"fraction in {len(values)} accepted values ≥ {mostly:g}",
            (check.column,),
            [
                e.ExpectColumnValuesToBeInSet(
                    column=check.column, value_set=list(values), mostly=mostly, meta=meta
                )
            ],
        )
    if isinstance(check, ValueRangeCheck):
        mostly = check.threshold.mostly
        low = "-∞" if check.min is None else f"{check.min:g}"
        high = "∞" if check.max is None else f"{check.max:g}"
        return Plan(
            check,
            f"fraction within [{low}, {high}] ≥ {mostly:g}",
            (check.column,),
            [
                e.ExpectColumnValuesToBeBetween(
                    column=check.column, min_value=check.min, max_value=check.max, mostly=mostly, meta=meta
                )
            ],
        )
    if isinstance(check, ExactlyOneCheck):
        mostly = check.threshold.mostly
        words = f"fraction of {check.key} on exactly one row with a {check.column} ≥ {mostly:g}"
        columns: tuple[str, ...] = (check.key, check.column)
        present: dict[str, Any] = {}
        if check.exempt is not None:
            from great_expectations.expectations.row_conditions import Column

            # only the rows the invariant applies to must have a value; the key is unique everywhere
            present["row_condition"] = Column(check.exempt.column).is_not_in(check.exempt.values)
            words += f" (except {check.exempt.column} in {', '.join(check.exempt.values)})"
            columns += (check.exempt.column,)
        return Plan(
            check,
            words,
            columns,
            [
                e.ExpectColumnValuesToBeUnique(column=check.key, mostly=mostly, meta=meta),
                e.ExpectColumnValuesToNotBeNull(column=check.column, mostly=mostly, meta=meta, **present),
            ],
        )
    if isinstance(check, VolumeCheck):
        band = check.threshold
        words = f"{band.min_ratio:g}–{band.max_ratio:g} × median of last {band.lookback} batches"
        if facts.volume_baseline is None:
            return Plan(
                check,
                words,
                skip=f"{facts.volume_history} earlier batches, {band.min_history} needed for a baseline",
            )
        fewest = math.ceil(band.min_ratio * facts.volume_baseline)
        most = math.floor(band.max_ratio * facts.volume_baseline)
        return Plan(
            check,
            f"{fewest}..{most} rows ({words}: {facts.volume_baseline:g})",
            (),
            [e.ExpectTableRowCountToBeBetween(min_value=fewest, max_value=most, meta=meta)],
        )
    if isinstance(check, FreshnessCheck):
        hours = check.threshold.max_age_hours
        if facts.reference_time is None:
            return Plan(check, f"newest ≤ {hours:g} h old", error="no reference time for freshness")
        oldest_allowed = pd.Timestamp(facts.reference_time) - pd.Timedelta(hours=hours)
        return Plan(
            check,
            f"newest {check.column} ≤ {hours:g} h before {facts.reference_time:%Y-%m-%d %H:%M} UTC",
            (check.column,),
            [e.ExpectColumnMaxToBeBetween(column=check.column, min_value=oldest_allowed, meta=meta)],
            reference_time=facts.reference_time,
        )
    raise TypeError(f"{check.id}: kind {check.kind!r} is not evaluated by Great Expectations")


def contract_enum(facts: Facts, column: str) -> tuple[str, ...] | None:
    """The accepted values the ingestion contract declares for ``column`` (None when it has none)."""
    if facts.source is None or facts.entity is None:
        return None
    try:
        module = importlib.import_module(f"ingestion.{facts.source}.entities")
    except ImportError:
        return None
    for entity in getattr(module, "ENTITIES", ()):
        if entity.name == facts.entity:
            try:
                return tuple(entity.column(column).enum or ()) or None
            except KeyError:
                return None
    return None


def interpret(item: Plan, results: list[Any], rows: int) -> Verdict:
    """Turn the GX results of one plan into a status and an observed value in the policy's terms."""
    check = item.check
    broken = [r for r in results if r.exception_info and r.exception_info.get("raised_exception")]
    if broken:
        return Verdict(Status.ERROR, None, "—", str(broken[0].exception_info.get("exception_message")))
    status = Status.PASSED if all(r.success for r in results) else Status.FAILED
    first = results[0].result if results else {}
    if isinstance(check, VolumeCheck):
        return Verdict(status, float(first["observed_value"]), f"{first['observed_value']} rows")
    if isinstance(check, FreshnessCheck):
        newest = first.get("observed_value")
        if newest is None or pd.isna(newest):
            return Verdict(Status.FAILED, None, "no records", f"no {check.column} values in the batch")
        reference = pd.Timestamp(item.reference_time)
        age = (reference - pd.Timestamp(newest)).total_seconds() / 3600
        return Verdict(status, age, f"{age:.1f} h (newest {pd.Timestamp(newest):%Y-%m-%d %H:%M})")
    if isinstance(check, NotNullCheck | UniqueCheck):
        fraction = _fraction(first, "unexpected_count", "element_count")
        what = "null" if isinstance(check, NotNullCheck) else "duplicate"
        return Verdict(status, fraction, f"{fraction:.4f} {what} ({first.get('unexpected_count', 0)} rows)")
    if isinstance(check, ExactlyOneCheck):
        bad = sum(int(r.result.get("unexpected_count", 0)) for r in results)
        fraction = 1.0 - bad / rows if rows else 1.0
        return Verdict(status, fraction, f"{fraction:.4f} ({bad} rows duplicated or without {check.column})")
    # validity kinds: the share of non-null values that pass
    unexpected = int(first.get("unexpected_count", 0))
    checked = int(first.get("element_count", 0)) - int(first.get("missing_count", 0) or 0)
    valid = 1.0 - unexpected / checked if checked else 1.0
    sample = first.get("partial_unexpected_list") or []
    hint = f"; e.g. {', '.join(map(repr, sample[:3]))}" if sample else ""
    return Verdict(status, valid, f"{valid:.4f} valid ({unexpected} of {checked} rows fail{hint})")


def _fraction(result: dict[str, Any], part: str, whole: str) -> float:
    total = int(result.get(whole, 0) or 0)
    return int(result.get(part, 0) or 0) / total if total else 0.0
