"""One warehouse built at SF 0.01 for the dbt tests: generate → sources at D1 → ingest → dbt build →
sources at the world's end → ingest → dbt build (incremental). See ``dbt_warehouse.py``.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from datetime import date, timedelta

import pytest
from dbt_warehouse import INCREMENT_DAYS, SCALE_FACTOR, SEED, BuiltWarehouse, load_raw

from crm.settings import Settings
from crm.transform import build


@pytest.fixture(scope="session")
def warehouse(tmp_path_factory: pytest.TempPathFactory) -> Iterator[BuiltWarehouse]:
    """Build the SF 0.01 warehouse once for the dbt tests (they only read it, except the refresh test)."""
    from seeds.generator import generate

    root = tmp_path_factory.mktemp("dbt_sf001")
    previous = os.environ.get("CRM_DATA_DIR")
    os.environ["CRM_DATA_DIR"] = str(root)
    try:
        settings = Settings.from_env(root)
        generate(settings.world_dir, settings.truth_dir, sf=SCALE_FACTOR, seed=SEED)
        last_day = date.fromisoformat(json.loads((settings.world_dir / "world.json").read_text())["end"])
        first_day = last_day - timedelta(days=INCREMENT_DAYS)

        load_raw(settings, first_day)
        first = build(settings)
        assert first.success, f"first dbt build failed: {[node.unique_id for node in first.failures]}"
        load_raw(settings, last_day)
        incremental = build(settings)
        assert incremental.success, f"incremental build failed: {[n.unique_id for n in incremental.failures]}"
        yield BuiltWarehouse(settings, first_day, last_day, first, incremental)
    finally:
        if previous is None:
            os.environ.pop("CRM_DATA_DIR", None)
        else:
            os.environ["CRM_DATA_DIR"] = previous
