"""docker-compose.yml, Dockerfile and .env.example, checked statically (no Docker engine runs here).

The compose file is validated against a JSON schema of the structure this deployment relies on (the
official compose-spec schema is not available offline), then for parity with the tested
configuration: the same executor-independent AIRFLOW__* keys and values as ``crm/airflow_env.py``,
every CRM_* setting the code reads, the same pool and DAG folder, and the pinned Airflow version.
"""

from __future__ import annotations

import re
from importlib.metadata import version
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

from crm.airflow_env import PATH_SETTINGS, SHARED_SETTINGS, WRITER_POOL

REPO = Path(__file__).resolve().parents[2]
AIRFLOW_SERVICES = ("airflow-apiserver", "airflow-scheduler", "airflow-dag-processor", "airflow-triggerer",
                    "airflow-worker")  # fmt: skip
LONG_RUNNING = (*AIRFLOW_SERVICES, "postgres", "redis", "superset")

HEALTHCHECK = {
    "type": "object",
    "required": ["test", "interval", "retries"],
    "properties": {
        "test": {"type": "array", "minItems": 2, "prefixItems": [{"enum": ["CMD", "CMD-SHELL"]}]},
        "interval": {"type": "string", "pattern": r"^\d+s$"},
        "timeout": {"type": "string", "pattern": r"^\d+s$"},
        "retries": {"type": "integer", "minimum": 1},
        "start_period": {"type": "string", "pattern": r"^\d+s$"},
    },
}
SERVICE = {
    "type": "object",
    "anyOf": [{"required": ["image"]}, {"required": ["build"]}],
    "properties": {
        "image": {"type": "string", "minLength": 1},
        "build": {"type": ["string", "object"]},
        "command": {"type": ["string", "array"]},
        "environment": {"type": "object", "additionalProperties": {"type": ["string", "number", "boolean"]}},
        "healthcheck": HEALTHCHECK,
        "depends_on": {
            "type": "object",
            "additionalProperties": {
                "type": "object",
                "required": ["condition"],
                "properties": {
                    "condition": {
                        "enum": ["service_started", "service_healthy", "service_completed_successfully"]
                    }
                },
            },
        },
        "volumes": {"type": "array"},
        "ports": {"type": "array", "items": {"type": "string", "pattern": r"^\d+:\d+$"}},
        "restart": {"enum": ["no", "always", "on-failure", "unless-stopped"]},
    },
}
COMPOSE = {
    "type": "object",
    "required": ["services", "volumes"],
    "properties": {
        "services": {
            "type": "object",
            "required": [*LONG_RUNNING, "airflow-init"],
            "additionalProperties": SERVICE,
        },
        "volumes": {"type": "object"},
    },
}


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    return yaml.safe_load((REPO / "docker-compose.yml").read_text(encoding="utf-8"))


def test_the_compose_file_has_the_structure_of_the_deployment(compose: dict[str, Any]) -> None:
    jsonschema.validate(compose, COMPOSE)


def test_every_long_running_service_has_a_healthcheck_and_waits_for_what_it_needs(
    compose: dict[str, Any],
) -> None:
    services = compose["services"]
    for name in LONG_RUNNING:
        assert "healthcheck" in services[name], name
    for name in (*AIRFLOW_SERVICES, "airflow-init"):
        needs = services[name]["depends_on"]
        assert needs["postgres"]["condition"] == "service_healthy", name
        assert needs["redis"]["condition"] == "service_healthy", name
    for name in AIRFLOW_SERVICES:
        assert services[name]["depends_on"]["airflow-init"]["condition"] == "service_completed_successfully"
    assert services["airflow-worker"]["depends_on"]["airflow-apiserver"]["condition"] == "service_healthy"
    for name, service in services.items():  # every dependency names a service that exists
        assert set(service.get("depends_on", {})) <= set(services), name


