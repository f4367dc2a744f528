{#
    One row per organisation record and web domain it owns: the CRM account's website, and each of the
    help desk organisation's domain_names. Free-mail domains (gmail.com, …) identify nobody.
#}
with

organization_records as (

    select * from {{ ref('int_organization_records_unioned') }}

),

organizations as (

    select * from {{ ref('stg_support__organizations') }}

),

free_email_domains as (

    select * from {{ ref('free_email_domains') }}

),

account_websites as (

    select
        record_key,
        website_domain as domain_name
    from organization_records
    where source_name = 'sales'
        and website_domain is not null

),

help_desk_domains as (

    select
        'support:organizations:' || cast(organizations.organization_id as {{ dbt.type_string() }}) as record_key,
        {{ normalize_domain('listed.domain_name') }} as domain_name
    from organizations
    cross join {{ unnest_list('organizations.domain_names') }} as listed (domain_name)

),

unioned as (

    select * from account_websites
    union
    select * from help_desk_domains

),

final as (

    select
        unioned.record_key,
        unioned.domain_name
    from unioned
    left join free_email_domains
        on unioned.domain_name = free_email_domains.email_domain
    where unioned.domain_name is not null
        and free_email_domains.email_domain is null

)

select * from final
