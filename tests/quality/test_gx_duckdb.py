"""``quality.gx_duckdb``: why it exists, that it works on real DuckDB data, and that it stays scoped.

The first test documents the upstream bug the module works around: GX's own SQL datasource on DuckDB
cannot compute a single metric. If that test starts failing after a GX upgrade, GX has fixed the bug
and the module may be retired.
"""

from __future__ import annotations

import hashlib
import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb
import pytest
import sqlalchemy as sa

from quality.gx_duckdb import (
    GX_VERSION,
    DuckDBDatasource,
    DuckDBExecutionEngine,
    GXVersionError,
    add_duckdb,
    add_parquet_view,
    add_table_view,
    attach_read_only,
    check_gx_version,
)
from quality.gx_runtime import import_gx, new_context

gx = import_gx()
E = gx.expectations
LOCK = Path(__file__).resolve().parents[2] / "requirements.lock"
NEWEST = datetime(2026, 10, 1, 22, 0, tzinfo=UTC)

# 1,000 orders: every 10th without an account (100), ids 0..989 then ten repeats of 0..9, every 50th
# e-mail malformed (20), amounts 0..999 (ten above 989), channel "fax" on every 100th row (10).
ORDERS_SQL = f"""
select case when i < 990 then i else i - 990 end as id,
       case when i % 10 = 0 then null else 'A' || (i % 7) end as account_id,
       case when i % 50 = 0 then 'not-an-address' else 'p' || i || '@example.com' end as email,
       i::double as amount,
       case when i % 100 = 0 then 'fax' else 'web' end as channel,
       timestamptz '{NEWEST:%Y-%m-%d %H:%M:%S}+00' - to_minutes(i) as modified_at
from range(1000) t(i)
"""
CHECKS = [
    E.ExpectTableRowCountToBeBetween(min_value=1000, max_value=1000),
    E.ExpectColumnValuesToNotBeNull(column="account_id", mostly=0.95),
    E.ExpectColumnValuesToBeUnique(column="id"),
    E.ExpectColumnValuesToMatchRegex(column="email", regex=r"^[^@\s]+@[^@\s]+\.[^@\s]+$", mostly=0.95),
    E.ExpectColumnValuesToBeBetween(column="amount", min_value=0, max_value=989),
    E.ExpectColumnValuesToBeInSet(column="channel", value_set=["web", "field", "partner"], mostly=0.99),
    E.ExpectCompoundColumnsToBeUnique(column_list=["id", "email"]),
    E.ExpectColumnMaxToBeBetween(column="modified_at", min_value=datetime(2026, 10, 1, tzinfo=UTC)),
]


def serving_file(path: Path, schema: str = "marts") -> Path:
    with duckdb.connect(str(path)) as con:
        con.execute(f"create schema if not exists {schema}")
        con.execute(f"create table {schema}.orders as {ORDERS_SQL}")
    return path


def parquet_file(path: Path) -> Path:
    with duckdb.connect() as con:
        con.execute(f"copy ({ORDERS_SQL}) to '{path}' (format parquet)")
    return path


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def validate(batch: Any) -> dict[str, Any]:
    """Each expectation's result by expectation type; an exception anywhere fails the test."""
    outcome = batch.validate(gx.ExpectationSuite(name="orders", expectations=CHECKS))
    raised = [r.exception_info for r in outcome.results if r.exception_info.get("raised_exception")]
    assert not raised, raised
    return {r.expectation_config.type: r for r in outcome.results}


def assert_observed(results: dict[str, Any]) -> None:
    """The failures planted in ORDERS_SQL are reported with exactly the values planted."""
    assert results["expect_table_row_count_to_be_between"].success
    assert results["expect_table_row_count_to_be_between"].result["observed_value"] == 1000

    nulls = results["expect_column_values_to_not_be_null"]
    assert not nulls.success  # 10% null > 5% allowed
    assert (nulls.result["element_count"], nulls.result["unexpected_count"]) == (1000, 100)

    unique = results["expect_column_values_to_be_unique"]
    assert not unique.success
    assert unique.result["unexpected_count"] == 20  # ids 0..9, twice each
    assert set(unique.result["partial_unexpected_list"]) == set(range(10))

    email = results["expect_column_values_to_match_regex"]
    assert email.success  # 98% valid ≥ 95%: the regex runs in DuckDB (PostgreSQL's `~`)
    assert email.result["unexpected_count"] == 20
    assert set(email.result["partial_unexpected_list"]) == {"not-an-address"}

    amount = results["expect_column_values_to_be_between"]
    assert not amount.success
    assert amount.result["unexpected_count"] == 10
    assert sorted(amount.result["partial_unexpected_list"]) == [float(v) for v in range(990, 1000)]

    channel = results["expect_column_values_to_be_in_set"]
    assert channel.success  # 99% in the set ≥ 99%
    assert channel.result["unexpected_count"] == 10
    assert set(channel.result["partial_unexpected_list"]) == {"fax"}

    assert results["expect_compound_columns_to_be_unique"].success  # the repeated ids differ in e-mail
    newest = results["expect_column_max_to_be_between"]
    assert newest.success
    assert newest.result["observed_value"] == NEWEST


