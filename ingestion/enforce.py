"""Contract enforcement: turn rows as a source delivered them into typed rows plus quarantined rows.

One lazy Polars pass per batch: every contract column is parsed to its declared type; a row whose
value cannot be parsed, whose required value is missing, or whose required enum value is unknown goes
to quarantine with a reason naming the field and the value; nothing is dropped. The policy per kind
of dirt (see ``ingestion/README.md``):

* coerced, with a counted note: thousands separators, non-ISO date formats, UTC offsets, naive
  timestamps (taken as UTC), enum case and whitespace, 0/1 and yes/no booleans;
* quarantined with a reason: unparseable values, missing required values, unknown values of a required
  enum, rows a reader could not split into fields (malformed JSON line, ragged CSV row);
* loaded as-is for dbt to clean: free text (emails, names, padding), unknown values of an optional
  enum (with a note), duplicates, future dates, negative quantities.

Schema drift: a missing required column fails the batch (``SchemaDriftError`` naming origin, entity
and column); a missing optional column is loaded as null and reported; an extra column is carried.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import polars as pl

from ingestion.contracts import Column, Entity

REASON = "_reason"
ROW_LINEAGE = "__lineage"
"""A column an extractor may add to carry per-row lineage (the file or API request a row came from)."""
ROW = "row"
QUARANTINE_SCHEMA = pl.Schema({ROW: pl.String(), REASON: pl.String()})

_THOUSANDS = r"^\s*[-+]?\d{1,3}(,\d{3})+(\.\d+)?\s*$"
_TRUE = ("true", "t", "1", "yes", "y")
_FALSE = ("false", "f", "0", "no", "n")
# Accepted date spellings, most specific first; ISO is the only one that earns no note.
_DATE_FORMATS = ("%Y-%m-%d", "%Y/%m/%d", "%m/%d/%Y", "%d.%m.%Y", "%d %b %Y", "%b %d, %Y", "%Y%m%d")
_ISO_TIMESTAMP = "%Y-%m-%dT%H:%M:%S%.f%#z"
_OTHER_TIMESTAMPS_WITH_OFFSET = ("%Y-%m-%d %H:%M:%S%.f%#z",)
_NAIVE_TIMESTAMPS = (
    "%Y-%m-%dT%H:%M:%S%.f",
    "%Y-%m-%d %H:%M:%S%.f",
    "%m/%d/%Y %H:%M:%S",
    "%m/%d/%Y %H:%M",
    "%d.%m.%Y %H:%M:%S",
    "%d.%m.%Y %H:%M",
    "%Y/%m/%d %I:%M %p",
    "%m/%d/%Y %I:%M %p",
)
_NON_UTC_OFFSET = r"[+-](0[1-9]|1\d|2[0-3]):?\d{2}$|[+-]00:?(0[1-9]|[1-5]\d)$"


class SchemaDriftError(ValueError):
    """A batch lacks a required contract column (missing or renamed): the batch fails, others load."""

    kind = "schema_break"
    """The failed manifest's ``error_kind`` (``landing.ERROR_KINDS``)."""


def check_required_columns(columns: list[str], entity: Entity, *, origin: str) -> None:
    """Raise ``SchemaDriftError`` naming origin, entity and column(s) if a required column is absent."""
    missing_required = [name for name in entity.required_columns if name not in columns]
    if missing_required:
        extra = [name for name in columns if name not in entity.column_names and not name.startswith("__")]
        hint = f"; unexpected column(s) {', '.join(extra)} (renamed?)" if extra else ""
        raise SchemaDriftError(
            f"{origin}: {entity.qualified_name} is missing required column(s) "
            f"{', '.join(missing_required)}{hint}"
        )


@dataclass
class Enforced:
    """The outcome of enforcing a contract on one batch; ``rows_in == clean.height + quarantine.height``."""

    clean: pl.DataFrame
    quarantine: pl.DataFrame
    notes: dict[str, int] = field(default_factory=dict)
    added_columns: list[str] = field(default_factory=list)
    missing_columns: list[str] = field(default_factory=list)

    @property
    def rows_in(self) -> int:
        return self.clean.height + self.quarantine.height


@dataclass
class _Parsed:
    """How one contract column is computed: its value, the problems that reject a row, the notes."""

    value: pl.Expr
    problems: list[tuple[pl.Expr, pl.Expr]] = field(default_factory=list)
    """(flag, message) pairs: the flag is evaluated on every row, the message only on flagged rows."""
    notes: dict[str, pl.Expr] = field(default_factory=dict)
    helpers: list[tuple[str, pl.Expr]] = field(default_factory=list)
    """Intermediate columns computed once, in order, before the value (expensive parses)."""


