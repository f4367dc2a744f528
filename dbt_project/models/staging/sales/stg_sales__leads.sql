with

source as (

    select * from {{ source('sales', 'lead') }}

),

latest as (

    {{ latest_version('source', 'id', 'system_modstamp desc nulls last') }}

),

renamed as (

    select
        -- ids
        cast(id as {{ dbt.type_string() }}) as lead_id,
        cast(converted_account_id as {{ dbt.type_string() }}) as converted_account_id,
        cast(converted_contact_id as {{ dbt.type_string() }}) as converted_contact_id,
        cast(converted_opportunity_id as {{ dbt.type_string() }}) as converted_opportunity_id,
        cast(owner_id as {{ dbt.type_string() }}) as owner_user_id,

        -- strings
        {{ clean_text('first_name') }} as first_name,
        {{ clean_text('last_name') }} as last_name,
        {{ clean_text('email') }} as email,
        {{ clean_text('company') }} as company_name,
        {{ normalize_enum('status', ['Open', 'Working', 'Nurturing', 'Qualified', 'Unqualified']) }} as lead_status,
        {{ clean_text('lead_source') }} as lead_source,
        {{ clean_text('rating') }} as lead_rating,

        -- booleans
        coalesce(cast(is_converted as {{ dbt.type_boolean() }}), false) as is_converted,
        coalesce(cast(is_deleted as {{ dbt.type_boolean() }}), false) as is_deleted,

        -- dates
        cast(converted_date as date) as converted_date,

        -- timestamps
        {{ to_utc_timestamp('created_date') }} as created_at,
        {{ to_utc_timestamp('system_modstamp') }} as modified_at,
        {{ to_utc_timestamp('_loaded_at') }} as loaded_at

    from latest

)

select * from renamed
where not is_deleted
