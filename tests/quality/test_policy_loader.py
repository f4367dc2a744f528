"""The policy loader: the shipped policy is valid and matches the contracts; bad entries fail clearly."""

from __future__ import annotations

import importlib
from pathlib import Path

import pytest
import yaml

from quality.policy import (
    DEFAULT_POLICY_PATH,
    DbtTestFamilyCheck,
    NotNullCheck,
    PolicyError,
    RejectedBatchesCheck,
    Severity,
    dbt_config,
    load_policy,
    policy_path,
)

REPO = Path(__file__).resolve().parents[2]
GOOD_ENTRY: dict[str, object] = {
    "id": "landing.sales.order.account_id_complete",
    "target": "landing:sales.order",
    "kind": "not_null",
    "column": "account_id",
    "threshold": {"max_null_fraction": 0.05},
    "severity": "block",
    "owner": "sales-ops",
    "why": "Orders without an account lose their customer.",
}


def write_policy(path: Path, *entries: dict[str, object]) -> Path:
    path.write_text(yaml.safe_dump({"version": 1, "checks": list(entries)}), encoding="utf-8")
    return path


def test_shipped_policy_loads_and_lists_every_layer() -> None:
    policy = load_policy(DEFAULT_POLICY_PATH)
    layers = {check.layer for check in policy.checks}
    kinds = {check.kind for check in policy.checks}
    assert layers == {"landing", "mart", "model", "source", "dbt"}
    assert {"not_null", "unique", "valid_email", "accepted_values", "volume", "freshness"} <= kinds
    assert {
        "quarantine_fraction",
        "exactly_one",
        "dbt_test",
        "dbt_test_family",
        "dbt_source_freshness",
    } <= kinds
    assert {check.severity for check in policy.checks} == {Severity.WARN, Severity.BLOCK}
    order_null = policy.get("landing.sales.order.account_id_complete")
    assert isinstance(order_null, NotNullCheck)
    assert order_null.threshold.max_null_fraction == 0.05


def test_every_landing_check_names_a_contract_entity_and_column() -> None:
    """A check on a column the ingestion contract does not have would only ever report an error."""
    for check in load_policy(DEFAULT_POLICY_PATH).for_layer("landing"):
        source, _, entity_name = check.subject.partition(".")
        entities = importlib.import_module(f"ingestion.{source}.entities").ENTITIES
        if not entity_name:  # a source-level target (rejected_batches): the source has a contract
            assert check.kind == "rejected_batches" and entities, check.id
            continue
        entity = next((e for e in entities if e.name == entity_name), None)
        assert entity is not None, f"{check.id}: no contract for {check.subject}"
        for column in [*getattr(check, "columns", []), getattr(check, "column", None)]:
            if column is not None:
                assert column in entity.column_names, f"{check.id}: {check.subject} has no column {column}"
        if check.kind == "accepted_values" and getattr(check, "values", None) is None:
            assert entity.column(check.column).enum, f"{check.id}: no values and no contract enum"  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({"severity": "fatal"}, "checks[1] (id 'landing.sales.order.account_id_complete'): field 'severity'"),
        (
            {"threshold": {"max_null_fraction": 1.5}},
            "field 'threshold.max_null_fraction': Input should be less",
        ),
        ({"threshold": {"mostly": 0.9}}, "field 'threshold.mostly': Extra inputs are not permitted"),
        ({"threshhold": {"max_null_fraction": 0.1}}, "field 'threshhold': Extra inputs are not permitted"),
        ({"kind": "not_empty"}, "field 'kind': must be one of"),
        ({"column": None}, "field 'column': Input should be a valid string"),
        ({"target": "sales.order"}, "target 'sales.order' is not one of landing:<source>.<entity>"),
        ({"target": "model:stg_sales__orders"}, "kind 'not_null' runs on landing or mart targets"),
        ({"owner": None, "why": "short"}, "field 'owner'"),
        ({"target": "landing:sales"}, "kind 'not_null' needs an entity: landing:<source>.<entity>"),
        (
            {"kind": "rejected_batches", "column": None, "threshold": {}},
            "rejected_batches needs max_batches, max_row_fraction or both",
        ),
        (
            {"kind": "rejected_batches", "column": None, "faults": ["torn"], "threshold": {"max_batches": 0}},
            "field 'faults.0': Input should be 'truncated'",
        ),
    ],
)
def test_a_malformed_entry_is_rejected_naming_entry_and_field(
    tmp_path: Path, change: dict[str, object], expected: str
) -> None:
    other = {**GOOD_ENTRY, "id": "landing.sales.order.other"}
    broken = {**GOOD_ENTRY, **change}
    path = write_policy(tmp_path / "policy.yml", other, broken)
    with pytest.raises(PolicyError) as raised:
        load_policy(path)
    message = str(raised.value)
    assert message.startswith(f"{path}: checks[1]"), message
    assert expected in message, message


def test_repeated_ids_and_bad_files_are_rejected(tmp_path: Path) -> None:
    with pytest.raises(
        PolicyError, match=r"check ids must be unique; repeated: landing\.sales\.order\.account"
    ):
        load_policy(write_policy(tmp_path / "dup.yml", GOOD_ENTRY, GOOD_ENTRY))
    (tmp_path / "bad.yml").write_text("checks: [\n", encoding="utf-8")
    with pytest.raises(PolicyError, match="not valid YAML"):
        load_policy(tmp_path / "bad.yml")
    (tmp_path / "flat.yml").write_text("- a\n", encoding="utf-8")
    with pytest.raises(PolicyError, match="expected a mapping with a 'checks' list"):
        load_policy(tmp_path / "flat.yml")
    with pytest.raises(PolicyError, match="cannot read the quality policy"):
        load_policy(tmp_path / "missing.yml")


