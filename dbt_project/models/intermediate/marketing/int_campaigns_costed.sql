{#
    One row per marketing campaign with what it cost, in USD: paid campaigns by their ad spend (each
    day's cost converted at that day's rate), the others by their budget (converted at the campaign's
    start date). `utm_campaign_key` is the campaign name as web forms tag it in utm_campaign
    ("Social awareness Q1 2026" → "social-awareness-q1-2026"), which attribution matches on.
#}
with

campaigns as (

    select * from {{ ref('stg_marketing__campaigns') }}

),

ad_spend as (

    select * from {{ ref('stg_marketing__ad_spend') }}

),

ad_spend_converted as (

    select
        ad_spend.campaign_id,
        sum(ad_spend.impressions) as impressions,
        sum(ad_spend.clicks) as ad_clicks,
        sum({{ convert_amount('ad_spend.ad_cost', 'rates', 'ad_spend.currency_code') }}) as ad_spend_usd
    from ad_spend
    {{ currency_rate_join('rates', 'ad_spend.currency_code', 'ad_spend.spend_date') }}
    group by ad_spend.campaign_id

),

final as (

    select
        campaigns.campaign_id,
        campaigns.crm_campaign_id,
        campaigns.campaign_name,
        campaigns.campaign_type,
        campaigns.target_segment,
        {{ regex_replace_all(regex_replace_all('lower(campaigns.campaign_name)', '[^a-z0-9]+', '-'), '^-+|-+$', '') }}
            as utm_campaign_key,
        campaigns.currency_code,
        campaigns.budget,
        {{ convert_amount('campaigns.budget', 'rates', 'campaigns.currency_code') }} as budget_usd,
        ad_spend_converted.impressions,
        ad_spend_converted.ad_clicks,
        cast(ad_spend_converted.ad_spend_usd as {{ type_converted_money() }}) as ad_spend_usd,
        cast(
            coalesce(
                ad_spend_converted.ad_spend_usd,
                {{ convert_amount('campaigns.budget', 'rates', 'campaigns.currency_code') }}
            ) as {{ type_converted_money() }}
        ) as cost_usd,
        case when ad_spend_converted.campaign_id is not null then 'ad_spend' else 'budget' end as cost_basis,
        campaigns.start_date,
        campaigns.end_date
    from campaigns
    left join ad_spend_converted
        on campaigns.campaign_id = ad_spend_converted.campaign_id
    {{ currency_rate_join('rates', 'campaigns.currency_code', 'campaigns.start_date') }}

)

select * from final
