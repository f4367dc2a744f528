"""``crm demo`` — what ``make demo`` runs — end to end on a small world: every DAG run succeeds, the
marts are previewed and the last line names the segment performance report, which exists."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.dags.conftest import run_crm

pytestmark = pytest.mark.slow


def test_the_demo_runs_the_dags_and_ends_with_the_report_path(data_dir: Path) -> None:
    done = run_crm(data_dir, "demo", "--sf", "0.01", "--days", "2", timeout=900, COLUMNS="200")
    assert done.returncode == 0, (done.stdout[-3000:], done.stderr[-3000:])
    out = done.stdout
    assert "Airflow DAG runs" in out
    for dag_id in ("ingest_sales", "ingest_support", "ingest_marketing", "transform"):
        assert re.search(rf"{dag_id}\s+│\s+success", out), f"{dag_id} did not succeed:\n{out[-3000:]}"
    assert "marts.customer_360" in out and "marts.segment_performance" in out
    assert "every DAG run succeeded" in out
    last = out.strip().splitlines()[-1]
    assert last.startswith("The segment performance report:"), last
    report = Path(last.split(":", 1)[1].strip())
    assert report.is_file() and report.suffix == ".html"
    assert report.parent == data_dir / "reports"
