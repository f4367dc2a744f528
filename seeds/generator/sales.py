"""The sales CRM (Salesforce-like): every table of sources.md, one row per version, with dirt.

Assembles orders, the funnel, accounts, contacts, users and quotas into the contract's columns, maps
organisations and people to account and contact ids (including duplicate accounts and spurious
records that are later soft-deleted), and injects the sales side's share of the dirt.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import polars as pl

from seeds.generator.catalogue import build_catalogue, product_versions
from seeds.generator.columns import keep_where
from seeds.generator.context import Context
from seeds.generator.dirt import apply_person_dirt, company_variant
from seeds.generator.funnel import Funnel, build_funnel
from seeds.generator.fx import FxTable
from seeds.generator.ids import sf_ids
from seeds.generator.orders import Orders, build_orders
from seeds.generator.population import Population
from seeds.generator.timeline import DAY

SALES_TABLES = (
    "account",
    "contact",
    "lead",
    "opportunity",
    "opportunity_history",
    "quote",
    "product",
    "order",
    "order_item",
    "user",
    "quota",
    "currency_rate",
)


@dataclass
class Sales:
    """The sales tables (contract columns + ``_visible_at``) and what truth needs to know."""

    tables: dict[str, pl.DataFrame]
    orders: Orders
    funnel: Funnel
    fx: FxTable
    account_map: pl.DataFrame  # account_id, org_idx (-1 test), is_test
    contact_map: pl.DataFrame  # contact_id, person_idx (-1 test), org_idx, is_test
    lead_map: pl.DataFrame  # lead_id, person_idx (-1 test), is_test
    primary_account: pl.DataFrame  # org_idx, account_id
    contact_of_person: pl.DataFrame  # person_idx, contact_id
    opp_ids: pl.DataFrame  # opp_idx, opportunity_id
    order_ids: pl.DataFrame  # order_idx, order_id, order_number


def stamp(
    df: pl.DataFrame, ctx: Context, sec_col: str = "sec", name: str = "system_modstamp"
) -> pl.DataFrame:
    """Add the version timestamp and ``_visible_at`` (equal: a version appears when it is written)."""
    ts = ctx.clock.ts(df[sec_col].to_numpy(), name)
    return df.with_columns(ts, ts.alias("_visible_at"))


def person_helpers(persons: pl.DataFrame, idx_col: str = "person_idx") -> pl.DataFrame:
    """Per-person columns the person dirt needs (latin names, personal email, has a work email)."""
    return persons.select(
        pl.col("person_idx").alias(idx_col),
        pl.col("first_latin").alias("_first_latin"),
        pl.col("last_latin").alias("_last_latin"),
        pl.col("personal_email").alias("_personal_email"),
        pl.col("work_email").is_not_null().alias("_business"),
    )


def build_sales(ctx: Context, pop: Population) -> Sales:
    fx = FxTable(ctx.clock, ctx.streams("sales.fx"))
    catalogue = build_catalogue(ctx.clock, ctx.streams("sales.catalogue"))
    ctx.step("sales.order")
    orders = build_orders(ctx, pop, fx, catalogue)
    ctx.step("sales.opportunity")
    funnel = build_funnel(ctx, pop, orders, fx)
    ctx.step("sales.account")
    accounts, account_map, primary, dup_accounts = _accounts(ctx, pop, funnel)
    ctx.step("sales.contact")
    contacts, contact_map, contact_of_person = _contacts(ctx, pop, funnel, primary, dup_accounts)
    opp_ids = pl.DataFrame(
        {
            "opp_idx": funnel.opps["opp_idx"],
            "opportunity_id": sf_ids("opportunity", funnel.opps["opp_idx"].to_numpy()),
        }
    )
    ctx.step("sales.lead")
    leads, lead_map = _leads(ctx, pop, funnel, primary, contact_of_person, opp_ids)
    ctx.step("sales.opportunity")
    opportunity, history, quote = _opportunities(ctx, pop, funnel, primary, opp_ids)
    ctx.step("sales.order")
    order, order_item, order_ids = _orders(
        ctx, pop, orders, funnel, primary, dup_accounts, contact_of_person, opp_ids, catalogue
    )
    ctx.step("sales.user")
    user, quota = _users(ctx, pop, orders, primary)
    tables = {
        "account": accounts,
        "contact": contacts,
        "lead": leads,
        "opportunity": opportunity,
        "opportunity_history": history,
        "quote": quote,
        "product": product_versions(catalogue, ctx.clock),
        "order": order,
        "order_item": order_item,
        "user": user,
        "quota": quota,
        "currency_rate": fx.table(),
    }
    return Sales(
        tables=tables,
        orders=orders,
        funnel=funnel,
        fx=fx,
        account_map=account_map,
        contact_map=contact_map,
        lead_map=lead_map,
        primary_account=primary,
        contact_of_person=contact_of_person,
        opp_ids=opp_ids,
        order_ids=order_ids,
    )


# --- accounts ---------------------------------------------------------------------------------


def _accounts(
    ctx: Context, pop: Population, funnel: Funnel
) -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame, pl.DataFrame]:
    rng = ctx.streams("sales.account")
    dirt, end = ctx.dirt, ctx.clock.end_sec
    orgs = pop.orgs
    opps = funnel.opps
    new_biz = (
        opps.filter(pl.col("type") == "New Business")
        .group_by("org_idx", maintain_order=True)
        .agg(pl.col("created_sec").min().alias("conv_sec"), pl.col("close_sec").min().alias("won_sec"))
    )
    o = orgs.join(new_biz, on="org_idx", how="left", maintain_order="left")
    has_account = o["is_customer"].to_numpy() | o["conv_sec"].is_not_null().to_numpy()
    partner = ~has_account & (rng.random(o.height) < 0.02)
    o = o.with_columns(pl.Series("partner", partner)).filter(pl.Series(has_account | partner))
    n = o.height
    acq = o["acquired_day"].to_numpy()
    legacy = o["legacy"].to_numpy()
    conv = o["conv_sec"].fill_null(-1).to_numpy()
    created = np.where(
        conv >= 0,
        conv,
        np.where(
            legacy,
            (rng.random(n) * np.maximum(acq, 1)).astype(np.int64) * DAY + rng.integers(0, DAY, n),
            np.maximum(acq * DAY + 6 * 3600 - rng.integers(60, 7200, n), 0),
        ),
    )
    created = np.where(o["partner"].to_numpy(), rng.integers(0, end - DAY, n), created)
    ids = sf_ids("account", np.arange(n) + 1)
    band = o["band"].to_numpy()
    consumer = band == "Consumer"
    website = keep_where(
        np.where(
            rng.random(n) < 0.5,
            "www." + o["domain"].fill_null("").to_numpy(),
            "https://" + o["domain"].fill_null("").to_numpy(),
        ),
        ~consumer,
    )
    static = pl.DataFrame(
        {
            "id": ids,
            "org_idx": o["org_idx"],
            "name": o["company_name"],
            "website": website,
            "industry": keep_where(o["industry"], ~consumer),
            "billing_country": o["country"],
            "billing_city": o["city"],
            "annual_revenue": np.where(consumer, np.nan, o["annual_revenue"].to_numpy()),
            "number_of_employees": pl.Series(np.where(consumer, -1, o["employees"].to_numpy())),
            "owner_idx": o["owner_idx"],
            "parent_org": o["parent_idx"],
            "created_sec": created,
        }
    ).with_columns(
        pl.col("annual_revenue").fill_nan(None),
        pl.when(pl.col("number_of_employees") >= 0)
        .then(pl.col("number_of_employees"))
        .alias("number_of_employees"),
    )
    primary = static.select(
        "org_idx", pl.col("id").alias("account_id"), pl.col("created_sec").alias("account_sec")
    )
    # Type history: Prospect → Customer at the win; Former Customer after churn; Customer on return.
    won = o["won_sec"].fill_null(-1).to_numpy()
    churn = o["churn_day"].to_numpy()
    react = o["reactivated_day"].to_numpy()
    is_cust = o["is_customer"].to_numpy()
    first_type = np.where(o["partner"].to_numpy(), "Partner", np.where(conv >= 0, "Prospect", "Customer"))
    ev = [pl.DataFrame({"i": np.arange(n), "sec": created, "type": first_type})]
    ev.append(
        pl.DataFrame({"i": np.arange(n), "sec": won, "type": "Customer"}).filter(
            (pl.col("sec") >= 0) & pl.Series(is_cust)
        )
    )
    former = np.where(churn >= 0, (churn + 90) * DAY + 9 * 3600, -1)
    ev.append(
        pl.DataFrame({"i": np.arange(n), "sec": former, "type": "Former Customer"}).filter(pl.col("sec") >= 0)
    )
    back = np.where(react >= 0, react * DAY + 3 * 3600, -1)
    ev.append(
        pl.DataFrame(
            {"i": np.arange(n), "sec": np.where(back > former, back, -1), "type": "Customer"}
        ).filter(pl.col("sec") >= 0)
    )
    touch = np.where(rng.random(n) < 0.08, created + rng.integers(DAY, 400 * DAY, n), -1)
    ev.append(
        pl.DataFrame(
            {"i": np.arange(n), "sec": touch, "type": None}, schema_overrides={"type": pl.String}
        ).filter(pl.col("sec") >= 0)
    )
    events = (
        pl.concat(ev)
        .filter(pl.col("sec") < end)
        .sort(["i", "sec"], maintain_order=True)
        .with_columns(pl.col("type").forward_fill().over("i"))
    )

    # Null optional fields (record level, so every version agrees).
    for fld in ("website", "industry", "billing_city"):
        static = dirt.apply(
            static,
            source="sales",
            entity="account",
            fld=fld,
            kind="null_optional",
            eligible=pl.lit(True),
            transform=_null,
        )
    # Duplicate accounts: a second record for a business customer, under a variant name.
    is_biz_cust = pl.Series(is_cust & ~consumer)
    dup_mask = dirt.pick("sales", "account", "", "duplicate_account", is_biz_cust.to_numpy())
    d = static.filter(pl.Series(dup_mask))
    m = d.height
    dup_created = d["created_sec"].to_numpy() + (
        rng.random(m) * np.maximum(end - DAY - d["created_sec"].to_numpy(), 1)
    ).astype(np.int64)
    dup_ids = sf_ids("account", np.arange(m) + 1 + n + 500_000)
    reps = np.flatnonzero(pop.reps["is_rep"].to_numpy())
    d = d.with_columns(
        pl.Series("id", dup_ids),
        pl.Series("created_sec", dup_created),
        pl.Series("owner_idx", reps[rng.integers(0, len(reps), m)]),
        company_variant(d["name"], rng).alias("name"),
    )
    dirt.record(
        "sales",
        "account",
        None,
        "duplicate_account",
        d["id"],
        primary.filter(pl.Series(dup_mask))["account_id"],
        d["name"],
    )
    dup_events = pl.DataFrame({"i": np.arange(m) + n, "sec": dup_created, "type": "Customer"})
    # Spurious accounts created by mistake and soft-deleted a few days later.
    all_static = pl.concat([static, d])
    events = pl.concat([events, dup_events])
    all_static, events = _spurious(ctx, all_static, events, "account", n_base=n + m, id_offset=900_000)
    test = _test_accounts(ctx, all_static.height)
    all_static = pl.concat([all_static, test["static"]], how="diagonal_relaxed")
    events = pl.concat([events, test["events"]], how="diagonal_relaxed")

    table = _join_static(events, all_static, pop)
    parents = primary.select(pl.col("org_idx").alias("parent_org"), pl.col("account_id").alias("parent_id"))
    table = table.join(parents, on="parent_org", how="left", maintain_order="left")
    table = stamp(table.with_columns(ctx.clock.ts(table["created_sec"].to_numpy(), "created_date")), ctx)
    table = table.select(
        "id",
        "name",
        "website",
        "industry",
        "type",
        "billing_country",
        "billing_city",
        "annual_revenue",
        "number_of_employees",
        "owner_id",
        "parent_id",
        "created_date",
        "system_modstamp",
        "is_deleted",
        "_visible_at",
    ).sort(["_visible_at", "id"], maintain_order=True)
    account_map = pl.concat(
        [all_static.select(pl.col("id").alias("record_id"), "org_idx")], how="vertical"
    ).with_columns((pl.col("org_idx") < 0).alias("is_test"))
    dup_accounts = d.select(
        "org_idx", pl.col("id").alias("dup_account_id"), pl.col("created_sec").alias("dup_sec")
    )
    account_map = account_map.filter(pl.col("record_id").is_in(table["id"].implode()))
    return table, account_map, primary, dup_accounts


def _spurious(
    ctx: Context,
    static: pl.DataFrame,
    events: pl.DataFrame,
    entity: str,
    *,
    n_base: int,
    id_offset: int,
    id_kind: str | None = None,
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Copies of some records created by mistake and soft-deleted later (``deleted_record`` dirt)."""
    rng = ctx.streams(f"sales.{entity}.spurious")
    has_versions = np.isin(np.arange(static.height), events["i"].unique().to_numpy())
    hit = ctx.dirt.pick("sales", entity, "is_deleted", "deleted_record", has_versions)
    copies = static.filter(pl.Series(hit))
    m = copies.height
    if m == 0:
        return static, events.with_columns(pl.lit(False).alias("is_deleted"))
    created = np.minimum(
        copies["created_sec"].to_numpy() + rng.integers(60, 30 * DAY, m), ctx.clock.end_sec - 2 * DAY
    )
    deleted = created + rng.integers(3600, 10 * DAY, m)
    ids = sf_ids(id_kind or entity, np.arange(m) + id_offset)
    copies = copies.with_columns(pl.Series("id", ids), pl.Series("created_sec", created))
    ctx.dirt.record(
        "sales",
        entity,
        "is_deleted",
        "deleted_record",
        ids,
        pl.Series([None] * m, dtype=pl.String),
        pl.Series(["true"] * m),
    )
    first_versions = events.sort(["i", "sec"], maintain_order=True).unique(
        "i", keep="first", maintain_order=True
    )
    base_ev = first_versions.filter(pl.col("i").is_in(pl.Series(np.flatnonzero(hit)).implode())).sort(
        "i", maintain_order=True
    )
    base_ev = base_ev.with_columns(pl.Series("i", np.arange(m) + n_base))
    ev = pl.concat(
        [
            base_ev.with_columns(pl.Series("sec", created), pl.lit(False).alias("is_deleted")),
            base_ev.with_columns(pl.Series("sec", deleted), pl.lit(True).alias("is_deleted")),
        ]
    ).filter(pl.col("sec") < ctx.clock.end_sec)
    events = pl.concat([events.with_columns(pl.lit(False).alias("is_deleted")), ev], how="diagonal_relaxed")
    return pl.concat([static, copies], how="diagonal_relaxed"), events