def enforce(
    frame: pl.DataFrame, entity: Entity, *, origin: str, rejected: pl.DataFrame | None = None
) -> Enforced:
    """Apply ``entity``'s contract to ``frame`` (the rows as delivered); ``origin`` names the file/query.

    ``rejected`` holds rows a reader could not even split into fields (``row``, ``_reason``); they are
    counted in and quarantined with the rest.
    """
    present = frame.columns
    check_required_columns(present, entity, origin=origin)
    missing = [name for name in entity.column_names if name not in present]
    passthrough = [name for name in present if name.startswith("__")]  # e.g. per-row lineage
    added = [name for name in present if name not in entity.column_names and name not in passthrough]

    parsed = {column.name: _parse(column, frame.schema.get(column.name)) for column in entity.columns}
    problems = [problem for p in parsed.values() for problem in p.problems]
    is_bad = pl.any_horizontal(flag.fill_null(False) for flag, _ in problems) if problems else pl.lit(False)
    # Reason text is built only for the rejected rows: formatting it for every row would dominate.
    reason = pl.concat_str(
        [pl.when(flag).then(message) for flag, message in problems], separator="; ", ignore_nulls=True
    )
    if ROW_LINEAGE in present:  # say where the row came from (file or API request)
        reason = reason + pl.lit(" (in ") + pl.col(ROW_LINEAGE).fill_null("?") + pl.lit(")")
    note_names = [f"{name}: {label}" for name, p in parsed.items() for label in p.notes]
    note_exprs = [expr for p in parsed.values() for expr in p.notes.values()]
    carried = [
        pl.col(name) if frame.schema[name] != pl.Null else pl.col(name).cast(pl.String) for name in added
    ]

    def prepared(rows: pl.DataFrame) -> pl.LazyFrame:
        """The rows with missing optional columns as nulls and the parse helpers computed once each."""
        lazy = rows.lazy().with_columns(pl.lit(None, pl.String).alias(name) for name in missing)
        for helper, expr in (h for p in parsed.values() for h in p.helpers):
            lazy = lazy.with_columns(expr.alias(helper))
        return lazy

    completed = prepared(frame)
    checked = completed.select(
        *(p.value.alias(name) for name, p in parsed.items()),
        *carried,
        *(pl.col(name) for name in passthrough),
        is_bad.alias(REASON),
        *(expr.fill_null(False).alias(f"__note{i}") for i, expr in enumerate(note_exprs)),
    ).collect()
    bad = checked.get_column(REASON)
    clean = checked.filter(~bad)
    notes = {
        name: int(count)
        for name, count in zip(
            note_names,
            clean.select(pl.col(f"__note{i}").sum() for i in range(len(note_exprs))).row(0)
            if note_exprs
            else (),
            strict=True,
        )
        if count
    }
    for name in missing:
        notes[f"{name}: column missing from source, loaded as null"] = clean.height
    rows = (
        frame.filter(bad).drop(passthrough).select(pl.struct(pl.all()).struct.json_encode().alias(ROW))
        if frame.width > len(passthrough)
        else pl.DataFrame({ROW: [None] * int(bad.sum())}, schema={ROW: pl.String()})
    )
    reasons = (
        prepared(frame.filter(bad)).select(reason.alias(REASON)).collect().get_column(REASON)
        if bad.any()
        else pl.Series(REASON, [], pl.String)
    )
    quarantine = rows.with_columns(reasons)
    if rejected is not None and rejected.height:
        quarantine = pl.concat([quarantine, rejected.select(ROW, REASON)])
    result = Enforced(
        clean=clean.select(*entity.column_names, *added, *passthrough),
        quarantine=quarantine.cast(dict(QUARANTINE_SCHEMA)),  # type: ignore[arg-type]
        notes=notes,
        added_columns=added,
        missing_columns=missing,
    )
    rows_in = frame.height + (rejected.height if rejected is not None else 0)
    assert result.rows_in == rows_in, f"{origin}: accounting broken: {rows_in} in, {result.rows_in} out"
    return result


# --- per-type parsing -------------------------------------------------------------------------------


def _shown(expr: pl.Expr) -> pl.Expr:
    """The offending value as text for a reason (quoted, capped so one bad cell stays readable)."""
    text = expr.cast(pl.String)
    return pl.lit("'") + text.str.slice(0, 80) + pl.lit("'")


