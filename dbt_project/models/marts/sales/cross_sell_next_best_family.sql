{#
    One row per customer who bought anything: the product families they own, and the next best family
    to offer — among the families they do not own, the one with the highest attach rate from any family
    they own (cross_sell), ties broken by lift, then name. Null when the customer owns every family.
#}
with

customer_families as (

    select * from {{ ref('int_customer_product_families_summarized') }}

),

cross_sell as (

    select * from {{ ref('cross_sell') }}

),

owned as (

    select
        customer_id,
        count(*) as owned_family_count,
        {{ dbt.listagg('product_family', "', '", 'order by product_family') }} as owned_product_families
    from customer_families
    group by customer_id

),

candidates as (

    select
        customer_families.customer_id,
        cross_sell.product_family_b as product_family,
        cross_sell.product_family_a as based_on_product_family,
        cross_sell.attach_rate,
        cross_sell.attach_lift,
        row_number() over (
            partition by customer_families.customer_id
            order by
                cross_sell.attach_rate desc, cross_sell.attach_lift desc, cross_sell.product_family_b asc,
                cross_sell.product_family_a asc
        ) as candidate_rank
    from customer_families
    inner join cross_sell
        on customer_families.product_family = cross_sell.product_family_a
    left join customer_families as already_owned
        on customer_families.customer_id = already_owned.customer_id
        and cross_sell.product_family_b = already_owned.product_family
    where already_owned.customer_id is null

),

final as (

    select
        owned.customer_id,
        owned.owned_family_count,
        owned.owned_product_families,
        candidates.product_family as next_best_product_family,
        candidates.based_on_product_family,
        candidates.attach_rate as next_best_attach_rate,
        candidates.attach_lift as next_best_attach_lift
    from owned
    left join candidates
        on owned.customer_id = candidates.customer_id
        and candidates.candidate_rank = 1

)

select * from final
