"""Great Expectations, quietly: one in-memory context per gate run, on DuckDB (default) or pandas.

Two engines validate the same expectations (``CRM_GX_ENGINE=sql|pandas``, default ``sql``):

- ``sql``: GX's SQL execution engine on an in-memory DuckDB (``quality.gx_duckdb``, which holds the
  persistent-connection fix GX needs there). Landed batches are views over ``read_parquet``, the
  serving file is attached read-only; nothing is copied into Python, so memory stays flat with batch
  size (DECISIONS.md has the measurements).
- ``pandas``: frames read from Parquet through Arrow (numpy-backed dtypes: GX's pandas metrics are
  ~8x slower on ``ArrowDtype`` columns), projected to the columns the checks use.

Why quiet: importing GX logs one ``Skipping registering function`` line per decorated closure at INFO,
which floods Airflow task logs; its metric progress bars write to stderr; and analytics must be off.
``import_gx()`` is the only place this project imports GX (``quality.gx_duckdb`` goes through it),
so those settings always apply.
"""

from __future__ import annotations

import hashlib
import logging
import os
import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING, Any, Literal, cast

import pandas as pd

if TYPE_CHECKING:
    from great_expectations.core import ExpectationSuiteValidationResult
    from great_expectations.core.batch_definition import BatchDefinition
    from great_expectations.data_context import AbstractDataContext
    from great_expectations.datasource.fluent import PandasDatasource

    from quality.gx_duckdb import DuckDBDatasource

_NOISY_LOGGERS = (
    "great_expectations",  # parent of _docs_decorators: "Skipping registering function ..." at INFO
    "great_expectations.data_context.types.base",  # sets itself to INFO on import
)
DOCS_SITE = "quality"
FRAMES = "frames"
DUCKDB = "duckdb"

Engine = Literal["sql", "pandas"]
ENGINES: tuple[Engine, ...] = ("sql", "pandas")
ENGINE_ENV = "CRM_GX_ENGINE"
DEFAULT_ENGINE: Engine = "sql"


def engine_from_env() -> Engine:
    """The GX engine chosen by ``CRM_GX_ENGINE`` (``sql`` when unset)."""
    value = os.environ.get(ENGINE_ENV, "").strip().lower() or DEFAULT_ENGINE
    if value not in ENGINES:
        raise ValueError(f"{ENGINE_ENV}={value!r}: must be one of {', '.join(ENGINES)}")
    return cast(Engine, value)


def import_gx() -> ModuleType:
    """Import GX with analytics off and its INFO chatter silenced (before and after import)."""
    os.environ["GX_ANALYTICS_ENABLED"] = "false"
    _silence()
    import great_expectations as gx

    _silence()  # some GX modules set their own level while importing
    return gx


def _silence() -> None:
    for name in _NOISY_LOGGERS:
        logging.getLogger(name).setLevel(logging.WARNING)


_silence()  # also when other code imports GX after importing this module (e.g. in the same worker)


def new_context(docs_dir: Path | None) -> AbstractDataContext:
    """An ephemeral context: in-memory stores, no analytics, no progress bars, docs in ``docs_dir``."""
    gx = import_gx()
    from great_expectations.data_context.types.base import (
        DataContextConfig,
        InMemoryStoreBackendDefaults,
        ProgressBarsConfig,
    )

    sites: dict[str, Any] = {}
    if docs_dir is not None:
        sites[DOCS_SITE] = {
            "class_name": "SiteBuilder",
            "store_backend": {"class_name": "TupleFilesystemStoreBackend", "base_directory": str(docs_dir)},
            "site_index_builder": {"class_name": "DefaultSiteIndexBuilder"},
        }
    config = DataContextConfig(
        store_backend_defaults=InMemoryStoreBackendDefaults(init_temp_docs_sites=False),
        analytics_enabled=False,
        progress_bars=ProgressBarsConfig(globally=False, metric_calculations=False),
        data_docs_sites=sites,
    )
    context = gx.get_context(project_config=config, mode="ephemeral")
    context.data_sources.add_pandas(FRAMES)
    return context


def validate_frame(
    context: AbstractDataContext,
    name: str,
    frame: pd.DataFrame,
    expectations: list[Any],
    run_name: str,
    notes: str | None = None,
) -> ExpectationSuiteValidationResult:
    """Validate ``frame`` (pandas engine) against ``expectations`` as suite ``name``."""
    datasource: PandasDatasource = context.data_sources.get(FRAMES)  # type: ignore[assignment]
    definition = datasource.add_dataframe_asset(name).add_batch_definition_whole_dataframe("batch")
    return _validate(context, name, definition, expectations, run_name, notes, {"dataframe": frame})


