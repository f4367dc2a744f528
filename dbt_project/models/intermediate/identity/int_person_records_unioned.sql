{#
    Every source record that stands for a person, in one shape. `source_priority` orders the sources
    for survivorship (1 wins): the sales CRM's contacts are curated by account owners, help-desk users
    are typed by the people themselves, marketing contacts and leads are often partial, and NPS
    responses carry only an email.
#}
with

contacts as (

    select * from {{ ref('stg_sales__contacts') }}

),

leads as (

    select * from {{ ref('stg_sales__leads') }}

),

accounts as (

    select * from {{ ref('stg_sales__accounts') }}

),

support_users as (

    select * from {{ ref('stg_support__users') }}

),

organizations as (

    select * from {{ ref('stg_support__organizations') }}

),

marketing_contacts as (

    select * from {{ ref('stg_marketing__contacts') }}

),

nps_responses as (

    select * from {{ ref('stg_marketing__nps_responses') }}

),

sales_contacts as (

    select
        'sales' as source_name,
        'contact' as entity_name,
        contacts.contact_id as record_id,
        1 as source_priority,
        contacts.first_name,
        contacts.last_name,
        contacts.email,
        contacts.phone,
        accounts.account_name as company_name,
        contacts.mailing_country_code as country_code,
        'sales:account:' || contacts.account_id as organization_record_key,
        cast(null as {{ dbt.type_string() }}) as referenced_record_key,
        cast(null as {{ dbt.type_string() }}) as second_referenced_record_key,
        contacts.created_at,
        contacts.modified_at as updated_at
    from contacts
    left join accounts
        on contacts.account_id = accounts.account_id

),

help_desk_users as (

    -- the help desk keeps one name field: first word = first name, the rest = last name
    select
        'support' as source_name,
        'users' as entity_name,
        cast(support_users.support_user_id as {{ dbt.type_string() }}) as record_id,
        2 as source_priority,
        {{ dbt.split_part('support_users.user_name', "' '", 1) }} as first_name,
        nullif(trim(substr(
            support_users.user_name,
            length({{ dbt.split_part('support_users.user_name', "' '", 1) }}) + 1
        )), '') as last_name,
        support_users.email,
        support_users.phone,
        organizations.organization_name as company_name,
        cast(null as {{ dbt.type_string() }}) as country_code,
        case
            when support_users.organization_id is not null
                then 'support:organizations:' || cast(support_users.organization_id as {{ dbt.type_string() }})
        end as organization_record_key,
        cast(null as {{ dbt.type_string() }}) as referenced_record_key,
        cast(null as {{ dbt.type_string() }}) as second_referenced_record_key,
        support_users.created_at,
        support_users.updated_at
    from support_users
    left join organizations
        on support_users.organization_id = organizations.organization_id
    -- agents and admins are our own staff, not customers' people
    where support_users.user_role = 'end-user'

),

marketing_platform_contacts as (

    select
        'marketing' as source_name,
        'contacts' as entity_name,
        marketing_contact_id as record_id,
        3 as source_priority,
        first_name,
        last_name,
        email,
        phone,
        company_name,
        country_code,
        cast(null as {{ dbt.type_string() }}) as organization_record_key,
        case when crm_contact_id is not null then 'sales:contact:' || crm_contact_id end as referenced_record_key,
        case when crm_lead_id is not null then 'sales:lead:' || crm_lead_id end as second_referenced_record_key,
        created_at,
        updated_at
    from marketing_contacts

),

sales_leads as (

    select
        'sales' as source_name,
        'lead' as entity_name,
        lead_id as record_id,
        4 as source_priority,
        first_name,
        last_name,
        email,
        cast(null as {{ dbt.type_string() }}) as phone,
        company_name,
        cast(null as {{ dbt.type_string() }}) as country_code,
        case
            when converted_account_id is not null then 'sales:account:' || converted_account_id
        end as organization_record_key,
        case
            when converted_contact_id is not null then 'sales:contact:' || converted_contact_id
        end as referenced_record_key,
        cast(null as {{ dbt.type_string() }}) as second_referenced_record_key,
        created_at,
        modified_at as updated_at
    from leads

),

survey_respondents as (

    select
        'marketing' as source_name,
        'nps_responses' as entity_name,
        nps_response_id as record_id,
        5 as source_priority,
        cast(null as {{ dbt.type_string() }}) as first_name,
        cast(null as {{ dbt.type_string() }}) as last_name,
        email,
        cast(null as {{ dbt.type_string() }}) as phone,
        cast(null as {{ dbt.type_string() }}) as company_name,
        cast(null as {{ dbt.type_string() }}) as country_code,
        cast(null as {{ dbt.type_string() }}) as organization_record_key,
        cast(null as {{ dbt.type_string() }}) as referenced_record_key,
        cast(null as {{ dbt.type_string() }}) as second_referenced_record_key,
        submitted_at as created_at,
        submitted_at as updated_at
    from nps_responses

),

unioned as (

    select * from sales_contacts
    union all
    select * from help_desk_users
    union all
    select * from marketing_platform_contacts
    union all
    select * from sales_leads
    union all
    select * from survey_respondents

),

final as (

    select
        source_name || ':' || entity_name || ':' || record_id as record_key,
        *
    from unioned

)

select * from final
