"""Rejected deliveries are judged by the policy: real failed batches landed through ingestion, the
ingest DAG's ``check_contract`` task, the gate's stored results, and policy copies that flip them."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import replace
from datetime import date
from pathlib import Path

import duckdb
import pytest
import yaml

from crm import dag_tasks
from crm.settings import Settings
from ingestion import run
from ingestion.extract import Delivery, land
from ingestion.landing import ERROR_KINDS
from quality.gate import run_checks
from quality.policy import DEFAULT_POLICY_PATH, FAULTS
from quality.rejections import classify, day_of, fault_of
from quality.results import Status
from tests.dags.conftest import WebhookReceiver
from tests.ingestion.helpers import deliver
from tests.quality.conftest import ORDER, order_rows

DAY = date(2026, 10, 28)
NPS = "response_id,email,score,comment,survey_name,submitted_at\n" + "".join(
    f"N{i},p{i}@x.com,{i % 11},ok,q4,2026-10-28T0{i % 10}:00:00Z\n" for i in range(30)
)
CAMPAIGNS = (
    "campaign_id,name,type,subject,start_date,end_date,budget,currency,target_segment,crm_campaign_id\n"
    "C1,Autumn,email,Hi,2026-10-01,2026-10-31,1000,USD,smb,\n"
    "C2,Webinar,webinar,,2026-10-02,2026-10-09,800,USD,mid,\n"
)
OTHER_NPS = NPS.replace("N", "K")  # other response ids
FILE_DROPS = "landing.marketing.file_drop_faults"
SCHEMA_BREAK = "landing.marketing.schema_break"


def nps_file(name: str, **fault: object) -> dict[str, object]:
    return {"name": name, "kind": "nps_responses", "text": NPS, **fault}


def policy_copy(tmp_path: Path, edit: Callable[[dict[str, object]], None]) -> Path:
    """A temporary copy of the shipped policy with entries edited (no code changes)."""
    document = yaml.safe_load(DEFAULT_POLICY_PATH.read_text(encoding="utf-8"))
    for entry in document["checks"]:
        edit(entry)
    path = tmp_path / "policy.yml"
    path.write_text(yaml.safe_dump(document, sort_keys=False), encoding="utf-8")
    return path


@pytest.fixture
def webhook(monkeypatch: pytest.MonkeyPatch) -> Iterator[WebhookReceiver]:
    """A real HTTP receiver on loopback that ``crm.notify`` posts to."""
    receiver = WebhookReceiver()
    receiver.thread.start()
    monkeypatch.setenv("CRM_NOTIFY_WEBHOOK_URL", receiver.url)
    try:
        yield receiver
    finally:
        receiver.server.shutdown()
        receiver.server.server_close()


def test_every_kind_of_rejected_delivery_is_classified_from_ingestions_own_errors(
    settings: Settings,
) -> None:
    folder = deliver(
        settings,
        DAY,
        [
            nps_file("nps_truncated.csv", cut=100),
            nps_file("nps_gzip.csv.gz"),  # plain bytes the manifest declares gzip (below)
            nps_file("nps_latin1.csv", text=NPS.replace("ok", "très bien"), encoding="latin-1",
                     declared_encoding="utf-8"),
            nps_file("nps_count.csv", rows=31),
            nps_file("nps_missing.csv"),
            {"name": "campaigns_renamed.csv", "kind": "campaigns", "rows": 2,
             "text": CAMPAIGNS.replace(",type,", ",campaign_type,")},
            nps_file("nps_fine.csv", text=NPS.replace("N", "F")),
        ],
        manifest_overrides={"nps_gzip.csv.gz": {"gzip": True}},
    )  # fmt: skip
    (folder / "nps_missing.csv").unlink()

    landed = run.extract(settings, "marketing", DAY)

    failed = {m.position["files"][0]["source_file"]: m for m in landed if m.status == "failed"}
    expected = {
        f"{DAY}/nps_truncated.csv": "truncated",
        f"{DAY}/nps_gzip.csv.gz": "bad_gzip",
        f"{DAY}/nps_latin1.csv": "bad_encoding",
        f"{DAY}/nps_count.csv": "record_count_mismatch",
        f"{DAY}/nps_missing.csv": "missing_file",
        f"{DAY}/campaigns_renamed.csv": "schema_break",
    }
    # the manifest names its fault; manifests written before error_kind existed are read by their words
    assert {name: m.error_kind for name, m in failed.items()} == expected
    assert {name: fault_of(m) for name, m in failed.items()} == expected
    assert {name: fault_of(replace(m, error_kind=None)) for name, m in failed.items()} == expected
    assert [m.rows_loaded for m in landed if m.status == "landed"] == [30]
    assert classify("something nobody anticipated") == "other"
    assert set(ERROR_KINDS) | {"other"} == set(FAULTS)  # ingestion's vocabulary is the policy's


def test_a_truncated_file_at_the_default_policy_warns_once_and_the_task_succeeds(
    settings: Settings, webhook: WebhookReceiver
) -> None:
    deliver(settings, DAY, [nps_file("nps_cut.csv", cut=100), nps_file("nps_ok.csv", text=OTHER_NPS)])
    run.extract(settings, "marketing", DAY)

    summary = dag_tasks.check_contract("marketing", DAY)

    assert summary["rejected_batches"] == 1
    (warning,) = summary["warnings"]
    assert warning.startswith(f"{FILE_DROPS} on landing:marketing [marketing__nps_responses__20261028__")
    assert "failed, observed 1 rejected batch(es), 30 of 60 rows (0.5000)" in warning
    assert "nps_cut.csv: truncated or altered: 100 bytes" in warning
    (body,) = webhook.bodies
    assert (body["kind"], body["dag_id"], body["task_id"], body["logical_date"]) == (
        "contract_warning", "ingest_marketing", "check_contract", DAY.isoformat(),
    )  # fmt: skip
    assert body["details"] == [warning]


def test_a_renamed_required_column_blocks_and_the_task_fails_without_a_warning(
    settings: Settings, webhook: WebhookReceiver
) -> None:
    renamed = NPS.replace(",score,", ",nps_score,")
    deliver(settings, DAY, [nps_file("nps_renamed.csv", text=renamed)])
    run.extract(settings, "marketing", DAY)

    with pytest.raises(dag_tasks.ContractViolation) as raised:
        dag_tasks.check_contract("marketing", DAY)

    (detail,) = raised.value.details
    assert detail.startswith(f"{SCHEMA_BREAK} on landing:marketing [marketing__nps_responses__20261028__")
    assert "missing required column(s) score; unexpected column(s) nps_score (renamed?)" in detail
    assert webhook.bodies == []  # the failed task notifies through the DAG's on_failure_callback


def test_any_rejected_sales_batch_blocks(settings: Settings, webhook: WebhookReceiver) -> None:
    orders = order_rows(DAY, 50, seed=1).drop("status")  # a required column gone from the extract
    delivery = Delivery(entity=ORDER, frame=orders, position={}, origin="sales.order", rows_in=50)
    land(settings, delivery, DAY, 1)

    with pytest.raises(dag_tasks.ContractViolation, match="sales batch") as raised:
        dag_tasks.check_contract("sales", DAY)

    assert raised.value.details[0].startswith("landing.sales.rejected_batches on landing:sales [")
    assert dag_tasks.check_contract("support", DAY)["rejected_batches"] == 0
    assert webhook.bodies == []


def test_flipping_severities_in_a_policy_copy_flips_the_outcome(
    settings: Settings, webhook: WebhookReceiver, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    renamed = NPS.replace(",score,", ",nps_score,")
    deliver(settings, DAY, [nps_file("nps_cut.csv", cut=100), nps_file("nps_renamed.csv", text=renamed)])
    run.extract(settings, "marketing", DAY)
    with pytest.raises(dag_tasks.ContractViolation):
        dag_tasks.check_contract("marketing", DAY)

    def flip(entry: dict[str, object]) -> None:
        if entry["id"] == SCHEMA_BREAK:
            entry["severity"] = "warn"
        if entry["id"] == FILE_DROPS:
            entry["severity"] = "block"

    monkeypatch.setenv("CRM_QUALITY_POLICY", str(policy_copy(tmp_path, flip)))
    with pytest.raises(dag_tasks.ContractViolation) as raised:
        dag_tasks.check_contract("marketing", DAY)
    assert [d.split(" on ")[0] for d in raised.value.details] == [FILE_DROPS, SCHEMA_BREAK]

    def relax(entry: dict[str, object]) -> None:
        flip(entry)
        if entry["id"] == FILE_DROPS:  # tolerate broken drops up to 60 % of the day's rows
            entry["threshold"] = {"max_row_fraction": 0.6}

    monkeypatch.setenv("CRM_QUALITY_POLICY", str(policy_copy(tmp_path, relax)))
    summary = dag_tasks.check_contract("marketing", DAY)
    assert [w.split(" on ")[0] for w in summary["warnings"]] == [SCHEMA_BREAK]
    assert [body["kind"] for body in webhook.bodies] == ["contract_warning"]


def test_a_rejection_no_enabled_check_covers_blocks(
    settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    deliver(settings, DAY, [nps_file("nps_renamed.csv", text=NPS.replace(",score,", ",nps_score,"))])
    run.extract(settings, "marketing", DAY)

    def disable(entry: dict[str, object]) -> None:
        if entry["id"] == SCHEMA_BREAK:
            entry["enabled"] = False

    monkeypatch.setenv("CRM_QUALITY_POLICY", str(policy_copy(tmp_path, disable)))
    with pytest.raises(dag_tasks.ContractViolation) as raised:
        dag_tasks.check_contract("marketing", DAY)

    (detail,) = raised.value.details
    assert detail.startswith("landing.marketing.rejected_unjudged on landing:marketing [")
    assert "1 rejected batch(es) with fault(s) schema_break" in detail
    assert "no enabled check judges these, so they block" in detail


def test_the_gate_stores_the_same_verdicts_and_a_warning_stays_publishable(settings: Settings) -> None:
    deliver(settings, DAY, [nps_file("nps_cut.csv", cut=100), nps_file("nps_ok.csv", text=OTHER_NPS)])
    run.extract(settings, "marketing", DAY)
    assert len(day_of(settings, "marketing", None).rejections) == 1  # the newest day is DAY

    gate = run_checks(settings, "landing", "run-rejected", logical_date=DAY)

    assert gate.publishable
    assert [w.check_id for w in gate.warnings] == [FILE_DROPS]
    with duckdb.connect(str(settings.warehouse_path), read_only=True) as con:
        stored = con.sql(
            "select check_id, check_kind, severity, check_status, observed_value, logical_date "
            "from ops.check_results where run_id = 'run-rejected' and check_kind = 'rejected_batches' "
            "order by check_id"
        ).fetchall()
    assert stored == [
        (FILE_DROPS, "rejected_batches", "warn", Status.FAILED.value, 1.0, DAY),
        (SCHEMA_BREAK, "rejected_batches", "block", Status.PASSED.value, 0.0, DAY),
        ("landing.sales.rejected_batches", "rejected_batches", "block", Status.PASSED.value, 0.0, None),
        ("landing.support.rejected_batches", "rejected_batches", "block", Status.PASSED.value, 0.0, None),
    ]
