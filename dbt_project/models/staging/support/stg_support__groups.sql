with

source as (

    select * from {{ source('support', 'groups') }}

),

latest as (

    {{ latest_version('source', 'id', '_loaded_at desc') }}

),

renamed as (

    select
        -- ids
        cast(id as {{ dbt.type_bigint() }}) as group_id,

        -- strings
        {{ clean_text('name') }} as group_name,

        -- timestamps
        {{ to_utc_timestamp('_loaded_at') }} as loaded_at

    from latest

)

select * from renamed
