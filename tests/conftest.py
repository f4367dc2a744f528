"""Fixtures shared by every test tier.

PostgreSQL: tests that need it ask for ``postgres_url``. In CI (``CI=true``) a missing server is a
failure, never a skip; on a laptop without PostgreSQL those tests skip and say why.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from published_pipeline import PublishedRun, run_pipeline

POSTGRES_ADMIN_URL = os.environ.get("CRM_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres")


def _postgres_or_reason() -> str | None:
    """Return None when the test server answers, else why it does not."""
    try:
        import psycopg

        with psycopg.connect(POSTGRES_ADMIN_URL, connect_timeout=3) as conn:
            conn.execute("select 1")
    except Exception as error:  # any failure means "no usable server"
        return f"PostgreSQL at {POSTGRES_ADMIN_URL} is not reachable: {error}"
    return None


@pytest.fixture
def postgres_url() -> Iterator[str]:
    """A fresh, empty PostgreSQL database for one test, dropped afterwards."""
    reason = _postgres_or_reason()
    if reason is not None:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"{reason} (CI=true: PostgreSQL tests must run, not skip)")
        pytest.skip(f"{reason}; set CRM_TEST_POSTGRES_URL to run these tests")
    import psycopg

    name = f"crm_test_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(POSTGRES_ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'create database "{name}"')
    base, _, _ = POSTGRES_ADMIN_URL.rpartition("/")
    try:
        yield f"{base}/{name}"
    finally:
        with psycopg.connect(POSTGRES_ADMIN_URL, autocommit=True) as conn:
            conn.execute(f'drop database if exists "{name}" with (force)')


@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A temporary data directory, also exported as CRM_DATA_DIR for code that reads the env."""
    root = tmp_path / "data"
    root.mkdir()
    monkeypatch.setenv("CRM_DATA_DIR", str(root))
    for name in ("CRM_SALES_DB_URL", "CRM_SUPPORT_URL", "CRM_SUPPORT_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    return root


@pytest.fixture(scope="session")
def published_sf001(tmp_path_factory: pytest.TempPathFactory) -> PublishedRun:
    """One real SF 0.01 pipeline run, published to its serving database (``published_pipeline.py``)."""
    return run_pipeline(tmp_path_factory.mktemp("published_sf001") / "data")
