"""Exchange rates: the sales CRM's ``currency_rate`` history and conversions to the corporate currency.

Rates follow Salesforce's dated conversion rates: ``conversion_rate`` is how many units of the currency
make one USD, valid from ``start_date`` (inclusive) to ``next_start_date`` (exclusive); the last period
ends on 9999-12-31. So ``amount_usd = amount / conversion_rate`` at the transaction date.
"""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np
import polars as pl

from seeds.generator.timeline import Clock

CORPORATE_CURRENCY = "USD"
CURRENCIES = np.array(["USD", "EUR", "GBP", "CAD", "SEK", "BRL", "JPY"])
_BASE = np.array([1.0, 0.92, 0.79, 1.36, 10.6, 5.3, 150.0])
OPEN_END = date(9999, 12, 31)


class FxTable:
    """Monthly rates per currency with day → rate lookups."""

    def __init__(self, clock: Clock, rng: np.random.Generator) -> None:
        self.clock = clock
        self.months = clock.month_starts()
        steps = rng.normal(0.0, 0.018, size=(len(CURRENCIES), len(self.months)))
        steps[:, 0] = 0.0
        self.rates = np.round(_BASE[:, None] * np.exp(np.cumsum(steps, axis=1)), 6)
        self.rates[0, :] = 1.0
        day_dates = clock.day_dates()
        month_index = (day_dates.astype("datetime64[M]") - np.datetime64(self.months[0], "M")).astype(
            np.int64
        )
        self.month_of_day = month_index

    def index(self, codes: np.ndarray | pl.Series) -> np.ndarray:
        """Currency codes → row index into :data:`CURRENCIES`."""
        lookup = {str(c): i for i, c in enumerate(CURRENCIES)}
        return pl.Series(codes, dtype=pl.String).replace_strict(lookup, return_dtype=pl.Int64).to_numpy()

    def rate(self, currency_idx: np.ndarray, day: np.ndarray) -> np.ndarray:
        """Units of currency per USD on the given days (days past the end use the last month)."""
        d = np.clip(np.asarray(day, dtype=np.int64), 0, self.clock.n_days - 1)
        return self.rates[currency_idx, self.month_of_day[d]]

    def table(self) -> pl.DataFrame:
        """The ``currency_rate`` table of the sales CRM."""
        n_m = len(self.months)
        starts = [m for m in self.months] * len(CURRENCIES)
        nexts = ([*self.months[1:], OPEN_END]) * len(CURRENCIES)
        # Finance enters next month's rate the day before it applies (the first ones at the start).
        visible = [max(m - timedelta(days=1), self.clock.start) for m in starts]
        return pl.DataFrame(
            {
                "iso_code": np.repeat(CURRENCIES, n_m),
                "start_date": pl.Series(starts, dtype=pl.Date),
                "next_start_date": pl.Series(nexts, dtype=pl.Date),
                "conversion_rate": self.rates.reshape(-1),
                "_visible_at": pl.Series(visible, dtype=pl.Date).cast(pl.Datetime("us", "UTC")),
            }
        ).sort(["_visible_at", "iso_code"], maintain_order=True)
