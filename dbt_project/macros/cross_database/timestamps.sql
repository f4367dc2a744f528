{#
    Timestamps: every model stores naive timestamps that mean UTC (marts.md: "all timestamps are UTC").
    Raw columns arrive as TIMESTAMPTZ (sales, support), as naive timestamps, or as text with or without
    an offset (marketing exports); these macros turn each into a UTC `timestamp`.
#}

{# A timestamp or timestamptz column → naive UTC timestamp. #}
{% macro to_utc_timestamp(column) -%}
    {{ return(adapter.dispatch('to_utc_timestamp', 'crm')(column)) }}
{%- endmacro %}

{% macro default__to_utc_timestamp(column) -%}
    cast(cast({{ column }} as {{ dbt.type_timestamp() }} with time zone) at time zone 'UTC' as {{ dbt.type_timestamp() }})
{%- endmacro %}

{% macro duckdb__to_utc_timestamp(column) -%}
    cast(timezone('UTC', cast({{ column }} as timestamptz)) as timestamp)
{%- endmacro %}

{#
    Text as exported by a source → naive UTC timestamp, or null when it cannot be read.
    Accepts ISO 8601 with or without an offset ("2025-03-30T01:30:00+02:00", "2025-03-30 01:30:00Z")
    and the forms spreadsheets write: US month-first with slashes ("03/30/2025 01:30"), European
    day-first with dots ("30.03.2025 01:30:00"), "2025/03/30 01:30 AM", "30 Mar 2025". Slashes are
    month-first (the US convention the exports use), dots day-first. Text without an offset is UTC.
#}
{% macro parse_timestamp_utc(column) -%}
    {{ return(adapter.dispatch('parse_timestamp_utc', 'crm')(column)) }}
{%- endmacro %}

{% macro default__parse_timestamp_utc(column) -%}
    {%- set text = "nullif(trim(cast(" ~ column ~ " as " ~ dbt.type_string() ~ ")), '')" -%}
    cast(case
        when {{ text }} ~ '^\d{4}-\d{2}-\d{2}' then cast({{ text }} as timestamp with time zone) at time zone 'UTC'
        when {{ text }} ~ '^\d{1,2}/\d{1,2}/\d{4}' then to_timestamp({{ text }}, 'MM/DD/YYYY HH24:MI:SS') at time zone 'UTC'
        when {{ text }} ~ '^\d{1,2}\.\d{1,2}\.\d{4}' then to_timestamp({{ text }}, 'DD.MM.YYYY HH24:MI:SS') at time zone 'UTC'
        when {{ text }} ~ '^\d{4}/\d{2}/\d{2} \d{1,2}:\d{2} [AP]M$' then to_timestamp({{ text }}, 'YYYY/MM/DD HH12:MI AM') at time zone 'UTC'
        when {{ text }} ~ '^\d{4}/\d{2}/\d{2}' then to_timestamp({{ text }}, 'YYYY/MM/DD HH24:MI:SS') at time zone 'UTC'
        when {{ text }} ~ '^\d{1,2} [A-Za-z]{3} \d{4}' then to_timestamp({{ text }}, 'DD Mon YYYY') at time zone 'UTC'
    end as timestamp)
{%- endmacro %}

{% macro duckdb__parse_timestamp_utc(column) -%}
    cast(coalesce(
        timezone('UTC', try_cast(nullif(trim(cast({{ column }} as varchar)), '') as timestamptz)),
        try_strptime(
            trim(cast({{ column }} as varchar)),
            ['%m/%d/%Y %H:%M:%S', '%m/%d/%Y %H:%M', '%m/%d/%Y', '%d.%m.%Y %H:%M:%S', '%d.%m.%Y %H:%M',
             '%d.%m.%Y', '%Y/%m/%d %I:%M %p', '%Y/%m/%d %H:%M:%S', '%Y/%m/%d %H:%M', '%Y/%m/%d', '%d %b %Y']
        )
    ) as timestamp)
{%- endmacro %}

{# Text → date, same formats as parse_timestamp_utc (a timestamp keeps its UTC date). #}
{% macro parse_date(column) -%}
    cast({{ crm.parse_timestamp_utc(column) }} as date)
{%- endmacro %}

{#
    parse_timestamp_utc for a column of a relation whose type is known at run time: a column ingestion
    already typed as a timestamp is converted directly (the same value: text is only a detour, and at
    10 M rows a costly one), text is parsed. At parse time, and for any other type, it is parse_timestamp_utc.
#}
{% macro timestamp_utc_from(relation, column) -%}
    {%- set typed = namespace(is_timestamp=false) -%}
    {%- if execute -%}
        {%- for existing in adapter.get_columns_in_relation(relation) -%}
            {%- if existing.name | lower == column | lower and 'timestamp' in existing.data_type | lower -%}
                {%- set typed.is_timestamp = true -%}
            {%- endif -%}
        {%- endfor -%}
    {%- endif -%}
    {%- if typed.is_timestamp -%}
    {{ crm.to_utc_timestamp(column) }}
    {%- else -%}
    {{ crm.parse_timestamp_utc(column) }}
    {%- endif -%}
{%- endmacro %}
