{#
    Attribution moves revenue between campaigns, never creates or loses it: in each model (first touch,
    last touch, linear) the won revenue campaign_performance credits to all campaigns together equals the
    won amount of the opportunities that have at least one touch — to the half-cent each campaign's
    rounding may move. Returns the models that disagree.
#}
{{ governed_by_policy('dbt.campaign_performance.won_revenue_agrees') }}

with

attributable as (

    select sum(won_amount_usd) as won_amount_usd
    from (
        select distinct
            conversion_id,
            won_amount_usd
        from {{ ref('int_conversions_attributed_to_touches') }}
        where conversion_type = 'opportunity'
    ) as opportunities

),

credited as (

    select
        count(*) as campaigns,
        sum(won_revenue_first_touch_usd) as first_touch_usd,
        sum(won_revenue_last_touch_usd) as last_touch_usd,
        sum(won_revenue_linear_usd) as linear_usd
    from {{ ref('campaign_performance') }}

),

compared as (

    select
        'first_touch' as attribution_model,
        credited.first_touch_usd as credited_usd,
        credited.campaigns
    from credited
    union all
    select
        'last_touch' as attribution_model,
        credited.last_touch_usd as credited_usd,
        credited.campaigns
    from credited
    union all
    select
        'linear' as attribution_model,
        credited.linear_usd as credited_usd,
        credited.campaigns
    from credited

)

select
    compared.attribution_model,
    compared.credited_usd,
    attributable.won_amount_usd as attributable_won_usd
from compared
cross join attributable
where abs(coalesce(compared.credited_usd, 0) - coalesce(attributable.won_amount_usd, 0))
    > 0.005 * compared.campaigns + 0.01
