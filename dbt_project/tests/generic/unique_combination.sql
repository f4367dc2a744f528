{#
    Each combination of `columns` appears once (a compound grain). Written here because dbt hub
    packages (dbt_utils) cannot be downloaded on these machines.
#}
{% test unique_combination(model, columns) %}
{{ governed_by_policy() }}

select
    {{ columns | join(', ') }},
    count(*) as occurrences
from {{ model }}
group by {{ columns | join(', ') }}
having count(*) > 1

{% endtest %}
