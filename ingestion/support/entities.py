"""Contracts of the help desk's seven incremental-export entities (Zendesk-like), as in sources.md.

The API's own cursor drives extraction (``after_cursor``); ``cursor`` here names the record field the
API orders by, for documentation and for staging's "latest version" dedupe. Nested JSON is kept nested:
lists of strings, ``via`` as a struct, ``custom_fields`` as a list of structs.
"""

from __future__ import annotations

import polars as pl

from ingestion.contracts import BOOL, DATE, INT, STRING, STRINGS, TIMESTAMP, Entity, optional, required

SOURCE = "support"

ROLES = ("end-user", "agent", "admin")
TICKET_STATUSES = ("new", "open", "pending", "hold", "solved", "closed", "deleted")
PRIORITIES = ("low", "normal", "high", "urgent")
TICKET_TYPES = ("question", "incident", "problem", "task")
EVENT_TYPES = ("Create", "Comment", "Change")
SCORES = ("good", "bad")
SLA_METRICS = ("first_reply_time", "next_reply_time", "full_resolution_time")

VIA: pl.DataType = pl.Struct({"channel": pl.String()})
CUSTOM_FIELDS: pl.DataType = pl.List(pl.Struct({"id": pl.Int64(), "value": pl.String()}))
SCHEDULE_INTERVALS: pl.DataType = pl.List(
    pl.Struct({"weekday": pl.Int8(), "start_minute": pl.Int32(), "end_minute": pl.Int32()})
)


def _entity(name: str, *columns: object, cursor: str | None = "updated_at") -> Entity:
    return Entity(SOURCE, name, tuple(columns), primary_key=("id",), cursor=cursor)  # type: ignore[arg-type]


ENTITIES: tuple[Entity, ...] = (
    _entity(
        "organizations",
        required("id", INT),
        optional("name", STRING),
        optional("domain_names", STRINGS),
        optional("external_id", STRING),
        optional("tags", STRINGS),
        required("created_at", TIMESTAMP),
        required("updated_at", TIMESTAMP),
        optional("deleted_at", TIMESTAMP),
    ),
    _entity(
        "users",
        required("id", INT),
        optional("name", STRING),
        optional("email", STRING),
        required("role", STRING, ROLES),
        optional("organization_id", INT),
        optional("phone", STRING),
        optional("time_zone", STRING),
        optional("suspended", BOOL),
        required("created_at", TIMESTAMP),
        required("updated_at", TIMESTAMP),
    ),
    _entity(
        "tickets",
        required("id", INT),
        optional("subject", STRING),
        required("status", STRING, TICKET_STATUSES),
        optional("priority", STRING, PRIORITIES),
        optional("type", STRING, TICKET_TYPES),
        optional("via", VIA),
        optional("requester_id", INT),
        optional("submitter_id", INT),
        optional("assignee_id", INT),
        optional("group_id", INT),
        optional("organization_id", INT),
        optional("tags", STRINGS),
        optional("custom_fields", CUSTOM_FIELDS),
        required("created_at", TIMESTAMP),
        required("updated_at", TIMESTAMP),
    ),
    _entity(
        "ticket_events",
        required("id", INT),
        required("ticket_id", INT),
        required("created_at", TIMESTAMP),
        optional("author_id", INT),
        required("event_type", STRING, EVENT_TYPES),
        optional("field_name", STRING),
        optional("value", STRING),
        optional("previous_value", STRING),
        optional("public", BOOL),
        cursor="created_at",
    ),
    _entity(
        "satisfaction_ratings",
        required("id", INT),
        required("ticket_id", INT),
        optional("requester_id", INT),
        optional("assignee_id", INT),
        optional("score", STRING, SCORES),
        optional("comment", STRING),
        optional("reason", STRING),
        required("created_at", TIMESTAMP),
        required("updated_at", TIMESTAMP),
    ),
    _entity(
        "groups",
        required("id", INT),
        required("name", STRING),
        cursor=None,
    ),
    _entity(
        "sla_policies",
        required("id", INT),
        optional("title", STRING),
        optional("priority", STRING, PRIORITIES),
        required("metric", STRING, SLA_METRICS),
        required("target_minutes", INT),
        optional("business_hours", BOOL),
        optional("schedule_time_zone", STRING),
        optional("schedule_intervals", SCHEDULE_INTERVALS),
        optional("holidays", pl.List(DATE)),
        cursor=None,
    ),
)
