{#
    String similarity and normalisation for identity resolution. DuckDB has them built in; PostgreSQL
    needs the `fuzzystrmatch` and `unaccent` extensions (created by the database owner).
#}

{#
    Jaro-Winkler similarity, 0..1. PostgreSQL has none built in: the project creates DuckDB's, byte for
    byte, in the target schema (create_portable_functions, run on start).
#}
{% macro name_similarity(left, right) -%}
    {{ return(adapter.dispatch('name_similarity', 'crm')(left, right)) }}
{%- endmacro %}

{% macro default__name_similarity(left, right) -%}
    {{ target.schema }}.jaro_winkler_similarity({{ left }}, {{ right }})
{%- endmacro %}

{% macro duckdb__name_similarity(left, right) -%}
    jaro_winkler_similarity({{ left }}, {{ right }})
{%- endmacro %}

{# Edit distance between two strings. #}
{% macro edit_distance(left, right) -%}
    levenshtein({{ left }}, {{ right }})
{%- endmacro %}

{# Remove accents: "Zoë Müller" → "Zoe Muller". #}
{% macro strip_accents(column) -%}
    {{ return(adapter.dispatch('strip_accents', 'crm')(column)) }}
{%- endmacro %}

{% macro default__strip_accents(column) -%}
    unaccent({{ column }})
{%- endmacro %}

{% macro duckdb__strip_accents(column) -%}
    strip_accents({{ column }})
{%- endmacro %}

{# Regular-expression replace of every match (both engines take the 'g' flag). #}
{% macro regex_replace_all(column, pattern, replacement) -%}
    regexp_replace({{ column }}, '{{ pattern }}', '{{ replacement }}', 'g')
{%- endmacro %}

{# The regular-expression word boundary (RE2 and PCRE say \b, PostgreSQL says \y). #}
{% macro word_boundary() -%}
    {{ return(adapter.dispatch('word_boundary', 'crm')()) }}
{%- endmacro %}

{% macro default__word_boundary() -%}\y{%- endmacro %}

{% macro duckdb__word_boundary() -%}\b{%- endmacro %}

{# A pattern matching everything but letters (of any script) and blanks. #}
{% macro non_letter_pattern() -%}
    {{ return(adapter.dispatch('non_letter_pattern', 'crm')()) }}
{%- endmacro %}

{% macro default__non_letter_pattern() -%}[^[:alpha:] ]{%- endmacro %}

{% macro duckdb__non_letter_pattern() -%}[^\p{L} ]{%- endmacro %}
