"""The marketing inbox: folders as of the clock, the planned faults, idempotency, manifest last."""

from __future__ import annotations

import csv
import gzip
import hashlib
import io
import json
from datetime import date
from pathlib import Path
from typing import Any

import polars as pl
import pytest
from world_fixture import AWKWARD, END, days, write_tiny_world

from crm.settings import Settings
from seeds.transports import advance, clock, marketing_inbox


@pytest.fixture
def settings(data_dir: Path) -> Settings:
    write_tiny_world(data_dir / "world")
    return Settings.from_env(data_dir)


def _snapshot(inbox: Path) -> dict[str, bytes]:
    return {str(p.relative_to(inbox)): p.read_bytes() for p in sorted(inbox.rglob("*")) if p.is_file()}


def _manifest(inbox: Path, day: str) -> dict[str, Any]:
    return json.loads((inbox / day / "_manifest.json").read_text(encoding="utf-8"))


def _entry(inbox: Path, day: str, name: str) -> dict[str, Any]:
    return next(f for f in _manifest(inbox, day)["files"] if f["file_name"] == name)


def test_advancing_one_day_delivers_exactly_the_files_due_that_day(settings: Settings) -> None:
    plan = pl.read_parquet(settings.world_dir / "marketing" / "_deliveries.parquet")
    inbox = settings.marketing_inbox
    before: dict[str, bytes] = {}
    for day in days()[1:]:
        advance(settings, day)
        after = _snapshot(inbox)
        changed = {name for name, content in after.items() if before.get(name) != content}
        due = {
            f"{row['delivery_date']}/{row['file_name']}"
            for row in plan.iter_rows(named=True)
            if row["visible_at"].date() == day
            or (row["redelivered_at"] and row["redelivered_at"].date() == day)
        }
        assert {n for n in changed if not n.endswith("_manifest.json")} == due, day
        assert {n.split("/")[0] for n in changed if n.endswith("_manifest.json")} == {
            n.split("/")[0] for n in due
        }
        for folder in {n.split("/")[0] for n in after}:
            listed = {f["file_name"] for f in _manifest(inbox, folder)["files"]}
            assert listed == {n.split("/")[1] for n in after if n.startswith(folder) and "_manifest" not in n}
        before = after


def test_advancing_to_the_same_date_twice_writes_identical_bytes(settings: Settings, tmp_path: Path) -> None:
    advance(settings, date(2025, 1, 4))
    first = _snapshot(settings.marketing_inbox)
    stamps = {p: p.stat().st_mtime_ns for p in settings.marketing_inbox.rglob("*") if p.is_file()}
    assert marketing_inbox.sync(settings, date(2025, 1, 4)) == {
        f"marketing.{k}": 0
        for k in ("contacts", "campaigns", "email_events", "form_submissions", "ad_spend", "nps_responses")
    }
    assert _snapshot(settings.marketing_inbox) == first
    assert {p: p.stat().st_mtime_ns for p in stamps} == stamps  # nothing was even rewritten
    # Day-by-day, from scratch, or back from a later date: the same bytes.
    fresh = Settings.from_env(tmp_path / "fresh")
    write_tiny_world(fresh.world_dir)
    advance(fresh, date(2025, 1, 4))
    assert _snapshot(fresh.marketing_inbox) == first
    advance(settings, END)
    advance(settings, date(2025, 1, 4))
    assert _snapshot(settings.marketing_inbox) == first
    advance(settings, date(2025, 1, 1))
    assert sorted(p.name for p in settings.marketing_inbox.iterdir()) == ["2025-01-01"]


