"""The warehouses the dbt tests share (see ``dbt_warehouse.py``).

``warehouse``: SF 0.01, generate → sources at D1 → ingest → dbt build → sources at the world's end →
ingest → dbt build (incremental); built per test session (per xdist worker), the dbt tests read it.

``large_warehouse``: SF 0.1, generate → sources at the world's end → ingest → dbt build; built once per
test session *across* xdist workers (the first worker to need it builds it under a file lock in the
session's shared temporary directory, the others wait and read it). Nobody writes to it.

``truth_warehouse``: each truth test runs on both, parametrized by scale factor.
"""

from __future__ import annotations

import fcntl
import json
import os
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path

import pytest
from dbt_warehouse import (
    INCREMENT_DAYS,
    LARGE_SCALE_FACTOR,
    SCALE_FACTOR,
    SEED,
    TRUTH_SCALE_FACTORS,
    BuiltWarehouse,
    TruthWarehouse,
    load_raw,
)

from crm.settings import Settings
from crm.transform import BuildSummary, build


def _generate(root: Path, scale_factor: float) -> tuple[Settings, date]:
    from seeds.generator import generate

    settings = Settings.from_env(root)
    generate(settings.world_dir, settings.truth_dir, sf=scale_factor, seed=SEED)
    last_day = date.fromisoformat(json.loads((settings.world_dir / "world.json").read_text())["end"])
    return settings, last_day


def _build(settings: Settings, label: str) -> BuildSummary:
    summary = build(settings)
    assert summary.success, f"{label} dbt build failed: {[node.unique_id for node in summary.failures]}"
    return summary


class _DataDirInEnvironment:
    """CRM_DATA_DIR set to one data directory while a block runs (dbt's profile reads it)."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.previous: str | None = None

    def __enter__(self) -> None:
        self.previous = os.environ.get("CRM_DATA_DIR")
        os.environ["CRM_DATA_DIR"] = str(self.root)

    def __exit__(self, *_: object) -> None:
        if self.previous is None:
            os.environ.pop("CRM_DATA_DIR", None)
        else:
            os.environ["CRM_DATA_DIR"] = self.previous


@pytest.fixture(scope="session")
def warehouse(tmp_path_factory: pytest.TempPathFactory) -> Iterator[BuiltWarehouse]:
    """Build the SF 0.01 warehouse once for the dbt tests (they only read it, except the refresh test)."""
    root = tmp_path_factory.mktemp("dbt_sf001")
    with _DataDirInEnvironment(root):
        settings, last_day = _generate(root, SCALE_FACTOR)
        first_day = last_day - timedelta(days=INCREMENT_DAYS)
        load_raw(settings, first_day)
        first = _build(settings, "first")
        load_raw(settings, last_day)
        incremental = _build(settings, "incremental")
        yield BuiltWarehouse(
            settings=settings,
            scale_factor=SCALE_FACTOR,
            last_day=last_day,
            first_day=first_day,
            first_build=first,
            incremental_build=incremental,
        )


def _shared_temp_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The session's temporary root every xdist worker sees (each worker's own basetemp is below it)."""
    basetemp = tmp_path_factory.getbasetemp()
    return basetemp.parent if os.environ.get("PYTEST_XDIST_WORKER") else basetemp


@pytest.fixture(scope="session")
def large_warehouse(tmp_path_factory: pytest.TempPathFactory) -> TruthWarehouse:
    """The SF 0.1 warehouse, built by the first worker that asks for it, read by all."""
    shared = _shared_temp_dir(tmp_path_factory)
    root = shared / "dbt_sf01"
    built_marker = shared / "dbt_sf01.built.json"
    with (shared / "dbt_sf01.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # released when the file closes, also if the build fails
        if not built_marker.exists():
            root.mkdir(exist_ok=True)
            with _DataDirInEnvironment(root):
                settings, last_day = _generate(root, LARGE_SCALE_FACTOR)
                load_raw(settings, last_day)
                _build(settings, "SF 0.1")
            built_marker.write_text(json.dumps({"last_day": last_day.isoformat()}), encoding="utf-8")
    recorded = json.loads(built_marker.read_text(encoding="utf-8"))
    return TruthWarehouse(
        Settings.from_env(root), LARGE_SCALE_FACTOR, date.fromisoformat(recorded["last_day"])
    )


@pytest.fixture(
    params=[pytest.param(factor, id=f"sf{factor}") for factor in TRUTH_SCALE_FACTORS],
)
def truth_warehouse(request: pytest.FixtureRequest) -> TruthWarehouse:
    """The warehouse of each truth scale factor in turn (SF 0.01, then SF 0.1)."""
    if request.param == SCALE_FACTOR:
        warehouse: TruthWarehouse = request.getfixturevalue("warehouse")
        return warehouse
    large: TruthWarehouse = request.getfixturevalue("large_warehouse")
    return large
