{#
    One row per help-desk ticket, with its customer, requester person, first reply, resolution, reopens,
    escalations and latest satisfaction rating.
#}
with

final as (

    select * from {{ ref('int_tickets_measured') }}

)

select * from final
