{#
    One row per data-quality check evaluation, judged as the gate judges it (quality/results.py): a
    failed or errored check is a breach; a breach of a `block` check stops publishing (a strategic
    pain), of a `warn` check is reported (a routine ache). Each row also carries its run's start and
    outcome — blocked, warned or passed — so a scorecard row reads on its own.
#}
with

check_results as (

    select * from {{ ref('stg_ops__check_results') }}

),

judged as (

    select
        *,
        check_status in ('failed', 'error') as is_breach,
        check_status in ('failed', 'error') and check_severity = 'block' as is_blocking_breach,
        check_status in ('failed', 'error') and check_severity = 'warn' as is_warning_breach
    from check_results

),

runs as (

    select
        run_id,
        min(checked_at) as run_started_at,
        count(*) as run_checks,
        count(case when is_breach then 1 end) as run_breaches,
        case
            when count(case when is_blocking_breach then 1 end) > 0 then 'blocked'
            when count(case when is_warning_breach then 1 end) > 0 then 'warned'
            else 'passed'
        end as run_outcome
    from judged
    group by run_id

),

final as (

    select
        judged.*,
        runs.run_started_at,
        runs.run_checks,
        runs.run_breaches,
        runs.run_outcome
    from judged
    inner join runs
        on judged.run_id = runs.run_id

)

select * from final
