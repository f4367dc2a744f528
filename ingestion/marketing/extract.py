"""Extract the marketing platform's file drops: scan the inbox, verify each file, parse it.

The inbox holds one folder per delivery day with a ``_manifest.json`` written last (file name, kind,
format, gzip, encoding, row count, bytes, sha256). A run for logical date D looks at every folder
dated ≤ D and takes every listed file it has not landed in this exact version: so a late file is
picked up by the next run, and a re-delivered file (new checksum) lands again and replaces its
earlier version in raw. A version is known by (manifest sha256, size on disk), which costs a
``stat`` per file, not a read.

The new files of one entity land together as one batch (up to ``BATCH_ROWS`` rows), each row keeping
its file as lineage (``_source_file``): a two-year inbox is thousands of small files, and a batch per
file would spend its time on per-batch overhead rather than rows.

Verification before parsing, each failing that file (a failed batch of its own, the other files
still land) with an error naming the file: size and sha256 against the manifest (truncated or
altered file), gzip integrity, decoding in the declared encoding (a file declared Latin-1 that is
really UTF-8 is refused rather than turned into mojibake), the parsed record count against the
manifest's row count, and the contract's required columns. A record a reader cannot split into
fields (a CSV row with the wrong number of fields, a cut JSON line) is quarantined; the rest of the
file loads.

Files are verified and parsed on a small thread pool (hashing, gunzip, Arrow's CSV reader and Polars'
JSON reader release the GIL), a few files ahead of the batch being landed; results are taken in
listing order, so the batches — and every landed byte — are those of a serial read.
"""

from __future__ import annotations

import codecs
import csv
import gzip
import hashlib
import io
import json
import logging
import os
import time
import zlib
from collections import deque
from collections.abc import Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import polars as pl
import pyarrow as pa
import pyarrow.csv as pa_csv

from crm.settings import Settings
from ingestion.contracts import Entity
from ingestion.enforce import QUARANTINE_SCHEMA, ROW_LINEAGE, SchemaDriftError, check_required_columns
from ingestion.extract import Delivery
from ingestion.landing import Manifest
from ingestion.marketing.entities import ENTITIES

log = logging.getLogger(__name__)

MANIFEST = "_manifest.json"
BATCH_ROWS = 1_000_000  # rows per landed batch: bounds memory in a long backfill of big files
READ_WORKERS = min(4, os.cpu_count() or 1)  # threads verifying and parsing files
READ_AHEAD = 16  # files read ahead of the consumer: keeps the pool busy while a batch lands, bounds memory
ENTITY_BY_KIND = {entity.name: entity for entity in ENTITIES}
_SINGLE_BYTE = {"latin-1", "latin1", "iso-8859-1", "iso8859-1", "cp1252", "windows-1252"}


class DeliveryError(ValueError):
    """A delivered file cannot be trusted (checksum, encoding, row count): its batch fails.

    ``kind`` is the failed manifest's ``error_kind`` (one of ``landing.ERROR_KINDS``).
    """

    def __init__(self, message: str, kind: str) -> None:
        super().__init__(message)
        self.kind = kind


@dataclass
class FileRead:
    """One delivered file, verified and parsed — or why it could not be."""

    path: Path
    position: dict[str, Any]
    rows: int
    frame: pl.DataFrame | None = None
    rejected: pl.DataFrame | None = None
    error: str | None = None
    error_kind: str | None = None
    seconds: float = 0.0


@dataclass(frozen=True)
class ListedFile:
    """A file a delivery manifest lists and that has not landed in this version yet."""

    entity: Entity
    path: Path
    entry: dict[str, Any]
    source_file: str
    size: int
    day: date

    def read(self) -> FileRead:
        return read_file(self.entity, self.path, self.entry, self.source_file, self.size, self.day)


def inbox_folders(inbox: Path, upto: date) -> list[tuple[date, Path]]:
    """The inbox's delivery folders dated on or before ``upto``, oldest first."""
    folders = []
    for path in inbox.glob("????-??-??"):
        try:
            day = date.fromisoformat(path.name)
        except ValueError:
            continue
        if path.is_dir() and day <= upto:
            folders.append((day, path))
    return sorted(folders)


def _known_versions(history: dict[str, list[Manifest]]) -> set[tuple[str, str, int]]:
    """(source file, manifest sha256, size on disk) of every file version already landed or failed."""
    return {
        (file["source_file"], file["sha256"], int(file["size"]))
        for manifests in history.values()
        for manifest in manifests
        for file in manifest.position["files"]
    }


