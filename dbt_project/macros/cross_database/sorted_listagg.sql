{#
    The non-null values of `expression` in ascending order, joined by `delimiter` (a SQL string
    literal); null when there are none. Same result as
    `{{ dbt.listagg(expression, delimiter, "order by " ~ expression) }}`.

    DuckDB runs an ordered aggregate as one small sort per group: over half a million persons that
    sort dominated int_persons_survived (issue 9). Collecting the values unordered and sorting each
    list afterwards gives the same string at a fraction of the cost.
#}
{% macro sorted_listagg(expression, delimiter) -%}
    {{ return(adapter.dispatch('sorted_listagg', 'crm')(expression, delimiter)) }}
{%- endmacro %}

{% macro default__sorted_listagg(expression, delimiter) -%}
    {{ dbt.listagg(expression, delimiter, "order by " ~ expression) }}
{%- endmacro %}

{% macro duckdb__sorted_listagg(expression, delimiter) -%}
    array_to_string(list_sort(list({{ expression }}) filter (where {{ expression }} is not null)), {{ delimiter }})
{%- endmacro %}
