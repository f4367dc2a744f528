{#
    Wall-clock time in a named (IANA) time zone → the naive UTC timestamp of that instant, honouring the
    zone's daylight-saving rules on that date: ("2025-03-10 09:00", "America/New_York") → 13:00 UTC,
    ("2025-03-07 09:00", same zone) → 14:00 UTC. DuckDB needs its built-in ICU extension (shipped in the
    Python wheel); PostgreSQL does it natively.
#}
{% macro local_to_utc(local_timestamp, time_zone) -%}
    {{ return(adapter.dispatch('local_to_utc', 'crm')(local_timestamp, time_zone)) }}
{%- endmacro %}

{% macro default__local_to_utc(local_timestamp, time_zone) -%}
    cast((cast({{ local_timestamp }} as {{ dbt.type_timestamp() }}) at time zone {{ time_zone }}) at time zone 'UTC'
        as {{ dbt.type_timestamp() }})
{%- endmacro %}

{% macro duckdb__local_to_utc(local_timestamp, time_zone) -%}
    cast(timezone('UTC', timezone({{ time_zone }}, cast({{ local_timestamp }} as timestamp))) as timestamp)
{%- endmacro %}

{# Day of the week of a date, 0 = Monday … 6 = Sunday (the help desk's schedule convention). #}
{% macro weekday_from_monday(date_column) -%}
    (cast(extract(isodow from {{ date_column }}) as {{ dbt.type_int() }}) - 1)
{%- endmacro %}