def _join_static(events: pl.DataFrame, static: pl.DataFrame, pop: Population) -> pl.DataFrame:
    """Versions (``i``, ``sec``, changing fields) joined to their record's static fields and owner id."""
    indexed = static.with_row_index("i").with_columns(pl.col("i").cast(pl.Int64))
    owners = pl.DataFrame(
        {"owner_idx": pop.reps["rep_idx"], "owner_id": sf_ids("user", pop.reps["rep_idx"].to_numpy())}
    )
    table = events.join(indexed, on="i", how="inner", maintain_order="left")
    if "owner_idx" in table.columns:
        table = table.join(owners, on="owner_idx", how="left", maintain_order="left")
    if "is_deleted" in table.columns:
        table = table.with_columns(pl.col("is_deleted").fill_null(False))
    else:
        table = table.with_columns(pl.lit(False).alias("is_deleted"))
    return table


def _test_accounts(ctx: Context, offset: int) -> dict[str, pl.DataFrame]:
    """A "TEST ACCOUNT" that sales ops keeps around for demos (when test records are on)."""
    if ctx.dirt.rates["test_record"] == 0:
        return {"static": pl.DataFrame(), "events": pl.DataFrame()}
    static = pl.DataFrame(
        {
            "id": sf_ids("account", np.array([999_999])),
            "org_idx": [-1],
            "name": ["TEST ACCOUNT - do not use"],
            "website": ["www.example.com"],
            "billing_country": ["US"],
            "owner_idx": [0],
            "parent_org": [-1],
            "created_sec": [3 * 3600],
        }
    )
    ctx.dirt.record("sales", "account", None, "test_record", static["id"], None, static["name"])
    return {
        "static": static,
        "events": pl.DataFrame(
            {"i": [offset], "sec": [3 * 3600], "type": ["Customer"], "is_deleted": [False]}
        ),
    }


