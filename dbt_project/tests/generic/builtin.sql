{#
    dbt's four built-in generic tests, declared again (dbt prefers a project's own test of the same name)
    only to take their config from the quality policy (macros/quality/governed_by_policy.sql); the SQL
    is still dbt's own, dispatched as in dbt-core's global project.
#}
{% test unique(model, column_name) %}
{{ governed_by_policy() }}
{{ adapter.dispatch('test_unique', 'dbt')(model, column_name) }}
{% endtest %}


{% test not_null(model, column_name) %}
{{ governed_by_policy() }}
{{ adapter.dispatch('test_not_null', 'dbt')(model, column_name) }}
{% endtest %}


{% test accepted_values(model, column_name, values, quote=True) %}
{{ governed_by_policy() }}
{{ adapter.dispatch('test_accepted_values', 'dbt')(model, column_name, values, quote) }}
{% endtest %}


{% test relationships(model, column_name, to, field) %}
{{ governed_by_policy() }}
{{ adapter.dispatch('test_relationships', 'dbt')(model, column_name, to, field) }}
{% endtest %}
