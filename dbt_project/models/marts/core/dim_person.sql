{#
    One row per resolved person: the golden record, the customer they belong to (null for unresolved
    persons: prospects and subscribers no customer claims), their ids in each source, and how they
    were matched (the weakest rule holding their records together, and its confidence).
#}
with

persons as (

    select * from {{ ref('int_persons_survived') }}

),

final as (

    select
        person_id,
        customer_id,
        first_name,
        last_name,
        email,
        phone,
        company_name,
        country_code,
        sales_contact_ids,
        sales_lead_ids,
        support_user_ids,
        marketing_contact_ids,
        source_record_count,
        match_rule,
        match_confidence,
        customer_match_confidence,
        is_in_sales,
        is_in_support,
        is_in_marketing,
        is_test_record,
        is_shared_mailbox,
        is_unresolved,
        first_seen_at,
        last_updated_at
    from persons

)

select * from final
