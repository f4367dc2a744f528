{#
    The change of a measure between two rows of the same table (current − previous), keeping the
    measure's type: money (`*_usd`) stays money, counts stay counts, rates stay rates. Null when the
    previous period has no row.
#}
{% macro measure_change(current, previous, measure) -%}
    {%- if measure.endswith('_usd') -%}
        cast({{ current }}.{{ measure }} - {{ previous }}.{{ measure }} as {{ crm.type_money() }})
    {%- else -%}
        {{ current }}.{{ measure }} - {{ previous }}.{{ measure }}
    {%- endif -%}
{%- endmacro %}
