"""GX on a real DuckDB serving file (pandas path, read-only): sane marts pass, broken ones are reported."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from crm.settings import Settings
from quality.gate import QualityBlocked, assert_publishable, run_checks
from quality.results import Status
from tests.quality.conftest import write_serving_file

REVENUE = "mart.segment_performance.revenue_not_negative"
NPS = "mart.segment_performance.nps_in_range"
ONE_SEGMENT = "mart.dim_customer.one_segment_each"
ONE_TIER = "mart.dim_customer.one_value_tier_each"


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_sane_marts_pass_and_the_serving_file_is_not_modified(settings: Settings) -> None:
    serve = write_serving_file(settings.serve_path)
    before = sha256(serve)

    gate = run_checks(settings, "marts", "run-marts-ok")

    results = {r.check_id: r for r in gate.results}
    assert set(results) == {REVENUE, NPS, ONE_SEGMENT, ONE_TIER}  # dbt_test entries are dbt's
    assert {r.check_status for r in results.values()} == {Status.PASSED}, [r.describe() for r in gate.results]
    assert results[REVENUE].observed_value == 1.0
    assert results[ONE_SEGMENT].observed_value == 1.0  # the prospect without a segment is exempt
    assert results[ONE_SEGMENT].threshold.endswith("(except lifecycle_stage in Prospect)")
    assert sha256(serve) == before
    assert_publishable(settings, "run-marts-ok")


def test_broken_marts_are_reported_with_what_was_observed(settings: Settings) -> None:
    write_serving_file(
        settings.serve_path,
        revenue=[1200.0, -35.0, 0.0, 45.0],
        nps=[35.0, 120.0, None, -100.0],
        customers=[
            ("c1", "Active", "Gold", "Champions"),
            ("c1", "Active", "Gold", "Loyal"),  # twice
            ("c2", "Active", "Silver", None),  # an ordering customer without a segment
            ("c3", "Churned", "Bronze", "Lost"),
            ("c4", "Prospect", None, None),  # exempt: never ordered
        ],
    )

    gate = run_checks(settings, "marts", "run-marts-bad")

    results = {r.check_id: r for r in gate.results}
    assert {r.check_id for r in gate.blocking} == {REVENUE, NPS, ONE_SEGMENT, ONE_TIER}
    assert results[REVENUE].observed_value == pytest.approx(3 / 4)
    assert "-35.0" in results[REVENUE].observed
    assert results[NPS].observed_value == pytest.approx(2 / 3)  # the null NPS month is not judged
    assert "120.0" in results[NPS].observed
    assert results[ONE_SEGMENT].observed_value == pytest.approx(1 - 3 / 5)  # c1 twice, c2 unsegmented
    assert results[ONE_TIER].observed_value == pytest.approx(1 - 2 / 5)  # c1 twice; c4 is a prospect
    with pytest.raises(QualityBlocked, match=r"mart\.segment_performance\.revenue_not_negative on mart:"):
        assert_publishable(settings, "run-marts-bad")


def test_a_candidate_serving_file_can_be_checked_before_the_swap(settings: Settings, tmp_path: Path) -> None:
    candidate = write_serving_file(tmp_path / "next.duckdb", revenue=[-1.0, 2.0, 3.0, 4.0])

    gate = run_checks(settings, "marts", "run-candidate", serve_path=candidate)

    assert [r.check_id for r in gate.blocking] == [REVENUE]
    assert not settings.serve_path.exists()


def test_missing_marts_are_errors_and_a_missing_serving_file_is_skipped(settings: Settings) -> None:
    skipped = run_checks(settings, "marts", "run-no-serve")
    assert {r.check_status for r in skipped.results} == {Status.SKIPPED}
    assert skipped.publishable

    write_serving_file(settings.serve_path)
    import duckdb

    with duckdb.connect(str(settings.serve_path)) as con:
        con.execute("drop table marts.dim_customer")
    gate = run_checks(settings, "marts", "run-no-table")

    assert {r.check_id for r in gate.blocking} == {ONE_SEGMENT, ONE_TIER}
    for error in gate.blocking:
        assert error.check_status is Status.ERROR
        assert error.message == f"table marts.dim_customer not in {settings.serve_path}"
