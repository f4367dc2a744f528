with

source as (

    select * from {{ source('marketing', 'nps_responses') }}

),

latest as (

    {{ latest_version('source', 'response_id', '_loaded_at desc') }}

),

renamed as (

    select
        -- ids
        {{ clean_text('response_id') }} as nps_response_id,

        -- strings
        {{ clean_text('email') }} as email,
        {{ clean_text('comment') }} as nps_comment,
        {{ clean_text('survey_name') }} as survey_name,

        -- numerics: only 0..10 is a score
        case
            when {{ parse_number('score', dbt.type_int()) }} between 0 and 10
                then {{ parse_number('score', dbt.type_int()) }}
        end as nps_score,

        -- timestamps
        {{ parse_timestamp_utc('submitted_at') }} as submitted_at,
        {{ to_utc_timestamp('_loaded_at') }} as loaded_at

    from latest

)

select * from renamed