def _parse(column: Column, source: pl.DataType | None) -> _Parsed:
    """Dispatch on (source dtype, contract dtype)."""
    raw = pl.col(column.name)
    target = column.dtype
    if source is None or source == pl.Null:
        result = _Parsed(pl.lit(None, target))
    elif source == pl.String and target != pl.String:
        result = _from_text(column, raw)
    elif target == pl.String:
        result = _Parsed(raw.cast(pl.String))
    else:
        result = _from_typed(column, raw, source)
    present = result.value
    if column.enum is not None:
        snapped = _enum(column, result.value)
        result = _Parsed(
            snapped.value,
            [*result.problems, *snapped.problems],
            {**result.notes, **snapped.notes},
            result.helpers,
        )
    if column.required:
        result.problems.append((present.is_null(), pl.lit(f"{column.name}: required value missing")))
    return result


def _unparseable(
    column: Column, raw: pl.Expr, value: pl.Expr, what: str, *, nested: bool = False
) -> tuple[pl.Expr, pl.Expr]:
    """The reason for a present value that did not parse (null otherwise)."""
    if nested:  # a list or struct: show it as JSON
        present = raw.is_not_null()
        shown = pl.struct(raw).struct.json_encode()
    else:
        present = raw.is_not_null() & (raw.cast(pl.String).str.strip_chars() != "")
        shown = _shown(raw)
    return present & value.is_null(), pl.lit(f"{column.name}: cannot parse ") + shown + pl.lit(f" as {what}")


def _from_text(column: Column, raw: pl.Expr) -> _Parsed:
    """Parse a text value (CSV, NDJSON strings, SQLite TEXT) into the contract type."""
    text = raw.str.strip_chars()
    target = column.dtype
    if target.is_integer() or target.is_float():
        has_thousands = text.str.contains(_THOUSANDS)
        cleaned = pl.when(has_thousands).then(text.str.replace_all(",", "")).otherwise(text)
        value = cleaned.cast(target, strict=False)
        what = "an integer" if target.is_integer() else "a number"
        return _Parsed(
            value,
            [_unparseable(column, raw, value, what)],
            {"thousands separator removed": has_thousands & value.is_not_null()},
        )
    if target == pl.Boolean:
        lowered = text.str.to_lowercase()
        value = pl.when(lowered.is_in(_TRUE)).then(True).when(lowered.is_in(_FALSE)).then(False)
        return _Parsed(value, [_unparseable(column, raw, value, "a boolean")])
    if target == pl.Date:
        iso_name, value_name = f"__iso_{column.name}", f"__value_{column.name}"
        iso = pl.col(iso_name)
        rest = pl.when(iso.is_null()).then(text)  # other formats only see what ISO could not parse
        others = [rest.str.to_date(fmt, strict=False) for fmt in _DATE_FORMATS[1:]]
        from_timestamp = _timestamp_from_text(rest)[0].dt.date()
        value = pl.col(value_name)
        return _Parsed(
            value,
            [_unparseable(column, raw, value, "a date")],
            {"non-ISO date format": iso.is_null() & value.is_not_null()},
            [
                (iso_name, text.str.to_date("%Y-%m-%d", strict=False)),
                (value_name, pl.coalesce(iso, *others, from_timestamp)),
            ],
        )
    if isinstance(target, pl.Datetime):
        iso_name, value_name = f"__iso_{column.name}", f"__value_{column.name}"
        offset_name, naive_name = f"__offset_{column.name}", f"__naive_{column.name}"
        iso = pl.col(iso_name)
        rest = pl.when(iso.is_null()).then(text)
        with_offset, naive, value = pl.col(offset_name), pl.col(naive_name), pl.col(value_name)
        return _Parsed(
            value,
            [_unparseable(column, raw, value, "a timestamp")],
            {
                "UTC offset converted to UTC": with_offset.is_not_null() & text.str.contains(_NON_UTC_OFFSET),
                "timestamp without offset taken as UTC": with_offset.is_null() & naive.is_not_null(),
            },
            [
                (
                    iso_name,
                    text.str.to_datetime(_ISO_TIMESTAMP, time_unit="us", time_zone="UTC", strict=False),
                ),
                (
                    offset_name,
                    pl.coalesce(iso, *(_with_offset(rest, f) for f in _OTHER_TIMESTAMPS_WITH_OFFSET)),
                ),
                (naive_name, pl.coalesce(*(_naive(rest, f) for f in _NAIVE_TIMESTAMPS))),
                (value_name, pl.coalesce(with_offset, naive)),
            ],
        )
    if isinstance(target, pl.List) and target.inner == pl.Date:
        value = raw.str.json_decode(pl.List(pl.String)).list.eval(pl.element().str.to_date(strict=False))
        return _Parsed(value, [_unparseable(column, raw, value, "a list of dates")])
    # Nested values delivered as JSON text.
    value = raw.str.json_decode(target)
    return _Parsed(value, [_unparseable(column, raw, value, str(target))])


