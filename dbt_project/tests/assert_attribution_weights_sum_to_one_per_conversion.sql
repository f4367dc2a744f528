{#
    Every attributable conversion hands out exactly one unit of credit in each attribution model:
    first-touch, last-touch and linear weights each sum to 1 per conversion. Returns the conversions
    whose weights do not.
#}
{{ governed_by_policy('dbt.attribution.weights_sum_to_one') }}

select
    conversion_type,
    conversion_id,
    sum(first_touch_weight) as first_touch_total,
    sum(last_touch_weight) as last_touch_total,
    sum(linear_weight) as linear_total
from {{ ref('int_conversions_attributed_to_touches') }}
group by conversion_type, conversion_id
having abs(sum(first_touch_weight) - 1) > 1e-9
    or abs(sum(last_touch_weight) - 1) > 1e-9
    or abs(sum(linear_weight) - 1) > 1e-9
