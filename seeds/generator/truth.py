"""Ground truth: who is really behind every source record, and the totals the marts must reproduce.

Everything here is computed from the generator's *clean* values (before dirt), with the definitions of
``shared/design/marts.md``: revenue = Σ order_item.total_price of Activated/Fulfilled orders minus
Returned orders, in USD at the order's effective date (``amount / conversion_rate``); active = an order
not Cancelled/Returned in the trailing 12 months; first reply = creation → first public agent comment.
"""

from __future__ import annotations

import numpy as np
import polars as pl

from seeds.generator.context import Context
from seeds.generator.marketing import Marketing
from seeds.generator.population import Population
from seeds.generator.sales import Sales
from seeds.generator.support import Support
from seeds.generator.timeline import DAY


def customers_table(ctx: Context, pop: Population, sales: Sales) -> pl.DataFrame:
    clock = ctx.clock
    o = pop.orgs
    from seeds.generator.ids import sf_ids

    def day_col(col: str, name: str) -> pl.Series:
        d = o[col].to_numpy()
        return clock.dates(np.maximum(d, 0), name).scatter(np.flatnonzero(d < 0), None)

    parent = o["parent_idx"].to_numpy()
    return pl.DataFrame(
        {
            "customer_id": o["customer_id"],
            "is_customer": o["is_customer"],
            "kind": np.where(
                ~o["is_customer"].to_numpy(),
                "prospect",
                np.where(o["band_idx"].to_numpy() == 0, "consumer", "business"),
            ),
            "name": o["company_name"],
            "domain": o["domain"],
            "country": o["country"],
            "city": o["city"],
            "industry": o["industry"],
            "size_band": o["band"],
            "employees": o["employees"],
            "currency": o["currency"],
            "owner_user_id": sf_ids("user", o["owner_idx"].to_numpy()),
            "parent_customer_id": o["customer_id"]
            .gather(np.maximum(parent, 0))
            .scatter(np.flatnonzero(parent < 0), None),
            "acquired_date": day_col("acquired_day", "acquired_date"),
            "churn_date": day_col("churn_day", "churn_date"),
            "winback_date": day_col("winback_day", "winback_date"),
            "reactivated_date": day_col("reactivated_day", "reactivated_date"),
            "annual_spend_usd": np.round(o["spend_usd_year"].to_numpy(), 2),
            "support_badness": np.round(o["badness"].to_numpy(), 4),
            "email_engagement": np.round(o["engagement"].to_numpy(), 4),
        }
    )


def persons_table(pop: Population) -> pl.DataFrame:
    p = pop.persons.join(
        pop.orgs.select("org_idx", "customer_id"), on="org_idx", how="left", maintain_order="left"
    ).sort("person_idx", maintain_order=True)
    return p.select(
        "person_id",
        "customer_id",
        "role",
        "is_primary",
        "first_name",
        "last_name",
        pl.col("first_latin").alias("first_name_latin"),
        pl.col("last_latin").alias("last_name_latin"),
        "email",
        "work_email",
        "personal_email",
        "phone",
        "country",
        "title",
        "time_zone",
    )


def record_map(pop: Population, sales: Sales, support: Support, marketing: Marketing) -> pl.DataFrame:
    """Every source record standing for a person or customer → the true person/customer, or a flag."""
    persons = pop.persons.select("person_idx", "person_id", "org_idx")
    orgs = pop.orgs.select("org_idx", "customer_id")

    def person_based(frame: pl.DataFrame, source: str, entity: str) -> pl.DataFrame:
        f = frame
        for col, default in (("is_test", None), ("is_shared_mailbox", False)):
            if col not in f.columns:
                f = f.with_columns(
                    (pl.col("person_idx") < 0).alias(col) if default is None else pl.lit(default).alias(col)
                )
        if "org_idx" not in f.columns:
            f = f.join(
                persons.select("person_idx", "org_idx"), on="person_idx", how="left", maintain_order="left"
            )
        f = f.join(
            persons.select("person_idx", "person_id"), on="person_idx", how="left", maintain_order="left"
        )
        f = f.join(orgs, on="org_idx", how="left", maintain_order="left")
        return f.select(
            pl.lit(source).alias("source"),
            pl.lit(entity).alias("entity"),
            pl.col("record_id").cast(pl.String),
            "person_id",
            "customer_id",
            pl.col("is_test").fill_null(False),
            pl.col("is_shared_mailbox").fill_null(False),
        )

    def org_based(frame: pl.DataFrame, source: str, entity: str) -> pl.DataFrame:
        f = frame.join(orgs, on="org_idx", how="left", maintain_order="left")
        return f.select(
            pl.lit(source).alias("source"),
            pl.lit(entity).alias("entity"),
            pl.col("record_id").cast(pl.String),
            pl.lit(None, dtype=pl.String).alias("person_id"),
            "customer_id",
            (pl.col("org_idx") < 0).alias("is_test"),
            pl.lit(False).alias("is_shared_mailbox"),
        )

    parts = [
        org_based(sales.account_map, "sales", "account"),
        person_based(sales.contact_map, "sales", "contact"),
        person_based(sales.lead_map, "sales", "lead"),
        org_based(support.org_map, "support", "organizations"),
        person_based(support.user_map, "support", "users"),
        person_based(marketing.contact_map, "marketing", "contacts"),
        person_based(
            marketing.form_map.with_columns(pl.lit(False).alias("is_test")), "marketing", "form_submissions"
        ),
        person_based(
            marketing.nps_map.with_columns(pl.lit(False).alias("is_test")), "marketing", "nps_responses"
        ),
    ]
    return pl.concat(parts).sort(["source", "entity", "record_id"], maintain_order=True)


