"""The benchmark's runs: which commands, in what order, on which copy of the world, and their rows.

Once per scale factor: ``crm generate`` (timed: the ``generate`` stage) and ``crm sources advance`` to
the day before the world's last day (setup). Then per run, on a fresh copy of that prepared data
directory (world hard-linked, sources copied):

- CLI path: extract+land per source, load, dbt build, checks (landing gate), publish, report — each
  ``crm …`` as its own process; their sum is "the full run". Beside it, the marts suite (which publish
  runs inside) is timed once more on its own, for the checks ÷ pipeline ratio;
- floor: one DuckDB pass over the landing Parquet (``python -m crm.bench.floor``);
- peer: ``crm peer build`` (the same dbt project on PostgreSQL), when that command exists;
- incremental: the sources advance one day (setup), then ingest, dbt build, checks, publish, report;
- DAG path: another fresh copy, ``crm dags init`` (setup), then ``crm dags run`` as one process.

Every child gets ``CRM_DATA_DIR`` and ``CRM_DUCKDB_MEMORY_LIMIT`` and none of the caller's source or
Airflow settings: a bench never touches a configured database, help desk or Airflow installation.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from crm.bench import rows
from crm.bench.machine import describe
from crm.bench.process import ProcessRun, run_process
from crm.bench.results import (
    FAILED,
    GROUP_DAG,
    GROUP_EXTRA,
    GROUP_FLOOR,
    GROUP_INCREMENTAL,
    GROUP_ONCE,
    GROUP_PEER,
    GROUP_PIPELINE,
    GROUP_SETUP,
    NOT_AVAILABLE,
    SKIPPED,
    TIMED_OUT,
    BenchResult,
    RunResult,
    StageResult,
)
from crm.settings import DEFAULT_SUPPORT_TOKEN, Settings

REPO_ROOT = Path(__file__).resolve().parents[2]
SOURCES = ("sales", "support", "marketing")
PATHS = ("cli", "dag")
# Settings of the caller that would point a bench at something other than its own data directory
SCRUBBED_PREFIXES = (
    "AIRFLOW",
    "CRM_SALES_DB_URL",
    "CRM_SUPPORT_",
    "CRM_WAREHOUSE_PATH",
    "CRM_DATA_DIR",
    "CRM_DBT_TARGET",
    "CRM_DUCKDB_MEMORY_LIMIT",
)
SKIPPED_LABELS = {
    "floor.customer_360_core": "floor: one DuckDB pass over landing",
    "peer.dbt_build": "peer: copy raw + dbt build on PostgreSQL",
    "incremental.ingest": "day +1 (incremental)",
}
DBT_SECONDS = re.compile(r"dbt build: .* in ([0-9.]+) s")


@dataclass(frozen=True)
class BenchOptions:
    sf: float
    runs: int
    paths: tuple[str, ...]
    peer: bool
    incremental: bool
    memory_limit: str
    work_dir: Path
    seed: int = 7
    peer_database: str = "crm_bench_peer"
    keep: bool = False  # keep every run's data directory (else each is deleted when its run ends)
    peer_timeout_seconds: float | None = None  # the peer is stopped after this long (it may take hours)


class StageFailed(RuntimeError):
    """A stage the rest of a path depends on did not finish."""


def crm_command() -> list[str]:
    """The ``crm`` entry point of this interpreter's environment (``.venv/bin/crm``)."""
    script = Path(sys.executable).with_name("crm")
    return [str(script)] if script.exists() else [sys.executable, "-m", "crm.cli"]


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def planned_stages(options: BenchOptions) -> int:
    """How many stages the bench will run (for the progress bar)."""
    per_run = 0
    if "cli" in options.paths:
        per_run += 1 + len(SOURCES) + 5 + 1 + 1  # copy, extracts, load…report, marts suite, floor
        per_run += 1 if options.peer else 0
        per_run += 6 if options.incremental else 0
    if "dag" in options.paths:
        per_run += 3 + (0 if "cli" in options.paths else 1)  # copy, init, run (+ floor)
    return 2 + options.runs * per_run


