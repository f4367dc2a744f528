"""``crm sources advance`` and ``crm sources status`` through the command line."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from typer.testing import CliRunner
from world_fixture import write_tiny_world

from crm.settings import Settings
from seeds.transports import clock, sales_db, status
from seeds.transports.cli import sources_app


def test_advance_then_status_from_the_command_line(data_dir: Path) -> None:
    write_tiny_world(data_dir / "world")
    runner = CliRunner()
    advanced = runner.invoke(sources_app, ["advance", "--to", "2025-01-04"])
    assert advanced.exit_code == 0, advanced.output
    assert "sales.account" in advanced.output
    settings = Settings.from_env(data_dir)
    assert clock.read_clock(settings) == date(2025, 1, 4)
    assert sales_db.row_counts(settings.sales_db_url)["account"] == 4
    shown = runner.invoke(sources_app, ["status"])
    assert shown.exit_code == 0, shown.output
    assert "as of 2025-01-04" in shown.output
    assert "4 delivery folder(s)" in shown.output
    report = status(settings)
    assert report["entities"]["support.ticket_events"] == 5
    assert report["entities"]["sales.account"] == 4
    assert report["entities"]["marketing.contacts"] == 12  # 4 folders of 3, the late file of the 2nd included
    rejected = runner.invoke(sources_app, ["advance", "--to", "04/01/2025"])
    assert rejected.exit_code != 0 and "YYYY-MM-DD" in rejected.output
