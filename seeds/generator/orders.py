"""Orders and their items: when customers buy, what, how much, and what happens to the order.

Each customer orders during its active periods (acquisition → churn, reactivation → end): one order on
the first day of each period, then a Poisson number with business or consumer seasonality. Basket
value follows the customer's lognormal spend; items come from a preferred product family with some
cross-sell. Statuses: Activated → Fulfilled, a few Cancelled, some Fulfilled ones later Returned, and
the last days' orders still Draft.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import polars as pl

from seeds.generator.catalogue import FAMILY_WEIGHT
from seeds.generator.context import Context
from seeds.generator.fx import FxTable
from seeds.generator.population import Population
from seeds.generator.timeline import DAY, cumulative, sample_days, time_of_day

CHANNELS = np.array(["web", "field", "partner"])
# Channel probabilities per band (Consumer, SMB, Mid-Market, Enterprise).
CHANNEL_P = np.array([[0.88, 0.0, 0.12], [0.5, 0.2, 0.3], [0.15, 0.6, 0.25], [0.05, 0.75, 0.2]])
DISCOUNTS = np.array([0.0, 0.05, 0.1, 0.15, 0.2])
DISCOUNT_P = np.array(
    [
        [0.9, 0.07, 0.03, 0.0, 0.0],
        [0.6, 0.2, 0.15, 0.05, 0.0],
        [0.35, 0.25, 0.25, 0.1, 0.05],
        [0.15, 0.2, 0.3, 0.2, 0.15],
    ]
)


@dataclass
class Orders:
    """Clean orders and items (internal columns; ids assigned, accounts/contacts mapped later)."""

    orders: pl.DataFrame
    items: pl.DataFrame


def build_orders(ctx: Context, pop: Population, fx: FxTable, catalogue: pl.DataFrame) -> Orders:
    rng = ctx.streams("sales.orders")
    clock = ctx.clock
    orgs = pop.orgs.filter(pl.col("is_customer"))
    acq = orgs["acquired_day"].to_numpy()
    churn = orgs["churn_day"].to_numpy()
    react = orgs["reactivated_day"].to_numpy()
    hi1 = np.where(churn >= 0, churn, clock.n_days)
    lo2 = np.where(react >= 0, react, clock.n_days)
    len_years = (np.maximum(hi1 - acq, 0) + np.maximum(clock.n_days - lo2, 0)) / 365.25
    starts = 1 + (react >= 0)
    target = ctx.target("orders", 50)
    base = orgs["orders_year"].to_numpy()
    m = max(target - starts.sum(), 0) / max((base * len_years).sum(), 1e-9)
    n_extra = rng.poisson(base * m * len_years)

    # Rows: first order of each active period, then the Poisson extras anywhere in the periods.
    cust = np.arange(orgs.height)
    first_rows = np.concatenate([cust, cust[react >= 0]])
    first_day = np.concatenate([acq, react[react >= 0]])
    extra_rows = np.repeat(cust, n_extra)
    band = orgs["band_idx"].to_numpy()
    consumer = band[extra_rows] == 0
    w_b = cumulative(clock.weights("orders_business", "business", growth=0.15))
    w_c = cumulative(clock.weights("orders_consumer", "consumer", growth=0.15))
    # Pick the period by its seasonal mass, then the day inside it (inverse CDF per weight set).
    r = extra_rows
    day = np.empty(len(r), dtype=np.int64)
    for is_consumer, wc in ((True, w_c), (False, w_b)):
        sel = np.flatnonzero(consumer == is_consumer)
        rr = r[sel]
        m1 = wc[hi1[rr]] - wc[acq[rr]]
        m2 = np.where(lo2[rr] < clock.n_days, wc[clock.n_days] - wc[np.minimum(lo2[rr], clock.n_days)], 0.0)
        second = rng.random(len(rr)) * (m1 + m2) >= m1
        lo = np.where(second, lo2[rr], acq[rr])
        hi = np.where(second, clock.n_days, hi1[rr])
        day[sel] = sample_days(rng, wc, lo, hi)
    rows = np.concatenate([first_rows, extra_rows])
    days = np.concatenate([first_day, day])
    is_first = np.concatenate([np.ones(len(first_rows), bool), np.zeros(len(extra_rows), bool)])
    n = len(rows)
    band_r = band[rows]
    tod = np.where(band_r == 0, time_of_day(rng, n, 19.0, 3.5), time_of_day(rng, n, 14.5, 2.5))
    sec = days * DAY + tod
    order = np.lexsort((rng.random(n), sec))
    rows, days, sec, is_first, band_r = rows[order], days[order], sec[order], is_first[order], band_r[order]

    # Channel and status timeline.
    channel = (rng.random(n)[:, None] > np.cumsum(CHANNEL_P[band_r], axis=1)).sum(axis=1)
    channel = np.minimum(channel, 2)
    end = clock.end_sec
    is_draft = sec >= end - 2 * DAY
    cancelled = ~is_draft & (rng.random(n) < 0.04)
    fulfil_sec = sec + rng.integers(1, 8, n) * DAY + rng.integers(0, 8 * 3600, n)
    cancel_sec = sec + rng.integers(1, 3 * DAY, n)
    returned = ~is_draft & ~cancelled & (rng.random(n) < 0.03)
    return_sec = fulfil_sec + rng.integers(5, 31, n) * DAY + rng.integers(0, 8 * 3600, n)
    fulfilled = ~is_draft & ~cancelled & (fulfil_sec < end)
    returned &= fulfilled & (return_sec < end)
    cancelled &= cancel_sec < end
    status = np.select(
        [is_draft, cancelled, returned, fulfilled],
        ["Draft", "Cancelled", "Returned", "Fulfilled"],
        "Activated",
    )

    currency = orgs["currency"].to_numpy()[rows]
    cur_idx = fx.index(currency)
    # Basket: the customer's yearly spend spread over its orders, lognormal around it.
    per_order = orgs["spend_usd_year"].to_numpy()[rows] / np.maximum(
        orgs["orders_year"].to_numpy()[rows], 0.5
    )
    basket_usd = per_order * rng.lognormal(-0.08, 0.4, n)

    orders = pl.DataFrame(
        {
            "order_idx": np.arange(n),
            "org_idx": orgs["org_idx"].to_numpy()[rows],
            "band_idx": band_r,
            "day": days,
            "sec": sec,
            "is_first": is_first,
            "channel": CHANNELS[channel],
            "status": status,
            "fulfil_sec": np.where(fulfilled, fulfil_sec, -1),
            "cancel_sec": np.where(cancelled, cancel_sec, -1),
            "return_sec": np.where(returned, return_sec, -1),
            "currency_iso_code": currency,
            "currency_idx": cur_idx,
            "rate": fx.rate(cur_idx, days),
        }
    )
    items = _items(ctx, orders, basket_usd, catalogue, fx)
    totals = items.group_by("order_idx", maintain_order=True).agg(
        pl.col("total_price").sum().round(2).alias("total_amount")
    )
    orders = orders.join(totals, on="order_idx", how="left", maintain_order="left").sort(
        "order_idx", maintain_order=True
    )
    return Orders(orders=orders, items=items)


def _items(
    ctx: Context, orders: pl.DataFrame, basket_usd: np.ndarray, catalogue: pl.DataFrame, fx: FxTable
) -> pl.DataFrame:
    rng = ctx.streams("sales.order_items")
    n_orders = orders.height
    lam = max(ctx.target("order_items") / max(ctx.target("orders"), 1) - 1.0, 0.0)
    k = 1 + rng.poisson(lam, n_orders)
    oi = np.repeat(np.arange(n_orders), k)
    n = len(oi)
    org = orders["org_idx"].to_numpy()
    band = orders["band_idx"].to_numpy()[oi]
    day = orders["day"].to_numpy()[oi]
    # Preferred family per customer (a hash of the org keeps it stable across its orders).
    fam_rng = ctx.streams("sales.order_items.family")
    n_org = int(org.max()) + 1 if len(org) else 1
    preferred = fam_rng.choice(len(FAMILY_WEIGHT), n_org, p=FAMILY_WEIGHT)
    family = np.where(
        rng.random(n) < 0.62, preferred[org[oi]], rng.choice(len(FAMILY_WEIGHT), n, p=FAMILY_WEIGHT)
    )
    # Product within family by popularity; unavailable (not launched / retired) → the family's core product.
    fam_idx = catalogue["family_idx"].to_numpy()
    pop_w = catalogue["popularity"].to_numpy()
    product = np.empty(n, dtype=np.int64)
    u = rng.random(n)
    for f in range(len(FAMILY_WEIGHT)):
        members = np.flatnonzero(fam_idx == f)
        cum = np.cumsum(pop_w[members]) / pop_w[members].sum()
        sel = np.flatnonzero(family == f)
        product[sel] = members[np.minimum(np.searchsorted(cum, u[sel]), len(members) - 1)]
    launch = catalogue["launch_day"].to_numpy()[product]
    retire = catalogue["retire_day"].to_numpy()[product]
    unavailable = (day < launch) | ((retire >= 0) & (day >= retire))
    core_of_family = np.zeros(len(FAMILY_WEIGHT), dtype=np.int64)
    for f in range(len(FAMILY_WEIGHT)):
        core_of_family[f] = np.flatnonzero((fam_idx == f) & catalogue["is_core"].to_numpy())[0]
    product = np.where(unavailable, core_of_family[fam_idx[product]], product)

    list_usd = catalogue["list_price"].to_numpy()[product]
    rate = orders["rate"].to_numpy()[oi]
    unit_price = np.round(list_usd * rate, 2)
    target = basket_usd[oi] / k[oi] * rng.lognormal(0, 0.35, n)
    quantity = np.clip(np.round(target / list_usd), 1, 2000).astype(np.int64)
    disc = DISCOUNTS[(rng.random(n)[:, None] > np.cumsum(DISCOUNT_P[band], axis=1)).sum(axis=1).clip(0, 4)]
    total = np.round(quantity * unit_price * (1.0 - disc), 2)
    return pl.DataFrame(
        {
            "item_idx": np.arange(n),
            "order_idx": oi,
            "product_idx": product,
            "quantity": quantity,
            "unit_price": unit_price,
            "discount": disc,
            "total_price": total,
        }
    )