def test_without_the_fix_every_metric_fails(tmp_path: Path) -> None:
    """GX's own SQL datasource on DuckDB: the upstream bug ``quality.gx_duckdb`` exists for."""
    path = serving_file(tmp_path / "plain.duckdb", schema="main")
    context = new_context(None)
    with pytest.warns(UserWarning, match="a more specific DuckDBDatasource"):  # GX sees our type
        datasource = context.data_sources.add_sql("plain", connection_string=f"duckdb:///{path}")
        asset = datasource.add_table_asset("orders", table_name="orders")
    batch = asset.add_batch_definition_whole_table("all").get_batch()

    result = batch.validate(E.ExpectTableRowCountToBeBetween(min_value=1000, max_value=1000))

    assert not result.success
    messages = {info["exception_message"] for info in result.exception_info.values()}
    assert messages == {"list index out of range"}, "GX may have fixed DuckDB: see quality/gx_duckdb.py"
    datasource.get_execution_engine().close()


def test_a_duckdb_table_attached_read_only_validates_and_reports_real_failures(tmp_path: Path) -> None:
    path = serving_file(tmp_path / "serve.duckdb")
    before = sha256(path)
    datasource = add_duckdb(new_context(None), "duck")
    attach_read_only(datasource, "serve", path)
    asset = add_table_view(datasource, "orders", '"serve"."marts"."orders"')

    assert_observed(validate(asset.add_batch_definition_whole_table("all").get_batch()))

    with pytest.raises(sa.exc.DBAPIError, match="read-only"):
        datasource.execute("create table serve.marts.sneaky (i int)")
    datasource.close()
    assert sha256(path) == before
    with duckdb.connect(str(path)) as writer:  # the gate let go: a writer can open the file again
        writer.execute("drop table marts.orders")


def test_a_parquet_file_validates_through_a_view(tmp_path: Path) -> None:
    path = parquet_file(tmp_path / "orders.parquet")
    datasource = add_duckdb(new_context(None), "duck")
    asset = add_parquet_view(datasource, "orders_batch", path)

    assert_observed(validate(asset.add_batch_definition_whole_table("all").get_batch()))
    engine = datasource.get_execution_engine()
    assert isinstance(engine, DuckDBExecutionEngine)
    with engine.get_connection() as first, engine.get_connection() as second:
        assert first is second  # the fix: one connection, kept open
    datasource.close()


def test_the_fix_is_a_new_datasource_type_and_other_dialects_keep_gx_behaviour(
    tmp_path: Path, postgres_url: str
) -> None:
    from great_expectations.execution_engine import SqlAlchemyExecutionEngine
    from great_expectations.execution_engine.sqlite_execution_engine import SqliteExecutionEngine

    context = new_context(None)
    duck = add_duckdb(context, "duck")
    sqlite = context.data_sources.add_sqlite("lite", connection_string=f"sqlite:///{tmp_path / 'x.db'}")
    postgres = context.data_sources.add_postgres("pg", connection_string=postgres_url)
    with pytest.warns(UserWarning, match="a more specific DuckDBDatasource"):
        generic = context.data_sources.add_sql("generic", connection_string=f"duckdb:///{tmp_path / 'y.db'}")
        generic.get_engine()

    assert type(duck) is DuckDBDatasource and duck.type == "duckdb"
    assert type(sqlite.get_execution_engine()) is SqliteExecutionEngine
    assert type(postgres.get_execution_engine()) is SqlAlchemyExecutionEngine
    assert type(generic.get_execution_engine()) is SqlAlchemyExecutionEngine  # add_sql on DuckDB: unpatched
    # GX's pooled dialects still get a fresh connection per query (their behaviour is untouched) …
    for datasource in (postgres, generic):
        engine = datasource.get_execution_engine()
        with engine.get_connection() as first:
            pass
        with engine.get_connection() as second:
            assert second is not first and first.closed
        engine.close()
    # … and PostgreSQL still computes metrics through GX's code.
    with sa.create_engine(postgres_url.replace("postgresql://", "postgresql+psycopg://")).begin() as con:
        con.exec_driver_sql("create table t as select g as id from generate_series(1, 5) g")
    batch = postgres.add_table_asset("t", table_name="t").add_batch_definition_whole_table("all").get_batch()
    assert batch.validate(E.ExpectTableRowCountToBeBetween(min_value=5, max_value=5)).success
    postgres.get_execution_engine().close()
    duck.close()


def test_the_module_is_pinned_to_the_gx_version_it_was_written_for() -> None:
    assert gx.__version__ == GX_VERSION
    pinned = re.search(r"^great-expectations==(\S+)", LOCK.read_text(encoding="utf-8"), re.MULTILINE)
    assert pinned is not None and pinned.group(1) == GX_VERSION
    check_gx_version(GX_VERSION)
    with pytest.raises(GXVersionError, match=r"written for great_expectations 1\.24\.1, found 1\.25\.0"):
        check_gx_version("1.25.0")
