"""The dbt warehouse against the generator's truth at SF 0.01 (one build shared by every test here).

What must hold: identity resolution finds the true persons (pairwise precision ≥ 0.99, recall ≥ 0.95)
and the true customers; revenue per customer and month equals the truth to the cent; the segment sizes
equal those derived from the truth with the definitions of marts.md; an incremental run equals a full
refresh; the SCD2 history records changes; dbt built every model, snapshot and test it has.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import duckdb
import polars as pl
import pytest
from dbt_warehouse import BuiltWarehouse, TruthWarehouse

from crm.settings import Settings
from crm.transform import build, dbt_environment, preview_marts

pytestmark = pytest.mark.slow

MARTS = (
    "dim_customer",
    "dim_person",
    "fct_orders",
    "fct_order_items",
    "fct_opportunities",
    "fct_tickets",
    "fct_email_events",
    "fct_nps_responses",
    "customer_360",
    "segment_performance",
)
# Incremental staging (delete+insert on their key, re-ranking the keys loaded since the last run).
INCREMENTAL_STAGING = (
    "stg_marketing__email_events",
    "stg_marketing__contacts",
    "stg_sales__orders",
    "stg_sales__order_items",
    "stg_support__ticket_events",
)
PRECISION_FLOOR = 0.99
RECALL_FLOOR = 0.95
# Revenue per customer and month is compared to the cent; "exact" allows the half-cent a float total
# in the truth may round the other way (compared after rounding the difference, so that a one-cent
# difference of two floats is not read as 0.0100000001).
CENT = 0.01


def beyond_cents(difference: pl.Expr, tolerance: pl.Expr | float) -> pl.Expr:
    """Whether an absolute money difference exceeds ``tolerance``, ignoring float noise below a micro."""
    return difference.abs().round(6) > tolerance


def pairwise_scores(
    con: duckdb.DuckDBPyConnection,
    truth_path: str,
    clusters: str,
    truth_key: str,
    predicted_key: str,
    where: str,
) -> tuple[float, float, int]:
    """Pairwise precision and recall of a clustering against the truth, and the number of true pairs.

    Pairs are counted from group sizes (n·(n−1)/2), over the records both sides know.
    """
    row = con.sql(f"""
        with joined as (
            select truth.{truth_key} as true_key, clusters.{predicted_key} as predicted_key
            from read_parquet('{truth_path}') as truth
            inner join {clusters} as clusters
                on clusters.record_key = truth.source || ':' || truth.entity || ':' || truth.record_id
            where {where}
        ),
        both_agree as (select sum(n * (n - 1) / 2) as pairs from
            (select count(*) as n from joined group by true_key, predicted_key)),
        truly as (select sum(n * (n - 1) / 2) as pairs from
            (select count(*) as n from joined group by true_key)),
        predicted as (select sum(n * (n - 1) / 2) as pairs from
            (select count(*) as n from joined group by predicted_key))
        select both_agree.pairs / predicted.pairs, both_agree.pairs / truly.pairs, truly.pairs
        from both_agree, truly, predicted
    """).fetchall()[0]
    return float(row[0]), float(row[1]), int(row[2])


def test_every_model_snapshot_and_test_of_the_project_ran_and_passed(warehouse: BuiltWarehouse) -> None:
    summary = warehouse.incremental_build
    assert summary.success and not summary.failures
    assert summary.count("model") >= 55
    assert summary.count("snapshot") == 1
    assert summary.count("unit_test") >= 3
    assert summary.count("test") >= 150
    with warehouse.connect() as con:
        for mart in MARTS:
            assert con.sql(f"select count(*) from marts.{mart}").fetchall()[0][0] > 0, mart


def test_identity_resolution_finds_the_true_persons(truth_warehouse: TruthWarehouse) -> None:
    truth = str(truth_warehouse.truth_dir / "record_map.parquet")
    with truth_warehouse.connect() as con:
        precision, recall, true_pairs = pairwise_scores(
            con,
            truth,
            "intermediate.int_person_records_clustered",
            "person_id",
            "person_id",
            "truth.person_id is not null and not truth.is_test and not truth.is_shared_mailbox",
        )
    assert true_pairs > 5_000
    assert precision >= PRECISION_FLOOR, f"person precision {precision:.4f}"
    assert recall >= RECALL_FLOOR, f"person recall {recall:.4f}"


def test_identity_resolution_finds_the_true_customers(truth_warehouse: TruthWarehouse) -> None:
    truth = str(truth_warehouse.truth_dir / "record_map.parquet")
    with truth_warehouse.connect() as con:
        precision, recall, true_pairs = pairwise_scores(
            con,
            truth,
            "intermediate.int_organization_records_clustered",
            "customer_id",
            "customer_id",
            "truth.customer_id is not null and not truth.is_test",
        )
    assert true_pairs > 300
    assert precision >= PRECISION_FLOOR, f"customer precision {precision:.4f}"
    assert recall >= RECALL_FLOOR, f"customer recall {recall:.4f}"


def test_test_records_and_shared_mailboxes_join_no_real_person(truth_warehouse: TruthWarehouse) -> None:
    truth = str(truth_warehouse.truth_dir / "record_map.parquet")
    with truth_warehouse.connect() as con:
        merged = con.sql(f"""
            with flagged as (
                select clusters.person_id
                from read_parquet('{truth}') as truth
                inner join intermediate.int_person_records_clustered as clusters
                    on clusters.record_key = truth.source || ':' || truth.entity || ':' || truth.record_id
                where truth.is_test or truth.is_shared_mailbox
            )
            select count(*)
            from read_parquet('{truth}') as truth
            inner join intermediate.int_person_records_clustered as clusters
                on clusters.record_key = truth.source || ':' || truth.entity || ':' || truth.record_id
            where truth.person_id is not null and not truth.is_test and not truth.is_shared_mailbox
                and clusters.person_id in (select person_id from flagged)
        """).fetchall()[0][0]
    assert merged == 0


def _customer_months(con: duckdb.DuckDBPyConnection, truth_dir: Any) -> pl.DataFrame:
    """Truth revenue per customer and month beside the marts' (by the truth customer of each account)."""
    return con.sql(f"""
        with customer_truth as (
            select distinct clusters.customer_id as customer_id, truth.customer_id as true_customer_id
            from intermediate.int_organization_records_clustered as clusters
            inner join read_parquet('{truth_dir / "record_map.parquet"}') as truth
                on clusters.record_key = truth.source || ':' || truth.entity || ':' || truth.record_id
            where truth.customer_id is not null
        ),
        marts as (
            select customer_truth.true_customer_id, orders.effective_month as month,
                round(sum(orders.revenue_usd), 2) as revenue_usd
            from marts.fct_orders as orders
            inner join customer_truth on orders.customer_id = customer_truth.customer_id
            group by all
        ),
        truth as (
            select customer_id as true_customer_id, month, revenue_usd
            from read_parquet('{truth_dir / "expected" / "revenue_by_customer_month.parquet"}')
        )
        select coalesce(truth.true_customer_id, marts.true_customer_id) as customer_id,
            coalesce(truth.month, marts.month) as month,
            truth.revenue_usd as truth_revenue_usd, cast(marts.revenue_usd as double) as marts_revenue_usd
        from truth
        full outer join marts using (true_customer_id, month)
    """).pl()