# --- contacts ---------------------------------------------------------------------------------


def _null(values: pl.Series, _rng: np.random.Generator) -> pl.Series:
    return pl.Series([None] * len(values), dtype=values.dtype)


def _contacts(
    ctx: Context, pop: Population, funnel: Funnel, primary: pl.DataFrame, dup_accounts: pl.DataFrame
) -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame]:
    rng = ctx.streams("sales.contact")
    dirt, end = ctx.dirt, ctx.clock.end_sec
    persons = pop.persons
    converted = (
        funnel.leads.filter(pl.col("convert_sec") >= 0)
        .group_by("person_idx", maintain_order=True)
        .agg(pl.col("convert_sec").min(), pl.col("lead_source").first())
    )
    p = persons.join(converted, on="person_idx", how="left", maintain_order="left").join(
        primary, on="org_idx", how="left", maintain_order="left"
    )
    keep = p["role"].is_in(["contact", "consumer"]) | (
        p["convert_sec"].is_not_null() & p["account_id"].is_not_null()
    )
    p = p.filter(keep & p["account_id"].is_not_null())
    n = p.height
    known = p["known_day"].to_numpy() * DAY + rng.integers(8 * 3600, 18 * 3600, n)
    created = np.maximum(
        np.where(p["convert_sec"].is_not_null().to_numpy(), p["convert_sec"].fill_null(0).to_numpy(), known),
        p["account_sec"].to_numpy() + 60,
    )
    sources = np.array(["Web", "Partner Referral", "Trade Show", "Other", "Phone Inquiry"])
    known_source = p["lead_source"].fill_null(pl.Series(sources[rng.integers(0, len(sources), n)]))
    lead_source = known_source.scatter(np.flatnonzero(rng.random(n) < 0.15), None)
    static = p.select(
        "person_idx",
        "org_idx",
        "account_id",
        "first_name",
        "last_name",
        "email",
        "phone",
        "title",
        pl.col("country").alias("mailing_country"),
    ).with_columns(pl.Series("lead_source", lead_source), pl.Series("created_sec", created.astype(np.int64)))
    # One more contact record of the primary person on each duplicate account.
    prim = persons.filter(pl.col("is_primary")).select(
        "org_idx",
        "person_idx",
        "first_name",
        "last_name",
        "email",
        "phone",
        "title",
        pl.col("country").alias("mailing_country"),
    )
    dups = dup_accounts.join(prim, on="org_idx", how="inner", maintain_order="left").select(
        "person_idx",
        "org_idx",
        pl.col("dup_account_id").alias("account_id"),
        "first_name",
        "last_name",
        "email",
        "phone",
        "title",
        "mailing_country",
        pl.lit("Other").alias("lead_source"),
        (pl.col("dup_sec") + 600).alias("created_sec"),
    )
    static = pl.concat([static, dups], how="vertical_relaxed")
    n_all = static.height
    static = static.with_columns(sf_ids("contact", np.arange(n_all) + 1).alias("id"))
    static = static.join(person_helpers(persons), on="person_idx", how="left", maintain_order="left")
    static = apply_person_dirt(dirt, static, "sales", "contact", "id")
    for fld in ("phone", "title"):
        static = dirt.apply(
            static,
            source="sales",
            entity="contact",
            fld=fld,
            kind="null_optional",
            eligible=pl.lit(True),
            transform=_null,
        )
    contact_of_person = static.head(n).select("person_idx", pl.col("id").alias("contact_id"))
    touch = np.where(
        rng.random(n_all) < 0.12, static["created_sec"].to_numpy() + rng.integers(DAY, 300 * DAY, n_all), -1
    )
    events = (
        pl.concat(
            [
                pl.DataFrame({"i": np.arange(n_all), "sec": static["created_sec"].to_numpy()}),
                pl.DataFrame({"i": np.arange(n_all), "sec": touch}).filter(pl.col("sec") >= 0),
            ]
        )
        .filter(pl.col("sec") < end)
        .sort(["i", "sec"], maintain_order=True)
    )
    static, events = _spurious(ctx, static, events, "contact", n_base=n_all, id_offset=900_000)
    test = _test_people(ctx, "contact", static.height, max(1, n_all))
    static = pl.concat(
        [static, test.with_columns(pl.lit(sf_ids("account", np.array([999_999]))[0]).alias("account_id"))],
        how="diagonal_relaxed",
    )
    events = pl.concat(
        [
            events,
            pl.DataFrame(
                {
                    "i": np.arange(test.height) + static.height - test.height,
                    "sec": test["created_sec"],
                    "is_deleted": False,
                }
            ),
        ],
        how="diagonal_relaxed",
    )
    table = _join_static(events, static, pop)
    table = stamp(table.with_columns(ctx.clock.ts(table["created_sec"].to_numpy(), "created_date")), ctx)
    table = table.select(
        "id",
        "account_id",
        "first_name",
        "last_name",
        "email",
        "phone",
        "title",
        "lead_source",
        "mailing_country",
        "created_date",
        "system_modstamp",
        "is_deleted",
        "_visible_at",
    ).sort(["_visible_at", "id"], maintain_order=True)
    contact_map = static.select(
        pl.col("id").alias("record_id"), pl.col("person_idx").fill_null(-1), pl.col("org_idx").fill_null(-1)
    ).with_columns((pl.col("person_idx") < 0).alias("is_test"))
    present = table["id"].implode()
    contact_map = contact_map.filter(pl.col("record_id").is_in(present))
    contact_of_person = contact_of_person.filter(pl.col("contact_id").is_in(present))
    return table, contact_map, contact_of_person


