{#
    One row per lead cohort (the month a lead was created) and lead source: how many leads reached each
    funnel stage — lead → MQL → SQL → opportunity → won (int_leads_staged_through_funnel) — the
    conversion rate of each step and overall, the won amount, and the median days from lead to
    opportunity, from opportunity to win and from lead to win. Test and placeholder leads are left out.
    Stages are counted by cohort: a lead created in March that wins in June counts in March.
#}
with

leads as (

    select * from {{ ref('int_leads_staged_through_funnel') }}

),

funnel_leads as (

    select
        *,
        {{ dbt.datediff('created_date', 'opportunity_created_date', 'day') }} as days_lead_to_opportunity,
        {{ dbt.datediff('opportunity_created_date', 'won_date', 'day') }} as days_opportunity_to_won,
        {{ dbt.datediff('created_date', 'won_date', 'day') }} as days_lead_to_won
    from leads
    where not is_test_record

),

counted as (

    select
        cohort_month,
        lead_source,
        count(*) as leads,
        count(case when has_reached_mql then 1 end) as marketing_qualified_leads,
        count(case when has_reached_sql then 1 end) as sales_qualified_leads,
        count(case when has_opportunity then 1 end) as opportunities,
        count(case when is_won then 1 end) as won_opportunities,
        sum(won_amount_usd) as won_amount_usd,
        {{ median('days_lead_to_opportunity') }} as median_days_lead_to_opportunity,
        {{ median('days_opportunity_to_won') }} as median_days_opportunity_to_won,
        {{ median('days_lead_to_won') }} as median_days_lead_to_won
    from funnel_leads
    group by cohort_month, lead_source

),

final as (

    select
        {{ dbt.hash(dbt.concat([
            'cast(cohort_month as ' ~ dbt.type_string() ~ ')', "'|'", 'lead_source'
        ])) }} as lead_cohort_id,
        cohort_month,
        lead_source,
        leads,
        marketing_qualified_leads,
        sales_qualified_leads,
        opportunities,
        won_opportunities,
        cast(coalesce(won_amount_usd, 0) as {{ type_money() }}) as won_amount_usd,
        cast(1.0 * marketing_qualified_leads / nullif(leads, 0) as {{ type_ratio() }}) as lead_to_mql_rate,
        cast(1.0 * sales_qualified_leads / nullif(marketing_qualified_leads, 0) as {{ type_ratio() }})
            as mql_to_sql_rate,
        cast(1.0 * opportunities / nullif(sales_qualified_leads, 0) as {{ type_ratio() }}) as sql_to_opportunity_rate,
        cast(1.0 * won_opportunities / nullif(opportunities, 0) as {{ type_ratio() }}) as opportunity_to_won_rate,
        cast(1.0 * won_opportunities / nullif(leads, 0) as {{ type_ratio() }}) as lead_to_won_rate,
        cast(median_days_lead_to_opportunity as {{ type_ratio() }}) as median_days_lead_to_opportunity,
        cast(median_days_opportunity_to_won as {{ type_ratio() }}) as median_days_opportunity_to_won,
        cast(median_days_lead_to_won as {{ type_ratio() }}) as median_days_lead_to_won
    from counted

)

select * from final
