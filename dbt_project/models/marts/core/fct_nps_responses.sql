{#
    One row per NPS survey response, with its person, customer and NPS category.
#}
with

final as (

    select * from {{ ref('int_nps_responses_attributed') }}

)

select * from final
