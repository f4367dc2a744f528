"""The "good enough" policy: every data-quality check once, typed and validated.

``quality/policy.yml`` lists each check with its target, kind, threshold, severity (``warn`` = routine
ache, reported and published; ``block`` = strategic pain, nothing is published), owner and one line of
why. The Great Expectations suites are built from it at run time and the dbt tests are checked
against it (``dbt_config``), so the policy, the checks and the report never disagree. Tightening or
relaxing a threshold is an edit of the YAML, never of code. ``CRM_QUALITY_POLICY`` points at another
policy file (a team's own, or a test's temporary copy).
"""

from __future__ import annotations

import os
import re
from collections import Counter
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError, model_validator

DEFAULT_POLICY_PATH = Path(__file__).with_name("policy.yml")
POLICY_ENV = "CRM_QUALITY_POLICY"

_TARGET = re.compile(
    r"^(?P<layer>landing|source):(?P<source>[a-z][a-z0-9_]*)\.(?P<entity>[a-z][a-z0-9_]*)$"
    r"|^(?P<model_layer>model|mart):(?P<model>[a-z][a-z0-9_]*)$"
    r"|^(?P<source_layer>landing|source):(?P<whole_source>[a-z][a-z0-9_]*)$"
    r"|^(?P<dbt_layer>dbt):(?P<folder>staging|intermediate|marts|snapshots|seeds)$"
)
SOURCE_LEVEL_KINDS = ("rejected_batches", "dbt_source_freshness")
"""Kinds that may target a whole source (``landing:<source>``, ``source:<source>``), not one entity."""
DBT_LAYERS = ("staging", "intermediate", "marts", "snapshots", "seeds")
"""Where a dbt test family applies: a folder under ``models/``, or ``snapshots/`` or ``seeds/``."""
Fraction = Annotated[float, Field(ge=0.0, le=1.0)]


class PolicyError(ValueError):
    """The policy file is missing, not YAML, or an entry breaks the schema; the message names it."""