def _test_people(
    ctx: Context, entity: str, offset: int, n_records: int, source: str = "sales"
) -> pl.DataFrame:
    """``test@example.com``-style records people leave behind when trying a system."""
    rng = ctx.streams(f"{source}.{entity}.test")
    m = int(rng.binomial(n_records, ctx.dirt.rates["test_record"]))
    if m == 0:
        return pl.DataFrame(
            schema={
                "person_idx": pl.Int64,
                "org_idx": pl.Int64,
                "first_name": pl.String,
                "last_name": pl.String,
                "email": pl.String,
                "created_sec": pl.Int64,
                "id": pl.String,
            }
        )
    emails = np.array(["test@example.com", "test@test.com", "asdf@example.com", "noreply@example.org"])
    frame = pl.DataFrame(
        {
            "person_idx": np.full(m, -1),
            "org_idx": np.full(m, -1),
            "first_name": np.array(["Test", "Demo", "Asdf", "Test"])[rng.integers(0, 4, m)],
            "last_name": np.array(["User", "Test", "Asdf", "Account"])[rng.integers(0, 4, m)],
            "email": emails[rng.integers(0, len(emails), m)],
            "created_sec": rng.integers(0, ctx.clock.end_sec - DAY, m),
        }
    ).with_columns(
        sf_ids(entity if entity in ("contact", "lead") else "contact", np.arange(m) + 990_000).alias("id")
    )
    ctx.dirt.eligible[(source, entity, "", "test_record")] = n_records
    ctx.dirt.record(source, entity, None, "test_record", frame["id"], None, frame["email"])
    return frame


