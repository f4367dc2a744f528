{#
    One row per data-quality check evaluation of the gate (quality/results.py writes ops.check_results).
    The table exists only once the gate has run; before that this model selects nothing, with the same
    columns, so that the scorecard mart builds (empty) on a fresh warehouse. Whether the table exists is
    asked of the adapter at run time, not at parse time.
#}
{%- set check_results = none -%}
{%- if execute -%}
    {%- set check_results = adapter.get_relation(
        database=source('ops', 'check_results').database,
        schema=source('ops', 'check_results').schema,
        identifier=source('ops', 'check_results').identifier,
    ) -%}
{%- endif %}
with

{% if check_results is not none -%}
source as (

    select * from {{ source('ops', 'check_results') }}

),
{%- else -%}
-- ops.check_results does not exist yet: an empty relation of its shape
source as (

    select
        cast(null as {{ dbt.type_string() }}) as run_id,
        cast(null as {{ dbt.type_string() }}) as stage,  -- noqa: RF04
        cast(null as {{ dbt.type_string() }}) as check_id,
        cast(null as {{ dbt.type_string() }}) as target,  -- noqa: RF04
        cast(null as {{ dbt.type_string() }}) as check_kind,
        cast(null as {{ dbt.type_string() }}) as batch_id,
        cast(null as date) as logical_date,
        cast(null as {{ dbt.type_string() }}) as severity,
        cast(null as {{ dbt.type_string() }}) as check_status,
        cast(null as {{ type_ratio() }}) as observed_value,
        cast(null as {{ dbt.type_string() }}) as observed,
        cast(null as {{ dbt.type_string() }}) as threshold,
        cast(null as {{ dbt.type_string() }}) as message,
        cast(null as {{ dbt.type_string() }}) as owner,  -- noqa: RF04
        cast(null as {{ dbt.type_timestamp() }}) as checked_at
    where 1 = 0

),
{%- endif %}

renamed as (

    select
        -- ids
        {{ dbt.hash(dbt.concat([
            'run_id', "'|'", 'stage', "'|'", 'check_id', "'|'", 'target', "'|'", "coalesce(batch_id, '')"
        ])) }} as check_result_id,
        cast(run_id as {{ dbt.type_string() }}) as run_id,
        cast(check_id as {{ dbt.type_string() }}) as check_id,
        cast(batch_id as {{ dbt.type_string() }}) as batch_id,

        -- strings
        cast(stage as {{ dbt.type_string() }}) as check_stage,
        cast(target as {{ dbt.type_string() }}) as check_target,
        cast(check_kind as {{ dbt.type_string() }}) as check_kind,
        cast(severity as {{ dbt.type_string() }}) as check_severity,
        cast(check_status as {{ dbt.type_string() }}) as check_status,
        cast(observed as {{ dbt.type_string() }}) as observed,
        cast(threshold as {{ dbt.type_string() }}) as threshold,
        {{ clean_text('message') }} as check_message,
        {{ clean_text('owner') }} as check_owner,

        -- numerics
        cast(observed_value as {{ type_ratio() }}) as observed_value,

        -- dates
        cast(logical_date as date) as logical_date,

        -- timestamps
        {{ to_utc_timestamp('checked_at') }} as checked_at

    from source

)

select * from renamed
