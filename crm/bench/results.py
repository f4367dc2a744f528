"""Benchmark results: per-stage measurements, medians, the ratios of targets.md, and their renderings.

One :class:`BenchResult` holds everything a run of ``crm bench`` measured. From it come the one table
targets.md asks for (stage, rows, median seconds, rows/s, peak RSS), the ratios with their targets and
met/missed, and the same as JSON, Markdown and a rich table. Ratios are computed within each run and
their median reported (the machines are shared and noisy).
"""

from __future__ import annotations

import json
import statistics
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from rich.table import Table

MIB = 2**20
GIB = 2**30

# Stage groups: what a measurement is part of
GROUP_ONCE = "generate"  # once per scale factor
GROUP_SETUP = "setup"  # preparation, never counted
GROUP_PIPELINE = "pipeline"  # the CLI pipeline: the sum of these is "the full run"
GROUP_EXTRA = "extra"  # measured beside the pipeline (the marts suite publish also runs)
GROUP_FLOOR = "floor"
GROUP_PEER = "peer"
GROUP_INCREMENTAL = "incremental"
GROUP_DAG = "dag"

OK = "ok"
FAILED = "failed"
NOT_AVAILABLE = "not available"
TIMED_OUT = "timed out"
SKIPPED = "skipped"


@dataclass
class StageResult:
    """One timed stage of one run: a whole process, its rows (counted from what it wrote), peak RSS."""

    stage: str  # stable id, e.g. "pipeline.dbt_build"
    label: str  # what the table shows
    group: str
    status: str = OK
    seconds: float | None = None
    rows: int | None = None
    rows_basis: str = ""  # where the row count comes from
    peak_rss_bytes: int | None = None
    detail: str = ""  # why a stage failed or is not available; notes
    measures: dict[str, Any] = field(default_factory=dict)  # stage-specific figures (e.g. the peer's JSON)

    @property
    def ok(self) -> bool:
        return self.status == OK


@dataclass
class RunResult:
    """Every stage of one run, in the order they ran."""

    index: int
    stages: list[StageResult] = field(default_factory=list)

    def get(self, stage: str) -> StageResult | None:
        return next((result for result in self.stages if result.stage == stage), None)

    def group(self, group: str) -> list[StageResult]:
        return [result for result in self.stages if result.group == group]

    def total_seconds(self, group: str) -> float | None:
        """Sum of a group's stages, or None when any of them did not finish."""
        stages = self.group(group)
        if not stages or not all(stage.ok and stage.seconds is not None for stage in stages):
            return None
        return sum(stage.seconds or 0.0 for stage in stages)

    def peak_rss(self, group: str) -> int | None:
        peaks = [stage.peak_rss_bytes for stage in self.group(group) if stage.peak_rss_bytes]
        return max(peaks) if peaks else None


@dataclass
class SummaryRow:
    stage: str
    label: str
    group: str
    rows: int | None
    seconds: float | None  # median over the runs where the stage succeeded
    rows_per_second: float | None
    peak_rss_mib: float | None  # maximum over the runs
    status: str
    rows_basis: str


@dataclass
class Ratio:
    name: str
    value: float | None
    target: str
    met: bool | None
    note: str = ""


