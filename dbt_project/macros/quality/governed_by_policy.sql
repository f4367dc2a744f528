{#
    A data test's config from the quality policy (quality/policy.yml): the entry that governs it
    (meta.policy_id) and that entry's severity, warn_if, error_if and enabled.

    Called at the top of every test: `{{ governed_by_policy() }}` in a generic test's definition,
    `{{ governed_by_policy('dbt.revenue_reconciles') }}` in a singular test. It calls config() itself.

    The entry is the one the test names — `policy_id` here (singular tests) or `meta: {policy_id: …}` in the
    test's YAML config — else the family of the test's layer (the folder under models/, or snapshots, seeds)
    that lists its test name. Thresholds come from var('crm_quality_policy'): `crm transform` passes the
    policy in force as --vars; dbt_project.yml holds a generated copy of the shipped one. A test no entry
    governs is a compilation error: every check is in the policy, once.
#}
{% macro governed_by_policy(policy_id=none) %}
    {%- set policy = var('crm_quality_policy') -%}
    {%- set node = model if model is mapping else {} -%}
    {%- set chosen = policy_id or ((node.get('config') or {}).get('meta') or {}).get('policy_id') -%}
    {%- set test_name = (node.get('test_metadata') or {}).get('name') -%}
    {%- if not chosen and test_name -%}
        {%- set family = policy_test_layer(node.get('original_file_path', '')) ~ '.' ~ test_name -%}
        {%- set chosen = policy['families'].get(family) -%}
        {%- if not chosen -%}
            {{ exceptions.raise_compiler_error(
                node.get('original_file_path') ~ ': no quality policy entry governs the ' ~ test_name
                ~ ' test ' ~ node.get('name') ~ ' (no dbt_test_family lists ' ~ family
                ~ '); add one to quality/policy.yml or give the test meta.policy_id'
            ) }}
        {%- endif -%}
    {%- endif -%}
    {%- set entry = policy['checks'].get(chosen) -%}
    {%- if entry is none -%}
        {{ exceptions.raise_compiler_error(
            node.get('original_file_path', '') ~ ': test ' ~ node.get('name') ~ ' names policy entry '
            ~ chosen ~ ', which the quality policy in force has no dbt test entry for'
        ) }}
    {%- endif -%}
    {%- do config(
        meta={'policy_id': chosen},
        severity=entry['severity'],
        warn_if=entry['warn_if'],
        error_if=entry['error_if'],
        enabled=entry['enabled'],
    ) -%}
{% endmacro %}


{# The layer a test file belongs to: models/<layer>/… → <layer>; snapshots/…, seeds/… → snapshots, seeds. #}
{% macro policy_test_layer(path) %}
    {%- set parts = path.split('/') -%}
    {{ return(parts[1] if parts[0] == 'models' and parts | length > 2 else parts[0]) }}
{% endmacro %}
