{#
    One row per opportunity and day it was open at the end of the day, from its creation to its close
    (or the data clock): the stage it stood in that evening, the stage's amount (original currency and
    USD at the opportunity's conversion rate) and weighted amount, the opportunity's age and the days
    in its current stage, and the stage movements of the day — the stage entered (when it changed) and
    the stage left — which give pipeline velocity. Several stage changes within one day show the day's
    last stage. The day an opportunity closes has no row: it is no longer open that evening.
#}
with

opportunities as (

    select * from {{ ref('int_opportunities_timed') }}

),

stages as (

    select * from {{ ref('int_opportunity_stages_sequenced') }}

),

calendar_months as (

    select * from {{ ref('int_calendar_months') }}

),

clock as (

    select max(as_of_date) as as_of_date from calendar_months

),

days as (

    select cast(spine.date_day as date) as pipeline_date
    from ({{ dbt.date_spine('day', "cast('2000-01-01' as date)", "cast('2100-01-01' as date)") }}) as spine
    cross join clock
    where cast(spine.date_day as date) <= clock.as_of_date
        and cast(spine.date_day as date) >= (select min(opportunities.created_date) from opportunities)

),

-- the stage each opportunity stood in at the end of each day it changed
day_stages as (

    select
        opportunity_id,
        stage_sequence,
        stage_name,
        is_closed_stage,
        amount,
        probability,
        forecast_category,
        stage_entered_date,
        lag(stage_name) over (partition by opportunity_id order by stage_sequence) as previous_day_stage_name,
        lead(stage_entered_date) over (partition by opportunity_id order by stage_sequence) as valid_to_date
    from (
        select
            *,
            row_number() over (
                partition by opportunity_id, stage_entered_date order by stage_sequence desc
            ) as day_rank
        from stages
    ) as ranked
    where day_rank = 1

),

open_days as (

    select
        day_stages.*,
        days.pipeline_date
    from day_stages
    inner join days
        on day_stages.stage_entered_date <= days.pipeline_date
        and (day_stages.valid_to_date > days.pipeline_date or day_stages.valid_to_date is null)
    where not day_stages.is_closed_stage

),

final as (

    select
        {{ dbt.hash(dbt.concat([
            'open_days.opportunity_id', "'|'", 'cast(open_days.pipeline_date as ' ~ dbt.type_string() ~ ')'
        ])) }} as pipeline_day_id,
        open_days.opportunity_id,
        open_days.pipeline_date,
        opportunities.customer_id,
        opportunities.owner_user_id,
        opportunities.opportunity_type,
        opportunities.lead_source,
        opportunities.product_family,
        open_days.stage_name,
        open_days.stage_sequence,
        open_days.forecast_category,
        open_days.probability,
        opportunities.currency_code,
        open_days.amount,
        cast(open_days.amount / opportunities.conversion_rate as {{ type_money() }}) as amount_usd,
        cast(
            open_days.amount / opportunities.conversion_rate * coalesce(open_days.probability, 0) / 100.0
            as {{ type_money() }}
        ) as weighted_amount_usd,
        opportunities.created_date,
        {{ dbt.datediff('opportunities.created_date', 'open_days.pipeline_date', 'day') }} as age_days,
        open_days.stage_entered_date,
        {{ dbt.datediff('open_days.stage_entered_date', 'open_days.pipeline_date', 'day') }} as days_in_stage,
        open_days.pipeline_date = open_days.stage_entered_date as is_stage_entered_today,
        case
            when open_days.pipeline_date = open_days.stage_entered_date then open_days.previous_day_stage_name
        end as exited_stage_name
    from open_days
    inner join opportunities
        on open_days.opportunity_id = opportunities.opportunity_id

)

select * from final