class Bench:
    """Runs the plan; reports each stage to ``on_start``/``on_done`` as it goes."""

    def __init__(
        self,
        options: BenchOptions,
        on_start: Callable[[str], None] = lambda label: None,
        on_done: Callable[[StageResult], None] = lambda result: None,
    ) -> None:
        self.options = options
        self.on_start = on_start
        self.on_done = on_done
        self.crm = crm_command()
        self.prepared = options.work_dir / f"prepared-sf{options.sf:g}"
        self.logs = options.work_dir / "logs"
        self.support_urls: dict[Path, str] = {}

    # --- the plan --------------------------------------------------------------------------------
    def run(self) -> BenchResult:
        started = time.perf_counter()
        result = BenchResult(
            sf=self.options.sf,
            seed=self.options.seed,
            options={
                "runs": self.options.runs,
                "paths": list(self.options.paths),
                "peer": self.options.peer,
                "incremental": self.options.incremental,
                "memory_limit": self.options.memory_limit,
                "work_dir": str(self.options.work_dir),
            },
            machine=describe(),
            started_at=datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            logical_date="",
        )
        try:
            day = self._prepare(result)
        except StageFailed:
            result.wall_seconds = time.perf_counter() - started
            return result
        result.logical_date = day.isoformat()
        for index in range(1, self.options.runs + 1):
            run = RunResult(index)
            result.runs.append(run)
            self._one_run(run, day)
        result.wall_seconds = time.perf_counter() - started
        return result

    def _prepare(self, result: BenchResult) -> date:
        """Generate the world (timed) and open the sources up to the day before its last day (setup)."""
        self.prepared.mkdir(parents=True, exist_ok=True)
        settings = Settings.from_env(self.prepared)
        generate = self._stage(
            result.once,
            "generate",
            f"generate SF {self.options.sf:g}",
            GROUP_ONCE,
            ["generate", "--sf", f"{self.options.sf:g}", "--seed", str(self.options.seed)],
            self.prepared,
            self.logs / "generate",
            lambda _: (rows.generated_rows(settings), "rows the generator wrote (world.json)"),
        )
        if not generate.ok:
            raise StageFailed(generate.detail)
        world = json.loads((settings.world_dir / "world.json").read_text(encoding="utf-8"))
        day = date.fromisoformat(world["end"]) - timedelta(days=1)
        advance = self._stage(
            result.once,
            "setup.sources_advance",
            f"sources advance to {day} (setup)",
            GROUP_SETUP,
            ["sources", "advance", "--to", day.isoformat()],
            self.prepared,
            self.logs / "sources_advance",
            lambda _: (_sales_rows(settings), "rows in the sales database"),
        )
        if not advance.ok:
            raise StageFailed(advance.detail)
        return day

    def _one_run(self, run: RunResult, day: date) -> None:
        run_dir = self.options.work_dir / f"run-{run.index}"
        logs = self.logs / f"run-{run.index}"
        if "cli" in self.options.paths:
            cli_dir = run_dir / "cli"
            self._fresh_copy(run, cli_dir)
            with self._support_api(cli_dir, logs / "support_api_cli"):
                self._cli_run(run, cli_dir, logs, day)
        if "dag" in self.options.paths:
            dag_dir = run_dir / "dag"
            self._fresh_copy(run, dag_dir, "setup.fresh_copy_dag")
            with self._support_api(dag_dir, logs / "support_api_dag"), contextlib.suppress(StageFailed):
                self._dag_path(run, dag_dir, logs, day)
                if "cli" not in self.options.paths:
                    self._floor(run, dag_dir, logs)
        if not self.options.keep and not any(stage.status == FAILED for stage in run.stages):
            shutil.rmtree(run_dir, ignore_errors=True)  # a failed run's data stays for its logs

    def _cli_run(self, run: RunResult, cli_dir: Path, logs: Path, day: date) -> None:
        """The CLI pipeline, then what needs its data: floor, peer, incremental day."""
        with contextlib.suppress(StageFailed):  # recorded in the run
            self._cli_path(run, cli_dir, logs, day)
        if run.total_seconds(GROUP_PIPELINE) is None:
            skipped = ["floor.customer_360_core"]
            skipped += ["peer.dbt_build"] if self.options.peer else []
            skipped += ["incremental.ingest"] if self.options.incremental else []
            for stage in skipped:
                self._skip(run, stage)
            return
        self._floor(run, cli_dir, logs)
        if self.options.peer:
            self._peer(run, cli_dir, logs)
        if self.options.incremental:
            with contextlib.suppress(StageFailed):
                self._incremental(run, cli_dir, logs, day + timedelta(days=1))

    # --- the paths -------------------------------------------------------------------------------
    def _cli_path(self, run: RunResult, data_dir: Path, logs: Path, day: date) -> None:
        settings = Settings.from_env(data_dir)
        when = day.isoformat()
        run_id = f"bench_r{run.index}"
        for source in SOURCES:
            self._required(
                run,
                f"pipeline.extract_{source}",
                f"extract+land: {source}",
                GROUP_PIPELINE,
                ["ingest", "--source", source, "--date", when, "--only", "extract"],
                data_dir,
                logs,
                lambda _, s=source: (  # type: ignore[misc]
                    rows.landed_rows(settings, source=s, logical_date=day),
                    "rows in the day's landing manifests (rows_in)",
                ),
                accept=_ingested,
            )
        self._required(
            run,
            "pipeline.load",
            "load (landing → raw)",
            GROUP_PIPELINE,
            ["ingest", "--date", when, "--only", "load"],
            data_dir,
            logs,
            lambda _: (rows.raw_rows(settings), "rows in the warehouse's raw tables"),
            accept=_ingested,
        )
        self._pipeline_tail(run, settings, data_dir, logs, day, run_id, GROUP_PIPELINE)
        self._stage(
            run.stages,
            "extra.checks_marts",
            "marts checks (inside publish; not summed)",
            GROUP_EXTRA,
            ["check", "--stage", "marts", "--run-id", f"{run_id}_marts"],
            data_dir,
            logs / "checks_marts",
            lambda _: (rows.check_rows(settings, f"{run_id}_marts", "marts"), "check results stored"),
        )

    def _pipeline_tail(
        self,
        run: RunResult,
        settings: Settings,
        data_dir: Path,
        logs: Path,
        day: date,
        run_id: str,
        group: str,
        prefix: str = "",
    ) -> None:
        """dbt build → landing gate → publish → report: the same four stages, full or incremental."""
        self._required(
            run,
            f"{group}.dbt_build",
            f"{prefix}dbt build (crm transform)",
            group,
            ["transform"],
            data_dir,
            logs,
            lambda process: (rows.dbt_rows(settings), "rows in the tables dbt materialised"),
            measure=_dbt_seconds,
        )
        self._required(
            run,
            f"{group}.checks",
            f"{prefix}checks: landing gate",
            group,
            ["check", "--stage", "landing", "--run-id", run_id, "--date", day.isoformat()],
            data_dir,
            logs,
            lambda _: (
                rows.check_rows(settings, run_id, "landing"),
                "check results stored (ops.check_results)",
            ),
        )
        self._required(
            run,
            f"{group}.publish",
            f"{prefix}publish (+ marts checks)",
            group,
            ["publish", "--run-id", run_id],
            data_dir,
            logs,
            lambda _: (rows.served_rows(settings), "rows published (meta.publication)"),
        )
        self._required(
            run,
            f"{group}.report",
            f"{prefix}report",
            group,
            ["report"],
            data_dir,
            logs,
            lambda _: (rows.served_rows(settings), "rows of the serving file it reads"),
        )

    def _floor(self, run: RunResult, data_dir: Path, logs: Path) -> None:
        settings = Settings.from_env(data_dir)

        def floor_rows(process: ProcessRun) -> tuple[int, str]:
            measured = _last_json(process.stdout())
            return int(measured["rows_read"]), "landing Parquet rows read (file metadata)"

        self._stage(
            run.stages,
            "floor.customer_360_core",
            "floor: one DuckDB pass over landing",
            GROUP_FLOOR,
            [sys.executable, "-m", "crm.bench.floor", str(settings.landing_dir)],
            data_dir,
            logs / "floor",
            floor_rows,
            crm=False,
        )

    def _peer(self, run: RunResult, data_dir: Path, logs: Path) -> None:
        settings = Settings.from_env(data_dir)
        probe = run_process(
            [*self.crm, "peer", "--help"], env=self._env(data_dir), log_stem=logs / "peer_probe"
        )
        if not probe.ok:
            result = StageResult(
                "peer.dbt_build",
                "peer: copy raw + dbt build on PostgreSQL",
                GROUP_PEER,
                status=NOT_AVAILABLE,
                detail="`crm peer` is not a command of this checkout",
            )
            run.stages.append(result)
            self.on_done(result)
            return

        def peer_rows(process: ProcessRun) -> tuple[int, str]:
            measured = _last_json(process.stdout())
            if isinstance(measured.get("rows_copied"), int):
                return int(measured["rows_copied"]), "rows it copied into PostgreSQL (its JSON line)"
            return rows.raw_rows(settings), "rows of the raw schema it copies"

        self._stage(
            run.stages,
            "peer.dbt_build",
            "peer: copy raw + dbt build on PostgreSQL",
            GROUP_PEER,
            ["peer", "build", "--database", self.options.peer_database],
            data_dir,
            logs / "peer",
            peer_rows,
            measure=_peer_measures,
            timeout_seconds=self.options.peer_timeout_seconds,
        )

    def _incremental(self, run: RunResult, data_dir: Path, logs: Path, day: date) -> None:
        settings = Settings.from_env(data_dir)
        self._required(
            run,
            "setup.sources_advance_day",
            f"sources advance to {day} (setup)",
            GROUP_SETUP,
            ["sources", "advance", "--to", day.isoformat()],
            data_dir,
            logs,
            lambda _: (_sales_rows(settings), "rows in the sales database"),
        )
        self._warm_support_feeds(run, data_dir, day)
        self._required(
            run,
            "incremental.ingest",
            f"day +1: ingest {day}",
            GROUP_INCREMENTAL,
            ["ingest", "--date", day.isoformat()],
            data_dir,
            logs,
            lambda _: (rows.landed_rows(settings, logical_date=day), "rows landed for the new day"),
            accept=_ingested,
        )
        run_id = f"bench_r{run.index}_day"
        self._pipeline_tail(run, settings, data_dir, logs, day, run_id, GROUP_INCREMENTAL, "day +1: ")

    def _warm_support_feeds(self, run: RunResult, data_dir: Path, day: date) -> None:
        """The help desk prepares the new day before the client asks, as it did for the first load.

        The simulator materialises each entity as of the clock's date on the first request for that
        date (7 s for tickets at SF 1), work a real help desk does as records are written. Left to
        the first page of day +1, it would be timed as the pipeline's.
        """
        url = self.support_urls.get(data_dir)
        if url is None:
            return
        started = time.perf_counter()
        _warm_feeds(url)
        result = StageResult(
            "setup.support_feeds_day",
            f"help desk feeds prepared for {day} (setup)",
            GROUP_SETUP,
            seconds=time.perf_counter() - started,
        )
        run.stages.append(result)
        self.on_done(result)

    def _dag_path(self, run: RunResult, data_dir: Path, logs: Path, day: date) -> None:
        settings = Settings.from_env(data_dir)
        self._required(
            run,
            "setup.dags_init",
            "Airflow metadata DB init (setup)",
            GROUP_SETUP,
            ["dags", "init"],
            data_dir,
            logs,
            lambda _: (None, ""),
        )

        def dag_rows(process: ProcessRun) -> tuple[int, str]:
            states = json.loads(process.stdout().strip().splitlines()[-1])
            failed = [f"{run['dag_id']} {run['state']}" for run in states if run["state"] != "success"]
            if failed:
                raise StageFailed(f"DAG runs did not succeed: {', '.join(failed)}")
            return rows.landed_rows(settings, logical_date=day), "rows landed by the ingest DAGs"

        when = day.isoformat()
        self._required(
            run,
            "dag.run",
            "Airflow DAGs (ingest ×3 → transform)",
            GROUP_DAG,
            ["dags", "run", "--from", when, "--to", when, "--transform", "last", "--json"],
            data_dir,
            logs,
            dag_rows,
        )

    # --- mechanics -------------------------------------------------------------------------------
    def _fresh_copy(self, run: RunResult, target: Path, stage: str = "setup.fresh_copy") -> None:
        """Copy the prepared data directory: the world is hard-linked (the generator never rewrites a
        file in place), sources are copied (advancing them rewrites the sales database)."""
        path = "Airflow" if target.name == "dag" else "CLI"
        label = f"fresh copy of the prepared world, {path} (setup)"
        self.on_start(label)
        started = time.perf_counter()
        if target.exists():
            shutil.rmtree(target)
        target.mkdir(parents=True)
        shutil.copytree(self.prepared / "world", target / "world", copy_function=os.link)
        shutil.copytree(self.prepared / "sources", target / "sources")
        result = StageResult(stage, label, GROUP_SETUP, seconds=time.perf_counter() - started)
        run.stages.append(result)
        self.on_done(result)

    @contextlib.contextmanager
    def _support_api(self, data_dir: Path, log_stem: Path) -> Iterator[None]:
        """The help desk simulator of this data directory, in its own process on a free port.

        Its own process, like a real help desk: what the stages pay for is the client's work and the
        wait for pages, not the server's. Every stage of ``data_dir`` gets its URL (CRM_SUPPORT_URL),
        so nothing depends on the default port, which another installation may be using. Each feed is
        requested once before the stages run: a running help desk is warm.
        """
        port = free_port()
        url = f"http://127.0.0.1:{port}"
        log_stem.parent.mkdir(parents=True, exist_ok=True)
        argv = [*self.crm, "--data-dir", str(data_dir), "sources", "serve-support", "--port", str(port)]
        with log_stem.with_name(log_stem.name + ".err").open("wb") as err:
            server = subprocess.Popen(argv, env=self._env(data_dir), stdout=err, stderr=err, cwd=REPO_ROOT)
            try:
                _wait_until_warm(url, server)
                self.support_urls[data_dir] = url
                yield
            finally:
                self.support_urls.pop(data_dir, None)
                server.terminate()
                try:
                    server.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    server.kill()
                    server.wait()

    def _skip(self, run: RunResult, stage: str) -> None:
        group = stage.partition(".")[0]
        label = SKIPPED_LABELS.get(stage, stage)
        result = StageResult(stage, label, group, status=SKIPPED, detail="a stage before it failed")
        run.stages.append(result)
        self.on_done(result)

    def _required(
        self,
        run: RunResult,
        stage: str,
        label: str,
        group: str,
        arguments: list[str],
        data_dir: Path,
        logs: Path,
        count: Callable[[ProcessRun], tuple[int | None, str]],
        measure: Callable[[ProcessRun], dict[str, object]] | None = None,
        accept: Callable[[ProcessRun], bool] | None = None,
    ) -> StageResult:
        result = self._stage(
            run.stages,
            stage,
            label,
            group,
            arguments,
            data_dir,
            logs / stage,
            count,
            measure=measure,
            accept=accept,
        )
        if not result.ok:
            raise StageFailed(result.detail)
        return result

    def _stage(
        self,
        into: list[StageResult],
        stage: str,
        label: str,
        group: str,
        arguments: list[str],
        data_dir: Path,
        log_stem: Path,
        count: Callable[[ProcessRun], tuple[int | None, str]],
        *,
        measure: Callable[[ProcessRun], dict[str, object]] | None = None,
        accept: Callable[[ProcessRun], bool] | None = None,
        crm: bool = True,
        timeout_seconds: float | None = None,
    ) -> StageResult:
        """Run one command as a process, then count its rows from what it wrote."""
        self.on_start(label)
        argv = [*self.crm, "--data-dir", str(data_dir), *arguments] if crm else arguments
        process = run_process(
            argv, env=self._env(data_dir), log_stem=log_stem, cwd=REPO_ROOT, timeout_seconds=timeout_seconds
        )
        result = StageResult(
            stage, label, group, seconds=process.seconds, peak_rss_bytes=process.peak_rss_bytes
        )
        if process.timed_out:
            result.status = TIMED_OUT
            result.detail = f"stopped after {process.seconds:.0f} s (time limit); {process.stderr_path}"
        elif not (accept or _exit_zero)(process):
            result.status = FAILED
            result.detail = f"exit {process.returncode}; {process.stderr_path}:\n{process.stderr_tail()}"
        else:
            try:
                result.rows, result.rows_basis = count(process)
                result.measures = measure(process) if measure else {}
            except Exception as error:  # a stage whose output cannot be counted did not do its job
                result.status = FAILED
                result.detail = f"{type(error).__name__}: {error}"
        into.append(result)
        self.on_done(result)
        return result

    def _env(self, data_dir: Path) -> dict[str, str]:
        environment = {
            name: value for name, value in os.environ.items() if not name.startswith(SCRUBBED_PREFIXES)
        }
        environment.update(
            CRM_DATA_DIR=str(data_dir),
            CRM_DUCKDB_MEMORY_LIMIT=self.options.memory_limit,
            COLUMNS="160",  # rich's tables in the logs stay readable
        )
        if data_dir in self.support_urls:
            environment["CRM_SUPPORT_URL"] = self.support_urls[data_dir]
        return environment


