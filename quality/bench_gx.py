"""Benchmark the two GX engines of the gate on the same landed-batch data: ``sql`` (DuckDB) vs ``pandas``.

``python -m quality.bench_gx --rows 1000000`` writes synthetic Parquet batches in the shape of
``sales.order`` and ``marketing.email_events`` (with a little of each dirt the policy checks), then
validates each batch with the policy's own landing checks on each engine, ``--repeat`` times, every
run in a fresh process. It prints, per entity and engine, the median wall time of the validation
(reading included; interpreter start and GX import excluded), the peak RSS of the process, and
whether both engines reported the same observed values. ``--landing DIR`` benchmarks real landed
batches instead (the newest of each entity under a data directory's ``landing/``).

Numbers, not assertions: the results go into DECISIONS.md; the tests check correctness.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from datetime import time as clock
from pathlib import Path
from typing import Any

import duckdb
from rich.console import Console
from rich.table import Table

from quality.gx_runtime import ENGINES, Engine

DAY = date(2026, 10, 1)
SHAPES: dict[str, str] = {
    # sales.order as the sales database delivers it (tests/quality/conftest.py): 1% without an account,
    # 0.1% unknown channel, one id in 10,000 repeated.
    "sales.order": """
        select '801' || lpad((case when i % 10000 = 9999 then i - 1 else i end)::varchar, 15, '0') as id,
               case when i % 100 = 0 then null else '001' || lpad((i % 50000)::varchar, 15, '0') end
                   as account_id,
               '003' || lpad((i % 90000)::varchar, 15, '0') as contact_id,
               null::varchar as opportunity_id,
               lpad(i::varchar, 10, '0') as order_number,
               ['Activated', 'Fulfilled', 'Draft', 'Cancelled', 'Returned'][1 + i % 5] as status,
               date '{day}' as effective_date,
               case when i % 1000 = 0 then 'fax' else ['web', 'field', 'partner'][1 + i % 3] end as channel,
               'USD' as currency_iso_code,
               round(10 + (i * 7919 % 499000) / 100.0, 2) as total_amount,
               timestamptz '{day} 22:00:00+00' - to_seconds(i % 36000) as created_date,
               timestamptz '{day} 22:00:00+00' - to_seconds(i % 36000) as system_modstamp
        from range({rows}) t(i)
    """,
    # marketing.email_events as the platform drops them: 2% re-sent events (same event_id).
    "marketing.email_events": """
        select 'ev' || lpad((case when i % 50 = 49 then i - 1 else i end)::varchar, 12, '0') as event_id,
               'cmp' || (i % 40) as campaign_id,
               'ct' || (i % 200000) as contact_id,
               'p' || (i % 200000) || '@example.com' as recipient,
               ['sent', 'delivered', 'open', 'click', 'bounce'][1 + i % 5] as type,
               timestamptz '{day} 23:00:00+00' - to_seconds(i % 80000) as created_at,
               case when i % 5 = 3 then 'https://example.com/p/' || (i % 300) end as url,
               ['desktop', 'mobile', 'tablet'][1 + i % 3] as device_type,
               case when i % 5 = 4 then 'soft' end as bounce_category
        from range({rows}) t(i)
    """,
}


@dataclass(frozen=True)
class Measurement:
    subject: str
    engine: Engine
    rows: int
    seconds: float
    peak_rss_mb: float
    observed: dict[str, str]


def synthetic_batches(directory: Path, rows: int) -> dict[str, Path]:
    """One Parquet batch per shape with ``rows`` rows (reused when already written)."""
    directory.mkdir(parents=True, exist_ok=True)
    paths = {}
    for subject, sql in SHAPES.items():
        path = directory / f"{subject}.{rows}.parquet"
        if not path.exists():
            partial = path.with_suffix(".partial")
            with duckdb.connect() as con:
                query = sql.format(day=DAY.isoformat(), rows=rows)
                con.execute(f"copy ({query}) to '{partial}' (format parquet, compression zstd)")
            partial.rename(path)
        paths[subject] = path
    return paths


def landed_batches(data_dir: Path) -> dict[str, Path]:
    """The newest landed batch of each entity the policy checks on GX, under ``data_dir``."""
    from crm.settings import Settings
    from quality.landing import batches_to_check
    from quality.policy import load_policy

    subjects = {tuple(c.subject.split(".", 1)) for c in load_policy().gated("landing")}
    batches = batches_to_check(Settings.from_env(data_dir), subjects, None)  # type: ignore[arg-type]
    return {f"{b.source}.{b.entity}": b.path for b in batches if b.rows() > 0}


def validate_once(subject: str, path: Path, engine: Engine) -> dict[str, Any]:
    """Validate ``path`` with the policy's GX checks of ``subject``: what the gate does for one batch."""
    import pyarrow.parquet as pq

    from quality.expectations import Facts, interpret, plan
    from quality.gx_runtime import close, new_context, validate_frame, validate_parquet
    from quality.policy import QuarantineCheck, load_policy

    source, entity = subject.split(".", 1)
    rows = int(pq.read_metadata(path).num_rows)
    logical = _logical_date(path)
    facts = Facts(
        source=source,
        entity=entity,
        reference_time=datetime.combine(logical + timedelta(days=1), clock(0), tzinfo=UTC),
        volume_baseline=float(rows),
        volume_history=7,
    )
    checks = [
        c
        for c in load_policy().gated("landing")
        if c.subject == subject and not isinstance(c, QuarantineCheck)
    ]
    plans = [item for item in (plan(check, facts) for check in checks) if not item.error and not item.skip]
    expectations = [expectation for item in plans for expectation in item.expectations]
    context = new_context(None)
    started = time.perf_counter()
    if engine == "sql":
        outcome = validate_parquet(context, subject, path, expectations, "bench")
    else:
        table = pq.read_table(path, columns=list(dict.fromkeys(c for item in plans for c in item.columns)))
        outcome = validate_frame(context, subject, table.to_pandas(), expectations, "bench")
    seconds = time.perf_counter() - started
    close(context)
    by_check: dict[str, list[Any]] = {}
    for result in outcome.results:
        assert result.expectation_config is not None
        by_check.setdefault(str(result.expectation_config.meta["check_id"]), []).append(result)
    observed = {
        item.check.id: interpret(item, by_check[item.check.id], rows).observed.split("; e.g.")[0]
        for item in plans
    }
    return {"seconds": seconds, "rows": rows, "observed": observed}


