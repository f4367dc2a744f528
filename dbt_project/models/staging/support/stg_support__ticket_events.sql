{{ config(materialized='incremental', unique_key='ticket_event_id') }}
{# Incremental (dbt_project.yml), not a view: the dedup window over this large source would otherwise
   run again for every model and test that reads it (issue 9, DECISIONS.md). #}
with

source as (

    select * from {{ source('support', 'ticket_events') }}
    {{ keys_loaded_since_last_run('id', source('support', 'ticket_events')) }}

),

latest as (

    {{ latest_version('source', 'id', 'created_at desc nulls last') }}

),

renamed as (

    select
        -- ids
        cast(id as {{ dbt.type_bigint() }}) as ticket_event_id,
        cast(ticket_id as {{ dbt.type_bigint() }}) as ticket_id,
        cast(author_id as {{ dbt.type_bigint() }}) as author_user_id,

        -- strings
        {{ normalize_enum('event_type', ['Create', 'Comment', 'Change']) }} as ticket_event_type,
        {{ clean_text('field_name') }} as changed_field_name,
        cast(value as {{ dbt.type_string() }}) as new_value,
        cast(previous_value as {{ dbt.type_string() }}) as previous_value,

        -- booleans
        coalesce(cast(public as {{ dbt.type_boolean() }}), false) as is_public,

        -- timestamps
        {{ to_utc_timestamp('created_at') }} as created_at,
        {{ to_utc_timestamp('_loaded_at') }} as loaded_at

    from latest

)

select * from renamed
