{{
    config(
        materialized='incremental',
        unique_key='email_event_id',
        incremental_strategy='delete+insert',
        on_schema_change='fail',
        pre_hook="{{ crm.forget_withdrawn_keys('email_event_id', 'marketing.email_events') }}",
    )
}}
{#
    One row per email event (sent, delivered, open, click, bounce, unsubscribe, spam report), each
    event once even when exported twice. Incremental: a run adds the events loaded after the newest
    load this table holds (late events arrive in later loads and are picked up then). Person and
    customer keys are not stored — identity resolution may merge them later — reach them through the
    marketing contact id. An event a re-delivered export no longer carries is deleted (pre-hook).
#}
with

email_events as (

    select * from {{ ref('stg_marketing__email_events') }}
    {% if is_incremental() %}
    where loaded_at > {{ newest_load_in_this() }}
        {%- if has_withdrawn_keys('marketing.email_events') %}
        -- a key a re-delivered file withdrew: its other version, if raw still has one (macro withdrawn_keys)
        or email_event_id in ({{ withdrawn_since_last_run('marketing.email_events', clean_text('withdrawn."key"')) }})
        {%- endif %}
    {% endif %}

),

final as (

    select
        email_event_id,
        campaign_id,
        marketing_contact_id,
        recipient_email,
        email_event_type,
        clicked_url,
        device_type,
        bounce_category,
        occurred_at,
        cast(occurred_at as date) as occurred_date,
        loaded_at
    from email_events

)

select * from final
