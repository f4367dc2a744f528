"""The marketing platform (HubSpot/Mailchimp-like): contacts, campaigns, email events, forms, ad spend, NPS.

Rows are kept exactly as they will be exported — every column a string — because representation is
where this source's dirt lives (thousands separators, mixed date formats, local offsets, embedded
newlines). Email engagement follows each person's latent engagement and fades in the months before
their customer churns; win-back campaigns reach churned customers before some of them come back.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

import numpy as np
import polars as pl

from seeds.generator.columns import ffill_within, keep_where, run_ids, sort_order
from seeds.generator.context import Context
from seeds.generator.dirt import apply_person_dirt, company_variant, embed_newline_quote
from seeds.generator.ids import decimal_ids, hex_ids, hex_strings, random_bytes
from seeds.generator.population import Population
from seeds.generator.sales import Sales, person_helpers
from seeds.generator.support import Support
from seeds.generator.timeline import DAY, Clock

ISO_Z = "%Y-%m-%dT%H:%M:%SZ"
ISO_OFFSET = "%Y-%m-%dT%H:%M:%S%:z"
ISO_UTC_OFFSET = "%Y-%m-%dT%H:%M:%S+00:00"  # ISO_OFFSET for UTC, formatted without time-zone lookups
OTHER_TS_FORMATS = ("%m/%d/%Y %H:%M", "%d.%m.%Y %H:%M:%S", "%Y/%m/%d %I:%M %p")
OTHER_DATE_FORMATS = ("%m/%d/%Y", "%d.%m.%Y", "%d %b %Y")
LOCAL_ZONES = (
    "America/New_York",
    "America/Los_Angeles",
    "Europe/Berlin",
    "Europe/London",
    "America/Sao_Paulo",
)
SOURCE_MAP = {
    "Web": "ORGANIC_SEARCH",
    "Advertisement": "PAID_SEARCH",
    "Webinar": "OFFLINE",
    "Trade Show": "OFFLINE",
    "Partner Referral": "REFERRALS",
    "Employee Referral": "REFERRALS",
    "Purchased List": "OFFLINE",
    "Other": "DIRECT_TRAFFIC",
}
OPEN_BASE = {"email": 0.26, "webinar": 0.3, "win_back": 0.3, "loyalty": 0.42}
SITE = "https://www.northwind-supply.com"
EVENT_TYPES = ["SENT", "DELIVERED", "OPEN", "CLICK", "BOUNCE", "UNSUBSCRIBE", "SPAMREPORT"]
UNKNOWN_EVENT_TYPES = ["DEFERRED", "PROCESSED", "DROPPED"]  # the unknown_enum dirt, instead of DELIVERED
DEVICES = ["desktop", "mobile", "tablet"]


@dataclass
class Marketing:
    tables: dict[str, pl.DataFrame]  # email_events: only its keys (see EmailEvents)
    email_events: EmailEvents | None  # handed to the writer (and dropped) once the plan is made
    contact_map: pl.DataFrame  # record_id, person_idx, org_idx, is_test, is_shared_mailbox
    nps_map: pl.DataFrame  # record_id, person_idx
    form_map: pl.DataFrame  # record_id, person_idx
    email_truth: pl.DataFrame  # clean send-level outcome per campaign


def fmt_ts(ctx: Context, sec: np.ndarray, name: str, pattern: str = ISO_Z) -> pl.Series:
    """UTC seconds → text (formatting the naive UTC value is twice as fast as the tz-aware one)."""
    return _iso_text(ctx.clock, sec, name, pattern)


def _iso_text(clock: Clock, sec: np.ndarray, name: str, pattern: str) -> pl.Series:
    return clock.ts(sec, name).dt.replace_time_zone(None).dt.strftime(pattern)


def delivery(ctx: Context, sec: np.ndarray | pl.Series) -> tuple[pl.Series, pl.Series]:
    """The inbox folder (date of the change) and when that folder becomes visible (its day's end)."""
    day = np.minimum(np.asarray(sec, dtype=np.int64) // DAY, ctx.clock.n_days - 1)
    return ctx.clock.dates(day, "_delivery_date"), ctx.clock.ts(day * DAY + DAY - 1, "_visible_at")


def build_marketing(ctx: Context, pop: Population, sales: Sales, support: Support) -> Marketing:
    ctx.step("marketing.contacts")
    contacts = _contact_base(ctx, pop, sales)
    static = _contact_static(ctx, pop, contacts)
    contacts = contacts.with_columns(static["email"].alias("email"))  # what the platform sends to
    ctx.step("marketing.email_events")
    events, unsub, email_truth = _email_events(ctx, pop, contacts)
    ctx.step("marketing.contacts")
    contacts_table, contact_map = _contact_versions(ctx, pop, sales, contacts, static, unsub)
    ctx.step("marketing.campaigns")
    campaigns = _campaigns(ctx, pop)
    forms, form_map = _forms(ctx, pop, sales, contacts)
    ctx.step("marketing.ad_spend")
    ads = _ad_spend(ctx, pop)
    ctx.step("marketing.nps_responses")
    nps, nps_map = _nps(ctx, pop, support, contacts)
    tables = {
        "contacts": contacts_table,
        "campaigns": campaigns,
        "email_events": events.keys(),
        "form_submissions": forms,
        "ad_spend": ads,
        "nps_responses": nps,
    }
    return Marketing(
        tables=tables,
        email_events=events,
        contact_map=contact_map,
        nps_map=nps_map,
        form_map=form_map,
        email_truth=email_truth,
    )


# --- contacts ---------------------------------------------------------------------------------


def _contact_base(ctx: Context, pop: Population, sales: Sales) -> pl.DataFrame:
    """One row per marketing contact (a person), with its funnel milestones in seconds."""
    rng = ctx.streams("marketing.contacts")
    leads = sales.funnel.leads
    first_lead = (
        leads.sort("created_sec", maintain_order=True)
        .group_by("person_idx", maintain_order=True)
        .agg(
            pl.col("created_sec").first().alias("lead_sec"),
            pl.col("mql_sec").first(),
            pl.col("sql_sec").first(),
            pl.col("convert_sec").first(),
            pl.col("final_status").first(),
            pl.col("final_sec").first(),
            pl.col("lead_source").first(),
            pl.col("lead_idx").first(),
        )
    )
    form_lead = leads.filter(pl.col("lead_source").is_in(["Web", "Advertisement", "Webinar"]))[
        "person_idx"
    ].unique()
    p = pop.persons.join(first_lead, on="person_idx", how="left", maintain_order="left").join(
        pop.orgs.select("org_idx", "acquired_day", "company_name"),
        on="org_idx",
        how="left",
        maintain_order="left",
    )
    keep = p["has_marketing"] | p["person_idx"].is_in(form_lead.implode())
    p = p.filter(keep)
    n = p.height
    known = p["known_day"].to_numpy() * DAY + rng.integers(7 * 3600, 22 * 3600, n)
    lead_sec = p["lead_sec"].fill_null(-1).to_numpy()
    created = np.where(
        lead_sec >= 0,
        np.maximum(lead_sec - rng.integers(0, 2 * DAY, n), 0),
        known + rng.integers(0, 60, n) * DAY,
    )
    created = np.minimum(created, ctx.clock.end_sec - 3600)
    role = p["role"].to_numpy()
    acq = p["acquired_day"].fill_null(-1).to_numpy()
    customer_sec = np.where(
        np.isin(role, ["contact", "consumer"]) & (acq >= 0),
        np.maximum(acq * DAY + 12 * 3600, created + 60),
        -1,
    )
    order = np.lexsort((p["person_idx"].to_numpy(), created))
    p = p.with_columns(pl.Series("created_sec", created), pl.Series("customer_sec", customer_sec))[order]
    source = p["lead_source"].replace_strict(SOURCE_MAP, default=None, return_dtype=pl.String)
    fallback = pl.Series(
        np.array(["EMAIL_MARKETING", "ORGANIC_SEARCH", "DIRECT_TRAFFIC", "SOCIAL_MEDIA"])[
            rng.integers(0, 4, n)
        ]
    )
    return p.with_columns(
        decimal_ids(1_000_001, n, "contact_id"),
        pl.coalesce(source, fallback).alias("original_source"),
        pl.when(pl.col("org_idx") >= 0).then(pl.col("company_name")).alias("company"),
    )


def _contact_static(ctx: Context, pop: Population, base: pl.DataFrame) -> pl.DataFrame:
    """The contacts' record-level fields as the platform holds them (identity and value dirt applied)."""
    dirt = ctx.dirt
    static = base.select(
        "contact_id",
        "person_idx",
        "org_idx",
        "first_name",
        "last_name",
        "email",
        "company",
        pl.col("title").alias("job_title"),
        "phone",
        "country",
        "original_source",
        "created_sec",
        "engagement",
        "lead_idx",
    ).join(person_helpers(pop.persons), on="person_idx", how="left", maintain_order="left")
    static = apply_person_dirt(dirt, static, "marketing", "contacts", "contact_id")
    static = dirt.apply(
        static,
        source="marketing",
        entity="contacts",
        fld="company",
        kind="company_suffix_variant",
        eligible=pl.lit(True),
        transform=company_variant,
        id_col="contact_id",
    )
    for fld in ("job_title", "phone", "country"):
        static = dirt.apply(
            static,
            source="marketing",
            entity="contacts",
            fld=fld,
            kind="null_optional",
            eligible=pl.lit(True),
            transform=lambda v, _r: pl.Series([None] * len(v), dtype=v.dtype),
            id_col="contact_id",
        )
    for fld in ("job_title", "company"):
        static = dirt.apply(
            static,
            source="marketing",
            entity="contacts",
            fld=fld,
            kind="embedded_newline_quote",
            eligible=pl.lit(True),
            transform=embed_newline_quote,
            id_col="contact_id",
        )
    return static


def _contact_versions(
    ctx: Context, pop: Population, sales: Sales, base: pl.DataFrame, static: pl.DataFrame, unsub: pl.DataFrame
) -> tuple[pl.DataFrame, pl.DataFrame]:
    dirt, end = ctx.dirt, ctx.clock.end_sec
    static = static.select(
        "contact_id",
        "person_idx",
        "org_idx",
        "first_name",
        "last_name",
        "email",
        "company",
        "job_title",
        "phone",
        "country",
        "original_source",
        "created_sec",
        "engagement",
        "lead_idx",
    )
    # Shared mailboxes and test contacts: records that stand for no person.
    shared, test = _non_person_contacts(ctx, pop, static.height)
    static = pl.concat([static, shared, test], how="diagonal_relaxed")
    # Lifecycle milestones → versions.
    m = base.select(
        "contact_id",
        "lead_sec",
        "mql_sec",
        "sql_sec",
        "convert_sec",
        "customer_sec",
        "final_status",
        "final_sec",
    )
    stages = [
        ("lead_sec", "lead", "NEW"),
        ("mql_sec", "marketingqualifiedlead", "OPEN"),
        ("sql_sec", "salesqualifiedlead", "IN_PROGRESS"),
        ("convert_sec", "opportunity", "OPEN_DEAL"),
        ("customer_sec", "customer", None),
    ]
    ev = [
        static.select(
            "contact_id",
            pl.col("created_sec").alias("sec"),
            pl.lit("subscriber").alias("lifecycle_stage"),
            pl.lit(None, dtype=pl.String).alias("lead_status"),
        )
    ]
    for col, stage, status in stages:
        ev.append(
            m.filter(pl.col(col) >= 0).select(
                "contact_id",
                pl.col(col).alias("sec"),
                pl.lit(stage).alias("lifecycle_stage"),
                pl.lit(status, dtype=pl.String).alias("lead_status"),
            )
        )
    ev.append(
        m.filter(
            (pl.col("final_sec") >= 0) & pl.col("final_status").is_not_null() & (pl.col("customer_sec") < 0)
        ).select(
            "contact_id",
            pl.col("final_sec").alias("sec"),
            pl.lit(None, dtype=pl.String).alias("lifecycle_stage"),
            pl.when(pl.col("final_status") == "Unqualified")
            .then(pl.lit("UNQUALIFIED"))
            .otherwise(pl.lit("BAD_TIMING"))
            .alias("lead_status"),
        )
    )
    evangelist = m.filter(pl.col("customer_sec") >= 0).join(
        static.select("contact_id", "engagement"), on="contact_id", maintain_order="left"
    )
    evangelist = evangelist.filter(pl.col("engagement") > 0.7).select(
        "contact_id",
        (pl.col("customer_sec") + 200 * DAY).alias("sec"),
        pl.lit("evangelist").alias("lifecycle_stage"),
        pl.lit(None, dtype=pl.String).alias("lead_status"),
    )
    ev.append(evangelist)
    ev.append(
        unsub.select(
            "contact_id",
            pl.col("unsub_sec").alias("sec"),
            pl.lit(None, dtype=pl.String).alias("lifecycle_stage"),
            pl.lit(None, dtype=pl.String).alias("lead_status"),
        )
    )
    events = (
        pl.concat(ev)
        .with_columns(pl.col("sec").clip(0))
        .filter(pl.col("sec") < end)
        .sort(["contact_id", "sec"], maintain_order=True)
    )
    events = events.with_columns(
        ffill_within(pl.col("lifecycle_stage"), "contact_id").alias("lifecycle_stage"),
        ffill_within(pl.col("lead_status"), "contact_id").alias("lead_status"),
    )
    events = events.join(unsub, on="contact_id", how="left", maintain_order="left").with_columns(
        pl.when(pl.col("unsub_sec") <= pl.col("sec")).then(pl.col("unsub_sec")).alias("unsub_sec")
    )
    events = events.join(
        static.with_columns(pl.col("lead_idx").fill_null(-1)),
        on="contact_id",
        how="inner",
        maintain_order="left",
    )
    lead_ids = (
        sales.lead_map.with_row_index("lead_idx")
        .with_columns(pl.col("lead_idx").cast(pl.Int64))
        .select("lead_idx", pl.col("record_id").alias("crm_lead_id"))
    )
    events = events.join(lead_ids, on="lead_idx", how="left", maintain_order="left").join(
        sales.contact_of_person.rename({"contact_id": "crm_contact_id"}),
        on="person_idx",
        how="left",
        maintain_order="left",
    )
    stage_score = {
        "subscriber": 5,
        "lead": 15,
        "marketingqualifiedlead": 30,
        "salesqualifiedlead": 40,
        "opportunity": 45,
        "customer": 35,
        "evangelist": 45,
    }
    events = events.with_columns(
        pl.when(pl.col("lifecycle_stage").is_in(["customer", "evangelist"]))
        .then(None)
        .otherwise(pl.col("lead_status"))
        .alias("lead_status"),
        (
            (
                pl.col("engagement").fill_null(0.3) * 50
                + pl.col("lifecycle_stage").replace_strict(stage_score, default=0, return_dtype=pl.Int64)
            )
            .clip(0, 100)
            .round(0)
            .cast(pl.Int64)
            .cast(pl.String)
        ).alias("lead_score"),
    )
    events = events.with_columns(
        fmt_ts(ctx, events["created_sec"].to_numpy(), "created_at"),
        fmt_ts(ctx, events["sec"].to_numpy(), "updated_at"),
        ctx.clock.ts(events["unsub_sec"].fill_null(0).to_numpy(), "u")
        .dt.strftime(ISO_Z)
        .alias("unsubscribed_at"),
    ).with_columns(
        pl.when(pl.col("unsub_sec").is_not_null()).then(pl.col("unsubscribed_at")).alias("unsubscribed_at")
    )
    # Contacts not in the CRM yet get their crm ids only once those exist.
    events = events.with_columns(
        pl.when(pl.col("lifecycle_stage") == "subscriber")
        .then(None)
        .otherwise(pl.col("crm_lead_id"))
        .alias("crm_lead_id"),
        pl.when(pl.col("lifecycle_stage").is_in(["customer", "evangelist"]))
        .then(pl.col("crm_contact_id"))
        .alias("crm_contact_id"),
    )
    events = dirt.apply(
        events,
        source="marketing",
        entity="contacts",
        fld="lifecycle_stage",
        kind="unknown_enum",
        eligible=pl.lit(True),
        transform=lambda v, r: pl.Series(np.array(["partner", "prospect", "vip"])[r.integers(0, 3, len(v))]),
        id_col="contact_id",
    )
    events = dirt.apply(
        events,
        source="marketing",
        entity="contacts",
        fld="created_at",
        kind="mixed_date_format",
        eligible=pl.lit(True),
        transform=_reformat_ts,
        id_col="contact_id",
    )
    d, v = delivery(ctx, events["sec"].to_numpy())
    events = events.with_columns(d, v)
    events = _out_of_order(ctx, events)
    table = (
        events.select(
            "contact_id",
            "email",
            "first_name",
            "last_name",
            "company",
            "job_title",
            "phone",
            "country",
            "lifecycle_stage",
            "lead_status",
            "lead_score",
            "original_source",
            "crm_lead_id",
            "crm_contact_id",
            "created_at",
            "updated_at",
            "unsubscribed_at",
            "_delivery_date",
            "_visible_at",
        )
        .with_columns(pl.col(c).cast(pl.String) for c in ("contact_id", "lead_score"))
        .sort(["_delivery_date", "contact_id", "updated_at"], maintain_order=True)
    )
    contact_map = static.select(
        pl.col("contact_id").alias("record_id"),
        pl.col("person_idx").fill_null(-1),
        pl.col("org_idx").fill_null(-1),
        pl.col("is_test").fill_null(False),
        pl.col("is_shared_mailbox").fill_null(False),
    )
    contact_map = contact_map.filter(pl.col("record_id").is_in(table["contact_id"].implode()))
    return table, contact_map


def _reformat_ts(values: pl.Series, rng: np.random.Generator) -> pl.Series:
    """An ISO ``…Z`` timestamp string rewritten in one of the formats spreadsheets produce."""
    parsed = values.str.to_datetime(ISO_Z, time_zone="UTC")
    which = rng.integers(0, len(OTHER_TS_FORMATS), len(values))
    out = pl.Series([None] * len(values), dtype=pl.String)
    for i, f in enumerate(OTHER_TS_FORMATS):
        sel = np.flatnonzero(which == i)
        if len(sel):
            out = out.scatter(sel, parsed.gather(sel).dt.strftime(f))
    return out


def _reformat_date(values: pl.Series, rng: np.random.Generator) -> pl.Series:
    parsed = values.str.to_date("%Y-%m-%d")
    which = rng.integers(0, len(OTHER_DATE_FORMATS), len(values))
    out = pl.Series([None] * len(values), dtype=pl.String)
    for i, f in enumerate(OTHER_DATE_FORMATS):
        sel = np.flatnonzero(which == i)
        if len(sel):
            out = out.scatter(sel, parsed.gather(sel).dt.strftime(f))
    return out


def _out_of_order(ctx: Context, events: pl.DataFrame) -> pl.DataFrame:
    """A stale version of a contact re-exported after a newer one (``out_of_order_update``)."""
    rng = ctx.streams("marketing.contacts.out_of_order")
    latest = (
        events.sort("sec", maintain_order=True)
        .group_by("contact_id", maintain_order=True)
        .agg(pl.len().alias("k"), pl.all().last())
    )
    multi = latest["k"].to_numpy() >= 2
    hit = ctx.dirt.pick("marketing", "contacts", "updated_at", "out_of_order_update", multi)
    contacts = latest.filter(pl.Series(hit))["contact_id"]
    if contacts.len() == 0:
        return events
    stale = (
        events.filter(pl.col("contact_id").is_in(contacts.implode()))
        .sort("sec", maintain_order=True)
        .group_by("contact_id", maintain_order=True)
        .agg(pl.all().gather(pl.len() - 2))
    )
    stale = stale.explode([c for c in stale.columns if c != "contact_id"]).sort(
        "contact_id", maintain_order=True
    )
    newest = latest.filter(pl.Series(hit)).sort("contact_id", maintain_order=True)
    resend = np.minimum(
        newest["sec"].to_numpy() + rng.integers(DAY, 4 * DAY, stale.height), ctx.clock.end_sec - 1
    )
    d, v = delivery(ctx, resend)
    stale = stale.with_columns(d, v)
    ctx.dirt.record(
        "marketing",
        "contacts",
        "updated_at",
        "out_of_order_update",
        stale["contact_id"],
        newest["updated_at"],
        stale["updated_at"],
    )
    return pl.concat([events, stale.select(events.columns)])


def _non_person_contacts(ctx: Context, pop: Population, n_contacts: int) -> tuple[pl.DataFrame, pl.DataFrame]:
    rng = ctx.streams("marketing.contacts.nonperson")
    dirt = ctx.dirt
    biz = pop.orgs.filter(pl.col("is_customer") & (pl.col("band_idx") > 0))
    hit = dirt.pick("marketing", "contacts", "email", "shared_mailbox", np.ones(biz.height, dtype=bool))
    b = biz.filter(pl.Series(hit))
    k = b.height
    box = np.array(["info", "sales", "office", "contact"])[rng.integers(0, 4, k)]
    shared = b.select(
        decimal_ids(8_000_001, k, "contact_id"),
        pl.lit(-1).alias("person_idx"),
        "org_idx",
        (pl.Series(box) + "@" + pl.col("domain")).alias("email"),
        pl.col("company_name").alias("company"),
        "country",
        (pl.col("acquired_day") * DAY + pl.Series(rng.integers(0, 90 * DAY, k)))
        .clip(0, ctx.clock.end_sec - DAY)
        .alias("created_sec"),
        pl.lit(True).alias("is_shared_mailbox"),
        pl.lit("DIRECT_TRAFFIC").alias("original_source"),
    )
    dirt.record(
        "marketing", "contacts", "email", "shared_mailbox", shared["contact_id"], None, shared["email"]
    )
    m = int(rng.binomial(n_contacts, dirt.rates["test_record"]))
    test = pl.DataFrame(
        {
            "contact_id": decimal_ids(9_000_001, m, "contact_id"),
            "person_idx": np.full(m, -1),
            "org_idx": np.full(m, -1),
            "email": np.array(["test@example.com", "test+1@example.com", "qa@example.org"])[
                rng.integers(0, 3, m)
            ],
            "first_name": "Test",
            "last_name": np.array(["Test", "User", "QA"])[rng.integers(0, 3, m)],
            "created_sec": rng.integers(0, ctx.clock.end_sec - DAY, m),
            "is_test": True,
            "original_source": "DIRECT_TRAFFIC",
        }
    )
    dirt.eligible[("marketing", "contacts", "", "test_record")] = n_contacts
    dirt.record("marketing", "contacts", None, "test_record", test["contact_id"], None, test["email"])
    return shared, test


# --- email events -------------------------------------------------------------------------------


def _email_events(
    ctx: Context, pop: Population, contacts: pl.DataFrame
) -> tuple[EmailEvents, pl.DataFrame, pl.DataFrame]:
    """Sends to each emailing campaign's audience and what followed, campaign by campaign in time order
    (an unsubscribe stops later sends)."""
    rng = ctx.streams("marketing.email_events")
    clock = ctx.clock
    end = clock.end_sec
    camp = pop.campaigns.filter(pl.col("send_day") >= 0).sort("send_day", "campaign_idx", maintain_order=True)
    n = contacts.height
    created = contacts["created_sec"].to_numpy()
    org = contacts["org_idx"].to_numpy()
    safe = np.maximum(org, 0)
    o = pop.orgs
    acq = np.where(org >= 0, o["acquired_day"].to_numpy()[safe], -1)
    churn = np.where(org >= 0, o["churn_day"].to_numpy()[safe], -1)
    react = np.where(org >= 0, o["reactivated_day"].to_numpy()[safe], -1)
    winback = np.where(org >= 0, o["winback_day"].to_numpy()[safe], -1)
    spend = np.where(org >= 0, o["spend_usd_year"].to_numpy()[safe], 0.0)
    top = spend >= np.quantile(o.filter(pl.col("is_customer"))["spend_usd_year"].to_numpy(), 0.8)
    is_cust_person = np.isin(contacts["role"].to_numpy(), ["contact", "consumer"]) & (acq >= 0)
    engagement = contacts["engagement"].to_numpy()
    email_ok = contacts["email"].str.contains("@").to_numpy()
    unsub_at = np.full(n, np.iinfo(np.int64).max)
    # Audience share per segment, calibrated so the total lands near the scale target.
    share = {
        "all_subscribers": 0.85,
        "customers": 0.9,
        "prospects": 0.55,
        "churned_customers": 1.0,
        "top_customers": 1.0,
    }

    def audience(row: dict, day: int) -> np.ndarray:
        sec = day * DAY
        base = (created < sec) & (unsub_at > sec)
        active = (
            is_cust_person & (acq <= day) & ((churn < 0) | (day < churn) | ((react >= 0) & (day >= react)))
        )
        seg = row["target_segment"]
        if seg == "customers":
            return base & active
        if seg == "prospects":
            return base & ~active & ~is_cust_person
        if seg == "churned_customers":
            return base & (winback == day)
        if seg == "top_customers":
            return base & active & top
        return base

    planned = sum(
        int(audience(r, r["send_day"]).sum()) * share[r["target_segment"]] for r in camp.iter_rows(named=True)
    )
    target_sends = ctx.target("email_events") / 2.45
    scale = min(1.0, target_sends / max(planned, 1.0))
    frames = []
    for r in camp.iter_rows(named=True):
        day = r["send_day"]
        mask = audience(r, day)
        keep_share = share[r["target_segment"]] * (1.0 if r["type"] in ("win_back", "loyalty") else scale)
        idx = np.flatnonzero(mask & (rng.random(n) < keep_share))
        k = len(idx)
        if k == 0:
            continue
        send = day * DAY + 14 * 3600 + rng.integers(0, 2 * 3600, k)
        bounce = ~email_ok[idx] | (rng.random(k) < 0.028)
        hard = ~email_ok[idx] | (rng.random(k) < 0.4)
        to_churn = np.where(churn[idx] >= 0, churn[idx] - day, 10_000)
        fade = np.where((to_churn >= 0) & (to_churn < 120), np.clip(to_churn / 120, 0.2, 1.0), 1.0)
        fade = np.where((to_churn < 0) & ~((react[idx] >= 0) & (day >= react[idx])), 0.35, fade)
        p_open = np.clip(OPEN_BASE[r["type"]] * (0.3 + 1.4 * engagement[idx]) * fade, 0, 0.95)
        opened = ~bounce & (rng.random(k) < p_open)
        clicked = opened & (rng.random(k) < 0.12 + 0.25 * engagement[idx])
        unsub = ~bounce & (rng.random(k) < 0.004 * (1.6 - engagement[idx]))
        spam = ~bounce & (rng.random(k) < 0.0006)
        frames.append(
            pl.DataFrame(
                {
                    "campaign_idx": r["campaign_idx"],
                    "contact_row": idx,
                    "send_sec": send,
                    "bounce": bounce,
                    "hard": hard & bounce,
                    "opens": np.where(opened, 1 + rng.poisson(0.5, k), 0),
                    "clicks": np.where(clicked, 1 + rng.poisson(0.25, k), 0),
                    "unsub": unsub,
                    "spam": spam,
                }
            )
        )
        new_unsub = idx[unsub | spam]
        unsub_at[new_unsub] = np.minimum(unsub_at[new_unsub], day * DAY + DAY)
    events = _expand_sends(ctx, pl.concat(frames), contacts, pop)
    del frames
    unsub_events = (
        events.filter(pl.col("code") == 5)
        .group_by("contact_row", maintain_order=True)
        .agg(pl.col("sec").min().alias("unsub_sec"))
    )
    unsubscribed = unsub_events.with_columns(
        contacts["contact_id"].gather(unsub_events["contact_row"]).alias("contact_id")
    ).select("contact_id", "unsub_sec")
    code = pl.col("code")
    events = events.filter(pl.col("sec") < end)
    truth = events.group_by("campaign_idx", maintain_order=True).agg(
        (code == 0).sum().alias("sends"),
        (code == 1).sum().alias("delivered"),
        pl.col("contact_row").filter(code == 2).n_unique().alias("unique_opens"),
        pl.col("contact_row").filter(code == 3).n_unique().alias("unique_clicks"),
        (code == 2).sum().alias("opens"),
        (code == 3).sum().alias("clicks"),
        (code == 4).sum().alias("bounces"),
        (code == 5).sum().alias("unsubscribes"),
        (code == 6).sum().alias("spam_reports"),
    )
    # The table is built from the integer columns in event order (time, contact, campaign, type); the
    # frame is let go first, as the table is the step's memory peak.
    ev = {c: events[c].to_numpy() for c in ("sec", "contact_row", "campaign_idx", "code", "device", "hard")}
    del events
    order = sort_order(ev["sec"], ev["contact_row"], ev["campaign_idx"], ev["code"])
    ev = {c: a[order] for c, a in ev.items()}
    del order
    return _email_table(ctx, ev, contacts, pop), unsubscribed, truth


def _expand_sends(ctx: Context, sends: pl.DataFrame, contacts: pl.DataFrame, pop: Population) -> pl.DataFrame:
    """Send rows → SENT, DELIVERED | BOUNCE, OPEN×k, CLICK×k, UNSUBSCRIBE, SPAMREPORT events."""
    rng = ctx.streams("marketing.email_events.expand")
    n = sends.height
    s = {c: sends[c].to_numpy() for c in sends.columns}
    delivered_sec = s["send_sec"] + rng.integers(1, 120, n)
    first_open = delivered_sec + (rng.lognormal(np.log(3 * 3600), 1.2, n)).astype(np.int64)
    parts = [
        pl.DataFrame({"row": np.arange(n), "sec": s["send_sec"], "code": 0}),
        pl.DataFrame({"row": np.arange(n), "sec": delivered_sec, "code": np.where(s["bounce"], 4, 1)}),
    ]
    k = s["opens"]
    rows = np.repeat(np.arange(n), k)
    j = np.arange(len(rows)) - np.repeat(np.cumsum(k) - k, k)
    parts.append(
        pl.DataFrame(
            {"row": rows, "sec": first_open[rows] + j * rng.integers(600, 3 * DAY, len(rows)), "code": 2}
        )
    )
    c = s["clicks"]
    rows = np.repeat(np.arange(n), c)
    j = np.arange(len(rows)) - np.repeat(np.cumsum(c) - c, c)
    parts.append(
        pl.DataFrame(
            {
                "row": rows,
                "sec": first_open[rows] + 10 + j * 300 + rng.integers(0, 1800, len(rows)),
                "code": 3,
            }
        )
    )
    u = np.flatnonzero(s["unsub"])
    parts.append(pl.DataFrame({"row": u, "sec": first_open[u] + rng.integers(30, 3600, len(u)), "code": 5}))
    sp = np.flatnonzero(s["spam"])
    parts.append(
        pl.DataFrame({"row": sp, "sec": delivered_sec[sp] + rng.integers(60, DAY, len(sp)), "code": 6})
    )
    events = pl.concat([p.with_columns(pl.col("code").cast(pl.Int8)) for p in parts])
    r = events["row"].to_numpy()
    # Device (of opens and clicks) and bounce kind stay codes here; the text is made in _email_table.
    device = rng.choice(3, len(r), p=[0.5, 0.42, 0.08]).astype(np.int8)
    return events.with_columns(
        pl.Series("campaign_idx", s["campaign_idx"][r]),
        pl.Series("contact_row", s["contact_row"][r]),
        pl.Series("device", device),
        pl.Series("hard", s["hard"][r]),
    )


def _email_table(
    ctx: Context, ev: dict[str, np.ndarray], contacts: pl.DataFrame, pop: Population
) -> EmailEvents:
    """The exported event rows: ids, text timestamps (some in a local zone), the event dirt, file order.

    ``ev`` holds the events' integer columns in event order (time, contact, campaign, type). Every
    decision (ids, dirt, file order) is taken on them; the text columns are built later, once, directly
    in file order (:class:`EmailEvents`). Building them first and sorting 10M rows of strings twice
    cost seconds and gigabytes; the rows, values, draws and dirt log are the same.
    """
    rng = ctx.streams("marketing.email_events.table")
    dirt, clock = ctx.dirt, ctx.clock
    sec, code = ev["sec"], ev["code"].astype(np.int64)
    same_key = run_ids(sec, ev["contact_row"], ev["campaign_idx"], code)
    n = len(sec)
    raw_ids = random_bytes(rng, n, 12)

    def event_ids(rows: np.ndarray) -> pl.Series:
        return hex_strings(raw_ids[rows], "event_id")

    # Timestamps written in the reader's local time with its offset (crossing DST changes).
    hit = dirt.pick("marketing", "email_events", "created_at", "timestamp_offset", np.ones(n, dtype=bool))
    idx = np.flatnonzero(hit)
    zones = rng.integers(0, len(LOCAL_ZONES), len(idx))
    ts = clock.ts(sec[idx], "t")
    local = pl.Series([None] * len(idx), dtype=pl.String)
    for zi, zone in enumerate(LOCAL_ZONES):
        sel = np.flatnonzero(zones == zi)
        if len(sel):
            local = local.scatter(sel, ts.gather(sel).dt.convert_time_zone(zone).dt.strftime(ISO_OFFSET))
    dirt.record(
        "marketing",
        "email_events",
        "created_at",
        "timestamp_offset",
        event_ids(idx),
        fmt_ts(ctx, sec[idx], "created_at", ISO_UTC_OFFSET),
        local,
    )
    # An unknown type instead of DELIVERED (dirt.apply's draws and log, on type codes).
    type_code = code.copy()
    unknown = np.flatnonzero(dirt.pick("marketing", "email_events", "type", "unknown_enum", code == 1))
    if len(unknown):
        pick = dirt.rng("marketing", "email_events", "type", "unknown_enum:value").integers(
            0, 3, len(unknown)
        )
        dirt.record(
            "marketing",
            "email_events",
            "type",
            "unknown_enum",
            event_ids(unknown),
            pl.Series(["DELIVERED"] * len(unknown), dtype=pl.String),
            pl.Series(np.array(UNKNOWN_EVENT_TYPES)[pick]),
        )
        type_code[unknown] = len(EVENT_TYPES) + pick
    # Late events: delivered in a later day's file.
    late = dirt.pick("marketing", "email_events", "_delivery_date", "late_event", np.ones(n, dtype=bool))
    shift = np.where(late, rng.integers(1, 5, n), 0)
    later = np.minimum(sec // DAY + shift, clock.n_days - 1)
    lr = np.flatnonzero(late)
    dirt.record(
        "marketing",
        "email_events",
        "_delivery_date",
        "late_event",
        event_ids(lr),
        clock.dates(np.minimum(sec[lr] // DAY, clock.n_days - 1), "_delivery_date"),
        clock.dates(later[lr], "_delivery_date"),
    )
    dup = np.flatnonzero(
        dirt.pick("marketing", "email_events", "event_id", "duplicate_event", np.ones(n, dtype=bool))
    )
    dup_ids = event_ids(dup)
    dirt.record("marketing", "email_events", "event_id", "duplicate_event", dup_ids, None, dup_ids)
    # File order: by delivery, then as the events happened (late ones after that day's own); copies
    # follow their original's run of equal keys. ``rows`` maps each output row to its event.
    src = np.concatenate([np.arange(n), dup])
    rows = src[sort_order(later[src], shift[src], same_key[src])]
    local_of = np.full(n, -1, dtype=np.int64)
    local_of[idx] = np.arange(len(idx))
    at_local = local_of[rows]
    swap = np.flatnonzero(at_local >= 0)
    return EmailEvents(
        clock=clock,
        raw_ids=raw_ids[rows],
        campaign=ev["campaign_idx"][rows],
        contact=ev["contact_row"][rows],
        type_code=type_code[rows].astype(np.int8),
        device=ev["device"][rows],
        hard=ev["hard"][rows],
        sec=sec[rows],
        day=later[rows],
        local=local.gather(at_local[swap]),
        local_rows=swap,
        campaign_ids=pop.campaigns.sort("campaign_idx", maintain_order=True)["campaign_id"],
        contact_ids=contacts["contact_id"],
        recipients=contacts["email"],
    )


@dataclass
class EmailEvents:
    """The email event file with every row, value and fault decided but its text not yet built.

    At SF 1 the file's ten million rows of text take about 2 GB; :meth:`frame` builds them when the
    file is written (on the writer thread), so the rest of the run never holds them. The delivery plan
    needs only :meth:`keys`. Arrays are in file order.
    """

    clock: Clock
    raw_ids: np.ndarray  # (rows, 12) random bytes of the hex event ids
    campaign: np.ndarray  # campaign_idx
    contact: np.ndarray  # row of the marketing contact
    type_code: np.ndarray  # index into EVENT_TYPES + UNKNOWN_EVENT_TYPES
    device: np.ndarray  # index into DEVICES (opens and clicks)
    hard: np.ndarray  # hard bounce
    sec: np.ndarray  # when the event happened
    day: np.ndarray  # delivery day (later than the event's day for a late event)
    local: pl.Series  # created_at written in a local zone, for rows ``local_rows``
    local_rows: np.ndarray
    campaign_ids: pl.Series  # by campaign_idx
    contact_ids: pl.Series  # by contact row
    recipients: pl.Series  # by contact row

    @property
    def height(self) -> int:
        return len(self.sec)

    def keys(self) -> pl.DataFrame:
        """``_delivery_date`` and the default ``_visible_at`` (that day's end): what the plan reads."""
        return pl.DataFrame(
            [
                self.clock.dates(self.day, "_delivery_date"),
                self.clock.ts(self.day * DAY + DAY - 1, "_visible_at"),
            ]
        )

    def frame(self, visible_at: pl.Series) -> pl.DataFrame:
        """The file's rows as exported, with the plan's ``_visible_at``."""
        t = self.type_code
        urls = SITE + "/c/" + self.campaign_ids + "?utm_source=hubspot&utm_medium=email"
        created = _iso_text(self.clock, self.sec, "created_at", ISO_UTC_OFFSET)
        return pl.DataFrame(
            [
                hex_strings(self.raw_ids, "event_id"),
                self.campaign_ids.gather(self.campaign).alias("campaign_id"),
                self.contact_ids.gather(self.contact).alias("contact_id"),
                self.recipients.gather(self.contact).alias("recipient"),
                pl.Series("type", EVENT_TYPES + UNKNOWN_EVENT_TYPES).gather(t),
                created.scatter(self.local_rows, self.local),
                _only_where(urls.gather(self.campaign), t == 3, "url"),
                _only_where(pl.Series(DEVICES).gather(self.device), (t == 2) | (t == 3), "device_type"),
                _only_where(
                    pl.Series(["soft", "hard"]).gather(self.hard.astype(np.int8)), t == 4, "bounce_category"
                ),
                self.clock.dates(self.day, "_delivery_date"),
                visible_at.alias("_visible_at"),
            ]
        )


def _only_where(values: pl.Series, keep: np.ndarray, name: str) -> pl.Series:
    """``values`` where ``keep``, null elsewhere (one vectorised select, not a scatter of nulls)."""
    return pl.select(pl.when(pl.Series(keep)).then(values)).to_series().alias(name)


# --- campaigns, forms, ad spend, NPS ------------------------------------------------------------


def money_text(values: np.ndarray | pl.Series) -> pl.Series:
    """Amounts as exported: two decimals, no grouping (``1234.50``)."""
    cents = (pl.Series(values, dtype=pl.Float64) * 100).round(0).cast(pl.Int64)
    sign = pl.select(pl.when(cents < 0).then(pl.lit("-")).otherwise(pl.lit(""))).to_series()
    a = cents.abs()
    return sign + (a // 100).cast(pl.String) + "." + (a % 100).cast(pl.String).str.zfill(2)


def _thousands(values: pl.Series, _rng: np.random.Generator) -> pl.Series:
    """``1234.5`` → ``1,234.50`` (how a spreadsheet exports a formatted amount)."""
    num = values.cast(pl.Float64)
    whole = num.floor().cast(pl.Int64)
    cents = ((num - whole.cast(pl.Float64)) * 100).round(0).cast(pl.Int64).cast(pl.String).str.zfill(2)
    s = whole.cast(pl.String)
    grouped = s.str.reverse().str.replace_all(r"(\d{3})", "$1,").str.strip_chars_end(",").str.reverse()
    return grouped + "." + cents


def _campaigns(ctx: Context, pop: Population) -> pl.DataFrame:
    dirt = ctx.dirt
    c = pop.campaigns
    created = np.maximum(c["start_day"].to_numpy() - 14, 0) * DAY + 10 * 3600
    revised = c["start_day"].to_numpy() * DAY + 9 * 3600
    rng = ctx.streams("marketing.campaigns")
    rev = rng.random(c.height) < 0.2
    base = c.with_columns(
        ctx.clock.dates(c["start_day"].to_numpy(), "s").dt.strftime("%Y-%m-%d").alias("start_date"),
        ctx.clock.dates(c["end_day"].to_numpy(), "e").dt.strftime("%Y-%m-%d").alias("end_date"),
    ).with_columns(money_text(c["budget"]).alias("budget"))
    v1 = base.with_columns(pl.Series("sec", created))
    v2 = base.filter(pl.Series(rev)).with_columns(
        pl.Series("sec", revised[rev]), money_text(c["budget"].filter(pl.Series(rev)) * 1.1).alias("budget")
    )
    t = pl.concat([v1, v2])
    t = t.with_columns(
        pl.concat_str(pl.col("campaign_id"), pl.lit("#"), pl.col("sec").cast(pl.String)).alias("_rid")
    )
    t = dirt.apply(
        t,
        source="marketing",
        entity="campaigns",
        fld="budget",
        kind="thousands_separator",
        eligible=pl.col("budget").cast(pl.Float64) >= 1000,
        transform=_thousands,
        id_col="campaign_id",
    )
    t = dirt.apply(
        t,
        source="marketing",
        entity="campaigns",
        fld="start_date",
        kind="mixed_date_format",
        eligible=pl.lit(True),
        transform=_reformat_date,
        id_col="campaign_id",
    )
    d, v = delivery(ctx, t["sec"].to_numpy())
    return (
        t.with_columns(d, v)
        .select(
            "campaign_id",
            "name",
            "type",
            "subject",
            "start_date",
            "end_date",
            "budget",
            "currency",
            "target_segment",
            "crm_campaign_id",
            "_delivery_date",
            "_visible_at",
        )
        .sort(["_delivery_date", "campaign_id"], maintain_order=True)
    )


def _forms(
    ctx: Context, pop: Population, sales: Sales, contacts: pl.DataFrame
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Form submissions behind web, ad and webinar leads, plus newsletter sign-ups."""
    rng = ctx.streams("marketing.form_submissions")
    dirt = ctx.dirt
    leads = sales.funnel.leads.filter(pl.col("lead_source").is_in(["Web", "Advertisement", "Webinar"]))
    c = contacts.select("person_idx", "contact_id", "email").unique(
        "person_idx", keep="first", maintain_order=True
    )
    f = leads.join(c, on="person_idx", how="inner", maintain_order="left").select(
        "person_idx", "contact_id", "email", "lead_source", "campaign_idx", pl.col("created_sec").alias("sec")
    )
    n = f.height
    f = f.with_columns(pl.Series("sec", np.maximum(f["sec"].to_numpy() - rng.integers(5, 600, n), 0)))
    web_forms = np.array(["demo_request", "contact_us", "pricing"])[rng.choice(3, n, p=[0.4, 0.3, 0.3])]
    ad_forms = np.array(["pricing", "demo_request"])[rng.integers(0, 2, n)]
    src = f["lead_source"].to_numpy()
    form = np.where(
        src == "Webinar", "webinar_registration", np.where(src == "Advertisement", ad_forms, web_forms)
    )
    f = f.with_columns(pl.Series("form_name", form))
    news = contacts.filter(
        (pl.col("role") == "individual") & pl.Series(rng.random(contacts.height) < 0.35)
    ).select(
        "person_idx",
        "contact_id",
        "email",
        pl.lit(None, dtype=pl.String).alias("lead_source"),
        pl.lit(-1).alias("campaign_idx"),
        (pl.col("created_sec") + 30).alias("sec"),
        pl.lit("newsletter").alias("form_name"),
    )
    f = (
        pl.concat([f, news], how="vertical_relaxed")
        .filter(pl.col("sec") < ctx.clock.end_sec)
        .sort(["sec", "contact_id"], maintain_order=True)
    )
    n = f.height
    camp = pop.campaigns.select("campaign_idx", "type", "name")
    f = f.join(camp, on="campaign_idx", how="left", maintain_order="left")
    social_src = np.array(["linkedin", "facebook"])[rng.integers(0, 2, n)]
    ctype = f["type"].to_numpy()
    ctype_known = np.isin(ctype, ["paid_search", "social", "email", "webinar"])
    utm_source = np.where(
        ctype == "paid_search", "google", np.where(ctype == "social", social_src, "hubspot")
    )
    utm_medium = np.where(ctype == "paid_search", "cpc", np.where(ctype == "social", "paid_social", "email"))
    f = f.with_columns(
        hex_ids(rng, n, "submission_id", width=32),
        (pl.lit(SITE + "/") + pl.col("form_name").str.replace_all("_", "-")).alias("page_url"),
        keep_where(utm_source.astype(str), ctype_known, "utm_source"),
        keep_where(utm_medium.astype(str), ctype_known, "utm_medium"),
        pl.col("name").str.to_lowercase().str.replace_all(r"[^a-z0-9]+", "-").alias("utm_campaign"),
        fmt_ts(ctx, f["sec"].to_numpy(), "submitted_at"),
    ).join(person_helpers(pop.persons), on="person_idx", how="left", maintain_order="left")
    f = apply_person_dirt(dirt, f, "marketing", "form_submissions", "submission_id", first=None, last=None)
    f = dirt.apply(
        f,
        source="marketing",
        entity="form_submissions",
        fld="submitted_at",
        kind="future_date",
        eligible=pl.lit(True),
        transform=lambda v, _r: (
            v.str.to_datetime(ISO_Z, time_zone="UTC").dt.offset_by("1y").dt.strftime(ISO_Z)
        ),
        id_col="submission_id",
    )
    f = dirt.apply(
        f,
        source="marketing",
        entity="form_submissions",
        fld="submitted_at",
        kind="mixed_date_format",
        eligible=pl.col("submitted_at").str.ends_with("Z"),
        transform=_reformat_ts,
        id_col="submission_id",
    )
    d, v = delivery(ctx, f["sec"].to_numpy())
    table = (
        f.with_columns(d, v)
        .select(
            "submission_id",
            "contact_id",
            "email",
            "form_name",
            "page_url",
            "utm_source",
            "utm_medium",
            "utm_campaign",
            "submitted_at",
            "_delivery_date",
            "_visible_at",
        )
        .sort(["_delivery_date", "submission_id"], maintain_order=True)
    )
    form_map = f.select(pl.col("submission_id").alias("record_id"), "person_idx")
    return table, form_map


def _ad_spend(ctx: Context, pop: Population) -> pl.DataFrame:
    """Daily cost, impressions and clicks per paid campaign and ad channel."""
    rng = ctx.streams("marketing.ad_spend")
    dirt = ctx.dirt
    paid = pop.campaigns.filter(pl.col("type").is_in(["paid_search", "social"]))
    rows = []
    for r in paid.iter_rows(named=True):
        days = np.arange(r["start_day"], r["end_day"] + 1)
        channels = ["google_ads"] if r["type"] == "paid_search" else ["linkedin", "meta"]
        for ch in channels:
            rows.append(
                pl.DataFrame(
                    {
                        "campaign_id": r["campaign_id"],
                        "channel": ch,
                        "day": days,
                        "daily": r["budget"] / len(days) / len(channels),
                    }
                )
            )
    a = pl.concat(rows).sort(["day", "campaign_id", "channel"], maintain_order=True)
    n = a.height
    weekday = (a["day"].to_numpy() + ctx.clock.start.weekday()) % 7
    cost = a["daily"].to_numpy() * np.where(weekday >= 5, 0.7, 1.08) * rng.lognormal(0, 0.15, n)
    cpm = (
        a["channel"]
        .replace_strict({"google_ads": 9.0, "linkedin": 14.0, "meta": 6.5}, return_dtype=pl.Float64)
        .to_numpy()
    )
    ctr = (
        a["channel"]
        .replace_strict({"google_ads": 0.032, "linkedin": 0.007, "meta": 0.012}, return_dtype=pl.Float64)
        .to_numpy()
    )
    impressions = rng.poisson(np.maximum(cost / cpm * 1000, 1))
    clicks = rng.binomial(impressions, ctr)
    a = a.with_columns(
        ctx.clock.dates(a["day"].to_numpy(), "d").dt.strftime("%Y-%m-%d").alias("date"),
        pl.Series("impressions", impressions).cast(pl.String),
        pl.Series("clicks", clicks).cast(pl.String),
        money_text(cost).alias("cost"),
        pl.lit("USD").alias("currency"),
        pl.concat_str(
            pl.col("campaign_id"), pl.lit("/"), pl.col("channel"), pl.lit("/"), pl.col("day").cast(pl.String)
        ).alias("_rid"),
    )
    a = dirt.apply(
        a,
        source="marketing",
        entity="ad_spend",
        fld="cost",
        kind="thousands_separator",
        eligible=pl.col("cost").cast(pl.Float64) >= 1000,
        transform=_thousands,
        id_col="_rid",
    )
    a = dirt.apply(
        a,
        source="marketing",
        entity="ad_spend",
        fld="date",
        kind="mixed_date_format",
        eligible=pl.lit(True),
        transform=_reformat_date,
        id_col="_rid",
    )
    d, v = delivery(ctx, a["day"].to_numpy() * DAY + 23 * 3600)
    return a.with_columns(d, v).select(
        "date",
        "campaign_id",
        "channel",
        "impressions",
        "clicks",
        "cost",
        "currency",
        "_delivery_date",
        "_visible_at",
    )


NPS_COMMENTS = {
    "promoter": [
        "Great service and fast delivery.",
        "Support solved everything quickly.",
        "Reliable partner, highly recommended.",
    ],
    "passive": [
        "Good products, support could be faster.",
        "OK overall.",
        "Pricing is a bit high but quality is fine.",
    ],
    "detractor": [
        "Support never answers on time.",
        "Too many problems with my last orders.",
        "We are looking at other suppliers.",
    ],
}


def _nps(
    ctx: Context, pop: Population, support: Support, contacts: pl.DataFrame
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Quarterly NPS surveys of active customers' people; scores fall with bad support experience."""
    rng = ctx.streams("marketing.nps_responses")
    dirt, clock = ctx.dirt, ctx.clock
    bad_share = support.ticket_truth.group_by("org_idx", maintain_order=True).agg(
        (pl.col("csat") == "bad").sum().alias("bad"), pl.col("csat").is_not_null().sum().alias("rated")
    )
    people = (
        contacts.filter(pl.col("role").is_in(["contact", "consumer"]))
        .select("person_idx", "org_idx", "email")
        .join(
            pop.orgs.select("org_idx", "acquired_day", "churn_day", "reactivated_day", "badness"),
            on="org_idx",
            maintain_order="left",
        )
        .join(bad_share, on="org_idx", how="left", maintain_order="left")
    )
    surveys = [m for m in clock.month_starts() if m.month in (1, 4, 7, 10)]
    frames = []
    for s in surveys:
        day = clock.day_of(s + timedelta(days=14))
        if day >= clock.n_days:
            continue
        acq, churn, react = (people[c].to_numpy() for c in ("acquired_day", "churn_day", "reactivated_day"))
        active = (
            (acq >= 0) & (acq + 30 <= day) & ((churn < 0) | (day < churn) | ((react >= 0) & (day >= react)))
        )
        respond = active & (rng.random(people.height) < 0.18)
        p = people.filter(pl.Series(respond))
        k = p.height
        bad = (p["bad"].fill_null(0) / p["rated"].fill_null(0).clip(1)).to_numpy()
        score = np.clip(
            np.round(rng.normal(8.4 - 6.0 * (p["badness"].to_numpy() - 0.29) - 3.0 * bad, 1.7)), 0, 10
        ).astype(np.int64)
        sec = day * DAY + (rng.exponential(3.0, k) * DAY).astype(np.int64)
        frames.append(
            p.select("person_idx", "email").with_columns(
                pl.Series("score", score),
                pl.Series("sec", sec),
                pl.lit(f"Customer NPS Q{(s.month - 1) // 3 + 1} {s.year}").alias("survey_name"),
            )
        )
    r = (
        pl.concat(frames)
        .filter(pl.col("sec") < clock.end_sec)
        .sort(["sec", "person_idx"], maintain_order=True)
    )
    n = r.height
    category = np.where(
        r["score"].to_numpy() >= 9, "promoter", np.where(r["score"].to_numpy() >= 7, "passive", "detractor")
    )
    comments = (
        np.array(
            [NPS_COMMENTS[c][i] for c, i in zip(category, rng.integers(0, 3, n), strict=True)], dtype=object
        )
        if n
        else np.array([], dtype=object)
    )
    r = r.with_columns(
        decimal_ids(5_000_001, n, "response_id"),
        pl.col("score").cast(pl.String),
        pl.Series("comment", comments, dtype=pl.String),
        fmt_ts(ctx, r["sec"].to_numpy(), "submitted_at"),
    ).join(person_helpers(pop.persons), on="person_idx", how="left", maintain_order="left")
    r = r.with_columns(pl.when(pl.Series(rng.random(n) < 0.35)).then(pl.col("comment")).alias("comment"))
    r = apply_person_dirt(dirt, r, "marketing", "nps_responses", "response_id", first=None, last=None)
    r = dirt.apply(
        r,
        source="marketing",
        entity="nps_responses",
        fld="comment",
        kind="embedded_newline_quote",
        eligible=pl.lit(True),
        transform=embed_newline_quote,
        id_col="response_id",
    )
    r = dirt.apply(
        r,
        source="marketing",
        entity="nps_responses",
        fld="submitted_at",
        kind="mixed_date_format",
        eligible=pl.lit(True),
        transform=_reformat_ts,
        id_col="response_id",
    )
    d, v = delivery(ctx, r["sec"].to_numpy())
    table = (
        r.with_columns(d, v)
        .select(
            "response_id",
            "email",
            "score",
            "comment",
            "survey_name",
            "submitted_at",
            "_delivery_date",
            "_visible_at",
        )
        .sort(["_delivery_date", "response_id"], maintain_order=True)
    )
    return table, r.select(pl.col("response_id").alias("record_id"), "person_idx")
