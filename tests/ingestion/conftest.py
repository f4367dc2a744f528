"""Fixtures for the ingestion tests: settings on a temporary data dir, the tiny world, its support API."""

from __future__ import annotations

import dataclasses
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from crm.settings import Settings


@pytest.fixture
def settings(data_dir: Path) -> Settings:
    return Settings.from_env(data_dir)


@pytest.fixture(scope="session")
def tiny_world_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The seeds engineers' hand-made five-day world, written once per session."""
    from tests.seeds.world_fixture import write_tiny_world

    return write_tiny_world(tmp_path_factory.mktemp("tiny") / "world")


@pytest.fixture
def tiny(data_dir: Path, tiny_world_template: Path) -> Settings:
    """A private copy of the tiny world in this test's data directory."""
    shutil.copytree(tiny_world_template, data_dir / "world")
    return Settings.from_env(data_dir)


@pytest.fixture
def tiny_served(tiny: Settings) -> Iterator[Settings]:
    """The tiny world's settings with its support API running (real HTTP server, default token)."""
    from seeds.transports.support_api import start_server

    server = start_server(tiny, token=tiny.support_token)
    try:
        yield dataclasses.replace(tiny, support_url=server.url)
    finally:
        server.stop()
