{#
    Map a source enum to its canonical spelling, case- and blank-insensitively; values outside the
    contract become `unknown_value` (default 'unknown') instead of leaking into the marts; null stays null.

    {{ normalize_enum('status', ['Draft', 'Activated', 'Fulfilled', 'Cancelled', 'Returned']) }}
#}
{% macro normalize_enum(column, values, unknown_value='unknown') -%}
    {%- set text = "lower(trim(cast(" ~ column ~ " as " ~ dbt.type_string() ~ ")))" -%}
    case
        when nullif({{ text }}, '') is null then null
        {%- for value in values %}
        when {{ text }} = '{{ value | lower }}' then '{{ value }}'
        {%- endfor %}
        else '{{ unknown_value }}'
    end
{%- endmacro %}
