"""Failures reach a human: the notifier's channels, and a real failing DAG task that retries first."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path
from types import SimpleNamespace

import pytest

from crm import dag_tasks
from crm.notify import Notification, channel, from_context, notify
from quality.gate import QualityBlocked
from quality.results import CheckResult, Status
from tests.dags.conftest import DAYS, WebhookReceiver, run_env

RUNNER = Path(__file__).with_name("dag_runner.py")


def _context(error: BaseException) -> dict:
    ti = SimpleNamespace(dag_id="transform", task_id="quality_gate", run_id="manual__1", try_number=1)
    return {"exception": error, "ti": ti, "logical_date": datetime(2026, 10, 28, tzinfo=UTC)}


def test_the_webhook_receives_the_notification_as_json(webhook: WebhookReceiver) -> None:
    sent = Notification(kind="task_failed", summary="ingest_sales.extract failed", dag_id="ingest_sales")
    used = notify(sent, env={"CRM_NOTIFY_WEBHOOK_URL": webhook.url})
    assert used == "webhook"
    assert webhook.bodies == [{**sent.as_dict()}]
    assert webhook.bodies[0]["source"] == "crm-warehouse"


def test_without_a_channel_the_notification_is_logged(caplog: pytest.LogCaptureFixture) -> None:
    assert channel({}) == "log"
    assert channel({"CRM_NOTIFY_SMTP_HOST": "mail"}) == "smtp"
    assert channel({"CRM_NOTIFY_SMTP_HOST": "mail", "CRM_NOTIFY_WEBHOOK_URL": "http://x"}) == "webhook"
    with caplog.at_level("WARNING"):
        notify(Notification(kind="task_failed", summary="load failed", error="boom"), env={})
    assert "load failed" in caplog.text and "boom" in caplog.text


def test_an_unreachable_webhook_is_logged_not_raised(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level("WARNING"):
        used = notify(
            Notification(kind="task_failed", summary="x"),
            env={"CRM_NOTIFY_WEBHOOK_URL": "http://127.0.0.1:9/"},
        )
    assert used == "webhook"
    assert "could not deliver" in caplog.text and "undelivered notification" in caplog.text


def test_a_quality_block_is_classified_with_each_strategic_pain() -> None:
    pain = CheckResult(
        run_id="r", stage="landing", check_id="landing.sales.order.amount_positive",
        target="landing:sales.order",
        check_kind="value_range", batch_id="b1", logical_date=None, severity="block",
        check_status=Status.FAILED, observed_value=0.4, observed="0.4", threshold="≥ 0.99", message="",
        owner="sales-ops", checked_at=datetime.now(UTC),
    )  # fmt: skip
    for error in (QualityBlocked("r", [pain]), dag_tasks.QualityGateBlocked("blocked", [pain.describe()])):
        sent = from_context(_context(error))
        assert sent.kind == "quality_blocked"
        assert sent.details == [pain.describe()]
        assert sent.logical_date == "2026-10-28T00:00:00+00:00"
    contract = from_context(_context(dag_tasks.ContractViolation("2 batches", ["b1: truncated"])))
    assert (contract.kind, contract.details) == ("contract_failed", ["b1: truncated"])
    other = from_context(_context(ConnectionRefusedError("db down")))
    assert other.kind == "task_failed" and other.error == "ConnectionRefusedError: db down"


@pytest.mark.slow
def test_a_failing_source_task_retries_with_backoff_then_notifies(
    data_dir: Path, webhook: WebhookReceiver
) -> None:
    broken = data_dir / "sales-being-replaced.db"
    broken.write_bytes(b"\x00not a database\xff" * 512)  # the sales database answers with an error
    env = run_env(data_dir, CRM_NOTIFY_WEBHOOK_URL=webhook.url, CRM_SALES_DB_URL=f"sqlite:///{broken}")
    done = subprocess.run(
        [sys.executable, str(RUNNER), "ingest_sales", DAYS[-1].isoformat()],
        env=env, capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    run = json.loads(done.stdout.strip().splitlines()[-1])
    assert run["state"] == "failed"
    assert run["tasks"]["extract"] == {"state": "failed", "try_number": 4}  # 1 try + 3 retries (1, 2, 4 s)
    assert run["tasks"]["load"]["state"] == "upstream_failed"
    assert len(webhook.bodies) == 1  # once, when the retries are spent — not on every retry
    body = webhook.bodies[0]
    assert (body["kind"], body["dag_id"], body["task_id"], body["try_number"]) == (
        "task_failed", "ingest_sales", "extract", 4,
    )  # fmt: skip
    assert body["logical_date"] == f"{DAYS[-1].isoformat()}T00:00:00+00:00"
    assert "not a database" in body["error"]
