"""The marketing platform's file drops: one inbox folder per delivery day, written as of the clock.

The generator decides everything (``world/marketing/_deliveries.parquet`` is the plan: which file
lands in which folder, when, in which encoding, and with which fault); this writer only renders the
plan as of clock date D. A planned file is in its folder once ``visible_at < D + 1 day``; a
redelivered file is replaced by its corrected version once ``redelivered_at`` is reached. Every
change to a folder rewrites its ``_manifest.json`` last, atomically, so a reader that sees a manifest
sees every file it lists.

Faults (``fault_detail`` keys are documented in seeds/README.md): ``late`` (only ``visible_at`` is
late), ``truncated`` (fewer rows, or bytes, than the manifest describes), ``redelivered`` (first an
incomplete file with a matching manifest, later the full one under the same name),
``bad_encoding`` (bytes in another encoding than the manifest declares), ``malformed`` (one row
broken: an unterminated quote, missing fields, or a JSON line cut in half), and schema drift
(``schema_added_column`` / ``schema_renamed_column`` mark the first drifted delivery of a file kind;
the change holds for that kind from then on). The generator's spellings ``late_file``,
``truncated_file``, ``redelivered_file`` and ``malformed_row`` are read as the same faults.

Rendering is deterministic (gzip without timestamps, manifest without wall-clock times), and a
folder is rewritten only when what it should hold changed, so advancing to the same date twice
leaves identical bytes and unchanged files.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import logging
import shutil
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from datetime import date, datetime
from pathlib import Path
from typing import Any

import polars as pl

from crm.settings import Settings
from seeds.transports import clock
from seeds.transports.contract import DELIVERY_DATE, MARKETING, MARKETING_BY_NAME

log = logging.getLogger(__name__)

MANIFEST = "_manifest.json"
PLAN_COLUMNS = (
    "delivery_date",
    "file_kind",
    "file_name",
    "format",
    "gzip",
    "encoding",
    "fault",
    "fault_detail",
    "visible_at",
    "redelivered_at",
)
FAULTS = frozenset(
    {
        "none",
        "late",
        "truncated",
        "redelivered",
        "bad_encoding",
        "malformed",
        "schema_added_column",
        "schema_renamed_column",
    }
)
FAULT_ALIASES = {
    "late_file": "late",
    "truncated_file": "truncated",
    "redelivered_file": "redelivered",
    "malformed_row": "malformed",
}
DATES_PER_BATCH = 31  # folders rendered per scan of the world: bounds memory at SF 1

Progress = Callable[[str, int], None]


@dataclass(frozen=True)
class Delivery:
    """One planned file of one inbox folder (a row of ``_deliveries.parquet``)."""

    delivery_date: date
    file_kind: str
    file_name: str
    format: str
    gzip: bool
    encoding: str
    fault: str
    detail: dict[str, Any]
    visible_at: datetime
    redelivered_at: datetime | None
    added_column: str | None = None  # schema drift in force for this file: an extra column …
    renamed_column: tuple[str, str] | None = None  # … and/or a column under a new name (from, to)

    def version(self, as_of: date) -> str | None:
        """Which version of the file the inbox holds as of ``as_of``: None, "first" or "final"."""
        limit = clock.cutoff(as_of)
        if self.visible_at >= limit:
            return None
        if self.fault == "redelivered" and (self.redelivered_at is None or self.redelivered_at >= limit):
            return "first"
        return "final"

    def written_at(self, version: str) -> datetime:
        """When the version on disk was delivered."""
        if version == "final" and self.fault == "redelivered" and self.redelivered_at is not None:
            return self.redelivered_at
        return self.visible_at


@dataclass(frozen=True)
class Rendered:
    """A file's bytes as written and the manifest entry describing it."""

    content: bytes
    entry: dict[str, Any]


