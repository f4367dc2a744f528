"""The gate on real landed batches: fine data passes, strategic pain blocks, the policy decides."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from pathlib import Path

import duckdb
import pytest
import yaml

from crm.settings import Settings
from ingestion.landing import Manifest
from quality.gate import QualityBlocked, assert_publishable, run_checks
from quality.policy import DEFAULT_POLICY_PATH, load_policy
from quality.results import CheckResult, Status

LandOrders = Callable[..., Manifest]

NULL_CHECK = "landing.sales.order.account_id_complete"


def by_id(results: tuple[CheckResult, ...]) -> dict[str, CheckResult]:
    return {result.check_id: result for result in results}


def policy_copy(tmp_path: Path, edit: Callable[[dict[str, object]], None]) -> Path:
    """A temporary copy of the shipped policy with one entry edited (no code changes)."""
    document = yaml.safe_load(DEFAULT_POLICY_PATH.read_text(encoding="utf-8"))
    for entry in document["checks"]:
        edit(entry)
    path = tmp_path / "policy.yml"
    path.write_text(yaml.safe_dump(document, sort_keys=False), encoding="utf-8")
    return path


def test_a_fine_batch_passes_every_check_and_the_results_are_stored(
    settings: Settings,
    land_orders: LandOrders,
    land_history: Callable[[int], date],
    capfd: pytest.CaptureFixture[str],
) -> None:
    day = land_history(3)
    manifest = land_orders(day, 4)

    gate = run_checks(settings, "landing", "run-fine", logical_date=day)

    results = by_id(gate.results)
    policy = load_policy()
    per_batch = {c.id for c in policy.gated("landing") if c.subject == "sales.order"}
    rejections = {c.id for c in policy.gated("landing") if c.kind == "rejected_batches"}
    assert set(results) == per_batch | rejections  # every source's rejections are judged too
    assert {r.check_status for r in results.values()} == {Status.PASSED}, [r.describe() for r in gate.results]
    assert {r.batch_id for r in gate.results if r.check_id in per_batch} == {manifest.batch_id}
    assert results["landing.sales.rejected_batches"].observed.startswith(
        "0 rejected batch(es), 0 of 400 rows"
    )
    assert results[NULL_CHECK].observed_value == 0.0
    assert results["landing.sales.order.volume"].observed_value == 400
    assert results["landing.sales.order.volume"].threshold.startswith("80..2000 rows")
    assert results["landing.sales.order.fresh"].observed_value == pytest.approx(2.0)
    assert results["landing.sales.order.quarantine"].observed_value == 0.0
    assert gate.publishable and not gate.warnings
    assert_publishable(settings, "run-fine")

    with duckdb.connect(str(settings.warehouse_path), read_only=True) as con:
        stored = con.sql(
            "select check_id, check_status, severity, observed_value, threshold, batch_id "
            "from ops.check_results where run_id = 'run-fine' order by check_id"
        ).fetchall()
    assert [(row[0], row[1], row[5]) for row in stored] == sorted(
        (r.check_id, "passed", manifest.batch_id if r.check_id in per_batch else None) for r in gate.results
    )
    assert dict((row[0], row[4]) for row in stored)[NULL_CHECK] == "null fraction ≤ 0.05"

    assert gate.docs_index == settings.data_dir / "quality" / "docs" / "index.html"
    assert "landing.sales.order" in gate.docs_index.read_text(encoding="utf-8")
    captured = capfd.readouterr()
    assert "Calculating Metrics" not in captured.err  # GX progress bars are off


def test_thirty_percent_of_orders_without_account_blocks_publishing(
    settings: Settings, land_orders: LandOrders, land_history: Callable[[int], date]
) -> None:
    day = land_history(3)
    land_orders(day, 4, null_account_fraction=0.3)

    gate = run_checks(settings, "landing", "run-pain", logical_date=day)

    (blocking,) = gate.blocking
    assert blocking.check_id == NULL_CHECK
    assert blocking.check_status is Status.FAILED
    assert blocking.observed_value == pytest.approx(0.30)
    with pytest.raises(QualityBlocked) as raised:
        assert_publishable(settings, "run-pain")
    message = str(raised.value)
    assert NULL_CHECK in message
    assert "observed 0.3000 null (120 rows)" in message
    assert "threshold null fraction ≤ 0.05" in message


def test_relaxing_the_threshold_in_a_policy_copy_flips_the_outcome(
    settings: Settings,
    land_orders: LandOrders,
    land_history: Callable[[int], date],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    day = land_history(3)
    land_orders(day, 4, null_account_fraction=0.3)
    assert not run_checks(settings, "landing", "run-strict", logical_date=day).publishable

    def relax(entry: dict[str, object]) -> None:
        if entry["id"] == NULL_CHECK:
            entry["threshold"] = {"max_null_fraction": 0.4}

    monkeypatch.setenv("CRM_QUALITY_POLICY", str(policy_copy(tmp_path, relax)))
    relaxed = run_checks(settings, "landing", "run-relaxed", logical_date=day)

    assert relaxed.publishable
    assert by_id(relaxed.results)[NULL_CHECK].check_status is Status.PASSED
    assert by_id(relaxed.results)[NULL_CHECK].threshold == "null fraction ≤ 0.4"
    assert_publishable(settings, "run-relaxed")
    with pytest.raises(QualityBlocked):
        assert_publishable(settings, "run-strict")


def test_downgrading_severity_to_warn_publishes_and_lists_the_warning(
    settings: Settings,
    land_orders: LandOrders,
    land_history: Callable[[int], date],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    day = land_history(3)
    land_orders(day, 4, null_account_fraction=0.3)

    def downgrade(entry: dict[str, object]) -> None:
        if entry["id"] == NULL_CHECK:
            entry["severity"] = "warn"

    monkeypatch.setenv("CRM_QUALITY_POLICY", str(policy_copy(tmp_path, downgrade)))
    gate = run_checks(settings, "landing", "run-ache", logical_date=day)

    assert gate.publishable
    assert [w.check_id for w in gate.warnings] == [NULL_CHECK]
    assert_publishable(settings, "run-ache")


def test_routine_aches_warn_and_strategic_pains_block(
    settings: Settings, land_orders: LandOrders, land_history: Callable[[int], date]
) -> None:
    """Unknown channels (warn), a volume collapse (warn), stale data (warn), heavy quarantine (block)."""
    day = land_history(3)
    manifest = land_orders(
        day, 4, rows=50, unknown_channel_rows=5, unknown_status_rows=10, newest_hours_before_end=60
    )
    assert (manifest.rows_in, manifest.rows_loaded, manifest.rows_quarantined) == (50, 40, 10)

    gate = run_checks(settings, "landing", "run-mixed", logical_date=day)

    results = by_id(gate.results)
    assert {w.check_id for w in gate.warnings} == {
        "landing.sales.order.channel_known",
        "landing.sales.order.volume",
        "landing.sales.order.fresh",
    }
    assert [b.check_id for b in gate.blocking] == ["landing.sales.order.quarantine"]
    assert results["landing.sales.order.channel_known"].observed_value == pytest.approx(1 - 5 / 40)
    assert "'fax'" in results["landing.sales.order.channel_known"].observed
    assert results["landing.sales.order.volume"].observed_value == 40
    assert results["landing.sales.order.fresh"].observed_value == pytest.approx(60.0)
    assert results["landing.sales.order.quarantine"].observed_value == pytest.approx(10 / 50)


def test_volume_waits_for_a_baseline_and_rerunning_a_run_replaces_its_rows(
    settings: Settings, land_orders: LandOrders
) -> None:
    land_orders(date(2026, 10, 1), 1)

    first = run_checks(settings, "landing", "run-again")
    second = run_checks(settings, "landing", "run-again")

    volume = by_id(second.results)["landing.sales.order.volume"]
    assert volume.check_status is Status.SKIPPED
    assert volume.message == "0 earlier batches, 3 needed for a baseline"
    with duckdb.connect(str(settings.warehouse_path), read_only=True) as con:
        ((count,),) = con.sql("select count(*) from ops.check_results where run_id = 'run-again'").fetchall()
    assert count == len(first.results) == len(second.results)


def test_a_column_missing_from_the_batch_is_an_error_that_blocks(
    settings: Settings,
    land_orders: LandOrders,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    land_orders(date(2026, 10, 1), 1)

    def rename(entry: dict[str, object]) -> None:
        if entry["id"] == NULL_CHECK:
            entry["column"] = "account_number"

    monkeypatch.setenv("CRM_QUALITY_POLICY", str(policy_copy(tmp_path, rename)))
    gate = run_checks(settings, "landing", "run-drift")

    (blocking,) = gate.blocking
    assert blocking.check_status is Status.ERROR
    assert blocking.message == "column(s) account_number missing from the batch"


def test_publishing_an_unchecked_run_is_refused(settings: Settings) -> None:
    with pytest.raises(QualityBlocked, match="no check results stored for this run"):
        assert_publishable(settings, "never-checked")