def test_files_are_proper_csv_and_ndjson_with_manifests_that_match(settings: Settings) -> None:
    advance(settings, date(2025, 1, 1))
    inbox = settings.marketing_inbox
    world = pl.read_parquet(settings.world_dir / "marketing" / "contacts.parquet").filter(
        pl.col("_delivery_date") == date(2025, 1, 1)
    )
    content = (inbox / "2025-01-01" / "contacts_20250101.csv").read_bytes()
    rows = list(csv.DictReader(io.StringIO(content.decode("utf-8"), newline="")))
    assert rows == [
        {k: ("" if v is None else v) for k, v in r.items() if not k.startswith("_")}
        for r in world.iter_rows(named=True)
    ]
    assert rows[1]["email"] == AWKWARD  # quotes, a comma and a newline survive the round trip
    events = [
        json.loads(line)
        for line in (inbox / "2025-01-01" / "email_events_20250101.ndjson")
        .read_text(encoding="utf-8")
        .splitlines()
    ]
    assert [e["event_id"] for e in events] == ["event_id-1-0", "event_id-1-1", "event_id-1-2"]
    assert events[2]["bounce_category"] is None
    for entry in _manifest(inbox, "2025-01-01")["files"]:
        data = (inbox / "2025-01-01" / entry["file_name"]).read_bytes()
        assert entry["sha256"] == hashlib.sha256(data).hexdigest()
        assert entry["bytes"] == len(data) and entry["row_count"] == 3 and entry["encoding"] == "utf-8"


def test_a_latin1_delivery_is_encoded_as_declared(settings: Settings) -> None:
    advance(settings, date(2025, 1, 2))
    content = (settings.marketing_inbox / "2025-01-02" / "nps_responses_20250102.csv").read_bytes()
    assert (
        _entry(settings.marketing_inbox, "2025-01-02", "nps_responses_20250102.csv")["encoding"] == "latin-1"
    )
    text = content.decode("latin-1")
    assert 'Café ""Ünïcode"",\nGmbH ? ??' in text  # what latin-1 cannot hold is replaced, as exporters do


def test_a_late_file_appears_when_the_clock_reaches_it(settings: Settings) -> None:
    folder = settings.marketing_inbox / "2025-01-02"
    for day in (date(2025, 1, 2), date(2025, 1, 3)):
        advance(settings, day)
        assert not (folder / "contacts_20250102.csv").exists()
        assert "contacts_20250102.csv" not in {
            f["file_name"] for f in _manifest(folder.parent, "2025-01-02")["files"]
        }
    advance(settings, date(2025, 1, 4))
    assert (folder / "contacts_20250102.csv").exists()
    manifest = _manifest(folder.parent, "2025-01-02")
    assert manifest["written_at"] == "2025-01-04T08:00:00Z"
    assert _entry(folder.parent, "2025-01-02", "contacts_20250102.csv")["row_count"] == 3


def test_a_truncated_file_is_shorter_than_its_manifest_says(settings: Settings) -> None:
    advance(settings, date(2025, 1, 2))
    content = (settings.marketing_inbox / "2025-01-02" / "campaigns_20250102.csv").read_bytes()
    entry = _entry(settings.marketing_inbox, "2025-01-02", "campaigns_20250102.csv")
    assert len(content) == entry["bytes"] // 2
    assert hashlib.sha256(content).hexdigest() != entry["sha256"]
    assert entry["row_count"] == 3


def test_a_redelivered_file_is_replaced_under_the_same_name(settings: Settings) -> None:
    path = settings.marketing_inbox / "2025-01-03" / "email_events_20250103.ndjson.gz"
    advance(settings, date(2025, 1, 3))
    first = gzip.decompress(path.read_bytes()).decode().splitlines()
    entry = _entry(settings.marketing_inbox, "2025-01-03", path.name)
    assert len(first) == entry["row_count"] == 1
    assert entry["sha256"] == hashlib.sha256(path.read_bytes()).hexdigest()
    advance(settings, date(2025, 1, 4))
    corrected = gzip.decompress(path.read_bytes()).decode().splitlines()
    entry = _entry(settings.marketing_inbox, "2025-01-03", path.name)
    assert len(corrected) == entry["row_count"] == 3
    assert corrected[0] == first[0]
    assert entry["sha256"] == hashlib.sha256(path.read_bytes()).hexdigest()
    assert _manifest(settings.marketing_inbox, "2025-01-03")["written_at"] == "2025-01-04T12:00:00Z"