def test_revenue_per_customer_and_month_equals_the_truth(truth_warehouse: TruthWarehouse) -> None:
    with truth_warehouse.connect() as con:
        months = _customer_months(con, truth_warehouse.truth_dir)
        mapping = con.sql(f"""
            select count(distinct clusters.customer_id), count(distinct truth.customer_id)
            from intermediate.int_organization_records_clustered as clusters
            inner join read_parquet('{truth_warehouse.truth_dir / "record_map.parquet"}') as truth
                on clusters.record_key = truth.source || ':' || truth.entity || ':' || truth.record_id
            where truth.customer_id is not null and truth.entity = 'account'
        """).fetchall()[0]
    assert mapping[0] == mapping[1], "every true customer with accounts is exactly one customer in the marts"
    assert months.height > 1_000
    missing = months.filter(pl.col("truth_revenue_usd").is_null() | pl.col("marts_revenue_usd").is_null())
    assert missing.is_empty(), missing.head()
    off = months.filter(beyond_cents(pl.col("truth_revenue_usd") - pl.col("marts_revenue_usd"), CENT))
    assert off.is_empty(), off.head()


def test_segment_sizes_equal_sizes_derived_from_the_truth(truth_warehouse: TruthWarehouse) -> None:
    """Monthly customers, new, active, churned and won-back customers, and value-tier sizes and revenue,
    recomputed from the truth's orders per customer and month with marts.md's definitions. Revenue a
    customer books before it counts as one (a return before its first qualifying order) is Bronze's, as
    segment_performance states, so the tiers' revenue adds up to the truth's of every month."""
    truth = pl.read_parquet(truth_warehouse.truth_dir / "expected" / "revenue_by_customer_month.parquet")
    qualifying = truth.with_columns(
        (pl.col("orders") - pl.col("cancelled_orders") - pl.col("returned_orders")).alias("qualifying")
    )
    with truth_warehouse.connect() as con:
        months = con.sql("select month_start_date as month from intermediate.int_calendar_months").pl()
        segments = con.sql("""
            select segment_type, segment, month_start_date as month, customers, new_customers,
                active_customers, churned_customers, won_back_customers,
                cast(revenue_usd as double) as revenue_usd
            from marts.segment_performance
        """).pl()
        # the mart breaks ties in trailing revenue by its own customer id
        mart_ids = con.sql(f"""
            select distinct truth.customer_id, clusters.customer_id as mart_customer_id
            from intermediate.int_organization_records_clustered as clusters
            inner join read_parquet('{truth_warehouse.truth_dir / "record_map.parquet"}') as truth
                on clusters.record_key = truth.source || ':' || truth.entity || ':' || truth.record_id
            where truth.customer_id is not null and truth.entity = 'account'
        """).pl()
    first = (
        qualifying.filter(pl.col("qualifying") > 0)
        .group_by("customer_id")
        .agg(pl.col("month").min().alias("first"))
    )
    grid = first.join(months, how="cross").filter(pl.col("month") >= pl.col("first"))
    grid = (
        grid.join(
            qualifying.select("customer_id", "month", "qualifying", "revenue_usd"),
            on=["customer_id", "month"],
            how="left",
        )
        .fill_null(0)
        .sort("customer_id", "month")
    )
    grid = grid.with_columns(
        pl.col("qualifying").rolling_sum(12, min_samples=1).over("customer_id").alias("orders_12"),
        pl.col("revenue_usd").rolling_sum(12, min_samples=1).over("customer_id").alias("revenue_12"),
    ).with_columns((pl.col("orders_12") > 0).alias("active"))
    grid = grid.with_columns(
        pl.col("active").shift(1).over("customer_id").fill_null(False).alias("was_active")
    )
    grid = grid.with_columns(
        (pl.col("was_active") & ~pl.col("active")).alias("churned"),
        (pl.col("active") & ~pl.col("was_active") & (pl.col("month") > pl.col("first"))).alias("won_back"),
        (pl.col("month") == pl.col("first")).alias("new"),
    )
    expected = (
        grid.group_by("month")
        .agg(
            pl.len().alias("customers"),
            pl.col("new").sum().alias("new_customers"),
            pl.col("active").sum().alias("active_customers"),
            pl.col("churned").sum().alias("churned_customers"),
            pl.col("won_back").sum().alias("won_back_customers"),
        )
        .sort("month")
    )
    for segment_type in ("value_tier", "rfm_segment", "industry_size_band", "lifecycle_stage"):
        observed = (
            segments.filter(pl.col("segment_type") == segment_type)
            .group_by("month")
            .agg(
                pl.col(
                    "customers",
                    "new_customers",
                    "active_customers",
                    "churned_customers",
                    "won_back_customers",
                ).sum()
            )
            .sort("month")
        )
        joined = expected.join(observed, on="month", how="full", suffix="_marts")
        for measure in (
            "customers",
            "new_customers",
            "active_customers",
            "churned_customers",
            "won_back_customers",
        ):
            bad = joined.filter(pl.col(measure) != pl.col(f"{measure}_marts"))
            assert bad.is_empty(), f"{segment_type}.{measure}: {bad.head()}"

    # Ties: the truth rounds each month to the cent, so two customers a fraction of a cent apart in the
    # mart can tie here; ordering ties by the mart's customer id, as the mart does, keeps them apart.
    ranked = (
        grid.join(mart_ids, on="customer_id", how="left")
        .with_columns(pl.col("revenue_12").round(2).alias("revenue_12_cents"))
        .sort(["month", "revenue_12_cents", "mart_customer_id"], descending=[False, True, False])
        .with_columns(
            pl.col("revenue_12").cum_count().over("month").alias("rank"),
            pl.len().over("month").alias("n"),
        )
    ).with_columns(
        pl.when(pl.col("rank") <= 0.05 * pl.col("n"))
        .then(pl.lit("Platinum"))
        .when(pl.col("rank") <= 0.20 * pl.col("n"))
        .then(pl.lit("Gold"))
        .when(pl.col("rank") <= 0.50 * pl.col("n"))
        .then(pl.lit("Silver"))
        .otherwise(pl.lit("Bronze"))
        .alias("segment")
    )
    tiers = ranked.group_by("month", "segment").agg(
        pl.len().alias("customers"), pl.col("revenue_usd").sum(), pl.lit(0).alias("outside_rows")
    )
    outside = (
        truth.join(grid, on=["customer_id", "month"], how="anti")
        .join(months, on="month", how="semi")
        .group_by("month")
        .agg(pl.col("revenue_usd").sum().alias("outside_usd"), pl.len().alias("outside"))
        .with_columns(pl.lit("Bronze").alias("segment"))
    )
    assert outside.height > 0, "the world books returns before some customers' first qualifying order"
    tiers = (
        tiers.join(outside, on=["month", "segment"], how="left")
        .with_columns(
            pl.col("revenue_usd") + pl.col("outside_usd").fill_null(0),
            pl.col("outside").fill_null(0).alias("outside_rows"),
        )
        .drop("outside_usd", "outside")
    )
    observed = segments.filter(pl.col("segment_type") == "value_tier").select(
        "month", "segment", "customers", "revenue_usd"
    )
    joined = tiers.join(observed, on=["month", "segment"], how="full", suffix="_marts")
    assert joined.filter(pl.col("customers") != pl.col("customers_marts")).is_empty()
    # Same members ⇒ same revenue, up to rounding: the truth rounds each customer-month to the cent,
    # the mart rounds the tier's total once — at most half a cent apart per customer.
    tolerance = 0.005 * (pl.col("customers") + pl.col("outside_rows")) + CENT
    off = joined.filter(beyond_cents(pl.col("revenue_usd") - pl.col("revenue_usd_marts"), tolerance))
    assert off.is_empty(), off.head()


