"""The marketing inbox plan: one delivery per (day, file kind), and what goes wrong with some of them.

The inbox writer (``seeds/transports``) applies this plan literally. Rows of a delivery are the world
rows of that file kind with that ``_delivery_date``, in world order; "row k" in a fault detail is the
k-th of them (0-based). At most one fault per delivery. Schema drift marks the first delivery of the
change; the change holds for that file kind from then on (see seeds/README.md).
"""

from __future__ import annotations

import json
from datetime import date
from typing import Any

import numpy as np
import polars as pl

from seeds.generator.context import Context
from seeds.generator.timeline import DAY

# dirt.yml kind → the ``fault`` value of the contract (seeds/README.md).
FAULT_NAME = {
    "late_file": "late",
    "truncated_file": "truncated",
    "redelivered_file": "redelivered",
    "malformed_row": "malformed",
    "bad_encoding": "bad_encoding",
}
FILE_KINDS = ("contacts", "campaigns", "email_events", "form_submissions", "ad_spend", "nps_responses")
FORMATS = {"email_events": "ndjson"}
GZIPPED = {"email_events"}
SCHEMA_ADDED: dict[str, Any] = {"file_kind": "contacts", "column": "hs_persona", "at": 0.45}
SCHEMA_RENAMED: dict[str, Any] = {
    "file_kind": "form_submissions",
    "column": "page_url",
    "renamed_to": "page_uri",
    "at": 0.7,
}
PERSONAS = np.array(["Decision Maker", "Influencer", "End User", "Champion"])


def schema_dates(ctx: Context) -> tuple[date, date]:
    """Delivery dates from which the added column exists and the renamed column has its new name."""
    clock = ctx.clock
    added = clock.start + (clock.end - clock.start) * SCHEMA_ADDED["at"]
    renamed = clock.start + (clock.end - clock.start) * SCHEMA_RENAMED["at"]
    return added, renamed


def add_drift_column(ctx: Context, contacts: pl.DataFrame) -> pl.DataFrame:
    """Contacts gain ``hs_persona`` mid-history (null in deliveries before the change)."""
    if ctx.dirt.rates["schema_added_column"] == 0:
        return contacts
    added, _ = schema_dates(ctx)
    rng = ctx.streams("marketing.schema_drift")
    persona = pl.Series(PERSONAS[rng.integers(0, len(PERSONAS), contacts.height)])
    return contacts.with_columns(pl.when(pl.col("_delivery_date") >= added).then(persona).alias("hs_persona"))


