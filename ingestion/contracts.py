"""Entity contracts: the one declaration per source entity that drives parsing, validation and raw DDL.

A contract names the entity's columns with their types (Polars dtypes, mapped once to DuckDB types),
which ones are required, the allowed values of enum columns, the primary key, the cursor that makes
extraction incremental and the write mode the loader applies. Source packages declare their entities
in ``ingestion/<source>/entities.py``; nothing else in the codebase restates a column list.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import cast

import polars as pl

# The type vocabulary of every contract. Timestamps are always UTC; money and rates are DOUBLE.
STRING: pl.DataType = pl.String()
INT: pl.DataType = pl.Int64()
FLOAT: pl.DataType = pl.Float64()
BOOL: pl.DataType = pl.Boolean()
DATE: pl.DataType = pl.Date()
TIMESTAMP: pl.DataType = pl.Datetime("us", "UTC")
STRINGS: pl.DataType = pl.List(pl.String())


class WriteMode(StrEnum):
    """How the loader applies a batch to the raw table (raw is append-only in every mode)."""

    APPEND = "append"
    """Each batch holds new rows or new versions of records; staging dedupes to the latest."""
    SNAPSHOT = "snapshot"
    """Each batch is the whole table (no change cursor at the source); landed only when it changed."""
    REPLACE_FILE = "replace_file"
    """Each batch is one delivered file; a re-delivered file replaces the rows of its earlier version."""


@dataclass(frozen=True)
class Column:
    """One column of a contract.

    ``enum`` lists the canonical spellings; values matching one after trimming and case-folding are
    coerced to it (with a note). An unknown value quarantines the row when the column is required and
    is loaded as-is (with a note) when it is optional, so that dbt can map it.
    """

    name: str
    dtype: pl.DataType
    required: bool = False
    enum: tuple[str, ...] | None = None


@dataclass(frozen=True)
class Entity:
    """The contract of one source entity; ``raw_table`` is where the loader appends it."""

    source: str
    name: str
    columns: tuple[Column, ...]
    primary_key: tuple[str, ...]
    cursor: str | None
    write_mode: WriteMode = WriteMode.APPEND
    version: int = 1
    lineage_column: str = "_source_cursor"

    def __post_init__(self) -> None:
        names = [column.name for column in self.columns]
        if len(set(names)) != len(names):
            raise ValueError(f"{self.source}.{self.name}: duplicate column names in contract")
        for key in (*self.primary_key, *([self.cursor] if self.cursor else [])):
            if key not in names:
                raise ValueError(f"{self.source}.{self.name}: key or cursor {key!r} is not a column")

    @property
    def qualified_name(self) -> str:
        return f"{self.source}.{self.name}"

    @property
    def raw_table(self) -> str:
        """The raw table's name (without schema): ``<source>__<entity>``."""
        return f"{self.source}__{self.name}"

    @property
    def column_names(self) -> list[str]:
        return [column.name for column in self.columns]

    @property
    def required_columns(self) -> list[str]:
        return [column.name for column in self.columns if column.required]

    @property
    def schema(self) -> pl.Schema:
        """The typed schema every landed batch of this entity has (before drift columns)."""
        return pl.Schema({column.name: column.dtype for column in self.columns})

    def column(self, name: str) -> Column:
        for column in self.columns:
            if column.name == name:
                return column
        raise KeyError(f"{self.qualified_name} has no column {name!r}")


def required(name: str, dtype: pl.DataType, enum: tuple[str, ...] | None = None) -> Column:
    """Shorthand for a required column (keeps entity declarations one line per column)."""
    return Column(name, dtype, required=True, enum=enum)


def optional(name: str, dtype: pl.DataType, enum: tuple[str, ...] | None = None) -> Column:
    """Shorthand for an optional (nullable) column."""
    return Column(name, dtype, required=False, enum=enum)


def duckdb_type(dtype: pl.DataType) -> str:
    """The DuckDB type a Polars dtype is stored as in raw (nested types become LIST / STRUCT)."""
    if isinstance(dtype, pl.List):
        return f"{duckdb_type(cast(pl.DataType, dtype.inner))}[]"
    if isinstance(dtype, pl.Struct):
        fields = ", ".join(f'"{f.name}" {duckdb_type(cast(pl.DataType, f.dtype))}' for f in dtype.fields)
        return f"STRUCT({fields})"
    if isinstance(dtype, pl.Datetime):
        return "TIMESTAMPTZ" if dtype.time_zone else "TIMESTAMP"
    simple: dict[type[pl.DataType], str] = {
        pl.String: "VARCHAR",
        pl.Int8: "TINYINT",
        pl.Int16: "SMALLINT",
        pl.Int32: "INTEGER",
        pl.Int64: "BIGINT",
        pl.UInt8: "UTINYINT",
        pl.UInt16: "USMALLINT",
        pl.UInt32: "UINTEGER",
        pl.UInt64: "UBIGINT",
        pl.Float32: "FLOAT",
        pl.Float64: "DOUBLE",
        pl.Boolean: "BOOLEAN",
        pl.Date: "DATE",
        pl.Time: "TIME",
        pl.Null: "VARCHAR",
    }
    for polars_type, sql_type in simple.items():
        if isinstance(dtype, polars_type):
            return sql_type
    raise TypeError(f"no DuckDB type for Polars dtype {dtype}")
