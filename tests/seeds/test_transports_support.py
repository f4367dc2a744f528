"""The help desk API over real HTTP (httpx against the stdlib server), on the tiny hand-made world."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import polars as pl
import pytest
from world_fixture import write_tiny_world

from crm.settings import Settings
from seeds.transports import advance, clock
from seeds.transports.contract import SUPPORT
from seeds.transports.support_api import Faults, SupportServer, start_server

TOKEN = "test-token"
AUTH = {"Authorization": f"Bearer {TOKEN}"}


@pytest.fixture
def settings(data_dir: Path) -> Settings:
    write_tiny_world(data_dir / "world")
    return Settings.from_env(data_dir)


@pytest.fixture
def server(settings: Settings) -> Iterator[SupportServer]:
    with start_server(settings, token=TOKEN) as running:
        yield running


def _export(
    url: str, entity: str, per_page: int = 2, cursor: str | None = None
) -> tuple[list[dict[str, Any]], str]:
    """Page to end_of_stream; return every record and the last cursor."""
    params: dict[str, Any] = {"per_page": per_page}
    params |= {"cursor": cursor} if cursor else {"start_time": 0}
    records: list[dict[str, Any]] = []
    with httpx.Client(base_url=url, headers=AUTH) as client:
        while True:
            page = client.get(f"/api/v2/incremental/{entity}/cursor.json", params=params)
            assert page.status_code == 200, page.text
            body = page.json()
            assert set(body) == {entity, "after_cursor", "after_url", "end_of_stream"}
            assert len(body[entity]) <= per_page
            records += body[entity]
            params = {"cursor": body["after_cursor"], "per_page": per_page}
            if body["end_of_stream"]:
                return records, body["after_cursor"]


def _expected(
    settings: Settings, entity: str, upto: date, since: date | None = None
) -> list[tuple[int, str]]:
    """(id, version written at) of each record as of ``upto``, in write order — from the parquet."""
    frame = pl.read_parquet(settings.world_dir / "support" / f"{entity}.parquet").with_row_index("_n")
    end = datetime(upto.year, upto.month, upto.day, tzinfo=UTC) + timedelta(days=1)
    latest = (
        frame.filter(pl.col("_visible_at") < end)
        .sort(["_visible_at", "_n"])
        .group_by("id", maintain_order=True)
        .last()
        .sort(["_visible_at", "id"])
    )
    if since is not None:
        latest = latest.filter(
            pl.col("_visible_at")
            >= datetime(since.year, since.month, since.day, tzinfo=UTC) + timedelta(days=1)
        )
    return [(i, v.strftime("%Y-%m-%dT%H:%M:%SZ")) for i, v in latest.select("id", "_visible_at").iter_rows()]


def _versions(entity: str, records: list[dict[str, Any]], settings: Settings) -> list[tuple[int, str]]:
    """(id, version) of exported records; the version is told by updated_at, or looked up."""
    world = pl.read_parquet(settings.world_dir / "support" / f"{entity}.parquet")
    if "updated_at" in world.columns:
        return [(r["id"], r["updated_at"]) for r in records]
    written = dict(world.select("id", pl.col("_visible_at").dt.strftime("%Y-%m-%dT%H:%M:%SZ")).iter_rows())
    return [(r["id"], written[r["id"]]) for r in records]


def test_requests_without_the_right_token_are_refused(settings: Settings, server: SupportServer) -> None:
    advance(settings, date(2025, 1, 3))
    path = f"{server.url}/api/v2/incremental/tickets/cursor.json?start_time=0"
    for headers in ({}, {"Authorization": "Bearer wrong"}, {"Authorization": TOKEN}):
        answer = httpx.get(path, headers=headers)
        assert answer.status_code == 401
        assert answer.json()["error"] == "Couldn't authenticate you"
    assert httpx.get(path, headers=AUTH).status_code == 200


def test_paging_to_the_end_returns_exactly_the_records_as_of_the_clock(
    settings: Settings, server: SupportServer
) -> None:
    for day in (date(2025, 1, 2), date(2025, 1, 4), date(2025, 1, 5)):
        advance(settings, day)
        for entity in SUPPORT:
            records, _ = _export(server.url, entity.name)
            assert _versions(entity.name, records, settings) == _expected(settings, entity.name, day), (
                entity.name
            )
            assert all(set(entity.columns) <= set(r) for r in records)
            assert not any(key.startswith("_") for r in records for key in r)


def test_records_have_the_json_shapes_of_the_contract(settings: Settings, server: SupportServer) -> None:
    advance(settings, date(2025, 1, 3))
    tickets, _ = _export(server.url, "tickets")
    solved = next(t for t in tickets if t["id"] == 100)
    assert solved == {
        "id": 100,
        "subject": "Login fails",
        "status": "solved",
        "priority": "high",
        "type": "incident",
        "via": {"channel": "email"},
        "requester_id": 11,
        "submitter_id": 11,
        "assignee_id": 10,
        "group_id": 1,
        "organization_id": 1,
        "tags": ["login", "fixed"],
        "custom_fields": [{"id": 7, "value": "web"}],
        "created_at": "2025-01-01T12:00:00Z",
        "updated_at": "2025-01-03T15:00:00Z",
    }
    (policy,), _ = _export(server.url, "sla_policies")
    assert policy["schedule_intervals"][0] == {"weekday": 0, "start_minute": 540, "end_minute": 1020}
    assert policy["holidays"] == ["2025-01-01"]


def test_resuming_after_an_advance_returns_exactly_the_new_and_changed_records(
    settings: Settings, server: SupportServer
) -> None:
    advance(settings, date(2025, 1, 2))
    cursors = {entity.name: _export(server.url, entity.name)[1] for entity in SUPPORT}
    advance(settings, date(2025, 1, 4))
    for entity in SUPPORT:
        records, _ = _export(server.url, entity.name, cursor=cursors[entity.name])
        assert _versions(entity.name, records, settings) == _expected(
            settings, entity.name, date(2025, 1, 4), since=date(2025, 1, 2)
        ), entity.name
    events, _ = _export(server.url, "ticket_events", cursor=cursors["ticket_events"])
    late = next(e for e in events if e["id"] == 1001)
    assert late["created_at"] == "2025-01-02T08:00:00Z"  # happened on the 2nd, written on the 4th


def test_start_time_filters_on_the_write_time(settings: Settings, server: SupportServer) -> None:
    advance(settings, date(2025, 1, 5))
    since = int(datetime(2025, 1, 4, tzinfo=UTC).timestamp())
    answer = httpx.get(
        f"{server.url}/api/v2/incremental/ticket_events/cursor.json",
        params={"start_time": since},
        headers=AUTH,
    ).json()
    assert [e["id"] for e in answer["ticket_events"]] == [1001, 1004]
    assert answer["end_of_stream"] is True


def test_bad_requests_get_clear_errors(settings: Settings, server: SupportServer) -> None:
    with httpx.Client(base_url=server.url, headers=AUTH) as client:
        unset = client.get("/api/v2/incremental/tickets/cursor.json", params={"start_time": 0})
        assert unset.status_code == 503 and unset.json()["error"] == "ClockNotSet"
        clock.write_clock(settings, date(2025, 1, 3))
        too_many = client.get(
            "/api/v2/incremental/tickets/cursor.json", params={"start_time": 0, "per_page": 1001}
        )
        assert too_many.status_code == 400
        assert (
            client.get("/api/v2/incremental/widgets/cursor.json", params={"start_time": 0}).status_code == 404
        )
        assert client.get("/api/v2/tickets.json").status_code == 404
        assert (
            client.get("/api/v2/incremental/tickets/cursor.json", params={"cursor": "nonsense"}).status_code
            == 400
        )
        assert client.get("/api/v2/incremental/tickets/cursor.json").status_code == 400
        organizations = client.get("/api/v2/incremental/organizations/cursor.json", params={"start_time": 0})
        foreign = client.get(
            "/api/v2/incremental/tickets/cursor.json", params={"cursor": organizations.json()["after_cursor"]}
        )
        assert foreign.status_code == 400
        full_page = client.get(
            "/api/v2/incremental/tickets/cursor.json", params={"start_time": 0, "per_page": 1000}
        )
        assert full_page.status_code == 200 and len(full_page.json()["tickets"]) == 2


def test_a_client_calling_too_fast_gets_429_with_retry_after(settings: Settings) -> None:
    advance(settings, date(2025, 1, 3))
    with start_server(settings, token=TOKEN, rate_limit=2) as server, httpx.Client(headers=AUTH) as client:
        answers = [
            client.get(f"{server.url}/api/v2/incremental/groups/cursor.json", params={"start_time": 0})
            for _ in range(6)
        ]
    limited = [a for a in answers if a.status_code == 429]
    assert [a.status_code for a in answers[:2]] == [200, 200]
    assert limited, [a.status_code for a in answers]
    assert all(int(a.headers["Retry-After"]) >= 1 for a in limited)


def test_injected_failures_are_served_and_reproducible(settings: Settings) -> None:
    advance(settings, date(2025, 1, 3))

    def statuses(seed: int) -> list[int | str]:
        faults = Faults(error_rate=0.4, malformed_rate=0.3, seed=seed)
        seen: list[int | str] = []
        with (
            start_server(settings, token=TOKEN, faults=faults) as server,
            httpx.Client(headers=AUTH) as client,
        ):
            for _ in range(60):
                answer = client.get(
                    f"{server.url}/api/v2/incremental/users/cursor.json", params={"start_time": 0}
                )
                if answer.status_code != 200:
                    seen.append(answer.status_code)
                    continue
                try:
                    answer.json()
                    seen.append("ok")
                except ValueError:
                    seen.append("malformed")
        return seen

    first = statuses(seed=3)
    assert {500, 502, 503, "ok", "malformed"} <= set(first)
    assert statuses(seed=3) == first
    slow = Faults(slow_rate=1.0, slow_seconds=0.05)
    with start_server(settings, token=TOKEN, faults=slow) as server:
        answer = httpx.get(f"{server.url}/api/v2/incremental/groups/cursor.json?start_time=0", headers=AUTH)
    assert answer.status_code == 200 and len(answer.json()["groups"]) == 2
