"""The headline metrics by month, computed on the serving database exactly as the semantic layer defines them.

``dbt_project/models/marts/_semantic_models.yml`` declares the metrics for MetricFlow (``mf query``),
which runs on the warehouse through dbt's profile. The report reads only the published serving file, so
it needs the same numbers without dbt: this module is that second implementation, and
``tests/report/test_metrics.py`` holds the two to each other month by month. Change a definition in
one place and that test fails until the other follows.

``metricflow_project`` prepares a directory ``mf`` can run in for one data directory (see its note).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from crm.settings import Settings

if TYPE_CHECKING:
    import duckdb
    import polars as pl

Unit = Literal["usd", "count", "ratio", "points"]


@dataclass(frozen=True)
class Metric:
    """One headline metric: its semantic-layer name, how to show it, and what it means."""

    name: str
    label: str
    unit: Unit
    definition: str
    higher_is_better: bool = True


HEADLINE_METRICS: tuple[Metric, ...] = (
    Metric("revenue", "Revenue", "usd",
           "Activated and Fulfilled order lines minus Returned lines, in USD at the order's effective "
           "date, by effective month (fct_orders)."),
    Metric("active_customers", "Active customers", "count",
           "Customers with a qualifying order (not Cancelled / Returned) in the trailing 12 months, at "
           "the month's end (segment_performance)."),
    Metric("churn_rate", "Monthly churn rate", "ratio",
           "Customers active last month and not this month ÷ customers active last month.",
           higher_is_better=False),
    Metric("nps", "Net promoter score", "points",
           "% promoters (9–10) − % detractors (0–6) over the NPS responses submitted in the month."),
    Metric("csat", "CSAT", "ratio",
           "Good ÷ (good + bad) satisfaction ratings of the tickets created in the month."),
    Metric("win_rate", "Win rate", "ratio",
           "Won ÷ closed (won + lost) opportunities, by close month."),
    Metric("pipeline", "Open pipeline", "usd",
           "Amount of the open opportunities on the month's last day with data, in USD."),
    Metric("email_click_rate", "Email click rate", "ratio",
           "Unique clicks ÷ delivered emails of the campaigns started in the month (duplicates once)."),
)  # fmt: skip

# Each metric's semantic model as a CTE over one mart, aggregated the way MetricFlow aggregates it (ratios
# of sums, balances on the period's last day): (mart it reads, the columns it gives, its SQL).
METRIC_QUERIES: dict[str, tuple[str, tuple[str, ...], str]] = {
    "revenue": (
        "fct_orders",
        ("revenue",),
        """
    select date_trunc('month', effective_date) as month, sum(revenue_usd) as revenue
    from marts.fct_orders
    where effective_date is not null
    group by 1
""",
    ),
    "customers": (
        "segment_performance",
        ("active_customers", "churn_rate"),
        """
    select
        month_start_date as month,
        sum(active_customers) as active_customers,
        sum(churned_customers) / nullif(sum(retained_customers + churned_customers), 0) as churn_rate
    from marts.segment_performance
    where segment_type = 'lifecycle_stage'
    group by 1
""",
    ),
    "nps": (
        "fct_nps_responses",
        ("nps",),
        """
    select
        date_trunc('month', submitted_date) as month,
        100.0 * (count(*) filter (where nps_category = 'promoter')
            - count(*) filter (where nps_category = 'detractor')) / nullif(count(*), 0) as nps
    from marts.fct_nps_responses
    where submitted_date is not null
    group by 1
""",
    ),
    "csat": (
        "fct_tickets",
        ("csat",),
        """
    select
        date_trunc('month', created_date) as month,
        count(*) filter (where satisfaction_score = 'good')
            / nullif(count(*) filter (where satisfaction_score in ('good', 'bad')), 0) as csat
    from marts.fct_tickets
    where created_date is not null
    group by 1
""",
    ),
    "win_rate": (
        "fct_opportunities",
        ("win_rate",),
        """
    select
        date_trunc('month', close_date) as month,
        count(*) filter (where is_won) / nullif(count(*) filter (where is_closed), 0) as win_rate
    from marts.fct_opportunities
    where close_date is not null
    group by 1
""",
    ),
    "pipeline": (
        "sales_pipeline_daily",
        ("pipeline",),
        """
    select month, sum(amount_usd) as pipeline
    from (
        select date_trunc('month', pipeline_date) as month, pipeline_date, amount_usd
        from marts.sales_pipeline_daily
        qualify pipeline_date = max(pipeline_date) over (partition by date_trunc('month', pipeline_date))
    ) as last_day_of_month
    group by 1
""",
    ),
    "email": (
        "campaign_performance",
        ("email_click_rate",),
        """
    select
        date_trunc('month', start_date) as month,
        sum(unique_clicks) / nullif(sum(emails_delivered), 0) as email_click_rate
    from marts.campaign_performance
    where start_date is not null
    group by 1
""",
    ),
}


def monthly_metrics(con: duckdb.DuckDBPyConnection) -> pl.DataFrame:
    """Every headline metric by month (``month`` = first day) from the ``marts`` schema ``con`` sees.

    One row per month that any metric has data for. A metric whose mart is not published (a partial
    deployment, an older serving file) is null throughout instead of failing the whole report.
    """
    published = {
        row[0]
        for row in con.execute(
            "select table_name from information_schema.tables where table_schema = 'marts'"
        ).fetchall()
    }
    ctes, selects, joins, months = [], [], [], []
    for name, (mart, columns, sql) in METRIC_QUERIES.items():
        if mart in published:
            ctes.append(f"{name} as ({sql})")
            months.append(f"select month from {name}")
            joins.append(f"left join {name} using (month)")
            selects += [f"cast({name}.{column} as double) as {column}" for column in columns]
        else:
            selects += [f"cast(null as double) as {column}" for column in columns]
    if not months:
        ctes.append("nothing as (select cast(null as date) as month where false)")
        months.append("select month from nothing")
    query = (
        f"with {', '.join(ctes)}, months as ({' union '.join(months)}) "
        f"select cast(months.month as date) as month, {', '.join(selects)} "
        f"from months {' '.join(joins)} order by month"
    )
    return con.sql(query).pl()


def metricflow_project(settings: Settings) -> Path:
    """A dbt project directory for ``mf`` that sees this data directory's warehouse and manifest.

    MetricFlow 0.213 reads ``<project>/target/semantic_manifest.json`` — always ``target/`` under the
    project, ignoring ``--target-path`` — while ``crm transform`` keeps dbt's artefacts per data
    directory (``<data>/dbt/target``). So this builds ``<data>/dbt/metricflow/``: links to everything in
    ``dbt_project/`` plus that data directory's semantic manifest in its own ``target/``. Run
    ``mf query`` there with ``CRM_WAREHOUSE_PATH`` set (``crm.transform.dbt_environment``); the run
    opens the warehouse, so not while a pipeline writes it.
    """
    from crm.transform import DBT_PROJECT_DIR

    manifest = settings.data_dir / "dbt" / "target" / "semantic_manifest.json"
    if not manifest.exists():
        raise FileNotFoundError(f"no semantic manifest at {manifest}: run `crm transform` first")
    project = settings.data_dir / "dbt" / "metricflow"
    (project / "target").mkdir(parents=True, exist_ok=True)
    for entry in DBT_PROJECT_DIR.iterdir():
        if entry.name in {"target", "logs", "dbt_packages"} or entry.name.startswith("."):
            continue
        link = project / entry.name
        if not link.is_symlink():
            link.symlink_to(entry)
    (project / "target" / "semantic_manifest.json").write_bytes(manifest.read_bytes())
    return project
