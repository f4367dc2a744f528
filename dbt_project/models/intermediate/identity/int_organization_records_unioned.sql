{#
    Every source record that stands for a buying organisation: sales CRM accounts (priority 1, the
    system of record for customers) and help-desk organisations (priority 2).
#}
with

accounts as (

    select * from {{ ref('stg_sales__accounts') }}

),

organizations as (

    select * from {{ ref('stg_support__organizations') }}

),

sales_accounts as (

    select
        'sales' as source_name,
        'account' as entity_name,
        account_id as record_id,
        1 as source_priority,
        account_name as organization_name,
        {{ normalize_domain('website') }} as website_domain,
        cast(null as {{ dbt.type_string() }}) as referenced_record_key,
        industry,
        billing_country_code as country_code,
        billing_city as city,
        number_of_employees,
        annual_revenue,
        owner_user_id,
        account_type,
        case when parent_account_id is not null then 'sales:account:' || parent_account_id end
            as parent_record_key,
        created_at,
        modified_at as updated_at
    from accounts

),

help_desk_organizations as (

    select
        'support' as source_name,
        'organizations' as entity_name,
        cast(organization_id as {{ dbt.type_string() }}) as record_id,
        2 as source_priority,
        organization_name,
        cast(null as {{ dbt.type_string() }}) as website_domain,
        -- the help desk's external_id holds the CRM account id when an agent filled it in
        case when external_id is not null then 'sales:account:' || external_id end as referenced_record_key,
        cast(null as {{ dbt.type_string() }}) as industry,
        cast(null as {{ dbt.type_string() }}) as country_code,
        cast(null as {{ dbt.type_string() }}) as city,
        cast(null as {{ dbt.type_int() }}) as number_of_employees,
        cast(null as {{ type_money() }}) as annual_revenue,
        cast(null as {{ dbt.type_string() }}) as owner_user_id,
        cast(null as {{ dbt.type_string() }}) as account_type,
        cast(null as {{ dbt.type_string() }}) as parent_record_key,
        created_at,
        updated_at
    from organizations

),

unioned as (

    select * from sales_accounts
    union all
    select * from help_desk_organizations

),

final as (

    select
        source_name || ':' || entity_name || ':' || record_id as record_key,
        *,
        {{ normalize_company_name('organization_name') }} as organization_name_normalized,
        {{ normalize_company_name_with_suffix('organization_name') }} as organization_name_with_suffix
    from unioned

)

select * from final