# --- leads ------------------------------------------------------------------------------------


def _leads(
    ctx: Context,
    pop: Population,
    funnel: Funnel,
    primary: pl.DataFrame,
    contact_of_person: pl.DataFrame,
    opp_ids: pl.DataFrame,
) -> tuple[pl.DataFrame, pl.DataFrame]:
    dirt = ctx.dirt
    leads = funnel.leads
    persons = pop.persons
    orgs = pop.orgs.select("org_idx", "company_name")
    static = (
        leads.select("lead_idx", "person_idx", "org_idx", "lead_source", "rating", "owner_idx", "created_sec")
        .join(
            persons.select("person_idx", "first_name", "last_name", "email"),
            on="person_idx",
            how="left",
            maintain_order="left",
        )
        .join(orgs.rename({"company_name": "company"}), on="org_idx", how="left", maintain_order="left")
        .join(person_helpers(persons), on="person_idx", how="left", maintain_order="left")
        .sort("lead_idx", maintain_order=True)
    )
    static = static.with_columns(
        pl.when(pl.col("org_idx") >= 0).then(pl.col("company")).alias("company"),
        sf_ids("lead", static["lead_idx"].to_numpy() + 1).alias("id"),
    )
    static = apply_person_dirt(dirt, static, "sales", "lead", "id")
    static = dirt.apply(
        static,
        source="sales",
        entity="lead",
        fld="company",
        kind="company_suffix_variant",
        eligible=pl.lit(True),
        transform=company_variant,
    )
    conv_opp = (
        funnel.opps.filter(pl.col("lead_idx") >= 0)
        .select("lead_idx", "opp_idx")
        .join(opp_ids, on="opp_idx", maintain_order="left")
    )
    events = (
        funnel.lead_events.rename({"lead_idx": "i"})
        .join(
            leads.select(pl.col("lead_idx").alias("i"), "org_idx", "person_idx", "convert_sec"),
            on="i",
            maintain_order="left",
        )
        .join(
            primary.select("org_idx", pl.col("account_id").alias("converted_account_id")),
            on="org_idx",
            how="left",
            maintain_order="left",
        )
        .join(
            contact_of_person.rename({"contact_id": "converted_contact_id"}),
            on="person_idx",
            how="left",
            maintain_order="left",
        )
        .join(
            conv_opp.rename({"lead_idx": "i", "opportunity_id": "converted_opportunity_id"}),
            on="i",
            how="left",
            maintain_order="left",
        )
        .with_columns(
            pl.when(pl.col("is_converted")).then(pl.col(c)).alias(c)
            for c in ("converted_account_id", "converted_contact_id", "converted_opportunity_id")
        )
        .with_columns(
            pl.when(pl.col("is_converted")).then(pl.col("convert_sec") // DAY).alias("converted_day")
        )
        .select(
            "i",
            "sec",
            "status",
            "is_converted",
            "converted_day",
            "converted_account_id",
            "converted_contact_id",
            "converted_opportunity_id",
        )
    )
    static = static.drop("org_idx").with_columns(pl.col("person_idx").fill_null(-1))
    static, events = _spurious(ctx, static, events, "lead", n_base=static.height, id_offset=900_000)
    test = _test_people(ctx, "lead", static.height, static.height)
    if test.height:
        static = pl.concat([static, test.drop("org_idx")], how="diagonal_relaxed")
        events = pl.concat(
            [
                events,
                pl.DataFrame(
                    {
                        "i": np.arange(test.height) + static.height - test.height,
                        "sec": test["created_sec"],
                        "status": "Open",
                        "is_converted": False,
                        "is_deleted": False,
                    }
                ),
            ],
            how="diagonal_relaxed",
        )
    table = _join_static(events, static, pop).with_columns(pl.col("is_converted").fill_null(False))
    table = dirt.apply(
        table,
        source="sales",
        entity="lead",
        fld="status",
        kind="unknown_enum",
        eligible=pl.lit(True),
        transform=lambda v, r: pl.Series(
            np.array(["Contacted", "Pre-Qualified", "Junk"])[r.integers(0, 3, len(v))]
        ),
    )
    table = stamp(
        table.with_columns(
            ctx.clock.ts(table["created_sec"].to_numpy(), "created_date"),
            ctx.clock.dates(table["converted_day"].fill_null(0).to_numpy(), "converted_date"),
        ),
        ctx,
    )
    table = table.with_columns(
        pl.when(pl.col("converted_day").is_not_null()).then(pl.col("converted_date")).alias("converted_date")
    )
    table = table.select(
        "id",
        "first_name",
        "last_name",
        "email",
        "company",
        "status",
        "lead_source",
        "rating",
        "is_converted",
        "converted_date",
        "converted_account_id",
        "converted_contact_id",
        "converted_opportunity_id",
        "owner_id",
        "created_date",
        "system_modstamp",
        "is_deleted",
        "_visible_at",
    ).sort(["_visible_at", "id"], maintain_order=True)
    lead_map = static.select(pl.col("id").alias("record_id"), "person_idx").with_columns(
        (pl.col("person_idx") < 0).alias("is_test")
    )
    lead_map = lead_map.filter(pl.col("record_id").is_in(table["id"].implode()))
    return table, lead_map


# --- opportunities, history, quotes -------------------------------------------------------------


def _opportunities(
    ctx: Context, pop: Population, funnel: Funnel, primary: pl.DataFrame, opp_ids: pl.DataFrame
) -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame]:
    dirt, clock = ctx.dirt, ctx.clock
    opps = funnel.opps.join(opp_ids, on="opp_idx", maintain_order="left").join(
        primary.select("org_idx", "account_id"), on="org_idx", how="left", maintain_order="left"
    )
    camp = pop.campaigns.select("campaign_idx", pl.col("crm_campaign_id").alias("campaign_id"))
    static = (
        opps.join(camp, on="campaign_idx", how="left", maintain_order="left")
        .join(pop.orgs.select("org_idx", "base_name"), on="org_idx", maintain_order="left")
        .with_columns(
            (pl.col("base_name") + " - " + pl.col("type")).alias("name"),
            pl.col("opportunity_id").alias("id"),
        )
        .sort("opp_idx", maintain_order=True)
    )
    hist = funnel.history
    h = hist.with_columns(sf_ids("opportunity_history", np.arange(hist.height) + 1).alias("id"))
    h = h.join(opp_ids, on="opp_idx", maintain_order="left")
    h = h.with_columns(
        clock.dates(h["close_day"].to_numpy(), "close_date"), clock.ts(h["sec"].to_numpy(), "created_date")
    )
    history = h.select(
        "id",
        "opportunity_id",
        "stage_name",
        "amount",
        "probability",
        "close_date",
        "forecast_category",
        "created_date",
        pl.col("created_date").alias("_visible_at"),
    ).sort(["_visible_at", "id"], maintain_order=True)
    events = hist.select(
        pl.col("opp_idx").alias("i"),
        "sec",
        "stage_name",
        "stage_idx",
        "amount",
        "probability",
        "close_day",
        "forecast_category",
    )
    static_cols = static.select(
        "id",
        "account_id",
        "name",
        "type",
        "currency_iso_code",
        "lead_source",
        "loss_reason",
        "campaign_id",
        "owner_idx",
        "created_sec",
    )
    static_cols, events = _spurious(
        ctx, static_cols, events, "opportunity", n_base=static_cols.height, id_offset=900_000
    )
    table = _join_static(events, static_cols, pop).with_columns(
        (pl.col("stage_idx") >= 5).alias("is_closed"),
        (pl.col("stage_idx") == 5).alias("is_won"),
        pl.when(pl.col("stage_idx") == 6).then(pl.col("loss_reason")).alias("loss_reason"),
    )
    table = table.with_columns(clock.dates(table["close_day"].to_numpy(), "close_date"))
    table = dirt.apply(
        table,
        source="sales",
        entity="opportunity",
        fld="close_date",
        kind="future_date",
        eligible=pl.lit(True),
        transform=lambda v, r: v.dt.offset_by(f"{int(r.integers(5, 80))}y"),
    )
    table = stamp(table.with_columns(clock.ts(table["created_sec"].to_numpy(), "created_date")), ctx)
    table = table.select(
        "id",
        "account_id",
        "name",
        "type",
        "stage_name",
        "amount",
        "currency_iso_code",
        "probability",
        "close_date",
        "is_closed",
        "is_won",
        "forecast_category",
        "lead_source",
        "loss_reason",
        "campaign_id",
        "owner_id",
        "created_date",
        "system_modstamp",
        "is_deleted",
        "_visible_at",
    ).sort(["_visible_at", "id"], maintain_order=True)
    q = funnel.quotes.join(opp_ids, on="opp_idx", maintain_order="left")
    q = q.with_columns(
        sf_ids("quote", q["quote_idx"].to_numpy() + 1).alias("id"),
        ("Q-" + (pl.col("quote_idx") + 1).cast(pl.String).str.zfill(6)).alias("name"),
        clock.dates(q["expiration_day"].to_numpy(), "expiration_date"),
        clock.ts(q["created_sec"].to_numpy(), "created_date"),
    )
    quote = (
        stamp(q, ctx)
        .select(
            "id",
            pl.col("opportunity_id"),
            "name",
            "status",
            "total_price",
            "discount",
            "expiration_date",
            "created_date",
            "system_modstamp",
            "_visible_at",
        )
        .sort(["_visible_at", "id"], maintain_order=True)
    )
    return table, history, quote


