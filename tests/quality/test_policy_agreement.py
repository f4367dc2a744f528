"""One policy, three enforcers: the policy, the GX suites and the dbt tests agree, entry for entry.

The dbt side is read from a real ``dbt parse`` (its ``manifest.json``) of the project with the policy in
force passed as ``--vars``, exactly as ``crm transform`` runs it: every data test names a policy entry in
``meta.policy_id``, every dbt entry governs at least one test, and each test's severity, ``warn_if`` and
``error_if`` are what the policy says. Source freshness and the GX suites are checked the same way, and
a real ``dbt build`` on the SF 0.01 warehouse shows that editing a copy of the policy flips an outcome.
"""

from __future__ import annotations

import ast
import json
import shutil
from collections import defaultdict
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb
import pytest
import yaml
from published_pipeline import PublishedRun

from crm.settings import Settings
from crm.transform import run_dbt
from quality.dbt_policy import PROJECT_FILE, VAR_NAME, dbt_vars, generated_block, project_block
from quality.expectations import Facts, plan
from quality.policy import (
    DEFAULT_POLICY_PATH,
    DbtSourceFreshnessCheck,
    DbtTestCheck,
    DbtTestFamilyCheck,
    Policy,
    dbt_config,
    load_policy,
)
from quality.suites import LANDING_SUITES

REPO = Path(__file__).resolve().parents[2]
Node = dict[str, Any]


@pytest.fixture(scope="module")
def policy() -> Policy:
    return load_policy(DEFAULT_POLICY_PATH)


