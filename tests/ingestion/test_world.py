"""Ingestion against a generated SF 0.01 world through the real transports: every row accounted for
(raw = what the sources show − quarantined − failed), and re-running changes nothing.

One world is generated per module and copied per test (generation is the slow part)."""

from __future__ import annotations

import dataclasses
import json
import shutil
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path

import pytest

from crm.settings import Settings
from ingestion import run
from tests.ingestion.helpers import query, raw_fingerprints

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def world_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from seeds.generator import generate

    root = tmp_path_factory.mktemp("sf001")
    generate(root / "world", root / "truth", sf=0.01, seed=7)
    return root


@pytest.fixture
def world(data_dir: Path, world_template: Path) -> Iterator[Settings]:
    """A private copy of the SF 0.01 world with the support API running on it."""
    from seeds.transports.support_api import start_server

    for part in ("world", "truth"):
        shutil.copytree(world_template / part, data_dir / part)
    settings = Settings.from_env(data_dir)
    with start_server(settings, token=settings.support_token) as server:
        yield dataclasses.replace(settings, support_url=server.url)


def _world_end(settings: Settings) -> date:
    return date.fromisoformat(json.loads((settings.world_dir / "world.json").read_text())["end"])


def test_raw_rows_equal_what_the_sources_show_minus_quarantined_and_failed(world: Settings) -> None:
    from seeds.transports import advance, status

    end = _world_end(world)
    advance(world, end)
    report = run.ingest(world, ["sales", "support", "marketing"], [end])
    assert not report.errors
    shown = status(world)["entities"]
    quarantined = {k: 0 for k in shown}
    failed = {k: 0 for k in shown}
    for source, entity, q, f in query(
        world,
        "select source, entity, sum(q), sum(f) from ("
        " select source, entity, rows_quarantined q, 0 f from ops.load_manifest"
        " union all select source, entity, 0, rows_in from ops.failed_batches) group by all",
    ):
        quarantined[f"{source}.{entity}"] = int(q)
        failed[f"{source}.{entity}"] = int(f)
    assert sum(quarantined.values()) > 0  # the world carries dirt: some rows must have been quarantined
    for qualified, rows in shown.items():
        source, entity = qualified.split(".")
        (raw_rows,) = query(world, f'select count(*) from raw."{source}__{entity}"')[0]
        assert raw_rows == rows - quarantined[qualified] - failed[qualified], qualified
    reasons = query(world, "select split_part(reason, ':', 1), count(*) from ops.quarantine group by 1")
    assert all(field for field, _ in reasons)  # every reason names its field


def test_a_rerun_and_a_day_by_day_backfill_give_the_same_raw_content(world: Settings, tmp_path: Path) -> None:
    from seeds.transports import advance

    end = _world_end(world)
    days = [end - timedelta(days=2), end - timedelta(days=1), end]
    advance(world, end)
    run.ingest(world, ["sales", "support", "marketing"], [end])
    once = raw_fingerprints(world)
    assert run.ingest(world, ["sales", "support", "marketing"], [end]).landed == []
    assert raw_fingerprints(world) == once

    daily = dataclasses.replace(world, data_dir=tmp_path / "daily")
    shutil.copytree(world.world_dir, daily.world_dir)
    shutil.copytree(world.sources_dir, daily.sources_dir)
    run.ingest(daily, ["sales", "support", "marketing"], days)
    assert raw_fingerprints(daily) == once


def test_contracts_match_the_generated_world_columns_and_types(world_template: Path) -> None:
    import polars as pl

    for entity in run.all_entities():
        schema = pl.read_parquet_schema(world_template / "world" / entity.source / f"{entity.name}.parquet")
        for column in entity.columns:
            assert column.name in schema, f"{entity.qualified_name}.{column.name} is not in the world"
            if entity.source == "marketing":
                assert schema[column.name] == pl.String  # files carry text; the contract parses it
            else:
                assert schema[column.name] == column.dtype, f"{entity.qualified_name}.{column.name}"
