with

source as (

    select * from {{ source('marketing', 'form_submissions') }}

),

latest as (

    {{ latest_version('source', 'submission_id', '_loaded_at desc') }}

),

renamed as (

    select
        -- ids
        {{ clean_text('submission_id') }} as form_submission_id,
        {{ clean_text('contact_id') }} as marketing_contact_id,

        -- strings
        {{ clean_text('email') }} as email,
        {{ normalize_enum('form_name', ['demo_request', 'newsletter', 'webinar_registration', 'contact_us',
            'pricing']) }} as form_name,
        {{ clean_text('page_url') }} as page_url,
        lower({{ clean_text('utm_source') }}) as utm_source,
        lower({{ clean_text('utm_medium') }}) as utm_medium,
        {{ clean_text('utm_campaign') }} as utm_campaign,

        -- timestamps
        {{ parse_timestamp_utc('submitted_at') }} as submitted_at,
        {{ to_utc_timestamp('_loaded_at') }} as loaded_at

    from latest

)

select * from renamed
