"""One real pipeline run at SF 0.01, published: what the serving and report tests read.

generate → sources at the world's last day → ingest (SQLite, the local help-desk API, the marketing
inbox) → ``dbt build`` → quality gate (landing) → ``crm.publish.publish`` (marts copied with emails and
phones hashed, checked, swapped in). The ``published_sf001`` fixture in ``tests/conftest.py`` builds it
once per session (per xdist worker).

The policy is the project's own, except its ``mart:`` checks: those are the marts suite's business
(``tests/quality``); here one mart check still runs the marts stage of the gate for real, so the
publication carries a verdict on both stages, and a landing check that blocks still stops the run.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from datetime import date
from pathlib import Path

import yaml

from crm.settings import Settings, temporary_environment

SCALE_FACTOR = 0.01
SEED = 7
RUN_ID = "published_sf001"
MART_CHECK_KEPT = "mart.segment_performance.nps_in_range"


@dataclass(frozen=True)
class PublishedRun:
    """A data directory whose serving database holds the marts of ``run_id``, published at ``day``."""

    settings: Settings
    run_id: str
    day: date
    policy: Path


def policy_for_tests(target: Path) -> Path:
    """The project's policy with its GX mart checks reduced to ``MART_CHECK_KEPT`` (see the module note).

    Its dbt test entries stay: every dbt test names one, and dbt refuses a test no entry governs.
    """
    from quality.policy import DEFAULT_POLICY_PATH

    policy = yaml.safe_load(Path(DEFAULT_POLICY_PATH).read_text(encoding="utf-8"))
    policy["checks"] = [
        check
        for check in policy["checks"]
        if not str(check["target"]).startswith("mart:")
        or str(check["kind"]).startswith("dbt_")
        or check["id"] == MART_CHECK_KEPT
    ]
    target.write_text(yaml.safe_dump(policy, sort_keys=False, allow_unicode=True), encoding="utf-8")
    return target


def run_pipeline(root: Path) -> PublishedRun:
    """Run the pipeline once into the data directory ``root`` and publish it; fail loudly on any step."""
    root.mkdir(parents=True, exist_ok=True)
    settings = Settings.from_env(root)
    policy = policy_for_tests(root.parent / "policy.yml")
    with temporary_environment({"CRM_QUALITY_POLICY": str(policy), "CRM_DATA_DIR": str(root)}):
        day = _run(settings)
    return PublishedRun(settings=settings, run_id=RUN_ID, day=day, policy=policy)


def _run(settings: Settings) -> date:
    from crm.publish import publish
    from crm.transform import build
    from ingestion import run
    from quality.gate import run_checks
    from seeds.generator import generate
    from seeds.transports import advance
    from seeds.transports.support_api import start_server

    generate(settings.world_dir, settings.truth_dir, sf=SCALE_FACTOR, seed=SEED)
    day = date.fromisoformat(json.loads((settings.world_dir / "world.json").read_text())["end"])
    advance(settings, day)
    server = start_server(settings, port=0, token=settings.support_token)
    try:
        report = run.ingest(
            replace(settings, support_url=server.url), ["sales", "support", "marketing"], [day]
        )
    finally:
        server.stop()
    assert not report.errors, f"ingestion for {day} failed: {report.errors}"
    built = build(settings)
    # Other suites own the marts' dbt tests; a failing one must not hide this suite's results, but every
    # model the report reads must have been built.
    failed_models = [node.unique_id for node in built.failures if node.resource_type == "model"]
    assert not failed_models, f"dbt models failed: {failed_models}"
    gate = run_checks(settings, "landing", RUN_ID, logical_date=day)
    assert gate.publishable, [result.describe() for result in gate.blocking]
    publish(settings, RUN_ID)
    return day