def validate_parquet(
    context: AbstractDataContext,
    name: str,
    path: Path,
    expectations: list[Any],
    run_name: str,
    notes: str | None = None,
) -> ExpectationSuiteValidationResult:
    """Validate a Parquet file (SQL engine: a DuckDB view over ``read_parquet``) as suite ``name``."""
    from quality.gx_duckdb import add_parquet_view

    asset = add_parquet_view(_duckdb(context), _view_name(name), path)
    definition = asset.add_batch_definition_whole_table("batch")
    return _validate(context, name, definition, expectations, run_name, notes)


def validate_duckdb_table(
    context: AbstractDataContext,
    name: str,
    database: Path,
    table: str,
    expectations: list[Any],
    run_name: str,
    notes: str | None = None,
) -> ExpectationSuiteValidationResult:
    """Validate ``table`` (``schema.table``) of a DuckDB file, attached read-only (SQL engine)."""
    from quality.gx_duckdb import add_table_view, attach_read_only, sql_name

    datasource = _duckdb(context)
    alias = "db_" + hashlib.sha256(str(database.resolve()).encode()).hexdigest()[:12]
    attach_read_only(datasource, alias, database)
    relation = ".".join(sql_name(part) for part in (alias, *table.split(".", 1)))
    definition = add_table_view(datasource, _view_name(name), relation).add_batch_definition_whole_table(
        "batch"
    )
    return _validate(context, name, definition, expectations, run_name, notes)


def close(context: AbstractDataContext) -> None:
    """Release the run's DuckDB (and with it every attached file); pandas frames need nothing."""
    if DUCKDB in context.data_sources.all():
        _duckdb(context).close()


def _duckdb(context: AbstractDataContext) -> DuckDBDatasource:
    """The context's in-memory DuckDB datasource, added on first use."""
    from quality.gx_duckdb import add_duckdb

    if DUCKDB in context.data_sources.all():
        return context.data_sources.get(DUCKDB)  # type: ignore[return-value]
    return add_duckdb(context, DUCKDB)


def _view_name(name: str) -> str:
    # GX's column lookup on DuckDB interpolates the name unquoted (gx_duckdb.add_duckdb): keep it plain.
    return re.sub(r"\W", "_", name).lower()


def _validate(
    context: AbstractDataContext,
    name: str,
    batch_definition: BatchDefinition[Any],
    expectations: list[Any],
    run_name: str,
    notes: str | None,
    batch_parameters: dict[str, Any] | None = None,
) -> ExpectationSuiteValidationResult:
    """Validate one batch against ``expectations`` as suite ``name`` through a checkpoint.

    The checkpoint stores the result in the context, so ``build_docs`` later renders every suite of
    the run in one pass. ``name`` must be unique within the context (e.g. ``landing.sales.order``);
    ``notes`` (what a failure means, who acts) is shown on the suite's Data Docs page.
    """
    gx = import_gx()
    from great_expectations.core.run_identifier import RunIdentifier

    meta = {"notes": {"format": "markdown", "content": [notes]}} if notes else None
    suite = context.suites.add(gx.ExpectationSuite(name=name, expectations=expectations, meta=meta))
    definition = context.validation_definitions.add(
        gx.ValidationDefinition(name=name, data=batch_definition, suite=suite)
    )
    checkpoint = context.checkpoints.add(
        gx.Checkpoint(name=name, validation_definitions=[definition], actions=[], result_format="SUMMARY")
    )
    outcome = checkpoint.run(batch_parameters=batch_parameters, run_id=RunIdentifier(run_name=run_name))
    (result,) = outcome.run_results.values()
    return result


def build_docs(context: AbstractDataContext) -> Path | None:
    """Render the run's suites and validation results as HTML; return the index page, if any."""
    if DOCS_SITE not in context.get_site_names():
        return None
    context.build_data_docs(site_names=[DOCS_SITE])
    urls: Sequence[Mapping[str, Any]] = context.get_docs_sites_urls(site_name=DOCS_SITE)
    url = str(urls[0]["site_url"]) if urls else ""
    return Path(url.removeprefix("file://")) if url else None
