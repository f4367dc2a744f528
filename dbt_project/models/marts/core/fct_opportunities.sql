{# One row per opportunity (current version), with its customer and amounts in both currencies. #}
with

opportunities as (

    select * from {{ ref('int_opportunities_converted_to_usd') }}

),

organization_clusters as (

    select * from {{ ref('int_organization_records_clustered') }}

),

final as (

    select
        opportunities.opportunity_id,
        organization_clusters.customer_id,
        opportunities.account_id,
        opportunities.campaign_id,
        opportunities.owner_user_id,
        opportunities.opportunity_name,
        opportunities.opportunity_type,
        opportunities.stage_name,
        opportunities.forecast_category,
        opportunities.lead_source,
        opportunities.loss_reason,
        opportunities.currency_code,
        opportunities.amount,
        opportunities.conversion_rate,
        opportunities.amount_usd,
        opportunities.probability,
        opportunities.is_closed,
        opportunities.is_won,
        not opportunities.is_closed as is_open,
        opportunities.close_date,
        opportunities.created_at,
        opportunities.modified_at
    from opportunities
    left join organization_clusters
        on organization_clusters.record_key = 'sales:account:' || opportunities.account_id

)

select * from final