def extract(
    settings: Settings,
    logical_date: date,
    history: dict[str, list[Manifest]],
    *,
    batch_rows: int = BATCH_ROWS,
    read_workers: int = READ_WORKERS,
) -> Iterator[Delivery]:
    """Yield, per entity, the new file versions in folders ≤ D as deliveries of up to ``batch_rows``
    rows, and one failed delivery per file that fails verification."""
    listed = new_files(settings.marketing_inbox, logical_date, _known_versions(history))
    pending: dict[str, list[FileRead]] = {}
    pending_rows: dict[str, int] = {}
    for entity, read in read_in_order(listed, read_workers):
        if read.error is not None:
            yield _failed(entity, read)
            continue
        pending.setdefault(entity.name, []).append(read)
        pending_rows[entity.name] = pending_rows.get(entity.name, 0) + read.rows
        if pending_rows[entity.name] >= batch_rows:
            yield _combined(entity, pending.pop(entity.name))
            pending_rows[entity.name] = 0
    for name, group in pending.items():
        yield _combined(ENTITY_BY_KIND[name], group)


def new_files(inbox: Path, upto: date, known: set[tuple[str, str, int]]) -> Iterator[ListedFile]:
    """The files listed in the complete deliveries ≤ ``upto`` whose version is not in ``known``, in
    delivery then manifest order."""
    for day, folder in inbox_folders(inbox, upto):
        manifest_path = folder / MANIFEST
        if not manifest_path.exists():
            log.info("%s has no %s yet: skipped until its delivery completes", folder, MANIFEST)
            continue
        listing = json.loads(manifest_path.read_text(encoding="utf-8"))
        for entry in listing["files"]:
            path = folder / entry["file_name"]
            source_file = f"{folder.name}/{entry['file_name']}"
            size = path.stat().st_size if path.exists() else -1
            if (source_file, entry["sha256"], size) in known:
                continue
            entity = ENTITY_BY_KIND.get(entry["file_kind"])
            if entity is None:
                log.warning(
                    "%s: unknown file kind %r, not a contract entity: skipped", path, entry["file_kind"]
                )
                continue
            yield ListedFile(entity, path, entry, source_file, size, day)


def read_in_order(
    files: Iterable[ListedFile], workers: int, ahead: int = READ_AHEAD
) -> Iterator[tuple[Entity, FileRead]]:
    """Verify and parse ``files`` on ``workers`` threads, yielding each result in the order listed.

    At most ``ahead`` files are read before the consumer asks for them: enough to keep the pool busy
    while the consumer lands a batch, few enough to bound memory.
    """
    if workers <= 1:
        yield from ((listed.entity, listed.read()) for listed in files)
        return
    pool = ThreadPoolExecutor(workers, thread_name_prefix="marketing-read")
    in_flight: deque[tuple[Entity, Future[FileRead]]] = deque()
    try:
        for listed in files:
            in_flight.append((listed.entity, pool.submit(listed.read)))
            if len(in_flight) >= max(ahead, workers):
                entity, future = in_flight.popleft()
                yield entity, future.result()
        while in_flight:
            entity, future = in_flight.popleft()
            yield entity, future.result()
    finally:  # the consumer stopped early or a read raised: do not read the rest
        pool.shutdown(wait=True, cancel_futures=True)


def read_file(
    entity: Entity, path: Path, entry: dict[str, Any], source_file: str, size: int, day: date
) -> FileRead:
    """Verify and parse one delivered file."""
    started = time.perf_counter()
    position = {
        "source_file": source_file,
        "sha256": entry["sha256"],
        "size": size,
        "delivery_date": str(day),
    }
    read = FileRead(path=path, position=position, rows=int(entry["row_count"]))
    try:
        data = _verified_utf8(path, entry)
        frame, rejected = (_parse_ndjson if entry["format"] == "ndjson" else _parse_csv)(data)
        counted = frame.height + rejected.height
        if counted != read.rows and entry["format"] == "csv":  # an unterminated quote swallowed records
            frame, rejected = _parse_csv_recovering(data.decode("utf-8"))
            counted = frame.height + rejected.height
        if counted != read.rows:
            raise DeliveryError(
                f"{path}: {counted} records, the delivery manifest says {read.rows}", "record_count_mismatch"
            )
        if frame.height:
            check_required_columns(frame.columns, entity, origin=str(path))
    except (DeliveryError, SchemaDriftError) as error:
        read.error = str(error)
        read.error_kind = error.kind
        return read
    if frame.width == 0:  # an empty NDJSON file has no keys: an empty delivery, not drift
        frame = pl.DataFrame(schema=dict.fromkeys(entity.column_names, pl.String))
    read.frame = frame
    read.rejected = (
        rejected.with_columns(pl.col("_reason") + pl.lit(f" (in {source_file})")) if rejected.height else None
    )
    read.seconds = time.perf_counter() - started
    return read


