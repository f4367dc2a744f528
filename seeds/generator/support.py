"""The help desk (Zendesk-like): organizations, users, tickets with their event stream, CSAT, SLAs.

Ticket volume grows with customer size; first replies respect the SLA schedule's business hours (via
:class:`BusinessCalendar`) and are slower for customers the latent ``badness`` marks as badly served,
which also raises reopen, escalation and bad-CSAT odds — the same latent that raised their churn
hazard. Every status, assignee, group and priority change is a ``ticket_events`` row; a ticket has one
version per status change.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import polars as pl

from seeds.generator.business_hours import SCHEDULE_INTERVALS, SCHEDULE_TIME_ZONE, BusinessCalendar
from seeds.generator.columns import keep_where, row_lists, sort_order
from seeds.generator.context import Context
from seeds.generator.dirt import apply_person_dirt, company_variant
from seeds.generator.population import BAND_TICKETS, Population
from seeds.generator.sales import Sales, person_helpers
from seeds.generator.timeline import DAY, cumulative, sample_days, time_of_day, us_holidays

GROUPS = ("Tier 1", "Tier 2", "Billing", "Technical", "Escalations", "Onboarding")
GROUP_IDS = np.arange(len(GROUPS), dtype=np.int64) + 360_000_101
ESCALATIONS = GROUPS.index("Escalations")
PRIORITIES = np.array(["low", "normal", "high", "urgent"])
PRIORITY_P = np.array([0.2, 0.55, 0.19, 0.06])
# SLA targets in minutes per priority (low, normal, high, urgent); urgent runs on calendar time.
SLA_TARGETS = {
    "first_reply_time": (1440, 480, 240, 60),
    "next_reply_time": (2880, 960, 480, 120),
    "full_resolution_time": (5760, 2880, 1440, 480),
}
FIRST_REPLY_MEDIAN = np.array([420.0, 200.0, 80.0, 22.0])  # business minutes (urgent: calendar)
TYPES = np.array(["question", "incident", "problem", "task"])
TYPE_P = np.array([0.45, 0.35, 0.1, 0.1])
CHANNELS = np.array(["email", "web", "chat", "voice", "api"])
CHANNEL_P = np.array([0.5, 0.25, 0.15, 0.07, 0.03])
SUBJECTS = np.array(
    [
        "Cannot log in to the portal",
        "Invoice amount looks wrong",
        "Order not delivered yet",
        "Question about my subscription",
        "Device stopped working",
        "How do I export my data?",
        "Request for a refund",
        "Error message during checkout",
        "Update billing address",
        "Integration returns 500 errors",
        "Need help with onboarding",
        "Wrong item received",
    ]
)
BAD_REASONS = np.array(
    [
        "Issue took too long to resolve",
        "Issue was not resolved",
        "Agent's knowledge is unsatisfactory",
        "Agent's attitude is unsatisfactory",
    ]
)
GOOD_COMMENTS = np.array(
    ["Quick and helpful, thanks!", "Great support", "Solved my problem", "Very friendly agent"]
)
BAD_COMMENTS = np.array(
    ["Took far too long", "Still not working", "Had to explain everything twice", "Nobody answered for days"]
)
ORG_BASE, USER_BASE, TICKET_BASE, EVENT_BASE, RATING_BASE = (
    360_000_000_000,
    380_000_000_000,
    1,
    9_000_000_000,
    420_000_000_000,
)


@dataclass
class Support:
    tables: dict[str, pl.DataFrame]
    ticket_truth: pl.DataFrame
    user_map: pl.DataFrame  # record_id, person_idx, org_idx, is_test, is_shared_mailbox
    org_map: pl.DataFrame  # record_id, org_idx


def build_support(ctx: Context, pop: Population, sales: Sales) -> Support:
    clock = ctx.clock
    holidays = us_holidays(clock.start, clock.end.replace(year=clock.end.year + 1))
    calendar = BusinessCalendar(clock, holidays)
    ctx.step("support.organizations")
    orgs_table, org_ids, org_map = _organizations(ctx, pop, sales)
    agents = _agents(ctx)
    ctx.step("support.tickets")
    tickets = _plan_tickets(ctx, pop, calendar)
    ctx.step("support.users")
    users_table, user_map, tickets = _users(ctx, pop, tickets, org_ids, agents)
    ctx.step("support.ticket_events")
    events, ticket_truth = _events(ctx, tickets, agents, calendar)
    tickets_table = _ticket_versions(ctx, tickets, events, org_ids)
    ctx.step("support.satisfaction_ratings")
    ratings, ticket_truth = _ratings(ctx, tickets, ticket_truth, agents)
    events_table = _events_table(ctx, events)
    tables = {
        "organizations": orgs_table,
        "users": users_table,
        "tickets": tickets_table,
        "ticket_events": events_table,
        "satisfaction_ratings": ratings,
        "groups": _groups(ctx),
        "sla_policies": _sla_policies(ctx, holidays),
    }
    return Support(tables=tables, ticket_truth=ticket_truth, user_map=user_map, org_map=org_map)


def _ts(ctx: Context, df: pl.DataFrame, col: str, name: str) -> pl.Series:
    return ctx.clock.ts(df[col].to_numpy(), name)


def _groups(ctx: Context) -> pl.DataFrame:
    return pl.DataFrame({"id": GROUP_IDS, "name": list(GROUPS)}).with_columns(
        ctx.clock.ts(np.zeros(len(GROUPS), np.int64), "_visible_at")
    )


def _sla_policies(ctx: Context, holidays: list) -> pl.DataFrame:
    rows = []
    for metric, targets in SLA_TARGETS.items():
        for p, target in zip(PRIORITIES, targets, strict=True):
            rows.append(
                {
                    "title": f"{p.capitalize()} priority — {metric.replace('_', ' ')}",
                    "priority": str(p),
                    "metric": metric,
                    "target_minutes": target,
                    "business_hours": p != "urgent",
                }
            )
    frame = (
        pl.DataFrame(rows)
        .with_columns(
            pl.Series("id", np.arange(len(rows), dtype=np.int64) + 360_000_201),
            pl.lit(SCHEDULE_TIME_ZONE).alias("schedule_time_zone"),
            pl.Series(
                "schedule_intervals",
                [[{"weekday": wd, "start_minute": lo, "end_minute": hi} for wd, lo, hi in SCHEDULE_INTERVALS]]
                * len(rows),
                dtype=pl.List(
                    pl.Struct({"weekday": pl.Int8, "start_minute": pl.Int32, "end_minute": pl.Int32})
                ),
            ),
            pl.Series("holidays", [holidays] * len(rows), dtype=pl.List(pl.Date)),
            ctx.clock.ts(np.zeros(len(rows), np.int64), "_visible_at"),
        )
        .with_columns(pl.col("target_minutes").cast(pl.Int64))
    )
    return frame.select(
        "id",
        "title",
        "priority",
        "metric",
        "target_minutes",
        "business_hours",
        "schedule_time_zone",
        "schedule_intervals",
        "holidays",
        "_visible_at",
    )


def _organizations(
    ctx: Context, pop: Population, sales: Sales
) -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame]:
    rng = ctx.streams("support.organizations")
    dirt = ctx.dirt
    o = pop.orgs.filter(pl.col("is_customer") & (pl.col("band_idx") > 0)).join(
        sales.primary_account, on="org_idx", how="left", maintain_order="left"
    )
    n = o.height
    created = o["acquired_day"].to_numpy() * DAY + rng.integers(6 * 3600, 20 * 3600, n)
    static = o.select(
        (pl.col("org_idx") + ORG_BASE).alias("id"),
        "org_idx",
        pl.col("company_name").alias("name"),
        "domain",
        pl.concat_list(
            pl.col("band").str.to_lowercase().str.replace_all("-", "_"),
            pl.col("industry").str.to_lowercase().str.replace_all(" ", "_"),
        ).alias("tags"),
    ).with_columns(
        keep_where(o["account_id"], rng.random(n) < 0.6, "external_id"), pl.Series("created_sec", created)
    )
    static = dirt.apply(
        static,
        source="support",
        entity="organizations",
        fld="name",
        kind="company_suffix_variant",
        eligible=pl.lit(True),
        transform=company_variant,
    )
    no_domain = dirt.pick(
        "support", "organizations", "domain_names", "org_without_domain", np.ones(n, dtype=bool)
    )
    dirt.record(
        "support",
        "organizations",
        "domain_names",
        "org_without_domain",
        static.filter(pl.Series(no_domain))["id"],
        static.filter(pl.Series(no_domain))["domain"],
        pl.Series([None] * int(no_domain.sum()), dtype=pl.String),
    )
    static = static.with_columns(
        pl.when(pl.Series(no_domain))
        .then(pl.lit([], dtype=pl.List(pl.String)))
        .otherwise(pl.concat_list("domain"))
        .alias("domain_names"),
        pl.lit(None, dtype=pl.Datetime("us", "UTC")).alias("deleted_at"),
    )
    # Duplicates created by mistake (an agent adds the company again) and deleted later.
    dup = dirt.pick("support", "organizations", "deleted_at", "deleted_record", np.ones(n, dtype=bool))
    d = static.filter(pl.Series(dup))
    m = d.height
    d_created = np.minimum(
        d["created_sec"].to_numpy() + rng.integers(DAY, 60 * DAY, m), ctx.clock.end_sec - 2 * DAY
    )
    d_deleted = d_created + rng.integers(3600, 5 * DAY, m)
    d = d.with_columns(
        pl.Series("id", np.arange(m, dtype=np.int64) + ORG_BASE + 50_000_000),
        pl.Series("created_sec", d_created),
        pl.lit(None, dtype=pl.String).alias("external_id"),
    )
    dirt.record(
        "support",
        "organizations",
        "deleted_at",
        "deleted_record",
        d["id"],
        None,
        ctx.clock.ts(d_deleted, "x"),
    )
    versions = pl.concat(
        [
            static.with_columns(pl.col("created_sec").alias("sec")),
            d.with_columns(pl.col("created_sec").alias("sec")),
            d.with_columns(pl.Series("sec", d_deleted), ctx.clock.ts(d_deleted, "deleted_at")),
        ]
    )
    versions = versions.filter(pl.col("sec") < ctx.clock.end_sec)
    table = versions.with_columns(
        _ts(ctx, versions, "created_sec", "created_at"), _ts(ctx, versions, "sec", "updated_at")
    )
    table = (
        table.with_columns(pl.col("updated_at").alias("_visible_at"))
        .select(
            "id",
            "name",
            "domain_names",
            "external_id",
            "tags",
            "created_at",
            "updated_at",
            "deleted_at",
            "_visible_at",
        )
        .sort(["_visible_at", "id"], maintain_order=True)
    )
    org_ids = static.select("org_idx", pl.col("id").alias("organization_id"))
    org_map = pl.concat(
        [
            static.select(pl.col("id").cast(pl.String).alias("record_id"), "org_idx"),
            d.select(pl.col("id").cast(pl.String).alias("record_id"), "org_idx"),
        ]
    )
    org_map = org_map.filter(pl.col("record_id").is_in(table["id"].cast(pl.String).implode()))
    return table, org_ids, org_map


def _agents(ctx: Context) -> pl.DataFrame:
    rng = ctx.streams("support.agents")
    n = max(10, round(90 * ctx.sf)) if ctx.sf >= 0.1 else 10
    group = np.concatenate(
        [
            np.arange(len(GROUPS)),
            rng.choice(len(GROUPS), n - len(GROUPS), p=[0.4, 0.2, 0.12, 0.12, 0.08, 0.08]),
        ]
    )
    from seeds.generator.names import name_pool

    pool = name_pool("en_GB")
    first = pool.first_latin[rng.integers(0, len(pool.first_latin), n)]
    last = pool.last_latin[rng.integers(0, len(pool.last_latin), n)]
    return pl.DataFrame(
        {
            "agent_idx": np.arange(n),
            "id": np.arange(n, dtype=np.int64) + USER_BASE + 90_000_000,
            "group": group,
            "name": pl.Series(first) + " " + pl.Series(last),
            "email": pl.Series(first).str.to_lowercase()
            + "."
            + pl.Series(last).str.to_lowercase()
            + pl.Series(np.arange(n)).cast(pl.String)
            + "@help.northwind-supply.com",
            "role": np.where(np.arange(n) < 2, "admin", "agent"),
        }
    )


def _plan_tickets(ctx: Context, pop: Population, calendar: BusinessCalendar) -> pl.DataFrame:
    """One row per ticket: customer, requester person, when, and its latent shape (delays, outcomes)."""
    rng = ctx.streams("support.tickets")
    clock = ctx.clock
    orgs = pop.orgs.filter(pl.col("is_customer"))
    acq = orgs["acquired_day"].to_numpy()
    churn = orgs["churn_day"].to_numpy()
    hi = np.where(churn >= 0, np.minimum(churn + 30, clock.n_days), clock.n_days)
    years = np.maximum(hi - acq, 1) / 365.25
    badness = orgs["badness"].to_numpy()
    w = BAND_TICKETS[orgs["band_idx"].to_numpy()] * (0.6 + 1.2 * badness) * years
    lam = w * ctx.target("tickets", 50) / w.sum()
    per = rng.poisson(lam)
    rows = np.repeat(np.arange(orgs.height), per)
    n = len(rows)
    cum = cumulative(clock.weights("tickets", "tickets"))
    day = sample_days(rng, cum, acq[rows], hi[rows])
    sec = day * DAY + time_of_day(rng, n, 15.0, 3.0)
    order = np.lexsort((rng.random(n), sec))
    rows, sec = rows[order], sec[order]
    org_idx = orgs["org_idx"].to_numpy()[rows]
    # Requester: a person of the organisation (persons of one org are contiguous).
    p_org = pop.persons["org_idx"].to_numpy()
    has = p_org >= 0
    first = np.full(pop.orgs.height, -1, dtype=np.int64)
    count = np.zeros(pop.orgs.height, dtype=np.int64)
    u_org, starts, counts = np.unique(p_org[has], return_index=True, return_counts=True)
    first[u_org], count[u_org] = starts, counts
    requester = first[org_idx] + (rng.random(n) ** 1.6 * count[org_idx]).astype(np.int64)
    priority = rng.choice(4, n, p=PRIORITY_P)
    bad = badness[rows]
    fr_minutes = FIRST_REPLY_MEDIAN[priority] * rng.lognormal(0, 0.9, n) * np.exp(1.6 * (bad - 0.29))
    no_reply = rng.random(n) < 0.03
    fr_sec = np.where(priority == 3, sec + (fr_minutes * 60).astype(np.int64), calendar.add(sec, fr_minutes))
    resolve_days = rng.lognormal(np.log(1.2), 1.0, n) * (0.7 + bad)
    solve_sec = np.where(
        no_reply,
        sec + (rng.exponential(2.0, n) * DAY).astype(np.int64),
        fr_sec + (resolve_days * DAY).astype(np.int64),
    )
    reopen = ~no_reply & (rng.random(n) < 0.03 + 0.12 * bad)
    escalate = ~no_reply & (rng.random(n) < 0.02 + 0.1 * bad + np.where(priority >= 2, 0.05, 0.0))
    handoff = ~no_reply & (rng.random(n) < 0.08)
    group = rng.choice(len(GROUPS), n, p=[0.55, 0.12, 0.14, 0.12, 0.0, 0.07])
    return pl.DataFrame(
        {
            "ticket_idx": np.arange(n),
            "id": np.arange(n, dtype=np.int64) + TICKET_BASE,
            "org_idx": org_idx,
            "band_idx": orgs["band_idx"].to_numpy()[rows],
            "badness": bad,
            "person_idx": requester,
            "sec": sec,
            "priority_idx": priority,
            "type": TYPES[rng.choice(4, n, p=TYPE_P)],
            "channel": CHANNELS[rng.choice(len(CHANNELS), n, p=CHANNEL_P)],
            "subject": SUBJECTS[rng.integers(0, len(SUBJECTS), n)],
            "group_idx": group,
            "no_reply": no_reply,
            "fr_sec": np.where(no_reply, -1, fr_sec),
            "solve_sec": solve_sec,
            "reopen": reopen,
            "escalate": escalate,
            "handoff": handoff,
            "exchanges": np.where(no_reply, 0, rng.poisson(0.2, n)),
            "pending": rng.random(n) < 0.1,
            "internal_note": rng.random(n) < 0.05,
            "resolution_note": rng.random(n) < 0.2,
            "u": rng.random(n),
            "family": np.array(
                ["Hardware", "Software", "Subscriptions", "Services", "Training", "Accessories"]
            )[rng.integers(0, 6, n)],
        }
    )


def _users(
    ctx: Context, pop: Population, tickets: pl.DataFrame, org_ids: pl.DataFrame, agents: pl.DataFrame
) -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame]:
    """End-users (created at their first ticket), shared mailboxes, test users, and the agents."""
    rng = ctx.streams("support.users")
    dirt = ctx.dirt
    persons = pop.persons
    firsts = (
        tickets.group_by("person_idx", maintain_order=True)
        .agg(pl.col("sec").min().alias("first_sec"))
        .sort("person_idx", maintain_order=True)
    )
    p = firsts.join(persons, on="person_idx", how="left", maintain_order="left").join(
        org_ids, on="org_idx", how="left", maintain_order="left"
    )
    n = p.height
    static = p.select(
        pl.Series("id", np.arange(n, dtype=np.int64) + USER_BASE),
        "person_idx",
        "org_idx",
        "first_name",
        "last_name",
        "email",
        "phone",
        "time_zone",
        "organization_id",
        (pl.col("first_sec") - pl.Series(rng.integers(30, 600, n))).alias("created_sec"),
    ).join(person_helpers(persons), on="person_idx", how="left", maintain_order="left")
    static = apply_person_dirt(dirt, static, "support", "users", "id")
    for fld in ("phone", "time_zone"):
        static = dirt.apply(
            static,
            source="support",
            entity="users",
            fld=fld,
            kind="null_optional",
            eligible=pl.lit(True),
            transform=lambda v, _r: pl.Series([None] * len(v), dtype=v.dtype),
        )
    static = static.with_columns(
        (pl.col("first_name") + " " + pl.col("last_name")).alias("name"),
        pl.lit(False).alias("is_shared_mailbox"),
        pl.lit(False).alias("is_test"),
    )
    # Shared mailboxes: some business customers write from support@/info@ their domain.
    org_tickets = (
        tickets.filter(pl.col("band_idx") > 0)
        .group_by("org_idx", maintain_order=True)
        .agg(pl.col("sec").min().alias("first_sec"))
        .sort("org_idx", maintain_order=True)
    )
    org_tickets = org_tickets.join(
        pop.orgs.select("org_idx", "domain", "country"), on="org_idx", maintain_order="left"
    ).join(org_ids, on="org_idx", maintain_order="left")
    shared = dirt.pick("support", "users", "email", "shared_mailbox", np.ones(org_tickets.height, dtype=bool))
    s = org_tickets.filter(pl.Series(shared))
    k = s.height
    box = np.array(["support", "info", "it", "accounts"])[rng.integers(0, 4, k)]
    shared_users = s.select(
        pl.Series("id", np.arange(k, dtype=np.int64) + USER_BASE + 70_000_000),
        pl.lit(-1).alias("person_idx"),
        "org_idx",
        (pl.Series(box) + "@" + pl.col("domain")).alias("email"),
        "organization_id",
        (pl.Series(np.char.capitalize(box.astype(str))) + " Team").alias("name"),
        (pl.col("first_sec") - 300).alias("created_sec"),
        pl.lit(True).alias("is_shared_mailbox"),
        pl.lit(False).alias("is_test"),
    )
    dirt.record(
        "support", "users", "email", "shared_mailbox", shared_users["id"], None, shared_users["email"]
    )
    # ~30% of those organisations' tickets then come from the shared mailbox.
    t_shared = tickets.join(
        shared_users.select("org_idx", pl.col("id").alias("shared_id")),
        on="org_idx",
        how="left",
        maintain_order="left",
    )
    use_shared = t_shared["shared_id"].is_not_null().to_numpy() & (rng.random(tickets.height) < 0.3)
    user_of = static.select("person_idx", pl.col("id").alias("requester_id"))
    tickets = tickets.join(user_of, on="person_idx", how="left", maintain_order="left")
    tickets = tickets.with_columns(
        pl.when(pl.Series(use_shared))
        .then(t_shared["shared_id"])
        .otherwise(pl.col("requester_id"))
        .alias("requester_id")
    )
    m = int(rng.binomial(n, dirt.rates["test_record"]))
    test = pl.DataFrame(
        {
            "id": np.arange(m, dtype=np.int64) + USER_BASE + 80_000_000,
            "person_idx": -1,
            "org_idx": -1,
            "email": np.array(["test@example.com", "zendesk-test@example.com"])[rng.integers(0, 2, m)],
            "name": "Test User",
            "created_sec": rng.integers(0, ctx.clock.end_sec - DAY, m),
            "is_shared_mailbox": False,
            "is_test": True,
        }
    )
    dirt.eligible[("support", "users", "", "test_record")] = n
    dirt.record("support", "users", None, "test_record", test["id"], None, test["email"])
    agent_rows = agents.select("id", "name", "email", "role", pl.lit(0).alias("created_sec"))
    everyone = pl.concat(
        [
            static.with_columns(pl.lit("end-user").alias("role")),
            shared_users.with_columns(pl.lit("end-user").alias("role")),
            test.with_columns(pl.lit("end-user").alias("role")),
            agent_rows,
        ],
        how="diagonal_relaxed",
    )
    everyone = everyone.with_columns(
        pl.col("is_shared_mailbox").fill_null(False),
        pl.col("is_test").fill_null(False),
        pl.lit(False).alias("suspended"),
        pl.col("time_zone").fill_null(pl.when(pl.col("role") != "end-user").then(pl.lit("Europe/London"))),
    )
    touch = np.where(
        rng.random(everyone.height) < 0.08,
        everyone["created_sec"].to_numpy() + rng.integers(DAY, 200 * DAY, everyone.height),
        -1,
    )
    versions = pl.concat(
        [
            everyone.with_columns(pl.col("created_sec").alias("sec")),
            everyone.with_columns(pl.Series("sec", touch)).filter(pl.col("sec") >= 0),
        ]
    )
    versions = versions.filter(pl.col("sec") < ctx.clock.end_sec)
    table = versions.with_columns(
        _ts(ctx, versions, "created_sec", "created_at"), _ts(ctx, versions, "sec", "updated_at")
    )
    table = (
        table.with_columns(pl.col("updated_at").alias("_visible_at"))
        .select(
            "id",
            "name",
            "email",
            "role",
            "organization_id",
            "phone",
            "time_zone",
            "suspended",
            "created_at",
            "updated_at",
            "_visible_at",
        )
        .sort(["_visible_at", "id"], maintain_order=True)
    )
    user_map = everyone.filter(pl.col("role") == "end-user").select(
        pl.col("id").cast(pl.String).alias("record_id"),
        pl.col("person_idx").fill_null(-1),
        pl.col("org_idx").fill_null(-1),
        "is_test",
        "is_shared_mailbox",
    )
    user_map = user_map.filter(pl.col("record_id").is_in(table["id"].cast(pl.String).implode()))
    return table, user_map, tickets


def _events(
    ctx: Context, tickets: pl.DataFrame, agents: pl.DataFrame, calendar: BusinessCalendar
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """The ticket event stream (before ids and dirt) and the true per-ticket timings."""
    rng = ctx.streams("support.ticket_events")
    end = ctx.clock.end_sec
    n = tickets.height
    t = {
        c: tickets[c].to_numpy()
        for c in (
            "sec",
            "fr_sec",
            "solve_sec",
            "group_idx",
            "priority_idx",
            "exchanges",
            "reopen",
            "escalate",
            "handoff",
            "pending",
            "internal_note",
            "no_reply",
            "requester_id",
            "id",
            "resolution_note",
        )
    }
    agent_group = agents["group"].to_numpy()
    agent_ids = agents["id"].to_numpy()

    def agent_in(groups: np.ndarray) -> np.ndarray:
        out = np.empty(len(groups), dtype=np.int64)
        u = rng.random(len(groups))
        for g in range(len(GROUPS)):
            members = np.flatnonzero(agent_group == g)
            sel = np.flatnonzero(groups == g)
            out[sel] = agent_ids[members[(u[sel] * len(members)).astype(np.int64)]]
        return out

    first_agent = agent_in(t["group_idx"])
    esc_agent = agent_in(np.full(n, ESCALATIONS))
    other_agent = agent_in(t["group_idx"])
    idx = np.arange(n)
    t0, fr, solve = t["sec"], t["fr_sec"], t["solve_sec"]
    base = np.where(fr >= 0, fr, t0 + 60)
    span = np.maximum(solve - base, 120)
    assign = t0 + np.minimum(rng.integers(60, 1800, n), np.maximum(base - t0 - 30, 30))
    reopen_sec = solve + rng.integers(DAY, 5 * DAY, n)
    solve2 = reopen_sec + rng.integers(DAY // 2, 3 * DAY, n)
    final_solve = np.where(t["reopen"], solve2, solve)
    closed = final_solve + 4 * DAY
    esc_sec = base + (span * 0.4).astype(np.int64)
    handoff_sec = base + (span * 0.5).astype(np.int64)
    # The assignee after escalation is the escalation agent; a handoff then goes to a colleague.
    requester = t["requester_id"]
    frames: list[pl.DataFrame] = []

    def add(
        mask: np.ndarray,
        sec: np.ndarray,
        etype: str,
        fld: str | None,
        value: np.ndarray | str | None,
        author: np.ndarray | None,
        public: bool | None,
        seq: int,
    ) -> None:
        sel = np.flatnonzero(mask)
        frames.append(
            pl.DataFrame(
                {
                    "ticket_idx": idx[sel],
                    "sec": np.asarray(sec)[sel].astype(np.int64),
                    "event_type": etype,
                    "field_name": fld,
                    "value": (
                        pl.Series(np.asarray(value)[sel]).cast(pl.String)
                        if isinstance(value, np.ndarray)
                        else value
                    ),
                    "author_id": author[sel] if author is not None else None,
                    "public": public,
                    "seq": seq,
                },
                schema_overrides={
                    "field_name": pl.String,
                    "value": pl.String,
                    "author_id": pl.Int64,
                    "public": pl.Boolean,
                },
            )
        )

    every = np.ones(n, dtype=bool)
    replied = fr >= 0
    add(every, t0, "Create", "status", "new", requester, True, 0)
    add(every, assign, "Change", "assignee_id", first_agent, None, None, 1)
    add(replied, fr, "Comment", None, None, first_agent, True, 2)
    add(replied, fr, "Change", "status", "open", first_agent, None, 3)
    x = t["exchanges"]
    rows = np.repeat(idx, x)
    j = np.arange(len(rows)) - np.repeat(np.cumsum(x) - x, x)
    frac = (j + 0.5) / (x[rows] + 1)
    ask = base[rows] + (span[rows] * frac).astype(np.int64)
    answer = ask + (span[rows] * 0.5 / (x[rows] + 1)).astype(np.int64)
    ex_agent = np.where(t["escalate"][rows] & (answer > esc_sec[rows]), esc_agent[rows], first_agent[rows])
    frames.append(
        pl.DataFrame(
            {
                "ticket_idx": rows,
                "sec": ask,
                "event_type": "Comment",
                "field_name": None,
                "value": None,
                "author_id": requester[rows],
                "public": True,
                "seq": 4,
            },
            schema_overrides={"field_name": pl.String, "value": pl.String, "public": pl.Boolean},
        )
    )
    frames.append(
        pl.DataFrame(
            {
                "ticket_idx": rows,
                "sec": answer,
                "event_type": "Comment",
                "field_name": None,
                "value": None,
                "author_id": ex_agent,
                "public": True,
                "seq": 5,
            },
            schema_overrides={"field_name": pl.String, "value": pl.String, "public": pl.Boolean},
        )
    )
    pend = t["pending"] & replied
    add(pend, base + (span * 0.25).astype(np.int64), "Change", "status", "pending", first_agent, None, 6)
    add(pend, base + (span * 0.6).astype(np.int64), "Change", "status", "open", requester, None, 7)
    add(
        t["internal_note"] & replied,
        base + (span * 0.2).astype(np.int64),
        "Comment",
        None,
        None,
        first_agent,
        False,
        8,
    )
    add(
        t["escalate"], esc_sec, "Change", "group_id", GROUP_IDS[np.full(n, ESCALATIONS)], first_agent, None, 9
    )
    add(t["escalate"], esc_sec + 1, "Change", "assignee_id", esc_agent, first_agent, None, 10)
    current = np.where(t["escalate"], esc_agent, first_agent)
    add(t["handoff"], handoff_sec, "Change", "assignee_id", other_agent, current, None, 11)
    bump = rng.random(n) < 0.04
    add(
        bump & (t["priority_idx"] < 3),
        base + (span * 0.1).astype(np.int64),
        "Change",
        "priority",
        PRIORITIES[np.minimum(t["priority_idx"] + 1, 3)],
        first_agent,
        None,
        12,
    )
    solver = np.where(t["handoff"], other_agent, current)
    add(replied & t["resolution_note"], solve - 1, "Comment", None, None, solver, True, 13)
    add(every, solve, "Change", "status", "solved", solver, None, 14)
    add(t["reopen"], reopen_sec, "Comment", None, None, requester, True, 15)
    add(t["reopen"], reopen_sec, "Change", "status", "open", requester, None, 16)
    add(t["reopen"], solve2 - 1, "Comment", None, None, solver, True, 17)
    add(t["reopen"], solve2, "Change", "status", "solved", solver, None, 18)
    add(every, closed, "Change", "status", "closed", None, None, 19)
    events = pl.concat(frames).filter(pl.col("sec") < end)
    ticket, sec_of = events["ticket_idx"].to_numpy(), events["sec"].to_numpy()
    events = events[sort_order(ticket, sec_of, events["seq"].to_numpy())]
    # previous_value: the value of the ticket's previous change of the same field (the initial group or
    # priority before its first change). Found through a stable re-sort by (ticket, field) of the row
    # numbers only; the string columns are gathered once.
    ticket = events["ticket_idx"].to_numpy()
    fields = sorted(events["field_name"].drop_nulls().unique().to_list())
    field_code = (
        events["field_name"]
        .replace_strict({f: i + 1 for i, f in enumerate(fields)}, default=0, return_dtype=pl.Int64)
        .fill_null(0)
        .to_numpy()
    )
    by_field = sort_order(ticket, field_code)
    same = (ticket[by_field][1:] == ticket[by_field][:-1]) & (
        field_code[by_field][1:] == field_code[by_field][:-1]
    )
    previous_row = np.full(events.height, -1, dtype=np.int64)
    k = np.flatnonzero(same) + 1
    previous_row[by_field[k]] = by_field[k - 1]
    previous = events["value"].gather(pl.Series(previous_row).set(pl.Series(previous_row < 0), None))
    group0 = pl.Series(GROUP_IDS[t["group_idx"]].astype(str)).gather(ticket)
    priority0 = pl.Series(PRIORITIES[t["priority_idx"]]).gather(ticket)
    events = events.with_columns(
        pl.when(pl.col("field_name") == "group_id")
        .then(previous.fill_null(group0))
        .when(pl.col("field_name") == "priority")
        .then(previous.fill_null(priority0))
        .otherwise(previous)
        .alias("previous_value"),
        pl.col("sec").alias("created_sec"),
    )

    fr_ok = replied & (fr < end)
    target = np.array(SLA_TARGETS["first_reply_time"])[t["priority_idx"]]
    cal_min = np.where(fr_ok, (fr - t0) / 60.0, np.nan)
    bus_min = np.where(fr_ok, calendar.minutes_between(t0, fr), -1)
    breach = fr_ok & np.where(t["priority_idx"] == 3, cal_min > target, bus_min > target)
    truth = pl.DataFrame(
        {
            "ticket_idx": idx,
            "ticket_id": t["id"],
            "org_idx": tickets["org_idx"],
            "person_idx": tickets["person_idx"],
            "created_sec": t0,
            "first_reply_sec": np.where(fr_ok, fr, -1),
            "first_reply_minutes": np.round(cal_min, 2),
            "first_reply_business_minutes": pl.Series(bus_min).cast(pl.Int64),
            "first_reply_breached": breach,
            "solved_sec": np.where(final_solve < end, final_solve, -1),
            "reopens": (t["reopen"] & (reopen_sec < end)).astype(np.int64),
            "escalated": t["escalate"] & (esc_sec < end),
            "handoffs": (
                (t["escalate"] & (esc_sec < end)).astype(np.int64) + (t["handoff"] & (handoff_sec < end))
            ),
            "priority": PRIORITIES[t["priority_idx"]],
        }
    ).with_columns(
        pl.col("first_reply_minutes").fill_nan(None),
        pl.when(pl.col("first_reply_business_minutes") >= 0)
        .then(pl.col("first_reply_business_minutes"))
        .alias("first_reply_business_minutes"),
    )
    return events, truth


def _ticket_versions(
    ctx: Context, tickets: pl.DataFrame, events: pl.DataFrame, org_ids: pl.DataFrame
) -> pl.DataFrame:
    """One ticket version per status change, with assignee, group and priority as of that moment."""
    dirt = ctx.dirt
    # State as of each status change: each field's latest value along the ticket's stream (events are
    # sorted by ticket, then time), found as row numbers; only the status rows' values are gathered.
    ticket = events["ticket_idx"].to_numpy()
    row = np.arange(events.height, dtype=np.int64)
    starts = np.zeros(events.height, dtype=bool)
    starts[:1] = True
    starts[1:] = ticket[1:] != ticket[:-1]
    ticket_start = np.maximum.accumulate(np.where(starts, row, 0))
    field, value = events["field_name"], events["value"]
    status_rows = np.flatnonzero((field == "status").fill_null(False).to_numpy())
    state = {}
    for name in ("status", "assignee_id", "group_id", "priority"):
        has = ((field == name) & value.is_not_null()).fill_null(False).to_numpy()
        last = np.maximum.accumulate(np.where(has, row, -1))[status_rows]
        found = last >= ticket_start[status_rows]
        state[name] = value.gather(pl.Series(last).set(pl.Series(~found), None)).alias(name)
    v = events.select("ticket_idx", "sec")[status_rows].with_columns(**state)
    t = tickets.join(org_ids, on="org_idx", how="left", maintain_order="left")
    v = v.join(
        t.select(
            "ticket_idx",
            "id",
            "subject",
            "type",
            "channel",
            "requester_id",
            "organization_id",
            "group_idx",
            "priority_idx",
            "sec",
            "band_idx",
            "family",
            "u",
        ).rename({"sec": "created_sec"}),
        on="ticket_idx",
        maintain_order="left",
    )
    v = v.with_columns(
        pl.col("assignee_id").cast(pl.Int64),
        pl.col("group_id")
        .cast(pl.Int64)
        .fill_null(pl.col("group_idx") + int(GROUP_IDS[0]))
        .alias("group_id"),
        pl.col("priority").fill_null(
            pl.col("priority_idx").replace_strict(
                dict(enumerate(PRIORITIES.tolist())), return_dtype=pl.String
            )
        ),
    )
    # Duplicate tickets (a customer writes twice) that agents delete.
    rng = ctx.streams("support.tickets.deleted")
    n = tickets.height
    hit = dirt.pick("support", "tickets", "status", "deleted_record", np.ones(n, dtype=bool))
    # Each ticket's first version (its first row: v is in stream order), in time order.
    v_ticket = v["ticket_idx"].to_numpy()
    first_rows = np.flatnonzero(np.diff(v_ticket, prepend=-1) != 0)
    firsts = v[first_rows[sort_order(v["sec"].to_numpy()[first_rows])]]
    d = firsts.filter(pl.Series(hit[firsts["ticket_idx"].to_numpy()]))
    m = d.height
    d_sec = d["created_sec"].to_numpy() + rng.integers(120, 3600, m)
    d = d.with_columns(
        pl.Series("id", np.arange(m, dtype=np.int64) + TICKET_BASE + 50_000_000),
        pl.Series("created_sec", d_sec),
        pl.Series("sec", d_sec),
        pl.lit(None, dtype=pl.Int64).alias("assignee_id"),
    )
    gone = d.with_columns(
        pl.Series("sec", d_sec + rng.integers(3600, DAY, m)), pl.lit("deleted").alias("status")
    )
    dirt.record("support", "tickets", "status", "deleted_record", d["id"], None, gone["status"])
    v = pl.concat([v, d, gone], how="vertical_relaxed").filter(pl.col("sec") < ctx.clock.end_sec)
    v = dirt.apply(
        v,
        source="support",
        entity="tickets",
        fld="priority",
        kind="unknown_enum",
        eligible=pl.lit(True),
        transform=lambda s, r: pl.Series(np.array(["critical", "p1", "blocker"])[r.integers(0, 3, len(s))]),
    )
    # File order (_visible_at = updated_at, then id) is fixed here, on the narrow frame, so the list and
    # struct columns are built in that order instead of being gathered by a sort.
    v = v[sort_order(v["sec"].to_numpy(), v["id"].to_numpy())]
    items = v.select(
        pl.col("band_idx")
        .replace_strict({0: "consumer", 1: "smb", 2: "mid_market", 3: "enterprise"}, return_dtype=pl.String)
        .alias("band_tag"),
        pl.col("type"),
        pl.struct(pl.lit(360_001, dtype=pl.Int64).alias("id"), pl.col("family").alias("value")).alias("f1"),
        pl.struct(
            pl.lit(360_002, dtype=pl.Int64).alias("id"),
            pl.when(pl.col("u") < 0.5).then(pl.lit("yes")).otherwise(pl.lit("no")).alias("value"),
        ).alias("f2"),
    )
    v = v.with_columns(
        pl.struct(pl.col("channel")).alias("via"),
        row_lists("tags", items["band_tag"], items["type"]),
        row_lists("custom_fields", items["f1"], items["f2"]),
        pl.col("requester_id").alias("submitter_id"),
        _ts(ctx, v, "created_sec", "created_at"),
        _ts(ctx, v, "sec", "updated_at"),
    ).with_columns(pl.col("updated_at").alias("_visible_at"))
    return v.select(
        "id",
        "subject",
        "status",
        "priority",
        "type",
        "via",
        "requester_id",
        "submitter_id",
        "assignee_id",
        "group_id",
        "organization_id",
        "tags",
        "custom_fields",
        "created_at",
        "updated_at",
        "_visible_at",
    )


def _events_table(ctx: Context, events: pl.DataFrame) -> pl.DataFrame:
    """Ids, the ticket's public id, and the event dirt: late visibility and exact duplicates.

    Ids follow time order; the file is in visibility order. Both orders are worked out on integer
    columns and the event rows are gathered once, straight into the file order.
    """
    rng = ctx.streams("support.ticket_events.ids")
    dirt, clock = ctx.dirt, ctx.clock
    by_time = sort_order(events["sec"].to_numpy(), events["ticket_idx"].to_numpy(), events["seq"].to_numpy())
    sec = events["sec"].to_numpy()[by_time]
    n = len(sec)
    ids = np.arange(n, dtype=np.int64) + EVENT_BASE
    late = dirt.pick("support", "ticket_events", "_visible_at", "late_event", np.ones(n, dtype=bool))
    delay = np.where(late, rng.integers(DAY, 5 * DAY, n), 0)
    visible = sec + delay
    lr = np.flatnonzero(late)
    dirt.record(
        "support",
        "ticket_events",
        "_visible_at",
        "late_event",
        pl.Series(ids[lr]),
        clock.ts(sec[lr], "created_at"),
        clock.ts(visible[lr], "_visible_at"),
    )
    dup = np.flatnonzero(
        dirt.pick("support", "ticket_events", "id", "duplicate_event", np.ones(n, dtype=bool))
    )
    dirt.record("support", "ticket_events", "id", "duplicate_event", pl.Series(ids[dup]), None, ids[dup])
    # Rows in file order (copies after all originals, as appended), by (_visible_at, id).
    src = np.concatenate([np.arange(n), dup])
    rows = src[sort_order(visible[src], ids[src] - EVENT_BASE)]
    table = events[by_time[rows]]
    return table.select(
        pl.Series("id", ids[rows]),
        (pl.col("ticket_idx") + TICKET_BASE).alias("ticket_id"),
        clock.ts(sec[rows], "created_at"),
        "author_id",
        "event_type",
        "field_name",
        "value",
        "previous_value",
        "public",
        clock.ts(visible[rows], "_visible_at"),
    )


def _ratings(
    ctx: Context, tickets: pl.DataFrame, truth: pl.DataFrame, agents: pl.DataFrame
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """CSAT: offered on solved tickets, answered by some; bad far more often after a breach."""
    rng = ctx.streams("support.satisfaction_ratings")
    end = ctx.clock.end_sec
    n = tickets.height
    solved = truth["solved_sec"].to_numpy()
    answered = (solved >= 0) & (rng.random(n) < 0.3)
    created = solved + rng.integers(3600, 3 * DAY, n)
    answered &= created < end
    bad_logit = (
        -2.4
        + 1.7 * truth["first_reply_breached"].to_numpy()
        + 1.0 * truth["reopens"].to_numpy()
        + 0.8 * truth["escalated"].to_numpy()
        + 2.2 * (tickets["badness"].to_numpy() - 0.29)
    )
    bad = rng.random(n) < 1.0 / (1.0 + np.exp(-bad_logit))
    score = np.where(bad, "bad", "good")
    said = np.where(bad, BAD_COMMENTS[rng.integers(0, 4, n)], GOOD_COMMENTS[rng.integers(0, 4, n)])
    comment = keep_where(said, rng.random(n) < 0.45)
    reason = keep_where(BAD_REASONS[rng.integers(0, 4, n)], bad)
    sel = np.flatnonzero(answered)
    last_assignee = agents["id"].to_numpy()[rng.integers(0, agents.height, n)]
    table = pl.DataFrame(
        {
            "id": np.arange(len(sel), dtype=np.int64) + RATING_BASE,
            "ticket_id": tickets["id"].to_numpy()[sel],
            "requester_id": tickets["requester_id"].to_numpy()[sel],
            "assignee_id": last_assignee[sel],
            "score": score[sel],
            "comment": comment.gather(sel),
            "reason": reason.gather(sel),
            "sec": created[sel],
        }
    )
    table = table.with_columns(_ts(ctx, table, "sec", "created_at"), _ts(ctx, table, "sec", "updated_at"))
    table = (
        table.with_columns(pl.col("updated_at").alias("_visible_at"))
        .drop("sec")
        .sort(["_visible_at", "id"], maintain_order=True)
    )
    truth = truth.with_columns(keep_where(score, answered, "csat"))
    return table, truth