def plan_deliveries(
    ctx: Context, tables: dict[str, pl.DataFrame]
) -> tuple[pl.DataFrame, dict[str, pl.DataFrame]]:
    """The ``_deliveries`` plan, and the marketing tables with ``_visible_at`` moved for late/redelivered
    files."""
    rng = ctx.streams("marketing.deliveries")
    dirt, clock = ctx.dirt, ctx.clock
    days = clock.dates(np.arange(clock.n_days), "delivery_date")
    plans = []
    for kind in FILE_KINDS:
        counts = (
            tables[kind]
            .group_by("_delivery_date", maintain_order=True)
            .len()
            .rename({"_delivery_date": "delivery_date", "len": "rows"})
        )
        fmt = FORMATS.get(kind, "csv")
        gz = kind in GZIPPED
        plan = (
            pl.DataFrame({"delivery_date": days})
            .join(counts, on="delivery_date", how="left", maintain_order="left")
            .with_columns(
                pl.col("rows").fill_null(0),
                pl.lit(kind).alias("file_kind"),
                pl.lit(fmt).alias("format"),
                pl.lit(gz).alias("gzip"),
                (
                    pl.lit(kind + "_")
                    + pl.col("delivery_date").dt.strftime("%Y%m%d")
                    + pl.lit("." + fmt + (".gz" if gz else ""))
                ).alias("file_name"),
            )
        )
        plans.append(plan)
    p = pl.concat(plans).sort(["delivery_date", "file_kind"], maintain_order=True)
    n = p.height
    fault = np.full(n, "none", dtype=object)
    detail: list[dict | None] = [None] * n
    rows = p["rows"].to_numpy()
    kind_col = p["file_kind"].to_numpy()
    ddate = p["delivery_date"].to_list()
    added, renamed = schema_dates(ctx)
    for key, spec, since in (
        ("schema_added_column", SCHEMA_ADDED, added),
        ("schema_renamed_column", SCHEMA_RENAMED, renamed),
    ):
        if dirt.rates[key] == 0:
            continue
        first = next(i for i in range(n) if kind_col[i] == spec["file_kind"] and ddate[i] >= since)
        fault[first] = key
        detail[first] = {k: v for k, v in spec.items() if k not in ("at", "file_kind")} | {
            "since": ddate[first].isoformat()
        }
    late_days = np.zeros(n, dtype=np.int64)
    redeliver = np.full(n, -1, dtype=np.int64)
    for kind, need in (
        ("late_file", 1),
        ("truncated_file", 2),
        ("bad_encoding", 1),
        ("redelivered_file", 2),
        ("malformed_row", 1),
    ):
        hit = dirt.pick("marketing", "_deliveries", "fault", kind, (fault == "none") & (rows >= need))
        for i in np.flatnonzero(hit):
            fault[i] = FAULT_NAME[kind]
            if kind == "late_file":
                late_days[i] = int(rng.integers(1, 4))
                detail[i] = {"days_late": int(late_days[i])}
            elif kind == "truncated_file":
                detail[i] = {"keep_rows": int(rng.integers(1, rows[i]))}
            elif kind == "bad_encoding":
                detail[i] = {"declared": "utf-8", "actual": "latin-1"}
            elif kind == "redelivered_file":
                redeliver[i] = int(rng.integers(1, 4))
                detail[i] = {"first_rows": int(rng.integers(1, rows[i]))}
            else:
                how = "broken_json" if FORMATS.get(kind_col[i]) == "ndjson" else "unterminated_quote"
                detail[i] = {"row": int(rng.integers(0, rows[i])), "how": how}
    day_idx = (p["delivery_date"].to_physical().to_numpy() - clock.start_epoch_day).astype(np.int64)
    visible_sec = (day_idx + late_days) * DAY + DAY - 1
    redelivered_sec = np.where(redeliver >= 0, visible_sec + redeliver * DAY, -1)
    encoding = np.where(fault == "bad_encoding", "latin-1", "utf-8")
    p = p.with_columns(
        pl.Series("fault", fault.astype(str)),
        pl.Series(
            "fault_detail", [json.dumps(d, sort_keys=True) if d else None for d in detail], dtype=pl.String
        ),
        pl.Series("encoding", encoding),
        clock.ts(visible_sec, "visible_at"),
        clock.ts(np.where(redelivered_sec >= 0, redelivered_sec, 0), "redelivered_at"),
    ).with_columns(
        pl.when(pl.Series(redelivered_sec >= 0)).then(pl.col("redelivered_at")).alias("redelivered_at")
    )
    faulty = p.filter(pl.col("fault") != "none")
    dirt_kind = {name: kind for kind, name in FAULT_NAME.items()}
    for r in faulty.iter_rows(named=True):
        kind = dirt_kind.get(r["fault"], r["fault"])
        dirt.record("marketing", "_deliveries", "fault", kind, [r["file_name"]], None, [r["fault_detail"]])
    # Rows follow their file: late deliveries appear later; rows past a redelivery's first part with it.
    # Only the narrow key column goes through the window and the join; the wide table just gets the
    # resulting column (joining and re-sorting 10M rows of strings cost seconds).
    out = {}
    for kind in FILE_KINDS:
        plan = p.filter(pl.col("file_kind") == kind).select(
            pl.col("delivery_date").alias("_delivery_date"),
            "visible_at",
            "redelivered_at",
            (pl.col("fault") == "redelivered").alias("_redelivered"),
            pl.col("fault_detail").str.json_path_match("$.first_rows").cast(pl.Int64).alias("_first_rows"),
        )
        visible = (
            tables[kind]
            .select("_delivery_date", pl.int_range(pl.len()).over("_delivery_date").alias("_k"))
            .join(plan, on="_delivery_date", how="left", maintain_order="left")
            .select(
                pl.when(pl.col("_redelivered") & (pl.col("_k") >= pl.col("_first_rows")))
                .then(pl.col("redelivered_at"))
                .otherwise(pl.col("visible_at"))
                .alias("_visible_at")
            )
            .to_series()
        )
        out[kind] = tables[kind].with_columns(visible)
    deliveries = p.select(
        "delivery_date",
        "file_kind",
        "file_name",
        "format",
        "gzip",
        "encoding",
        "fault",
        "fault_detail",
        "visible_at",
        "redelivered_at",
        pl.col("rows").cast(pl.Int64),
    )
    return deliveries, out