def _failed(entity: Entity, read: FileRead) -> Delivery:
    return Delivery(
        entity=entity,
        frame=None,
        position={"files": [read.position]},
        origin=str(read.path),
        lineage=read.position["source_file"],
        error=read.error,
        error_kind=read.error_kind,
        rows_in=read.rows,
    )


def _combined(entity: Entity, reads: list[FileRead]) -> Delivery:
    """Verified files of one entity as one delivery; columns are united by name (drift is per file)."""
    frames = [(r.position["source_file"], r.frame) for r in reads if r.frame is not None and r.frame.height]
    rejected = [r.rejected for r in reads if r.rejected is not None]
    names = [r.position["source_file"] for r in reads]
    if frames:
        frame = pl.concat([f for _, f in frames], how="diagonal_relaxed")
        # Each row's file, built once for the whole batch rather than one column per small file.
        lineage = pl.DataFrame({ROW_LINEAGE: [n for n, _ in frames], "rows": [f.height for _, f in frames]})
        frame = frame.with_columns(
            lineage.select(pl.col(ROW_LINEAGE).repeat_by("rows").explode()).get_column(ROW_LINEAGE)
        )
    else:  # only empty files: an empty batch still records that they were delivered
        frame = pl.DataFrame(schema={**dict.fromkeys(entity.column_names, pl.String), ROW_LINEAGE: pl.String})
    return Delivery(
        entity=entity,
        frame=frame,
        position={"files": [r.position for r in reads]},
        origin=f"{len(names)} {entity.name} file(s) {names[0]} … {names[-1]}",
        rejected=pl.concat(rejected) if rejected else None,
        rows_in=sum(r.rows for r in reads),
        timings={"read_s": round(sum(r.seconds for r in reads), 4)},
    )


def _verified_utf8(path: Path, entry: dict[str, Any]) -> bytes:
    """The file's content as UTF-8 (byte order mark removed) after the checksum, gzip and encoding checks.

    Bytes rather than text: both parsers read bytes, and most files are UTF-8 already, which then needs
    validating but not copying through a Python string and back.
    """
    if not path.exists():
        raise DeliveryError(f"{path}: listed in {MANIFEST} but missing", "missing_file")
    content = path.read_bytes()
    digest = hashlib.sha256(content).hexdigest()
    if digest != entry["sha256"]:
        raise DeliveryError(
            f"{path}: truncated or altered: {len(content)} bytes with sha256 {digest[:12]}…, "
            f"the delivery manifest says {entry.get('bytes', '?')} bytes with sha256 {entry['sha256'][:12]}…",
            "truncated",
        )
    if entry.get("gzip"):
        try:
            content = gzip.decompress(content)
        except (OSError, EOFError, zlib.error) as error:
            raise DeliveryError(f"{path}: not a valid gzip stream: {error}", "bad_gzip") from error
    encoding = str(entry.get("encoding") or "utf-8").lower()
    if codecs.lookup(encoding).name == "utf-8":
        if not content.isascii():  # ASCII is valid UTF-8: only other bytes need the decoder's check
            _decoded(content, encoding, path)
        return content.removeprefix(codecs.BOM_UTF8)
    text = _decoded(content, encoding, path)
    if encoding in _SINGLE_BYTE and not text.isascii():
        try:
            content.decode("utf-8")
        except UnicodeDecodeError:
            pass
        else:
            raise DeliveryError(
                f"{path}: declared {encoding} but the bytes are UTF-8 (would load as mojibake)",
                "bad_encoding",
            )
    return text.removeprefix("\ufeff").encode("utf-8")


def _decoded(content: bytes, encoding: str, path: Path) -> str:
    try:
        return content.decode(encoding)
    except UnicodeDecodeError as error:
        sample = content[error.start : error.start + 8]
        raise DeliveryError(
            f"{path}: not valid {encoding} at byte {error.start} ({sample!r})", "bad_encoding"
        ) from error


def _rejected(rows: list[tuple[str, str]]) -> pl.DataFrame:
    return pl.DataFrame(rows, schema=QUARANTINE_SCHEMA, orient="row")


