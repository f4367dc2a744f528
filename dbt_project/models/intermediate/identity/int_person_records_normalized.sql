{#
    The identifiers of every person record in comparable form: emails without case, blanks, gmail dots
    and +tags; phones as their last ten digits; names without accents or punctuation and with
    nicknames mapped to the formal first name (person_nicknames seed); company names without legal
    suffixes.
#}
with

person_records as (

    select * from {{ ref('int_person_records_unioned') }}

),

nicknames as (

    select * from {{ ref('person_nicknames') }}

),

normalized as (

    select
        record_key,
        source_name,
        entity_name,
        record_id,
        source_priority,
        organization_record_key,
        referenced_record_key,
        second_referenced_record_key,
        first_name,
        last_name,
        email,
        phone,
        company_name,
        country_code,
        {{ normalize_email('email') }} as email_normalized,
        {{ normalize_phone('phone') }} as phone_normalized,
        {{ normalize_name('first_name') }} as first_name_normalized,
        {{ normalize_name('last_name') }} as last_name_normalized,
        {{ normalize_company_name('company_name') }} as company_name_normalized,
        created_at,
        updated_at
    from person_records

),

with_canonical_names as (

    select
        normalized.*,
        {{ email_domain('normalized.email_normalized') }} as email_domain,
        {{ email_local_part('normalized.email_normalized') }} as email_local_part,
        coalesce(nicknames.canonical_first_name, normalized.first_name_normalized) as first_name_canonical,
        nullif(trim(
            coalesce(nicknames.canonical_first_name, normalized.first_name_normalized, '')
            || ' ' || coalesce(normalized.last_name_normalized, '')
        ), '') as full_name_canonical
    from normalized
    left join nicknames
        on normalized.first_name_normalized = nicknames.nickname

),

final as (

    select * from with_canonical_names

)

select * from final
