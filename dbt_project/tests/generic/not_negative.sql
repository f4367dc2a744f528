{# The column is never negative (nulls allowed): durations, counts, amounts that cannot go below zero. #}
{% test not_negative(model, column_name) %}
{{ governed_by_policy() }}

select {{ column_name }}
from {{ model }}
where {{ column_name }} < 0

{% endtest %}
