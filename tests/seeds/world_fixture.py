"""A tiny hand-made world in the exact format of seeds/README.md, for the transports' unit tests.

Five days (2025-01-01 … 2025-01-05), a few records per table with several versions, a soft delete,
a late support event, awkward strings (quotes, newlines, accents, non-Latin script) and one planned
marketing delivery per fault kind. Small enough that every expectation can be read off this file.
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import polars as pl

from seeds.transports.contract import MARKETING, SALES, SUPPORT, Entity

START = date(2025, 1, 1)
END = date(2025, 1, 5)
TS = pl.Datetime("us", "UTC")
AWKWARD = 'Café "Ünïcode",\nGmbH — 東京'


def at(day: int, hour: int = 10, minute: int = 0) -> datetime:
    """A UTC instant on 2025-01-<day>."""
    return datetime(2025, 1, day, hour, minute, tzinfo=UTC)


# (record number, [(visible day, hour) per version], last version is a soft delete)
SALES_VERSIONS: list[tuple[int, list[tuple[int, int]], bool]] = [
    (1, [(1, 9), (3, 14), (5, 8)], True),
    (2, [(2, 11)], False),
    (3, [(2, 23), (4, 0)], False),
    (4, [(4, 16), (4, 17)], False),
]


def _sales_value(column: str, record: int, version: int, when: datetime, deleted: bool) -> object:
    """A typed value for ``column`` of one version, by the naming conventions of sources.md."""
    if column == "id" or column.endswith("_id"):
        return None if column == "parent_id" else f"{column[:3].upper()}{record:015d}"
    if column == "is_deleted":
        return deleted
    if column.startswith("is_"):
        return version % 2 == 0
    if column in ("system_modstamp", "created_date"):
        return when if column == "system_modstamp" else at(1, 8)
    if column.endswith("_date") or column in ("period_start", "start_date"):
        return date(2025, 1, record)
    if column in ("number_of_employees", "quantity"):
        return 10 * record + version
    if column in (
        "annual_revenue",
        "amount",
        "total_price",
        "unit_price",
        "list_price",
        "discount",
        "total_amount",
        "quota_amount",
        "probability",
        "conversion_rate",
    ):
        return round(1000.5 * record + version, 2)
    if column in ("iso_code", "currency_iso_code"):
        return "EUR"
    if column == "name" and record == 1:
        return AWKWARD
    return f"{column} {record} v{version}"


def _sales_frame(entity: Entity) -> pl.DataFrame:
    rows = []
    for record, versions, soft_delete in SALES_VERSIONS:
        for version, (day, hour) in enumerate(versions):
            when = at(day, hour)
            deleted = soft_delete and version == len(versions) - 1
            row = {c: _sales_value(c, record, version, when, deleted) for c in entity.columns}
            row["_visible_at"] = when
            rows.append(row)
    schema = {c: _sales_dtype(c) for c in entity.columns} | {"_visible_at": TS}
    return pl.DataFrame(rows, schema=schema, orient="row")


def _sales_dtype(column: str) -> pl.DataType:
    value = _sales_value(column, 2, 1, at(2), False)
    if column == "parent_id":
        return pl.String()
    return {bool: pl.Boolean(), int: pl.Int64(), float: pl.Float64(), date: pl.Date(), datetime: TS}.get(
        type(value), pl.String()
    )


def _support_frames() -> dict[str, pl.DataFrame]:
    via = pl.Struct({"channel": pl.String})
    fields = pl.List(pl.Struct({"id": pl.Int64, "value": pl.String}))
    organizations = pl.DataFrame(
        {
            "id": [1, 2, 1],
            "name": ["Acme", AWKWARD, "Acme Inc."],
            "domain_names": [["acme.com"], [], ["acme.com", "acme.io"]],
            "external_id": ["ACC000000000000001", None, "ACC000000000000001"],
            "tags": [["vip"], [], ["vip", "renewal"]],
            "created_at": [at(1), at(2), at(1)],
            "updated_at": [at(1), at(2), at(3, 12)],
            "deleted_at": [None, None, None],
            "_visible_at": [at(1), at(2), at(3, 12)],
        },
        schema_overrides={"domain_names": pl.List(pl.String), "tags": pl.List(pl.String), "deleted_at": TS},
    )
    users = pl.DataFrame(
        {
            "id": [10, 11, 12],
            "name": ["Ann Agent", "Bob Buyer", "Дмитрий"],
            "email": ["ann@help.example", "Bob@Acme.com ", "dm@example.org"],
            "role": ["agent", "end-user", "end-user"],
            "organization_id": [None, 1, 2],
            "phone": [None, "+1 555 0100", None],
            "time_zone": ["Europe/Berlin", "America/New_York", "Europe/Moscow"],
            "suspended": [False, False, True],
            "created_at": [at(1), at(1, 11), at(2)],
            "updated_at": [at(1), at(1, 11), at(4)],
            "_visible_at": [at(1), at(1, 11), at(4)],
        },
        schema_overrides={"organization_id": pl.Int64},
    )
    tickets = pl.DataFrame(
        {
            "id": [100, 100, 101, 102],
            "subject": ["Login fails", "Login fails", 'Quote "urgent"\nplease', "Invoice"],
            "status": ["new", "solved", "open", "pending"],
            "priority": ["high", "high", None, "low"],
            "type": ["incident", "incident", "question", "task"],
            "via": [{"channel": "email"}, {"channel": "email"}, {"channel": "web"}, {"channel": "chat"}],
            "requester_id": [11, 11, 12, 11],
            "submitter_id": [11, 11, 12, 11],
            "assignee_id": [None, 10, 10, None],
            "group_id": [1, 1, 2, 1],
            "organization_id": [1, 1, 2, 1],
            "tags": [["login"], ["login", "fixed"], [], ["billing"]],
            "custom_fields": [[{"id": 7, "value": "web"}], [{"id": 7, "value": "web"}], [], []],
            "created_at": [at(1, 12), at(1, 12), at(2, 9), at(4, 9)],
            "updated_at": [at(1, 12), at(3, 15), at(2, 9), at(4, 9)],
            "_visible_at": [at(1, 12), at(3, 15), at(2, 9), at(4, 9)],
        },
        schema_overrides={
            "via": via,
            "custom_fields": fields,
            "tags": pl.List(pl.String),
            "assignee_id": pl.Int64,
        },
    )
    ticket_events = pl.DataFrame(
        {
            "id": [1000, 1001, 1002, 1003, 1004],
            "ticket_id": [100, 100, 101, 100, 102],
            "created_at": [at(1, 12), at(2, 8), at(2, 9), at(3, 15), at(4, 9)],
            "author_id": [11, 10, 12, 10, 11],
            "event_type": ["Create", "Comment", "Create", "Change", "Create"],
            "field_name": [None, None, None, "status", None],
            "value": [None, "Looking into it", None, "solved", None],
            "previous_value": [None, None, None, "new", None],
            "public": [None, True, None, None, None],
            # 1001 was written on the 2nd but only reached the help desk on the 4th: a late event.
            "_visible_at": [at(1, 12), at(4, 7), at(2, 9), at(3, 15), at(4, 9)],
        },
        schema_overrides={
            "field_name": pl.String,
            "value": pl.String,
            "previous_value": pl.String,
            "public": pl.Boolean,
        },
    )
    satisfaction_ratings = pl.DataFrame(
        {
            "id": [500, 500],
            "ticket_id": [100, 100],
            "requester_id": [11, 11],
            "assignee_id": [10, 10],
            "score": ["good", "bad"],
            "comment": [None, "Took too long"],
            "reason": [None, "slow"],
            "created_at": [at(3, 16), at(3, 16)],
            "updated_at": [at(3, 16), at(5, 10)],
            "_visible_at": [at(3, 16), at(5, 10)],
        },
        schema_overrides={"comment": pl.String, "reason": pl.String},
    )
    groups = pl.DataFrame({"id": [1, 2], "name": ["Tier 1", "Billing"], "_visible_at": [at(1, 0), at(1, 0)]})
    interval = pl.Struct({"weekday": pl.Int8, "start_minute": pl.Int32, "end_minute": pl.Int32})
    sla_policies = pl.DataFrame(
        {
            "id": [1],
            "title": ["Urgent first reply"],
            "priority": ["urgent"],
            "metric": ["first_reply_time"],
            "target_minutes": [60],
            "business_hours": [True],
            "schedule_time_zone": ["Europe/Berlin"],
            "schedule_intervals": [
                [{"weekday": d, "start_minute": 540, "end_minute": 1020} for d in range(5)]
            ],
            "holidays": [[date(2025, 1, 1)]],
            "_visible_at": [at(1, 0)],
        },
        schema_overrides={"schedule_intervals": pl.List(interval)},
    )
    frames = {
        "organizations": organizations,
        "users": users,
        "tickets": tickets,
        "ticket_events": ticket_events,
        "satisfaction_ratings": satisfaction_ratings,
        "groups": groups,
        "sla_policies": sla_policies,
    }
    return {name: frame.with_columns(pl.col("_visible_at").cast(TS)) for name, frame in frames.items()}


RENAMED = {"column": "job_title", "renamed_to": "jobtitle"}

# (delivery day, kind) → (fault, fault_detail, visible_at, redelivered_at, encoding, gzip)
FAULTS: dict[tuple[int, str], tuple[str, dict[str, object], datetime, datetime | None, str, bool]] = {
    (2, "contacts"): ("late", {}, at(4, 8), None, "utf-8", False),
    (2, "campaigns"): ("truncated", {"keep_fraction": 0.5}, at(2, 6), None, "utf-8", False),
    (3, "email_events"): ("redelivered", {"first_version_rows": 1}, at(3, 6), at(4, 12), "utf-8", True),
    (3, "form_submissions"): ("bad_encoding", {"actual_encoding": "latin-1"}, at(3, 6), None, "utf-8", False),
    (2, "nps_responses"): ("none", {}, at(2, 6), None, "latin-1", False),
    (4, "nps_responses"): ("malformed", {"row_index": 1}, at(4, 6), None, "utf-8", False),
    (4, "contacts"): ("schema_renamed_column", RENAMED, at(4, 6), None, "utf-8", False),
    (3, "ad_spend"): ("schema_added_column", {"column": "conversions"}, at(3, 6), None, "utf-8", False),
    # The generator's spelling of a fault, and a drifted kind's later file with a fault of its own.
    (5, "ad_spend"): ("late_file", {"days_late": 0}, at(5, 20), None, "utf-8", False),
    (5, "form_submissions"): (
        "malformed_row",
        {"row": 0, "how": "unterminated_quote"},
        at(5, 6),
        None,
        "utf-8",
        False,
    ),
    (5, "campaigns"): ("truncated_file", {"keep_rows": 2}, at(5, 6), None, "utf-8", False),
    (1, "form_submissions"): (
        "bad_encoding",
        {"declared": "utf-8", "actual": "latin-1"},
        at(1, 6),
        None,
        "latin-1",
        False,
    ),
}


def _marketing_frames() -> tuple[dict[str, pl.DataFrame], pl.DataFrame]:
    files: dict[str, pl.DataFrame] = {}
    plan = []
    for entity in MARKETING:
        extension = "ndjson" if entity.name == "email_events" else "csv"
        columns = [*entity.columns, *(["conversions"] if entity.name == "ad_spend" else [])]
        rows = []
        for day in range(1, 6):
            fault, detail, visible, redelivered, encoding, gzip = FAULTS.get(
                (day, entity.name), ("none", {}, at(day, 6), None, "utf-8", False)
            )
            for n in range(3):
                row = {c: f"{c}-{day}-{n}" for c in columns}
                if n == 1:
                    row[columns[1]] = AWKWARD if entity.name != "ad_spend" else "1,234.50"
                if n == 2:
                    row[columns[-1]] = None
                if entity.name == "ad_spend" and day < 3:
                    row["conversions"] = None
                rows.append(row | {"_delivery_date": date(2025, 1, day), "_visible_at": visible})
            plan.append(
                {
                    "delivery_date": date(2025, 1, day),
                    "file_kind": entity.name,
                    "file_name": f"{entity.name}_202501{day:02d}.{extension}" + (".gz" if gzip else ""),
                    "format": extension,
                    "gzip": gzip,
                    "encoding": encoding,
                    "fault": fault,
                    "fault_detail": json.dumps(detail),
                    "visible_at": visible,
                    "redelivered_at": redelivered,
                }
            )
        schema = {c: pl.String() for c in columns} | {"_delivery_date": pl.Date(), "_visible_at": TS}
        files[entity.name] = pl.DataFrame(rows, schema=schema, orient="row")
    deliveries = pl.DataFrame(plan, schema_overrides={"visible_at": TS, "redelivered_at": TS})
    return files, deliveries


def write_tiny_world(world_dir: Path) -> Path:
    """Write the tiny world under ``world_dir`` (``<data>/world``) and return it."""
    for entity in SALES:
        _write(world_dir / "sales" / f"{entity.name}.parquet", _sales_frame(entity))
    for name, frame in _support_frames().items():
        _write(world_dir / "support" / f"{name}.parquet", frame)
    files, deliveries = _marketing_frames()
    for name, frame in files.items():
        _write(world_dir / "marketing" / f"{name}.parquet", frame)
    _write(world_dir / "marketing" / "_deliveries.parquet", deliveries)
    meta = {
        "sf": 0,
        "seed": 0,
        "start": START.isoformat(),
        "end": END.isoformat(),
        "corporate_currency": "USD",
        "row_counts": {},
    }
    (world_dir / "world.json").write_text(json.dumps(meta), encoding="utf-8")
    assert {e.name for e in SUPPORT} == set(_support_frames())
    return world_dir


def _write(path: Path, frame: pl.DataFrame) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    frame.write_parquet(path)


def days() -> list[date]:
    """Every clock date of the tiny world, including the day before anything exists."""
    return [START - timedelta(days=1) + timedelta(days=n) for n in range((END - START).days + 2)]
