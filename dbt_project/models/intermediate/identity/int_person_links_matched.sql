{#
    Pairs of person records that stand for the same person, each with the rule that matched it and
    that rule's confidence. Deterministic rules, strongest first:
      crm_reference   (1.00) an explicit cross-system id: marketing contact → CRM contact / lead,
                             converted lead → CRM contact;
      email           (0.98) the same normalised email (case, blanks, gmail dots and +tags);
      phone_name      (0.93) the same phone number and similar names (Jaro-Winkler ≥ 0.85);
      name_customer   (0.90) the same customer and the same name up to one slip: one of first and
                             last name equal, the other equal or (both ≥ 4 letters) within two edits
                             and Jaro-Winkler ≥ `identity_person_name_similarity`; nicknames mapped to
                             formal names first. Catches personal vs work emails and typos, not
                             "Jo" vs "Joan" or "Gracia Arenas" vs "Graciana Morales".
    Blocked identifiers (int_identifiers_blocked) never match. Email matches are written as a star
    (every record to the smallest record with that email): the same components, far fewer rows.
#}
with

person_records as (

    select * from {{ ref('int_person_records_normalized') }}

),

assignments as (

    select * from {{ ref('int_person_records_assigned_to_customers') }}

),

blocked as (

    select * from {{ ref('int_identifiers_blocked') }}

),

-- the rules' confidences, strongest first; each is distinct, so a pair's strongest confidence names its rule
match_rules as (

    select
        rules.match_rule,
        rules.match_confidence
    from (
        values
        ('crm_reference', 1.00),
        ('email', 0.98),
        ('phone_name', 0.93),
        ('name_customer', 0.90)
    ) as rules (match_rule, match_confidence)

),

matchable as (

    select
        person_records.record_key,
        person_records.referenced_record_key,
        person_records.second_referenced_record_key,
        case when blocked_emails.identifier_value is null then person_records.email_normalized end
            as email_match,
        case when blocked_phones.identifier_value is null then person_records.phone_normalized end
            as phone_match,
        case when blocked_names.identifier_value is null then person_records.full_name_canonical end
            as full_name_match,
        case when blocked_names.identifier_value is null then person_records.first_name_canonical end
            as first_name_match,
        case when blocked_names.identifier_value is null then person_records.last_name_normalized end
            as last_name_match,
        assignments.customer_id
    from person_records
    left join assignments
        on person_records.record_key = assignments.record_key
    left join blocked as blocked_emails
        on blocked_emails.identifier_type = 'email'
        and person_records.email_normalized = blocked_emails.identifier_value
    left join blocked as blocked_phones
        on blocked_phones.identifier_type = 'phone'
        and person_records.phone_normalized = blocked_phones.identifier_value
    left join blocked as blocked_names
        on blocked_names.identifier_type = 'person_name'
        and person_records.full_name_canonical = blocked_names.identifier_value
    -- a record whose email is a test or placeholder value is a test record, not a person to join
    where blocked_emails.block_reason is null
        or blocked_emails.block_reason not in ('test_record', 'placeholder')

),

references_made as (

    select
        record_key,
        referenced_record_key
    from matchable
    where referenced_record_key is not null
    union all
    select
        record_key,
        second_referenced_record_key
    from matchable
    where second_referenced_record_key is not null

),

crm_reference as (

    select
        references_made.record_key as left_record_key,
        referenced.record_key as right_record_key,
        'crm_reference' as match_rule
    from references_made
    inner join matchable as referenced
        on references_made.referenced_record_key = referenced.record_key

),

email_anchors as (

    select
        email_match,
        min(record_key) as anchor_record_key
    from matchable
    where email_match is not null
    group by email_match

),

email as (

    select
        matchable.record_key as left_record_key,
        email_anchors.anchor_record_key as right_record_key,
        'email' as match_rule
    from matchable
    inner join email_anchors
        on matchable.email_match = email_anchors.email_match
    where matchable.record_key <> email_anchors.anchor_record_key

),

phone_name as (

    select
        matchable.record_key as left_record_key,
        other.record_key as right_record_key,
        'phone_name' as match_rule
    from matchable
    inner join matchable as other
        on matchable.phone_match = other.phone_match
        and matchable.record_key < other.record_key
    where {{ name_similarity('matchable.full_name_match', 'other.full_name_match') }} >= 0.85

),

name_customer as (

    select
        matchable.record_key as left_record_key,
        other.record_key as right_record_key,
        'name_customer' as match_rule
    from matchable
    inner join matchable as other
        on matchable.customer_id = other.customer_id
        and matchable.record_key < other.record_key
    where (
        matchable.first_name_match = other.first_name_match
        and {{ similar_name_part('matchable.last_name_match', 'other.last_name_match') }}
    )
    or (
        matchable.last_name_match = other.last_name_match
        and {{ similar_name_part('matchable.first_name_match', 'other.first_name_match') }}
    )

),

unioned as (

    select * from crm_reference
    union all
    select * from email
    union all
    select * from phone_name
    union all
    select * from name_customer

),

oriented as (

    select
        case when left_record_key < right_record_key then left_record_key else right_record_key end
            as left_record_key,
        case when left_record_key < right_record_key then right_record_key else left_record_key end
            as right_record_key,
        match_rule
    from unioned
    where left_record_key <> right_record_key

),

-- a pair matched by several rules keeps the strongest: an aggregate, cheaper than ranking every row
strongest as (

    select
        oriented.left_record_key,
        oriented.right_record_key,
        max(match_rules.match_confidence) as match_confidence
    from oriented
    inner join match_rules
        on oriented.match_rule = match_rules.match_rule
    group by oriented.left_record_key, oriented.right_record_key

),

final as (

    select
        strongest.left_record_key,
        strongest.right_record_key,
        match_rules.match_rule,
        cast(strongest.match_confidence as {{ dbt.type_numeric() }}) as match_confidence
    from strongest
    inner join match_rules
        on strongest.match_confidence = match_rules.match_confidence

)

select * from final
