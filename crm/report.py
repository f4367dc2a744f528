"""``crm report``: the manager's segment performance report, one self-contained HTML page per run.

It answers what the course calls customer performance measures (seed ``003_…``): the size and value of
the key segments, their behaviour and attitude, and how each is changing — against last month and the
same month last year — plus who to call (valuable customers at risk), what marketing did (campaigns,
win-back) and how good the data was (the quality gate's verdict on exactly this publication).

Reads only the published serving database, read-only (``Settings.serve_path``), so it runs beside BI
tools while the pipeline works. The page has no scripts and loads nothing: styles inline, charts as
inline SVG (``crm.svg_charts``), print styles for paper. Every number a test checks carries ``data-``
attributes with its unrounded value.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from crm.metrics import HEADLINE_METRICS, Metric, monthly_metrics
from crm.settings import Settings
from crm.svg_charts import Series, bar_chart, line_chart, sparkline

if TYPE_CHECKING:
    import duckdb

log = logging.getLogger(__name__)

TEMPLATES_DIR = Path(__file__).resolve().parent / "templates"
TEMPLATE = "segment_performance.html.j2"
TREND_MONTHS = 24
SEGMENT_TYPES = {
    "value_tier": "Value tier",
    "rfm_segment": "RFM segment",
    "lifecycle_stage": "Lifecycle stage",
}
# Known segments in their natural order; anything else follows by revenue.
SEGMENT_ORDER = {
    "value_tier": ["Platinum", "Gold", "Silver", "Bronze"],
    "rfm_segment": ["Champions", "Loyal", "Potential Loyalists", "New", "At Risk", "Cannot Lose Them",
                    "Hibernating", "Lost"],
    "lifecycle_stage": ["New", "Active", "At Risk", "Won Back", "Churned", "Prospect"],
}  # fmt: skip
SEGMENT_MEASURES: tuple[tuple[str, str, str], ...] = (
    # (segment_performance column, heading, unit)
    ("customers", "Customers", "count"),
    ("new_customers", "New", "count"),
    ("churned_customers", "Churned", "count"),
    ("revenue_usd", "Revenue", "usd"),
    ("revenue_per_customer_usd", "Revenue / customer", "usd"),
    ("average_order_value_usd", "AOV", "usd"),
    ("orders_per_customer", "Orders / customer", "decimal"),
    ("tickets_per_customer", "Tickets / customer", "decimal"),
    ("email_click_rate", "Email clicks", "ratio"),
    ("csat_score", "CSAT", "ratio"),
    ("nps", "NPS", "points"),
)
LOWER_IS_BETTER = {"churned_customers", "tickets_per_customer", "churn_rate"}

GLOSSARY: tuple[tuple[str, str], ...] = (
    ("Customer", "The buying organisation (a company, or a one-person account for a consumer), resolved "
     "across the sales, support and marketing systems."),
    ("Active customer", "At least one order that is not Cancelled or Returned in the trailing 12 months."),
    ("Churned", "Active last month, not active this month; counted in the segment it was in the month "
     "before."),
    ("Won back", "Churned, then active again."),
    ("At risk", "Active, but no order in 1.5 × the customer's median gap between orders."),
    ("Revenue", "Sum of order line totals of Activated / Fulfilled orders, minus Returned, converted to USD "
     "at the order's effective date."),
    ("RFM segment", "Recency, frequency and monetary quintiles over the trailing 12 months, mapped to named "
     "segments (Champions, Loyal, Potential Loyalists, New, At Risk, Cannot Lose Them, Hibernating, Lost)."),
    ("Value tier", "Top 5 % of trailing-12-month revenue = Platinum, next 15 % Gold, next 30 % Silver, rest "
     "Bronze."),
    ("NPS", "% promoters (9–10) − % detractors (0–6), over the responses in the period; −100 to 100."),
    ("CSAT", "Good ÷ (good + bad) satisfaction ratings."),
    ("Email rates", "Unique opens (clicks) ÷ delivered; duplicate events counted once."),
    ("First reply time", "From ticket creation to the first public comment by an agent."),
    ("Change vs last month / last year", "This month's value minus the previous month's / the same month a "
     "year before; % for counts and money, percentage points (pp) for rates, points for NPS."),
    ("Routine ache / strategic pain", "A data-quality check breaching a warn threshold is published and "
     "listed here; one breaching a block threshold stops publishing, so this report cannot show its data."),
)  # fmt: skip


@dataclass
class Kpi:
    """A headline metric for the report month, with last month, last year and its trend."""

    metric: Metric
    value: float | None
    previous_month: float | None
    previous_year: float | None
    trend: list[float | None] = field(default_factory=list)


def report(
    report_date: Annotated[
        str | None,
        typer.Option(
            "--date",
            help="Report on the month of this day (YYYY-MM-DD); default: the published marts' data clock.",
        ),
    ] = None,
) -> None:
    """Write the segment performance report (self-contained HTML) from the serving database."""
    settings = Settings.from_env()
    try:
        day = date.fromisoformat(report_date) if report_date else None
    except ValueError:
        typer.echo(f"--date must be YYYY-MM-DD, not {report_date!r}", err=True)
        raise typer.Exit(2) from None
    try:
        path = write_report(settings, day)
    except FileNotFoundError as missing:
        typer.echo(str(missing), err=True)
        raise typer.Exit(1) from None
    typer.echo(f"wrote {path}")


def write_report(settings: Settings, report_date: date | None = None) -> Path:
    """Render the report for the month of ``report_date`` (default: the data clock); return its path."""
    import duckdb

    serve = settings.serve_path
    if not serve.exists():
        raise FileNotFoundError(f"no serving database at {serve}: run `crm publish` first")
    with duckdb.connect(str(serve), read_only=True) as con:
        con.execute("set enable_progress_bar = false")
        context = gather(con, report_date)
    html = render(context)
    settings.reports_dir.mkdir(parents=True, exist_ok=True)
    path = settings.reports_dir / f"segment_performance_{context['report_date']:%Y-%m-%d}.html"
    temporary = path.with_suffix(".html.tmp")
    temporary.write_text(html, encoding="utf-8")
    temporary.replace(path)  # a reader never sees half a page
    log.info("wrote %s (%d kB)", path, len(html) // 1024)
    return path


def render(context: dict[str, Any]) -> str:
    """The page for a gathered context (``gather``), through the Jinja2 template in ``crm/templates``."""
    from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

    environment = Environment(
        loader=FileSystemLoader(TEMPLATES_DIR),
        autoescape=select_autoescape(["html", "j2"]),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    environment.filters.update(
        value=format_value, change=format_change, tone=change_tone, raw=raw_value, month=format_month
    )
    return environment.get_template(TEMPLATE).render(**context)


def gather(con: duckdb.DuckDBPyConnection, report_date: date | None) -> dict[str, Any]:
    """Everything the template shows, read from the serving database ``con`` (schema ``marts``)."""
    from markupsafe import Markup

    tables = {row[0] for row in con.execute(
        "select table_schema || '.' || table_name from information_schema.tables"
    ).fetchall()}  # fmt: skip
    data_clock = (
        _scalar(con, "select max(as_of_date) from marts.dim_customer")
        if "marts.dim_customer" in tables
        else None
    )
    report_date = (
        report_date
        or data_clock
        or _scalar(con, "select max(month_start_date) from marts.segment_performance")
    )
    if report_date is None:
        raise LookupError("the serving database has no segment_performance rows to report on")
    month = report_date.replace(day=1)
    kpis, trend_labels, monthly = _kpis(con, month)
    charts = _charts(trend_labels, monthly)
    return {
        "report_date": report_date,
        "month": month,
        "data_clock": data_clock,
        "is_partial_month": data_clock is not None
        and month <= data_clock < _add_months(month, 1) - timedelta(1),
        "publication": _publication(con, tables),
        "kpis": kpis,
        "sparklines": {kpi.metric.name: Markup(sparkline(kpi.trend)) for kpi in kpis},
        "charts": {name: Markup(svg) for name, svg in charts.items()},
        "segments": _segments(con, month),
        "segment_types": SEGMENT_TYPES,
        "segment_measures": SEGMENT_MEASURES,
        "movers": _movers(con, month),
        "at_risk": _at_risk(con) if "marts.customer_360" in tables else None,
        "campaigns": _campaigns(con, month) if "marts.campaign_performance" in tables else None,
        "win_back": _win_back(con, month) if "marts.win_back" in tables else None,
        "quality": _quality(con, tables),
        "glossary": GLOSSARY,
        "lower_is_better": LOWER_IS_BETTER,
    }


# ---------------------------------------------------------------------------------------------- sections


def _kpis(con: duckdb.DuckDBPyConnection, month: date) -> tuple[list[Kpi], list[str], dict[str, list]]:
    frame = monthly_metrics(con)
    by_month = {row["month"]: row for row in frame.iter_rows(named=True)}
    window = [_add_months(month, offset) for offset in range(-(TREND_MONTHS - 1), 1)]
    kpis = []
    monthly: dict[str, list] = {}
    for metric in HEADLINE_METRICS:
        values = [by_month.get(m, {}).get(metric.name) for m in window]
        monthly[metric.name] = values
        kpis.append(
            Kpi(
                metric=metric,
                value=by_month.get(month, {}).get(metric.name),
                previous_month=by_month.get(_add_months(month, -1), {}).get(metric.name),
                previous_year=by_month.get(_add_months(month, -12), {}).get(metric.name),
                trend=values,
            )
        )
    return kpis, [f"{m:%b %y}" for m in window], monthly


def _charts(labels: list[str], monthly: dict[str, list]) -> dict[str, str]:
    def percent(value: float) -> str:
        return f"{value * 100:.0f} %" if abs(value) >= 0.1 or value == 0 else f"{value * 100:.1f} %"

    def count(value: float) -> str:
        return f"{value:,.0f}"

    return {
        "revenue": bar_chart(
            labels, monthly["revenue"], title="Revenue by month (USD)", formatter=_compact_usd
        ),
        "customers": line_chart(
            labels,
            [Series("Active customers", monthly["active_customers"])],
            title="Active customers at each month's end",
            formatter=count,
        ),
        "rates": line_chart(
            labels,
            [Series("CSAT", monthly["csat"]), Series("Win rate", monthly["win_rate"])],
            title="CSAT and win rate by month",
            formatter=percent,
        ),
        "engagement": line_chart(
            labels,
            [
                Series("Churn rate", monthly["churn_rate"]),
                Series("Email click rate", monthly["email_click_rate"]),
            ],
            title="Monthly churn rate and email click rate",
            formatter=percent,
        ),
        "nps": line_chart(
            labels, [Series("NPS", monthly["nps"])], title="Net promoter score by month", formatter=count
        ),
        "pipeline": bar_chart(
            labels,
            monthly["pipeline"],
            title="Open pipeline at each month's end (USD)",
            formatter=_compact_usd,
        ),
    }


def _segments(con: duckdb.DuckDBPyConnection, month: date) -> dict[str, list[dict[str, Any]]]:
    """Per segment type, its segments' rows for the month (every measure and its two changes)."""
    measures = [name for name, _, _ in SEGMENT_MEASURES]
    columns = ", ".join(f"{m}, {m}_change_vs_previous_month, {m}_change_vs_previous_year" for m in measures)
    rows = con.execute(
        f"select segment_type, segment, {columns} from marts.segment_performance "
        "where month_start_date = ? and segment_type in (select unnest(?)) order by revenue_usd desc",
        [month, list(SEGMENT_TYPES)],
    ).fetchall()
    names = ["segment_type", "segment"] + [
        f"{m}{suffix}"
        for m in measures
        for suffix in ("", "_change_vs_previous_month", "_change_vs_previous_year")
    ]
    result: dict[str, list[dict[str, Any]]] = {segment_type: [] for segment_type in SEGMENT_TYPES}
    for row in rows:
        record = {name: _number(value) for name, value in zip(names, row, strict=True)}
        result[record["segment_type"]].append(record)
    for segment_type, records in result.items():
        order = SEGMENT_ORDER.get(segment_type, [])
        records.sort(key=lambda r: order.index(r["segment"]) if r["segment"] in order else len(order))
    return result


