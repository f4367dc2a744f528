"""The semantic layer: ``mf query`` (MetricFlow on the warehouse, a real subprocess) against the marts.

MetricFlow computes the headline metrics from ``dbt_project/models/marts/_semantic_models.yml``; the
report computes them on the serving database with ``crm.metrics``. Revenue by month must equal the mart
(``fct_orders``), and every headline metric must be the same number both ways, month by month.
"""

from __future__ import annotations

import csv
import os
import subprocess
import sys
from datetime import date
from pathlib import Path

import duckdb
import pytest
from published_pipeline import PublishedRun

from crm.metrics import HEADLINE_METRICS, metricflow_project, monthly_metrics
from crm.transform import dbt_environment

MF = str(Path(sys.executable).with_name("mf"))


@pytest.fixture(scope="module")
def metricflow_by_month(
    published_sf001: PublishedRun, tmp_path_factory: pytest.TempPathFactory
) -> list[dict]:
    """Every headline metric by ``metric_time__month``, as ``mf query --csv`` writes it."""
    project = metricflow_project(published_sf001.settings)
    out = tmp_path_factory.mktemp("mf") / "metrics.csv"
    names = ",".join(metric.name for metric in HEADLINE_METRICS)
    done = subprocess.run(
        [MF, "query", "--metrics", names, "--group-by", "metric_time__month", "--csv", str(out)],
        cwd=project,
        env={**os.environ, **dbt_environment(published_sf001.settings)},
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0 and out.exists(), f"mf query failed:\n{done.stdout}\n{done.stderr}"
    with out.open(newline="") as handle:
        return list(csv.DictReader(handle))


def _month(text: str) -> date | None:
    return date.fromisoformat(text[:10]) if text else None


def test_mf_query_returns_the_revenue_by_month_of_the_mart(
    metricflow_by_month: list[dict], published_sf001: PublishedRun
) -> None:
    with duckdb.connect(str(published_sf001.settings.warehouse_path), read_only=True) as con:
        mart = dict(
            con.execute(
                "select effective_month, sum(revenue_usd) from marts.fct_orders "
                "where effective_month is not null group by 1"
            ).fetchall()
        )
    from_mf = {
        _month(row["metric_time__month"]): float(row["revenue"])
        for row in metricflow_by_month
        if row["revenue"] and row["metric_time__month"]
    }
    assert len(mart) >= 12  # two years of history at SF 0.01
    assert from_mf.keys() == mart.keys()
    for month, revenue in mart.items():
        assert from_mf[month] == pytest.approx(float(revenue), abs=1e-6), month


def test_the_reports_metrics_equal_metricflows_for_every_headline_metric(
    metricflow_by_month: list[dict], published_sf001: PublishedRun
) -> None:
    with duckdb.connect(str(published_sf001.settings.serve_path), read_only=True) as con:
        ours = {row["month"]: row for row in monthly_metrics(con).iter_rows(named=True)}
    # MetricFlow also reports a null month for rows without a date (e.g. a campaign with no start date);
    # the report has no such month.
    theirs = {
        _month(row["metric_time__month"]): row for row in metricflow_by_month if row["metric_time__month"]
    }
    compared = dict.fromkeys((metric.name for metric in HEADLINE_METRICS), 0)
    for month in sorted(ours.keys() | theirs.keys()):
        for metric in HEADLINE_METRICS:
            mine = ours.get(month, {}).get(metric.name)
            text = theirs.get(month, {}).get(metric.name) or ""
            other = float(text) if text else None
            assert (mine is None) == (other is None), (month, metric.name, mine, other)
            if mine is not None:
                assert mine == pytest.approx(other, rel=1e-9, abs=1e-9), (month, metric.name)
                compared[metric.name] += 1
    assert min(compared.values()) >= 6, compared  # NPS surveys are the sparsest: still half a year of months
