"""Run in a fresh process by test_dag_integrity.py: parse the DAG folder with the network blocked.

``python dag_probe.py parse`` imports each DAG file the way the dag-processor does and reports which
heavy modules that pulled in beyond what ``airflow.sdk`` itself imports; ``python dag_probe.py bag``
fills a DagBag and reports every DAG's and task's settings as JSON. Any attempt to open a socket
(a database or HTTP call at parse time) raises, and is reported as an import error.
"""

from __future__ import annotations

import importlib.util
import json
import socket
import sys
from pathlib import Path

DAGS = Path(__file__).resolve().parents[2] / "dags"
HEAVY = ("polars", "duckdb", "pandas", "numpy", "pyarrow", "connectorx", "great_expectations", "dbt",
         "psycopg", "ingestion", "quality", "seeds", "crm.transform", "crm.publish")  # fmt: skip


class NetworkAtParseTime(RuntimeError):
    pass


def _refuse(*args: object, **kwargs: object) -> None:
    raise NetworkAtParseTime(f"a DAG file opened a network connection at parse time: {args!r}")


def block_network() -> None:
    socket.socket.connect = _refuse  # type: ignore[method-assign]
    socket.socket.connect_ex = _refuse  # type: ignore[method-assign]
    socket.create_connection = _refuse  # type: ignore[assignment]


def parse() -> dict[str, object]:
    import airflow.sdk  # noqa: F401  (the baseline every DAG file pays anyway)

    baseline = set(sys.modules)
    block_network()
    errors = {}
    for path in sorted(DAGS.glob("*.py")):
        spec = importlib.util.spec_from_file_location(f"probe_{path.stem}", path)
        assert spec and spec.loader
        try:
            spec.loader.exec_module(importlib.util.module_from_spec(spec))
        except Exception as error:
            errors[path.name] = f"{type(error).__name__}: {error}"
    added = set(sys.modules) - baseline
    heavy = sorted(name for name in added if name.split(".")[0] in HEAVY or name in HEAVY)
    return {"errors": errors, "heavy": heavy, "added_modules": len(added)}


def bag() -> dict[str, object]:
    from airflow.dag_processing.dagbag import DagBag

    block_network()
    dagbag = DagBag(dag_folder=str(DAGS), bundle_path=DAGS, bundle_name="dags-folder")
    dags = {}
    for dag_id, dag in dagbag.dags.items():
        dags[dag_id] = {
            "file": Path(dag.fileloc).name,
            "tags": sorted(dag.tags),
            "owner": dag.owner,
            "catchup": dag.catchup,
            "max_active_runs": dag.max_active_runs,
            "start_date": dag.start_date.isoformat() if dag.start_date else None,
            "timetable": type(dag.timetable).__name__,
            "asset_schedule": sorted(
                asset.name
                for asset in getattr(getattr(dag.timetable, "asset_condition", None), "objects", [])
            ),
            "doc_md": bool(dag.doc_md and dag.doc_md.strip()),
            "tasks": {
                task.task_id: {
                    "owner": task.owner,
                    "retries": task.retries,
                    "backoff": task.retry_exponential_backoff,
                    "retry_policy": type(task.retry_policy).__name__ if task.retry_policy else None,
                    "pool": task.pool,
                    "on_failure_callback": bool(task.on_failure_callback),
                    "outlets": sorted(getattr(o, "name", str(o)) for o in task.outlets),
                    "upstream": sorted(task.upstream_task_ids),
                }
                for task in dag.tasks
            },
        }
    return {"errors": {Path(k).name: v for k, v in dagbag.import_errors.items()}, "dags": dags}


if __name__ == "__main__":
    print(json.dumps(parse() if sys.argv[1] == "parse" else bag()))
