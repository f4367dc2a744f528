{#
    Column types the marts share, written once so that staging and marts agree on every engine.
    Money keeps cents exactly (sums reconcile to the cent); rates keep the six places currency_rate has.
#}
{% macro type_money() -%}
    numeric(18, 2)
{%- endmacro %}

{#
    Converted money (amount / rate) before it is summed: six decimals, so that a period's revenue rounds
    once, at the end, to the same cents the source would show (round(Σ amount / rate, 2)); rounding each
    line first would drift by up to half a cent per line.
#}
{% macro type_converted_money() -%}
    numeric(20, 6)
{%- endmacro %}

{% macro type_rate() -%}
    numeric(18, 6)
{%- endmacro %}

{#
    Text as exported → number, or null when it is not one. Accepts thousands separators
    ("12,345.60"), surrounding blanks and a leading "+", which CSV exports carry.
#}
{% macro parse_number(column, type=none) -%}
    {{ return(adapter.dispatch('parse_number', 'crm')(column, type or crm.type_money())) }}
{%- endmacro %}

{% macro default__parse_number(column, type) -%}
    cast(nullif(replace(replace(trim(cast({{ column }} as {{ dbt.type_string() }})), ',', ''), '+', ''), '') as {{ type }})
{%- endmacro %}

{% macro duckdb__parse_number(column, type) -%}
    try_cast(nullif(replace(replace(trim(cast({{ column }} as varchar)), ',', ''), '+', ''), '') as {{ type }})
{%- endmacro %}

{# Text as exported → boolean ("true"/"1"/"yes" → true). #}
{% macro parse_boolean(column) -%}
    case
        when lower(trim(cast({{ column }} as {{ dbt.type_string() }}))) in ('true', 't', '1', 'yes', 'y') then true
        when lower(trim(cast({{ column }} as {{ dbt.type_string() }}))) in ('false', 'f', '0', 'no', 'n') then false
    end
{%- endmacro %}

{# Blank text → null, everything else trimmed. #}
{% macro clean_text(column) -%}
    nullif(trim(cast({{ column }} as {{ dbt.type_string() }})), '')
{%- endmacro %}

{# Rates, shares and scores: double precision on every engine (dbt's type_float is 4-byte on DuckDB). #}
{% macro type_ratio() -%}
    double precision
{%- endmacro %}

{# An attribution weight as an exact decimal, so that sums of weights do not depend on adding order. #}
{% macro exact_weight(column) -%}
    cast({{ column }} as decimal(38, 15))
{%- endmacro %}