def _logical_date(path: Path) -> date:
    # landed batches live under date=YYYY-MM-DD/; synthetic ones are all of DAY
    for part in path.parts:
        if part.startswith("date="):
            return date.fromisoformat(part.removeprefix("date="))
    return DAY


def measure(subject: str, path: Path, engine: Engine) -> Measurement:
    """One validation in a fresh process: its wall time and the process's peak RSS."""
    child = subprocess.Popen(
        [sys.executable, "-m", "quality.bench_gx", "--child", subject, str(path), engine],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,  # GX and DuckDB may print shutdown noise; the JSON line is on stdout
    )
    assert child.stdout is not None
    output = child.stdout.read()
    _, status, usage = os.wait4(child.pid, 0)
    child.returncode = os.waitstatus_to_exitcode(status)
    if child.returncode != 0:
        raise RuntimeError(
            f"benchmark of {subject} on {engine} failed (exit {child.returncode}); run it alone"
        )
    report = json.loads(output.decode().strip().splitlines()[-1])
    return Measurement(
        subject, engine, report["rows"], report["seconds"], usage.ru_maxrss / 1024, report["observed"]
    )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m quality.bench_gx", description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000, help="rows per synthetic batch")
    parser.add_argument("--repeat", type=int, default=3, help="runs per engine and batch (median is shown)")
    parser.add_argument(
        "--dir", type=Path, default=Path("/tmp/crm-bench-gx"), help="where batches are written"
    )
    parser.add_argument("--landing", type=Path, help="benchmark the newest landed batches of this data dir")
    parser.add_argument("--child", nargs=3, metavar=("SUBJECT", "PATH", "ENGINE"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        subject, path, engine = args.child
        print(json.dumps(validate_once(subject, Path(path), engine), default=str))
        return
    console = Console()
    paths = landed_batches(args.landing) if args.landing else synthetic_batches(args.dir, args.rows)
    table = Table(title=f"GX engines, median of {args.repeat} (validation incl. reading; fresh process each)")
    for name in ("batch", "rows", "engine", "wall s", "peak RSS MB", "same results"):
        table.add_column(name, justify="right" if name in ("rows", "wall s", "peak RSS MB") else "left")
    for subject, path in paths.items():
        runs: dict[Engine, list[Measurement]] = {engine: [] for engine in ENGINES}
        for _ in range(args.repeat):
            for engine in ENGINES:
                console.log(f"{subject}: {engine}")
                runs[engine].append(measure(subject, path, engine))
        same = runs["sql"][0].observed == runs["pandas"][0].observed
        for engine in ENGINES:
            seconds = statistics.median(m.seconds for m in runs[engine])
            rss = statistics.median(m.peak_rss_mb for m in runs[engine])
            table.add_row(
                subject,
                f"{runs[engine][0].rows:,}",
                engine,
                f"{seconds:.2f}",
                f"{rss:,.0f}",
                "yes" if same else "NO",
            )
        if not same:
            console.print(
                f"[red]{subject}: engines disagree[/red]", runs["sql"][0].observed, runs["pandas"][0].observed
            )
    console.print(table)


if __name__ == "__main__":
    main()
