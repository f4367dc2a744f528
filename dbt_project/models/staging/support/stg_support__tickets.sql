with

source as (

    select * from {{ source('support', 'tickets') }}

),

latest as (

    {{ latest_version('source', 'id', 'updated_at desc nulls last') }}

),

renamed as (

    select
        -- ids
        cast(id as {{ dbt.type_bigint() }}) as ticket_id,
        cast(requester_id as {{ dbt.type_bigint() }}) as requester_user_id,
        cast(submitter_id as {{ dbt.type_bigint() }}) as submitter_user_id,
        cast(assignee_id as {{ dbt.type_bigint() }}) as assignee_user_id,
        cast(group_id as {{ dbt.type_bigint() }}) as group_id,
        cast(organization_id as {{ dbt.type_bigint() }}) as organization_id,

        -- strings
        {{ clean_text('subject') }} as ticket_subject,
        {{ normalize_enum('status', ['new', 'open', 'pending', 'hold', 'solved', 'closed', 'deleted']) }}
            as ticket_status,
        {{ normalize_enum('priority', ['low', 'normal', 'high', 'urgent']) }} as ticket_priority,
        {{ normalize_enum('type', ['question', 'incident', 'problem', 'task']) }} as ticket_type,
        {{ normalize_enum(struct_field('via', 'channel'), ['email', 'web', 'chat', 'voice', 'api']) }}
            as ticket_channel,

        -- lists
        tags,
        custom_fields,

        -- timestamps
        {{ to_utc_timestamp('created_at') }} as created_at,
        {{ to_utc_timestamp('updated_at') }} as updated_at,
        {{ to_utc_timestamp('_loaded_at') }} as loaded_at

    from latest

)

-- a ticket whose status is "deleted" is the help desk's soft delete
select * from renamed
where ticket_status is distinct from 'deleted'
