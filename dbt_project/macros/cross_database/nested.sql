{#
    Nested source fields (the help desk's JSON): DuckDB holds them as STRUCT / LIST, PostgreSQL as
    jsonb. Only staging reads them, through these macros.
#}

{# One field of a struct / JSON object, as text. #}
{% macro struct_field(column, field) -%}
    {{ return(adapter.dispatch('struct_field', 'crm')(column, field)) }}
{%- endmacro %}

{% macro default__struct_field(column, field) -%}
    ({{ column }} ->> '{{ field }}')
{%- endmacro %}

{% macro duckdb__struct_field(column, field) -%}
    struct_extract({{ column }}, '{{ field }}')
{%- endmacro %}

{# Number of elements in a list / JSON array (0 for null). #}
{% macro list_length(column) -%}
    {{ return(adapter.dispatch('list_length', 'crm')(column)) }}
{%- endmacro %}

{% macro default__list_length(column) -%}
    coalesce(jsonb_array_length({{ column }}), 0)
{%- endmacro %}

{% macro duckdb__list_length(column) -%}
    coalesce(len({{ column }}), 0)
{%- endmacro %}

{# Does a list of text / JSON array of strings contain a value? #}
{% macro list_contains(column, value) -%}
    {{ return(adapter.dispatch('list_contains', 'crm')(column, value)) }}
{%- endmacro %}

{% macro default__list_contains(column, value) -%}
    coalesce({{ column }} ? {{ value }}, false)
{%- endmacro %}

{% macro duckdb__list_contains(column, value) -%}
    coalesce(list_contains({{ column }}, {{ value }}), false)
{%- endmacro %}

{#
    Unnest a list column into rows: used as a lateral "table" in a from clause.
    `{{ crm.unnest_list('o.domain_names') }} as domain(domain_name)`
#}
{% macro unnest_list(column) -%}
    {{ return(adapter.dispatch('unnest_list', 'crm')(column)) }}
{%- endmacro %}

{% macro default__unnest_list(column) -%}
    jsonb_array_elements_text({{ column }})
{%- endmacro %}

{% macro duckdb__unnest_list(column) -%}
    unnest({{ column }})
{%- endmacro %}

{#
    Unnest a list of structs / JSON array of objects into rows whose element keeps its fields (read them
    with struct_field): `{{ crm.unnest_object_list('p.schedule_intervals') }} as opening(opening_interval)`.
#}
{% macro unnest_object_list(column) -%}
    {{ return(adapter.dispatch('unnest_object_list', 'crm')(column)) }}
{%- endmacro %}

{% macro default__unnest_object_list(column) -%}
    jsonb_array_elements({{ column }})
{%- endmacro %}

{% macro duckdb__unnest_object_list(column) -%}
    unnest({{ column }})
{%- endmacro %}

{#
    A literal list (of structs, dates, …) for a unit-test fixture in `format: sql`:
    `{{ crm.nested_literal([{'weekday': 0, 'start_minute': 540}], 'struct(weekday integer, start_minute integer)[]') }}`.
    DuckDB takes the list as written (cast to `duckdb_type` when given); PostgreSQL holds nested
    source fields as jsonb, so it gets the JSON text of the same value.
#}
{% macro nested_literal(value, duckdb_type=none) -%}
    {{ return(adapter.dispatch('nested_literal', 'crm')(value, duckdb_type)) }}
{%- endmacro %}

{% macro default__nested_literal(value, duckdb_type) -%}
    cast('{{ tojson(value) | replace("'", "''") }}' as jsonb)
{%- endmacro %}

{% macro duckdb__nested_literal(value, duckdb_type) -%}
    {%- if duckdb_type -%}cast({{ value }} as {{ duckdb_type }}){%- else -%}{{ value }}{%- endif -%}
{%- endmacro %}
