"""``crm docs``: dbt's documentation of the published run as one offline page under ``<data>/docs/``."""

from __future__ import annotations

import json
import os
import subprocess
import sys

from published_pipeline import PublishedRun


def test_crm_docs_writes_an_offline_page_with_the_marts_and_the_metrics(
    published_sf001: PublishedRun,
) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "crm.cli", "docs"],
        env={**os.environ, "CRM_DATA_DIR": str(published_sf001.settings.data_dir)},
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    docs = published_sf001.settings.data_dir / "docs"
    page = (docs / "index.html").read_text(encoding="utf-8")
    assert "model.crm.segment_performance" in page  # the manifest is embedded: opens from file://
    manifest = json.loads((docs / "manifest.json").read_text(encoding="utf-8"))
    assert {"revenue", "churn_rate", "nps", "csat", "win_rate", "pipeline", "email_click_rate"} <= {
        metric["name"] for metric in manifest["metrics"].values()
    }
    catalog = json.loads((docs / "catalog.json").read_text(encoding="utf-8"))
    columns = catalog["nodes"]["model.crm.dim_person"]["columns"]
    assert columns["email"]["type"].upper() == "VARCHAR"  # the catalog was read from the warehouse
