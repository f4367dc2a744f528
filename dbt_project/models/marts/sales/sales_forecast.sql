{#
    One row per opportunity owner and month: what was won, what is forecast, against the quota.
      created pipeline    opportunities created in the month and their amount at creation (USD at the
                          creation date): the pipeline the month generated;
      closed won          opportunities won with their close in the month (USD at the close date);
      commit / best case / pipeline
                          open opportunities expected to close in the month, by the forecast category
                          their stage carries now (at the data clock) — past months show what is
                          still open and overdue;
      weighted pipeline   open amount × the stage's probability;
      forecast            closed won + commit; best-case forecast adds best case;
      quota, attainment   the owner's monthly quota (USD) and closed won ÷ quota.
    Only owner-months with a created or won opportunity, an open one expected to close, or a quota are
    present.
#}
with

opportunities as (

    select * from {{ ref('int_opportunities_timed') }}

),

quotas as (

    select * from {{ ref('int_quotas_converted_to_usd') }}

),

created as (

    select
        owner_user_id,
        cast({{ dbt.date_trunc('month', 'created_date') }} as date) as month_start_date,
        count(*) as created_opportunity_count,
        sum(created_amount_usd) as created_pipeline_usd
    from opportunities
    group by owner_user_id, cast({{ dbt.date_trunc('month', 'created_date') }} as date)

),

won as (

    select
        owner_user_id,
        cast({{ dbt.date_trunc('month', 'closed_date') }} as date) as month_start_date,
        count(*) as closed_won_count,
        sum(amount_usd) as closed_won_amount_usd
    from opportunities
    where is_won
    group by owner_user_id, cast({{ dbt.date_trunc('month', 'closed_date') }} as date)

),

open_pipeline as (

    select
        owner_user_id,
        cast({{ dbt.date_trunc('month', 'expected_close_date') }} as date) as month_start_date,
        count(*) as open_opportunity_count,
        sum(case when forecast_category = 'Commit' then amount_usd else 0 end) as commit_amount_usd,
        sum(case when forecast_category = 'Best Case' then amount_usd else 0 end) as best_case_amount_usd,
        sum(case when forecast_category = 'Pipeline' then amount_usd else 0 end) as pipeline_amount_usd,
        sum(amount_usd) as open_amount_usd,
        sum(weighted_amount_usd) as weighted_pipeline_usd
    from opportunities
    where is_open
    group by owner_user_id, cast({{ dbt.date_trunc('month', 'expected_close_date') }} as date)

),

quota_months as (

    select
        owner_user_id,
        month_start_date,
        sum(quota_amount_usd) as quota_usd
    from quotas
    group by owner_user_id, month_start_date

),

owner_months as (

    select
        owner_user_id,
        month_start_date
    from created
    union
    select
        owner_user_id,
        month_start_date
    from won
    union
    select
        owner_user_id,
        month_start_date
    from open_pipeline
    union
    select
        owner_user_id,
        month_start_date
    from quota_months

),

final as (

    select
        {{ dbt.hash(dbt.concat([
            "coalesce(owner_months.owner_user_id, '')", "'|'",
            'cast(owner_months.month_start_date as ' ~ dbt.type_string() ~ ')',
        ])) }} as owner_month_id,
        owner_months.owner_user_id,
        owner_months.month_start_date,
        coalesce(created.created_opportunity_count, 0) as created_opportunity_count,
        cast(coalesce(created.created_pipeline_usd, 0) as {{ type_money() }}) as created_pipeline_usd,
        coalesce(won.closed_won_count, 0) as closed_won_count,
        cast(coalesce(won.closed_won_amount_usd, 0) as {{ type_money() }}) as closed_won_amount_usd,
        coalesce(open_pipeline.open_opportunity_count, 0) as open_opportunity_count,
        cast(coalesce(open_pipeline.commit_amount_usd, 0) as {{ type_money() }}) as commit_amount_usd,
        cast(coalesce(open_pipeline.best_case_amount_usd, 0) as {{ type_money() }}) as best_case_amount_usd,
        cast(coalesce(open_pipeline.pipeline_amount_usd, 0) as {{ type_money() }}) as pipeline_amount_usd,
        cast(coalesce(open_pipeline.open_amount_usd, 0) as {{ type_money() }}) as open_amount_usd,
        cast(coalesce(open_pipeline.weighted_pipeline_usd, 0) as {{ type_money() }}) as weighted_pipeline_usd,
        cast(
            coalesce(won.closed_won_amount_usd, 0) + coalesce(open_pipeline.commit_amount_usd, 0)
            as {{ type_money() }}
        ) as forecast_amount_usd,
        cast(
            coalesce(won.closed_won_amount_usd, 0) + coalesce(open_pipeline.commit_amount_usd, 0)
            + coalesce(open_pipeline.best_case_amount_usd, 0)
            as {{ type_money() }}
        ) as best_case_forecast_amount_usd,
        cast(quota_months.quota_usd as {{ type_money() }}) as quota_usd,
        cast(
            coalesce(won.closed_won_amount_usd, 0) / nullif(quota_months.quota_usd, 0) as {{ type_ratio() }}
        ) as quota_attainment
    from owner_months
    left join created
        on owner_months.owner_user_id is not distinct from created.owner_user_id
        and owner_months.month_start_date = created.month_start_date
    left join won
        on owner_months.owner_user_id is not distinct from won.owner_user_id
        and owner_months.month_start_date = won.month_start_date
    left join open_pipeline
        on owner_months.owner_user_id is not distinct from open_pipeline.owner_user_id
        and owner_months.month_start_date = open_pipeline.month_start_date
    left join quota_months
        on owner_months.owner_user_id is not distinct from quota_months.owner_user_id
        and owner_months.month_start_date = quota_months.month_start_date
    where owner_months.month_start_date is not null

)

select * from final
