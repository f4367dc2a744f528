"""``crm docs``: the warehouse's dbt documentation as one page that opens offline, under ``<data>/docs/``.

``dbt docs generate --static`` writes ``static_index.html`` with the manifest and the catalog embedded, so
the page works from ``file://`` (the plain ``index.html`` fetches JSON files, which browsers refuse to
do from disk). Every model's description, grain, columns, tests, lineage and the semantic layer's
metrics are in it. The catalog is read from the warehouse, so this runs in the single-writer chain,
after ``crm transform``, never while dbt or a load writes.
"""

from __future__ import annotations

import logging
import shutil
from pathlib import Path

import typer

from crm.settings import Settings
from crm.transform import run_dbt

log = logging.getLogger(__name__)

ARTEFACTS = ("manifest.json", "catalog.json", "semantic_manifest.json")


def generate_docs(settings: Settings) -> Path:
    """Generate the dbt docs and copy them to ``<data>/docs/``; return the page (``index.html``)."""
    transform_log = logging.getLogger("crm.transform")
    level = transform_log.level
    transform_log.setLevel(logging.WARNING)  # it logs a line per compiled node: noise for a docs build
    try:
        summary = run_dbt(["docs", "generate", "--static"], settings)
    finally:
        transform_log.setLevel(level)
    target = settings.data_dir / "dbt" / "target"
    page = target / "static_index.html"
    if not summary.success or not page.exists():
        raise RuntimeError(f"dbt docs generate failed (see {settings.data_dir / 'dbt' / 'logs'})")
    docs = settings.data_dir / "docs"
    docs.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(page, docs / "index.html")
    for name in ARTEFACTS:  # for tools that read dbt's artefacts (lineage, catalogs)
        if (target / name).exists():
            shutil.copyfile(target / name, docs / name)
    log.info("dbt docs in %s", docs / "index.html")
    return docs / "index.html"


def docs() -> None:
    """Generate the dbt documentation (models, columns, tests, lineage, metrics) under <data>/docs/."""
    try:
        page = generate_docs(Settings.from_env())
    except RuntimeError as failed:
        typer.echo(str(failed), err=True)
        raise typer.Exit(1) from None
    typer.echo(f"wrote {page}")
