"""The product catalogue: families, list prices (USD), launches and retirements."""

from __future__ import annotations

import numpy as np
import polars as pl

from seeds.generator.ids import sf_ids
from seeds.generator.timeline import Clock

FAMILIES = np.array(["Hardware", "Software", "Subscriptions", "Services", "Training", "Accessories"])
FAMILY_CODES = np.array(["HW", "SW", "SUB", "SVC", "TRN", "ACC"])
FAMILY_PRICE = np.array([1200.0, 800.0, 300.0, 2500.0, 600.0, 60.0])
FAMILY_WEIGHT = np.array([0.24, 0.2, 0.22, 0.1, 0.06, 0.18])
_ITEMS = {
    "Hardware": [
        "Edge Server",
        "Rack Switch",
        "Storage Array",
        "Thin Client",
        "Gateway",
        "Sensor Hub",
        "Workstation",
        "Router",
    ],
    "Software": [
        "Analytics Suite",
        "Security Pack",
        "Backup Manager",
        "Design Studio",
        "ERP Connector",
        "Mobile SDK",
    ],
    "Subscriptions": [
        "Cloud Basic",
        "Cloud Pro",
        "Cloud Enterprise",
        "Support Plus",
        "Monitoring",
        "Data Feed",
    ],
    "Services": ["Installation", "Migration", "Custom Integration", "Health Check", "Managed Service"],
    "Training": ["Admin Course", "User Workshop", "Certification", "Onboarding Day"],
    "Accessories": ["Cable Kit", "Mounting Bracket", "Power Supply", "Battery Pack", "Adapter", "Carry Case"],
}
TIERS = ["", " Plus", " Max"]


def build_catalogue(clock: Clock, rng: np.random.Generator) -> pl.DataFrame:
    """One row per product with internal helpers (family index, launch/retire days, popularity)."""
    rows = []
    for f_idx, family in enumerate(FAMILIES):
        for i, item in enumerate(_ITEMS[family]):
            for t, tier in enumerate(TIERS):
                rows.append(
                    (
                        f_idx,
                        f"{item}{tier}",
                        f"{FAMILY_CODES[f_idx]}-{100 * (i + 1) + t:04d}",
                        FAMILY_PRICE[f_idx] * (1.0 + 0.8 * t) * rng.lognormal(0, 0.35),
                        i + t,
                    )
                )
    n = len(rows)
    launch = np.where(rng.random(n) < 0.15, rng.integers(60, clock.n_days - 60, n), 0)
    retire = np.where((launch == 0) & (rng.random(n) < 0.08), rng.integers(120, clock.n_days, n), -1)
    core = np.array([r[4] == 0 for r in rows])  # the family's first product is always sold
    launch[core], retire[core] = 0, -1
    return pl.DataFrame(
        {
            "product_idx": np.arange(n),
            "id": sf_ids("product", np.arange(n) + 100),
            "name": [r[1] for r in rows],
            "product_code": [r[2] for r in rows],
            "family_idx": [r[0] for r in rows],
            "family": FAMILIES[[r[0] for r in rows]],
            "list_price": np.round([r[3] for r in rows], 2),
            "popularity": 1.0 / (1.0 + np.array([r[4] for r in rows], dtype=float)),
            "launch_day": launch,
            "retire_day": retire,
            "is_core": core,
        }
    )


def product_versions(catalogue: pl.DataFrame, clock: Clock) -> pl.DataFrame:
    """The ``product`` table: a version at launch and, for retired products, one at retirement."""
    launch = catalogue.with_columns(
        pl.lit(True).alias("is_active"), (pl.col("launch_day") * 86_400 + 6 * 3600).alias("_sec")
    )
    retired = catalogue.filter(pl.col("retire_day") >= 0).with_columns(
        pl.lit(False).alias("is_active"), (pl.col("retire_day") * 86_400 + 6 * 3600).alias("_sec")
    )
    both = pl.concat([launch, retired]).sort(["_sec", "id"], maintain_order=True)
    ts = clock.ts(both["_sec"].to_numpy(), "system_modstamp")
    return both.select("id", "name", "product_code", "family", "list_price", "is_active").with_columns(
        ts, ts.alias("_visible_at")
    )
