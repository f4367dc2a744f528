{{ config(
    materialized='incremental',
    unique_key='email_event_id',
    pre_hook="{{ crm.forget_withdrawn_keys('email_event_id', 'marketing.email_events') }}",
) }}
{# Incremental (dbt_project.yml), not a view: the dedup window over this large source would otherwise
   run again for every model and test that reads it (issue 9, DECISIONS.md). #}
with

source as (

    select * from {{ source('marketing', 'email_events') }}
    {{ keys_loaded_since_last_run(
        'event_id', source('marketing', 'email_events'), withdrawn_from='marketing.email_events'
    ) }}

),

-- the same event can be exported twice (duplicate events, redelivered files): keep one
latest as (

    {{ latest_version('source', 'event_id', '_loaded_at desc') }}

),

renamed as (

    select
        -- ids
        {{ clean_text('event_id') }} as email_event_id,
        {{ clean_text('campaign_id') }} as campaign_id,
        {{ clean_text('contact_id') }} as marketing_contact_id,

        -- strings
        {{ clean_text('recipient') }} as recipient_email,
        {{ normalize_enum('type', ['SENT', 'DELIVERED', 'OPEN', 'CLICK', 'BOUNCE', 'UNSUBSCRIBE',
            'SPAMREPORT']) }} as email_event_type,
        {{ clean_text('url') }} as clicked_url,
        lower({{ clean_text('device_type') }}) as device_type,
        lower({{ clean_text('bounce_category') }}) as bounce_category,

        -- timestamps
        {{ timestamp_utc_from(source('marketing', 'email_events'), 'created_at') }} as occurred_at,
        {{ to_utc_timestamp('_loaded_at') }} as loaded_at

    from latest

)

select * from renamed