@pytest.fixture(scope="module")
def manifest(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """``dbt parse`` of the project under the shipped policy, through ``crm.transform.run_dbt``."""
    with pytest.MonkeyPatch.context() as env:
        env.delenv("CRM_QUALITY_POLICY", raising=False)
        settings = Settings.from_env(tmp_path_factory.mktemp("dbt_parse") / "data")
        summary = run_dbt(["parse", "--no-partial-parse"], settings)
    assert summary.success, "dbt parse failed (see <data>/dbt/logs)"
    path = settings.data_dir / "dbt" / "target" / "manifest.json"
    return json.loads(path.read_text(encoding="utf-8"))  # type: ignore[no-any-return]


@pytest.fixture(scope="module")
def tests_by_entry(manifest: dict[str, Any]) -> dict[str, list[Node]]:
    governed: dict[str, list[Node]] = defaultdict(list)
    for node in _data_tests(manifest):
        governed[node["config"]["meta"].get("policy_id", "")].append(node)
    return governed


def _data_tests(manifest: dict[str, Any]) -> list[Node]:
    return [node for node in manifest["nodes"].values() if node["resource_type"] == "test"]


def _test_name(node: Node) -> str:
    """The generic test's name (``unique``…), or the singular test's own name."""
    return str((node.get("test_metadata") or {}).get("name") or node["name"])


def _layer(node: Node) -> str:
    parts = node["original_file_path"].split("/")
    return parts[1] if parts[0] == "models" else parts[0]


def test_every_dbt_test_names_an_existing_dbt_entry(manifest: dict[str, Any], policy: Policy) -> None:
    entries = {check.id: check for check in policy.checks}
    tests = _data_tests(manifest)
    assert len(tests) > 300  # the project's generic and singular tests, not an empty parse
    orphans = [node["unique_id"] for node in tests if "policy_id" not in node["config"]["meta"]]
    assert not orphans, f"dbt tests without meta.policy_id: {orphans}"
    unknown = {
        node["unique_id"]: node["config"]["meta"]["policy_id"]
        for node in tests
        if not isinstance(entries.get(node["config"]["meta"]["policy_id"]), DbtTestCheck | DbtTestFamilyCheck)
    }
    assert not unknown, f"dbt tests naming no dbt entry of the policy: {unknown}"


def test_every_dbt_entry_governs_a_test_of_its_kind(
    tests_by_entry: dict[str, list[Node]], policy: Policy
) -> None:
    for check in policy.checks:
        if not isinstance(check, DbtTestCheck | DbtTestFamilyCheck) or not check.enabled:
            continue
        governed = tests_by_entry.get(check.id, [])
        assert governed, f"{check.id}: no dbt test carries it in meta.policy_id"
        for node in governed:
            if isinstance(check, DbtTestFamilyCheck):
                assert _layer(node) == check.subject, f"{node['unique_id']} is not in dbt:{check.subject}"
                assert _test_name(node) in check.dbt_tests, (
                    f"{node['unique_id']}: not a {check.dbt_tests} test"
                )
                continue
            assert _test_name(node) == check.dbt_test, (
                f"{check.id}: {node['unique_id']} is not {check.dbt_test}"
            )
            models = [uid.rsplit(".", 1)[-1] for uid in node["depends_on"]["nodes"]]
            attached = (node.get("attached_node") or "").rsplit(".", 1)[-1]
            assert check.subject in ([attached] if attached else models), (
                f"{check.id} targets {check.subject}, its test {node['unique_id']} tests {attached or models}"
            )
            assert node.get("column_name") == check.column, f"{check.id}: column {node.get('column_name')}"


def test_each_test_resolves_the_severity_and_thresholds_of_its_entry(
    manifest: dict[str, Any], policy: Policy
) -> None:
    checked = 0
    for node in _data_tests(manifest):
        wanted = dbt_config(policy.get(node["config"]["meta"]["policy_id"]))
        resolved = {key: node["config"][key] for key in wanted}
        assert resolved == wanted, f"{node['unique_id']} ({node['config']['meta']['policy_id']})"
        checked += 1
    assert checked == len(_data_tests(manifest))


def test_the_project_defaults_are_the_shipped_policy(policy: Policy) -> None:
    """Plain ``dbt`` (no ``--vars``) reads the generated copy in dbt_project.yml: it must be current."""
    text = PROJECT_FILE.read_text(encoding="utf-8")
    assert yaml.safe_load(text)["vars"][VAR_NAME] == dbt_vars(policy), (
        "dbt_project.yml is out of date: run `python -m quality.dbt_policy`"
    )
    assert generated_block(text) == project_block(policy)


def test_source_freshness_is_the_policys(manifest: dict[str, Any], policy: Policy) -> None:
    """warn → ``warn_after``, block → ``error_after``, in hours; a table's own entry beats its source's."""
    entries = [c for c in policy.checks if isinstance(c, DbtSourceFreshnessCheck) and c.enabled]
    used: set[str] = set()
    judged = 0
    for source in manifest["sources"].values():
        freshness = source.get("freshness") or {}
        actual = {
            bound: (freshness.get(bound) or {}).get("count") and freshness[bound]
            for bound in ("warn_after", "error_after")
        }
        if not any(actual.values()):
            continue  # no freshness configured: reference data, or the pipeline's own tables
        judged += 1
        for bound, severity in (("warn_after", "warn"), ("error_after", "block")):
            candidates = [c for c in entries if c.severity == severity]
            table = f"{source['source_name']}.{source['name']}"
            entry = next((c for c in candidates if c.subject == table), None) or next(
                (c for c in candidates if c.subject == source["source_name"]), None
            )
            assert entry is not None, f"{table}: dbt {bound} has no {severity} dbt_source_freshness entry"
            used.add(entry.id)
            assert actual[bound] == {"count": entry.threshold.max_age_hours, "period": "hour"}, (
                f"{table}: dbt {bound} {actual[bound]}, policy {entry.id} {entry.threshold.max_age_hours} h"
            )
    assert judged >= 10
    assert {c.id for c in entries} == used, (
        f"entries governing no source table: {[c.id for c in entries if c.id not in used]}"
    )


def test_every_gx_entry_is_built_into_its_suite_and_only_those(policy: Policy) -> None:
    """Suites hold no expectation of their own: each comes from one policy entry, tagged with its id."""
    reference = datetime(2026, 1, 1, tzinfo=UTC)
    planned = 0
    for layer in ("landing", "mart"):
        for check in policy.gated(layer):
            if check.evaluated_by != "gx":
                continue
            source, _, entity = check.subject.partition(".")
            facts = Facts()
            if layer == "landing":
                assert source in LANDING_SUITES, f"{check.id}: no landing suite for {source}"
                facts = Facts(source, entity, reference, volume_baseline=100.0, volume_history=7)
            item = plan(check, facts)
            assert item.error is None and item.skip is None, f"{check.id}: {item.error or item.skip}"
            assert item.expectations, f"{check.id}: no expectation built"
            assert {e.meta["check_id"] for e in item.expectations} == {check.id}
            planned += 1
    gx_kinds = {"not_null", "unique", "valid_email", "accepted_values", "value_range", "exactly_one"}
    gx_kinds |= {"volume", "freshness"}
    assert planned == sum(1 for check in policy.checks if check.enabled and check.kind in gx_kinds)
    # and the suites' code builds no expectation by hand: only quality/expectations.py knows GX's classes
    for module in (REPO / "quality" / "suites").glob("*.py"):
        names = {
            n.attr
            for n in ast.walk(ast.parse(module.read_text(encoding="utf-8")))
            if isinstance(n, ast.Attribute)
        }
        assert not {name for name in names if name.startswith("Expect")}, f"{module.name} builds expectations"


def _build_one_test(settings: Settings, name: str, policy_file: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv("CRM_QUALITY_POLICY", str(policy_file))
    summary = run_dbt(["build", "--select", name], settings)
    statuses = [node.status for node in summary.nodes if node.resource_type == "test"]
    assert len(statuses) == 1, f"expected one test node for {name}, got {statuses}"
    return statuses[0]


def test_editing_the_policy_alone_flips_a_dbt_test(
    published_sf001: PublishedRun, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Order lines whose order has not arrived yet (a catch-up day) warn, or pass, as the policy says."""
    entry_id = "dbt.stg_sales__order_items.order_relationship"
    name = "relationships_stg_sales__order_items_order_id__order_id__ref_stg_sales__orders_"
    settings = Settings.from_env(tmp_path / "data")
    settings.warehouse_path.parent.mkdir(parents=True)
    shutil.copyfile(published_sf001.settings.warehouse_path, settings.warehouse_path)
    with duckdb.connect(str(settings.warehouse_path)) as con:  # three lines of orders still to come
        con.execute(
            "insert into raw.sales__order_item by name select 'early_' || id as id, 'late_' || order_id"
            " as order_id, now() as _loaded_at, * exclude (id, order_id, _loaded_at)"
            " from raw.sales__order_item order by id limit 3"
        )
    # loaded after the last build, like a real batch: the incremental staging of order lines picks them up
    assert run_dbt(["run", "--select", "stg_sales__order_items"], settings).success
    shipped = yaml.safe_load(DEFAULT_POLICY_PATH.read_text(encoding="utf-8"))

    def variant(label: str, **change: Any) -> Path:
        document = json.loads(json.dumps(shipped))
        entry = next(check for check in document["checks"] if check["id"] == entry_id)
        entry.update(change)
        path = tmp_path / f"{label}.yml"
        path.write_text(yaml.safe_dump(document, sort_keys=False), encoding="utf-8")
        return path

    # shipped: warn above 100 orphans, so three pass
    assert _build_one_test(settings, name, DEFAULT_POLICY_PATH, monkeypatch) == "pass"
    strict = {"max_failing_rows": 0}
    assert _build_one_test(settings, name, variant("strict", threshold=strict), monkeypatch) == "warn"
    blocking = variant("blocking", threshold=strict, severity="block")
    assert _build_one_test(settings, name, blocking, monkeypatch) == "fail"