def _wait_until_warm(url: str, server: subprocess.Popen[bytes], timeout_seconds: float = 300) -> None:
    """Wait until the simulator answers, then ask each feed for one row so that it is built."""
    deadline = time.monotonic() + timeout_seconds
    while True:
        if server.poll() is not None:
            raise RuntimeError(f"the support simulator exited with {server.returncode}")
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
            if probe.connect_ex(("127.0.0.1", int(url.rpartition(":")[2]))) == 0:
                break
        if time.monotonic() > deadline:
            raise RuntimeError(f"the support simulator did not answer at {url}")
        time.sleep(0.2)
    _warm_feeds(url, timeout_seconds)


def _warm_feeds(url: str, timeout_seconds: float = 300) -> None:
    """Ask each of the simulator's feeds for one row, so that it is built for the clock's date."""
    from ingestion.support import ENTITIES

    for entity in ENTITIES:
        request = urllib.request.Request(
            f"{url}/api/v2/incremental/{entity.name}/cursor.json?start_time=0&per_page=1",
            headers={"Authorization": f"Bearer {DEFAULT_SUPPORT_TOKEN}"},
        )
        with urllib.request.urlopen(request, timeout=timeout_seconds) as response:
            response.read()


def _exit_zero(process: ProcessRun) -> bool:
    return process.ok


