"""Which days a transform run's quality gate judges: every day a catch-up publishes, not only the last."""

from __future__ import annotations

from datetime import date
from types import SimpleNamespace

from crm.dag_tasks import gate_date, gate_dates


def _event(day: str | None) -> SimpleNamespace:
    return SimpleNamespace(extra={"logical_date": day} if day else {})


def test_asset_events_of_a_catch_up_give_every_day_once_in_order() -> None:
    events = {
        "raw/sales": [_event("2026-10-27"), _event("2026-10-26")],
        "raw/support": [_event("2026-10-26"), _event("2026-10-28"), _event(None)],
    }
    assert gate_dates(None, events) == [date(2026, 10, 26), date(2026, 10, 27), date(2026, 10, 28)]
    assert gate_date(None, events) == date(2026, 10, 28)  # the report is for the newest day


def test_the_run_conf_wins_and_nothing_means_each_entity_newest_batch() -> None:
    conf = {"logical_date": "2026-10-28", "logical_dates": ["2026-10-28", "2026-10-26"]}
    assert gate_dates(conf, {"raw/sales": [_event("2026-10-01")]}) == [date(2026, 10, 26), date(2026, 10, 28)]
    assert gate_dates({"logical_date": "2026-10-28"}, None) == [date(2026, 10, 28)]
    assert gate_dates({}, {}) is None and gate_date(None, None) is None
