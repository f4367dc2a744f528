"""The marketing calendar: which campaigns run when, decided before anyone is born.

The plan does not depend on the scale factor (a company runs one newsletter a month whether it has a
thousand or a million contacts); only paid budgets scale. Population, sales (campaign attribution),
support and marketing all read it, so a win-back email and the reactivation after it line up.
"""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np
import polars as pl

from seeds.generator.ids import decimal_ids, sf_ids
from seeds.generator.timeline import Clock

EMAILING_TYPES = ("email", "webinar", "win_back", "loyalty")
PAID_TYPES = ("paid_search", "social")

_SUBJECTS = {
    "newsletter": "{month} newsletter: what's new this month",
    "promo_customers": "{month}: an offer for our customers",
    "promo_prospects": "See what teams like yours achieve — {month}",
    "webinar": "Join our live webinar on {month_short} {day}",
    "win_back": "We miss you — here is 20% off your next order",
    "loyalty": "Thank you: your {quarter} loyalty rewards",
}


def _weekday_on_or_after(d: date, weekday: int) -> date:
    return d + timedelta(days=(weekday - d.weekday()) % 7)


def plan_campaigns(clock: Clock, sf: float, rng: np.random.Generator) -> pl.DataFrame:
    """One row per campaign: ids, type, flight days, the send day of emailing campaigns, budget."""
    rows: list[dict[str, object]] = []

    def add(
        kind: str,
        name: str,
        segment: str,
        start: date,
        end: date,
        send: date | None,
        budget: float,
        subject: str | None = None,
        currency: str = "USD",
    ) -> None:
        if start > clock.end or (send is not None and not clock.start <= send <= clock.end):
            return
        rows.append(
            {
                "type": kind,
                "name": name,
                "target_segment": segment,
                "subject": subject,
                "start_day": max(clock.day_of(start), 0),
                "end_day": min(clock.day_of(end), clock.n_days - 1),
                "send_day": clock.day_of(send) if send is not None else -1,
                "budget": round(budget, 2),
                "currency": currency,
            }
        )

    for m in clock.month_starts():
        label, short = m.strftime("%B %Y"), m.strftime("%b")
        newsletter = _weekday_on_or_after(m + timedelta(days=7), 1)
        add(
            "email",
            f"Newsletter {label}",
            "all_subscribers",
            newsletter,
            newsletter,
            newsletter,
            rng.uniform(400, 1200),
            _SUBJECTS["newsletter"].format(month=label),
        )
        promo_c = _weekday_on_or_after(m + timedelta(days=3), 3)
        add(
            "email",
            f"Customer offer {label}",
            "customers",
            promo_c,
            promo_c + timedelta(days=14),
            promo_c,
            rng.uniform(800, 2500),
            _SUBJECTS["promo_customers"].format(month=label),
        )
        promo_p = _weekday_on_or_after(m + timedelta(days=18), 3)
        add(
            "email",
            f"Prospect nurture {label}",
            "prospects",
            promo_p,
            promo_p + timedelta(days=14),
            promo_p,
            rng.uniform(800, 2500),
            _SUBJECTS["promo_prospects"].format(month=label),
        )
        webinar = _weekday_on_or_after(m + timedelta(days=20), 2)
        invite = webinar - timedelta(days=14)
        add(
            "webinar",
            f"Webinar {label}",
            "prospects",
            invite,
            webinar,
            invite,
            rng.uniform(2000, 6000),
            _SUBJECTS["webinar"].format(month_short=short, day=webinar.day),
        )
        winback = _weekday_on_or_after(m + timedelta(days=9), 1)
        add(
            "win_back",
            f"Win-back {label}",
            "churned_customers",
            winback,
            winback + timedelta(days=30),
            winback,
            rng.uniform(500, 1500),
            _SUBJECTS["win_back"],
        )
        if m.month in (2, 5, 8, 11):
            q = f"Q{(m.month - 1) // 3 + 1} {m.year}"
            loyalty = _weekday_on_or_after(m + timedelta(days=14), 2)
            add(
                "loyalty",
                f"Loyalty rewards {q}",
                "top_customers",
                loyalty,
                loyalty + timedelta(days=30),
                loyalty,
                rng.uniform(3000, 9000),
                _SUBJECTS["loyalty"].format(quarter=q),
            )
        if m.month in (1, 4, 7, 10) or m == clock.month_starts()[0]:
            q_end = date(m.year + (m.month > 9), (m.month + 2) % 12 + 1, 1) - timedelta(days=1)
            q = f"Q{(m.month - 1) // 3 + 1} {m.year}"
            scale = max(sf, 0.001)
            add(
                "paid_search",
                f"Search always-on {q}",
                "prospects",
                m,
                q_end,
                None,
                rng.uniform(60_000, 120_000) * scale,
            )
            add(
                "social",
                f"Social awareness {q}",
                "prospects",
                m,
                q_end,
                None,
                rng.uniform(30_000, 80_000) * scale,
            )
        if m.month in (3, 6, 10):
            show = _weekday_on_or_after(m + timedelta(days=12), 1)
            add(
                "event",
                f"Trade show {show:%B %Y}",
                "prospects",
                show,
                show + timedelta(days=2),
                None,
                rng.uniform(20_000, 60_000) * max(sf, 0.01),
                currency="EUR" if m.month == 6 else "USD",
            )

    plan = pl.DataFrame(rows).sort(["start_day", "type", "name"], maintain_order=True)
    n = plan.height
    return plan.with_columns(
        decimal_ids(2_100_001, n, "campaign_id"),
        sf_ids("campaign", np.arange(n) + 7_000, "crm_campaign_id"),
        pl.int_range(n).alias("campaign_idx"),
    )