def _ingested(process: ProcessRun) -> bool:
    """``crm ingest`` finished its work: exit 0, or exit 1 only because whole batches were rejected.

    The simulated marketing vendor delivers truncated files on purpose; ingestion records them as
    failed batches and exits 1, and the quality gate decides what they mean (the next stage). An
    extraction error (a source that could not be read) is printed as an ``error`` line and fails.
    """
    if process.ok:
        return True
    lines = process.stderr_path.read_text(encoding="utf-8", errors="replace").splitlines()
    rejected = any(line.startswith("failed batch ") for line in lines)
    errors = any(line.startswith(("error ", "Traceback")) for line in lines)
    return process.returncode == 1 and rejected and not errors


def _sales_rows(settings: Settings) -> int:
    import sqlite3

    with sqlite3.connect(f"file:{settings.sales_sqlite_path}?mode=ro", uri=True) as con:
        tables = [row[0] for row in con.execute("select name from sqlite_master where type = 'table'")]
        return sum(con.execute(f'select count(*) from "{table}"').fetchone()[0] for table in tables)


def _last_json(stdout: str) -> dict[str, Any]:
    """The last line of a command's output that is a JSON object."""
    for line in reversed(stdout.strip().splitlines()):
        if line.startswith("{"):
            found = json.loads(line)
            if isinstance(found, dict):
                return found
    raise ValueError("the command printed no JSON line")


def _dbt_seconds(process: ProcessRun) -> dict[str, object]:
    """dbt's own build time, logged by ``crm transform`` (process start-up and parsing excluded)."""
    found = DBT_SECONDS.findall(process.stderr_path.read_text(encoding="utf-8", errors="replace"))
    return {"dbt_seconds": float(found[-1])} if found else {}


def _peer_measures(process: ProcessRun) -> dict[str, object]:
    """The peer's JSON line: copy_seconds, dbt_seconds (its dbt build alone), rows_copied, …"""
    return dict(_last_json(process.stdout()))