class Severity(StrEnum):
    """How much a failure hurts (seed 004: routine ache vs strategic pain)."""

    WARN = "warn"
    """Routine ache: known, minor, can wait; published and listed in the report."""
    BLOCK = "block"
    """Strategic pain: hurts the most valuable customers or decisions; nothing is published."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


# --- thresholds, one shape per kind ------------------------------------------------------------
class NullThreshold(_Strict):
    max_null_fraction: Fraction


class DuplicateThreshold(_Strict):
    max_duplicate_fraction: Fraction = 0.0


class MostlyThreshold(_Strict):
    mostly: Fraction
    """The fraction of non-null values (rows, for ``exactly_one``) that must pass."""


class VolumeThreshold(_Strict):
    min_ratio: Annotated[float, Field(ge=0.0)]
    max_ratio: Annotated[float, Field(gt=0.0)]
    lookback: Annotated[int, Field(ge=1)] = 7
    """How many earlier landed batches of the entity form the baseline (their median row count)."""
    min_history: Annotated[int, Field(ge=1)] = 3
    """Fewer earlier batches than this and the check is skipped: no baseline yet."""

    @model_validator(mode="after")
    def _band(self) -> VolumeThreshold:
        if self.min_ratio > self.max_ratio:
            raise ValueError(f"min_ratio {self.min_ratio} is above max_ratio {self.max_ratio}")
        return self


class FreshnessThreshold(_Strict):
    max_age_hours: Annotated[float, Field(gt=0.0)]


class QuarantineThreshold(_Strict):
    max_fraction: Fraction


class RejectedThreshold(_Strict):
    """How many rejected batches (or what share of the day's delivered rows) a source may have."""

    max_batches: Annotated[int, Field(ge=0)] | None = None
    """More rejected batches than this on the logical date fails the check (0: any rejection)."""
    max_row_fraction: Fraction | None = None
    """Rows of the rejected batches ÷ rows of every batch of the target on the logical date."""

    @model_validator(mode="after")
    def _some_limit(self) -> RejectedThreshold:
        if self.max_batches is None and self.max_row_fraction is None:
            raise ValueError("rejected_batches needs max_batches, max_row_fraction or both")
        return self


Fault = Literal[
    "truncated",
    "bad_gzip",
    "bad_encoding",
    "record_count_mismatch",
    "missing_file",
    "schema_break",
    "other",
]
"""Why ingestion rejected a batch whole: a failed manifest's ``error_kind`` (``rejections.fault_of``)."""
FAULTS: tuple[str, ...] = Fault.__args__  # type: ignore[attr-defined]


class DbtThreshold(_Strict):
    max_failing_rows: Annotated[int, Field(ge=0)] = 0
    """dbt counts failing rows; more than this fails the test (``warn_if``/``error_if: '>N'``)."""
    tolerance: Fraction | None = None
    """Relative tolerance of a reconciliation test (e.g. 0.001 = 0.1 %), passed to the test as a var."""


# --- checks, one class per kind ---------------------------------------------------------------
class _Check(_Strict):
    id: Annotated[str, Field(pattern=r"^[a-z0-9_.]+$", min_length=3)]
    target: str
    severity: Severity
    owner: Annotated[str, Field(min_length=1)]
    why: Annotated[str, Field(min_length=10)]
    enabled: bool = True

    @model_validator(mode="after")
    def _target_fits_kind(self) -> _Check:
        match = _TARGET.match(self.target)
        if match is None:
            raise ValueError(
                f"target {self.target!r} is not one of landing:<source>.<entity>, "
                "source:<source>.<table>, model:<dbt_model>, mart:<table>, dbt:<layer>"
            )
        layer = (
            match.group("layer")
            or match.group("model_layer")
            or match.group("source_layer")
            or match.group("dbt_layer")
        )
        if match.group("source_layer") and self.kind not in SOURCE_LEVEL_KINDS:  # type: ignore[attr-defined]
            raise ValueError(
                f"kind {self.kind!r} needs an entity: landing:<source>.<entity>, not {self.target!r}"  # type: ignore[attr-defined]
            )
        allowed = _LAYERS_BY_KIND[self.kind]  # type: ignore[attr-defined]
        if layer not in allowed:
            raise ValueError(
                f"kind {self.kind!r} runs on {' or '.join(allowed)} targets, not {self.target!r}"  # type: ignore[attr-defined]
            )
        return self

    @property
    def layer(self) -> str:
        """``landing``, ``source``, ``model`` or ``mart``."""
        return self.target.split(":", 1)[0]

    @property
    def subject(self) -> str:
        """The target without its layer: ``sales.order``, ``customer_360``."""
        return self.target.split(":", 1)[1]

    @property
    def evaluated_by(self) -> Literal["gx", "manifest", "dbt"]:
        return "gx"


class NotNullCheck(_Check):
    """Completeness: the share of rows where ``column`` is null stays under a ceiling."""

    kind: Literal["not_null"]
    column: str
    threshold: NullThreshold


class UniqueCheck(_Check):
    """Uniqueness within the batch (or table) of one column or a compound key."""

    kind: Literal["unique"]
    columns: Annotated[list[str], Field(min_length=1)]
    threshold: DuplicateThreshold = DuplicateThreshold()


class ValidEmailCheck(_Check):
    """Validity: non-null values of ``column`` look like an e-mail address."""

    kind: Literal["valid_email"]
    column: str
    threshold: MostlyThreshold


class AcceptedValuesCheck(_Check):
    """Validity: non-null values are in ``values`` (or, when omitted, the ingestion contract's enum)."""

    kind: Literal["accepted_values"]
    column: str
    values: list[str] | None = None
    threshold: MostlyThreshold


class ValueRangeCheck(_Check):
    """Validity: non-null values lie within ``[min, max]`` (either bound may be open)."""

    kind: Literal["value_range"]
    column: str
    min: float | None = None
    max: float | None = None
    threshold: MostlyThreshold

    @model_validator(mode="after")
    def _bounds(self) -> ValueRangeCheck:
        if self.min is None and self.max is None:
            raise ValueError("value_range needs min, max or both")
        if self.min is not None and self.max is not None and self.min > self.max:
            raise ValueError(f"min {self.min} is above max {self.max}")
        return self


class Exemption(_Strict):
    """Rows the invariant does not apply to: those whose ``column`` is one of ``values``."""

    column: str
    values: Annotated[list[str], Field(min_length=1)]


class ExactlyOneCheck(_Check):
    """Every ``key`` appears on exactly one row, with a non-null ``column`` (e.g. one segment each).

    ``exempt`` names the rows that by definition have no ``column`` value (e.g. prospects, who never
    ordered, have no RFM segment): the key is still unique there, but a null is not a failure.
    """

    kind: Literal["exactly_one"]
    key: str
    column: str
    exempt: Exemption | None = None
    threshold: MostlyThreshold


class VolumeCheck(_Check):
    """Volume: the batch's row count against the median of the entity's recent landed batches."""

    kind: Literal["volume"]
    threshold: VolumeThreshold


class FreshnessCheck(_Check):
    """Freshness: the newest ``column`` value is at most N hours before the end of the logical date."""

    kind: Literal["freshness"]
    column: str
    threshold: FreshnessThreshold


class QuarantineCheck(_Check):
    """The share of a batch's incoming rows that the contract quarantined (from the batch manifest)."""

    kind: Literal["quarantine_fraction"]
    threshold: QuarantineThreshold

    @property
    def evaluated_by(self) -> Literal["gx", "manifest", "dbt"]:
        return "manifest"


class RejectedBatchesCheck(_Check):
    """Batches ingestion rejected whole on the logical date (from the landing manifests).

    ``faults`` narrows the check to some kinds of rejection (default: every kind), so one source can
    treat a vendor's broken file drop as a routine ache and a schema break as a strategic pain.
    """

    kind: Literal["rejected_batches"]
    faults: Annotated[list[Fault], Field(min_length=1)] | None = None
    threshold: RejectedThreshold

    @property
    def evaluated_by(self) -> Literal["gx", "manifest", "dbt"]:
        return "manifest"

    @property
    def source(self) -> str:
        return self.subject.split(".", 1)[0]

    @property
    def entity(self) -> str | None:
        """The one entity judged, or None for a source-level target (every entity of the source)."""
        parts = self.subject.split(".", 1)
        return parts[1] if len(parts) == 2 else None

    def covers(self, source: str, entity: str, fault: str) -> bool:
        """Whether a rejected batch of ``source.entity`` with ``fault`` is judged by this check."""
        return (
            source == self.source
            and self.entity in (None, entity)
            and (self.faults is None or fault in self.faults)
        )


class DbtTestCheck(_Check):
    """A dbt test in ``dbt_project/`` (generic or singular), listed here so every check exists once."""

    kind: Literal["dbt_test"]
    dbt_test: str
    column: str | None = None
    threshold: DbtThreshold = DbtThreshold()

    @property
    def evaluated_by(self) -> Literal["gx", "manifest", "dbt"]:
        return "dbt"


class DbtTestFamilyCheck(_Check):
    """The routine dbt tests of one layer (``dbt:staging``…) by test name: keys, relationships, enums.

    A test that names no entry of its own (``meta.policy_id``) is governed by the family of its layer
    that lists its test name; two families of one layer never share a test name.
    """

    kind: Literal["dbt_test_family"]
    dbt_tests: Annotated[list[Annotated[str, Field(pattern=r"^[a-z_][a-z0-9_]*$")]], Field(min_length=1)]
    threshold: DbtThreshold = DbtThreshold()

    @property
    def evaluated_by(self) -> Literal["gx", "manifest", "dbt"]:
        return "dbt"


class DbtSourceFreshnessCheck(_Check):
    """dbt source freshness on a raw table's ``_loaded_at``: did the loads keep up?

    Targets one table (``source:sales.order``) or every table of a source that has a freshness
    (``source:sales``); a table's own entry wins over its source's. ``warn`` sets dbt's ``warn_after``,
    ``block`` its ``error_after`` — a source may have one of each.
    """

    kind: Literal["dbt_source_freshness"]
    threshold: FreshnessThreshold

    @property
    def evaluated_by(self) -> Literal["gx", "manifest", "dbt"]:
        return "dbt"


Check = Annotated[
    NotNullCheck
    | UniqueCheck
    | ValidEmailCheck
    | AcceptedValuesCheck
    | ValueRangeCheck
    | ExactlyOneCheck
    | VolumeCheck
    | FreshnessCheck
    | QuarantineCheck
    | RejectedBatchesCheck
    | DbtTestCheck
    | DbtTestFamilyCheck
    | DbtSourceFreshnessCheck,
    Field(discriminator="kind"),
]
_CHECK_ADAPTER: TypeAdapter[Check] = TypeAdapter(Check)

_LANDING_KINDS = (
    "not_null",
    "unique",
    "valid_email",
    "accepted_values",
    "value_range",
    "volume",
    "freshness",
)
_LAYERS_BY_KIND: dict[str, tuple[str, ...]] = {
    **{kind: ("landing",) for kind in _LANDING_KINDS},
    "quarantine_fraction": ("landing",),
    "rejected_batches": ("landing",),
    "exactly_one": ("mart",),
    "dbt_test": ("model", "mart"),
    "dbt_test_family": ("dbt",),
    "dbt_source_freshness": ("source",),
}
# Published marts are checked for what BI users see; the value checks apply there too.
for _kind in ("not_null", "unique", "accepted_values", "value_range"):
    _LAYERS_BY_KIND[_kind] = ("landing", "mart")


@dataclass(frozen=True)
class Policy:
    """The loaded policy: the file it came from and its checks in file order."""

    path: Path
    checks: tuple[Check, ...]

    def for_layer(self, layer: str) -> list[Check]:
        """Enabled checks on targets of one layer (``landing``, ``mart``, ``model``, ``source``, ``dbt``)."""
        return [check for check in self.checks if check.enabled and check.layer == layer]

    def gated(self, layer: str) -> list[Check]:
        """Enabled checks of ``layer`` that the gate evaluates itself (GX or manifest, not dbt)."""
        return [check for check in self.for_layer(layer) if check.evaluated_by != "dbt"]

    def for_target(self, target: str) -> list[Check]:
        return [check for check in self.checks if check.enabled and check.target == target]

    def get(self, check_id: str) -> Check:
        for check in self.checks:
            if check.id == check_id:
                return check
        raise KeyError(f"{self.path}: no check with id {check_id!r}")


def policy_path() -> Path:
    """The policy in force: ``$CRM_QUALITY_POLICY`` when set, else the one shipped in ``quality/``."""
    override = os.environ.get(POLICY_ENV)
    return Path(override).expanduser().resolve() if override else DEFAULT_POLICY_PATH


def load_policy(path: Path | None = None) -> Policy:
    """Read and validate a policy file; raise ``PolicyError`` naming the entry and field at fault."""
    path = path or policy_path()
    try:
        document = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as error:
        raise PolicyError(f"{path}: cannot read the quality policy: {error}") from error
    except yaml.YAMLError as error:
        raise PolicyError(f"{path}: not valid YAML: {error}") from error
    if not isinstance(document, dict) or not isinstance(document.get("checks"), list):
        raise PolicyError(f"{path}: expected a mapping with a 'checks' list at the top level")
    unknown = set(document) - {"version", "checks"}
    if unknown:
        raise PolicyError(f"{path}: unknown top-level keys {sorted(unknown)} (allowed: version, checks)")
    checks = tuple(_parse_entry(path, index, entry) for index, entry in enumerate(document["checks"]))
    duplicates = sorted(check_id for check_id, n in Counter(c.id for c in checks).items() if n > 1)
    if duplicates:
        raise PolicyError(f"{path}: check ids must be unique; repeated: {', '.join(duplicates)}")
    _families_do_not_overlap(path, checks)
    return Policy(path=path, checks=checks)


def _families_do_not_overlap(path: Path, checks: tuple[Check, ...]) -> None:
    """Each routine dbt test is governed by exactly one family: one entry per layer and test name."""
    owner: dict[str, str] = {}
    for check in checks:
        if not isinstance(check, DbtTestFamilyCheck):
            continue
        for test in check.dbt_tests:
            key = f"{check.subject}.{test}"
            if key in owner:
                raise PolicyError(
                    f"{path}: {check.id} and {owner[key]} both govern {test} tests of dbt:{check.subject}"
                )
            owner[key] = check.id


def _parse_entry(path: Path, index: int, entry: Any) -> Check:
    label = f"{path}: checks[{index}]"
    if not isinstance(entry, dict):
        raise PolicyError(f"{label}: expected a mapping, got {type(entry).__name__}")
    if entry.get("id"):
        label += f" (id {entry['id']!r})"
    try:
        return _CHECK_ADAPTER.validate_python(entry)
    except ValidationError as error:
        raise PolicyError(f"{label}: {_describe(error, entry)}") from None


def _describe(error: ValidationError, entry: dict[str, Any]) -> str:
    """One line per problem: the field, what is wrong, and the value found."""
    lines = []
    for problem in error.errors():
        location = [str(part) for part in problem["loc"]]
        if problem["type"] in ("union_tag_invalid", "union_tag_not_found"):
            kinds = ", ".join(sorted(_LAYERS_BY_KIND))
            lines.append(f"field 'kind': must be one of {kinds}; got {entry.get('kind')!r}")
            continue
        if location and location[0] == entry.get("kind"):
            location = location[1:]  # drop the discriminator pydantic puts first
        field = ".".join(location) or "(entry)"
        message = problem["msg"].removeprefix("Value error, ")
        found = f" (got {problem['input']!r})" if location and problem["type"] != "missing" else ""
        lines.append(f"field '{field}': {message}{found}")
    return "; ".join(lines)


def dbt_config(check: Check) -> dict[str, str]:
    """The dbt test ``config`` a ``dbt_test`` or ``dbt_test_family`` entry implies.

    ``block`` → ``severity: error``, ``warn`` → ``severity: warn``; both with ``warn_if`` and
    ``error_if`` ``'>N'`` (N = ``max_failing_rows``). Under ``severity: warn`` dbt reads only
    ``warn_if``; ``error_if`` is set anyway so that every test's config is complete and comparable.
    """
    if not isinstance(check, DbtTestCheck | DbtTestFamilyCheck):
        raise TypeError(f"{check.id}: only dbt_test checks have a dbt config (kind {check.kind!r})")
    limit = f">{check.threshold.max_failing_rows}"
    severity = "error" if check.severity is Severity.BLOCK else "warn"
    return {"severity": severity, "warn_if": limit, "error_if": limit}