def _movers(con: duckdb.DuckDBPyConnection, month: date, count: int = 5) -> dict[str, list[dict[str, Any]]]:
    """Segments (value tier, RFM, industry × size) whose revenue moved most against last month."""
    query = """
        select segment_type, segment, revenue_usd, revenue_usd_change_vs_previous_month as change,
            customers, customers_change_vs_previous_month as customers_change
        from marts.segment_performance
        where month_start_date = ? and segment_type <> 'lifecycle_stage'
            and revenue_usd_change_vs_previous_month is not null
        order by change {direction}, segment_type, segment
        limit ?
    """
    names = ["segment_type", "segment", "revenue_usd", "change", "customers", "customers_change"]

    def fetch(direction: str) -> list[dict[str, Any]]:
        rows = con.execute(query.format(direction=direction), [month, count]).fetchall()
        return [
            {name: _number(value) for name, value in zip(names, row, strict=True)}
            for row in rows
            if (row[3] > 0 if direction == "desc" else row[3] < 0)
        ]

    return {"up": fetch("desc"), "down": fetch("asc")}


def _at_risk(con: duckdb.DuckDBPyConnection, count: int = 10) -> dict[str, Any]:
    """The most valuable customers whose retention status is at risk (current state, at the data clock)."""
    names = ["customer_id", "customer_name", "value_tier", "rfm_segment", "revenue_last_12_months_usd",
             "predicted_12_month_value_usd", "last_order_date", "days_since_last_order", "open_ticket_count",
             "latest_nps_score", "owner_user_id"]  # fmt: skip
    rows = con.execute(
        f"select {', '.join(names)} from marts.customer_360 where retention_status = 'at_risk' "
        "order by revenue_last_12_months_usd desc nulls last, customer_id limit ?",
        [count],
    ).fetchall()
    totals = con.execute(
        "select count(*), sum(revenue_last_12_months_usd) from marts.customer_360 "
        "where retention_status = 'at_risk'"
    ).fetchall()[0]
    return {
        "customers": [{n: _number(v) for n, v in zip(names, row, strict=True)} for row in rows],
        "count": int(totals[0]),
        "revenue": _number(totals[1]),
    }


