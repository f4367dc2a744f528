"""Contract enforcement: each kind of value dirt in sources.md ends loaded, coerced with a note, or
quarantined with a reason naming the field and the value — and the accounting always balances."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime

import polars as pl
import pytest

from ingestion.contracts import STRING, Entity, optional, required
from ingestion.enforce import SchemaDriftError, enforce
from ingestion.marketing.entities import ENTITIES as MARKETING
from ingestion.sales.entities import ENTITIES as SALES
from ingestion.support.entities import ENTITIES as SUPPORT

BY_NAME = {e.qualified_name: e for e in (*SALES, *SUPPORT, *MARKETING)}


def _text_frame(rows: list[dict[str, str | None]]) -> pl.DataFrame:
    return pl.DataFrame(rows, schema={k: pl.String for k in rows[0]})


def test_all_25_entities_are_declared_once_with_their_raw_table_names() -> None:
    assert len(BY_NAME) == 25
    assert {e.raw_table for e in BY_NAME.values()} >= {
        "sales__opportunity",
        "support__ticket_events",
        "marketing__email_events",
    }
    for entity in BY_NAME.values():
        assert set(entity.primary_key) <= set(entity.required_columns), entity.qualified_name


def test_thousands_separators_are_coerced_with_a_note() -> None:
    frame = _text_frame(
        [
            {"campaign_id": "C1", "type": "email", "budget": "12,345.50"},
            {"campaign_id": "C2", "type": "email", "budget": "999.5"},
        ]
    )
    result = enforce(frame, BY_NAME["marketing.campaigns"], origin="campaigns.csv")
    assert result.clean.get_column("budget").to_list() == [12345.5, 999.5]
    assert result.notes["budget: thousands separator removed"] == 1
    assert result.quarantine.height == 0


def test_mixed_date_formats_are_coerced_with_a_note_and_garbage_is_quarantined() -> None:
    frame = _text_frame(
        [
            {"campaign_id": "C1", "type": "email", "start_date": "2025-03-04"},
            {"campaign_id": "C2", "type": "email", "start_date": "03/04/2025"},
            {"campaign_id": "C3", "type": "email", "start_date": "04.03.2025"},
            {"campaign_id": "C4", "type": "email", "start_date": "2025-02-30"},
        ]
    )
    result = enforce(frame, BY_NAME["marketing.campaigns"], origin="campaigns.csv")
    assert result.clean.get_column("start_date").to_list() == [date(2025, 3, 4)] * 3
    assert result.notes["start_date: non-ISO date format"] == 2
    assert result.quarantine.get_column("_reason").to_list() == [
        "start_date: cannot parse '2025-02-30' as a date"
    ]
    assert json.loads(result.quarantine.item(0, "row"))["campaign_id"] == "C4"


def test_timestamps_with_offsets_and_across_dst_become_utc() -> None:
    frame = _text_frame(
        [
            {"event_id": "1", "type": "OPEN", "created_at": "2025-03-30T01:30:00+01:00"},  # before CET→CEST
            {"event_id": "2", "type": "OPEN", "created_at": "2025-03-30T03:30:00+02:00"},  # after
            {"event_id": "3", "type": "OPEN", "created_at": "2025-03-30T00:30:00Z"},
            {"event_id": "4", "type": "OPEN", "created_at": "2025-03-30 00:30:00"},
        ]
    )
    result = enforce(frame, BY_NAME["marketing.email_events"], origin="events.ndjson")
    utc = [datetime(2025, 3, 30, 0, 30, tzinfo=UTC), datetime(2025, 3, 30, 1, 30, tzinfo=UTC)]
    assert result.clean.get_column("created_at").to_list() == [utc[0], utc[1], utc[0], utc[0]]
    assert result.notes["created_at: UTC offset converted to UTC"] == 2
    assert result.notes["created_at: timestamp without offset taken as UTC"] == 1


def test_enum_case_and_whitespace_are_snapped_unknown_required_is_quarantined() -> None:
    frame = _text_frame(
        [
            {"event_id": "1", "type": " open ", "created_at": "2025-01-01T00:00:00Z"},
            {"event_id": "2", "type": "Click", "created_at": "2025-01-01T00:00:00Z"},
            {"event_id": "3", "type": "FORWARD", "created_at": "2025-01-01T00:00:00Z"},
        ]
    )
    result = enforce(frame, BY_NAME["marketing.email_events"], origin="events.ndjson")
    assert result.clean.get_column("type").to_list() == ["OPEN", "CLICK"]
    assert result.notes["type: enum case or whitespace normalised"] == 2
    (reason,) = result.quarantine.get_column("_reason").to_list()
    assert reason.startswith("type: unknown value 'FORWARD' (allowed: SENT/")


def test_unknown_value_of_an_optional_enum_is_loaded_as_is_with_a_note() -> None:
    frame = pl.DataFrame(
        {
            "id": [1, 2],
            "status": ["open", "open"],
            "priority": ["urgent", "critical"],
            "created_at": ["2025-01-01T00:00:00Z"] * 2,
            "updated_at": ["2025-01-01T00:00:00Z"] * 2,
        }
    )
    result = enforce(frame, BY_NAME["support.tickets"], origin="tickets page")
    assert result.clean.get_column("priority").to_list() == ["urgent", "critical"]
    assert result.notes["priority: unknown enum value loaded as-is"] == 1


def test_missing_required_id_and_unparseable_number_are_quarantined_with_reasons() -> None:
    frame = _text_frame(
        [
            {"response_id": None, "score": "9", "submitted_at": "2025-01-01T00:00:00Z"},
            {"response_id": "R2", "score": "nine", "submitted_at": "2025-01-01T00:00:00Z"},
            {"response_id": "R3", "score": "7", "submitted_at": "2025-01-01T00:00:00Z"},
        ]
    )
    result = enforce(frame, BY_NAME["marketing.nps_responses"], origin="nps.csv")
    assert result.clean.get_column("response_id").to_list() == ["R3"]
    assert result.quarantine.get_column("_reason").to_list() == [
        "response_id: required value missing",
        "score: cannot parse 'nine' as an integer; score: required value missing",
    ]
    assert result.rows_in == 3


def test_identity_dirt_negative_quantities_future_dates_and_duplicates_load_as_is() -> None:
    emails = [
        "  Ann.Lee@Example.COM ",
        "ann.lee+shop@gmail.com",
        "ann lee at example.com",
        "test@example.com",
    ]
    frame = _text_frame(
        [
            {"contact_id": "M1", "email": emails[0], "first_name": "Zoë", "company": "Acme, Inc."},
            {"contact_id": "M1", "email": emails[1], "first_name": "東京", "company": "ACME"},
            {"contact_id": "M2", "email": emails[2], "first_name": 'Bob "the" \nBuilder', "company": None},
            {"contact_id": "M3", "email": emails[3], "first_name": "Test", "company": "Test"},
        ]
    )
    result = enforce(frame, BY_NAME["marketing.contacts"], origin="contacts.csv")
    assert result.clean.get_column("email").to_list() == emails
    assert result.clean.get_column("first_name").to_list()[1:3] == ["東京", 'Bob "the" \nBuilder']
    assert result.clean.get_column("contact_id").to_list() == ["M1", "M1", "M2", "M3"]  # duplicates kept
    items = pl.DataFrame(
        {
            "id": ["I1"],
            "order_id": ["O1"],
            "quantity": [-3],
            "total_price": [-29.97],
            "system_modstamp": [datetime(2025, 1, 1, tzinfo=UTC)],
        }
    )
    loaded = enforce(items, BY_NAME["sales.order_item"], origin="order_item").clean
    assert loaded.get_column("quantity").to_list() == [-3]
    future = _text_frame([{"submission_id": "S1", "submitted_at": "2099-01-01T00:00:00Z"}])
    assert enforce(future, BY_NAME["marketing.form_submissions"], origin="f.csv").clean.height == 1


def test_sql_native_types_are_accepted_booleans_as_integers_and_naive_timestamps_as_utc() -> None:
    frame = pl.DataFrame(
        {
            "id": ["A1", "A2"],
            "type": ["customer", None],
            "annual_revenue": [1.5, None],
            "number_of_employees": [10, None],
            "created_date": ["2025-01-01 10:00:00.000000"] * 2,
            "system_modstamp": [datetime(2025, 1, 2, 3, 4, 5), datetime(2025, 1, 2, 3, 4, 6)],
            "is_deleted": [0, 1],
        }
    )
    result = enforce(frame, BY_NAME["sales.account"], origin="sqlite table account")
    assert result.clean.get_column("is_deleted").to_list() == [False, True]
    assert result.clean.schema["system_modstamp"] == pl.Datetime("us", "UTC")
    assert result.clean.get_column("type").to_list() == ["Customer", None]


def test_nested_support_fields_keep_their_shape() -> None:
    records = [
        {
            "id": 1,
            "status": "open",
            "via": {"channel": "email"},
            "tags": ["vip"],
            "custom_fields": [{"id": 7, "value": "x"}],
            "created_at": "2025-01-01T00:00:00Z",
            "updated_at": "2025-01-01T00:00:00Z",
        }
    ]
    result = enforce(pl.DataFrame(records), BY_NAME["support.tickets"], origin="tickets page")
    row = result.clean.row(0, named=True)
    assert row["via"] == {"channel": "email"} and row["tags"] == ["vip"]
    assert row["custom_fields"] == [{"id": 7, "value": "x"}]


def test_missing_required_column_fails_the_batch_naming_file_entity_and_column() -> None:
    frame = _text_frame([{"submission_id": "S1", "submitted_on": "2025-01-01T00:00:00Z"}])
    with pytest.raises(SchemaDriftError) as error:
        enforce(frame, BY_NAME["marketing.form_submissions"], origin="inbox/2025-01-01/form_submissions.csv")
    message = str(error.value)
    assert "inbox/2025-01-01/form_submissions.csv" in message
    assert "marketing.form_submissions" in message and "submitted_at" in message and "submitted_on" in message


def test_new_column_is_carried_and_missing_optional_column_loads_as_null() -> None:
    entity = Entity(
        "t", "e", (required("id", STRING), optional("note", STRING)), primary_key=("id",), cursor=None
    )
    frame = _text_frame([{"id": "1", "shiny": "new"}])
    result = enforce(frame, entity, origin="e.csv")
    assert result.added_columns == ["shiny"] and result.missing_columns == ["note"]
    assert result.clean.row(0, named=True) == {"id": "1", "note": None, "shiny": "new"}


def test_rows_a_reader_rejected_are_counted_and_quarantined() -> None:
    rejected = pl.DataFrame({"row": ['{"line": 3}'], "_reason": ["malformed JSON at line 3: …"]})
    frame = _text_frame([{"event_id": "1", "type": "OPEN", "created_at": "2025-01-01T00:00:00Z"}])
    result = enforce(frame, BY_NAME["marketing.email_events"], origin="e.ndjson", rejected=rejected)
    assert (result.rows_in, result.clean.height, result.quarantine.height) == (2, 1, 1)