def expected_tables(
    ctx: Context, pop: Population, sales: Sales, support: Support, marketing: Marketing
) -> dict[str, pl.DataFrame]:
    clock = ctx.clock
    cust = pop.orgs.select("org_idx", "customer_id")
    od = sales.orders.orders.join(cust, on="org_idx", maintain_order="left").with_columns(
        clock.dates(sales.orders.orders["day"].to_numpy(), "effective_date")
    )
    od = od.with_columns(pl.col("effective_date").dt.truncate("1mo").alias("month"))
    sign = (
        pl.when(pl.col("status").is_in(["Activated", "Fulfilled"]))
        .then(1.0)
        .when(pl.col("status") == "Returned")
        .then(-1.0)
        .otherwise(0.0)
    )
    revenue = (
        od.group_by("customer_id", "month", maintain_order=True)
        .agg(
            (sign * pl.col("total_amount") / pl.col("rate")).sum().round(2).alias("revenue_usd"),
            pl.len().alias("orders"),
            pl.col("status").is_in(["Activated", "Fulfilled"]).sum().alias("revenue_orders"),
            (pl.col("status") == "Returned").sum().alias("returned_orders"),
            (pl.col("status") == "Cancelled").sum().alias("cancelled_orders"),
            (pl.col("status") == "Draft").sum().alias("draft_orders"),
        )
        .sort("customer_id", "month", maintain_order=True)
    )

    t = support.ticket_truth.join(cust, on="org_idx", how="left", maintain_order="left").join(
        pop.persons.select("person_idx", "person_id"), on="person_idx", how="left", maintain_order="left"
    )
    tickets = t.select(
        "ticket_id",
        "customer_id",
        pl.col("person_id").alias("requester_person_id"),
        clock.ts(t["created_sec"].to_numpy(), "created_at"),
        clock.ts(
            np.where(t["first_reply_sec"].to_numpy() >= 0, t["first_reply_sec"].to_numpy(), np.nan),
            "first_reply_at",
        ),
        "first_reply_minutes",
        "first_reply_business_minutes",
        "first_reply_breached",
        clock.ts(np.where(t["solved_sec"].to_numpy() >= 0, t["solved_sec"].to_numpy(), np.nan), "solved_at"),
        "reopens",
        "escalated",
        "handoffs",
        "priority",
        "csat",
    ).sort("ticket_id", maintain_order=True)

    camp = pop.campaigns.select("campaign_idx", "campaign_id", "type", "name")
    campaigns = (
        camp.join(marketing.email_truth, on="campaign_idx", how="left", maintain_order="left")
        .drop("campaign_idx")
        .with_columns(pl.col(c).fill_null(0) for c in marketing.email_truth.columns if c != "campaign_idx")
        .sort("campaign_id", maintain_order=True)
    )

    opps = sales.funnel.opps
    rate_created = sales.fx.rate(
        sales.fx.index(opps["currency_iso_code"]), opps["created_sec"].to_numpy() // DAY
    )
    close = opps["close_sec"].fill_null(-1).to_numpy()
    rate_close = sales.fx.rate(sales.fx.index(opps["currency_iso_code"]), np.maximum(close, 0) // DAY)
    o = opps.with_columns(
        clock.dates(opps["created_sec"].to_numpy() // DAY, "c").dt.truncate("1mo").alias("created_month"),
        clock.dates(np.maximum(close, 0) // DAY, "x").dt.truncate("1mo").alias("close_month"),
        pl.Series("created_usd", opps["amount_est"].to_numpy() / rate_created),
        pl.Series("final_usd", opps["amount_final"].to_numpy() / rate_close),
    )
    created = o.group_by(pl.col("created_month").alias("month"), maintain_order=True).agg(
        pl.len().alias("created_count"), pl.col("created_usd").sum().round(2).alias("created_amount_usd")
    )
    closed = (
        o.filter(pl.col("close_sec").is_not_null())
        .group_by(pl.col("close_month").alias("month"), maintain_order=True)
        .agg(
            (pl.col("outcome") == "won").sum().alias("won_count"),
            pl.col("final_usd").filter(pl.col("outcome") == "won").sum().round(2).alias("won_amount_usd"),
            (pl.col("outcome") == "lost").sum().alias("lost_count"),
            pl.col("final_usd").filter(pl.col("outcome") == "lost").sum().round(2).alias("lost_amount_usd"),
        )
    )
    pipeline = (
        created.join(closed, on="month", how="full", coalesce=True, maintain_order="left")
        .fill_null(0)
        .sort("month", maintain_order=True)
    )

    leads = sales.funnel.leads
    won_leads = opps.filter((pl.col("lead_idx") >= 0) & (pl.col("outcome") == "won"))["lead_idx"]
    opp_leads = opps.filter(pl.col("lead_idx") >= 0)["lead_idx"]
    funnel = (
        leads.with_columns(
            clock.dates(leads["created_sec"].to_numpy() // DAY, "c").dt.truncate("1mo").alias("cohort_month"),
            pl.col("lead_idx").is_in(opp_leads.implode()).alias("to_opp"),
            pl.col("lead_idx").is_in(won_leads.implode()).alias("won"),
        )
        .group_by("cohort_month", "lead_source", maintain_order=True)
        .agg(
            pl.len().alias("leads"),
            (pl.col("mql_sec") >= 0).sum().alias("mql"),
            (pl.col("sql_sec") >= 0).sum().alias("sql"),
            pl.col("to_opp").sum().alias("opportunities"),
            pl.col("won").sum().alias("won"),
        )
        .sort("cohort_month", "lead_source", maintain_order=True)
    )

    return {
        "revenue_by_customer_month": revenue,
        "tickets": tickets,
        "campaigns": campaigns,
        "pipeline_by_month": pipeline,
        "lead_funnel": funnel,
        "reactivated_customers": _won_back(ctx, pop, od),
    }


def _won_back(ctx: Context, pop: Population, od: pl.DataFrame) -> pl.DataFrame:
    """Churn and win-back months by the marts' definition, from clean orders (trailing 12 months)."""
    clock = ctx.clock
    months = clock.month_starts()
    n_m = len(months)
    counted = od.filter(~pl.col("status").is_in(["Cancelled", "Returned"]))
    m_idx = (
        (counted["effective_date"].dt.year() - months[0].year) * 12
        + counted["effective_date"].dt.month()
        - months[0].month
    ).to_numpy()
    n_o = pop.orgs.height
    grid = np.zeros((n_o, n_m), dtype=np.int64)
    np.add.at(grid, (counted["org_idx"].to_numpy(), m_idx), 1)
    cum = np.concatenate([np.zeros((n_o, 1), dtype=np.int64), np.cumsum(grid, axis=1)], axis=1)
    lo = np.maximum(np.arange(n_m) - 11, 0)
    active = (cum[:, np.arange(n_m) + 1] - cum[:, lo]) > 0
    churned = np.zeros_like(active)
    churned[:, 1:] = active[:, :-1] & ~active[:, 1:]
    back = np.zeros_like(active)
    ever_churned = np.cumsum(churned, axis=1) > 0
    back[:, 1:] = ~active[:, :-1] & active[:, 1:] & ever_churned[:, :-1]
    rows = []
    for o in np.flatnonzero(back.any(axis=1)):
        c = int(np.flatnonzero(churned[o])[0])
        b = int(np.flatnonzero(back[o] & (np.arange(n_m) > c))[0])
        rows.append((o, months[c], months[b]))
    frame = pl.DataFrame(
        rows, schema={"org_idx": pl.Int64, "churned_month": pl.Date, "won_back_month": pl.Date}, orient="row"
    )
    return (
        frame.join(pop.orgs.select("org_idx", "customer_id"), on="org_idx", maintain_order="left")
        .select("customer_id", "churned_month", "won_back_month")
        .sort("customer_id", maintain_order=True)
    )
