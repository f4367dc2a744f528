{#
    dbt's datediff on PostgreSQL is built from date_part, which returns double precision for months,
    hours, minutes and seconds; DuckDB's date_diff returns bigint. The same boundary count, as bigint,
    keeps the marts' contracts and types equal on both engines.
#}
{% macro postgres__datediff(first_date, second_date, datepart) -%}
    cast({{ dbt.postgres__datediff(first_date, second_date, datepart) }} as {{ dbt.type_bigint() }})
{%- endmacro %}
