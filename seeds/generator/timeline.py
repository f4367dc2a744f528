"""The world's clock: day grid, seasonal sampling of event days, and conversions to Polars types.

Inside the generator time is an integer number of seconds since ``start`` 00:00 UTC (``sec``) or a day
index (``day``); only when a table is built do they become ``Datetime("us", "UTC")`` or ``Date``.
Seasonality is sampled exactly by inverse CDF over per-day weights, so millions of event days cost a
single ``searchsorted``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC as UTC_TZ
from datetime import date, datetime, timedelta

import numpy as np
import polars as pl

DAY = 86_400
UTC = "UTC"

# Relative activity per calendar month (Jan..Dec) and weekday (Mon..Sun), per process.
MONTH_FACTORS: dict[str, tuple[float, ...]] = {
    "orders_business": (0.86, 0.9, 1.02, 0.98, 1.0, 0.99, 0.88, 0.84, 1.03, 1.06, 1.14, 1.22),
    "orders_consumer": (0.8, 0.82, 0.92, 0.94, 0.98, 0.95, 0.92, 0.94, 0.95, 1.0, 1.35, 1.55),
    "leads": (1.2, 1.12, 1.1, 1.02, 0.98, 0.9, 0.78, 0.74, 1.16, 1.12, 0.98, 0.72),
    "tickets": (1.18, 1.04, 1.0, 0.97, 0.96, 0.95, 0.9, 0.9, 1.0, 1.02, 1.08, 1.12),
    "flat": (1.0,) * 12,
}
WEEKDAY_FACTORS: dict[str, tuple[float, ...]] = {
    "business": (1.1, 1.16, 1.15, 1.1, 0.95, 0.3, 0.24),
    "consumer": (0.95, 0.92, 0.93, 0.97, 1.05, 1.12, 1.08),
    "tickets": (1.32, 1.15, 1.06, 1.0, 0.9, 0.34, 0.3),
    "flat": (1.0,) * 7,
}


@dataclass(frozen=True)
class Clock:
    """The simulated history: days ``start`` .. ``end`` inclusive."""

    start: date
    end: date

    @property
    def n_days(self) -> int:
        return (self.end - self.start).days + 1

    @property
    def end_sec(self) -> int:
        """Exclusive end of the history in seconds since start."""
        return self.n_days * DAY

    @property
    def start_epoch_s(self) -> int:
        return int(datetime(self.start.year, self.start.month, self.start.day, tzinfo=UTC_TZ).timestamp())

    @property
    def start_epoch_day(self) -> int:
        return (self.start - date(1970, 1, 1)).days

    def day_dates(self) -> np.ndarray:
        """``datetime64[D]`` of every day in the history."""
        return np.datetime64(self.start, "D") + np.arange(self.n_days)

    def weights(self, month: str, weekday: str, growth: float = 0.0) -> np.ndarray:
        """Per-day activity weights: month × weekday seasonality × a linear growth trend."""
        days = self.day_dates()
        months = days.astype("datetime64[M]").astype(np.int64) % 12
        weekdays = (days.astype(np.int64) + 3) % 7  # 1970-01-01 was a Thursday (3 with Monday = 0)
        w = np.asarray(MONTH_FACTORS[month])[months] * np.asarray(WEEKDAY_FACTORS[weekday])[weekdays]
        return w * (1.0 + growth * np.arange(self.n_days) / self.n_days)

    def day_of(self, d: date) -> int:
        return (d - self.start).days

    def month_starts(self) -> list[date]:
        """First day of every month overlapping the history."""
        out, d = [], date(self.start.year, self.start.month, 1)
        while d <= self.end:
            out.append(d)
            d = date(d.year + (d.month == 12), d.month % 12 + 1, 1)
        return out

    # --- conversions to Polars ---------------------------------------------------------------
    def ts(self, sec: np.ndarray, name: str) -> pl.Series:
        """Seconds since start → ``Datetime("us", "UTC")`` (NaN or negative sentinel → null)."""
        arr = np.asarray(sec)
        if arr.dtype.kind == "f":
            valid = ~np.isnan(arr)
            us = np.where(valid, (self.start_epoch_s + np.nan_to_num(arr)) * 1_000_000, 0).astype(np.int64)
            s = pl.Series(name, us).cast(pl.Datetime("us", UTC))
            return s.set(pl.Series(~valid), None) if (~valid).any() else s  # type: ignore[arg-type]
        us = (self.start_epoch_s + arr.astype(np.int64)) * 1_000_000
        return pl.Series(name, us).cast(pl.Datetime("us", UTC))

    def dates(self, day: np.ndarray, name: str) -> pl.Series:
        """Day index → ``Date``."""
        return pl.Series(
            name, (np.asarray(day, dtype=np.int64) + self.start_epoch_day).astype(np.int32)
        ).cast(pl.Date)


def cumulative(weights: np.ndarray) -> np.ndarray:
    """Cumulative weights with a leading 0, for :func:`sample_days`."""
    return np.concatenate([[0.0], np.cumsum(weights)])


def sample_days(rng: np.random.Generator, cum: np.ndarray, lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
    """One day per row in ``[lo, hi)`` drawn with the per-day weights behind ``cum`` (inverse CDF)."""
    lo = np.asarray(lo, dtype=np.int64)
    hi = np.maximum(np.asarray(hi, dtype=np.int64), lo + 1)
    u = cum[lo] + rng.random(len(lo)) * (cum[hi] - cum[lo])
    day = np.searchsorted(cum, u, side="right") - 1
    return np.clip(day, lo, hi - 1)


def time_of_day(rng: np.random.Generator, n: int, peak_hour: float, spread_hours: float) -> np.ndarray:
    """Seconds into the day, bell-shaped around ``peak_hour`` (UTC), wrapped into one day."""
    sec = rng.normal(peak_hour * 3600, spread_hours * 3600, size=n)
    return np.mod(sec, DAY).astype(np.int64)


def us_holidays(first: date, last: date) -> list[date]:
    """US federal holidays in ``[first, last]`` (the help desk's schedule holidays)."""

    def nth_weekday(year: int, month: int, weekday: int, n: int) -> date:
        d = date(year, month, 1)
        d += timedelta(days=(weekday - d.weekday()) % 7)
        return d + timedelta(weeks=n - 1)

    def last_weekday(year: int, month: int, weekday: int) -> date:
        d = date(year + (month == 12), month % 12 + 1, 1) - timedelta(days=1)
        return d - timedelta(days=(d.weekday() - weekday) % 7)

    out: list[date] = []
    for y in range(first.year, last.year + 1):
        out += [
            date(y, 1, 1),
            nth_weekday(y, 1, 0, 3),
            nth_weekday(y, 2, 0, 3),
            last_weekday(y, 5, 0),
            date(y, 6, 19),
            date(y, 7, 4),
            nth_weekday(y, 9, 0, 1),
            date(y, 11, 11),
            nth_weekday(y, 11, 3, 4),
            date(y, 12, 25),
        ]
    return sorted(d for d in out if first <= d <= last)