def _campaigns(con: duckdb.DuckDBPyConnection, month: date, count: int = 5) -> dict[str, Any]:
    """Campaigns started in the report month and the two before it: totals and the best by won revenue."""
    since = _add_months(month, -2)
    until = _add_months(month, 1)
    where = "where start_date >= ? and start_date < ?"
    totals = con.execute(
        "select count(*), sum(emails_delivered), sum(unique_clicks) / nullif(sum(emails_delivered), 0), "
        "sum(won_revenue_linear_usd), sum(cost_usd) "
        f"from marts.campaign_performance {where}",
        [since, until],
    ).fetchall()[0]
    names = ["campaign_name", "campaign_type", "start_date", "emails_delivered", "unique_click_rate",
             "leads_linear", "won_revenue_linear_usd", "cost_usd", "return_on_investment"]  # fmt: skip
    rows = con.execute(
        f"select {', '.join(names)} from marts.campaign_performance {where} "
        "order by won_revenue_linear_usd desc nulls last, campaign_id limit ?",
        [since, until, count],
    ).fetchall()
    return {
        "since": since,
        "count": int(totals[0]),
        "delivered": _number(totals[1]),
        "click_rate": _number(totals[2]),
        "won_revenue": _number(totals[3]),
        "cost": _number(totals[4]),
        "top": [{n: _number(v) for n, v in zip(names, row, strict=True)} for row in rows],
    }


