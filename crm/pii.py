"""Personal data in the serving database: which columns are pseudonymised, how, and the scan that proves it.

The warehouse keeps direct identifiers as the sources gave them (identity resolution needs them); the
serving database, read by every BI user, must not. Publishing copies each column named in
``MASKED_COLUMNS`` as a SHA-256 hash of its normalised value — the same scheme ad platforms use for
customer matching, so an analyst can still join on it or match a list, but cannot read it — and then
scans every VARCHAR column of every published table for anything that still looks like an email
address or a phone number. One hit fails the publish (``PersonalDataExposed``) and the last good
serving file stays.

Masked columns today (``docs/serving.md`` lists them for BI users):

| column | in | served as |
|---|---|---|
| ``email`` | ``dim_person`` | sha256 hex of ``lower(trim(email))`` |
| ``recipient_email`` | ``fct_email_events`` | sha256 hex of ``lower(trim(recipient_email))`` |
| ``phone`` | ``dim_person`` | sha256 hex of the phone's digits (country code included, nothing else) |
| ``observed``, ``message`` | ``meta.check_results`` | free text (*) |
| ``observed``, ``check_message`` | ``data_quality_scorecard`` | free text (*) |
| ``nps_comment`` | ``fct_nps_responses`` | free text (*) |

(*) emails and phone numbers inside the text replaced by ``[email]`` / ``[phone]``.

The rule is by column name, so a new mart with an ``email`` or ``phone`` column is masked without a
code change; a new *name* for such data is caught by the scan, which says where to declare it.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from enum import Enum
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Mapping

    import duckdb

log = logging.getLogger(__name__)


# RE2 (DuckDB's regex engine) has no look-around: the boundary groups keep a phone pattern from matching
# inside ids and hashes, which are long runs of letters and digits. Group 2 is the number itself.
EMAIL_PATTERN = r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}"
PHONE_PATTERNS = (
    # international: +44 20 7946 0958, +1 (415) 555-0123, +4915112345678
    r"(^|[^0-9A-Za-z+])(\+[0-9]{1,3}(?:[ .()/-]{0,2}[0-9]{2,}){2,})($|[^0-9A-Za-z])",
    # national, grouped 3-3-4: (415) 555-0123, 415.555.0123
    r"(^|[^0-9A-Za-z])(\(?[0-9]{3}\)?[ .-][0-9]{3}[ .-][0-9]{4})($|[^0-9A-Za-z])",
)


# what the scan looks for, by the kind a finding names; ANY_PATTERN is all of them in one regex
PATTERNS: dict[str, tuple[str, ...]] = {"an email": (EMAIL_PATTERN,), "a phone number": PHONE_PATTERNS}
ANY_PATTERN = "|".join(f"(?:{regex})" for regexes in PATTERNS.values() for regex in regexes)


class Masking(Enum):
    """What publishing does to a column: hash an identifier (normalised first, so equal values hash
    equally), or cut identifiers out of free text."""

    EMAIL = "email"
    PHONE = "phone"
    FREE_TEXT = "free_text"

    def sql(self, column: str) -> str:
        """A DuckDB expression for the served value of ``column``; null stays null."""
        quoted = '"' + column.replace('"', '""') + '"'
        if self is Masking.EMAIL:
            return f"sha256(nullif(lower(trim({quoted})), ''))"
        if self is Masking.PHONE:
            return f"sha256(nullif(regexp_replace({quoted}, '[^0-9]', '', 'g'), ''))"
        expression = f"regexp_replace({quoted}, '{_sql_string(EMAIL_PATTERN)}', '[email]', 'g')"
        for pattern in PHONE_PATTERNS:
            expression = f"regexp_replace({expression}, '{_sql_string(pattern)}', '\\1[phone]\\3', 'g')"
        return expression

    @property
    def description(self) -> str:
        if self is Masking.EMAIL:
            return "Pseudonymised: sha256 hex of the lower-cased, trimmed email (the warehouse keeps it)."
        if self is Masking.PHONE:
            return "Pseudonymised: sha256 hex of the phone number's digits (the warehouse keeps it)."
        return "Emails and phone numbers in the text are replaced by [email] / [phone]."


MASKED_COLUMNS: dict[str, Masking] = {
    "email": Masking.EMAIL,
    "recipient_email": Masking.EMAIL,
    "phone": Masking.PHONE,
    # free text that may quote a person's identifiers: the sample values of a failed quality check,
    # and what an NPS respondent wrote
    "observed": Masking.FREE_TEXT,
    "message": Masking.FREE_TEXT,
    "check_message": Masking.FREE_TEXT,
    "nps_comment": Masking.FREE_TEXT,
}


@dataclass(frozen=True)
class Finding:
    """A column that holds values looking like an email or a phone number."""

    table: str
    column: str
    kind: str
    rows: int
    example: str  # already masked: never log personal data while reporting it

    def describe(self) -> str:
        return (
            f"{self.table}.{self.column}: {self.rows} value(s) look like {self.kind} (e.g. {self.example!r})"
        )


class PersonalDataExposed(RuntimeError):
    """The serving file would contain unmasked emails or phone numbers: nothing is published."""

    def __init__(self, findings: list[Finding]) -> None:
        self.findings = findings
        lines = "\n".join(f"  - {finding.describe()}" for finding in findings)
        super().__init__(
            "the serving database would expose personal data:\n"
            f"{lines}\n"
            "declare the column in crm.pii.MASKED_COLUMNS (or stop publishing it)"
        )


def masked_select_list(columns: list[tuple[str, str]]) -> tuple[str, list[str]]:
    """The select list that copies ``columns`` ((name, type) pairs) with the declared ones hashed.

    Returns the list and the names of the columns it masks.
    """
    expressions, masked = [], []
    for name, data_type in columns:
        quoted = '"' + name.replace('"', '""') + '"'
        masking = MASKED_COLUMNS.get(name.lower())
        if masking is not None and data_type.upper() == "VARCHAR":
            expressions.append(f"{masking.sql(name)} as {quoted}")
            masked.append(name)
        else:
            expressions.append(quoted)
    return ", ".join(expressions), masked


def scan(
    con: duckdb.DuckDBPyConnection, catalog: str, only: Mapping[str, str] | None = None
) -> list[Finding]:
    """Every VARCHAR column of every table in ``catalog`` whose values look like an email or a phone.

    ``only`` maps a table (``"schema.table"``) to a predicate: of that table, only the rows it selects
    are scanned (a publish that carries a table over scans its new rows).

    Two passes, because the first is nearly always clean: per table, one query evaluates a single
    regex (every pattern as one alternation: one automaton pass per value) on each column; only the
    columns with a hit are then scanned pattern by pattern for the count and an example. At SF 1 this
    is about a sixth of the CPU of evaluating each pattern twice per value (count and example).
    """
    columns = con.execute(
        "select table_schema, table_name, column_name from information_schema.columns "
        "where table_catalog = ? and data_type = 'VARCHAR' order by all",
        [catalog],
    ).fetchall()
    by_table: dict[tuple[str, str], list[str]] = {}
    for schema, table, column in columns:
        by_table.setdefault((schema, table), []).append(column)
    findings: list[Finding] = []
    for (schema, table), names in by_table.items():
        relation = f'"{catalog}"."{schema}"."{table}"'
        if only and f"{schema}.{table}" in only:
            relation = f"(select * from {relation} where {only[f'{schema}.{table}']})"
        for name in _columns_matching_any_pattern(con, relation, names):
            findings += [_finding(con, relation, f"{schema}.{table}", name, kind) for kind in PATTERNS]
    return [finding for finding in findings if finding.rows]


def _columns_matching_any_pattern(
    con: duckdb.DuckDBPyConnection, relation: str, names: list[str]
) -> list[str]:
    # a literal pattern, so that DuckDB compiles it once per query rather than per value
    pattern = _sql_string(ANY_PATTERN)
    probes = [f"count(*) filter (where regexp_matches({_quoted(name)}, '{pattern}'))" for name in names]
    row = con.execute(f"select {', '.join(probes)} from {relation}").fetchall()[0]
    return [name for name, hits in zip(names, row, strict=True) if hits]


def _finding(con: duckdb.DuckDBPyConnection, relation: str, table: str, column: str, kind: str) -> Finding:
    quoted = _quoted(column)
    matches = " or ".join(f"regexp_matches({quoted}, '{_sql_string(regex)}')" for regex in PATTERNS[kind])
    query = f"select count(*), any_value({quoted}) from {relation} where {matches}"
    ((rows, example),) = con.execute(query).fetchall()
    return Finding(table, column, kind, int(rows), _redact(str(example)))


def _quoted(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _sql_string(text: str) -> str:
    return text.replace("'", "''")


def _redact(value: str) -> str:
    """Keep the shape of a value for an error message, not its content: ``j***@e******.c**``."""
    out, keep_next = [], True
    for char in value[:60]:
        if char.isalnum():
            out.append(char if keep_next else "*")
            keep_next = False
        else:
            out.append(char)
            keep_next = True
    return "".join(out)
