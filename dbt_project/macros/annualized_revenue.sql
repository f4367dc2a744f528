{#
    A customer-month's annual revenue run rate: its trailing-12-month revenue, scaled to a full year
    when the customer is younger than a year (× 12 ÷ months since the first order, counting that
    month). The predicted-value model (int_rfm_segment_carry_over_rates, customer_value) works on it.
#}
{% macro annualized_revenue(customer_months_alias) -%}
    ({{ customer_months_alias }}.trailing_12_month_revenue_usd * 12.0 / least(12,
        {{ dbt.datediff(customer_months_alias ~ '.first_order_month', customer_months_alias ~ '.month_start_date', 'month') }} + 1
    ))
{%- endmacro %}
