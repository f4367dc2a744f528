"""The landing zone: immutable Parquet batches with their manifests, written atomically.

Layout, per batch::

    <data>/landing/<source>/<entity>/date=YYYY-MM-DD/<batch_id>.parquet             typed rows
    <data>/landing/<source>/<entity>/date=YYYY-MM-DD/<batch_id>.quarantine.parquet  rejected rows
    <data>/landing/<source>/<entity>/date=YYYY-MM-DD/<batch_id>.manifest.json       written last

A batch exists once its manifest exists: data files are written first (temp file + rename), the
manifest last, so a crash leaves at most orphan data files, which the next extraction sweeps. The
manifests are also the extractors' memory: where the last batch ended (watermark, cursor, file
checksum) is where the next one starts, so extraction never needs to open the warehouse.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import polars as pl

from crm.settings import Settings

MANIFEST_SUFFIX = ".manifest.json"
QUARANTINE_SUFFIX = ".quarantine.parquet"
ERROR_KINDS = (
    "truncated",
    "bad_gzip",
    "bad_encoding",
    "record_count_mismatch",
    "missing_file",
    "schema_break",
)
"""Why a batch was rejected whole (a failed manifest's ``error_kind``): the faults the quality policy's
``rejected_batches`` checks name (``quality.policy.FAULTS``, which adds ``other`` for anything else)."""


class ExtractionLocked(RuntimeError):
    """Another process is extracting the same source (extraction of one source is serial)."""


@dataclass
class Manifest:
    """What one landed batch holds and where it came from; the JSON twin of a row of ops.load_manifest.

    ``status`` is ``landed`` (rows to load) or ``failed`` (the batch was rejected whole, e.g. schema
    drift or a file truncated against its delivery manifest; ``error`` says why in words and
    ``error_kind`` which of ``ERROR_KINDS`` it is — None for another failure, and in manifests written
    before the field existed; nothing to load).
    ``position`` is the source-specific range the batch covers: a watermark range for SQL, a cursor
    range for the API, the delivered file and its checksum for file drops.
    """

    source: str
    entity: str
    batch_id: str
    seq: int
    logical_date: str
    status: str
    rows_in: int
    rows_loaded: int
    rows_quarantined: int
    checksum: str | None
    position: dict[str, Any]
    extracted_at: str
    contract_version: int = 1
    lineage: str | None = None
    notes: dict[str, int] = field(default_factory=dict)
    added_columns: list[str] = field(default_factory=list)
    missing_columns: list[str] = field(default_factory=list)
    timings: dict[str, float] = field(default_factory=dict)
    error: str | None = None
    error_kind: str | None = None

    @property
    def date(self) -> date:
        return date.fromisoformat(self.logical_date)

    def to_json(self) -> str:
        return json.dumps(asdict(self), indent=2, sort_keys=True, ensure_ascii=False) + "\n"

    @classmethod
    def from_file(cls, path: Path) -> Manifest:
        return cls(**json.loads(path.read_text(encoding="utf-8")))


def batch_id(source: str, entity: str, logical_date: date, seq: int) -> str:
    """Batch ids sort by entity sequence; they name the logical date for people reading them."""
    return f"{source}__{entity}__{logical_date:%Y%m%d}__{seq:06d}"


def entity_dir(settings: Settings, source: str, entity: str) -> Path:
    return settings.landing_dir / source / entity


def batch_dir(settings: Settings, source: str, entity: str, logical_date: date) -> Path:
    return entity_dir(settings, source, entity) / f"date={logical_date:%Y-%m-%d}"


def data_path(settings: Settings, manifest: Manifest) -> Path:
    return (
        batch_dir(settings, manifest.source, manifest.entity, manifest.date) / f"{manifest.batch_id}.parquet"
    )


def quarantine_path(settings: Settings, manifest: Manifest) -> Path:
    directory = batch_dir(settings, manifest.source, manifest.entity, manifest.date)
    return directory / f"{manifest.batch_id}{QUARANTINE_SUFFIX}"


def manifests(settings: Settings, source: str, entity: str) -> list[Manifest]:
    """Every batch manifest of an entity (landed and failed), in sequence order."""
    found = [
        Manifest.from_file(path)
        for path in entity_dir(settings, source, entity).glob(f"date=*/*{MANIFEST_SUFFIX}")
    ]
    return sorted(found, key=lambda m: m.seq)


def next_seq(existing: list[Manifest]) -> int:
    return existing[-1].seq + 1 if existing else 1


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _fsync_dir(directory: Path) -> None:
    descriptor = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


def _replace_atomically(tmp: Path, path: Path) -> None:
    with tmp.open("rb") as handle:
        os.fsync(handle.fileno())
    os.replace(tmp, path)
    _fsync_dir(path.parent)


def write_parquet(frame: pl.DataFrame, path: Path) -> str:
    """Write ``frame`` to ``path`` atomically; return the file's sha256."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    frame.write_parquet(tmp, compression="zstd", statistics=True)
    checksum = file_sha256(tmp)
    _replace_atomically(tmp, path)
    return checksum


def write_manifest(settings: Settings, manifest: Manifest) -> Path:
    """Commit a batch to the landing zone: after this rename the batch exists for the loader."""
    directory = batch_dir(settings, manifest.source, manifest.entity, manifest.date)
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"{manifest.batch_id}{MANIFEST_SUFFIX}"
    if path.exists():
        raise FileExistsError(f"{path}: landed batches are immutable")
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(manifest.to_json(), encoding="utf-8")
    _replace_atomically(tmp, path)
    return path


def sweep_orphans(settings: Settings, source: str, entity: str) -> list[Path]:
    """Delete data files and temp files no manifest covers (left by a crash before the manifest)."""
    root = entity_dir(settings, source, entity)
    committed = {path.name.removesuffix(MANIFEST_SUFFIX) for path in root.glob(f"date=*/*{MANIFEST_SUFFIX}")}
    removed = []
    for path in root.glob("date=*/*"):
        stem = path.name.removesuffix(QUARANTINE_SUFFIX).removesuffix(".parquet")
        if path.name.startswith(".") or (path.suffix == ".parquet" and stem not in committed):
            path.unlink(missing_ok=True)
            removed.append(path)
    return removed


@contextlib.contextmanager
def extraction_lock(settings: Settings, source: str) -> Iterator[None]:
    """Hold the source's extraction lock: two extractions of one source would race on sequence numbers."""
    path = settings.landing_dir / source / ".extract.lock"
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError as error:
            raise ExtractionLocked(f"another process is extracting source {source!r} ({path})") from error
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def utc_now() -> str:
    return datetime.now(UTC).isoformat(timespec="microseconds")
