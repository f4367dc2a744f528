{{ config(
    materialized='incremental',
    unique_key='marketing_contact_id',
    pre_hook="{{ crm.forget_withdrawn_keys('marketing_contact_id', 'marketing.contacts') }}",
) }}
{# Incremental (dbt_project.yml), not a view: the dedup window over this large source would otherwise
   run again for every model and test that reads it (issue 9, DECISIONS.md). #}
{#
    Marketing exports are text at the source; ingestion types them, and this model casts explicitly
    again (parse_* macros) so that it reads either form.
#}
with

source as (

    select * from {{ source('marketing', 'contacts') }}
    {{ keys_loaded_since_last_run('contact_id', source('marketing', 'contacts'), withdrawn_from='marketing.contacts') }}

),

parsed as (

    select
        *,
        {{ timestamp_utc_from(source('marketing', 'contacts'), 'updated_at') }} as updated_at_utc
    from source

),

latest as (

    {{ latest_version('parsed', 'contact_id', 'updated_at_utc desc nulls last') }}

),

renamed as (

    select
        -- ids
        {{ clean_text('contact_id') }} as marketing_contact_id,
        {{ clean_text('crm_lead_id') }} as crm_lead_id,
        {{ clean_text('crm_contact_id') }} as crm_contact_id,

        -- strings
        {{ clean_text('email') }} as email,
        {{ clean_text('first_name') }} as first_name,
        {{ clean_text('last_name') }} as last_name,
        {{ clean_text('company') }} as company_name,
        {{ clean_text('job_title') }} as job_title,
        {{ clean_text('phone') }} as phone,
        upper(trim(country)) as country_code,
        {{ normalize_enum('lifecycle_stage', ['subscriber', 'lead', 'marketingqualifiedlead',
            'salesqualifiedlead', 'opportunity', 'customer', 'evangelist', 'other']) }} as lifecycle_stage,
        {{ clean_text('lead_status') }} as lead_status,
        {{ normalize_enum('original_source', ['ORGANIC_SEARCH', 'PAID_SEARCH', 'EMAIL_MARKETING',
            'SOCIAL_MEDIA', 'REFERRALS', 'DIRECT_TRAFFIC', 'OFFLINE']) }} as original_source,

        -- numerics
        {{ parse_number('lead_score', dbt.type_int()) }} as lead_score,

        -- timestamps
        {{ timestamp_utc_from(source('marketing', 'contacts'), 'created_at') }} as created_at,
        updated_at_utc as updated_at,
        {{ timestamp_utc_from(source('marketing', 'contacts'), 'unsubscribed_at') }} as unsubscribed_at,
        {{ to_utc_timestamp('_loaded_at') }} as loaded_at

    from latest

)

select * from renamed