def test_history_records_segment_changes_between_runs(warehouse: BuiltWarehouse) -> None:
    with warehouse.connect() as con:
        current, closed, customers, stamps = con.sql("""
            select count(*) filter (where dbt_valid_to is null),
                count(*) filter (where dbt_valid_to is not null),
                (select count(*) from marts.dim_customer),
                count(distinct dbt_valid_from)
            from marts.dim_customer_history
        """).fetchall()[0]
    assert current == customers
    assert closed > 0, "the second run must close versions of customers whose segment changed"
    assert stamps == 2, "versions are stamped with the data clock of the two runs, not the wall clock"


def test_demo_preview_reads_customer_360_and_segment_performance(warehouse: BuiltWarehouse) -> None:
    frames = preview_marts(warehouse.settings, rows=3)
    assert frames["customer_360"].height == 3
    assert frames["segment_performance"].height >= 3
    revenues = frames["customer_360"]["revenue_last_12_months_usd"].cast(pl.Float64).to_list()
    assert revenues == sorted(revenues, reverse=True)


def _table_hashes(con: duckdb.DuckDBPyConnection) -> dict[str, tuple[int, str]]:
    tables = [f"marts.{mart}" for mart in MARTS] + [f"staging.{model}" for model in INCREMENTAL_STAGING]
    hashes = {}
    for table in tables:
        hashes[table] = con.sql(f"""
            select count(*), md5(coalesce(string_agg(row_hash, '' order by row_hash), ''))
            from (select md5(cast(t as varchar)) as row_hash from {table} as t)
        """).fetchall()[0]
    return hashes


