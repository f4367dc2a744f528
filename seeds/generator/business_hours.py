"""The help desk's business-hours schedule as a cumulative minute counter.

A ticket's business minutes between two instants are ``cum[b] - cum[a]`` over a per-minute flag
"inside the schedule" (weekday intervals in the schedule's time zone, minus holidays). Adding business
minutes to an instant is one ``searchsorted``. The grid covers the history plus a horizon for replies
that land after the last day.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import numpy as np
import polars as pl

from seeds.generator.timeline import Clock

SCHEDULE_TIME_ZONE = "America/New_York"
# Monday..Friday, 09:00–17:00 local time, as (weekday, start_minute, end_minute).
SCHEDULE_INTERVALS: tuple[tuple[int, int, int], ...] = tuple((wd, 9 * 60, 17 * 60) for wd in range(5))


class BusinessCalendar:
    """Business-minute arithmetic for one schedule over the clock's history (+ ``horizon_days``)."""

    def __init__(
        self,
        clock: Clock,
        holidays: list[date],
        tz: str = SCHEDULE_TIME_ZONE,
        intervals: tuple[tuple[int, int, int], ...] = SCHEDULE_INTERVALS,
        horizon_days: int = 120,
    ) -> None:
        first = datetime.combine(clock.start, time(), tzinfo=UTC)
        last = first + timedelta(days=clock.n_days + horizon_days) - timedelta(minutes=1)
        minutes = pl.datetime_range(first, last, "1m", time_unit="us", time_zone="UTC", eager=True)
        local = minutes.dt.convert_time_zone(tz)
        weekday = (local.dt.weekday() - 1).to_numpy()  # Polars: Monday = 1
        minute_of_day = (local.dt.hour().cast(pl.Int32) * 60 + local.dt.minute().cast(pl.Int32)).to_numpy()
        inside = np.zeros(len(minutes), dtype=bool)
        for wd, lo, hi in intervals:
            inside |= (weekday == wd) & (minute_of_day >= lo) & (minute_of_day < hi)
        holiday = local.dt.date().is_in(pl.Series(holidays, dtype=pl.Date).implode()).to_numpy()
        inside &= ~holiday
        self.cum = np.concatenate([[0], np.cumsum(inside, dtype=np.int64)])
        self.n_minutes = len(minutes)

    def _minute(self, sec: np.ndarray) -> np.ndarray:
        return np.clip(np.asarray(sec, dtype=np.int64) // 60, 0, self.n_minutes)

    def minutes_between(self, a_sec: np.ndarray, b_sec: np.ndarray) -> np.ndarray:
        """Business minutes elapsed from ``a`` to ``b`` (seconds since start)."""
        return self.cum[self._minute(b_sec)] - self.cum[self._minute(a_sec)]

    def add(self, sec: np.ndarray, business_minutes: np.ndarray) -> np.ndarray:
        """The instant (seconds since start) when ``business_minutes`` have elapsed after ``sec``."""
        target = self.cum[self._minute(sec)] + np.maximum(np.asarray(business_minutes, dtype=np.int64), 1)
        minute = np.searchsorted(self.cum, target, side="left")
        return np.maximum(minute * 60, np.asarray(sec, dtype=np.int64) + 60)