def _win_back(con: duckdb.DuckDBPyConnection, month: date) -> dict[str, Any]:
    """Churn and win-back over the twelve months up to the report month."""
    since, until = _add_months(month, -11), _add_months(month, 1)
    row = con.execute(
        """
        select
            count(*) filter (where churned_month >= ? and churned_month < ?),
            count(*) filter (where won_back_month >= ? and won_back_month < ?),
            count(*) filter (
                where won_back_month >= ? and won_back_month < ? and is_reactivated_after_win_back_email
            ),
            count(*) filter (where churned_month >= ? and churned_month < ? and win_back_emails_sent > 0),
            sum(revenue_since_reactivation_usd) filter (where won_back_month >= ? and won_back_month < ?)
        from marts.win_back
        """,
        [since, until] * 5,
    ).fetchall()[0]
    return {
        "since": since,
        "churned": int(row[0]),
        "won_back": int(row[1]),
        "after_email": int(row[2]),
        "contacted": int(row[3]),
        "revenue": _number(row[4]),
    }


def _quality(con: duckdb.DuckDBPyConnection, tables: set[str]) -> dict[str, Any] | None:
    """The gate's verdict on this publication (meta.check_results), and blocked runs in the scorecard."""
    if "meta.check_results" not in tables:
        return None
    names = [
        "stage",
        "check_id",
        "target",
        "severity",
        "check_status",
        "observed",
        "threshold",
        "message",
        "owner",
    ]
    rows = con.execute(
        f"select {', '.join(names)} from meta.check_results order by severity desc, stage, check_id"
    ).fetchall()
    results = [dict(zip(names, row, strict=True)) for row in rows]
    breaches = [r for r in results if r["check_status"] in ("failed", "error")]
    history = None
    if "marts.data_quality_scorecard" in tables:
        history_row = con.execute(
            "select count(distinct run_id), count(distinct run_id) filter (where run_outcome = 'blocked'), "
            "max(run_started_at) filter (where run_outcome = 'blocked') from marts.data_quality_scorecard"
        ).fetchall()[0]
        history = {
            "runs": int(history_row[0]),
            "blocked": int(history_row[1]),
            "last_blocked": history_row[2],
        }
    return {
        "checks": len(results),
        "passed": sum(1 for r in results if r["check_status"] == "passed"),
        "skipped": sum(1 for r in results if r["check_status"] == "skipped"),
        "warnings": [r for r in breaches if r["severity"] == "warn"],
        "blocking": [r for r in breaches if r["severity"] == "block"],
        "history": history,
    }


