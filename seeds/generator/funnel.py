"""The sales funnel: leads, opportunities with their stage history, and quotes.

Funnel semantics (what the marts' ``lead_funnel`` reads): a lead's status ``Working`` means it became
marketing-qualified (MQL), ``Qualified`` sales-qualified (SQL); conversion creates the opportunity,
and ``Closed Won`` is the win. New-business wins are exactly the first orders of customers acquired
through the funnel; upgrade/renewal wins are existing customers' field or partner orders; prospects'
opportunities are lost or still open. Every stage change is one ``opportunity_history`` row.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import polars as pl

from seeds.generator.campaigns import PAID_TYPES
from seeds.generator.context import Context
from seeds.generator.fx import FxTable
from seeds.generator.orders import Orders
from seeds.generator.population import Population
from seeds.generator.timeline import DAY, time_of_day

STAGES = np.array(
    [
        "Prospecting",
        "Qualification",
        "Needs Analysis",
        "Proposal/Price Quote",
        "Negotiation/Review",
        "Closed Won",
        "Closed Lost",
    ]
)
STAGE_PROB = np.array([10, 20, 40, 60, 80, 100, 0], dtype=float)
STAGE_FORECAST = np.array(["Pipeline", "Pipeline", "Pipeline", "Best Case", "Commit", "Closed", "Omitted"])
LOSS_REASONS = np.array(["Price", "Competitor", "No Decision", "Timing", "Missing Features", "Budget"])
LOSS_P = np.array([0.28, 0.24, 0.2, 0.1, 0.1, 0.08])
LEAD_SOURCES = np.array(
    [
        "Web",
        "Advertisement",
        "Webinar",
        "Trade Show",
        "Partner Referral",
        "Employee Referral",
        "Purchased List",
        "Other",
    ]
)
LEAD_SOURCE_P = np.array([0.35, 0.2, 0.12, 0.08, 0.1, 0.05, 0.07, 0.03])
STAGE_DWELL_DAYS = np.array([0.0, 6.0, 10.0, 18.0])  # mean days per stage by band


@dataclass
class Funnel:
    leads: pl.DataFrame  # one row per lead (static fields + milestone seconds)
    lead_events: pl.DataFrame  # lead_idx, sec, status, is_converted
    opps: pl.DataFrame  # one row per opportunity (static fields)
    history: pl.DataFrame  # one row per stage change
    quotes: pl.DataFrame  # one row per quote version


def build_funnel(ctx: Context, pop: Population, orders: Orders, fx: FxTable) -> Funnel:
    rng = ctx.streams("sales.funnel")
    clock = ctx.clock
    end = clock.end_sec
    orgs, persons = pop.orgs, pop.persons
    o_band = orgs["band_idx"].to_numpy()
    p_org = persons["org_idx"].to_numpy()
    p_role = persons["role"].to_numpy()
    p_primary = persons["is_primary"].to_numpy()
    primary_of_org = np.full(orgs.height, -1, dtype=np.int64)
    primary_of_org[p_org[p_primary]] = np.flatnonzero(p_primary)

    # --- (a) funnel customers: the first order is the won new-business opportunity -------------
    od = orders.orders
    first = (
        od.filter(pl.col("is_first"))
        .group_by("org_idx", maintain_order=True)
        .agg(pl.col("order_idx").min(), pl.col("sec").min())
    )
    funnel_orgs = (
        orgs.filter(pl.col("funnel"))
        .select("org_idx")
        .join(first, on="org_idx", how="inner", maintain_order="left")
        .sort("org_idx", maintain_order=True)
    )
    a_org = funnel_orgs["org_idx"].to_numpy()
    a_close = funnel_orgs["sec"].to_numpy() - rng.integers(3600, 6 * 3600, len(a_org))
    a_order = funnel_orgs["order_idx"].to_numpy()

    # --- (c) existing customers: some field/partner repeat orders were won upgrades/renewals ------
    n_b_guess = int((p_role == "prospect").sum() * 0.6 * 0.45 * 0.85 * 0.5)
    rest = max(ctx.target("opportunities") - len(a_org) - n_b_guess, 0)
    won_c_target = int(rest / 2.6)
    cand = od.filter(
        ~pl.col("is_first")
        & (pl.col("band_idx") > 0)
        & pl.col("channel").is_in(["field", "partner"])
        & (pl.col("status") != "Draft")
    )
    take = rng.random(cand.height) < min(1.0, won_c_target / max(cand.height, 1))
    c_won = cand.filter(pl.Series(take))
    c_org = c_won["org_idx"].to_numpy()
    c_close = c_won["sec"].to_numpy() - rng.integers(3600, 6 * 3600, len(c_org))
    # Lost / open upgrade-renewal opportunities: business customers weighted by band, while active.
    n_c_lost = max(rest - len(c_org), 0)
    cust_business = orgs.filter(pl.col("is_customer") & (pl.col("band_idx") > 0))
    w = np.asarray([0, 1.0, 3.0, 8.0])[cust_business["band_idx"].to_numpy()]
    pick = (
        rng.choice(cust_business.height, n_c_lost, p=w / w.sum())
        if cust_business.height
        else np.zeros(0, int)
    )
    l_org = cust_business["org_idx"].to_numpy()[pick]
    acq = orgs["acquired_day"].to_numpy()[l_org]
    churn = orgs["churn_day"].to_numpy()[l_org]
    hi = np.where(churn >= 0, churn, clock.n_days - 1)
    l_created = (acq + rng.random(len(l_org)) * np.maximum(hi - acq, 1)).astype(np.int64) * DAY + time_of_day(
        rng, len(l_org), 14.5, 2.5
    )

    # --- leads -------------------------------------------------------------------------------
    leads = _leads(ctx, rng, pop, a_org, a_close, primary_of_org)
    b = leads.filter(pl.col("creates_opp") & (pl.col("kind") == "prospect"))

    # --- opportunities -----------------------------------------------------------------------
    a_amount = od["total_amount"].to_numpy()[a_order]
    c_amount = c_won["total_amount"].to_numpy()
    b_org = b["org_idx"].to_numpy()
    est_rng = ctx.streams("sales.funnel.amounts")

    def estimate(org_idx: np.ndarray) -> np.ndarray:
        band = o_band[org_idx]
        base = np.asarray([400.0, 9000.0, 45000.0, 260000.0])[band] * 0.35
        return base * est_rng.lognormal(0, 0.6, len(org_idx))

    opp = pl.concat(
        [
            pl.DataFrame(
                {
                    "org_idx": a_org,
                    "type": "New Business",
                    "outcome": "won",
                    "anchor_sec": a_close,
                    "amount_final": a_amount,
                    "order_idx": a_order,
                    "lead_idx": _lead_of(leads, a_org),
                }
            ),
            pl.DataFrame(
                {
                    "org_idx": b_org,
                    "type": "New Business",
                    "outcome": "lost",
                    "anchor_sec": b["convert_sec"].to_numpy(),
                    "amount_final": np.full(len(b_org), np.nan),
                    "order_idx": np.full(len(b_org), -1),
                    "lead_idx": b["lead_idx"].to_numpy(),
                }
            ),
            pl.DataFrame(
                {
                    "org_idx": c_org,
                    "type": np.where(rng.random(len(c_org)) < 0.55, "Renewal", "Upgrade"),
                    "outcome": "won",
                    "anchor_sec": c_close,
                    "amount_final": c_amount,
                    "order_idx": c_won["order_idx"].to_numpy(),
                    "lead_idx": np.full(len(c_org), -1),
                }
            ),
            pl.DataFrame(
                {
                    "org_idx": l_org,
                    "type": np.where(rng.random(len(l_org)) < 0.55, "Renewal", "Upgrade"),
                    "outcome": "lost",
                    "anchor_sec": l_created,
                    "amount_final": np.full(len(l_org), np.nan),
                    "order_idx": np.full(len(l_org), -1),
                    "lead_idx": np.full(len(l_org), -1),
                }
            ),
        ],
        how="vertical_relaxed",
    )
    n = opp.height
    org_idx = opp["org_idx"].to_numpy()
    band = o_band[org_idx]
    rate = fx.rate(fx.index(orgs["currency"].to_numpy()[org_idx]), opp["anchor_sec"].to_numpy() // DAY)
    est = np.round(estimate(org_idx) * rate, 2)
    amount_final = opp["amount_final"].to_numpy()
    amount_final = np.where(np.isnan(amount_final), est, amount_final)
    est = np.where(
        opp["outcome"].to_numpy() == "won", np.round(amount_final * rng.lognormal(0, 0.12, n), 2), est
    )

    won = opp["outcome"].to_numpy() == "won"
    start_stage = np.where(rng.random(n) < 0.3, 1, 0)
    k = np.where(won, 5 - start_stage, 1 + rng.choice(5, n, p=[0.3, 0.25, 0.2, 0.15, 0.1]))
    k = np.minimum(k, 5 - start_stage)
    dwell = rng.exponential(1.0, (n, 6)) * STAGE_DWELL_DAYS[np.maximum(band, 1)][:, None] * DAY
    dwell[np.arange(6)[None, :] >= k[:, None]] = 0.0
    total = dwell.sum(axis=1)
    anchor = opp["anchor_sec"].to_numpy().astype(np.int64)
    lower = np.where(
        opp["type"].to_numpy() == "New Business", 0, orgs["acquired_day"].to_numpy()[org_idx] * DAY + 3600
    )
    lower = np.where(
        opp["lead_idx"].to_numpy() >= 0,
        np.maximum(lower, _lead_sql_sec(leads, opp["lead_idx"].to_numpy())),
        lower,
    )
    squeeze = np.where(
        won & (anchor - total < lower), np.clip((anchor - lower) / np.maximum(total, 1), 0.01, 1), 1.0
    )
    dwell *= squeeze[:, None]
    total = dwell.sum(axis=1)
    created = np.where(won, anchor - total, anchor).astype(np.int64)
    created = np.maximum(created, 0)
    opp = opp.with_columns(
        pl.Series("opp_idx", np.arange(n)),
        pl.Series("created_sec", created),
        pl.Series("amount_est", est),
        pl.Series("amount_final", np.round(amount_final, 2)),
        pl.Series("start_stage", start_stage),
        pl.Series("k", k),
        pl.Series("currency_iso_code", orgs["currency"].to_numpy()[org_idx]),
        pl.Series("owner_idx", orgs["owner_idx"].to_numpy()[org_idx]),
        pl.Series("loss_reason", LOSS_REASONS[rng.choice(len(LOSS_REASONS), n, p=LOSS_P)]),
        pl.Series("expected_days", (1.3 * STAGE_DWELL_DAYS[np.maximum(band, 1)] * 5).astype(np.int64)),
    )
    history = _history(opp, dwell, end, rng)
    closed = history.filter(pl.col("stage_idx") >= 5).select("opp_idx", pl.col("sec").alias("close_sec"))
    opp = opp.join(closed, on="opp_idx", how="left", maintain_order="left").with_columns(
        pl.when(pl.col("close_sec").is_null() & (pl.col("outcome") == "lost"))
        .then(pl.lit("open"))
        .otherwise(pl.col("outcome"))
        .alias("outcome")
    )
    quotes = _quotes(ctx, opp, history, end)
    # Campaign attribution and lead source travel from the lead to its opportunity.
    lead_info = leads.select("lead_idx", "lead_source", "campaign_idx")
    opp = (
        opp.join(lead_info, on="lead_idx", how="left", maintain_order="left")
        .with_columns(
            pl.when(pl.col("type") != "New Business")
            .then(pl.lit("Existing Customer"))
            .otherwise(pl.col("lead_source"))
            .alias("lead_source")
        )
        .sort("opp_idx", maintain_order=True)
    )
    return Funnel(
        leads=leads.drop("creates_opp"),
        lead_events=_lead_events(leads, end),
        opps=opp,
        history=history,
        quotes=quotes,
    )


def _lead_of(leads: pl.DataFrame, org_idx: np.ndarray) -> np.ndarray:
    conv = leads.filter(pl.col("kind") == "acquisition").select("org_idx", "lead_idx")
    return (
        pl.DataFrame({"org_idx": org_idx})
        .join(conv, on="org_idx", how="left", maintain_order="left")["lead_idx"]
        .fill_null(-1)
        .to_numpy()
    )


def _lead_sql_sec(leads: pl.DataFrame, lead_idx: np.ndarray) -> np.ndarray:
    conv = leads["convert_sec"].to_numpy()
    safe = np.maximum(lead_idx, 0)
    return np.where(lead_idx >= 0, conv[safe], 0)


def _leads(
    ctx: Context,
    rng: np.random.Generator,
    pop: Population,
    a_org: np.ndarray,
    a_close: np.ndarray,
    primary_of_org: np.ndarray,
) -> pl.DataFrame:
    """Every lead with its milestones (seconds; -1 = never) and who it is."""
    clock = ctx.clock
    persons, orgs = pop.persons, pop.orgs
    role = persons["role"].to_numpy()
    known = persons["known_day"].to_numpy()
    p_org = persons["org_idx"].to_numpy()
    primary = persons["is_primary"].to_numpy()
    band = orgs["band_idx"].to_numpy()

    def delays(n: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        return (
            (1 + rng.exponential(6, n)) * DAY,
            (2 + rng.exponential(9, n)) * DAY,
            (1 + rng.exponential(3, n)) * DAY,
        )

    parts = []
    # acquisition leads: primary person of each funnel customer; milestones end at the opp's creation.
    n = len(a_org)
    d1, d2, d3 = delays(n)
    dwell_guess = STAGE_DWELL_DAYS[np.maximum(band[a_org], 1)] * 5 * DAY * rng.uniform(0.6, 1.2, n)
    span = d1 + d2 + d3 + dwell_guess
    f = np.minimum(1.0, (a_close - DAY) / span)
    conv = a_close - dwell_guess * f
    parts.append(
        dict(
            kind="acquisition",
            person=primary_of_org[a_org],
            org=a_org,
            created=conv - (d1 + d2 + d3) * f,
            mql=conv - (d2 + d3) * f,
            sql=conv - d3 * f,
            conv=conv,
            opp=np.ones(n, bool),
        )
    )
    # prospects' people: a random walk down the funnel; only primaries convert to an opportunity.
    pp = np.flatnonzero(role == "prospect")
    n = len(pp)
    d1, d2, d3 = delays(n)
    created = known[pp] * DAY + time_of_day(rng, n, 14.5, 2.5)
    mql = rng.random(n) < 0.6
    sql = mql & (rng.random(n) < 0.45)
    conv_ = sql & primary[pp] & (rng.random(n) < 0.85)
    parts.append(
        dict(
            kind="prospect",
            person=pp,
            org=p_org[pp],
            created=created,
            mql=np.where(mql, created + d1, -1),
            sql=np.where(sql, created + d1 + d2, -1),
            conv=np.where(conv_, created + d1 + d2 + d3, -1),
            opp=conv_,
        )
    )
    # individuals: most stay Open or are nurtured; none convert.
    ii = np.flatnonzero(role == "individual")
    n = len(ii)
    d1, d2, _ = delays(n)
    created = known[ii] * DAY + time_of_day(rng, n, 16.0, 4.0)
    mql = rng.random(n) < 0.25
    sql = mql & (rng.random(n) < 0.2)
    parts.append(
        dict(
            kind="individual",
            person=ii,
            org=np.full(n, -1),
            created=created,
            mql=np.where(mql, created + d1, -1),
            sql=np.where(sql, created + d1 + d2, -1),
            conv=np.full(n, -1.0),
            opp=np.zeros(n, bool),
        )
    )
    # consumers who enquired before buying: converted at their first order, without an opportunity.
    cc = np.flatnonzero((role == "consumer") & (rng.random(len(role)) < 0.15))
    acq = orgs["acquired_day"].to_numpy()[p_org[cc]]
    cc, acq = cc[acq >= 3], acq[acq >= 3]
    n = len(cc)
    created = (acq - rng.integers(1, np.minimum(acq, 30) + 1)) * DAY + time_of_day(rng, n, 19.0, 3.0)
    conv = acq * DAY + rng.integers(0, 6 * 3600, n)
    parts.append(
        dict(
            kind="consumer",
            person=cc,
            org=p_org[cc],
            created=created,
            mql=np.full(n, -1.0),
            sql=np.full(n, -1.0),
            conv=conv,
            opp=np.zeros(n, bool),
        )
    )
    # the rest of the target: people already known coming back through a form (duplicates of a person).
    have = sum(len(p["person"]) for p in parts)
    n = max(ctx.target("leads") - have, 0)
    pool = np.flatnonzero(np.isin(role, ["contact", "individual"]) & (known < clock.n_days - 2))
    again = pool[rng.integers(0, len(pool), n)] if len(pool) else np.zeros(0, np.int64)
    n = len(again)
    lo = known[again] + 1
    created = (lo + rng.random(n) * (clock.n_days - 1 - lo)).astype(np.int64) * DAY + time_of_day(
        rng, n, 15.0, 3.0
    )
    mql = rng.random(n) < 0.2
    parts.append(
        dict(
            kind="returning",
            person=again,
            org=p_org[again],
            created=created,
            mql=np.where(mql, created + (1 + rng.exponential(6, n)) * DAY, -1),
            sql=np.full(n, -1.0),
            conv=np.full(n, -1.0),
            opp=np.zeros(n, bool),
        )
    )

    frame = pl.concat(
        [
            pl.DataFrame(
                {
                    "kind": p["kind"],
                    "person_idx": p["person"],
                    "org_idx": p["org"],
                    "created_sec": np.asarray(p["created"]).astype(np.int64),
                    "mql_sec": np.asarray(p["mql"]).astype(np.int64),
                    "sql_sec": np.asarray(p["sql"]).astype(np.int64),
                    "convert_sec": np.asarray(p["conv"]).astype(np.int64),
                    "creates_opp": p["opp"],
                }
            )
            for p in parts
        ]
    ).with_columns(pl.col("created_sec").clip(0))
    frame = frame.sort(["created_sec", "person_idx"], maintain_order=True)
    n = frame.height
    final_status = np.where(rng.random(n) < 0.55, "Unqualified", "Nurturing")
    last = np.maximum.reduce(
        [frame["created_sec"].to_numpy(), frame["mql_sec"].to_numpy(), frame["sql_sec"].to_numpy()]
    )
    final_sec = np.where(
        frame["convert_sec"].to_numpy() >= 0, -1, last + ((3 + rng.exponential(25, n)) * DAY).astype(np.int64)
    )
    final_sec = np.where(
        frame["kind"].to_numpy() == "returning", np.where(final_sec >= 0, final_sec, -1), final_sec
    )
    source = LEAD_SOURCES[rng.choice(len(LEAD_SOURCES), n, p=LEAD_SOURCE_P)]
    rating = np.where(
        frame["sql_sec"].to_numpy() >= 0, "Hot", np.where(frame["mql_sec"].to_numpy() >= 0, "Warm", "Cold")
    )
    org = frame["org_idx"].to_numpy()
    reps = pop.reps
    inside = np.flatnonzero(reps["is_rep"].to_numpy() & (reps["team"].to_numpy() == "Inside Sales"))
    if len(inside) == 0:
        inside = np.flatnonzero(reps["is_rep"].to_numpy())
    owner = np.where(
        org >= 0, orgs["owner_idx"].to_numpy()[np.maximum(org, 0)], inside[rng.integers(0, len(inside), n)]
    )
    campaign = _attribute(pop.campaigns, source, frame["created_sec"].to_numpy() // DAY, rng)
    return frame.with_columns(
        pl.Series("lead_idx", np.arange(n)),
        pl.Series("final_status", final_status),
        pl.Series("final_sec", final_sec),
        pl.Series("lead_source", source),
        pl.Series("rating", rating),
        pl.Series("owner_idx", owner),
        pl.Series("campaign_idx", campaign),
    )


def _attribute(
    campaigns: pl.DataFrame, source: np.ndarray, day: np.ndarray, rng: np.random.Generator
) -> np.ndarray:
    """The campaign that brought a lead in: a paid flight, the webinar, the trade show or an email."""
    out = np.full(len(day), -1, dtype=np.int64)
    ctype = campaigns["type"].to_numpy()
    start = campaigns["start_day"].to_numpy()
    end_ = campaigns["end_day"].to_numpy()
    send = campaigns["send_day"].to_numpy()
    idx = campaigns["campaign_idx"].to_numpy()

    def latest(kind_mask: np.ndarray, ref: np.ndarray, rows: np.ndarray, window: int) -> None:
        cands = np.flatnonzero(kind_mask)
        order = np.argsort(ref[cands], kind="stable")
        cands, refs = cands[order], ref[cands][order]
        pos = np.searchsorted(refs, day[rows], side="right") - 1
        ok = (pos >= 0) & (day[rows] - refs[np.maximum(pos, 0)] <= window)
        out[rows[ok]] = idx[cands[pos[ok]]]

    paid = np.isin(ctype, PAID_TYPES)
    rows = np.flatnonzero(source == "Advertisement")
    latest(paid, start, rows, 120)
    latest(ctype == "webinar", start, np.flatnonzero(source == "Webinar"), 45)
    latest(ctype == "event", start, np.flatnonzero(source == "Trade Show"), 30)
    web = np.flatnonzero((source == "Web") & (rng.random(len(day)) < 0.3))
    latest(ctype == "email", np.where(send >= 0, send, end_), web, 14)
    return out


def _lead_events(leads: pl.DataFrame, end: int) -> pl.DataFrame:
    """Lead status changes: Open, Working (MQL), Qualified (SQL), converted, Unqualified/Nurturing."""
    base = leads.select(
        "lead_idx", "created_sec", "mql_sec", "sql_sec", "convert_sec", "final_sec", "final_status"
    )
    events = pl.concat(
        [
            base.select(
                "lead_idx",
                pl.col("created_sec").alias("sec"),
                pl.lit("Open").alias("status"),
                pl.lit(False).alias("is_converted"),
            ),
            base.select(
                "lead_idx",
                pl.col("mql_sec").alias("sec"),
                pl.lit("Working").alias("status"),
                pl.lit(False).alias("is_converted"),
            ),
            base.select(
                "lead_idx",
                pl.col("sql_sec").alias("sec"),
                pl.lit("Qualified").alias("status"),
                pl.lit(False).alias("is_converted"),
            ),
            base.select(
                "lead_idx",
                pl.col("convert_sec").alias("sec"),
                pl.lit("Qualified").alias("status"),
                pl.lit(True).alias("is_converted"),
            ),
            base.select(
                "lead_idx",
                pl.col("final_sec").alias("sec"),
                pl.col("final_status").alias("status"),
                pl.lit(False).alias("is_converted"),
            ),
        ]
    )
    return events.filter((pl.col("sec") >= 0) & (pl.col("sec") < end)).sort(
        ["lead_idx", "sec", "is_converted"], maintain_order=True
    )


def _history(opp: pl.DataFrame, dwell: np.ndarray, end: int, rng: np.random.Generator) -> pl.DataFrame:
    """One row per stage entered (and the close), with amount, probability, expected close, category."""
    n = opp.height
    k = opp["k"].to_numpy()
    rows = np.repeat(np.arange(n), k + 1)
    j = np.arange(len(rows)) - np.repeat(np.cumsum(k + 1) - (k + 1), k + 1)
    offsets = np.concatenate([np.zeros((n, 1)), np.cumsum(dwell, axis=1)], axis=1)
    sec = opp["created_sec"].to_numpy()[rows] + offsets[rows, j].astype(np.int64)
    outcome = opp["outcome"].to_numpy()[rows]
    is_close = j == k[rows]
    stage = np.where(is_close, np.where(outcome == "won", 5, 6), opp["start_stage"].to_numpy()[rows] + j)
    keep = (sec < end) & ~(is_close & (outcome == "open"))
    rows, j, sec, stage, is_close = rows[keep], j[keep], sec[keep], stage[keep], is_close[keep]
    est = opp["amount_est"].to_numpy()[rows]
    revised = np.round(est * rng.lognormal(0, 0.08, len(rows)), 2)
    amount = np.where(is_close, opp["amount_final"].to_numpy()[rows], np.where(stage >= 3, revised, est))
    created_day = opp["created_sec"].to_numpy()[rows] // DAY
    expected = np.maximum(created_day + opp["expected_days"].to_numpy()[rows], sec // DAY + 14)
    close_day = np.where(is_close, sec // DAY, expected)
    return pl.DataFrame(
        {
            "opp_idx": rows,
            "sec": sec,
            "stage_idx": stage,
            "stage_name": STAGES[stage],
            "amount": np.round(amount, 2),
            "probability": STAGE_PROB[stage],
            "close_day": close_day,
            "forecast_category": STAGE_FORECAST[stage],
        }
    ).sort(["sec", "opp_idx", "stage_idx"], maintain_order=True)


def _quotes(ctx: Context, opp: pl.DataFrame, history: pl.DataFrame, end: int) -> pl.DataFrame:
    """Quotes of opportunities that reached Proposal: Draft → Presented → Accepted/Denied versions."""
    rng = ctx.streams("sales.quotes")
    proposal = history.filter(pl.col("stage_idx") == 3).select("opp_idx", pl.col("sec").alias("proposal_sec"))
    q = proposal.join(
        opp.select("opp_idx", "outcome", "close_sec", "amount_final", "amount_est"),
        on="opp_idx",
        maintain_order="left",
    )
    n_q = 1 + rng.poisson(0.5, q.height)
    rows = np.repeat(np.arange(q.height), n_q)
    j = np.arange(len(rows)) - np.repeat(np.cumsum(n_q) - n_q, n_q)
    is_last = j == n_q[rows] - 1
    created = q["proposal_sec"].to_numpy()[rows] + j * 3 * DAY + rng.integers(600, 8 * 3600, len(rows))
    close = q["close_sec"].fill_null(-1).to_numpy()[rows]
    outcome = q["outcome"].to_numpy()[rows]
    discount = np.array([0.0, 0.05, 0.1, 0.15, 0.2, 0.25])[
        rng.choice(6, len(rows), p=[0.3, 0.2, 0.2, 0.15, 0.1, 0.05])
    ]
    amount = np.where(outcome == "won", q["amount_final"].to_numpy()[rows], q["amount_est"].to_numpy()[rows])
    total = np.round(np.where(is_last, amount, amount * rng.uniform(1.02, 1.2, len(rows))), 2)
    final_status = np.where(is_last & (outcome == "won"), "Accepted", "Denied")
    final_sec = np.where(is_last, close, created + 3 * DAY)
    final_sec = np.where(is_last & (close < 0), -1, final_sec)
    quote_idx = np.arange(len(rows))
    base = pl.DataFrame(
        {
            "quote_idx": quote_idx,
            "opp_idx": q["opp_idx"].to_numpy()[rows],
            "total_price": total,
            "discount": discount,
            "created_sec": created,
            "expiration_day": created // DAY + 30,
        }
    )
    versions = pl.concat(
        [
            base.with_columns(pl.lit("Draft").alias("status"), pl.col("created_sec").alias("sec")),
            base.with_columns(
                pl.lit("Presented").alias("status"),
                (pl.col("created_sec") + pl.Series(rng.integers(3600, DAY, len(rows)))).alias("sec"),
            ),
            base.with_columns(
                pl.Series("status", final_status),
                pl.Series("sec", np.maximum(final_sec, created + DAY)).alias("sec"),
            ).filter(pl.Series(final_sec >= 0)),
        ]
    )
    return versions.filter(pl.col("sec") < end).sort(["quote_idx", "sec"], maintain_order=True)