def test_a_badly_encoded_file_is_not_in_its_declared_encoding(settings: Settings) -> None:
    advance(settings, date(2025, 1, 3))
    content = (settings.marketing_inbox / "2025-01-03" / "form_submissions_20250103.csv").read_bytes()
    assert (
        _entry(settings.marketing_inbox, "2025-01-03", "form_submissions_20250103.csv")["encoding"] == "utf-8"
    )
    with pytest.raises(UnicodeDecodeError):
        content.decode("utf-8")
    assert "Café" in content.decode("latin-1")


def test_a_malformed_file_has_one_broken_row(settings: Settings) -> None:
    advance(settings, date(2025, 1, 4))
    content = (settings.marketing_inbox / "2025-01-04" / "nps_responses_20250104.csv").read_text(
        encoding="utf-8"
    )
    rows = list(csv.reader(io.StringIO(content, newline="")))
    assert [len(r) for r in rows] == [6, 6, 3, 6]  # header, good, broken (row_index 1), good
    assert _entry(settings.marketing_inbox, "2025-01-04", "nps_responses_20250104.csv")["row_count"] == 3


def test_schema_drift_adds_and_renames_columns_from_a_date(settings: Settings) -> None:
    advance(settings, END)

    def header(day: int, name: str) -> list[str]:
        path = settings.marketing_inbox / f"2025-01-0{day}" / f"{name}_2025010{day}.csv"
        return path.read_text(encoding="utf-8").splitlines()[0].split(",")

    assert [("conversions" in header(d, "ad_spend")) for d in range(1, 6)] == [False, False, True, True, True]
    assert [("jobtitle" in header(d, "contacts")) for d in range(1, 6)] == [False, False, False, True, True]
    assert [("job_title" in header(d, "contacts")) for d in range(1, 6)] == [True, True, True, False, False]


def test_the_manifest_is_written_last(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    writes: list[Path] = []
    real_write = clock.write_atomic

    def recording(path: Path, content: bytes) -> None:
        writes.append(path)
        real_write(path, content)

    monkeypatch.setattr(clock, "write_atomic", recording)
    for day in days()[1:]:
        advance(settings, day)
    inbox_writes = [p for p in writes if p.parent.parent == settings.marketing_inbox]
    runs: list[list[Path]] = []  # consecutive writes into one folder: one folder update
    for path in inbox_writes:
        if runs and runs[-1][-1].parent == path.parent:
            runs[-1].append(path)
        else:
            runs.append([path])
    assert len({run[0].parent for run in runs}) == 5
    for run in runs:
        assert run[-1].name == "_manifest.json", run
        assert all(p.name != "_manifest.json" for p in run[:-1]), run


def test_the_generators_fault_spellings_and_details_are_applied(settings: Settings) -> None:
    advance(settings, END)
    inbox = settings.marketing_inbox
    # bad_encoding with {"declared": "utf-8", "actual": "latin-1"}: the manifest declares utf-8.
    entry = _entry(inbox, "2025-01-01", "form_submissions_20250101.csv")
    content = (inbox / "2025-01-01" / "form_submissions_20250101.csv").read_bytes()
    assert entry["encoding"] == "utf-8"
    with pytest.raises(UnicodeDecodeError):
        content.decode("utf-8")
    # truncated_file with {"keep_rows": 2}: two whole rows arrive, the manifest says three.
    campaigns = (inbox / "2025-01-05" / "campaigns_20250105.csv").read_text(encoding="utf-8")
    assert len(list(csv.DictReader(io.StringIO(campaigns, newline="")))) == 2
    assert _entry(inbox, "2025-01-05", "campaigns_20250105.csv")["row_count"] == 3
    # malformed_row with {"row": 0, "how": "unterminated_quote"}: a quote that swallows the file.
    forms = (inbox / "2025-01-05" / "form_submissions_20250105.csv").read_text(encoding="utf-8")
    assert forms.splitlines()[1].startswith('"submission_id-5-0')
    parsed = list(csv.reader(io.StringIO(forms, newline="")))
    assert parsed[1][0].startswith("submission_id-5-0,contact_id-5-0,")  # the open quote swallows the row
    assert "\n" in parsed[1][0] and len(parsed[1]) != len(parsed[0])
