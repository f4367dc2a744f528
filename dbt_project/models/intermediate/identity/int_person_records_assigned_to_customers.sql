{#
    Each person record with the customer it belongs to, by the strongest evidence it carries:
      organisation_record (1.00) the record points at a CRM account or help-desk organisation
                                 (contact.account_id, lead.converted_account_id, user.organization_id);
      email_domain        (0.90) its work email's domain is a web domain one customer owns;
      company_name        (0.80) its company name, normalised, is the name of exactly one customer.
    Records with none of these (consumers' personal addresses, anonymous survey answers) stay without
    a customer here; person clustering may still attach them through their other records.
#}
with

person_records as (

    select * from {{ ref('int_person_records_normalized') }}

),

organization_clusters as (

    select * from {{ ref('int_organization_records_clustered') }}

),

organization_records as (

    select * from {{ ref('int_organization_records_unioned') }}

),

organization_domains as (

    select * from {{ ref('int_organization_domains_unnested') }}

),

customer_domains as (

    select
        organization_domains.domain_name,
        min(organization_clusters.customer_id) as customer_id
    from organization_domains
    inner join organization_clusters
        on organization_domains.record_key = organization_clusters.record_key
    group by organization_domains.domain_name
    having count(distinct organization_clusters.customer_id) = 1

),

customer_names as (

    select
        organization_records.organization_name_normalized,
        min(organization_clusters.customer_id) as customer_id
    from organization_records
    inner join organization_clusters
        on organization_records.record_key = organization_clusters.record_key
    where organization_records.organization_name_normalized is not null
    group by organization_records.organization_name_normalized
    having count(distinct organization_clusters.customer_id) = 1

),

assigned as (

    select
        person_records.record_key,
        coalesce(by_organization.customer_id, by_domain.customer_id, by_name.customer_id) as customer_id,
        case
            when by_organization.customer_id is not null then 'organization_record'
            when by_domain.customer_id is not null then 'email_domain'
            when by_name.customer_id is not null then 'company_name'
        end as customer_match_rule,
        case
            when by_organization.customer_id is not null then 1.00
            when by_domain.customer_id is not null then 0.90
            when by_name.customer_id is not null then 0.80
        end as customer_match_confidence
    from person_records
    left join organization_clusters as by_organization
        on person_records.organization_record_key = by_organization.record_key
    left join customer_domains as by_domain
        on person_records.email_domain = by_domain.domain_name
    left join customer_names as by_name
        on person_records.company_name_normalized = by_name.organization_name_normalized

),

final as (

    select
        record_key,
        customer_id,
        customer_match_rule,
        cast(customer_match_confidence as {{ dbt.type_numeric() }}) as customer_match_confidence
    from assigned

)

select * from final