@dataclass
class BenchResult:
    sf: float
    seed: int
    options: dict[str, Any]
    machine: dict[str, Any]
    started_at: str
    logical_date: str  # the full run's day; the incremental day follows it
    once: list[StageResult] = field(default_factory=list)
    runs: list[RunResult] = field(default_factory=list)
    wall_seconds: float | None = None
    reference_sf1_pipeline_seconds: float | None = None  # for the SF 10 ratio, from a saved SF 1 result

    # --- aggregation ------------------------------------------------------------------------------
    def summary(self) -> list[SummaryRow]:
        """One row per stage (median seconds, max peak RSS), plus the totals of the paths."""
        rows = [_summarise([stage]) for stage in self.once]
        order: list[str] = []
        for run in self.runs:
            order += [stage.stage for stage in run.stages if stage.stage not in order]
        for stage_id in order:
            found = [stage for run in self.runs if (stage := run.get(stage_id)) is not None]
            rows.append(_summarise(found))
            if stage_id == "pipeline.report":
                rows.append(self._total_row("pipeline.total", "CLI pipeline (sum)", GROUP_PIPELINE))
            if stage_id == "incremental.report":
                rows.append(
                    self._total_row("incremental.total", "day +1, incremental (sum)", GROUP_INCREMENTAL)
                )
        return rows

    def _total_row(self, stage: str, label: str, group: str) -> SummaryRow:
        seconds = _median(run.total_seconds(group) for run in self.runs)
        source_rows = _median(self._source_rows(run, group) for run in self.runs)
        peaks = [peak for run in self.runs if (peak := run.peak_rss(group))]
        return SummaryRow(
            stage=stage,
            label=label,
            group=group,
            rows=int(source_rows) if source_rows is not None else None,
            seconds=seconds,
            rows_per_second=_rate(source_rows, seconds),
            peak_rss_mib=max(peaks) / MIB if peaks else None,
            status=OK if seconds is not None else FAILED,
            rows_basis="rows landed from the sources",
        )

    @staticmethod
    def _source_rows(run: RunResult, group: str) -> float | None:
        if group == GROUP_PIPELINE:
            landed = [stage.rows for stage in run.group(group) if stage.stage.startswith("pipeline.extract_")]
            return float(sum(row or 0 for row in landed)) if landed else None
        ingest = run.get("incremental.ingest")
        return float(ingest.rows) if ingest and ingest.rows is not None else None

    def ratios(self) -> list[Ratio]:
        """The measures of targets.md, each with its target and whether it was met."""
        generate = next((stage for stage in self.once if stage.stage == "generate"), None)
        pipeline = _median(run.total_seconds(GROUP_PIPELINE) for run in self.runs)
        peaks = [peak for run in self.runs if (peak := run.peak_rss(GROUP_PIPELINE))]
        ratios = [
            _at_most("generate (s)", generate.seconds if generate and generate.ok else None, 60, "≤ 60 s"),
            _at_most("full pipeline, no Airflow (s)", pipeline, 120, "≤ 120 s"),
            _at_most("pipeline peak RSS (GiB)", max(peaks) / GIB if peaks else None, 4, "≤ 4 GiB"),
            _at_most("Airflow DAGs ÷ CLI", self._per_run(_dag_ratio), 1.3, "≤ 1.3 ×"),
            _at_most("full pipeline ÷ floor", self._per_run(_floor_ratio), 4, "≤ 4 ×"),
            _at_most("incremental day ÷ full run", self._per_run(_incremental_ratio), 0.15, "≤ 15%"),
            _peer_ratio(self.runs),
            _at_most("quality checks ÷ pipeline", self._per_run(_checks_ratio), 0.15, "≤ 15%"),
        ]
        if self.sf == 10:
            value = (
                pipeline / self.reference_sf1_pipeline_seconds
                if pipeline and self.reference_sf1_pipeline_seconds
                else None
            )
            ratios.append(_at_most("SF 10 ÷ SF 1 pipeline", value, 10, "≤ 10 ×"))
        for ratio in ratios:
            if ratio.value is None and not ratio.note:
                ratio.note = "not measured (path off, or a stage failed)"
        return ratios

    def _per_run(self, ratio: Callable[[RunResult], float | None]) -> float | None:
        return _median(ratio(run) for run in self.runs)

    @property
    def failed(self) -> list[StageResult]:
        every = [*self.once, *(stage for run in self.runs for stage in run.stages)]
        return [stage for stage in every if stage.status == FAILED]

    # --- renderings -----------------------------------------------------------------------------
    def to_json(self) -> str:
        document = asdict(self)
        document["summary"] = [asdict(row) for row in self.summary()]
        document["ratios"] = [asdict(ratio) for ratio in self.ratios()]
        return json.dumps(document, indent=2, ensure_ascii=False) + "\n"

    def to_markdown(self) -> str:
        machine = self.machine
        versions = ", ".join(f"{name} {version}" for name, version in machine["versions"].items() if version)
        lines = [
            f"# Benchmark — SF {self.sf:g}, {len(self.runs)} run(s), {self.started_at}",
            "",
            f"Machine: {machine['cpu']}, {machine['cores']} cores, {machine['ram_gib']} GiB RAM, "
            f"{machine['os']}, Python {machine['python']}; {versions}. "
            f"Load average at start: {', '.join(str(v) for v in machine['load_average_at_start'])}.",
            f"DuckDB memory limit: {self.options['memory_limit']}. Full run on {self.logical_date} "
            f"(the whole history: a first load); incremental day: the next day. "
            f"Bench wall time: {_fmt_seconds(self.wall_seconds)} s.",
            "",
            "| stage | rows | seconds (median) | rows/s | peak RSS (MiB, max) |",
            "|---|---:|---:|---:|---:|",
        ]
        for row in self.summary():
            label = f"**{row.label}**" if row.stage.endswith(".total") else row.label
            lines.append(
                f"| {label}{_status_suffix(row.status)} | {_fmt_int(row.rows)} | {_fmt_seconds(row.seconds)} "
                f"| {_fmt_int(row.rows_per_second)} | {_fmt_int(row.peak_rss_mib)} |"
            )
        lines += ["", "| measure | value | target | met |", "|---|---:|---|---|"]
        for ratio in self.ratios():
            note = f" — {ratio.note}" if ratio.note else ""
            lines.append(f"| {ratio.name} | {_fmt_ratio(ratio)} | {ratio.target} | {_verdict(ratio)}{note} |")
        if self.sf != 1:
            lines += ["", f"Targets are stated for SF 1; this run is SF {self.sf:g}."]
        lines += ["", "Rows per stage come from what the stage wrote:", ""]
        bases = {row.label: row.rows_basis for row in self.summary() if row.rows_basis}
        lines += [f"- {label}: {basis}" for label, basis in bases.items()]
        if len(self.runs) > 1:
            lines += self._per_run_markdown()
        problems = [stage for run in self.runs for stage in run.stages if stage.detail and not stage.ok]
        problems += [stage for stage in self.once if stage.detail and not stage.ok]
        if problems:
            lines += ["", "## Stages that did not finish", ""]
            lines += [f"- {stage.label} ({stage.status}): {_first_line(stage.detail)}" for stage in problems]
        return "\n".join(lines) + "\n"

    def _per_run_markdown(self) -> list[str]:
        header = "| stage | " + " | ".join(f"run {run.index} (s)" for run in self.runs) + " |"
        lines = ["", "## Seconds per run", "", header, "|---|" + "---:|" * len(self.runs)]
        for row in self.summary():
            if row.group == GROUP_ONCE:
                continue
            cells = []
            for run in self.runs:
                if row.stage.endswith(".total"):
                    cells.append(_fmt_seconds(run.total_seconds(row.group)))
                else:
                    stage = run.get(row.stage)
                    cells.append(_fmt_seconds(stage.seconds if stage and stage.ok else None))
            lines.append(f"| {row.label} | " + " | ".join(cells) + " |")
        return lines

    def rich_tables(self) -> tuple[Table, Table]:
        stages = Table(title=f"crm bench — SF {self.sf:g}, {len(self.runs)} run(s), median seconds")
        for header in ("stage", "rows", "seconds", "rows/s", "peak RSS MiB"):
            stages.add_column(header, justify="left" if header == "stage" else "right")
        for row in self.summary():
            total = row.stage.endswith(".total")
            stages.add_row(
                row.label + _status_suffix(row.status),
                _fmt_int(row.rows),
                _fmt_seconds(row.seconds),
                _fmt_int(row.rows_per_second),
                _fmt_int(row.peak_rss_mib),
                style="bold" if total else ("dim" if row.group == GROUP_SETUP else None),
                end_section=total,
            )
        ratios = Table(title="targets (targets.md)")
        for header in ("measure", "value", "target", "met"):
            ratios.add_column(header, justify="right" if header == "value" else "left")
        for ratio in self.ratios():
            colour = {True: "green", False: "red"}.get(ratio.met, "yellow")  # type: ignore[arg-type]
            verdict = _verdict(ratio) + (f" ({ratio.note})" if ratio.note else "")
            ratios.add_row(ratio.name, _fmt_ratio(ratio), ratio.target, f"[{colour}]{verdict}[/{colour}]")
        return stages, ratios

    def write(self, out_dir: Path) -> tuple[Path, Path]:
        """Write ``sf<SF>-<UTC time>.json/.md`` and ``latest-sf<SF>.md/.json``; return the first two."""
        out_dir.mkdir(parents=True, exist_ok=True)
        stem = f"sf{self.sf:g}-{self.started_at.replace(':', '').replace('-', '')}"
        json_path, md_path = out_dir / f"{stem}.json", out_dir / f"{stem}.md"
        text, markdown = self.to_json(), self.to_markdown()
        json_path.write_text(text, encoding="utf-8")
        md_path.write_text(markdown, encoding="utf-8")
        (out_dir / f"latest-sf{self.sf:g}.md").write_text(markdown, encoding="utf-8")
        (out_dir / f"latest-sf{self.sf:g}.json").write_text(text, encoding="utf-8")
        return json_path, md_path


