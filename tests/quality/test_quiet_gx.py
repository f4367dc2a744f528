"""GX under an INFO root logger (as in Airflow) stays quiet when imported through quality.gx_runtime."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable
from datetime import date
from pathlib import Path

from crm.settings import Settings
from ingestion.landing import Manifest
from tests.quality.conftest import write_serving_file

LandOrders = Callable[..., Manifest]

FLOOD = "Skipping registering function"
SETUP = "import logging; logging.basicConfig(level=logging.INFO); "


def run(code: str) -> str:
    done = subprocess.run([sys.executable, "-c", SETUP + code], capture_output=True, text=True, check=True)
    return done.stdout + done.stderr


def test_importing_gx_directly_floods_the_log_but_through_quality_it_does_not() -> None:
    assert FLOOD in run("import great_expectations")  # the problem is real here ...
    quiet = run(
        "from quality.gx_runtime import new_context; import great_expectations; new_context(None); "
        "print('context ready')"
    )
    assert "context ready" in quiet
    assert FLOOD not in quiet  # ... and gone through quality.gx_runtime
    assert "great_expectations" not in quiet


NANOBIND = "nanobind: leaked"


def test_a_real_validation_on_duckdb_exits_without_nanobind_leak_walls(
    settings: Settings, land_orders: LandOrders, tmp_path: Path
) -> None:
    """GX + duckdb-engine left DuckDB's nanobind objects alive at exit (quality.gx_duckdb's docstring)."""
    bare = subprocess.run(
        [sys.executable, "-c", "import great_expectations, duckdb_engine"], capture_output=True, text=True
    )
    assert NANOBIND in bare.stderr  # the problem is real without quality.gx_duckdb ...
    land_orders(date(2026, 10, 1), 1)
    write_serving_file(settings.serve_path)
    code = (
        "from crm.settings import Settings; from quality.gate import run_checks; "
        f"gate = run_checks(Settings.from_env({str(settings.data_dir)!r}), 'all', 'quiet', engine='sql'); "
        "print(sum(r.check_status.value == 'passed' for r in gate.results), "
        "len(gate.blocking + gate.warnings))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    passed, breaches = map(int, done.stdout.split())
    assert passed >= 12 and breaches == 0  # the landing and mart checks really ran on DuckDB
    assert "nanobind" not in done.stderr  # ... and gone after a real validation through quality