def read_plan(settings: Settings) -> list[Delivery]:
    """The delivery plan, validated: known kinds, formats and faults, parseable details."""
    path = settings.world_dir / "marketing" / "_deliveries.parquet"
    if not path.exists():
        raise clock.WorldError(f"{path} is missing: run `crm generate` first (or check --data-dir)")
    frame = pl.read_parquet(path)
    missing = [c for c in PLAN_COLUMNS if c not in frame.columns]
    if missing:
        raise clock.WorldError(f"{path}: missing column(s) {', '.join(missing)}")
    plan = []
    for number, row in enumerate(frame.select(PLAN_COLUMNS).iter_rows(named=True)):
        where = f"{path} row {number} ({row['file_name']})"
        if row["file_kind"] not in MARKETING_BY_NAME:
            raise clock.WorldError(f"{where}: unknown file_kind {row['file_kind']!r}")
        fault = FAULT_ALIASES.get(row["fault"], row["fault"])
        if fault not in FAULTS:
            raise clock.WorldError(f"{where}: unknown fault {row['fault']!r}")
        if row["format"] not in ("csv", "ndjson"):
            raise clock.WorldError(f"{where}: unknown format {row['format']!r}")
        try:
            detail = json.loads(row["fault_detail"] or "{}")
            "".encode(row["encoding"])
        except (ValueError, LookupError) as error:
            raise clock.WorldError(f"{where}: {error}") from error
        plan.append(
            Delivery(
                delivery_date=row["delivery_date"],
                file_kind=row["file_kind"],
                file_name=row["file_name"],
                format=row["format"],
                gzip=bool(row["gzip"]),
                encoding=row["encoding"],
                fault=fault,
                detail=detail,
                visible_at=row["visible_at"],
                redelivered_at=row["redelivered_at"],
            )
        )
    plan = _with_drift(plan)
    seen: set[tuple[date, str]] = set()
    for delivery in plan:
        slot = (delivery.delivery_date, delivery.file_name)
        if slot in seen:
            raise clock.WorldError(
                f"{path}: {delivery.file_name} is planned twice for {delivery.delivery_date}"
            )
        seen.add(slot)
    return plan


def _with_drift(plan: list[Delivery]) -> list[Delivery]:
    """Carry each schema change from the delivery that introduces it to every later one of its kind."""
    added: dict[str, tuple[date, str]] = {}
    renamed: dict[str, tuple[date, tuple[str, str]]] = {}
    for delivery in plan:
        detail, kind, day = delivery.detail, delivery.file_kind, delivery.delivery_date
        if delivery.fault == "schema_added_column":
            added[kind] = (day, str(detail["column"]))
        elif delivery.fault == "schema_renamed_column":
            renamed[kind] = (day, (str(detail["column"]), str(detail["renamed_to"])))
    drifted = []
    for delivery in plan:
        kind, day = delivery.file_kind, delivery.delivery_date
        new_column = added[kind][1] if kind in added and day >= added[kind][0] else None
        new_name = renamed[kind][1] if kind in renamed and day >= renamed[kind][0] else None
        drifted.append(replace(delivery, added_column=new_column, renamed_column=new_name))
    return drifted


def expected_folders(plan: Iterable[Delivery], as_of: date) -> dict[date, dict[str, tuple[Delivery, str]]]:
    """Per inbox folder, the files it holds as of ``as_of`` and which version of each."""
    folders: dict[date, dict[str, tuple[Delivery, str]]] = {}
    for delivery in plan:
        version = delivery.version(as_of)
        if version is not None:
            folders.setdefault(delivery.delivery_date, {})[delivery.file_name] = (delivery, version)
    return folders


def _signature(files: dict[str, tuple[Delivery, str]]) -> str:
    return ";".join(f"{name}:{version}" for name, (_, version) in sorted(files.items()))


def _state_path(settings: Settings) -> Path:
    return settings.marketing_inbox.parent / "_inbox_state.json"


def _fingerprint(settings: Settings) -> str:
    digest = hashlib.sha256()
    for path in sorted((settings.world_dir / "marketing").glob("*.parquet")):
        stat = path.stat()
        digest.update(f"{path.name}:{stat.st_size}:{stat.st_mtime_ns};".encode())
    return digest.hexdigest()[:32]


def sync(settings: Settings, as_of: date, progress: Progress | None = None) -> dict[str, int]:
    """Make the inbox hold exactly what was delivered by ``as_of``; return rows written per file kind."""
    inbox = settings.marketing_inbox
    plan = read_plan(settings)
    wanted = expected_folders(plan, as_of)
    fingerprint = _fingerprint(settings)
    state = _read_state(settings, fingerprint)
    written = {f"marketing.{e.name}": 0 for e in MARKETING}

    for folder in sorted(p for p in inbox.glob("*") if p.is_dir() and _is_date(p.name)):
        if date.fromisoformat(folder.name) not in wanted:
            shutil.rmtree(folder)
            state.pop(folder.name, None)

    stale = sorted(
        day
        for day, files in wanted.items()
        if state.get(day.isoformat()) != _signature(files)
        or not (inbox / day.isoformat() / MANIFEST).exists()
    )
    log.info("marketing inbox: %d folder(s) as of %s, %d to (re)write", len(wanted), as_of, len(stale))
    for start in range(0, len(stale), DATES_PER_BATCH):
        batch = stale[start : start + DATES_PER_BATCH]
        rows = _rows_by_date(settings, batch)
        for day in batch:
            counts = _write_folder(inbox / day.isoformat(), day, wanted[day], rows)
            for kind, count in counts.items():
                written[f"marketing.{kind}"] += count
            state[day.isoformat()] = _signature(wanted[day])
            if progress:
                progress(day.isoformat(), sum(counts.values()))
        _write_state(settings, fingerprint, as_of, state)
    _write_state(settings, fingerprint, as_of, state)
    return written


