"""``crm bench``: the harness measures real processes and reports every stage with its rows.

No timing assertions here (timings belong to ``make bench``): the tests check that each stage ran as
a process, wrote rows the harness could count, and that the results have the shape targets.md asks
for — one table and the ratios, as JSON and Markdown.
"""

from __future__ import annotations

import json
import os
import sys
import textwrap
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from crm.bench.process import run_process
from crm.bench.results import (
    GROUP_DAG,
    GROUP_PEER,
    GROUP_PIPELINE,
    GROUP_SETUP,
    NOT_AVAILABLE,
    BenchResult,
    RunResult,
    StageResult,
)
from crm.bench.stages import Bench, BenchOptions

MIB = 2**20
PIPELINE_STAGES = (
    "pipeline.extract_sales",
    "pipeline.extract_support",
    "pipeline.extract_marketing",
    "pipeline.load",
    "pipeline.dbt_build",
    "pipeline.checks",
    "pipeline.publish",
    "pipeline.report",
)
INCREMENTAL_STAGES = tuple(stage.replace("pipeline.", "incremental.") for stage in PIPELINE_STAGES[4:])


def test_peak_memory_covers_a_grandchild_and_output_is_kept(tmp_path: Path) -> None:
    # the child starts a grandchild that holds 200 MiB: the stage's peak must include it
    grandchild = "b = bytearray(200 * 2**20); b[::4096] = b'x' * len(b[::4096]); print('held')"
    child = textwrap.dedent(
        f"""
        import subprocess, sys
        subprocess.run([sys.executable, "-c", {grandchild!r}], check=True)
        print("child done")
        """
    )
    run = run_process([sys.executable, "-c", child], env={"PATH": "/usr/bin:/bin"}, log_stem=tmp_path / "s")

    assert run.ok
    assert run.peak_rss_bytes >= 200 * MIB
    assert run.seconds > 0
    assert run.stdout().splitlines() == ["held", "child done"]


def test_a_failing_command_reports_its_exit_code_and_error(tmp_path: Path) -> None:
    run = run_process(
        [sys.executable, "-c", "import sys; sys.exit('no warehouse here')"],
        env={"PATH": "/usr/bin:/bin"},
        log_stem=tmp_path / "failing",
    )

    assert run.returncode == 1
    assert "no warehouse here" in run.stderr_tail()


def test_a_command_past_its_time_limit_is_stopped_with_its_children(tmp_path: Path) -> None:
    sleeper = "import time; time.sleep(60)"
    child = (
        f"import subprocess, sys, time; subprocess.Popen([sys.executable, '-c', {sleeper!r}]); time.sleep(60)"
    )
    run = run_process(
        [sys.executable, "-c", child],
        env={"PATH": "/usr/bin:/bin"},
        log_stem=tmp_path / "slow",
        timeout_seconds=1,
    )

    assert run.timed_out
    assert run.returncode < 0  # ended by a signal
    assert _group_gone(run.pid)  # the grandchild too


def _group_gone(group: int) -> bool:
    for _ in range(100):  # a signalled grandchild is reaped by init a moment later
        try:
            os.killpg(group, 0)
        except ProcessLookupError:
            return True
        time.sleep(0.1)
    return False


def test_ratios_are_medians_of_per_run_ratios_with_verdicts() -> None:
    runs = []
    for index, (cli_stage_seconds, dag_seconds) in enumerate([(10.0, 60.0), (20.0, 100.0), (30.0, 300.0)]):
        run = RunResult(index + 1)
        for stage in PIPELINE_STAGES:  # 8 stages: the CLI pipeline sums to 8 × cli_stage_seconds
            run.stages.append(StageResult(stage, stage, GROUP_PIPELINE, seconds=cli_stage_seconds, rows=100))
        run.stages.append(StageResult("dag.run", "dags", GROUP_DAG, seconds=dag_seconds, rows=800))
        run.stages.append(StageResult("peer.dbt_build", "peer", GROUP_PEER, status=NOT_AVAILABLE))
        runs.append(run)
    result = _result(runs)

    ratios = {ratio.name: ratio for ratio in result.ratios()}
    # per run DAG ÷ CLI: 60/80, 100/160, 300/240 → median 0.75 (the ratio of the medians would be 0.625)
    assert ratios["Airflow DAGs ÷ CLI"].value == pytest.approx(0.75)
    assert ratios["Airflow DAGs ÷ CLI"].met is True
    assert ratios["full pipeline, no Airflow (s)"].value == 160
    assert ratios["full pipeline, no Airflow (s)"].met is False
    assert ratios["PostgreSQL dbt ÷ DuckDB dbt"].met is None
    assert "not available" in ratios["PostgreSQL dbt ÷ DuckDB dbt"].note
    total = next(row for row in result.summary() if row.stage == "pipeline.total")
    assert (total.seconds, total.rows) == (160, 300)  # rows: what the three extracts landed
    assert "| Airflow DAGs ÷ CLI | 0.75 × | ≤ 1.3 × | met |" in result.to_markdown()


