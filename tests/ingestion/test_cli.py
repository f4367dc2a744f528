"""``crm ingest`` / ``crm status`` as a user runs them: on the embedded defaults the support simulator
is started for the run, a summary table is printed, and a failed batch makes the exit code 1."""

from __future__ import annotations

from datetime import date

import typer
from typer.testing import CliRunner

from crm.settings import Settings
from ingestion.cli import ingest, status
from seeds.transports import advance
from tests.ingestion.helpers import query

app = typer.Typer()
app.command("ingest")(ingest)
app.command("status")(status)


def test_ingest_on_the_embedded_defaults_just_works_and_status_shows_every_entity(tiny: Settings) -> None:
    advance(tiny, date(2025, 1, 3))
    runner = CliRunner()
    result = runner.invoke(app, ["ingest"], env={"COLUMNS": "200"})  # the clock's date: 2025-01-03
    # The tiny world delivers a truncated campaigns file: reported, exit code 1, the rest loaded.
    assert result.exit_code == 1, result.output
    assert "started the local simulator" in result.output
    assert "failed batch marketing__campaigns__20250103" in result.output
    assert "support.tickets" in result.output and "sales.account" in result.output
    assert query(tiny, "select max(logical_date)::varchar from ops.load_manifest") == [("2025-01-03",)]
    assert query(tiny, "select count(*) from raw.support__tickets")[0][0] > 0

    shown = runner.invoke(app, ["status"], env={"COLUMNS": "250"})
    assert shown.exit_code == 0, shown.output
    assert shown.output.count("2025-01-03") >= 20 and "marketing.nps_responses" in shown.output


def test_backfill_range_runs_day_by_day(tiny: Settings) -> None:
    advance(tiny, date(2025, 1, 2))
    result = CliRunner().invoke(
        app, ["ingest", "--source", "sales", "--from", "2025-01-01", "--to", "2025-01-02"]
    )
    assert result.exit_code == 0, result.output
    dates = query(tiny, "select distinct logical_date::varchar from ops.load_manifest order by 1")
    assert dates == [("2025-01-01",), ("2025-01-02",)]
