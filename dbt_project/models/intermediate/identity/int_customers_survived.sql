{#
    The golden record of each customer (buying organisation): one row per resolved customer, every
    attribute chosen by the survivorship rule (source priority, recency, frequency) over its CRM
    accounts and help-desk organisations. Customers known only to the help desk are kept too.
#}
with

organization_records as (

    select * from {{ ref('int_organization_records_unioned') }}

),

clusters as (

    select * from {{ ref('int_organization_records_clustered') }}

),

organization_domains as (

    select * from {{ ref('int_organization_domains_unnested') }}

),

links as (

    select * from {{ ref('int_organization_links_matched') }}

),

size_bands as (

    select * from {{ ref('company_size_bands') }}

),

clustered_records as (

    select
        clusters.customer_id,
        organization_records.*
    from organization_records
    inner join clusters
        on organization_records.record_key = clusters.record_key

),

clustered_domains as (

    select
        clusters.customer_id,
        organization_records.source_priority,
        organization_records.updated_at,
        organization_domains.domain_name
    from organization_domains
    inner join clusters
        on organization_domains.record_key = clusters.record_key
    inner join organization_records
        on organization_domains.record_key = organization_records.record_key

),

names as ({{ survive('clustered_records', 'customer_id', 'organization_name') }}),

domains as ({{ survive('clustered_domains', 'customer_id', 'domain_name') }}),

industries as ({{ survive('clustered_records', 'customer_id', 'industry') }}),

countries as ({{ survive('clustered_records', 'customer_id', 'country_code') }}),

cities as ({{ survive('clustered_records', 'customer_id', 'city') }}),

employees as ({{ survive('clustered_records', 'customer_id', 'number_of_employees') }}),

revenues as ({{ survive('clustered_records', 'customer_id', 'annual_revenue') }}),

owners as ({{ survive('clustered_records', 'customer_id', 'owner_user_id') }}),

account_types as ({{ survive('clustered_records', 'customer_id', 'account_type') }}),

record_summary as (

    select
        customer_id,
        count(*) as source_record_count,
        min(created_at) as first_seen_at,
        max(updated_at) as last_updated_at,
        {{ sorted_listagg("case when source_name = 'sales' then record_id end", "', '") }}
            as sales_account_ids,
        {{ sorted_listagg("case when source_name = 'support' then record_id end", "', '") }}
            as support_organization_ids,
        {{ dbt.bool_or("source_name = 'sales'") }} as is_in_sales,
        {{ dbt.bool_or("source_name = 'support'") }} as is_in_support
    from clustered_records
    group by customer_id

),

link_summary as (

    select
        clusters.customer_id,
        min(links.match_confidence) as match_confidence
    from links
    inner join clusters
        on links.left_record_key = clusters.record_key
    group by clusters.customer_id

),

final as (

    select
        record_summary.customer_id,
        names.organization_name as customer_name,
        domains.domain_name as web_domain,
        industries.industry,
        countries.country_code,
        cities.city,
        employees.number_of_employees,
        coalesce(size_bands.size_band, 'unknown') as size_band,
        revenues.annual_revenue,
        owners.owner_user_id,
        account_types.account_type,
        record_summary.sales_account_ids,
        record_summary.support_organization_ids,
        record_summary.source_record_count,
        cast(coalesce(link_summary.match_confidence, 1.0) as {{ dbt.type_numeric() }}) as match_confidence,
        record_summary.is_in_sales,
        record_summary.is_in_support,
        record_summary.first_seen_at,
        record_summary.last_updated_at
    from record_summary
    left join names on record_summary.customer_id = names.customer_id
    left join domains on record_summary.customer_id = domains.customer_id
    left join industries on record_summary.customer_id = industries.customer_id
    left join countries on record_summary.customer_id = countries.customer_id
    left join cities on record_summary.customer_id = cities.customer_id
    left join employees on record_summary.customer_id = employees.customer_id
    left join revenues on record_summary.customer_id = revenues.customer_id
    left join owners on record_summary.customer_id = owners.customer_id
    left join account_types on record_summary.customer_id = account_types.customer_id
    left join link_summary on record_summary.customer_id = link_summary.customer_id
    left join size_bands
        on employees.number_of_employees between size_bands.min_employees and size_bands.max_employees

)

select * from final