def _is_date(name: str) -> bool:
    try:
        date.fromisoformat(name)
    except ValueError:
        return False
    return len(name) == 10


def _read_state(settings: Settings, fingerprint: str) -> dict[str, str]:
    path = _state_path(settings)
    if not path.exists():
        return {}
    try:
        state = json.loads(path.read_text(encoding="utf-8"))
    except ValueError:
        return {}
    if state.get("world") != fingerprint:
        return {}
    return dict(state.get("folders", {}))


def _write_state(settings: Settings, fingerprint: str, as_of: date, folders: dict[str, str]) -> None:
    body = {"world": fingerprint, "as_of": as_of.isoformat(), "folders": dict(sorted(folders.items()))}
    clock.write_atomic(_state_path(settings), json.dumps(body, indent=1).encode())


def _rows_by_date(settings: Settings, days: list[date]) -> dict[tuple[str, date], pl.DataFrame]:
    """Every exported row of these delivery days, per (file kind, day), in world order."""
    found: dict[tuple[str, date], pl.DataFrame] = {}
    for entity in MARKETING:
        frame = (
            clock.scan(settings, entity)
            .filter(pl.col(DELIVERY_DATE).is_in(days))
            .with_row_index("_order")
            .collect()
        )
        for (day,), part in frame.partition_by(DELIVERY_DATE, as_dict=True, maintain_order=True).items():
            found[(entity.name, day)] = part.sort("_order").drop("_order")
    return found


def _write_folder(
    folder: Path,
    day: date,
    files: dict[str, tuple[Delivery, str]],
    rows: dict[tuple[str, date], pl.DataFrame],
) -> dict[str, int]:
    """Render and write one folder's files, drop files no longer due, then the manifest — last."""
    folder.mkdir(parents=True, exist_ok=True)
    entries = []
    counts: dict[str, int] = {}
    for name, (delivery, version) in sorted(files.items()):
        frame = rows.get((delivery.file_kind, day))
        if frame is None:
            frame = _empty(delivery.file_kind)
        rendered = render(delivery, version, frame)
        path = folder / name
        if not path.exists() or path.read_bytes() != rendered.content:
            clock.write_atomic(path, rendered.content)
            counts[delivery.file_kind] = counts.get(delivery.file_kind, 0) + rendered.entry["row_count"]
        entries.append(rendered.entry)
    for leftover in folder.iterdir():
        if leftover.name not in files and leftover.name != MANIFEST:
            leftover.unlink()
    content = manifest(day, max(d.written_at(v) for d, v in files.values()), entries)
    manifest_path = folder / MANIFEST
    if not manifest_path.exists() or manifest_path.read_bytes() != content:
        clock.write_atomic(manifest_path, content)
    return counts


def manifest(day: date, written_at: datetime, entries: list[dict[str, Any]]) -> bytes:
    """The ``_manifest.json`` bytes of a folder: no wall-clock time, so rewriting it is idempotent."""
    body = {
        "delivery_date": day.isoformat(),
        "written_at": written_at.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "files": entries,
    }
    return (json.dumps(body, indent=2, ensure_ascii=False) + "\n").encode()


def _empty(kind: str) -> pl.DataFrame:
    entity = MARKETING_BY_NAME[kind]
    return pl.DataFrame(schema={c: pl.String for c in entity.columns})


def _columns(delivery: Delivery, frame: pl.DataFrame) -> pl.DataFrame:
    """The columns this file carries: the contract's, plus the drift column once added, renamed once due."""
    entity = MARKETING_BY_NAME[delivery.file_kind]
    added = delivery.added_column
    if added is not None and added not in frame.columns:
        frame = frame.with_columns(pl.lit(None, pl.String).alias(added))
    frame = frame.select(c for c in frame.columns if c in entity.columns or c == added)
    if delivery.renamed_column is not None:
        frame = frame.rename(dict([delivery.renamed_column]))
    return frame


