{#
    One row per opportunity stage change (opportunity_history): the stage the opportunity entered, when
    it entered it, when it left it (the next change's time; null while it is the current stage), the
    stage it moved to, and how long it stayed — the raw material of sales velocity. A change that
    repeats the current stage (an amount or date update) is a change within the stage, so the stage is
    left only when the stage name changes: `stage_entered_at` is the first change into the stage,
    `stage_exited_at` the first change out of it.
#}
with

histories as (

    select * from {{ ref('stg_sales__opportunity_histories') }}

),

ordered as (

    select
        *,
        row_number() over (
            partition by opportunity_id order by changed_at, opportunity_history_id
        ) as change_sequence,
        lag(stage_name) over (
            partition by opportunity_id order by changed_at, opportunity_history_id
        ) as previous_stage_name
    from histories

),

-- a new stage visit starts where the stage name differs from the previous change's
visits_numbered as (

    select
        *,
        cast(sum(case when previous_stage_name is null or previous_stage_name <> stage_name then 1 else 0 end) over (
            partition by opportunity_id order by change_sequence rows between unbounded preceding and current row
        ) as {{ dbt.type_bigint() }}) as stage_sequence,
        previous_stage_name is null or previous_stage_name <> stage_name as is_visit_start
    from ordered

),

visits as (

    select
        opportunity_id,
        stage_sequence,
        min(stage_name) as stage_name,
        min(changed_at) as stage_entered_at,
        count(*) as change_count,
        cast(min(case when is_visit_start then amount end) as {{ type_money() }}) as entry_amount
    from visits_numbered
    group by opportunity_id, stage_sequence

),

latest_in_visit as (

    select
        opportunity_id,
        stage_sequence,
        amount,
        probability,
        forecast_category,
        close_date
    from (
        select
            *,
            row_number() over (
                partition by opportunity_id, stage_sequence order by change_sequence desc
            ) as recency_rank
        from visits_numbered
    ) as ranked
    where recency_rank = 1

),

final as (

    select
        {{ dbt.hash(dbt.concat([
            'visits.opportunity_id', "'|'", 'cast(visits.stage_sequence as ' ~ dbt.type_string() ~ ')'
        ])) }} as opportunity_stage_id,
        visits.opportunity_id,
        visits.stage_sequence,
        visits.stage_name,
        lead(visits.stage_name) over (partition by visits.opportunity_id order by visits.stage_sequence)
            as next_stage_name,
        visits.stage_name in ('Closed Won', 'Closed Lost') as is_closed_stage,
        visits.entry_amount,
        latest_in_visit.amount,
        latest_in_visit.probability,
        latest_in_visit.forecast_category,
        latest_in_visit.close_date as expected_close_date,
        visits.change_count,
        visits.stage_entered_at,
        lead(visits.stage_entered_at) over (partition by visits.opportunity_id order by visits.stage_sequence)
            as stage_exited_at,
        cast(visits.stage_entered_at as date) as stage_entered_date,
        cast(
            lead(visits.stage_entered_at) over (partition by visits.opportunity_id order by visits.stage_sequence)
            as date
        ) as stage_exited_date,
        cast({{ dbt.datediff(
            'visits.stage_entered_at',
            'lead(visits.stage_entered_at) over (partition by visits.opportunity_id order by visits.stage_sequence)',
            'second'
        ) }} / 86400.0 as {{ type_ratio() }}) as days_in_stage
    from visits
    inner join latest_in_visit
        on visits.opportunity_id = latest_in_visit.opportunity_id
        and visits.stage_sequence = latest_in_visit.stage_sequence

)

select * from final
