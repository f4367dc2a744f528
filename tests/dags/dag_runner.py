"""Run one real DAG with ``dag.test()`` in a fresh process, for the notification and block tests.

``python dag_runner.py <dag_id> <YYYY-MM-DD> [--mark-success REGEX] [--conf JSON]`` prints, as the last
line, ``{"state": ..., "tasks": {task_id: {"state": ..., "try_number": ...}}}``. Configuration comes
from the environment (``CRM_DATA_DIR``, ``CRM_*``), exactly as for ``crm dags run``.
"""

from __future__ import annotations

import argparse
import json
from datetime import UTC, datetime

from crm.airflow_env import DAGS_FOLDER, prepare
from crm.settings import Settings


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("dag_id")
    parser.add_argument("day")
    parser.add_argument("--mark-success")
    parser.add_argument("--conf")
    args = parser.parse_args()
    prepare(Settings.from_env())
    from airflow.dag_processing.dagbag import DagBag

    bag = DagBag(dag_folder=str(DAGS_FOLDER), bundle_path=DAGS_FOLDER, bundle_name="dags-folder")
    day = datetime.fromisoformat(args.day).replace(tzinfo=UTC)
    run = bag.dags[args.dag_id].test(
        logical_date=day,
        run_conf=json.loads(args.conf) if args.conf else None,
        mark_success_pattern=args.mark_success,
    )
    tasks = {
        ti.task_id: {"state": str(ti.state), "try_number": ti.try_number} for ti in run.get_task_instances()
    }
    print(json.dumps({"state": str(run.state), "run_id": run.run_id, "tasks": tasks}))


if __name__ == "__main__":
    main()
