{#
    Identifier values that must not join records, and why: listed shared mailboxes, test and
    placeholder values (identity_blocklist seed), and any email or phone that more records of one
    source entity share than `identity_max_records_per_identifier` — a value many people share is a
    switchboard or a role mailbox, not an identity. NPS responses are events (one person answers many
    surveys), so they do not count towards the cap.
#}
with

person_records as (

    select * from {{ ref('int_person_records_normalized') }}

),

blocklist as (

    select * from {{ ref('identity_blocklist') }}

),

identifiers as (

    select
        'email' as identifier_type,
        email_normalized as identifier_value,
        email_local_part,
        email_domain,
        entity_name,
        record_key
    from person_records
    where email_normalized is not null
    union all
    select
        'phone' as identifier_type,
        phone_normalized as identifier_value,
        null as email_local_part,
        null as email_domain,
        entity_name,
        record_key
    from person_records
    where phone_normalized is not null
    union all
    select
        'person_name' as identifier_type,
        full_name_canonical as identifier_value,
        null as email_local_part,
        null as email_domain,
        entity_name,
        record_key
    from person_records
    where full_name_canonical is not null

),

listed as (

    select distinct
        identifiers.identifier_type,
        identifiers.identifier_value,
        blocklist.block_reason
    from identifiers
    inner join blocklist
        on (
            blocklist.identifier_type = 'email_local_part'
            and identifiers.identifier_type = 'email'
            and identifiers.email_local_part = blocklist.blocked_value
        )
        or (
            blocklist.identifier_type = 'email_domain'
            and identifiers.identifier_type = 'email'
            and identifiers.email_domain = blocklist.blocked_value
        )
        or (
            identifiers.identifier_type = blocklist.identifier_type
            and identifiers.identifier_value = blocklist.blocked_value
        )

),

over_cap_per_entity as (

    select
        identifier_type,
        identifier_value
    from identifiers
    where identifier_type in ('email', 'phone')
        and entity_name <> 'nps_responses'
    group by identifier_type, identifier_value, entity_name
    having count(distinct record_key) > {{ var('identity_max_records_per_identifier') }}

),

over_cap as (

    select distinct
        identifier_type,
        identifier_value,
        'over_cap' as block_reason
    from over_cap_per_entity

),

unioned as (

    select * from listed
    union all
    select * from over_cap

),

-- one reason per value: a listed reason is more specific than the cap
ranked as (

    select
        *,
        row_number() over (
            partition by identifier_type, identifier_value
            order by case when block_reason = 'over_cap' then 2 else 1 end, block_reason
        ) as reason_rank
    from unioned

),

final as (

    select
        identifier_type,
        identifier_value,
        block_reason
    from ranked
    where reason_rank = 1

)

select * from final
