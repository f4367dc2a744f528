{#
    Join clause + expression that convert an amount to the corporate currency at a date, from
    stg_sales__currency_rates. As in Salesforce's dated conversion rates, a rate is how many units of
    the currency make one unit of the corporate currency, valid from `valid_from_date` up to, not
    including, `valid_to_date`: amount in corporate currency = amount / rate. Amounts already in the
    corporate currency convert at 1 even without a rate row.

    from orders
    {{ currency_rate_join('rates', 'orders.currency_code', 'orders.effective_date') }}
    ... {{ convert_amount('orders.total_amount', 'rates', 'orders.currency_code') }} as total_amount_usd
#}
{% macro currency_rate_join(rates_alias, currency_column, date_column) -%}
    left join {{ ref('stg_sales__currency_rates') }} as {{ rates_alias }}
        on {{ rates_alias }}.currency_code = {{ currency_column }}
        and {{ date_column }} >= {{ rates_alias }}.valid_from_date
        and ({{ date_column }} < {{ rates_alias }}.valid_to_date or {{ rates_alias }}.valid_to_date is null)
{%- endmacro %}

{% macro conversion_rate(rates_alias, currency_column) -%}
    case
        when {{ currency_column }} = '{{ var("corporate_currency") }}' then cast(1 as {{ crm.type_rate() }})
        else {{ rates_alias }}.conversion_rate
    end
{%- endmacro %}

{% macro convert_amount(amount_column, rates_alias, currency_column) -%}
    cast({{ amount_column }} / {{ crm.conversion_rate(rates_alias, currency_column) }} as {{ crm.type_converted_money() }})
{%- endmacro %}