def test_airflow_settings_are_those_the_tests_run_with(compose: dict[str, Any]) -> None:
    for name in (*AIRFLOW_SERVICES, "airflow-init"):
        env = compose["services"][name]["environment"]
        assert {key: env.get(key) for key in SHARED_SETTINGS} == SHARED_SETTINGS | {
            "AIRFLOW__LOGGING__NAMESPACE_LEVELS": env.get("AIRFLOW__LOGGING__NAMESPACE_LEVELS")
        }, name
        assert set(env["AIRFLOW__LOGGING__NAMESPACE_LEVELS"].split()) == set(
            SHARED_SETTINGS["AIRFLOW__LOGGING__NAMESPACE_LEVELS"].split()
        )
        for key in PATH_SETTINGS:
            assert env.get(key), f"{name} lacks {key}"
        assert env["AIRFLOW__CORE__EXECUTOR"] == "CeleryExecutor"
        assert env["AIRFLOW__CORE__DAGS_FOLDER"] == "/opt/crm/dags"
        # one JWT secret and Fernet key for every service, from .env
        assert env["AIRFLOW__API_AUTH__JWT_SECRET"].startswith("${AIRFLOW__API_AUTH__JWT_SECRET")
        assert env["AIRFLOW__CORE__FERNET_KEY"].startswith("${AIRFLOW__CORE__FERNET_KEY")


def test_every_crm_setting_the_code_reads_reaches_the_containers_and_is_documented(
    compose: dict[str, Any],
) -> None:
    read = set()
    for module in ("crm/settings.py", "crm/notify.py", "quality/policy.py"):
        read |= set(re.findall(r"\b(CRM_[A-Z_]+)\b", (REPO / module).read_text(encoding="utf-8")))
    read -= {"CRM_DATA_DIR", "CRM_NOTIFY_"}  # a path of the image, set there; a prefix in a docstring
    env = compose["services"]["airflow-worker"]["environment"]
    example = (REPO / ".env.example").read_text(encoding="utf-8")
    for name in sorted(read):
        assert name in env, f"{name} is not passed to the Airflow containers"
        assert re.search(rf"^{name}=", example, re.MULTILINE), f"{name} is not in .env.example"
    for variable in set(re.findall(r"\$\{([A-Z_]+):\?", (REPO / "docker-compose.yml").read_text())):
        assert re.search(rf"^{variable}=", example, re.MULTILINE), (
            f"{variable} is required but not in .env.example"
        )


def test_the_init_service_prepares_airflow_with_the_tested_code(compose: dict[str, Any]) -> None:
    command = " ".join(compose["services"]["airflow-init"]["command"])
    assert "python -m crm.cli dags init" in command  # crm.airflow_env.prepare: migrate + the pool
    assert WRITER_POOL == "duckdb_writer"


def test_the_bi_tool_mounts_the_serving_data_read_only(compose: dict[str, Any]) -> None:
    volumes = compose["services"]["superset"]["volumes"]
    data = [v for v in volumes if isinstance(v, dict) and v["source"] == "crm-data"]
    assert data and all(v["read_only"] is True for v in data)
    assert "duckdb-engine" in " ".join(compose["services"]["superset"]["command"])


def test_the_image_extends_the_pinned_airflow_and_installs_the_lock_by_hash() -> None:
    dockerfile = (REPO / "Dockerfile").read_text(encoding="utf-8")
    assert f"ARG AIRFLOW_VERSION={version('apache-airflow')}" in dockerfile
    assert "FROM apache/airflow:${AIRFLOW_VERSION}-python" in dockerfile
    assert re.search(r"pip install .*--require-hashes -r /opt/crm/requirements\.lock", dockerfile)
    for folder in ("crm", "seeds", "ingestion", "quality", "dbt_project", "dags"):
        assert f"COPY --chown=airflow:root {folder} /opt/crm/{folder}" in dockerfile
    assert "AIRFLOW__CORE__DAGS_FOLDER=/opt/crm/dags" in dockerfile
    compose_image = yaml.safe_load((REPO / "docker-compose.yml").read_text())["x-airflow-common"]["image"]
    assert compose_image.endswith(version("apache-airflow"))