# --- orders and items -------------------------------------------------------------------------


def _orders(
    ctx: Context,
    pop: Population,
    orders: Orders,
    funnel: Funnel,
    primary: pl.DataFrame,
    dup_accounts: pl.DataFrame,
    contact_of_person: pl.DataFrame,
    opp_ids: pl.DataFrame,
    catalogue: pl.DataFrame,
) -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame]:
    rng = ctx.streams("sales.order.assign")
    clock, dirt = ctx.clock, ctx.dirt
    od = orders.orders
    n = od.height
    # The buyer: a person of the organisation already known on the order day (else the primary).
    persons = pop.persons
    p_org = persons["org_idx"].to_numpy()
    has = p_org >= 0
    first_of_org = np.full(pop.orgs.height, -1, dtype=np.int64)
    count_of_org = np.zeros(pop.orgs.height, dtype=np.int64)
    orgs_with, starts, counts = np.unique(p_org[has], return_index=True, return_counts=True)
    first_of_org[orgs_with], count_of_org[orgs_with] = starts, counts
    org = od["org_idx"].to_numpy()
    pick = first_of_org[org] + (rng.random(n) * count_of_org[org]).astype(np.int64)
    known = persons["known_day"].to_numpy()
    person = np.where(known[pick] <= od["day"].to_numpy(), pick, first_of_org[org])
    # Orders after a duplicate account appeared are sometimes booked on it.
    frame = od.with_columns(pl.Series("person_idx", person)).join(
        primary.select("org_idx", "account_id"), on="org_idx", how="left", maintain_order="left"
    )
    frame = frame.join(dup_accounts, on="org_idx", how="left", maintain_order="left").with_columns(
        pl.when(
            pl.col("dup_sec").is_not_null()
            & (pl.col("sec") > pl.col("dup_sec"))
            & pl.Series(rng.random(n) < 0.3)
        )
        .then(pl.col("dup_account_id"))
        .otherwise(pl.col("account_id"))
        .alias("account_id")
    )
    won = (
        funnel.opps.filter(pl.col("order_idx") >= 0)
        .select("order_idx", "opp_idx")
        .join(opp_ids, on="opp_idx", maintain_order="left")
    )
    frame = (
        frame.join(contact_of_person, on="person_idx", how="left", maintain_order="left")
        .join(won.select("order_idx", "opportunity_id"), on="order_idx", how="left", maintain_order="left")
        .sort("order_idx", maintain_order=True)
    )
    frame = frame.with_columns(
        sf_ids("order", frame["order_idx"].to_numpy() + 1).alias("id"),
        (pl.col("order_idx") + 1).cast(pl.String).str.zfill(8).alias("order_number"),
        clock.dates(frame["day"].to_numpy(), "effective_date"),
        clock.ts(frame["sec"].to_numpy(), "created_date"),
    )
    status = frame["status"].to_numpy()
    first_status = np.where(status == "Draft", "Draft", "Activated")
    fulfil = frame["fulfil_sec"].to_numpy()
    fulfil = np.where(
        (fulfil < 0) & (frame["return_sec"].to_numpy() >= 0), frame["sec"].to_numpy() + DAY, fulfil
    )
    ev = pl.concat(
        [
            pl.DataFrame({"order_idx": np.arange(n), "sec": frame["sec"].to_numpy(), "status": first_status}),
            pl.DataFrame({"order_idx": np.arange(n), "sec": fulfil, "status": "Fulfilled"}).filter(
                pl.col("sec") >= 0
            ),
            pl.DataFrame(
                {"order_idx": np.arange(n), "sec": frame["cancel_sec"].to_numpy(), "status": "Cancelled"}
            ).filter(pl.col("sec") >= 0),
            pl.DataFrame(
                {"order_idx": np.arange(n), "sec": frame["return_sec"].to_numpy(), "status": "Returned"}
            ).filter(pl.col("sec") >= 0),
        ]
    )
    versions = ev.join(frame.drop("status", "sec"), on="order_idx", maintain_order="left").sort(
        ["order_idx", "sec"], maintain_order=True
    )
    order = (
        stamp(versions, ctx)
        .select(
            "id",
            "account_id",
            "contact_id",
            "opportunity_id",
            "order_number",
            "status",
            "effective_date",
            "channel",
            "currency_iso_code",
            "total_amount",
            "created_date",
            "system_modstamp",
            "_visible_at",
        )
        .sort(["_visible_at", "id"], maintain_order=True)
    )

    items = orders.items.join(
        frame.select("order_idx", pl.col("id").alias("order_id"), "sec", "return_sec"),
        on="order_idx",
        maintain_order="left",
    )
    items = items.with_columns(
        sf_ids("order_item", items["item_idx"].to_numpy() + 1).alias("id"),
        catalogue["id"].gather(items["product_idx"].to_numpy()).alias("product_id"),
    )
    # Returns booked as negative quantities: a later version of the returned order's items.
    returned = items["return_sec"].to_numpy() >= 0
    neg = dirt.pick("sales", "order_item", "quantity", "negative_quantity", returned)
    back = items.filter(pl.Series(neg)).with_columns(
        (-pl.col("quantity")).alias("quantity"),
        (-pl.col("total_price")).alias("total_price"),
        pl.col("return_sec").alias("sec"),
    )
    dirt.record(
        "sales",
        "order_item",
        "quantity",
        "negative_quantity",
        back["id"],
        items.filter(pl.Series(neg))["quantity"],
        back["quantity"],
    )
    dirt.record(
        "sales",
        "order_item",
        "total_price",
        "negative_quantity",
        back["id"],
        items.filter(pl.Series(neg))["total_price"],
        back["total_price"],
    )
    item_rows = (
        stamp(pl.concat([items, back]), ctx)
        .select(
            "id",
            "order_id",
            "product_id",
            "quantity",
            "unit_price",
            "discount",
            "total_price",
            "system_modstamp",
            "_visible_at",
        )
        .sort(["_visible_at", "id"], maintain_order=True)
    )
    order_ids = frame.select(
        "order_idx", pl.col("id").alias("order_id"), "order_number", "account_id", "contact_id", "person_idx"
    )
    return order, item_rows, order_ids