def test_scale_factors_above_1_need_allow_large() -> None:
    from crm.cli import app

    outcome = CliRunner().invoke(app, ["bench", "--sf", "10"])

    assert outcome.exit_code == 2
    assert "--allow-large" in outcome.output


def test_a_bench_that_cannot_fit_is_refused_before_it_starts(tmp_path: Path) -> None:
    from crm.cli import app

    work_dir = tmp_path / "work"
    outcome = CliRunner().invoke(
        app, ["bench", "--sf", "100000", "--allow-large", "--keep", str(work_dir), "--out", str(tmp_path)]
    )

    said = " ".join(outcome.output.split())  # rich wraps long lines
    assert outcome.exit_code == 2, said
    assert "does not fit on this machine" in said
    assert "GiB of memory" in said and "GiB of disk" in said
    assert not work_dir.exists()  # nothing generated, nothing left behind


def test_the_room_a_bench_needs_grows_with_the_scale_and_the_paths(tmp_path: Path) -> None:
    from crm.bench.preflight import Room, room_for

    sf1_cli = room_for(1, ("cli",), tmp_path, keep=False, runs=3)
    sf10_both = room_for(10, ("cli", "dag"), tmp_path, keep=False, runs=3)
    sf10_both_kept = room_for(10, ("cli", "dag"), tmp_path, keep=True, runs=3)

    assert sf10_both.memory_needed > 9 * sf1_cli.memory_needed
    assert sf10_both.disk_needed > 10 * sf1_cli.disk_needed  # two paths' data directories
    assert sf10_both_kept.disk_needed > 2.5 * sf10_both.disk_needed  # kept runs stay on disk
    assert Room(memory_needed=1, memory_total=2, disk_needed=1, disk_free=2).problems() == []
    assert len(Room(memory_needed=3, memory_total=2, disk_needed=3, disk_free=2).problems()) == 2


@pytest.mark.slow
def test_the_harness_at_sf001_times_every_stage_and_writes_the_table(tmp_path: Path) -> None:
    options = BenchOptions(
        sf=0.01,
        runs=1,
        paths=("cli",),
        peer=False,
        incremental=True,
        memory_limit="2GB",
        work_dir=tmp_path / "work",
    )
    result = Bench(options).run()
    json_path, md_path = result.write(tmp_path / "results")

    assert [stage.detail for stage in result.failed] == []
    document = json.loads(json_path.read_text(encoding="utf-8"))
    stages = {stage["stage"]: stage for stage in [*document["once"], *document["runs"][0]["stages"]]}
    expected = {"generate", *PIPELINE_STAGES, "floor.customer_360_core", "incremental.ingest"}
    expected |= {"setup.support_feeds_day"}  # the help desk is warm for day +1 too, as for the first load
    expected |= set(INCREMENTAL_STAGES)
    assert expected <= set(stages)
    for stage in stages.values():
        assert stage["status"] == "ok", stage
        assert stage["seconds"] > 0, stage
        if stage["group"] != GROUP_SETUP or stage["rows"] is not None:
            assert stage["rows"] > 0, stage
    landed = sum(stages[f"pipeline.extract_{source}"]["rows"] for source in ("sales", "support", "marketing"))
    assert 0 < stages["pipeline.load"]["rows"] <= landed  # raw keeps all but the quarantined rows
    assert 0 < stages["incremental.ingest"]["rows"] < landed  # one day, not the history
    assert stages["pipeline.dbt_build"]["measures"]["dbt_seconds"] > 0

    summary = {row["stage"]: row for row in document["summary"]}
    for total in ("pipeline.total", "incremental.total"):
        assert summary[total]["seconds"] > 0 and summary[total]["rows"] > 0
    ratios = {ratio["name"]: ratio for ratio in document["ratios"]}
    for measured in ("full pipeline ÷ floor", "incremental day ÷ full run", "quality checks ÷ pipeline"):
        assert ratios[measured]["value"] > 0 and ratios[measured]["met"] in (True, False)
    assert ratios["Airflow DAGs ÷ CLI"]["value"] is None  # the DAG path was not asked for
    assert document["machine"]["cores"] and document["machine"]["versions"]["duckdb"]

    markdown = md_path.read_text(encoding="utf-8")
    assert "| stage | rows | seconds (median) | rows/s | peak RSS (MiB, max) |" in markdown
    assert "| **CLI pipeline (sum)** |" in markdown
    assert (tmp_path / "results" / "latest-sf0.01.md").read_text(encoding="utf-8") == markdown
    assert not (tmp_path / "work" / "run-1").exists()  # data directories go unless --keep


def _result(runs: list[RunResult]) -> BenchResult:
    return BenchResult(
        sf=1.0,
        seed=7,
        options={"memory_limit": "4GB"},
        machine={
            "cpu": "x",
            "cores": 2,
            "ram_gib": 1,
            "os": "y",
            "python": "3",
            "versions": {},
            "load_average_at_start": [0.0, 0.0, 0.0],
        },
        started_at="2026-11-24T00:00:00Z",
        logical_date="2026-10-30",
        runs=runs,
    )
