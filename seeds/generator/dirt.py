"""Controlled dirt: the rates (``seeds/dirt.yml``), the injection helper, and the fault log.

Every fault is drawn from its own named random stream (``dirt:<source>.<entity>.<field>.<kind>``) so
changing one rate never moves another fault. :class:`Dirt` records each injected fault — source,
entity, record id, field, kind, clean and dirty value — and how many records were *eligible*, so a
test can check the observed rate against the configured one.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl
import yaml

from seeds.generator.rng import Streams

DEFAULT_DIRT_FILE = Path(__file__).resolve().parent.parent / "dirt.yml"

DIRT_SCHEMA = {
    "source": pl.String,
    "entity": pl.String,
    "record_id": pl.String,
    "field": pl.String,
    "kind": pl.String,
    "clean_value": pl.String,
    "dirty_value": pl.String,
}


def load_rates(override: Path | None = None) -> dict[str, float]:
    """Flat ``kind → rate`` from the default ``dirt.yml``, updated by ``override`` if given.

    Raises ``ValueError`` naming the file and key for unknown kinds or rates outside ``[0, 1]``.
    """
    rates = _read(DEFAULT_DIRT_FILE)
    if override is not None:
        for kind, rate in _read(Path(override)).items():
            if kind not in rates:
                raise ValueError(f"{override}: unknown dirt kind {kind!r}; known: {', '.join(sorted(rates))}")
            rates[kind] = rate
    return rates


def _read(path: Path) -> dict[str, float]:
    try:
        doc = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError) as error:
        raise ValueError(f"{path}: cannot read dirt rates: {error}") from error
    if not isinstance(doc, dict):
        raise ValueError(f"{path}: expected sections identity/values/delivery, got {type(doc).__name__}")
    flat: dict[str, float] = {}
    for section, body in doc.items():
        if not isinstance(body, dict):
            raise ValueError(f"{path}: section {section!r} must map kinds to rates")
        for kind, rate in body.items():
            if isinstance(rate, bool) or not isinstance(rate, int | float) or not 0 <= rate <= 1:
                raise ValueError(f"{path}: {section}.{kind} = {rate!r} is not a rate in [0, 1]")
            flat[str(kind)] = float(rate)
    return flat


@dataclass
class Dirt:
    """Injects faults at the configured rates and keeps the log of what it did."""

    rates: dict[str, float]
    streams: Streams
    _log: list[pl.DataFrame] = field(default_factory=list)
    eligible: dict[tuple[str, str, str, str], int] = field(default_factory=dict)
    injected: dict[tuple[str, str, str, str], int] = field(default_factory=dict)

    def rng(self, source: str, entity: str, fld: str, kind: str) -> np.random.Generator:
        return self.streams(f"dirt:{source}.{entity}.{fld}.{kind}")

    def pick(self, source: str, entity: str, fld: str, kind: str, eligible: np.ndarray) -> np.ndarray:
        """Boolean mask of the eligible rows that get fault ``kind`` (and count the eligible rows)."""
        eligible = np.asarray(eligible, dtype=bool)
        rng = self.rng(source, entity, fld, kind)
        hit = eligible & (rng.random(len(eligible)) < self.rates[kind])
        key = (source, entity, fld, kind)
        self.eligible[key] = self.eligible.get(key, 0) + int(eligible.sum())
        return hit

    def record(
        self,
        source: str,
        entity: str,
        fld: str | None,
        kind: str,
        record_id: pl.Series | np.ndarray | list[str],
        clean: pl.Series | np.ndarray | list[Any] | None,
        dirty: pl.Series | np.ndarray | list[Any] | None,
    ) -> None:
        """Log faults (one row per record id); values are kept as their string forms."""
        ids = pl.Series("record_id", record_id).cast(pl.String)
        n = len(ids)
        if n == 0:
            return

        def text(values: Any) -> pl.Series:
            if values is None:
                return pl.Series([None] * n, dtype=pl.String)
            s = pl.Series(values)
            return s.dt.to_string("%Y-%m-%dT%H:%M:%S%.6fZ") if s.dtype == pl.Datetime else s.cast(pl.String)

        frame = pl.DataFrame(
            {
                "source": pl.Series([source] * n, dtype=pl.String),
                "entity": pl.Series([entity] * n, dtype=pl.String),
                "record_id": ids,
                "field": pl.Series([fld] * n, dtype=pl.String),
                "kind": pl.Series([kind] * n, dtype=pl.String),
                "clean_value": text(clean),
                "dirty_value": text(dirty),
            }
        )
        self._log.append(frame)
        key = (source, entity, fld or "", kind)
        self.injected[key] = self.injected.get(key, 0) + n

    def apply(
        self,
        df: pl.DataFrame,
        *,
        source: str,
        entity: str,
        fld: str,
        kind: str,
        eligible: np.ndarray | pl.Expr,
        transform: Callable[[pl.Series, np.random.Generator], pl.Series] | None = None,
        replacement: str | None = None,
        id_col: str = "id",
    ) -> pl.DataFrame:
        """Replace ``df[fld]`` on a random ``rate`` share of eligible rows, by ``transform(clean)`` or by
        the row's value in column ``replacement`` (e.g. the person's personal email)."""
        if isinstance(eligible, pl.Expr):
            mask_src = df.with_columns(eligible.alias("__eligible"))["__eligible"].fill_null(False).to_numpy()
        else:
            mask_src = eligible
        mask = self.pick(
            source, entity, fld, kind, np.asarray(mask_src, dtype=bool) & df[fld].is_not_null().to_numpy()
        )
        idx = np.flatnonzero(mask)
        if len(idx) == 0:
            return df
        clean = df[fld].gather(idx)
        if replacement is not None:
            dirty = df[replacement].gather(idx).cast(df[fld].dtype)
        else:
            assert transform is not None, "apply() needs a transform or a replacement column"
            dirty = transform(clean, self.rng(source, entity, fld, kind + ":value")).cast(df[fld].dtype)
        changed = (dirty != clean).fill_null(True).to_numpy()
        idx, clean, dirty = idx[changed], clean.filter(changed), dirty.filter(changed)
        self.record(source, entity, fld, kind, df[id_col].gather(idx), clean, dirty)
        return df.with_columns(df[fld].scatter(idx, dirty))

    def log(self) -> pl.DataFrame:
        """All recorded faults, in injection order (deterministic)."""
        if not self._log:
            return pl.DataFrame(schema=DIRT_SCHEMA)
        return pl.concat(self._log, how="vertical")

    def summary(self) -> list[dict[str, Any]]:
        """Per (source, entity, field, kind): configured rate, eligible count, injected count."""
        keys = sorted(set(self.eligible) | set(self.injected))
        return [
            {
                "source": s,
                "entity": e,
                "field": f,
                "kind": k,
                "rate": self.rates.get(k, 0.0),
                "eligible": self.eligible.get((s, e, f, k)),
                "injected": self.injected.get((s, e, f, k), 0),
            }
            for s, e, f, k in keys
        ]


# --- value transforms (vectorised; each returns a series of the same length) -------------------


def case_or_pad(values: pl.Series, rng: np.random.Generator) -> pl.Series:
    """``Ann@X.com``, ``ANN@X.COM`` or `` ann@x.com `` — same mailbox, different string."""
    how = pl.Series(rng.integers(0, 3, len(values)))
    frame = pl.DataFrame({"v": values, "how": how})
    return frame.select(
        pl.when(pl.col("how") == 0)
        .then(pl.col("v").str.to_uppercase())
        .when(pl.col("how") == 1)
        .then(pl.col("v").str.slice(0, 1).str.to_uppercase() + pl.col("v").str.slice(1))
        .otherwise(pl.lit("  ") + pl.col("v") + pl.lit(" "))
    ).to_series()


def gmail_variant(values: pl.Series, rng: np.random.Generator) -> pl.Series:
    """Gmail ignores dots and ``+tags`` in the local part: ``ann.lee`` → ``ann.lee+shop`` or ``a.nnlee``."""
    tags = pl.Series(np.array(["+news", "+shop", "+crm", "+promo", "+work"])[rng.integers(0, 5, len(values))])
    frame = pl.DataFrame({"v": values, "tag": tags, "tag_it": rng.random(len(values)) < 0.5})
    local = pl.col("v").str.split("@").list.first()
    bare = local.str.replace_all(".", "", literal=True)
    dot_at_1 = bare.str.slice(0, 1) + pl.lit(".") + bare.str.slice(1)
    dot_at_2 = bare.str.slice(0, 2) + pl.lit(".") + bare.str.slice(2)
    moved = pl.when(dot_at_1 == local).then(dot_at_2).otherwise(dot_at_1)
    return frame.select(
        pl.when(pl.col("tag_it")).then(local + pl.col("tag")).otherwise(moved) + pl.lit("@gmail.com")
    ).to_series()


def typo(values: pl.Series, rng: np.random.Generator) -> pl.Series:
    """One keyboard slip: a character dropped, doubled or two neighbours swapped."""
    n = len(values)
    frame = pl.DataFrame({"v": values, "u": rng.random(n), "how": rng.integers(0, 3, n)})
    length = pl.col("v").str.len_chars()
    pos = (pl.col("u") * (length - 1).clip(1)).floor().cast(pl.Int64).clip(0)
    dropped = pl.col("v").str.slice(0, pos) + pl.col("v").str.slice(pos + 1)
    doubled = pl.col("v").str.slice(0, pos + 1) + pl.col("v").str.slice(pos)
    swapped = (
        pl.col("v").str.slice(0, pos)
        + pl.col("v").str.slice(pos + 1, 1)
        + pl.col("v").str.slice(pos, 1)
        + pl.col("v").str.slice(pos + 2)
    )
    out = frame.select(
        pl.when(length < 3)
        .then(doubled)
        .when(pl.col("how") == 0)
        .then(dropped)
        .when(pl.col("how") == 1)
        .then(doubled)
        .otherwise(pl.when(swapped == pl.col("v")).then(doubled).otherwise(swapped))
    ).to_series()
    return out


def invalid_email(values: pl.Series, rng: np.random.Generator) -> pl.Series:
    """Unparseable addresses as forms let them through: no TLD, no ``@``, ``@@``, a space."""
    frame = pl.DataFrame({"v": values, "how": rng.integers(0, 4, len(values))})
    v = pl.col("v")
    return frame.select(
        pl.when(pl.col("how") == 0)
        .then(v.str.replace(r"\.[a-z.]+$", ""))
        .when(pl.col("how") == 1)
        .then(v.str.replace("@", " at "))
        .when(pl.col("how") == 2)
        .then(v.str.replace("@", "@@"))
        .otherwise(v.str.replace(".", " ", literal=True))
    ).to_series()


_SUFFIX_RE = (
    r"(?i),? (Inc\.|LLC|Corp\.|Ltd\.?|PLC|GmbH|AG|SAS|SA|S\.L\.|S\.A\.|S\.r\.l\.|S\.p\.A\.|B\.V\.|N\.V\.|AB|"
    r"Sp\. z o\.o\.|Ltda\.|K\.K\.|Co\., Ltd\.|OOO|AO)$"
)


def company_variant(values: pl.Series, rng: np.random.Generator) -> pl.Series:
    """How other systems spell a company: suffix dropped or expanded, upper-cased, comma'd, ``The``."""
    frame = pl.DataFrame({"v": values, "how": rng.integers(0, 5, len(values))})
    v = pl.col("v")
    base = v.str.replace(_SUFFIX_RE, "")
    return frame.select(
        pl.when(pl.col("how") == 0)
        .then(base)
        .when(pl.col("how") == 1)
        .then(v.str.to_uppercase())
        .when(pl.col("how") == 2)
        .then(base + pl.lit(", ") + v.str.extract(_SUFFIX_RE, 1).fill_null("Inc."))
        .when(pl.col("how") == 3)
        .then(
            base
            + v.str.extract(_SUFFIX_RE, 1).replace_strict(
                {"Inc.": " Incorporated", "LLC": " L.L.C.", "Ltd": " Limited", "Ltd.": " Limited"},
                default=" Group",
                return_dtype=pl.String,
            )
        )
        .otherwise(pl.lit("The ") + v)
    ).to_series()


