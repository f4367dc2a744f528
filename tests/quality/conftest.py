"""Fixtures for the quality tests: real landed batches and a real serving DuckDB file.

Batches go through ingestion's own landing path (``ingestion.extract.land``: contract, quarantine,
Parquet, manifest), so the gate reads exactly what ingestion writes. The serving file is a DuckDB
database with the ``marts`` tables the mart checks name (``shared/design/marts.md``).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path

import duckdb
import numpy as np
import polars as pl
import pytest

from crm.settings import Settings
from ingestion.extract import Delivery, land
from ingestion.landing import Manifest
from ingestion.sales.entities import ENTITIES as SALES_ENTITIES

ORDER = next(entity for entity in SALES_ENTITIES if entity.name == "order")
FIRST_DAY = date(2026, 10, 1)

LandOrders = Callable[..., Manifest]


@pytest.fixture
def settings(data_dir: Path) -> Settings:
    return Settings.from_env(data_dir)


def order_rows(
    logical_date: date,
    rows: int,
    *,
    seed: int,
    null_account_fraction: float = 0.0,
    unknown_status_rows: int = 0,
    unknown_channel_rows: int = 0,
    newest_hours_before_end: float = 2.0,
) -> pl.DataFrame:
    """Orders as the sales database delivers them: typed values, ids 18 characters, UTC stamps.

    ``null_account_fraction`` of the rows (exactly, rounded down) lack an account; the last
    ``unknown_status_rows`` rows carry a status outside the contract's enum (the contract quarantines
    them: ``status`` is required); the first ``unknown_channel_rows`` an unknown channel (loaded
    as-is: ``channel`` is optional); the newest ``system_modstamp`` (row 0) lies
    ``newest_hours_before_end`` hours before the end of the logical date.
    """
    rng = np.random.default_rng(seed)
    end = datetime.combine(logical_date + timedelta(days=1), time(0), tzinfo=UTC)
    newest = end - timedelta(hours=newest_hours_before_end)
    stamps = [newest - timedelta(minutes=int(m)) for m in rng.integers(1, 600, rows)]
    stamps[:1] = [newest]
    nulls = set(rng.choice(rows, size=int(rows * null_account_fraction), replace=False).tolist())
    statuses = rng.choice(["Activated", "Fulfilled", "Draft", "Cancelled", "Returned"], rows).tolist()
    statuses[rows - unknown_status_rows :] = ["Shipped?"] * unknown_status_rows
    channels = rng.choice(["web", "field", "partner"], rows).tolist()
    channels[:unknown_channel_rows] = ["fax"] * unknown_channel_rows
    return pl.DataFrame(
        {
            "id": [f"801{seed:05d}{i:010d}" for i in range(rows)],
            "account_id": [None if i in nulls else f"001{i % 89:015d}" for i in range(rows)],
            "contact_id": [f"003{i % 97:015d}" for i in range(rows)],
            "opportunity_id": [None] * rows,
            "order_number": [f"{seed:03d}{i:07d}" for i in range(rows)],
            "status": statuses,
            "effective_date": [logical_date] * rows,
            "channel": channels,
            "currency_iso_code": ["USD"] * rows,
            "total_amount": np.round(rng.uniform(10, 5000, rows), 2),
            "created_date": stamps,
            "system_modstamp": stamps,
        },
        schema_overrides={
            "opportunity_id": pl.String,
            "created_date": pl.Datetime("us", "UTC"),
            "system_modstamp": pl.Datetime("us", "UTC"),
        },
    )


@pytest.fixture
def land_orders(settings: Settings) -> LandOrders:
    """Land one day of orders through ingestion's landing path; returns its manifest."""

    def _land(logical_date: date, seq: int, rows: int = 400, **dirt: float) -> Manifest:
        frame = order_rows(logical_date, rows, seed=seq, **dirt)  # type: ignore[arg-type]
        delivery = Delivery(
            entity=ORDER,
            frame=frame,
            position={"watermark": logical_date.isoformat()},
            origin=f"test sales.order {logical_date}",
            rows_in=frame.height,
        )
        return land(settings, delivery, logical_date, seq)

    return _land


@pytest.fixture
def land_history(land_orders: LandOrders) -> Callable[[int], date]:
    """Land ``n`` ordinary days of 400 orders each, from FIRST_DAY; returns the next free day."""

    def _history(days: int) -> date:
        for offset in range(days):
            land_orders(FIRST_DAY + timedelta(days=offset), offset + 1)
        return FIRST_DAY + timedelta(days=days)

    return _history


Customer = tuple[str, str, str | None, str | None]
"""A ``marts.dim_customer`` row: customer_id, lifecycle_stage, value_tier, rfm_segment."""
CUSTOMERS: list[Customer] = [
    ("c1", "Active", "Platinum", "Champions"),
    ("c2", "Active", "Gold", "Loyal"),
    ("c3", "At Risk", "Bronze", "At Risk"),
    ("c4", "Churned", "Bronze", "Lost"),
    ("c5", "Prospect", None, None),  # never ordered: no value tier, no RFM segment (dim_customer.sql)
]


def write_serving_file(
    path: Path,
    *,
    revenue: list[float] | None = None,
    nps: list[float | None] | None = None,
    customers: list[Customer] | None = None,
) -> Path:
    """A serving database with ``marts.segment_performance`` and ``marts.dim_customer``, with the
    columns the dbt marts have (``dbt_project/models/marts/**/*.yml``) that the mart checks read."""
    revenue = revenue if revenue is not None else [1200.0, 830.5, 0.0, 45.0]
    nps = nps if nps is not None else [35.0, -12.5, None, 100.0]
    customers = customers or CUSTOMERS
    path.parent.mkdir(parents=True, exist_ok=True)
    segments = ["Champions", "Loyal", "At Risk", "Lost"]
    with duckdb.connect(str(path)) as con:
        con.execute("create schema marts")
        con.execute(
            "create table marts.segment_performance (segment_type varchar, segment varchar, "
            "month_start_date date, customers bigint, revenue_usd decimal(18, 2), nps double)"
        )
        con.executemany(
            "insert into marts.segment_performance values ('rfm_segment', ?, date '2026-10-01', 10, ?, ?)",
            [
                [segments[i % 4], value, score]
                for i, (value, score) in enumerate(zip(revenue, nps, strict=True))
            ],
        )
        con.execute(
            "create table marts.dim_customer (customer_id varchar, lifecycle_stage varchar, "
            "value_tier varchar, rfm_segment varchar)"
        )
        con.executemany(
            "insert into marts.dim_customer values (?, ?, ?, ?)", [list(row) for row in customers]
        )
    return path