def _text(delivery: Delivery, frame: pl.DataFrame) -> str:
    if delivery.format == "ndjson":
        return frame.write_ndjson()
    return frame.write_csv(quote_style="necessary", line_terminator="\n")


def _encodings(delivery: Delivery) -> tuple[str, str]:
    """(declared in the manifest, actually used for the bytes)."""
    detail = delivery.detail
    if delivery.fault != "bad_encoding":
        return delivery.encoding, delivery.encoding
    declared = str(detail.get("declared") or delivery.encoding)
    actual = detail.get("actual") or detail.get("actual_encoding")
    if actual is None:
        actual = delivery.encoding if delivery.encoding != declared else "latin-1"
    if actual == declared:
        actual = "utf-8" if declared != "utf-8" else "latin-1"
    return declared, str(actual)


def _encode(delivery: Delivery, text: str) -> bytes:
    _, actual = _encodings(delivery)
    data = text.encode(actual, errors="replace")  # an exporter replaces what its encoding lacks
    return gzip.compress(data, compresslevel=6, mtime=0) if delivery.gzip else data


def render(delivery: Delivery, version: str, frame: pl.DataFrame) -> Rendered:
    """The bytes of ``delivery``'s file in ``version`` ("first" or "final") and its manifest entry."""
    frame = _columns(delivery, frame)
    if version == "first":  # the incomplete delivery a redelivery later corrects
        frame = frame.head(_first_version_rows(delivery, frame.height))
    described = _encode(
        delivery,
        _malformed_text(delivery, frame) if _is_malformed(delivery, frame) else _text(delivery, frame),
    )
    content = described
    if delivery.fault == "truncated":
        content = _truncated(delivery, frame, described)
    entry = {
        "file_name": delivery.file_name,
        "file_kind": delivery.file_kind,
        "format": delivery.format,
        "gzip": delivery.gzip,
        "encoding": _encodings(delivery)[0],
        "row_count": frame.height,
        "bytes": len(described),
        "sha256": hashlib.sha256(described).hexdigest(),
    }
    return Rendered(content, entry)


def _is_malformed(delivery: Delivery, frame: pl.DataFrame) -> bool:
    return delivery.fault == "malformed" and frame.height > 0


def _truncated(delivery: Delivery, frame: pl.DataFrame, whole: bytes) -> bytes:
    """The file as it arrived: its first ``keep_rows`` rows, or ``keep_fraction`` of its bytes."""
    if "keep_rows" in delivery.detail:
        return _encode(delivery, _text(delivery, frame.head(int(delivery.detail["keep_rows"]))))
    return whole[: int(len(whole) * float(delivery.detail.get("keep_fraction", 0.5)))]


def _first_version_rows(delivery: Delivery, rows: int) -> int:
    for key in ("first_rows", "first_version_rows"):
        if key in delivery.detail:
            return min(rows, int(delivery.detail[key]))
    return int(rows * float(delivery.detail.get("keep_fraction", 0.5)))


def _malformed_text(delivery: Delivery, frame: pl.DataFrame) -> str:
    """The file's text with one row broken where the plan says (default: the middle row).

    ``how``: ``broken_json`` (an NDJSON line cut in half; the default for NDJSON),
    ``unterminated_quote`` (a CSV row opening a quote it never closes) or ``missing_fields`` (a CSV
    row without its trailing half of fields; the default for CSV).
    """
    detail = delivery.detail
    index = min(int(detail.get("row", detail.get("row_index", frame.height // 2))), frame.height - 1)
    before, bad, after = frame.head(index), frame.slice(index, 1), frame.slice(index + 1)
    if delivery.format == "ndjson":
        line = bad.write_ndjson()
        return before.write_ndjson() + line[: max(1, len(line) // 2)] + "\n" + after.write_ndjson()
    options: dict[str, Any] = {"quote_style": "necessary", "line_terminator": "\n"}
    if detail.get("how") == "unterminated_quote":
        broken = '"' + bad.write_csv(include_header=False, **options)
    else:
        half = max(1, bad.width // 2)
        broken = bad.select(bad.columns[:half]).write_csv(include_header=False, **options)
    rest = after.write_csv(include_header=False, **options) if after.height else ""
    return before.write_csv(**options) + broken + rest