def pipeline_seconds_from_file(path: Path) -> float | None:
    """The median CLI pipeline seconds a saved result reports (for the SF 10 ÷ SF 1 ratio)."""
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    row = next((row for row in document.get("summary", []) if row["stage"] == "pipeline.total"), None)
    return row["seconds"] if row else None


# --- the ratios, per run --------------------------------------------------------------------------
def _dag_ratio(run: RunResult) -> float | None:
    dag, cli = run.get("dag.run"), run.total_seconds(GROUP_PIPELINE)
    return dag.seconds / cli if dag and dag.ok and dag.seconds and cli else None


def _floor_ratio(run: RunResult) -> float | None:
    floor, cli = run.get("floor.customer_360_core"), run.total_seconds(GROUP_PIPELINE)
    return cli / floor.seconds if floor and floor.ok and floor.seconds and cli else None


def _incremental_ratio(run: RunResult) -> float | None:
    day, cli = run.total_seconds(GROUP_INCREMENTAL), run.total_seconds(GROUP_PIPELINE)
    return day / cli if day and cli else None


def _checks_ratio(run: RunResult) -> float | None:
    cli = run.total_seconds(GROUP_PIPELINE)
    landing, marts = run.get("pipeline.checks"), run.get("extra.checks_marts")
    if not cli or not landing or not landing.ok or landing.seconds is None:
        return None
    marts_seconds = marts.seconds if marts and marts.ok and marts.seconds else 0.0
    return (landing.seconds + marts_seconds) / cli


