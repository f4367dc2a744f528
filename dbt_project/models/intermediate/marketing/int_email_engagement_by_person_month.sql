{#
    One row per person and month with email engagement (marts.md): delivered emails, unique opens and
    unique clicks — each counted once per campaign and contact, however often the event was exported
    or repeated. Persons come from identity resolution of the marketing contact.
#}
with

email_events as (

    select * from {{ ref('stg_marketing__email_events') }}

),

person_clusters as (

    select * from {{ ref('int_person_records_clustered') }}

),

unique_events as (

    select distinct
        marketing_contact_id,
        coalesce(campaign_id, '') as campaign_key,
        email_event_type,
        cast({{ dbt.date_trunc('month', 'occurred_at') }} as date) as activity_month
    from email_events
    where email_event_type in ('SENT', 'DELIVERED', 'OPEN', 'CLICK', 'BOUNCE', 'UNSUBSCRIBE')
        and occurred_at is not null

),

final as (

    select
        person_clusters.person_id,
        unique_events.activity_month,
        count(case when unique_events.email_event_type = 'SENT' then 1 end) as emails_sent,
        count(case when unique_events.email_event_type = 'DELIVERED' then 1 end) as emails_delivered,
        count(case when unique_events.email_event_type = 'OPEN' then 1 end) as unique_opens,
        count(case when unique_events.email_event_type = 'CLICK' then 1 end) as unique_clicks,
        count(case when unique_events.email_event_type = 'BOUNCE' then 1 end) as bounces,
        count(case when unique_events.email_event_type = 'UNSUBSCRIBE' then 1 end) as unsubscribes
    from unique_events
    inner join person_clusters
        on person_clusters.record_key = 'marketing:contacts:' || unique_events.marketing_contact_id
    group by person_clusters.person_id, unique_events.activity_month

)

select * from final
