with

source as (

    select * from {{ source('support', 'sla_policies') }}

),

latest as (

    {{ latest_version('source', 'id', '_loaded_at desc') }}

),

renamed as (

    select
        -- ids
        cast(id as {{ dbt.type_bigint() }}) as sla_policy_id,

        -- strings
        {{ clean_text('title') }} as sla_policy_title,
        {{ normalize_enum('priority', ['low', 'normal', 'high', 'urgent']) }} as ticket_priority,
        {{ normalize_enum('metric', ['first_reply_time', 'next_reply_time', 'full_resolution_time']) }} as sla_metric,
        {{ clean_text('schedule_time_zone') }} as schedule_time_zone,

        -- numerics
        cast(target_minutes as {{ dbt.type_int() }}) as target_minutes,

        -- booleans
        coalesce(cast(business_hours as {{ dbt.type_boolean() }}), false) as is_business_hours,

        -- lists: weekly opening intervals (weekday 0 = Monday, minutes from midnight) and holidays
        schedule_intervals,
        holidays,

        -- timestamps
        {{ to_utc_timestamp('_loaded_at') }} as loaded_at

    from latest

)

select * from renamed
