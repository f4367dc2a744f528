"""``crm check``: exit 0 with the warnings listed, 1 naming the blocking check, 2 on a bad policy."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from pathlib import Path

import pytest
from typer.testing import CliRunner

from crm.cli import app
from ingestion.landing import Manifest

LandOrders = Callable[..., Manifest]
runner = CliRunner()


@pytest.fixture(autouse=True)
def wide_console(monkeypatch: pytest.MonkeyPatch) -> None:
    """quality.cli's consoles take their width when first imported (80 columns in an xdist worker):
    give them room, so a check id is never folded across lines of the table."""
    from rich.console import Console

    import quality.cli

    monkeypatch.setattr(quality.cli, "console", Console(width=200))
    monkeypatch.setattr(quality.cli, "err_console", Console(width=200, stderr=True))


def crm(data_dir: Path, *args: str) -> tuple[int, str]:
    args = ("--data-dir", str(data_dir), "check", *args)
    result = runner.invoke(app, list(args), env={"COLUMNS": "200"}, catch_exceptions=False)
    return result.exit_code, result.output


def test_warnings_only_exit_zero_and_are_listed(
    data_dir: Path, land_orders: LandOrders, land_history: Callable[[int], date]
) -> None:
    day = land_history(3)
    land_orders(day, 4, unknown_channel_rows=40)

    code, output = crm(data_dir, "--stage", "landing", "--run-id", "cli-warn", "--date", day.isoformat())

    assert code == 0, output
    assert "landing.sales.order.channel_known" in output
    assert "1 warning(s)" in output
    assert "publishable" in output


def test_a_block_exits_non_zero_naming_check_observed_value_and_threshold(
    data_dir: Path, land_orders: LandOrders
) -> None:
    land_orders(date(2026, 10, 1), 1, null_account_fraction=0.3)

    code, output = crm(data_dir, "--stage", "landing", "--run-id", "cli-block")

    assert code == 1, output
    assert "blocked: 1 strategic pain(s)" in output
    assert (
        "landing.sales.order.account_id_complete on landing:sales.order [sales__order__20261001__000001]: "
        "failed, observed 0.3000 null (120 rows), threshold null fraction ≤ 0.05"
    ) in output


def test_an_invalid_policy_exits_two_with_the_reason(
    data_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    policy = tmp_path / "policy.yml"
    policy.write_text("checks:\n  - {id: x.y, kind: not_null}\n", encoding="utf-8")
    monkeypatch.setenv("CRM_QUALITY_POLICY", str(policy))

    code, output = crm(data_dir, "--stage", "landing")

    assert code == 2
    assert "invalid quality policy" in output
    assert "checks[0] (id 'x.y')" in output
