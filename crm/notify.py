"""Tell a human that a run failed or was blocked: a webhook, an e-mail, or at least the log.

One channel, chosen from the environment so that no DAG file holds an address or a secret:

- ``CRM_NOTIFY_WEBHOOK_URL`` — HTTP POST of the notification as JSON (Slack/Teams/Mattermost-style
  incoming webhooks, PagerDuty Events via a relay, or any HTTP receiver);
- else ``CRM_NOTIFY_SMTP_HOST`` (+ ``CRM_NOTIFY_SMTP_PORT``, ``CRM_NOTIFY_SMTP_USER``,
  ``CRM_NOTIFY_SMTP_PASSWORD``, ``CRM_NOTIFY_SMTP_STARTTLS``, ``CRM_NOTIFY_EMAIL_FROM``,
  ``CRM_NOTIFY_EMAIL_TO`` comma-separated) — one plain-text e-mail;
- else a WARNING log line, so an unconfigured install still shows what would have been sent.

``on_failure_callback`` is what the DAGs register. It classifies the failure by the exception's type:
a quality block (``QualityBlocked`` / ``QualityGateBlocked``), a contract failure
(``ContractViolation``: a rejected batch) or any other task failure — by class name, so that a
callback never imports the heavy packages. A notifier must never turn a failed task into a crashed
callback, so delivery errors are logged, not raised.
"""

from __future__ import annotations

import json
import logging
import os
import smtplib
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from email.message import EmailMessage
from typing import Any, Literal

log = logging.getLogger(__name__)

Kind = Literal["task_failed", "quality_blocked", "contract_failed", "contract_warning"]
Channel = Literal["webhook", "smtp", "log"]
WEBHOOK_TIMEOUT_SECONDS = 10.0


@dataclass(frozen=True)
class Notification:
    """What happened, where, and the error text; serialised as the webhook's JSON body."""

    kind: Kind
    summary: str
    dag_id: str | None = None
    task_id: str | None = None
    run_id: str | None = None
    logical_date: str | None = None
    try_number: int | None = None
    error: str | None = None
    details: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {"source": "crm-warehouse", **asdict(self)}

    def as_text(self) -> str:
        where = " / ".join(part for part in (self.dag_id, self.task_id, self.run_id) if part)
        lines = [
            self.summary,
            f"where: {where}" if where else "",
            f"error: {self.error}" if self.error else "",
        ]
        return "\n".join([line for line in lines if line] + [f"  - {detail}" for detail in self.details])


def channel(env: Mapping[str, str] | None = None) -> Channel:
    """The channel the environment configures (webhook over SMTP over log)."""
    env = os.environ if env is None else env
    if env.get("CRM_NOTIFY_WEBHOOK_URL"):
        return "webhook"
    if env.get("CRM_NOTIFY_SMTP_HOST"):
        return "smtp"
    return "log"


def notify(notification: Notification, env: Mapping[str, str] | None = None) -> Channel:
    """Send ``notification`` on the configured channel; return the channel; never raise."""
    env = os.environ if env is None else env
    used = channel(env)
    try:
        if used == "webhook":
            _post(env["CRM_NOTIFY_WEBHOOK_URL"], notification)
        elif used == "smtp":
            _mail(env, notification)
        else:
            log.warning("notification (no CRM_NOTIFY_* channel configured): %s", notification.as_text())
    except Exception:  # the run already failed; a broken channel must not hide that, only be logged
        log.exception("could not deliver the %s notification via %s", notification.kind, used)
        log.warning("undelivered notification: %s", notification.as_text())
    else:
        log.info("notified via %s: %s", used, notification.summary)
    return used


def _post(url: str, notification: Notification) -> None:
    import httpx

    response = httpx.post(url, json=notification.as_dict(), timeout=WEBHOOK_TIMEOUT_SECONDS)
    response.raise_for_status()


def _mail(env: Mapping[str, str], notification: Notification) -> None:
    recipients = [address.strip() for address in env.get("CRM_NOTIFY_EMAIL_TO", "").split(",") if address]
    if not recipients:
        raise ValueError("CRM_NOTIFY_SMTP_HOST is set but CRM_NOTIFY_EMAIL_TO names no recipient")
    message = EmailMessage()
    message["Subject"] = f"[crm-warehouse] {notification.summary}"
    message["From"] = env.get("CRM_NOTIFY_EMAIL_FROM", "crm-warehouse@localhost")
    message["To"] = ", ".join(recipients)
    message.set_content(notification.as_text() + "\n\n" + json.dumps(notification.as_dict(), indent=2))
    port = int(env.get("CRM_NOTIFY_SMTP_PORT", "25"))
    with smtplib.SMTP(env["CRM_NOTIFY_SMTP_HOST"], port, timeout=WEBHOOK_TIMEOUT_SECONDS) as smtp:
        if env.get("CRM_NOTIFY_SMTP_STARTTLS", "").lower() in ("1", "true", "yes"):
            smtp.starttls()
        if env.get("CRM_NOTIFY_SMTP_USER"):
            smtp.login(env["CRM_NOTIFY_SMTP_USER"], env.get("CRM_NOTIFY_SMTP_PASSWORD", ""))
        smtp.send_message(message)


def from_context(context: Mapping[str, Any]) -> Notification:
    """Build the notification for a failed task from its Airflow context (kind from the exception)."""
    error = context.get("exception")
    ti = context.get("ti") or context.get("task_instance")
    dag_run = context.get("dag_run")
    dag_id = getattr(ti, "dag_id", None)
    task_id = getattr(ti, "task_id", None)
    logical = context.get("logical_date")
    kind: Kind = "task_failed"
    details: list[str] = []
    names = {cls.__name__ for cls in type(error).__mro__} if error is not None else set()
    if names & {"QualityBlocked", "QualityGateBlocked"}:
        kind = "quality_blocked"
        details = list(getattr(error, "details", None) or [])
        details = details or [result.describe() for result in getattr(error, "blocking", [])]
        summary = f"quality gate blocked {dag_id}: nothing published, the last good serving database stays"
    elif "ContractViolation" in names:
        kind = "contract_failed"
        details = list(getattr(error, "details", []))
        summary = f"{dag_id}.{task_id}: source data broke its contract (not retried)"
    else:
        summary = f"{dag_id}.{task_id} failed after {getattr(ti, 'try_number', '?')} attempt(s)"
    return Notification(
        kind=kind,
        summary=summary,
        dag_id=dag_id,
        task_id=task_id,
        run_id=getattr(dag_run, "run_id", None) or getattr(ti, "run_id", None),
        logical_date=logical.isoformat() if logical is not None else None,
        try_number=getattr(ti, "try_number", None),
        error=f"{type(error).__name__}: {error}" if error is not None else None,
        details=details,
    )


def on_failure_callback(context: Mapping[str, Any]) -> None:
    """Airflow ``on_failure_callback``: notify once the task has failed for good (retries spent)."""
    notify(from_context(context))
