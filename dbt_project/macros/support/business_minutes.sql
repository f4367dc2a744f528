{#
    Business-minute arithmetic over int_business_hours_converted_to_utc (one row per schedule, UTC day
    and opening segment, each day carrying the business minutes of every earlier day).

    The *business-minute clock* of an instant is the number of business minutes of its schedule from
    the calendar's first day up to that instant. The business minutes between two instants are the
    difference of their clocks — nights, weekends and holidays add nothing, and every opening is already
    in UTC for its date, so time zones and daylight-saving changes need no special case. Instants are
    truncated to the minute first: a minute counts when it starts inside an opening (as help desks count).
#}

{#
    The identity of a business-hours schedule (time zone, weekly openings, holidays): SLA policies that
    share a schedule share one calendar.
#}
{% macro business_schedule_key(time_zone, openings, holidays) -%}
    {{ dbt.hash(dbt.concat([
        "coalesce(" ~ time_zone ~ ", 'UTC')", "'|'",
        "coalesce(cast(" ~ openings ~ " as " ~ dbt.type_string() ~ "), '')", "'|'",
        "coalesce(cast(" ~ holidays ~ " as " ~ dbt.type_string() ~ "), '')",
    ])) }}
{%- endmacro %}

{#
    A select of (key columns…, business_minute_clock) for a relation of instants with the key columns,
    `business_schedule_id` and `instant_at` (UTC). Instants outside the calendar's days get no row
    (callers left join, so their business minutes are null, never wrong).
#}
{% macro business_minute_clock(instants_relation, calendar_relation, key_columns) -%}
    {%- set instant = dbt.date_trunc('minute', 'instants.instant_at') -%}
    select
        {%- for key in key_columns %}
        instants.{{ key }},
        {%- endfor %}
        min(calendar.business_minutes_before_day) + sum(
            case
                when calendar.opened_at < {{ instant }}
                    then {{ dbt.datediff(
                        'calendar.opened_at',
                        'case when ' ~ instant ~ ' < calendar.closed_at then ' ~ instant ~ ' else calendar.closed_at end',
                        'minute'
                    ) }}
                else 0
            end
        ) as business_minute_clock
    from {{ instants_relation }} as instants
    inner join {{ calendar_relation }} as calendar
        on instants.business_schedule_id = calendar.business_schedule_id
        and cast(instants.instant_at as date) = calendar.calendar_date
    group by {% for key in key_columns %}instants.{{ key }}{{ ', ' if not loop.last }}{% endfor %}
{%- endmacro %}

{# Calendar minutes between two timestamps, to the second (a 90-second wait is 1.5 minutes). #}
{% macro elapsed_minutes(start_at, end_at) -%}
    cast({{ dbt.datediff(start_at, end_at, 'second') }} / 60.0 as {{ crm.type_ratio() }})
{%- endmacro %}
