{#
    One row per marketing campaign: email delivery and engagement, the leads, opportunities and won
    revenue attributed to it, and what it cost.
      email       sends, delivered (sends that did not bounce — also when the platform's DELIVERED
                  event was lost or garbled), opens and clicks (every event once), unique opens and
                  clicks (contacts who opened / clicked), bounces, unsubscribes, spam reports; unique
                  open and click rates = unique opens / clicks ÷ delivered (marts.md);
      attribution leads, opportunities and won revenue credited first-touch, last-touch and linear
                  (int_conversions_attributed_to_touches);
      cost        ad spend for paid campaigns, the budget for the others (int_campaigns_costed), in USD;
                  cost per lead = cost ÷ linear-attributed leads; ROI = (linear-attributed won revenue −
                  cost) ÷ cost.
    A campaign known only from its email events or touches (its own export row never arrived) still has
    a row, by id, without name or cost.
#}
with

campaigns as (

    select * from {{ ref('int_campaigns_costed') }}

),

email_events as (

    select * from {{ ref('fct_email_events') }}

),

attributed_touches as (

    select * from {{ ref('int_conversions_attributed_to_touches') }}

),

sends as (

    select
        campaign_id,
        marketing_contact_id,
        {{ dbt.bool_or("email_event_type = 'SENT'") }} as is_sent,
        {{ dbt.bool_or("email_event_type = 'BOUNCE'") }} as is_bounced,
        {{ dbt.bool_or("email_event_type = 'OPEN'") }} as is_opened,
        {{ dbt.bool_or("email_event_type = 'CLICK'") }} as is_clicked,
        count(case when email_event_type = 'SENT' then 1 end) as sent_events,
        count(case when email_event_type = 'DELIVERED' then 1 end) as delivered_events,
        count(case when email_event_type = 'BOUNCE' then 1 end) as bounce_events,
        count(case when email_event_type = 'OPEN' then 1 end) as open_events,
        count(case when email_event_type = 'CLICK' then 1 end) as click_events,
        count(case when email_event_type = 'UNSUBSCRIBE' then 1 end) as unsubscribe_events,
        count(case when email_event_type = 'SPAMREPORT' then 1 end) as spam_report_events
    from email_events
    where campaign_id is not null
    group by campaign_id, marketing_contact_id

),

email_summary as (

    select
        campaign_id,
        cast(sum(sent_events) as {{ dbt.type_bigint() }}) as emails_sent,
        count(case when is_sent and not is_bounced then 1 end) as emails_delivered,
        cast(sum(delivered_events) as {{ dbt.type_bigint() }}) as delivered_events,
        cast(sum(bounce_events) as {{ dbt.type_bigint() }}) as bounces,
        cast(sum(open_events) as {{ dbt.type_bigint() }}) as opens,
        cast(sum(click_events) as {{ dbt.type_bigint() }}) as clicks,
        count(case when is_opened then 1 end) as unique_opens,
        count(case when is_clicked then 1 end) as unique_clicks,
        cast(sum(unsubscribe_events) as {{ dbt.type_bigint() }}) as unsubscribes,
        cast(sum(spam_report_events) as {{ dbt.type_bigint() }}) as spam_reports
    from sends
    group by campaign_id

),

-- linear weights (1/3, 1/6, ...) are summed as exact decimals: a float sum's last bits depend on the
-- order DuckDB adds in parallel, and a cost per lead at a half cent would round either way; 15 decimals
-- per weight keep the sum accurate at the 9 decimals it is shown with
attribution as (

    select
        campaign_id,
        sum(case when conversion_type = 'lead' then first_touch_weight else 0 end) as leads_first_touch,
        sum(case when conversion_type = 'lead' then last_touch_weight else 0 end) as leads_last_touch,
        round(sum(case when conversion_type = 'lead' then {{ exact_weight('linear_weight') }} else 0 end), 9)
            as leads_linear,
        sum(case when conversion_type = 'opportunity' then first_touch_weight else 0 end) as opportunities_first_touch,
        sum(case when conversion_type = 'opportunity' then last_touch_weight else 0 end) as opportunities_last_touch,
        round(sum(case when conversion_type = 'opportunity' then {{ exact_weight('linear_weight') }} else 0 end), 9)
            as opportunities_linear,
        sum(won_amount_usd * first_touch_weight) as won_revenue_first_touch_usd,
        sum(won_amount_usd * last_touch_weight) as won_revenue_last_touch_usd,
        sum(won_amount_usd * {{ exact_weight('linear_weight') }}) as won_revenue_linear_usd
    from attributed_touches
    group by campaign_id

),

-- a campaign whose own export row was lost (quarantined) still shows, by id, with what it did
campaign_keys as (

    select campaign_id from campaigns
    union
    select campaign_id from email_summary
    union
    select campaign_id from attribution

),

final as (

    select
        -- the campaign
        campaign_keys.campaign_id,
        campaigns.crm_campaign_id,
        campaigns.campaign_name,
        campaigns.campaign_type,
        campaigns.target_segment,
        campaigns.start_date,
        campaigns.end_date,

        -- email
        coalesce(email_summary.emails_sent, 0) as emails_sent,
        coalesce(email_summary.emails_delivered, 0) as emails_delivered,
        coalesce(email_summary.bounces, 0) as bounces,
        coalesce(email_summary.opens, 0) as opens,
        coalesce(email_summary.clicks, 0) as clicks,
        coalesce(email_summary.unique_opens, 0) as unique_opens,
        coalesce(email_summary.unique_clicks, 0) as unique_clicks,
        coalesce(email_summary.unsubscribes, 0) as unsubscribes,
        coalesce(email_summary.spam_reports, 0) as spam_reports,
        cast(1.0 * email_summary.unique_opens / nullif(email_summary.emails_delivered, 0) as {{ type_ratio() }})
            as unique_open_rate,
        cast(1.0 * email_summary.unique_clicks / nullif(email_summary.emails_delivered, 0) as {{ type_ratio() }})
            as unique_click_rate,

        -- attribution
        cast(coalesce(attribution.leads_first_touch, 0) as {{ type_ratio() }}) as leads_first_touch,
        cast(coalesce(attribution.leads_last_touch, 0) as {{ type_ratio() }}) as leads_last_touch,
        cast(coalesce(attribution.leads_linear, 0) as {{ type_ratio() }}) as leads_linear,
        cast(coalesce(attribution.opportunities_first_touch, 0) as {{ type_ratio() }}) as opportunities_first_touch,
        cast(coalesce(attribution.opportunities_last_touch, 0) as {{ type_ratio() }}) as opportunities_last_touch,
        cast(coalesce(attribution.opportunities_linear, 0) as {{ type_ratio() }}) as opportunities_linear,
        cast(coalesce(attribution.won_revenue_first_touch_usd, 0) as {{ type_money() }}) as won_revenue_first_touch_usd,
        cast(coalesce(attribution.won_revenue_last_touch_usd, 0) as {{ type_money() }}) as won_revenue_last_touch_usd,
        cast(coalesce(attribution.won_revenue_linear_usd, 0) as {{ type_money() }}) as won_revenue_linear_usd,

        -- cost
        campaigns.cost_basis,
        cast(campaigns.budget_usd as {{ type_money() }}) as budget_usd,
        cast(campaigns.ad_spend_usd as {{ type_money() }}) as ad_spend_usd,
        cast(campaigns.cost_usd as {{ type_money() }}) as cost_usd,
        cast(campaigns.cost_usd / nullif(attribution.leads_linear, 0) as {{ type_money() }}) as cost_per_lead_usd,
        cast(
            (coalesce(attribution.won_revenue_linear_usd, 0) - campaigns.cost_usd) / nullif(campaigns.cost_usd, 0)
            as {{ type_ratio() }}
        ) as return_on_investment
    from campaign_keys
    left join campaigns
        on campaign_keys.campaign_id = campaigns.campaign_id
    left join email_summary
        on campaign_keys.campaign_id = email_summary.campaign_id
    left join attribution
        on campaign_keys.campaign_id = attribution.campaign_id

)

select * from final
