{#
    One row per data-quality check evaluation of a gate run (run × check, on its target and batch): the
    check, the policy's threshold and severity, what was observed, the status, and whether it breached —
    so BI users see how good "good enough" was, run after run. Empty until the quality gate has run;
    results of a run appear from the next dbt build on (the gate runs after dbt).
#}
with

check_results as (

    select * from {{ ref('int_check_results_judged') }}

),

final as (

    select
        check_result_id,
        run_id,
        run_started_at,
        run_outcome,
        run_checks,
        run_breaches,
        check_stage,
        check_id,
        check_target,
        check_kind,
        batch_id,
        logical_date,
        check_owner,
        check_severity,
        threshold,
        observed_value,
        observed,
        check_status,
        is_breach,
        is_blocking_breach,
        is_warning_breach,
        check_message,
        checked_at
    from check_results

)

select * from final
