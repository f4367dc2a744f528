{#
    One row per calendar day: the time spine MetricFlow joins metrics to (dbt ≥ 1.9 declares it in YAML,
    `_semantic_models.yml`), and a date dimension BI tools can use. The range only has to cover the
    data; it is wide and fixed so that it never depends on a load. Portable: dbt's date_spine macro.
#}
with

days as (

    {{ dbt.date_spine(
        'day',
        "cast('" ~ var('time_spine_start_date', '2010-01-01') ~ "' as date)",
        "cast('" ~ var('time_spine_end_date', '2041-01-01') ~ "' as date)",
    ) }}

),

final as (

    select cast(date_day as date) as date_day
    from days

)

select * from final