def test_volume_band_must_be_ordered(tmp_path: Path) -> None:
    entry = {
        **GOOD_ENTRY,
        "kind": "volume",
        "threshold": {"min_ratio": 3, "max_ratio": 2},
    }
    del entry["column"]
    with pytest.raises(PolicyError, match=r"field 'threshold': min_ratio 3\.0 is above max_ratio 2\.0"):
        load_policy(write_policy(tmp_path / "policy.yml", entry))


def test_policy_path_follows_the_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CRM_QUALITY_POLICY", raising=False)
    assert policy_path() == DEFAULT_POLICY_PATH
    own = write_policy(tmp_path / "own.yml", GOOD_ENTRY)
    monkeypatch.setenv("CRM_QUALITY_POLICY", str(own))
    assert policy_path() == own
    assert [check.id for check in load_policy().checks] == [GOOD_ENTRY["id"]]


def test_dbt_entries_translate_to_dbt_warn_and_error_thresholds() -> None:
    policy = load_policy(DEFAULT_POLICY_PATH)
    assert dbt_config(policy.get("dbt.stg_sales__order_items.order_relationship")) == {
        "severity": "warn",
        "warn_if": ">100",
        "error_if": ">100",
    }
    assert dbt_config(policy.get("dbt.marts.relationships"))["severity"] == "error"
    assert dbt_config(policy.get("dbt.dim_customer.customer_id_unique")) == {
        "severity": "error",
        "error_if": ">0",
        "warn_if": ">0",
    }
    with pytest.raises(TypeError, match="only dbt_test checks"):
        dbt_config(policy.get("landing.sales.order.id_unique"))


def test_rejected_batches_target_a_source_or_an_entity_and_name_their_faults(tmp_path: Path) -> None:
    entry = {**GOOD_ENTRY, "kind": "rejected_batches", "target": "landing:marketing", "faults": ["truncated"]}
    entry["threshold"] = {"max_batches": 2, "max_row_fraction": 0.1}
    del entry["column"]
    whole, one = load_policy(
        write_policy(
            tmp_path / "policy.yml", entry, {**entry, "id": "x.one", "target": "landing:sales.order"}
        )
    ).checks
    assert isinstance(whole, RejectedBatchesCheck) and isinstance(one, RejectedBatchesCheck)
    assert (whole.source, whole.entity, one.source, one.entity) == ("marketing", None, "sales", "order")
    assert whole.covers("marketing", "contacts", "truncated")
    assert not whole.covers("marketing", "contacts", "schema_break")
    assert not whole.covers("sales", "order", "truncated")
    assert one.covers("sales", "order", "truncated") and not one.covers("sales", "account", "truncated")


def test_every_mart_check_names_a_column_the_dbt_mart_declares() -> None:
    """The mart checks read the published marts: their columns must be the dbt models' own."""
    declared: dict[str, set[str]] = {}
    for path in (REPO / "dbt_project" / "models" / "marts").rglob("*.yml"):
        for model in (yaml.safe_load(path.read_text(encoding="utf-8")) or {}).get("models", []):
            declared[model["name"]] = {column["name"] for column in model.get("columns", [])}
    checked = 0
    for check in load_policy(DEFAULT_POLICY_PATH).gated("mart"):
        assert check.subject in declared, f"{check.id}: no dbt mart {check.subject}"
        exempt = getattr(check, "exempt", None)
        names = [getattr(check, "column", None), getattr(check, "key", None), exempt and exempt.column]
        for name in [*getattr(check, "columns", []), *names]:
            if name:
                assert name in declared[check.subject], f"{check.id}: {check.subject} has no column {name}"
                checked += 1
    assert checked >= 8


def test_dbt_test_families_cover_a_layer_and_never_overlap(tmp_path: Path) -> None:
    family = {
        **GOOD_ENTRY,
        "id": "dbt.staging.keys",
        "target": "dbt:staging",
        "kind": "dbt_test_family",
        "dbt_tests": ["unique", "not_null"],
        "threshold": {"max_failing_rows": 0},
    }
    del family["column"]
    (loaded,) = load_policy(write_policy(tmp_path / "one.yml", family)).checks
    assert isinstance(loaded, DbtTestFamilyCheck) and (loaded.layer, loaded.subject) == ("dbt", "staging")
    assert dbt_config(loaded) == {"severity": "error", "warn_if": ">0", "error_if": ">0"}
    overlapping = {**family, "id": "dbt.staging.other", "dbt_tests": ["not_null"]}
    with pytest.raises(PolicyError, match=r"dbt\.staging\.other and dbt\.staging\.keys both govern not_null"):
        load_policy(write_policy(tmp_path / "two.yml", family, overlapping))
    with pytest.raises(PolicyError, match="kind 'dbt_test_family' runs on dbt targets"):
        load_policy(write_policy(tmp_path / "bad.yml", {**family, "target": "model:stg_sales__orders"}))
    with pytest.raises(PolicyError, match="is not one of"):
        load_policy(write_policy(tmp_path / "layer.yml", {**family, "target": "dbt:reports"}))
