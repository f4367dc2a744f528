{#
    One row per ordered pair of product families (A, B), A ≠ B: of the customers who bought A, how many
    also bought B (ever, and after their first A), the attach rate (customers with A and B ÷ customers
    with A) and its lift over B's base rate among all buying customers (attach rate ÷ share of customers
    with B; above 1, owning A makes B more likely). "Bought" = a line on a qualifying order (not
    Cancelled / Returned).
#}
with

customer_families as (

    select * from {{ ref('int_customer_product_families_summarized') }}

),

buying_customers as (

    select count(distinct customer_id) as customer_count from customer_families

),

family_owners as (

    select
        product_family,
        count(*) as owner_count
    from customer_families
    group by product_family

),

pairs as (

    select
        family_a.product_family as product_family_a,
        family_b.product_family as product_family_b,
        count(*) as customers_with_both,
        count(case when family_b.first_purchase_date > family_a.first_purchase_date then 1 end)
            as customers_buying_b_after_a
    from customer_families as family_a
    inner join customer_families as family_b
        on family_a.customer_id = family_b.customer_id
        and family_a.product_family <> family_b.product_family
    group by family_a.product_family, family_b.product_family

),

all_pairs as (

    select
        owners_a.product_family as product_family_a,
        owners_b.product_family as product_family_b,
        owners_a.owner_count as customers_with_a,
        owners_b.owner_count as customers_with_b
    from family_owners as owners_a
    cross join family_owners as owners_b
    where owners_a.product_family <> owners_b.product_family

),

final as (

    select
        {{ dbt.hash(dbt.concat(['all_pairs.product_family_a', "'|'", 'all_pairs.product_family_b'])) }}
            as product_family_pair_id,
        all_pairs.product_family_a,
        all_pairs.product_family_b,
        all_pairs.customers_with_a,
        all_pairs.customers_with_b,
        coalesce(pairs.customers_with_both, 0) as customers_with_both,
        coalesce(pairs.customers_buying_b_after_a, 0) as customers_buying_b_after_a,
        cast(1.0 * coalesce(pairs.customers_with_both, 0) / all_pairs.customers_with_a as {{ type_ratio() }})
            as attach_rate,
        cast(
            (1.0 * coalesce(pairs.customers_with_both, 0) / all_pairs.customers_with_a)
            / (1.0 * all_pairs.customers_with_b / buying_customers.customer_count)
            as {{ type_ratio() }}
        ) as attach_lift
    from all_pairs
    cross join buying_customers
    left join pairs
        on all_pairs.product_family_a = pairs.product_family_a
        and all_pairs.product_family_b = pairs.product_family_b

)

select * from final