def _publication(con: duckdb.DuckDBPyConnection, tables: set[str]) -> dict[str, Any] | None:
    if "meta.publication" not in tables:
        return None
    row = con.execute(
        "select any_value(run_id), max(published_at), count(*) from meta.publication"
    ).fetchall()[0]
    return {"run_id": row[0], "published_at": row[1], "tables": int(row[2])}


# ---------------------------------------------------------------------------------------------- formatting


def format_value(value: float | None, unit: str) -> str:
    """A number as a manager reads it: $1.24M, 1,234, 12.3 %, NPS 31, ROI 4.2×."""
    if value is None:
        return "–"
    if unit == "usd":
        return _compact_usd(value)
    if unit == "count":
        return f"{value:,.0f}"
    if unit == "ratio":
        return f"{value * 100:.1f}\u00a0%"
    if unit == "points":
        return f"{value:.0f}"
    if unit == "multiple":
        return f"{value:,.1f}\u00d7"
    return f"{value:,.2f}"


def format_change(current: float | None, change: float | None, unit: str) -> str:
    """A change as text: relative for money and counts, percentage points for rates, points for NPS.

    A change that rounds to nothing reads ``±0``; one from a zero base is shown in absolute terms.
    """
    if current is None or change is None:
        return "–"
    if unit in ("usd", "count", "decimal"):
        base = current - change
        if base == 0:
            return "±0" if change == 0 else ("+" if change > 0 else "-") + format_value(abs(change), unit)
        text = f"{change / abs(base) * 100:+.1f}\u00a0%"
    elif unit == "ratio":
        text = f"{change * 100:+.1f}\u00a0pp"
    else:
        text = f"{change:+.0f}"
    digits = text[1:].split("\u00a0")[0]
    return "±" + text[1:] if float(digits) == 0 else text


def change_tone(
    change: float | None, lower_is_better: bool = False, unit: str = "count", current: float | None = None
) -> str:
    """CSS class of a change: up-good / down-bad, flipped where lower is better; ``flat`` when the change
    rounds to nothing as shown (so a "+0.0 pp" is never painted red)."""
    if change is None or change == 0:
        return "flat"
    if current is not None and format_change(current, change, unit).startswith("±"):
        return "flat"
    if current is None and abs(change) < _SHOWN_AS_ZERO.get(unit, 0.0):
        return "flat"
    good = (change > 0) != lower_is_better
    return "good" if good else "bad"


# Below these a change prints as zero: 0.05 pp of a rate, half a point of NPS.
_SHOWN_AS_ZERO = {"ratio": 0.0005, "points": 0.5}


def raw_value(value: float | None) -> str:
    """An unrounded number for a ``data-`` attribute (empty when missing)."""
    return "" if value is None else repr(float(value))


def format_month(value: date) -> str:
    return f"{value:%B %Y}"


def _compact_usd(value: float) -> str:
    magnitude = abs(value)
    for limit, suffix in ((1e9, "B"), (1e6, "M"), (1e3, "k")):
        if magnitude >= limit:
            return f"{'-' if value < 0 else ''}${magnitude / limit:.2f}{suffix}"
    return f"{'-' if value < 0 else ''}${magnitude:,.0f}"


def _number(value: Any) -> Any:
    """Decimals become floats (the template formats floats); everything else stays as it is."""
    from decimal import Decimal

    return float(value) if isinstance(value, Decimal) else value


def _scalar(con: duckdb.DuckDBPyConnection, query: str) -> Any:
    rows = con.execute(query).fetchall()
    return rows[0][0] if rows else None


def _add_months(month: date, months: int) -> date:
    index = month.year * 12 + month.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)
