with

source as (

    select * from {{ source('sales', 'contact') }}

),

latest as (

    {{ latest_version('source', 'id', 'system_modstamp desc nulls last') }}

),

renamed as (

    select
        -- ids
        cast(id as {{ dbt.type_string() }}) as contact_id,
        cast(account_id as {{ dbt.type_string() }}) as account_id,

        -- strings
        {{ clean_text('first_name') }} as first_name,
        {{ clean_text('last_name') }} as last_name,
        {{ clean_text('email') }} as email,
        {{ clean_text('phone') }} as phone,
        {{ clean_text('title') }} as job_title,
        {{ clean_text('lead_source') }} as lead_source,
        upper(trim(mailing_country)) as mailing_country_code,

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
