with

source as (

    select * from {{ source('marketing', 'campaigns') }}

),

latest as (

    -- the newest export wins: inbox folders are export dates, so when one load lands several
    -- exports (a backfill), or a late or redelivered old file, an older snapshot never overrides
    {{ latest_version('source', 'campaign_id', '_source_file desc') }}

),

renamed as (

    select
        -- ids
        {{ clean_text('campaign_id') }} as campaign_id,
        {{ clean_text('crm_campaign_id') }} as crm_campaign_id,

        -- strings
        {{ clean_text('name') }} as campaign_name,
        {{ normalize_enum('type', ['email', 'webinar', 'paid_search', 'social', 'event', 'win_back',
            'loyalty']) }} as campaign_type,
        {{ clean_text('subject') }} as email_subject,
        {{ clean_text('target_segment') }} as target_segment,
        upper(trim(currency)) as currency_code,

        -- numerics
        {{ parse_number('budget') }} as budget,

        -- dates
        {{ parse_date('start_date') }} as start_date,
        {{ parse_date('end_date') }} as end_date,

        -- timestamps
        {{ to_utc_timestamp('_loaded_at') }} as loaded_at

    from latest

)

select * from renamed
