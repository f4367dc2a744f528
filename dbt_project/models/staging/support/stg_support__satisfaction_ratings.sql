with

source as (

    select * from {{ source('support', 'satisfaction_ratings') }}

),

latest as (

    {{ latest_version('source', 'id', 'updated_at desc nulls last') }}

),

renamed as (

    select
        -- ids
        cast(id as {{ dbt.type_bigint() }}) as satisfaction_rating_id,
        cast(ticket_id as {{ dbt.type_bigint() }}) as ticket_id,
        cast(requester_id as {{ dbt.type_bigint() }}) as requester_user_id,
        cast(assignee_id as {{ dbt.type_bigint() }}) as assignee_user_id,

        -- strings
        {{ normalize_enum('score', ['good', 'bad', 'offered', 'unoffered']) }} as satisfaction_score,
        {{ clean_text('comment') }} as satisfaction_comment,
        {{ clean_text('reason') }} as satisfaction_reason,

        -- timestamps
        {{ to_utc_timestamp('created_at') }} as created_at,
        {{ to_utc_timestamp('updated_at') }} as updated_at,
        {{ to_utc_timestamp('_loaded_at') }} as loaded_at

    from latest

)

select * from renamed
