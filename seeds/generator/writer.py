"""Deterministic, atomic-ish output: fixed Parquet settings, background writes and a directory swap.

Same data ⇒ same bytes: one compression codec and level, a fixed row-group size, statistics without
any timestamps, rows already in a deterministic order, and no wall-clock time written anywhere. zstd
level 1 rather than 3: a fifth less CPU for the writes (a third of a run) for files ~8% larger. The
world and truth are written into hidden sibling directories and renamed over the old ones at the end,
so a reader never sees half a world and a failed run leaves the previous world in place.

Encoding and compressing Parquet is a third of a run's CPU and Polars releases the GIL while doing
it, so :class:`BackgroundWriter` writes finished tables on worker threads while the main thread builds
the next source: the second core does the writing. Each file's bytes depend only on its frame, never
on thread timing.
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Any, Literal

import polars as pl

ROW_GROUP_SIZE = 1_000_000
COMPRESSION: Literal["zstd"] = "zstd"
COMPRESSION_LEVEL = 1
WRITER_THREADS = 2


def write_parquet(df: pl.DataFrame, path: Path) -> None:
    """Write one table with the project's fixed Parquet settings."""
    path.parent.mkdir(parents=True, exist_ok=True)
    df.write_parquet(
        path,
        compression=COMPRESSION,
        compression_level=COMPRESSION_LEVEL,
        statistics=True,
        row_group_size=ROW_GROUP_SIZE,
    )


@dataclass(frozen=True)
class DeferredTable:
    """A table whose frame ``build()`` makes only when it is written (on the writer thread), so a large
    table's text never sits in memory while the rest of the run is computed."""

    height: int
    build: Callable[[], pl.DataFrame]


class BackgroundWriter:
    """Write Parquet files on worker threads; ``close()`` (or leaving the ``with``) waits for all of them.

    A submitted frame is held only until its file is written, so the caller should drop its own
    reference right after submitting. The first failed write is re-raised, naming the file.
    """

    def __init__(self, threads: int | None = None) -> None:
        self._pool = ThreadPoolExecutor(
            max_workers=threads or WRITER_THREADS, thread_name_prefix="parquet-writer"
        )
        self._pending: list[tuple[Path, Future[None]]] = []

    def submit(self, table: pl.DataFrame | DeferredTable, path: Path) -> None:
        """Queue ``table`` to be written to ``path`` (directories are created as needed)."""
        self._pending.append((path, self._pool.submit(_write, table, path)))

    def close(self) -> None:
        """Wait for every queued write; raise the first error."""
        try:
            for path, future in self._pending:
                try:
                    future.result()
                except Exception as error:
                    raise OSError(f"writing {path} failed: {error}") from error
        finally:
            self._pending.clear()
            self._pool.shutdown(wait=True, cancel_futures=True)

    def __enter__(self) -> BackgroundWriter:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if exc_type is None:
            self.close()
            return
        # Already failing: stop queued writes, let running ones finish, keep the original error.
        self._pool.shutdown(wait=True, cancel_futures=True)
        self._pending.clear()


def _write(table: pl.DataFrame | DeferredTable, path: Path) -> None:
    write_parquet(table.build() if isinstance(table, DeferredTable) else table, path)


def write_json(obj: Any, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(obj, indent=2, sort_keys=True, default=str) + "\n", encoding="utf-8")


@contextmanager
def swapped_dirs(*targets: Path) -> Iterator[list[Path]]:
    """Yield fresh temporary siblings of ``targets``; on success rename them over the targets."""
    temps = [t.parent / f".{t.name}.partial" for t in targets]
    for tmp in temps:
        if tmp.exists():
            shutil.rmtree(tmp)
        tmp.mkdir(parents=True)
    try:
        yield temps
    except BaseException:
        for tmp in temps:
            shutil.rmtree(tmp, ignore_errors=True)
        raise
    for tmp, target in zip(temps, targets, strict=True):
        old = target.parent / f".{target.name}.old"
        if old.exists():
            shutil.rmtree(old)
        if target.exists():
            os.replace(target, old)
        os.replace(tmp, target)
        shutil.rmtree(old, ignore_errors=True)
