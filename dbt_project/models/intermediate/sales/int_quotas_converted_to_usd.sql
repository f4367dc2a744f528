{# One row per owner quota and month, converted to USD at the first day of the month. #}
with

quotas as (

    select * from {{ ref('stg_sales__quotas') }}

),

final as (

    select
        quotas.quota_id,
        quotas.owner_user_id,
        cast({{ dbt.date_trunc('month', 'quotas.period_start_date') }} as date) as month_start_date,
        quotas.currency_code,
        quotas.quota_amount,
        {{ convert_amount('quotas.quota_amount', 'rates', 'quotas.currency_code') }} as quota_amount_usd
    from quotas
    {{ currency_rate_join('rates', 'quotas.currency_code', 'quotas.period_start_date') }}

)

select * from final
