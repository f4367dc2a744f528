"""Both GX engines of the gate (``CRM_GX_ENGINE=sql|pandas``) judge the same data the same way."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from pathlib import Path

import pytest
from typer.testing import CliRunner

from crm.cli import app
from crm.settings import Settings
from ingestion.landing import Manifest
from quality.gate import GateResult, run_checks
from quality.gx_runtime import ENGINE_ENV, engine_from_env
from quality.results import Status
from tests.quality.conftest import write_serving_file

LandOrders = Callable[..., Manifest]


def verdicts(gate: GateResult) -> dict[str, tuple[Status, float | None, str]]:
    return {r.check_id: (r.check_status, r.observed_value, r.observed) for r in gate.results}


def test_sql_and_pandas_give_the_same_results_on_a_dirty_batch_and_broken_marts(
    settings: Settings, land_orders: LandOrders, land_history: Callable[[int], date]
) -> None:
    day = land_history(3)
    land_orders(
        day,
        4,
        rows=300,
        null_account_fraction=0.1,
        unknown_channel_rows=6,
        newest_hours_before_end=50,
    )
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

    sql = run_checks(settings, "all", "run-sql", logical_date=day, engine="sql")
    pandas = run_checks(settings, "all", "run-pandas", logical_date=day, engine="pandas")

    assert verdicts(sql) == verdicts(pandas)
    seen = verdicts(sql)
    assert seen["landing.sales.order.account_id_complete"][:2] == (Status.FAILED, pytest.approx(0.1))
    assert seen["landing.sales.order.channel_known"][:2] == (Status.FAILED, pytest.approx(1 - 6 / 300))
    assert "'fax'" in seen["landing.sales.order.channel_known"][2]
    assert seen["landing.sales.order.fresh"][:2] == (Status.FAILED, pytest.approx(50.0))
    assert seen["landing.sales.order.volume"][:2] == (Status.PASSED, 300)
    assert seen["mart.segment_performance.revenue_not_negative"][:2] == (Status.FAILED, pytest.approx(3 / 4))
    assert seen["mart.dim_customer.one_segment_each"][:2] == (Status.FAILED, pytest.approx(1 - 3 / 5))
    assert seen["mart.dim_customer.one_value_tier_each"][:2] == (Status.FAILED, pytest.approx(1 - 2 / 5))


def test_the_engine_comes_from_the_environment_and_a_bad_value_is_refused(
    data_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(ENGINE_ENV, raising=False)
    assert engine_from_env() == "sql"
    monkeypatch.setenv(ENGINE_ENV, " Pandas ")
    assert engine_from_env() == "pandas"
    monkeypatch.setenv(ENGINE_ENV, "spark")
    with pytest.raises(ValueError, match=r"CRM_GX_ENGINE='spark': must be one of sql, pandas"):
        engine_from_env()

    result = CliRunner().invoke(app, ["--data-dir", str(data_dir), "check"], env={"COLUMNS": "200"})

    assert result.exit_code == 2
    assert "CRM_GX_ENGINE='spark'" in result.output
