"""What each Airflow task does, as plain functions: the DAG files only wire these together.

Every function reads :class:`~crm.settings.Settings` from the environment at run time, calls the
public entry points of ``ingestion``, ``crm.transform``, ``quality`` and ``crm.publish``, and returns
a small JSON-able summary (it becomes the task's XCom, so the Airflow UI shows what a task did).

Failures come in two kinds, told apart by type so the DAGs' retry policy can act on them:

- :class:`NotRetryable` and its subclasses — the data or its contract is wrong (a rejected batch, a
  failing dbt test, a quality block). Retrying reads the same bytes and fails the same way, so the
  task fails at once and a human is notified.
- anything else (a source down, an HTTP timeout, a busy file) — retried with exponential backoff.

This module is imported when the DAG files are parsed: it must stay light (standard library and
``crm.settings`` only; everything heavy is imported inside the functions).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping, Sequence
from datetime import date
from typing import Any

from crm.settings import Settings

log = logging.getLogger(__name__)

SOURCES = ("sales", "support", "marketing")


class NotRetryable(Exception):
    """A failure a retry cannot fix: the task fails at once and notifies (see the DAGs' retry policy)."""

    def __init__(self, message: str, details: list[str] | None = None) -> None:
        super().__init__(message)
        self.details = details or []


class ContractViolation(NotRetryable):
    """A source delivered a batch that breaks its contract (schema drift, truncated or altered file,
    wrong encoding or row count): ingestion rejected it whole and recorded it in ``ops.failed_batches``.
    The other batches loaded; the source must re-deliver."""


class QualityGateBlocked(NotRetryable):
    """A block-severity check failed (a strategic pain): nothing is published for this run."""


class DbtBuildFailed(NotRetryable):
    """``dbt build`` finished with failing models or error-severity tests."""


def extract_source(source: str, logical_date: date) -> dict[str, Any]:
    """Land what ``source`` shows up to the end of ``logical_date``; never opens the warehouse."""
    from ingestion import run

    manifests = run.extract(Settings.from_env(), source, logical_date)
    summary = {
        "source": source,
        "logical_date": logical_date.isoformat(),
        "batches": len(manifests),
        "rows_in": sum(m.rows_in for m in manifests),
        "rows_quarantined": sum(m.rows_quarantined for m in manifests),
        "failed_batches": [m.batch_id for m in manifests if m.status == "failed"],
    }
    log.info("extracted %s", summary)
    return summary


def load_source(source: str) -> dict[str, Any]:
    """Load every landed-but-unloaded batch of ``source`` (the warehouse's single writer)."""
    from ingestion import run

    results = run.load(Settings.from_env(), source)
    summary = {
        "source": source,
        "batches_loaded": sum(1 for r in results if r.loaded),
        "rows_loaded": sum(r.manifest.rows_loaded for r in results if r.loaded),
        "batches_failed": sum(1 for r in results if not r.loaded),
    }
    log.info("loaded %s", summary)
    return summary


def check_contract(source: str, logical_date: date) -> dict[str, Any]:
    """Judge the batches of ``source`` that ingestion rejected for ``logical_date``, by the policy.

    The quality policy's ``rejected_batches`` checks decide (``quality.rejections``): a ``block``
    breach (e.g. a schema break, any rejected sales or support batch) raises
    :class:`ContractViolation`; a ``warn`` breach (e.g. a truncated marketing file the vendor
    re-delivers) is notified (kind ``contract_warning``) and the task succeeds. Reads the landing
    manifests (not the extract task's XCom), so a re-run of the date, or a retried extract, judges
    every rejected batch of that date.
    """
    from crm.notify import Notification, notify
    from quality.policy import load_policy
    from quality.rejections import day_of, evaluate

    settings = Settings.from_env()
    run_id = f"contract__{source}__{logical_date:%Y%m%d}"
    results = evaluate(settings, load_policy(), run_id, logical_date=logical_date, sources=[source])
    blocking = [result.describe() for result in results if result.blocks]
    warnings = [result.describe() for result in results if result.warns]
    if blocking:
        raise ContractViolation(
            f"{source} batch(es) of {logical_date} broke the contract and were not loaded "
            "(the source must re-deliver; the other batches loaded)",
            blocking + warnings,
        )
    if warnings:
        notify(
            Notification(
                kind="contract_warning",
                summary=f"ingest_{source}: {source} batch(es) of {logical_date} were rejected "
                "(routine ache: the source re-delivers; the other batches loaded)",
                dag_id=f"ingest_{source}",
                task_id="check_contract",
                logical_date=logical_date.isoformat(),
                details=warnings,
            )
        )
    return {
        "source": source,
        "logical_date": logical_date.isoformat(),
        "rejected_batches": len(day_of(settings, source, logical_date).rejections),
        "warnings": warnings,
    }


def build_warehouse() -> dict[str, Any]:
    """``dbt build``: models, snapshots and tests, one log line per model; raise on any failure."""
    from crm.transform import build

    summary = build(Settings.from_env())
    failed = [f"{n.status} {n.unique_id}: {n.message}" for n in summary.failures]
    if not summary.success:
        raise DbtBuildFailed(f"dbt build failed ({len(failed)} node(s))", failed)
    return {
        "success": summary.success,
        "seconds": round(summary.seconds, 1),
        "models": summary.count("model"),
        "snapshots": summary.count("snapshot"),
        "tests": summary.count("test") + summary.count("unit_test"),
    }


def gate_dates(
    conf: Mapping[str, Any] | None, events: Mapping[Any, Iterable[Any]] | None
) -> list[date] | None:
    """Which days' landed batches the gate judges: the run's ``conf`` (``logical_dates``, else
    ``logical_date``: manual runs, ``crm dags run``), else every day carried by the triggering Asset
    events — a catch-up judges each day it publishes, not only the last —, else None (each entity's
    newest batch)."""
    if conf and conf.get("logical_dates"):
        return sorted({date.fromisoformat(str(day)) for day in conf["logical_dates"]})
    if conf and conf.get("logical_date"):
        return [date.fromisoformat(str(conf["logical_date"]))]
    days = {
        date.fromisoformat(str(event.extra["logical_date"]))
        for asset_events in (events or {}).values()
        for event in asset_events
        if (getattr(event, "extra", None) or {}).get("logical_date")
    }
    return sorted(days) or None


def gate_date(conf: Mapping[str, Any] | None, events: Mapping[Any, Iterable[Any]] | None) -> date | None:
    """The newest of :func:`gate_dates`: the day the report is written for."""
    days = gate_dates(conf, events)
    return days[-1] if days else None


def quality_gate(run_id: str, logical_dates: Sequence[date] | None) -> dict[str, Any]:
    """Judge the landed batches of ``logical_dates`` (newest per entity when None) and the raw tables'
    freshness under ``run_id``."""
    from quality.gate import GateResult, check_freshness, run_checks

    settings = Settings.from_env()
    landed = run_checks(settings, "landing", run_id, logical_date=logical_dates)
    fresh = tuple(check_freshness(settings, run_id))
    gate = GateResult(run_id, "all", landed.results + fresh, landed.docs_index)
    if gate.blocking:
        raise QualityGateBlocked(
            f"quality gate blocked run {run_id}: {len(gate.blocking)} strategic pain(s), nothing published",
            [result.describe() for result in gate.blocking],
        )
    return {
        "run_id": run_id,
        "results": len(gate.results),
        "warnings": [result.describe() for result in gate.warnings],
        "docs": str(gate.docs_index) if gate.docs_index else None,
    }


def publish_marts(run_id: str) -> dict[str, Any]:
    """Swap in a new serving database with this run's marts, if the gate allows it."""
    from crm.publish import publish
    from quality.gate import QualityBlocked

    try:
        path = publish(Settings.from_env(), run_id)
    except QualityBlocked as blocked:
        raise QualityGateBlocked(str(blocked), [r.describe() for r in blocked.blocking]) from blocked
    return {"run_id": run_id, "serve_path": str(path)}


def write_segment_report(logical_date: date | None) -> dict[str, Any]:
    """Render the manager's segment performance report from the serving database (read-only)."""
    from crm.report import write_report

    path = write_report(Settings.from_env(), logical_date)
    return {"report": str(path)}
