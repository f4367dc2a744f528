"""``crm report``: the manager's page, rendered by a real browser, showing exactly the marts' numbers.

The report is built by the real command (a subprocess) from the serving database of one SF 0.01
pipeline run, opened in headless Chromium (a screenshot and a PDF print are written), and parsed: every
KPI and segment-table value carries its unrounded number in ``data-`` attributes, which must equal what
independent SQL on the marts gives.
"""

from __future__ import annotations

import os
import re
import shutil
import struct
import subprocess
import sys
from datetime import date
from html.parser import HTMLParser
from pathlib import Path

import duckdb
import pytest
from published_pipeline import PublishedRun

from crm.report import SEGMENT_MEASURES, SEGMENT_TYPES, write_report
from crm.settings import Settings

CHROMIUM = Path("/usr/bin/chromium")
WINDOW = (1280, 2400)
IN_CI = os.environ.get("CI", "").lower() == "true"


@pytest.fixture(scope="session")
def chromium() -> Path:
    """Debian's ``chromium``; installed with apt-get when missing (as root). Required in CI."""
    if CHROMIUM.exists():
        return CHROMIUM
    reason = "/usr/bin/chromium is missing and this process is not root, so it cannot apt-get install it"
    if os.geteuid() == 0 and shutil.which("apt-get"):
        environment = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        install = ["apt-get", "install", "-y", "--no-install-recommends", "chromium"]
        done = subprocess.run(
            install, env=environment, capture_output=True, text=True, timeout=900, check=False
        )
        if done.returncode != 0:  # a fresh image has no package lists yet
            subprocess.run(
                ["apt-get", "update"], env=environment, capture_output=True, timeout=300, check=False
            )
            done = subprocess.run(
                install, env=environment, capture_output=True, text=True, timeout=900, check=False
            )
        if done.returncode == 0 and CHROMIUM.exists():
            return CHROMIUM
        reason = f"apt-get install chromium failed: {done.stderr.strip()[-500:]}"
    if IN_CI:
        pytest.fail(f"{reason} (CI=true: the browser test must run)")
    pytest.skip(reason)