def embed_newline_quote(values: pl.Series, rng: np.random.Generator) -> pl.Series:
    """Free text as people type it: a line break, or a quoted word (CSV must quote and escape)."""
    frame = pl.DataFrame({"v": values, "nl": rng.random(len(values)) < 0.5})
    v = pl.col("v")
    first_space = v.str.find(" ").fill_null(v.str.len_chars())
    return frame.select(
        pl.when(pl.col("nl"))
        .then(v.str.slice(0, first_space) + pl.lit("\n") + v.str.slice(first_space).str.strip_chars_start())
        .otherwise(pl.lit('"') + v.str.slice(0, first_space) + pl.lit('"') + v.str.slice(first_space))
    ).to_series()


def nickname(values: pl.Series, _rng: np.random.Generator) -> pl.Series:
    """``Robert`` → ``Bob`` (only called on names that have a nickname)."""
    from seeds.generator.names import NICKNAMES

    return values.replace_strict(NICKNAMES, default=values)


def apply_person_dirt(
    dirt: Dirt,
    df: pl.DataFrame,
    source: str,
    entity: str,
    id_col: str,
    *,
    email: str | None = "email",
    first: str | None = "first_name",
    last: str | None = "last_name",
) -> pl.DataFrame:
    """Identity and value dirt on one source's person records.

    ``df`` carries helper columns from the true person: ``_first_latin``, ``_last_latin``,
    ``_personal_email`` and ``_business`` (has a work address); they are left in place for the caller
    to drop. The order matters: an address is first swapped for the personal one, then varied.
    """
    from seeds.generator.names import NICKNAMES

    kw: dict[str, Any] = {"source": source, "entity": entity, "id_col": id_col}
    if first is not None and last is not None:
        accented = (pl.col(first) != pl.col("_first_latin")) | (pl.col(last) != pl.col("_last_latin"))
        hit_rows = df.select(accented).to_series().to_numpy()
        mask = dirt.pick(source, entity, f"{first}+{last}", "accented_name", hit_rows)
        if mask.any():
            idx = np.flatnonzero(mask)
            before = df[first].gather(idx) + " " + df[last].gather(idx)
            df = df.with_columns(
                df[first].scatter(idx, df["_first_latin"].gather(idx)),
                df[last].scatter(idx, df["_last_latin"].gather(idx)),
            )
            after = df[first].gather(idx) + " " + df[last].gather(idx)
            dirt.record(
                source, entity, f"{first}+{last}", "accented_name", df[id_col].gather(idx), before, after
            )
        df = dirt.apply(
            df,
            fld=first,
            kind="nickname",
            eligible=pl.col(first).is_in(list(NICKNAMES)),
            transform=nickname,
            **kw,
        )
        df = dirt.apply(df, fld=first, kind="name_typo", eligible=pl.lit(True), transform=typo, **kw)
        df = dirt.apply(df, fld=last, kind="name_typo", eligible=pl.lit(True), transform=typo, **kw)
    if email is not None:
        df = dirt.apply(
            df,
            fld=email,
            kind="personal_email",
            eligible=pl.col("_business"),
            replacement="_personal_email",
            **kw,
        )
        df = dirt.apply(
            df,
            fld=email,
            kind="gmail_dots_tags",
            eligible=pl.col(email).str.ends_with("@gmail.com"),
            transform=gmail_variant,
            **kw,
        )
        df = dirt.apply(
            df, fld=email, kind="email_case_padding", eligible=pl.lit(True), transform=case_or_pad, **kw
        )
        df = dirt.apply(
            df, fld=email, kind="invalid_email", eligible=pl.lit(True), transform=invalid_email, **kw
        )
    return df
