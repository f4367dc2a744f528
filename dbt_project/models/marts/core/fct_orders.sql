{#
    One row per order, with its customer and person (identity resolution), its amounts in the original
    currency and in the corporate currency, and its revenue.
#}
with

final as (

    select * from {{ ref('int_orders_attributed_to_customers') }}

)

select * from final