@pytest.fixture(scope="module")
def report_page(published_sf001: PublishedRun) -> Path:
    """The report of the published run, written by ``crm report`` in a subprocess."""
    done = subprocess.run(
        [sys.executable, "-m", "crm.cli", "report"],
        env={**os.environ, "CRM_DATA_DIR": str(published_sf001.settings.data_dir)},
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    page = published_sf001.settings.reports_dir / f"segment_performance_{published_sf001.day:%Y-%m-%d}.html"
    assert page.exists(), done.stdout
    return page


class _DataAttributes(HTMLParser):
    """Collects the page's numbers: KPI tiles (``data-kpi``) and segment-table cells."""

    def __init__(self) -> None:
        super().__init__()
        self.kpis: dict[str, dict[str, str]] = {}
        self.cells: dict[tuple[str, str, str], str] = {}
        self._segment_type = ""
        self._segment = ""

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        data = {name: value or "" for name, value in attrs}
        if "data-kpi" in data:
            self.kpis[data["data-kpi"]] = data
        if tag == "table" and "data-segment-type" in data:
            self._segment_type = data["data-segment-type"]
        if tag == "tr" and "data-segment" in data:
            self._segment = data["data-segment"]
        if tag == "td" and "data-measure" in data:
            self.cells[(self._segment_type, self._segment, data["data-measure"])] = data["data-value"]


def _number(text: str) -> float | None:
    return float(text) if text else None


def _same(shown: str, expected: float | None) -> bool:
    """The page's unrounded number equals the mart's (both missing counts as equal)."""
    if expected is None:
        return shown == ""
    return shown != "" and float(shown) == pytest.approx(expected, rel=1e-9)


def _expected_kpis(con: duckdb.DuckDBPyConnection, month: date) -> dict[str, float | None]:
    """The headline metrics of ``month``, from the marts, written independently of ``crm.metrics``."""
    queries = {
        "revenue": "select sum(revenue_usd) from marts.fct_orders where effective_month = $m",
        "active_customers": "select sum(active_customers) from marts.segment_performance "
        "where segment_type = 'lifecycle_stage' and month_start_date = $m",
        "churn_rate": "select sum(churned_customers) "
        "/ nullif(sum(retained_customers + churned_customers), 0) from marts.segment_performance "
        "where segment_type = 'lifecycle_stage' and month_start_date = $m",
        "nps": "select 100.0 * (count(*) filter (where nps_score >= 9) "
        "- count(*) filter (where nps_score <= 6)) / nullif(count(*), 0) "
        "from marts.fct_nps_responses where date_trunc('month', submitted_date) = $m",
        "csat": "select count(*) filter (where satisfaction_score = 'good') "
        "/ nullif(count(satisfaction_score), 0) "
        "from marts.fct_tickets where date_trunc('month', created_date) = $m",
        "win_rate": "select count(*) filter (where is_won) / nullif(count(*) filter (where is_closed), 0) "
        "from marts.fct_opportunities where date_trunc('month', close_date) = $m",
        "pipeline": "select sum(amount_usd) from marts.sales_pipeline_daily where pipeline_date = (select "
        "max(pipeline_date) from marts.sales_pipeline_daily where date_trunc('month', pipeline_date) = $m)",
        "email_click_rate": "select sum(unique_clicks) / nullif(sum(emails_delivered), 0) "
        "from marts.campaign_performance where date_trunc('month', start_date) = $m",
    }
    result = {}
    for name, query in queries.items():
        (value,) = con.execute(query, {"m": month}).fetchall()[0]
        result[name] = None if value is None else float(value)
    return result


def _previous(month: date, months: int) -> date:
    index = month.year * 12 + month.month - 1 - months
    return date(index // 12, index % 12 + 1, 1)


def test_report_shows_the_marts_numbers(report_page: Path, published_sf001: PublishedRun) -> None:
    parsed = _DataAttributes()
    parsed.feed(report_page.read_text(encoding="utf-8"))
    month = published_sf001.day.replace(day=1)
    with duckdb.connect(str(published_sf001.settings.serve_path), read_only=True) as con:
        now, last_month, last_year = (
            _expected_kpis(con, m) for m in (month, _previous(month, 1), _previous(month, 12))
        )
        cells = con.execute(
            "select segment_type, segment, "
            + ", ".join(name for name, _, _ in SEGMENT_MEASURES)
            + " from marts.segment_performance"
            " where month_start_date = ? and segment_type in (select unnest(?))",
            [month, list(SEGMENT_TYPES)],
        ).fetchall()
        at_risk = con.execute(
            "select count(*), sum(revenue_last_12_months_usd) from marts.customer_360 "
            "where retention_status = 'at_risk'"
        ).fetchall()[0]

    assert now["revenue"] and now["active_customers"]  # the month has data: the comparison means something
    for name, expected in now.items():
        shown = parsed.kpis[name]
        assert _same(shown["data-value"], expected), (name, shown["data-value"], expected)
        assert _same(shown["data-previous-month"], last_month[name]), name
        assert _same(shown["data-previous-year"], last_year[name]), name

    expected_cells = {}
    for segment_type, segment, *values in cells:
        for (measure, _, _), value in zip(SEGMENT_MEASURES, values, strict=True):
            expected_cells[(segment_type, segment, measure)] = None if value is None else float(value)
    assert len(expected_cells) >= 12 * len(SEGMENT_MEASURES)  # at least a dozen segments are shown
    assert parsed.cells.keys() == expected_cells.keys()
    for key, expected in expected_cells.items():
        assert _same(parsed.cells[key], expected), (key, parsed.cells[key], expected)

    assert _same(parsed.kpis["at_risk_customers"]["data-value"], at_risk[0])
    assert _same(parsed.kpis["at_risk_revenue"]["data-value"], float(at_risk[1]))


def test_report_is_self_contained_and_printable(report_page: Path) -> None:
    html = report_page.read_text(encoding="utf-8")
    assert "<script" not in html.lower()
    assert not re.search(r"""(src|href)\s*=\s*["']?\s*(https?:|//)""", html, re.IGNORECASE)
    assert "url(" not in html and "@import" not in html
    assert html.count("<svg") >= 6 + 8  # six trend charts and a sparkline per KPI tile
    assert "@media print" in html
    assert "Definitions" in html and "Active customer" in html  # the glossary
    assert "Data quality" in html and "routine ache" in html  # the landing checks warn at SF 0.01


def test_report_renders_in_headless_chromium(report_page: Path, chromium: Path, tmp_path: Path) -> None:
    flags = [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        "--hide-scrollbars",
    ]
    screenshot, pdf = tmp_path / "report.png", tmp_path / "report.pdf"
    for output in (f"--screenshot={screenshot}", f"--print-to-pdf={pdf}"):
        profile = tmp_path / f"profile-{output[2:7]}"  # a fresh profile per run
        done = subprocess.run(
            [str(chromium), *flags, f"--user-data-dir={profile}", f"--window-size={WINDOW[0]},{WINDOW[1]}",
             output, report_page.as_uri()],
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )  # fmt: skip
        assert done.returncode == 0, done.stderr[-2000:]

    png = screenshot.read_bytes()
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", png[16:24])  # the IHDR chunk
    assert (width, height) == WINDOW
    assert len(png) > 100_000  # a rendered page with charts, not a blank canvas
    shutil.copy(screenshot, report_page.with_suffix(".png"))  # kept next to the report for a look
    document = pdf.read_bytes()
    assert document.startswith(b"%PDF")
    assert len(re.findall(rb"/Type\s*/Page\b", document)) >= 2  # the print layout paginates


def test_missing_optional_marts_are_reported_as_not_available(
    published_sf001: PublishedRun, tmp_path: Path
) -> None:
    settings = Settings.from_env(tmp_path / "data")
    settings.serve_path.parent.mkdir(parents=True)
    shutil.copy(published_sf001.settings.serve_path, settings.serve_path)
    with duckdb.connect(str(settings.serve_path)) as con:
        for table in ("marts.campaign_performance", "marts.win_back", "meta.check_results"):
            con.execute(f"drop table {table}")
    earlier = date(published_sf001.day.year, 3, 15)

    page = write_report(settings, earlier)

    assert page.name == f"segment_performance_{earlier:%Y-%m-%d}.html"
    html = page.read_text(encoding="utf-8")
    assert html.count("not available in this run") == 3  # campaigns, win-back, data quality
    parsed = _DataAttributes()
    parsed.feed(html)
    with duckdb.connect(str(settings.serve_path), read_only=True) as con:
        ((revenue,),) = con.execute(
            "select sum(revenue_usd) from marts.fct_orders where effective_month = ?",
            [earlier.replace(day=1)],
        ).fetchall()
    assert _same(parsed.kpis["revenue"]["data-value"], float(revenue))
    assert f"Segment performance — March {earlier.year}" in html
