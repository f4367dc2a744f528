"""Source freshness through a real ``dbt source freshness``, judged by the policy in force: fresh loads
pass, a source three days stale blocks, and a threshold edited in the policy alone moves the verdict."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import duckdb
import pytest
import yaml

from crm.settings import Settings
from quality.gate import QualityBlocked, assert_publishable, check_freshness
from quality.policy import DEFAULT_POLICY_PATH, load_policy
from quality.results import Status
from tests.published_pipeline import PublishedRun

FRESHNESS_TABLES = {"sales", "support", "marketing"}


@pytest.fixture
def loaded(published_sf001: PublishedRun, tmp_path: Path) -> Settings:
    """A private copy of the SF 0.01 warehouse, whose raw tables were just loaded."""
    settings = Settings.from_env(tmp_path / "data")
    settings.warehouse_path.parent.mkdir(parents=True)
    shutil.copyfile(published_sf001.settings.warehouse_path, settings.warehouse_path)
    return settings


def test_fresh_loads_pass_every_freshness_entry(loaded: Settings) -> None:
    results = check_freshness(loaded, "run-fresh")
    judged = {r.target.split(":")[1].split(".")[0] for r in results if r.check_status is Status.PASSED}
    assert judged == FRESHNESS_TABLES
    assert all(r.check_status is Status.PASSED for r in results), [r.describe() for r in results]
    policy_ids = {c.id for c in load_policy().for_layer("source")}
    assert {r.check_id for r in results} == policy_ids  # every entry judged something
    assert all(r.observed_value is not None and r.observed_value < 1 for r in results)


def test_a_source_three_days_stale_blocks_publishing(loaded: Settings) -> None:
    with duckdb.connect(str(loaded.warehouse_path)) as con:
        tables = con.execute(
            "select table_name from information_schema.tables"
            " where table_schema = 'raw' and table_name like 'support\\_\\_%' escape '\\'"
        ).fetchall()
        for (table,) in tables:
            con.execute(f"update raw.{table} set _loaded_at = _loaded_at - interval 4 days")
    results = check_freshness(loaded, "run-stale")
    blocking = [r for r in results if r.blocks]
    assert blocking and {r.check_id for r in blocking} == {"dbt.source.support.stale"}
    assert all(r.observed_value is not None and r.observed_value > 72 for r in blocking)
    assert not any(r.is_breach for r in results if not r.target.startswith("source:support."))
    with pytest.raises(QualityBlocked, match=re.escape("dbt.source.support.stale")):
        assert_publishable(loaded, "run-stale")


def test_a_threshold_edited_in_the_policy_alone_flips_the_verdict(
    loaded: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    document = yaml.safe_load(DEFAULT_POLICY_PATH.read_text(encoding="utf-8"))
    entry = next(check for check in document["checks"] if check["id"] == "dbt.source.sales.fresh")
    entry["threshold"] = {"max_age_hours": 1e-6}  # a few milliseconds: every load is older than that
    strict = tmp_path / "policy.yml"
    strict.write_text(yaml.safe_dump(document, sort_keys=False), encoding="utf-8")
    monkeypatch.setenv("CRM_QUALITY_POLICY", str(strict))
    results = check_freshness(loaded, "run-strict")
    warned = [r for r in results if r.is_breach]
    assert warned and {r.check_id for r in warned} == {"dbt.source.sales.fresh"}
    assert all(r.severity == "warn" and not r.blocks for r in warned)
    assert_publishable(loaded, "run-strict")  # a routine ache never stops publishing
