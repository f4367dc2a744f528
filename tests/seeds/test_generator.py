"""The generated world at SF 0.01: determinism, the sources.md contract, dirt rates, and ground truth.

The world is generated once per module (a few seconds); a second seed, a same-seed rerun and an
override run are generated where a test needs them. Expected columns are written out here from
shared/design/sources.md and seeds/README.md, independently of the generator's code.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import polars as pl
import pytest

from seeds.generator import generate

SF = 0.01
TS = pl.Datetime("us", "UTC")
S, INT, F, B, D = pl.String, pl.Int64, pl.Float64, pl.Boolean, pl.Date

SALES: dict[str, dict[str, pl.DataType | type[pl.DataType]]] = {
    "account": {
        "id": S,
        "name": S,
        "website": S,
        "industry": S,
        "type": S,
        "billing_country": S,
        "billing_city": S,
        "annual_revenue": F,
        "number_of_employees": INT,
        "owner_id": S,
        "parent_id": S,
        "created_date": TS,
        "system_modstamp": TS,
        "is_deleted": B,
    },
    "contact": {
        "id": S,
        "account_id": S,
        "first_name": S,
        "last_name": S,
        "email": S,
        "phone": S,
        "title": S,
        "lead_source": S,
        "mailing_country": S,
        "created_date": TS,
        "system_modstamp": TS,
        "is_deleted": B,
    },
    "lead": {
        "id": S,
        "first_name": S,
        "last_name": S,
        "email": S,
        "company": S,
        "status": S,
        "lead_source": S,
        "rating": S,
        "is_converted": B,
        "converted_date": D,
        "converted_account_id": S,
        "converted_contact_id": S,
        "converted_opportunity_id": S,
        "owner_id": S,
        "created_date": TS,
        "system_modstamp": TS,
        "is_deleted": B,
    },
    "opportunity": {
        "id": S,
        "account_id": S,
        "name": S,
        "type": S,
        "stage_name": S,
        "amount": F,
        "currency_iso_code": S,
        "probability": F,
        "close_date": D,
        "is_closed": B,
        "is_won": B,
        "forecast_category": S,
        "lead_source": S,
        "loss_reason": S,
        "campaign_id": S,
        "owner_id": S,
        "created_date": TS,
        "system_modstamp": TS,
        "is_deleted": B,
    },
    "opportunity_history": {
        "id": S,
        "opportunity_id": S,
        "stage_name": S,
        "amount": F,
        "probability": F,
        "close_date": D,
        "forecast_category": S,
        "created_date": TS,
    },
    "quote": {
        "id": S,
        "opportunity_id": S,
        "name": S,
        "status": S,
        "total_price": F,
        "discount": F,
        "expiration_date": D,
        "created_date": TS,
        "system_modstamp": TS,
    },
    "product": {
        "id": S,
        "name": S,
        "product_code": S,
        "family": S,
        "list_price": F,
        "is_active": B,
        "system_modstamp": TS,
    },
    "order": {
        "id": S,
        "account_id": S,
        "contact_id": S,
        "opportunity_id": S,
        "order_number": S,
        "status": S,
        "effective_date": D,
        "channel": S,
        "currency_iso_code": S,
        "total_amount": F,
        "created_date": TS,
        "system_modstamp": TS,
    },
    "order_item": {
        "id": S,
        "order_id": S,
        "product_id": S,
        "quantity": INT,
        "unit_price": F,
        "discount": F,
        "total_price": F,
        "system_modstamp": TS,
    },
    "user": {
        "id": S,
        "name": S,
        "email": S,
        "title": S,
        "team": S,
        "region": S,
        "manager_id": S,
        "is_active": B,
        "system_modstamp": TS,
    },
    "quota": {"id": S, "owner_id": S, "period_start": D, "quota_amount": F, "currency_iso_code": S},
    "currency_rate": {"iso_code": S, "start_date": D, "next_start_date": D, "conversion_rate": F},
}
SUPPORT: dict[str, dict[str, pl.DataType | type[pl.DataType]]] = {
    "organizations": {
        "id": INT,
        "name": S,
        "domain_names": pl.List(S),
        "external_id": S,
        "tags": pl.List(S),
        "created_at": TS,
        "updated_at": TS,
        "deleted_at": TS,
    },
    "users": {
        "id": INT,
        "name": S,
        "email": S,
        "role": S,
        "organization_id": INT,
        "phone": S,
        "time_zone": S,
        "suspended": B,
        "created_at": TS,
        "updated_at": TS,
    },
    "tickets": {
        "id": INT,
        "subject": S,
        "status": S,
        "priority": S,
        "type": S,
        "via": pl.Struct({"channel": S}),
        "requester_id": INT,
        "submitter_id": INT,
        "assignee_id": INT,
        "group_id": INT,
        "organization_id": INT,
        "tags": pl.List(S),
        "custom_fields": pl.List(pl.Struct({"id": INT, "value": S})),
        "created_at": TS,
        "updated_at": TS,
    },
    "ticket_events": {
        "id": INT,
        "ticket_id": INT,
        "created_at": TS,
        "author_id": INT,
        "event_type": S,
        "field_name": S,
        "value": S,
        "previous_value": S,
        "public": B,
    },
    "satisfaction_ratings": {
        "id": INT,
        "ticket_id": INT,
        "requester_id": INT,
        "assignee_id": INT,
        "score": S,
        "comment": S,
        "reason": S,
        "created_at": TS,
        "updated_at": TS,
    },
    "groups": {"id": INT, "name": S},
    "sla_policies": {
        "id": INT,
        "title": S,
        "priority": S,
        "metric": S,
        "target_minutes": INT,
        "business_hours": B,
        "schedule_time_zone": S,
        "schedule_intervals": pl.List(
            pl.Struct({"weekday": pl.Int8, "start_minute": pl.Int32, "end_minute": pl.Int32})
        ),
        "holidays": pl.List(D),
    },
}
MARKETING: dict[str, list[str]] = {
    "contacts": [
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
    ],
    "campaigns": [
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
    ],
    "email_events": [
        "event_id",
        "campaign_id",
        "contact_id",
        "recipient",
        "type",
        "created_at",
        "url",
        "device_type",
        "bounce_category",
    ],
    "form_submissions": [
        "submission_id",
        "contact_id",
        "email",
        "form_name",
        "page_url",
        "utm_source",
        "utm_medium",
        "utm_campaign",
        "submitted_at",
    ],
    "ad_spend": ["date", "campaign_id", "channel", "impressions", "clicks", "cost", "currency"],
    "nps_responses": ["response_id", "email", "score", "comment", "survey_name", "submitted_at"],
}


def _hashes(root: Path) -> dict[str, str]:
    return {
        str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


def _run(root: Path, **kwargs: object) -> Path:
    generate(root / "world", root / "truth", sf=SF, **kwargs)  # type: ignore[arg-type]
    return root


@pytest.fixture(scope="module")
def out(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _run(tmp_path_factory.mktemp("world_seed7"), seed=7)


@pytest.fixture(scope="module")
def world(out: Path) -> Iterator[dict[str, pl.DataFrame]]:
    frames = {f"{p.parent.name}.{p.stem}": pl.read_parquet(p) for p in (out / "world").rglob("*.parquet")}
    yield frames


@pytest.fixture(scope="module")
def truth(out: Path) -> dict[str, pl.DataFrame]:
    t = out / "truth"
    frames = {p.stem: pl.read_parquet(p) for p in t.glob("*.parquet")}
    frames |= {f"expected.{p.stem}": pl.read_parquet(p) for p in (t / "expected").glob("*.parquet")}
    return frames


def _latest(df: pl.DataFrame, key: str = "id") -> pl.DataFrame:
    """The last version of each record (file order breaks ties, as the transports read it)."""
    return df.with_row_index("_row").sort(["_visible_at", "_row"]).group_by(key, maintain_order=True).last()


# --- determinism ----------------------------------------------------------------------------------


def test_same_seed_gives_byte_identical_files(out: Path, tmp_path: Path) -> None:
    again = _run(tmp_path / "again", seed=7)
    first, second = _hashes(out), _hashes(again)
    assert len(first) >= 35
    assert first == second


def test_a_different_seed_gives_different_data(out: Path, tmp_path: Path) -> None:
    other = _hashes(_run(tmp_path / "other", seed=8))
    mine = _hashes(out)
    differing = [name for name in mine if name.endswith(".parquet") and mine[name] != other.get(name)]
    assert "world/sales/order.parquet" in differing
    assert "world/marketing/email_events.parquet" in differing
    assert len(differing) >= 30  # only fixed reference tables (groups, SLA policies) may coincide


def test_rerun_replaces_the_previous_world_and_leaves_no_partial_dirs(tmp_path: Path) -> None:
    root = _run(tmp_path / "w", seed=7)
    (root / "world" / "stale.txt").write_text("left over", encoding="utf-8")
    _run(root, seed=7)
    assert not (root / "world" / "stale.txt").exists()
    assert sorted(p.name for p in root.iterdir()) == ["truth", "world"]


# --- the contract ---------------------------------------------------------------------------------


@pytest.mark.parametrize("table", sorted(SALES))
def test_sales_tables_match_the_contract(world: dict[str, pl.DataFrame], table: str) -> None:
    df = world[f"sales.{table}"]
    expected = dict(SALES[table])
    expected["_visible_at"] = TS
    assert dict(df.schema) == expected
    assert df.height > 0


@pytest.mark.parametrize("entity", sorted(SUPPORT))
def test_support_entities_match_the_contract(world: dict[str, pl.DataFrame], entity: str) -> None:
    df = world[f"support.{entity}"]
    assert dict(df.schema) == {**SUPPORT[entity], "_visible_at": TS}
    assert df.height > 0


@pytest.mark.parametrize("file_kind", sorted(MARKETING))
def test_marketing_files_are_all_text_as_exported(world: dict[str, pl.DataFrame], file_kind: str) -> None:
    df = world[f"marketing.{file_kind}"]
    extra = ["hs_persona"] if file_kind == "contacts" else []  # the column added mid-history
    assert df.columns == [*MARKETING[file_kind], "_delivery_date", "_visible_at", *extra]
    assert all(df.schema[c] == pl.String for c in MARKETING[file_kind] + extra)
    assert df.schema["_delivery_date"] == pl.Date and df.schema["_visible_at"] == TS


def test_versions_become_visible_when_written(world: dict[str, pl.DataFrame]) -> None:
    for table in ("account", "contact", "lead", "opportunity", "order", "quote"):
        df = world[f"sales.{table}"]
        assert (df["_visible_at"] == df["system_modstamp"]).all(), table
    for entity in ("organizations", "users", "tickets"):
        df = world[f"support.{entity}"]
        assert (df["_visible_at"] == df["updated_at"]).all(), entity
    events = world["support.ticket_events"]
    assert (events["_visible_at"] >= events["created_at"]).all()
    end = pl.datetime(2026, 11, 1, time_zone="UTC")
    assert world["sales.order"].select((pl.col("_visible_at") < end).all()).item()


def test_scale_matches_sources_md(world: dict[str, pl.DataFrame]) -> None:
    def records(name: str, key: str = "id") -> int:
        return world[name][key].n_unique()

    assert 800 <= records("sales.account") <= 1_600  # ≈100k customer accounts at SF 1 (+ prospects)
    assert 8_000 <= records("sales.order") <= 12_000  # 1M orders
    assert 25_000 <= records("sales.order_item") <= 35_000  # 3M order items
    assert 4_000 <= records("support.tickets") <= 6_000  # 500k tickets
    assert 3_000 <= records("sales.lead") <= 5_000  # 400k leads
    assert 1_500 <= records("sales.opportunity") <= 2_600  # 200k opportunities
    assert 80_000 <= world["marketing.email_events"].height <= 120_000  # 10M email events
    assert 150_000 <= sum(df.height for df in world.values()) <= 400_000  # ≈200k rows at SF 0.01


def test_delivery_plan_covers_every_day_and_matches_the_rows(world: dict[str, pl.DataFrame]) -> None:
    plan = world["marketing._deliveries"]
    assert plan.height == 730 * 6
    assert set(plan["fault"].unique()) <= {
        "none",
        "late",
        "truncated",
        "redelivered",
        "bad_encoding",
        "malformed",
        "schema_added_column",
        "schema_renamed_column",
    }
    assert (
        plan.filter(pl.col("fault") == "schema_added_column")["fault_detail"].str.contains("hs_persona").all()
    )
    for kind in MARKETING:
        rows = world[f"marketing.{kind}"].group_by("_delivery_date").len()
        planned = plan.filter(pl.col("file_kind") == kind).join(
            rows, left_on="delivery_date", right_on="_delivery_date", how="left"
        )
        assert (planned["rows"] == planned["len"].fill_null(0)).all(), kind
    late = plan.filter(pl.col("fault") == "late")
    assert (late["visible_at"].dt.date() > late["delivery_date"]).all()


# --- dirt -------------------------------------------------------------------------------------------


def test_every_dirt_kind_of_sources_md_is_injected(truth: dict[str, pl.DataFrame]) -> None:
    kinds = set(truth["dirt"]["kind"].unique())
    assert kinds >= {
        "email_case_padding",
        "gmail_dots_tags",
        "personal_email",
        "name_typo",
        "nickname",
        "company_suffix_variant",
        "duplicate_account",
        "org_without_domain",
        "shared_mailbox",
        "test_record",
        "null_optional",
        "invalid_email",
        "negative_quantity",
        "thousands_separator",
        "mixed_date_format",
        "timestamp_offset",
        "future_date",
        "unknown_enum",
        "duplicate_event",
        "late_event",
        "out_of_order_update",
        "deleted_record",
        "accented_name",
        "embedded_newline_quote",
        "truncated_file",
        "schema_added_column",
        "schema_renamed_column",
    }


def test_observed_dirt_rates_match_the_configuration(out: Path, truth: dict[str, pl.DataFrame]) -> None:
    config = json.loads((out / "truth" / "config.json").read_text(encoding="utf-8"))
    logged = truth["dirt"].group_by("source", "entity", "field", "kind").len()
    checked = 0
    for row in config["dirt_summary"]:
        n, rate = row["eligible"], row["rate"]
        if not n or n < 300 or rate == 0:
            continue
        injected = row["injected"]
        sigma = (n * rate * (1 - rate)) ** 0.5
        # Transforms that would leave a value unchanged are not counted as faults: allow 10% below.
        assert 0.9 * n * rate - 4 * sigma - 2 <= injected <= n * rate + 4 * sigma + 2, row
        checked += 1
    assert checked >= 25
    # The log has one row per fault the summary counts.
    total = logged["len"].sum()
    assert total == sum(r["injected"] for r in config["dirt_summary"])


def test_logged_dirty_values_are_what_the_sources_hold(
    world: dict[str, pl.DataFrame], truth: dict[str, pl.DataFrame]
) -> None:
    dirt = truth["dirt"]
    emails = dirt.filter(
        (pl.col("source") == "sales") & (pl.col("entity") == "contact") & (pl.col("field") == "email")
    )
    contacts = _latest(world["sales.contact"]).select("id", "email")
    last_fault = emails.group_by("record_id", maintain_order=True).last()
    joined = last_fault.join(contacts, left_on="record_id", right_on="id")
    assert joined.height == last_fault.height > 10
    assert (joined["dirty_value"] == joined["email"]).all()
    nulls = dirt.filter(
        (pl.col("entity") == "account")
        & (pl.col("kind") == "null_optional")
        & (pl.col("field") == "industry")
    )
    accounts = _latest(world["sales.account"]).filter(pl.col("id").is_in(nulls["record_id"].implode()))
    assert accounts.height == nulls.height and accounts["industry"].is_null().all()


def test_zero_rates_give_clean_data_and_an_override_changes_a_rate(tmp_path: Path) -> None:
    override = tmp_path / "clean.yml"
    default = json.loads(json.dumps(__import__("seeds.generator.dirt", fromlist=["load_rates"]).load_rates()))
    sections = {"identity": {}, "values": {}, "delivery": {}}  # type: dict[str, dict[str, float]]
    for kind in default:
        sections["values"][kind] = 0.0
    sections["values"]["email_case_padding"] = 0.25
    override.write_text(
        "\n".join(
            f"{s}:\n" + "".join(f"  {k}: {v}\n" for k, v in body.items()) or f"{s}: {{}}"
            for s, body in sections.items()
            if body
        ),
        encoding="utf-8",
    )
    root = _run(tmp_path / "clean", seed=7, dirt=override)
    dirt = pl.read_parquet(root / "truth" / "dirt.parquet")
    assert set(dirt["kind"].unique()) == {"email_case_padding"}
    contacts = pl.read_parquet(root / "world" / "sales" / "contact.parquet")
    rate = dirt.filter(pl.col("entity") == "contact").height / contacts["id"].n_unique()
    assert 0.2 <= rate <= 0.3
    assert not contacts["is_deleted"].any()
    plan = pl.read_parquet(root / "world" / "marketing" / "_deliveries.parquet")
    assert (plan["fault"] == "none").all()
    events = pl.read_parquet(root / "world" / "marketing" / "email_events.parquet")
    assert events["event_id"].is_unique().all() and events["created_at"].str.ends_with("+00:00").all()
    config = json.loads((root / "truth" / "config.json").read_text(encoding="utf-8"))
    assert config["dirt_rates"]["email_case_padding"] == 0.25


# --- truth --------------------------------------------------------------------------------------------


def _clean_items(world: dict[str, pl.DataFrame]) -> pl.DataFrame:
    """Order items at their first version (returns recorded as negative quantities come later)."""
    items = world["sales.order_item"]
    return (
        items.with_row_index("_row").sort(["_visible_at", "_row"]).group_by("id", maintain_order=True).first()
    )


def test_order_totals_are_the_sum_of_their_items(world: dict[str, pl.DataFrame]) -> None:
    sums = _clean_items(world).group_by("order_id").agg(pl.col("total_price").sum().alias("items"))
    orders = _latest(world["sales.order"]).join(sums, left_on="id", right_on="order_id")
    assert orders.height == world["sales.order"]["id"].n_unique()
    assert ((orders["total_amount"] - orders["items"]).abs() < 0.011).all()


def test_expected_revenue_follows_from_the_sales_world(
    world: dict[str, pl.DataFrame], truth: dict[str, pl.DataFrame]
) -> None:
    orders = _latest(world["sales.order"])
    rates = world["sales.currency_rate"]
    conv = orders.join(rates, left_on="currency_iso_code", right_on="iso_code").filter(
        (pl.col("effective_date") >= pl.col("start_date"))
        & (pl.col("effective_date") < pl.col("next_start_date"))
    )
    assert conv.height == orders.height
    accounts = truth["record_map"].filter((pl.col("source") == "sales") & (pl.col("entity") == "account"))
    sign = (
        pl.when(pl.col("status").is_in(["Activated", "Fulfilled"]))
        .then(1.0)
        .when(pl.col("status") == "Returned")
        .then(-1.0)
        .otherwise(0.0)
    )
    mine = (
        conv.join(accounts, left_on="account_id", right_on="record_id")
        .group_by("customer_id", pl.col("effective_date").dt.truncate("1mo").alias("month"))
        .agg((sign * pl.col("total_amount") / pl.col("conversion_rate")).sum().alias("mine"))
    )
    expected = truth["expected.revenue_by_customer_month"].join(
        mine, on=["customer_id", "month"], how="full", coalesce=True
    )
    assert expected.height == truth["expected.revenue_by_customer_month"].height
    assert ((expected["revenue_usd"] - expected["mine"]).abs() < 0.02).all()


def test_every_person_like_record_maps_to_the_truth(
    world: dict[str, pl.DataFrame], truth: dict[str, pl.DataFrame]
) -> None:
    rmap = truth["record_map"]
    assert rmap.select(pl.struct("source", "entity", "record_id").is_unique().all()).item()
    resolved = (
        pl.col("person_id").is_not_null()
        | pl.col("customer_id").is_not_null()
        | pl.col("is_test")
        | pl.col("is_shared_mailbox")
    )
    assert rmap.select(resolved.all()).item()
    sources = {
        ("sales", "account"): world["sales.account"]["id"],
        ("sales", "contact"): world["sales.contact"]["id"],
        ("sales", "lead"): world["sales.lead"]["id"],
        ("support", "organizations"): world["support.organizations"]["id"].cast(pl.String),
        ("support", "users"): world["support.users"]
        .filter(pl.col("role") == "end-user")["id"]
        .cast(pl.String),
        ("marketing", "contacts"): world["marketing.contacts"]["contact_id"],
        ("marketing", "form_submissions"): world["marketing.form_submissions"]["submission_id"],
        ("marketing", "nps_responses"): world["marketing.nps_responses"]["response_id"],
    }
    for (source, entity), ids in sources.items():
        mapped = rmap.filter((pl.col("source") == source) & (pl.col("entity") == entity))["record_id"]
        assert set(ids.unique()) == set(mapped), (source, entity)
    persons = truth["persons"]["person_id"]
    assert rmap["person_id"].drop_nulls().is_in(persons.implode()).all()
    # One true person shows up in several sources: that is what identity resolution must recover.
    spread = rmap.drop_nulls("person_id").group_by("person_id").agg(pl.col("source").n_unique().alias("n"))
    assert spread.filter(pl.col("n") == 3).height > 500


def test_expected_first_replies_follow_from_the_ticket_events(
    world: dict[str, pl.DataFrame], truth: dict[str, pl.DataFrame]
) -> None:
    agents = world["support.users"].filter(pl.col("role") != "end-user")["id"]
    events = world["support.ticket_events"].unique("id", keep="first", maintain_order=True)
    first = (
        events.filter(
            (pl.col("event_type") == "Comment")
            & pl.col("public")
            & pl.col("author_id").is_in(agents.implode())
        )
        .group_by("ticket_id")
        .agg(pl.col("created_at").min().alias("reply"))
    )
    created = _latest(world["support.tickets"]).select("id", "created_at")
    mine = created.join(first, left_on="id", right_on="ticket_id").with_columns(
        ((pl.col("reply") - pl.col("created_at")).dt.total_seconds() / 60).alias("mine")
    )
    expected = truth["expected.tickets"].join(mine, left_on="ticket_id", right_on="id")
    assert expected.height == truth["expected.tickets"]["first_reply_minutes"].drop_nulls().len() > 3_000
    assert ((expected["first_reply_minutes"] - expected["mine"]).abs() < 0.01).all()


def test_expected_campaign_sends_follow_from_the_email_events(
    world: dict[str, pl.DataFrame], truth: dict[str, pl.DataFrame]
) -> None:
    events = world["marketing.email_events"].unique("event_id", keep="first", maintain_order=True)
    sent = events.filter(pl.col("type") == "SENT").group_by("campaign_id").len()
    expected = (
        truth["expected.campaigns"]
        .filter(pl.col("sends") > 0)
        .join(sent, on="campaign_id", how="full", coalesce=True)
    )
    assert (expected["sends"] == expected["len"]).all()
    assert (expected["unique_opens"] <= expected["delivered"]).all()


# --- the story a manager recognises -----------------------------------------------------------------


def test_the_world_tells_a_recognisable_story(truth: dict[str, pl.DataFrame]) -> None:
    revenue = (
        truth["expected.revenue_by_customer_month"].group_by("customer_id").agg(pl.col("revenue_usd").sum())
    )
    top = float(revenue.sort("revenue_usd", descending=True).head(revenue.height // 10)["revenue_usd"].sum())
    assert top / float(revenue["revenue_usd"].sum()) > 0.5  # a few big accounts carry the business
    pipeline = truth["expected.pipeline_by_month"]
    won, lost = int(pipeline["won_count"].sum()), int(pipeline["lost_count"].sum())
    win_rate = won / (won + lost)
    assert 0.25 <= win_rate <= 0.6
    tickets = truth["expected.tickets"].drop_nulls("csat")
    bad = tickets.group_by("first_reply_breached").agg((pl.col("csat") == "bad").mean().alias("bad"))
    by_breach = dict(bad.iter_rows())
    assert by_breach[True] > by_breach[False] + 0.1  # CSAT falls with SLA breaches
    customers = truth["customers"].filter(pl.col("is_customer"))
    back = customers.drop_nulls("reactivated_date")
    assert back.height > 0 and (back["reactivated_date"] > back["winback_date"]).all()
    assert (back["winback_date"] > back["churn_date"]).all()
    funnel = truth["expected.lead_funnel"].sum()
    assert (
        funnel["leads"][0]
        > funnel["mql"][0]
        > funnel["sql"][0]
        > funnel["opportunities"][0]
        > funnel["won"][0]
    )


def test_config_json_records_the_run(out: Path) -> None:
    config = json.loads((out / "truth" / "config.json").read_text(encoding="utf-8"))
    world_json = json.loads((out / "world" / "world.json").read_text(encoding="utf-8"))
    assert config["sf"] == SF and config["seed"] == 7
    assert (
        config["start"] == date(2024, 11, 1).isoformat() and config["end"] == date(2026, 10, 31).isoformat()
    )
    assert world_json["corporate_currency"] == "USD"
    assert world_json["row_counts"] == config["row_counts"]
