{# Median of a numeric column within a group (DuckDB `median`, ANSI `percentile_cont`). #}
{% macro median(column) -%}
    {{ return(adapter.dispatch('median', 'crm')(column)) }}
{%- endmacro %}

{% macro default__median(column) -%}
    percentile_cont(0.5) within group (order by {{ column }})
{%- endmacro %}

{% macro duckdb__median(column) -%}
    median({{ column }})
{%- endmacro %}