# --- users and quotas ---------------------------------------------------------------------------


def _users(
    ctx: Context, pop: Population, orders: Orders, primary: pl.DataFrame
) -> tuple[pl.DataFrame, pl.DataFrame]:
    rng = ctx.streams("sales.user")
    clock = ctx.clock
    reps = pop.reps
    n = reps.height
    ids = sf_ids("user", reps["rep_idx"].to_numpy())
    manager = reps["manager_idx"].to_numpy()
    base = pl.DataFrame(
        {
            "id": ids,
            "name": reps["first_name"] + " " + reps["last_name"],
            "email": reps["email"],
            "title": reps["title"],
            "team": reps["team"],
            "region": reps["region"],
            "manager_id": pl.Series(ids).gather(np.maximum(manager, 0)).to_numpy(),
        }
    ).with_columns(pl.when(pl.Series(manager >= 0)).then(pl.col("manager_id")).alias("manager_id"))
    left = reps["left_day"].to_numpy()
    ev = pl.concat(
        [
            pl.DataFrame({"i": np.arange(n), "sec": np.zeros(n, dtype=np.int64), "is_active": True}),
            pl.DataFrame({"i": np.arange(n), "sec": left * DAY + 17 * 3600, "is_active": False}).filter(
                pl.Series(left >= 0)
            ),
        ]
    )
    user = (
        stamp(
            ev.join(
                base.with_row_index("i").with_columns(pl.col("i").cast(pl.Int64)),
                on="i",
                maintain_order="left",
            ),
            ctx,
        )
        .select(
            "id",
            "name",
            "email",
            "title",
            "team",
            "region",
            "manager_id",
            "is_active",
            "system_modstamp",
            "_visible_at",
        )
        .sort(["_visible_at", "id"], maintain_order=True)
    )
    # Monthly quotas: each team's typical monthly bookings per rep, plus a stretch, in USD.
    od = orders.orders.filter(pl.col("status").is_in(["Activated", "Fulfilled"]))
    owner = pop.orgs["owner_idx"].to_numpy()[od["org_idx"].to_numpy()]
    usd = od["total_amount"].to_numpy() / od["rate"].to_numpy()
    months = clock.month_starts()
    per_rep = (
        pl.DataFrame({"rep": owner, "usd": usd})
        .group_by("rep", maintain_order=True)
        .agg(pl.col("usd").sum() / len(months))
    )
    team_of = reps.select(pl.col("rep_idx").alias("rep"), "team")
    per_team = (
        per_rep.join(team_of, on="rep", maintain_order="left")
        .group_by("team", maintain_order=True)
        .agg(pl.col("usd").median().alias("typical"))
    )
    is_rep = reps["is_rep"].to_numpy()
    rows = []
    start_of = np.array([(m - clock.start).days for m in months])
    for r in np.flatnonzero(is_rep):
        active = (left[r] < 0) | (start_of < left[r])
        rows.append(pl.DataFrame({"rep": r, "month": np.flatnonzero(active)}))
    q = (
        pl.concat(rows)
        .join(team_of, on="rep", maintain_order="left")
        .join(per_team, on="team", how="left", maintain_order="left")
    )
    q = q.with_columns(
        (
            (
                pl.col("typical").fill_null(10_000.0)
                * 1.15
                * pl.Series(rng.lognormal(0, 0.12, q.height))
                / 100
            ).round(0)
            * 100
        ).alias("quota_amount")
    )
    q = q.with_columns(
        sf_ids("quota", np.arange(q.height) + 1).alias("id"),
        pl.Series(ids).gather(q["rep"].to_numpy()).alias("owner_id"),
        pl.Series([months[m] for m in q["month"].to_list()], dtype=pl.Date).alias("period_start"),
        pl.lit("USD").alias("currency_iso_code"),
    )
    q = q.with_columns(clock.ts(np.maximum(start_of[q["month"].to_numpy()] - 5, 0) * DAY, "_visible_at"))
    quota = q.select(
        "id", "owner_id", "period_start", "quota_amount", "currency_iso_code", "_visible_at"
    ).sort(["_visible_at", "id"], maintain_order=True)
    return user, quota
