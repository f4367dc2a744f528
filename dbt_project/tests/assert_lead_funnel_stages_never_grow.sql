{#
    A funnel only narrows: in every cohort and source, leads ≥ MQL ≥ SQL ≥ opportunities ≥ won.
    Returns the cohorts where a later stage holds more leads than an earlier one.
#}
{{ governed_by_policy('dbt.lead_funnel.stages_never_grow') }}

select *
from {{ ref('lead_funnel') }}
where marketing_qualified_leads > leads
    or sales_qualified_leads > marketing_qualified_leads
    or opportunities > sales_qualified_leads
    or won_opportunities > opportunities
