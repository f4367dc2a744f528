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

-- Names and company names repeat across records (tens of thousands of distinct values over more than
-- a million records at SF 1): the regular expressions run once per distinct value, joined back below.
distinct_name_parts as (

    select first_name as name_part
    from person_records
    where first_name is not null
    union
    select last_name as name_part
    from person_records
    where last_name is not null

),

name_parts_normalized as (

    select
        name_part,
        {{ normalize_name('name_part') }} as name_part_normalized
    from distinct_name_parts

),

distinct_company_names as (

    select distinct company_name
    from person_records
    where company_name is not null

),

company_names_normalized as (

    select
        company_name,
        {{ normalize_company_name('company_name') }} as company_name_normalized
    from distinct_company_names

),

normalized as (

    select
        person_records.record_key,
        person_records.source_name,
        person_records.entity_name,
        person_records.record_id,
        person_records.source_priority,
        person_records.organization_record_key,
        person_records.referenced_record_key,
        person_records.second_referenced_record_key,
        person_records.first_name,
        person_records.last_name,
        person_records.email,
        person_records.phone,
        person_records.company_name,
        person_records.country_code,
        {{ normalize_email('person_records.email') }} as email_normalized,
        {{ normalize_phone('person_records.phone') }} as phone_normalized,
        first_names.name_part_normalized as first_name_normalized,
        last_names.name_part_normalized as last_name_normalized,
        company_names_normalized.company_name_normalized,
        person_records.created_at,
        person_records.updated_at
    from person_records
    left join name_parts_normalized as first_names
        on person_records.first_name = first_names.name_part
    left join name_parts_normalized as last_names
        on person_records.last_name = last_names.name_part
    left join company_names_normalized
        on person_records.company_name = company_names_normalized.company_name

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