def _peer_ratio(runs: list[RunResult]) -> Ratio:
    """PostgreSQL dbt seconds ÷ DuckDB dbt seconds, on the same basis (in-process dbt, else process)."""
    values: list[float] = []
    bases: set[str] = set()
    unavailable = ""
    for run in runs:
        peer, duck = run.get("peer.dbt_build"), run.get("pipeline.dbt_build")
        if peer is None or duck is None or not duck.ok:
            continue
        if peer.status == TIMED_OUT and peer.seconds and duck.seconds:
            # stopped at its time limit: at least this much slower (its copy included)
            values.append(peer.seconds / duck.seconds)
            bases.add(f"lower bound: the peer was stopped after {peer.seconds:.0f} s")
            continue
        if not peer.ok:
            unavailable = unavailable or f"peer {peer.status}"
            continue
        peer_dbt, duck_dbt = peer.measures.get("dbt_seconds"), duck.measures.get("dbt_seconds")
        if peer_dbt and duck_dbt:
            values.append(float(peer_dbt) / float(duck_dbt))
            bases.add("dbt build inside each process")
        elif peer.seconds and duck.seconds:
            values.append(peer.seconds / duck.seconds)
            bases.add("whole processes")
    value = statistics.median(values) if values else None
    note = unavailable if value is None else "; ".join(sorted(bases))
    return Ratio("PostgreSQL dbt ÷ DuckDB dbt", value, "≥ 10 ×", None if value is None else value >= 10, note)


def _at_most(name: str, value: float | None, limit: float, target: str) -> Ratio:
    return Ratio(name, value, target, None if value is None else value <= limit)


# --- helpers --------------------------------------------------------------------------------------
def _summarise(found: list[StageResult]) -> SummaryRow:
    first = found[0]
    done = [stage for stage in found if stage.ok]
    seconds = _median(stage.seconds for stage in done)
    rows = _median(float(stage.rows) for stage in done if stage.rows is not None)
    peaks = [stage.peak_rss_bytes for stage in done if stage.peak_rss_bytes]
    statuses = {stage.status for stage in found}
    if statuses == {OK}:
        status = OK
    elif len(statuses) == 1:
        status = first.status
    else:
        status = f"{len(done)}/{len(found)} ok"
    return SummaryRow(
        stage=first.stage,
        label=first.label,
        group=first.group,
        rows=int(rows) if rows is not None else None,
        seconds=seconds,
        rows_per_second=_rate(rows, seconds),
        peak_rss_mib=max(peaks) / MIB if peaks else None,
        status=status,
        rows_basis=first.rows_basis,
    )


def _median(values: Iterable[float | None]) -> float | None:
    present = [value for value in values if value is not None]
    return statistics.median(present) if present else None


def _rate(rows: float | None, seconds: float | None) -> float | None:
    return rows / seconds if rows is not None and seconds else None


def _fmt_int(value: float | None) -> str:
    return "–" if value is None else f"{value:,.0f}"


def _fmt_seconds(value: float | None) -> str:
    return "–" if value is None else f"{value:,.1f}" if value >= 10 else f"{value:.2f}"


def _fmt_ratio(ratio: Ratio) -> str:
    if ratio.value is None:
        return "–"
    if "%" in ratio.target:
        return f"{ratio.value:.1%}"
    if "×" in ratio.target:
        return f"{ratio.value:.2f} ×"
    return f"{ratio.value:.2f}" if ratio.value < 10 else f"{ratio.value:.1f}"


def _verdict(ratio: Ratio) -> str:
    return {True: "met", False: "missed"}.get(ratio.met, "n/a")  # type: ignore[arg-type]


def _first_line(text: str) -> str:
    lines = text.strip().splitlines()
    return lines[0] if lines else ""


def _status_suffix(status: str) -> str:
    return "" if status == OK else f" ({status})"
