"""The quality gate: run the policy's checks for a run, store the results, decide whether to publish.

``run_checks`` judges the landed batches (Great Expectations) and the batches ingestion rejected (the
policy's ``rejected_batches`` checks, ``quality.rejections``) — stage ``landing`` —, the raw tables'
freshness (stage ``sources``, ``quality.freshness``) and/or the published marts (stage ``marts``,
Great Expectations), writes every result to ``ops.check_results``
and renders Data Docs under ``<data>/quality/docs/``. ``assert_publishable`` is what the publish
step calls: it raises ``QualityBlocked`` naming each strategic pain (check, observed value,
threshold); routine aches (``warn``) never stop publishing — they are logged and listed in the report.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Literal

from rich.progress import Progress

from crm.settings import Settings
from quality.freshness import judge_source_freshness
from quality.gx_runtime import Engine, build_docs, close, engine_from_env, new_context
from quality.landing import batches_to_check
from quality.policy import Check, Policy, RejectedBatchesCheck, load_policy
from quality.rejections import evaluate as judge_rejections
from quality.results import CheckResult, read_results, write_results
from quality.suites import landing_suite
from quality.suites.marts import validate_marts

log = logging.getLogger(__name__)

Stage = Literal["landing", "sources", "marts", "all"]
STAGES: tuple[str, ...] = ("landing", "sources", "marts")


class QualityBlocked(RuntimeError):
    """A block-severity check failed (a strategic pain): nothing may be published for this run."""

    def __init__(self, run_id: str, blocking: list[CheckResult], reason: str | None = None) -> None:
        self.run_id = run_id
        self.blocking = blocking
        lines = reason or "\n".join(f"  - {result.describe()}" for result in blocking)
        super().__init__(f"quality gate blocked run {run_id}:\n{lines}")


@dataclass(frozen=True)
class GateResult:
    """Every check result of one gate run, and where its Data Docs are."""

    run_id: str
    stage: Stage
    results: tuple[CheckResult, ...]
    docs_index: Path | None

    @property
    def blocking(self) -> list[CheckResult]:
        return [result for result in self.results if result.blocks]

    @property
    def warnings(self) -> list[CheckResult]:
        return [result for result in self.results if result.warns]

    @property
    def publishable(self) -> bool:
        return not self.blocking


def docs_dir(settings: Settings) -> Path:
    return settings.data_dir / "quality" / "docs"


def new_run_id() -> str:
    """A run id for manual runs; Airflow passes its own ``run_id``."""
    return f"manual__{datetime.now(UTC):%Y%m%dT%H%M%S}"


def run_checks(
    settings: Settings,
    stage: Stage = "all",
    run_id: str | None = None,
    *,
    logical_date: date | Sequence[date] | None = None,
    policy: Policy | None = None,
    serve_path: Path | None = None,
    progress: bool = False,
    engine: Engine | None = None,
) -> GateResult:
    """Run the policy's checks for ``stage`` and store them under ``run_id``.

    ``logical_date`` selects the landed batches of that date, or of each of several dates (default:
    the newest batch of each entity). ``serve_path`` checks another serving file than
    ``Settings.serve_path`` — e.g. the new file a publish step built, before it is swapped in.
    ``engine`` is GX's engine (default: ``CRM_GX_ENGINE``, else ``sql``); both give the same results.
    """
    if stage not in (*STAGES, "all"):
        raise ValueError(f"stage must be one of {', '.join(STAGES)} or all, not {stage!r}")
    engine = engine or engine_from_env()
    policy = policy or load_policy()
    run_id = run_id or new_run_id()
    context = new_context(docs_dir(settings))
    results: list[CheckResult] = []
    try:
        if stage in ("landing", "all"):
            landed: list[CheckResult] = []
            days = [logical_date] if logical_date is None or isinstance(logical_date, date) else logical_date
            for day in days:  # a catch-up judges every day it publishes
                landed += judge_rejections(settings, policy, run_id, logical_date=day)
                landed += _landing(settings, policy, context, run_id, day, progress, engine)
            write_results(settings.warehouse_path, run_id, "landing", landed)
            results += landed
        if stage in ("sources", "all"):
            results += check_freshness(settings, run_id, policy)
        if stage in ("marts", "all"):
            serving = serve_path or settings.serve_path
            marts = validate_marts(context, serving, policy.gated("mart"), run_id, engine)
            write_results(settings.warehouse_path, run_id, "marts", marts)
            results += marts
    finally:
        close(context)  # a read-only reader of the serving file blocks its writers: let go at once
    index = build_docs(context)
    gate = GateResult(run_id=run_id, stage=stage, results=tuple(results), docs_index=index)
    for result in gate.warnings:
        log.warning("quality warning (routine ache): %s", result.describe())
    for result in gate.blocking:
        log.error("quality block (strategic pain): %s", result.describe())
    return gate


def check_freshness(settings: Settings, run_id: str, policy: Policy | None = None) -> list[CheckResult]:
    """Stage ``sources``: judge and store the raw tables' freshness (no Great Expectations involved)."""
    fresh = judge_source_freshness(settings, policy or load_policy(), run_id)
    write_results(settings.warehouse_path, run_id, "sources", fresh)
    for result in fresh:
        if result.is_breach:
            log.log(logging.ERROR if result.blocks else logging.WARNING, "freshness: %s", result.describe())
    return fresh


def _landing(
    settings: Settings,
    policy: Policy,
    context: object,
    run_id: str,
    logical_date: date | None,
    progress: bool,
    engine: Engine,
) -> list[CheckResult]:
    checks_by_subject: dict[tuple[str, str], list[Check]] = defaultdict(list)
    for check in policy.gated("landing"):
        if isinstance(check, RejectedBatchesCheck):  # judged from the manifests (quality.rejections)
            continue
        source, entity = check.subject.split(".", 1)
        checks_by_subject[(source, entity)].append(check)
    batches = batches_to_check(settings, checks_by_subject, logical_date)
    results: list[CheckResult] = []
    with Progress(disable=not progress, transient=True) as bar:
        task = bar.add_task("checking landed batches", total=len(batches))
        for batch in batches:
            bar.update(task, description=f"checking {batch.source}.{batch.entity}")
            checks = checks_by_subject[(batch.source, batch.entity)]
            suite = landing_suite(batch.source)
            results += suite.validate(context, batch, checks, run_id, engine)  # type: ignore[arg-type]
            bar.advance(task)
    log.info("checked %d landed batches: %d results", len(batches), len(results))
    return results


def assert_publishable(settings: Settings, run_id: str) -> None:
    """Raise ``QualityBlocked`` unless ``run_id`` was checked and no block-severity check failed."""
    results = read_results(settings.warehouse_path, run_id)
    if not results:
        raise QualityBlocked(
            run_id,
            [],
            reason=f"  no check results stored for this run: run `crm check --run-id {run_id}` first",
        )
    blocking = [result for result in results if result.blocks]
    if blocking:
        raise QualityBlocked(run_id, blocking)