def _parse_csv(data: bytes) -> tuple[pl.DataFrame, pl.DataFrame]:
    """All fields as text; a record with the wrong number of fields is rejected, not padded.

    Read with Arrow's CSV reader (multi-threaded, quoted newlines allowed), whose invalid-row hook
    hands us each record with too few or too many fields. Polars' reader is not used here because
    it pads short rows with nulls, which would hide a malformed record instead of quarantining it.
    """
    header = next(csv.reader(io.TextIOWrapper(io.BytesIO(data), encoding="utf-8", newline="")), None)
    if not header:
        return pl.DataFrame(), _rejected([])
    bad: list[tuple[str, str]] = []

    def reject(row: pa_csv.InvalidRow) -> str:
        bad.append(
            (
                json.dumps({"text": row.text}, ensure_ascii=False),
                f"malformed CSV record: {row.actual_columns} fields, header has {row.expected_columns}",
            )
        )
        return "skip"

    table = pa_csv.read_csv(
        pa.BufferReader(data),
        read_options=pa_csv.ReadOptions(use_threads=len(data) > 1 << 20),  # threads only pay off on big files
        parse_options=pa_csv.ParseOptions(newlines_in_values=True, invalid_row_handler=reject),
        convert_options=pa_csv.ConvertOptions(
            column_types={name: pa.string() for name in header},
            null_values=[""],  # not Arrow's default list: a value "NA" or "null" is text
            strings_can_be_null=True,
            quoted_strings_can_be_null=True,  # CSV cannot tell an empty field from a missing value
        ),
    )
    frame = pl.from_arrow(table)
    assert isinstance(frame, pl.DataFrame)
    return frame, _rejected(bad)


def _record_fields(record: str) -> list[str]:
    """The fields of ``record`` when it is exactly one CSV record, else none (the caller rejects it)."""
    try:
        records = list(csv.reader(io.StringIO(record, newline="")))
    except csv.Error:
        return []
    # a stray quote mid-field pairs two lines by quote parity, yet they read as two records
    return records[0] if len(records) == 1 else []


def _parse_csv_recovering(text: str) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Slow path for a CSV whose record count disagrees with its manifest: isolate the broken line.

    A field opened with a quote that is never closed makes a CSV reader swallow every record after
    it. Here physical lines are grouped into records by quote parity; a group that does not parse to
    the header's width is cut back to its first line, which is rejected, and parsing restarts on the
    next line — so one broken row costs that row, not the file.
    """
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    header = next(csv.reader([lines[0]])) if lines else []
    good: list[list[str]] = []
    bad: list[tuple[str, str]] = []
    start = 1
    while start < len(lines):
        end, odd = start, lines[start].count('"') % 2
        while odd and end + 1 < len(lines):
            end += 1
            odd ^= lines[end].count('"') % 2
        fields = [] if odd else _record_fields("\n".join(lines[start : end + 1]))
        if len(fields) == len(header):
            good.append(fields)
            start = end + 1
            continue
        bad.append(
            (
                json.dumps({"text": lines[start]}, ensure_ascii=False),
                f"malformed CSV record at line {start + 1}: unbalanced quotes or {len(fields)} fields, "
                f"header has {len(header)}",
            )
        )
        start += 1
    columns = list(zip(*good, strict=True)) if good else [() for _ in header]
    frame = pl.DataFrame(
        {name: pl.Series(name, values, dtype=pl.String) for name, values in zip(header, columns, strict=True)}
    )
    frame = frame.with_columns(pl.when(pl.col(c) != "").then(pl.col(c)).alias(c) for c in frame.columns)
    return frame, _rejected(bad)


def _parse_ndjson(data: bytes) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Fast path through Polars; if any line is not JSON, fall back line by line to find it."""
    try:
        blank = not data or data.isspace()
        frame = pl.read_ndjson(io.BytesIO(data), infer_schema_length=None) if not blank else pl.DataFrame()
        return frame, _rejected([])
    except (pl.exceptions.ComputeError, pl.exceptions.SchemaError, ValueError):
        pass
    text = data.decode("utf-8")
    good: list[dict[str, Any]] = []
    bad: list[tuple[str, str]] = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
            if not isinstance(record, dict):
                raise ValueError("not a JSON object")
        except ValueError as error:
            bad.append(
                (
                    json.dumps({"line": number, "text": line}, ensure_ascii=False),
                    f"malformed JSON at line {number}: {error}",
                )
            )
            continue
        good.append(record)
    frame = pl.DataFrame(good, infer_schema_length=None) if good else pl.DataFrame()
    return frame, _rejected(bad)
