with

source as (

    select * from {{ source('marketing', 'ad_spend') }}

),

latest as (

    -- the newest export wins (folders are export dates): a restated day's spend replaces the old one
    {{ latest_version('source', 'date, campaign_id, channel', '_source_file desc') }}

),

renamed as (

    select
        -- ids
        {{ dbt.hash(dbt.concat(["cast(" ~ parse_date('date') ~ " as " ~ dbt.type_string() ~ ")", "'|'",
            clean_text('campaign_id'), "'|'", "lower(trim(channel))"])) }} as ad_spend_id,
        {{ clean_text('campaign_id') }} as campaign_id,

        -- strings
        {{ normalize_enum('channel', ['google_ads', 'linkedin', 'meta']) }} as ad_channel,
        upper(trim(currency)) as currency_code,

        -- numerics
        {{ parse_number('impressions', dbt.type_bigint()) }} as impressions,
        {{ parse_number('clicks', dbt.type_bigint()) }} as clicks,
        {{ parse_number('cost') }} as ad_cost,

        -- dates
        {{ parse_date('date') }} as spend_date,

        -- timestamps
        {{ to_utc_timestamp('_loaded_at') }} as loaded_at

    from latest

)

select * from renamed
