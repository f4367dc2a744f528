{#
    The golden record of each person: one row per resolved person, every attribute chosen by the
    survivorship rule (macros/identity/survivorship.sql: source priority, recency, frequency) over the
    person's source records. The person's customer is the one its records point at with the strongest
    evidence (then the same survivorship order). Persons whose records point at no customer are kept as
    unresolved persons (prospects, subscribers), never dropped.
#}
with

person_records as (

    select * from {{ ref('int_person_records_normalized') }}

),

clusters as (

    select * from {{ ref('int_person_records_clustered') }}

),

assignments as (

    select * from {{ ref('int_person_records_assigned_to_customers') }}

),

links as (

    select * from {{ ref('int_person_links_matched') }}

),

blocked as (

    select * from {{ ref('int_identifiers_blocked') }}

),

clustered_records as (

    select
        clusters.person_id,
        person_records.*,
        lower(trim(person_records.email)) as email_cleaned,
        assignments.customer_id,
        assignments.customer_match_confidence,
        blocked.block_reason as email_block_reason
    from person_records
    inner join clusters
        on person_records.record_key = clusters.record_key
    left join assignments
        on person_records.record_key = assignments.record_key
    left join blocked
        on blocked.identifier_type = 'email'
        and person_records.email_normalized = blocked.identifier_value

),

first_names as ({{ survive('clustered_records', 'person_id', 'first_name') }}),

last_names as ({{ survive('clustered_records', 'person_id', 'last_name') }}),

emails as ({{ survive('clustered_records', 'person_id', 'email_cleaned') }}),

phones as ({{ survive('clustered_records', 'person_id', 'phone') }}),

company_names as ({{ survive('clustered_records', 'person_id', 'company_name') }}),

countries as ({{ survive('clustered_records', 'person_id', 'country_code') }}),

customers as (

    select
        person_id,
        customer_id,
        customer_match_confidence
    from (
        select
            person_id,
            customer_id,
            customer_match_confidence,
            row_number() over (
                partition by person_id
                order by
                    customer_match_confidence desc, source_priority asc, updated_at desc nulls last, customer_id asc
            ) as customer_rank
        from clustered_records
        where customer_id is not null
    ) as ranked
    where customer_rank = 1

),

record_summary as (

    select
        person_id,
        count(*) as source_record_count,
        min(created_at) as first_seen_at,
        max(updated_at) as last_updated_at,
        {{ sorted_listagg("case when entity_name = 'contact' then record_id end", "', '") }}
            as sales_contact_ids,
        {{ sorted_listagg("case when entity_name = 'lead' then record_id end", "', '") }}
            as sales_lead_ids,
        {{ sorted_listagg("case when entity_name = 'users' then record_id end", "', '") }}
            as support_user_ids,
        {{ sorted_listagg("case when entity_name = 'contacts' then record_id end", "', '") }}
            as marketing_contact_ids,
        {{ dbt.bool_or("source_name = 'sales'") }} as is_in_sales,
        {{ dbt.bool_or("source_name = 'support'") }} as is_in_support,
        {{ dbt.bool_or("source_name = 'marketing'") }} as is_in_marketing,
        {{ dbt.bool_or("email_block_reason in ('test_record', 'placeholder')") }} as is_test_record,
        {{ dbt.bool_or("email_block_reason = 'shared_mailbox'") }} as is_shared_mailbox
    from clustered_records
    group by person_id

),

-- the weakest link that holds the person together says how sure the match is (and by which rule)
link_summary as (

    select
        person_id,
        match_confidence,
        match_rule
    from (
        select
            clusters.person_id,
            links.match_confidence,
            links.match_rule,
            row_number() over (
                partition by clusters.person_id order by links.match_confidence, links.match_rule
            ) as rule_rank
        from links
        inner join clusters
            on links.left_record_key = clusters.record_key
    ) as ranked
    where rule_rank = 1

),

final as (

    select
        record_summary.person_id,
        customers.customer_id,
        first_names.first_name,
        last_names.last_name,
        emails.email_cleaned as email,
        phones.phone,
        company_names.company_name,
        countries.country_code,
        record_summary.sales_contact_ids,
        record_summary.sales_lead_ids,
        record_summary.support_user_ids,
        record_summary.marketing_contact_ids,
        record_summary.source_record_count,
        coalesce(link_summary.match_rule, 'single_record') as match_rule,
        cast(coalesce(link_summary.match_confidence, 1.0) as {{ dbt.type_numeric() }}) as match_confidence,
        customers.customer_match_confidence,
        record_summary.is_in_sales,
        record_summary.is_in_support,
        record_summary.is_in_marketing,
        record_summary.is_test_record,
        record_summary.is_shared_mailbox,
        customers.customer_id is null as is_unresolved,
        record_summary.first_seen_at,
        record_summary.last_updated_at
    from record_summary
    left join customers on record_summary.person_id = customers.person_id
    left join first_names on record_summary.person_id = first_names.person_id
    left join last_names on record_summary.person_id = last_names.person_id
    left join emails on record_summary.person_id = emails.person_id
    left join phones on record_summary.person_id = phones.person_id
    left join company_names on record_summary.person_id = company_names.person_id
    left join countries on record_summary.person_id = countries.person_id
    left join link_summary on record_summary.person_id = link_summary.person_id

)

select * from final