def _keys_versioned_in_both_loads(con: duckdb.DuckDBPyConnection, raw_table: str, key: str) -> int:
    """Keys of a raw table with a version in each of the two loads (the second must replace the first)."""
    return con.sql(f"""
        select count(*) from (
            select {key} from raw.{raw_table} group by {key} having count(distinct _loaded_at) > 1
        )
    """).fetchall()[0][0]


def _withdraw(
    con: duckdb.DuckDBPyConnection, entity: str, key_column: str, key: str, source_file: str
) -> None:
    """What the loader does when a re-delivered file no longer carries ``key``: record it, drop its rows."""
    con.execute(
        "insert into ops.withdrawn_keys values ('marketing', ?, ?, 'test__redelivery', now())", [entity, key]
    )
    con.execute(
        f"delete from raw.marketing__{entity} where {key_column} = ? and _source_file = ?", [key, source_file]
    )


def test_keys_a_redelivered_file_withdrew_leave_the_incremental_tables_as_a_full_refresh_would(
    warehouse: BuiltWarehouse, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """On a copy of the warehouse: one event that only its file carried, and one contact whose kept
    version came from the re-delivered file while an older file still carries another version."""
    copy = Settings.from_env(tmp_path / "copy")
    copy.warehouse_path.parent.mkdir(parents=True)
    shutil.copyfile(warehouse.settings.warehouse_path, copy.warehouse_path)
    for name, value in dbt_environment(copy).items():
        monkeypatch.setenv(name, value)  # restored afterwards for the tests that share the warehouse
    with duckdb.connect(str(copy.warehouse_path)) as con:
        event, event_file = con.execute("""
            select event_id, any_value(_source_file) from raw.marketing__email_events
            where event_id in (select email_event_id from marts.fct_email_events)
            group by event_id having count(distinct _source_file) = 1 order by event_id limit 1
        """).fetchall()[0]
        # a contact whose newest version (the one staged) only one file carries, and older ones others do
        contact, newest_file = con.execute("""
            with versions as (
                select contact_id, _source_file, updated_at,
                    max(updated_at) over (partition by contact_id) as newest
                from raw.marketing__contacts
            )
            select contact_id, any_value(_source_file) filter (where updated_at = newest)
            from versions
            group by contact_id
            having count(distinct _source_file) filter (where updated_at = newest) = 1
                and count(distinct _source_file) > 1
            order by contact_id limit 1
        """).fetchall()[0]
        staged = (
            f"select updated_at from staging.stg_marketing__contacts where marketing_contact_id = '{contact}'"
        )
        (kept_before,) = con.execute(staged).fetchall()[0]
        _withdraw(con, "email_events", "event_id", event, event_file)
        _withdraw(con, "contacts", "contact_id", contact, newest_file)

    incremental_run = build(copy)

    assert incremental_run.success, [node.unique_id for node in incremental_run.failures]
    with duckdb.connect(str(copy.warehouse_path), read_only=True) as con:
        gone = con.execute(f"""
            select
                (select count(*) from staging.stg_marketing__email_events where email_event_id = '{event}'),
                (select count(*) from marts.fct_email_events where email_event_id = '{event}')
        """).fetchall()[0]
        (kept_after,) = con.execute(staged).fetchall()[0]
        incremental = _table_hashes(con)
    assert gone == (0, 0)
    assert kept_after != kept_before, "the contact's version from the older file must be kept now"
    refreshed = build(copy, full_refresh=True)
    assert refreshed.success, [node.unique_id for node in refreshed.failures]
    with duckdb.connect(str(copy.warehouse_path), read_only=True) as con:
        assert _table_hashes(con) == incremental


def test_an_incremental_run_equals_a_full_refresh(warehouse: BuiltWarehouse) -> None:
    """The last test here: it rebuilds the warehouse (same data) with --full-refresh."""
    with warehouse.connect() as con:
        incremental = _table_hashes(con)
        loaded_late = con.sql(f"""
            select count(*) from marts.fct_email_events
            where occurred_date > date '{warehouse.first_day}'
        """).fetchall()[0][0]
        # incremental staging must replace a kept version by a later-loaded one (and by nothing older)
        reloaded = {
            raw_table: _keys_versioned_in_both_loads(con, raw_table, key)
            for raw_table, key in (("sales__order", "id"), ("marketing__contacts", "contact_id"))
        }
    assert loaded_late > 0, "the incremental run must have added events after the first load"
    assert all(reloaded.values()), reloaded
    refreshed = build(warehouse.settings, full_refresh=True)
    assert refreshed.success, [node.unique_id for node in refreshed.failures]
    with warehouse.connect() as con:
        full = _table_hashes(con)
    assert incremental == full
