"""Write ``seeds/samples/``: a few rows of every source's export shape, taken from a real world.

The samples are what a reader (or a loader author) looks at first: each sales table as CSV, each
support entity as one API page exactly as the server returns it, and one marketing delivery folder
as it lands in the inbox, with its manifest. They come out of the real transports, run against a
scratch copy of the sources (the world is only read), so they cannot drift from what is served.

    .venv/bin/python -m seeds.transports.samples --data-dir data [--as-of YYYY-MM-DD] [--rows 8]
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import shutil
import sqlite3
import tempfile
from collections.abc import Iterator
from contextlib import closing, contextmanager
from datetime import date
from pathlib import Path

import httpx
import polars as pl

from crm.settings import DEFAULT_SUPPORT_PORT, Settings
from seeds.transports import advance, clock, marketing_inbox
from seeds.transports.contract import DELIVERY_DATE, MARKETING_BY_NAME, SALES, SUPPORT
from seeds.transports.support_api import start_server

SAMPLES_DIR = Path(__file__).resolve().parents[1] / "samples"
SAMPLE_TOKEN = "sample-token"


@contextmanager
def scratch_sources(settings: Settings) -> Iterator[Settings]:
    """Settings whose world is ``settings``'s (linked, read-only use) and whose sources are temporary."""
    with tempfile.TemporaryDirectory(prefix="crm-samples-") as scratch:
        root = Path(scratch)
        (root / "world").symlink_to(settings.world_dir, target_is_directory=True)
        yield Settings.from_env(root)


def write_samples(
    settings: Settings, out_dir: Path = SAMPLES_DIR, as_of: date | None = None, rows: int = 8
) -> None:
    """Replace ``out_dir`` with fresh samples of the world under ``settings`` as of ``as_of``."""
    meta = (settings.world_dir / "world.json").read_text(encoding="utf-8")
    as_of = as_of or date.fromisoformat(json.loads(meta)["end"])
    if out_dir.exists():
        for child in ("sales", "support", "marketing"):
            shutil.rmtree(out_dir / child, ignore_errors=True)
    with scratch_sources(settings) as scratch:
        advance(scratch, as_of)
        _sales(scratch, out_dir / "sales", rows)
        _support(scratch, out_dir / "support", rows)
        _marketing(scratch, out_dir / "marketing" / "inbox", as_of, rows)


def _sales(settings: Settings, out_dir: Path, rows: int) -> None:
    out_dir.mkdir(parents=True, exist_ok=True)
    with closing(sqlite3.connect(settings.sales_sqlite_path)) as con:
        for entity in SALES:
            key = ", ".join(f'"{c}"' for c in entity.key)
            cursor = con.execute(f'SELECT * FROM "{entity.name}" ORDER BY {key} LIMIT {rows}')
            buffer = io.StringIO(newline="")
            writer = csv.writer(buffer, lineterminator="\n")
            writer.writerow([d[0] for d in cursor.description])
            writer.writerows(cursor.fetchall())
            (out_dir / f"{entity.name}.csv").write_text(buffer.getvalue(), encoding="utf-8")


def _support(settings: Settings, out_dir: Path, rows: int) -> None:
    out_dir.mkdir(parents=True, exist_ok=True)
    # Ask as if the server ran on its default port, so after_url does not depend on a random port.
    headers = {"Authorization": f"Bearer {SAMPLE_TOKEN}", "Host": f"127.0.0.1:{DEFAULT_SUPPORT_PORT}"}
    with (
        start_server(settings, token=SAMPLE_TOKEN) as server,
        httpx.Client(headers=headers, timeout=60) as client,
    ):
        for entity in SUPPORT:
            page = client.get(
                f"{server.url}/api/v2/incremental/{entity.name}/cursor.json",
                params={"start_time": 0, "per_page": rows},
            )
            page.raise_for_status()
            (out_dir / f"{entity.name}.json").write_bytes(page.content)


def _marketing(settings: Settings, inbox: Path, as_of: date, rows: int) -> None:
    """The latest fault-free folder holding every file kind with rows, each cut to ``rows`` rows."""
    plan = marketing_inbox.read_plan(settings)
    folders = marketing_inbox.expected_folders(plan, as_of)
    filled: set[date] | None = None
    for kind in MARKETING_BY_NAME:
        days = clock.scan(settings, MARKETING_BY_NAME[kind]).select(pl.col(DELIVERY_DATE).unique()).collect()
        kind_days = set(days.get_column(DELIVERY_DATE).to_list())
        filled = kind_days if filled is None else filled & kind_days
    candidates = [
        day
        for day, files in folders.items()
        if day in (filled or set())
        and len(files) == len(MARKETING_BY_NAME)
        and all(d.fault == "none" for d, _ in files.values())
    ]
    day = max(candidates or folders)
    files = folders[day]
    folder = inbox / day.isoformat()
    folder.mkdir(parents=True, exist_ok=True)
    entries = []
    for name, (delivery, version) in sorted(files.items()):
        frame = (
            clock.scan(settings, MARKETING_BY_NAME[delivery.file_kind])
            .filter(pl.col(DELIVERY_DATE) == day)
            .head(rows)
            .collect()
        )
        rendered = marketing_inbox.render(delivery, version, frame)
        (folder / name).write_bytes(rendered.content)
        entries.append(rendered.entry)
    written_at = max(d.written_at(v) for d, v in files.values())
    (folder / marketing_inbox.MANIFEST).write_bytes(marketing_inbox.manifest(day, written_at, entries))


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--data-dir", type=Path, default=None, help="data directory holding world/")
    parser.add_argument(
        "--out", type=Path, default=SAMPLES_DIR, help="where to write (default seeds/samples)"
    )
    parser.add_argument(
        "--as-of", type=date.fromisoformat, default=None, help="clock date (default: world end)"
    )
    parser.add_argument("--rows", type=int, default=8, help="rows per sample")
    args = parser.parse_args()
    write_samples(Settings.from_env(args.data_dir), args.out, args.as_of, args.rows)


if __name__ == "__main__":
    main()
