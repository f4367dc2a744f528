{#
    Multi-touch attribution: one row per conversion and campaign touch credited for it, with the touch's
    weight under three models — first touch (all credit to the earliest touch), last touch (all to the
    latest) and linear (1 / number of touches each). Weights of one conversion sum to 1 in each model;
    a conversion without any touch gets no row (it is not attributable).

    Conversions:
      lead         a CRM lead (test records excluded), at its creation, by the lead's person;
      opportunity  an opportunity, at its creation, by the converting lead's person and every person of
                   the opportunity's customer; its won amount (USD) is the revenue attributed.
    Touches: the people's campaign touches (int_marketing_touches_unioned) within
    `attribution_lookback_days` before the conversion, plus — for an opportunity — the campaign the CRM
    records on it (touched at the opportunity's creation). Ties in time are ordered by campaign and
    touch type, so first and last touch are deterministic.
#}
with

touches as (

    select * from {{ ref('int_marketing_touches_unioned') }}

),

leads as (

    select * from {{ ref('int_leads_staged_through_funnel') }}

),

opportunities as (

    select * from {{ ref('int_opportunities_timed') }}

),

persons as (

    select * from {{ ref('int_persons_survived') }}

),

campaigns as (

    select * from {{ ref('int_campaigns_costed') }}

),

lead_conversions as (

    select
        'lead' as conversion_type,
        lead_id as conversion_id,
        person_id,
        created_at as converted_at,
        cast(0 as {{ type_converted_money() }}) as won_amount_usd
    from leads
    where not is_test_record
        and person_id is not null

),

opportunity_people as (

    select
        opportunities.opportunity_id,
        leads.person_id
    from opportunities
    inner join leads
        on opportunities.opportunity_id = leads.opportunity_id
    where leads.person_id is not null
    union
    select
        opportunities.opportunity_id,
        persons.person_id
    from opportunities
    inner join persons
        on opportunities.customer_id = persons.customer_id

),

opportunity_conversions as (

    select
        'opportunity' as conversion_type,
        opportunities.opportunity_id as conversion_id,
        opportunity_people.person_id,
        opportunities.created_at as converted_at,
        cast(case when opportunities.is_won then opportunities.amount_usd else 0 end as {{ type_converted_money() }})
            as won_amount_usd
    from opportunities
    inner join opportunity_people
        on opportunities.opportunity_id = opportunity_people.opportunity_id

),

person_conversions as (

    select * from lead_conversions
    union all
    select * from opportunity_conversions

),

person_touches as (

    select
        person_conversions.conversion_type,
        person_conversions.conversion_id,
        person_conversions.won_amount_usd,
        touches.campaign_id,
        touches.touch_type,
        touches.touched_at
    from person_conversions
    inner join touches
        on person_conversions.person_id = touches.person_id
        and person_conversions.converted_at >= touches.touched_at
        and touches.touched_at
        > {{ dbt.dateadd('day', '-' ~ var('attribution_lookback_days'), 'person_conversions.converted_at') }}

),

opportunity_campaign_touches as (

    select
        'opportunity' as conversion_type,
        opportunities.opportunity_id as conversion_id,
        cast(case when opportunities.is_won then opportunities.amount_usd else 0 end as {{ type_converted_money() }})
            as won_amount_usd,
        campaigns.campaign_id,
        'opportunity_campaign' as touch_type,
        opportunities.created_at as touched_at
    from opportunities
    inner join campaigns
        on opportunities.campaign_id = campaigns.crm_campaign_id

),

-- one touch per conversion, campaign, type and moment (two people of one customer opening the same
-- email at the same second are one touch)
all_touches as (

    select * from person_touches
    union
    select * from opportunity_campaign_touches

),

sequenced as (

    select
        *,
        row_number() over (
            partition by conversion_type, conversion_id order by touched_at, campaign_id, touch_type
        ) as touch_sequence,
        count(*) over (partition by conversion_type, conversion_id) as touch_count
    from all_touches

),

final as (

    select
        {{ dbt.hash(dbt.concat([
            'conversion_type', "'|'", 'conversion_id', "'|'", 'cast(touch_sequence as ' ~ dbt.type_string() ~ ')'
        ])) }} as attributed_touch_id,
        conversion_type,
        conversion_id,
        campaign_id,
        touch_type,
        touched_at,
        touch_sequence,
        touch_count,
        won_amount_usd,
        cast(case when touch_sequence = 1 then 1 else 0 end as {{ type_ratio() }}) as first_touch_weight,
        cast(case when touch_sequence = touch_count then 1 else 0 end as {{ type_ratio() }}) as last_touch_weight,
        cast(1.0 / touch_count as {{ type_ratio() }}) as linear_weight
    from sequenced

)

select * from final
