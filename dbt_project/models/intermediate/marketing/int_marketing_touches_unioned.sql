{#
    One row per marketing touch of a resolved person: the first open and the first click of each
    campaign's email by each marketing contact, and each web form submitted with a campaign's UTM tag
    (utm_campaign = the campaign's name as a slug), by the marketing contact who submitted it. These are the touches multi-touch attribution
    credits (int_conversions_attributed_to_touches). Duplicate and repeated events count once; touches
    of records identity resolution could not place (no person) are dropped.
#}
with

email_events as (

    select * from {{ ref('stg_marketing__email_events') }}

),

form_submissions as (

    select * from {{ ref('stg_marketing__form_submissions') }}

),

campaigns as (

    select * from {{ ref('int_campaigns_costed') }}

),

person_clusters as (

    select * from {{ ref('int_person_records_clustered') }}

),

email_touches as (

    select
        person_clusters.person_id,
        email_events.campaign_id,
        case email_events.email_event_type when 'OPEN' then 'email_open' else 'email_click' end as touch_type,
        min(email_events.occurred_at) as touched_at
    from email_events
    inner join person_clusters
        on person_clusters.record_key = 'marketing:contacts:' || email_events.marketing_contact_id
    where email_events.email_event_type in ('OPEN', 'CLICK')
        and email_events.campaign_id is not null
        and email_events.occurred_at is not null
    group by person_clusters.person_id, email_events.campaign_id, email_events.email_event_type

),

form_touches as (

    select
        person_clusters.person_id,
        campaigns.campaign_id,
        'form_submission' as touch_type,
        form_submissions.submitted_at as touched_at
    from form_submissions
    inner join campaigns
        on lower(form_submissions.utm_campaign) = campaigns.utm_campaign_key
    inner join person_clusters
        on person_clusters.record_key = 'marketing:contacts:' || form_submissions.marketing_contact_id
    where form_submissions.submitted_at is not null

),

unioned as (

    select
        person_id,
        campaign_id,
        touch_type,
        touched_at
    from email_touches
    union all
    select
        person_id,
        campaign_id,
        touch_type,
        touched_at
    from form_touches

),

final as (

    select
        {{ dbt.hash(dbt.concat([
            'person_id', "'|'", 'campaign_id', "'|'", 'touch_type', "'|'",
            'cast(touched_at as ' ~ dbt.type_string() ~ ')',
        ])) }} as touch_id,
        person_id,
        campaign_id,
        touch_type,
        touched_at
    from unioned

)

select * from final
