with

source as (

    select * from {{ source('sales', 'account') }}

),

latest as (

    {{ latest_version('source', 'id', 'system_modstamp desc nulls last') }}

),

renamed as (

    select
        -- ids
        cast(id as {{ dbt.type_string() }}) as account_id,
        cast(owner_id as {{ dbt.type_string() }}) as owner_user_id,
        cast(parent_id as {{ dbt.type_string() }}) as parent_account_id,

        -- strings
        {{ clean_text('name') }} as account_name,
        {{ clean_text('website') }} as website,
        {{ clean_text('industry') }} as industry,
        {{ normalize_enum('type', ['Prospect', 'Customer', 'Partner', 'Former Customer']) }} as account_type,
        upper(trim(billing_country)) as billing_country_code,
        {{ clean_text('billing_city') }} as billing_city,

        -- numerics
        cast(annual_revenue as {{ type_money() }}) as annual_revenue,
        cast(number_of_employees as {{ dbt.type_int() }}) as number_of_employees,

        -- booleans
        coalesce(cast(is_deleted as {{ dbt.type_boolean() }}), false) as is_deleted,

        -- timestamps
        {{ to_utc_timestamp('created_date') }} as created_at,
        {{ to_utc_timestamp('system_modstamp') }} as modified_at,
        {{ to_utc_timestamp('_loaded_at') }} as loaded_at

    from latest

)

select * from renamed
where not is_deleted
