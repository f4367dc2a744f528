"""``crm peer build``: the same dbt project on PostgreSQL, from the SF 0.01 published pipeline's warehouse.

The command copies the warehouse's raw data (and the gate's ``ops.check_results``) into a fresh
PostgreSQL database and runs the whole ``dbt build`` there. The marts it builds must agree with
DuckDB's: the same tables with the same row counts, the same revenue, the same persons and customers.
(Per-unit ratios such as average order value may differ by a cent where DuckDB divides decimals in
double precision and PostgreSQL exactly; see DECISIONS.md.)
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import duckdb
import psycopg
import pytest
from published_pipeline import PublishedRun

pytestmark = pytest.mark.slow

CRM = Path(sys.executable).with_name("crm")
SCORECARD = "data_quality_scorecard"  # reads ops.check_results, which the gate writes after dbt
REVENUE_COLUMNS = {
    "customer_360": ("lifetime_revenue_usd", "revenue_last_12_months_usd"),
    "segment_performance": ("revenue_usd",),
    "fct_orders": ("revenue_usd", "total_amount_usd"),
}


def test_crm_peer_build_agrees_with_duckdb(published_sf001: PublishedRun, postgres_url: str) -> None:
    """One peer build (about a minute at SF 0.01) serves every check."""
    server, _, database = postgres_url.rpartition("/")
    environment = {**os.environ, "CRM_DATA_DIR": str(published_sf001.settings.data_dir)}
    completed = subprocess.run(
        [str(CRM), "peer", "build", "--database", database, "--pg-url", f"{server}/postgres"],
        env=environment,
        capture_output=True,
        text=True,
        check=False,
        timeout=900,
    )
    assert completed.returncode == 0, completed.stderr[-4000:]
    summary = json.loads(completed.stdout.strip().splitlines()[-1])
    assert summary["success"] is True
    assert summary["rows_copied"] == _source_rows(published_sf001)
    assert summary["models"] > 80
    assert summary["tests"] > 300

    warehouse = published_sf001.settings.warehouse_path
    _assert_every_mart_has_the_same_rows(warehouse, postgres_url)
    _assert_revenue_agrees(warehouse, postgres_url)
    _assert_identity_resolution_agrees(warehouse, postgres_url)


def _source_rows(run: PublishedRun) -> int:
    """Rows of what the peer copies: every raw table, and the gate's results (the pipeline ran it)."""
    with duckdb.connect(str(run.settings.warehouse_path), read_only=True) as con:
        tables = con.execute(
            "select table_schema, table_name from information_schema.tables "
            "where table_schema = 'raw' or (table_schema = 'ops' and table_name = 'check_results')"
        ).fetchall()
        assert ("ops", "check_results") in tables
        return sum(
            _count(con.execute(f'select count(*) from {schema}."{table}"').fetchall())
            for schema, table in tables
        )


def _assert_every_mart_has_the_same_rows(warehouse: Path, url: str) -> None:
    listing = "select table_name from information_schema.tables where table_schema = 'marts' order by 1"
    duck_tables = [row[0] for row in _duckdb_rows(warehouse, listing)]
    assert len(duck_tables) > 20
    assert [row[0] for row in _postgres_rows(url, listing)] == duck_tables
    for table in duck_tables:
        count = f'select count(*) from marts."{table}"'
        if table == SCORECARD:
            # DuckDB built it before the gate ran (empty); the peer copied the gate's results.
            assert _count(_postgres_rows(url, count)) > 0
            continue
        assert _postgres_rows(url, count) == _duckdb_rows(warehouse, count), table


def _assert_revenue_agrees(warehouse: Path, url: str) -> None:
    for table, columns in REVENUE_COLUMNS.items():
        query = f"select {', '.join(f'sum({column})' for column in columns)} from marts.{table}"
        (duck,) = _duckdb_rows(warehouse, query)
        (postgres,) = _postgres_rows(url, query)
        for column, expected, actual in zip(columns, duck, postgres, strict=True):
            assert isinstance(expected, Decimal) and expected > 0, f"{table}.{column}"
            assert actual == pytest.approx(expected, rel=Decimal("1e-6")), f"{table}.{column}"


def _assert_identity_resolution_agrees(warehouse: Path, url: str) -> None:
    for query in (
        "select count(*), count(distinct customer_id) from marts.dim_customer",
        "select count(*), count(distinct person_id), count(distinct customer_id) from marts.dim_person",
    ):
        assert _postgres_rows(url, query) == _duckdb_rows(warehouse, query), query
    # Both engines derive the same ids (a hash of each component's key): the same person → customer map.
    mapping = "select person_id, customer_id from marts.dim_person order by person_id"
    assert _postgres_rows(url, mapping) == _duckdb_rows(warehouse, mapping)


def _duckdb_rows(warehouse: Path, query: str) -> list[tuple[object, ...]]:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        return con.execute(query).fetchall()


def _postgres_rows(url: str, query: str) -> list[tuple[object, ...]]:
    with psycopg.connect(url) as con:
        return con.execute(query).fetchall()


def _count(rows: list[tuple[object, ...]]) -> int:
    return int(str(rows[0][0]))
