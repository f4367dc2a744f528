{#
    One row per CRM lead with the funnel stages it reached (lead_funnel):
      MQL  rated Warm or Hot, or status Working (marketing-qualified), or beyond (SQL);
      SQL  rated Hot, or status Qualified and not yet converted, or converted into an opportunity;
      opportunity  converted into an opportunity; won  that opportunity is Closed Won.
    A lead converted *without* an opportunity (a consumer who enquired, then ordered on the web) passed
    no qualification stage: its status says Qualified, but its rating and missing opportunity do not.
    A lead's current status overwrites the stages it passed through (a qualified lead can later be
    Nurturing or Unqualified), and the CRM export keeps no status history, so the lead's rating — set
    from its qualification — is the surviving evidence of a stage once reached. For the same reason
    MQL and SQL have no date: the funnel's durations are lead → opportunity (conversion) and
    opportunity → won. Leads built from test or placeholder values (their person's, or a test email
    domain of the identity_blocklist seed) are flagged, and the funnel skips them.
#}
with

leads as (

    select * from {{ ref('stg_sales__leads') }}

),

opportunities as (

    select * from {{ ref('int_opportunities_timed') }}

),

person_clusters as (

    select * from {{ ref('int_person_records_clustered') }}

),

persons as (

    select * from {{ ref('int_persons_survived') }}

),

identity_blocklist as (

    select * from {{ ref('identity_blocklist') }}

),

-- a lead at a test domain is a test record even when its local part (noreply@example.org) made
-- identity resolution file it as a shared mailbox
test_domains as (

    select blocked_value as email_domain
    from identity_blocklist
    where identifier_type = 'email_domain'
        and block_reason = 'test_record'

),

final as (

    select
        leads.lead_id,
        person_clusters.person_id,
        persons.customer_id,
        coalesce(leads.lead_source, 'Unknown') as lead_source,
        leads.lead_status,
        leads.lead_rating,
        leads.owner_user_id,
        coalesce(persons.is_test_record, false) or test_domains.email_domain is not null as is_test_record,
        leads.lead_rating in ('Warm', 'Hot') or leads.lead_status = 'Working'
        or (leads.lead_status = 'Qualified' and not leads.is_converted)
        or leads.converted_opportunity_id is not null as has_reached_mql,
        leads.lead_rating = 'Hot'
        or (leads.lead_status = 'Qualified' and not leads.is_converted)
        or leads.converted_opportunity_id is not null as has_reached_sql,
        opportunities.opportunity_id is not null as has_opportunity,
        coalesce(opportunities.is_won, false) as is_won,
        opportunities.opportunity_id,
        case when opportunities.is_won then opportunities.amount_usd end as won_amount_usd,
        leads.created_at,
        cast(leads.created_at as date) as created_date,
        cast({{ dbt.date_trunc('month', 'leads.created_at') }} as date) as cohort_month,
        leads.converted_date,
        opportunities.created_date as opportunity_created_date,
        case when opportunities.is_won then opportunities.closed_date end as won_date
    from leads
    left join opportunities
        on leads.converted_opportunity_id = opportunities.opportunity_id
    left join person_clusters
        on person_clusters.record_key = 'sales:lead:' || leads.lead_id
    left join persons
        on person_clusters.person_id = persons.person_id
    left join test_domains
        on {{ email_domain(normalize_email('leads.email')) }} = test_domains.email_domain

)

select * from final