def _with_offset(text: pl.Expr, fmt: str) -> pl.Expr:
    return text.str.to_datetime(fmt, time_unit="us", time_zone="UTC", strict=False)


def _naive(text: pl.Expr, fmt: str) -> pl.Expr:
    return text.str.to_datetime(fmt, time_unit="us", strict=False).dt.replace_time_zone("UTC")


def _timestamp_from_text(text: pl.Expr) -> tuple[pl.Expr, pl.Expr, pl.Expr]:
    """(UTC timestamp, the part parsed with an offset, the part parsed as naive UTC).

    ISO 8601 is tried on every value; the other formats only see the values ISO could not parse
    (the rest are nulled first, and parsing a null costs nothing), so clean data pays for one parse.
    """
    iso = text.str.to_datetime(_ISO_TIMESTAMP, time_unit="us", time_zone="UTC", strict=False)
    rest = pl.when(iso.is_null()).then(text)
    with_offset = pl.coalesce(
        iso,
        *(
            rest.str.to_datetime(fmt, time_unit="us", time_zone="UTC", strict=False)
            for fmt in _OTHER_TIMESTAMPS_WITH_OFFSET
        ),
    )
    naive = pl.coalesce(
        *(
            rest.str.to_datetime(fmt, time_unit="us", strict=False).dt.replace_time_zone("UTC")
            for fmt in _NAIVE_TIMESTAMPS
        )
    )
    return pl.coalesce(with_offset, naive), with_offset, naive


def _from_typed(column: Column, raw: pl.Expr, source: pl.DataType) -> _Parsed:
    """Convert an already-typed value (SQL driver, JSON number/bool/list) into the contract type."""
    target = column.dtype
    if source == target:
        return _Parsed(raw)
    if isinstance(target, pl.Datetime) and isinstance(source, pl.Datetime):
        # Naive database timestamps are UTC by the source contract; aware ones are converted.
        value = (
            raw.dt.replace_time_zone("UTC") if source.time_zone is None else raw.dt.convert_time_zone("UTC")
        )
        return _Parsed(value.dt.cast_time_unit("us"))
    if target == pl.Date and isinstance(source, pl.Datetime):
        return _Parsed(raw.dt.date())
    if target == pl.Boolean and source.is_integer():
        value = pl.when(raw == 1).then(True).when(raw == 0).then(False)
        return _Parsed(value, [_unparseable(column, raw, value, "a boolean")])
    if isinstance(target, pl.List) and target.inner == pl.Date and source == pl.List(pl.String):
        value = raw.list.eval(pl.element().str.to_date(strict=False))
        nulls_in = raw.list.eval(pl.element().is_null()).list.sum()
        failed = value.list.eval(pl.element().is_null()).list.sum() > nulls_in
        shown = pl.struct(raw).struct.json_encode()
        return _Parsed(
            value, [(failed, pl.lit(f"{column.name}: cannot parse ") + shown + pl.lit(" as dates"))]
        )
    value = raw.cast(target, strict=False)
    nested = isinstance(source, pl.List | pl.Struct)
    return _Parsed(value, [_unparseable(column, raw, value, str(target), nested=nested)])


def _enum(column: Column, value: pl.Expr) -> _Parsed:
    """Snap case/whitespace variants to the canonical spelling; judge unknown values by requiredness."""
    assert column.enum is not None
    canonical = {allowed.lower(): allowed for allowed in column.enum}
    snapped = value.str.strip_chars().str.to_lowercase().replace_strict(canonical, default=None)
    unknown = value.is_not_null() & snapped.is_null()
    notes = {"enum case or whitespace normalised": snapped.is_not_null() & (snapped != value)}
    problems: list[tuple[pl.Expr, pl.Expr]] = []
    if column.required:
        allowed = "/".join(column.enum)
        message = pl.lit(f"{column.name}: unknown value ") + _shown(value) + pl.lit(f" (allowed: {allowed})")
        problems.append((unknown, message))
        final = snapped
    else:
        notes["unknown enum value loaded as-is"] = unknown
        final = pl.coalesce(snapped, value)
    return _Parsed(final, problems, notes)
