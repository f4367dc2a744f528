{#
    Normal forms of the identifiers that identity resolution matches on. Each strips only what does
    not change who the value points at (case, blanks, punctuation, gmail dots and +tags, legal suffixes).
#}

{#
    " John.Smith+crm@GoogleMail.com " → "johnsmith@gmail.com"; "Ann+x@acme.com" → "ann@acme.com".
    Typing slips that keep the address readable are repaired first: "ann at acme.com" and
    "ann@@acme.com" → "ann@acme.com", a blank for a dot ("ann lee@acme.com") → "ann.lee@acme.com".
    What is still not an address (no "@", no dot in the domain) → null.
#}
{% macro normalize_email(column) -%}
    {%- set typed = "lower(trim(cast(" ~ column ~ " as " ~ dbt.type_string() ~ ")))" -%}
    {%- set email = "replace(replace(replace(" ~ typed ~ ", ' at ', '@'), '@@', '@'), ' ', '.')" -%}
    {%- set local_part = "split_part(split_part(" ~ email ~ ", '@', 1), '+', 1)" -%}
    {%- set domain = "replace(split_part(" ~ email ~ ", '@', 2), 'googlemail.com', 'gmail.com')" -%}
    case
        when {{ email }} like '%_@_%._%' and {{ email }} not like '%@%@%'
            then
                case
                    when {{ domain }} = 'gmail.com' then replace({{ local_part }}, '.', '')
                    else {{ local_part }}
                end
                || '@' || {{ domain }}
    end
{%- endmacro %}

{# Domain of an already normalised email: "ann@acme.com" → "acme.com". #}
{% macro email_domain(normalized_email) -%}
    nullif(split_part({{ normalized_email }}, '@', 2), '')
{%- endmacro %}

{# Local part of an already normalised email: "ann@acme.com" → "ann". #}
{% macro email_local_part(normalized_email) -%}
    nullif(split_part({{ normalized_email }}, '@', 1), '')
{%- endmacro %}

{# "https://www.Acme.com/about" → "acme.com"; "ACME.COM " → "acme.com". #}
{% macro normalize_domain(column) -%}
    nullif(
        split_part(split_part(
            {{ crm.regex_replace_all("lower(trim(cast(" ~ column ~ " as " ~ dbt.type_string() ~ ")))", '^(https?://)?(www[0-9]?\\.)?', '') }},
            '/', 1), ':', 1),
        ''
    )
{%- endmacro %}

{#
    Phone → its last 10 digits, so "+1 (555) 010-0123", "555.010.0123" and "0015550100123" agree;
    fewer than 7 digits is not a usable phone number.
#}
{% macro normalize_phone(column) -%}
    {%- set digits = crm.regex_replace_all("cast(" ~ column ~ " as " ~ dbt.type_string() ~ ")", '[^0-9]', '') -%}
    case when length({{ digits }}) >= 7 then {{ dbt.right(digits, 10) }} end
{%- endmacro %}

{#
    Person name part → lower case, accents folded, Cyrillic romanised, punctuation and digits removed,
    other scripts kept as they are: " O'Brien-Smith " → "obriensmith", "Zoë" → "zoe", "後藤" → "後藤".
#}
{% macro normalize_name(column) -%}
    {%- set folded = crm.fold_to_ascii("lower(trim(cast(" ~ column ~ " as " ~ dbt.type_string() ~ ")))") -%}
    nullif(trim({{ crm.regex_replace_all(crm.regex_replace_all(folded, crm.non_letter_pattern(), ""), " +", " ") }}), '')
{%- endmacro %}

{#
    Company name → comparable form: lower-case ASCII, no punctuation, no legal-form suffixes or a
    leading "The" ("Müller & Söhne GmbH" → "muller sohne", "ACME, L.L.C." → "acme", "The Acme Group" → "acme").
    Dots are removed before splitting words so that "L.L.C." and "S.p.A." read as "llc" and "spa".
#}
{% macro normalize_company_name(column) -%}
    {%- set folded = crm.fold_to_ascii("lower(trim(cast(" ~ column ~ " as " ~ dbt.type_string() ~ ")))") -%}
    {%- set words = crm.regex_replace_all("replace(" ~ folded ~ ", '.', '')", "[^a-z0-9]+", " ") -%}
    {%- set suffixes = "inc|incorporated|llc|ltd|limited|corp|corporation|co|company|plc|gmbh|ag|sas|sa|sl|srl|spa|bv|nv|ab|sp z oo|ltda|kk|ooo|ao|group|the" -%}
    {%- set without_suffixes = crm.regex_replace_all(words, crm.word_boundary() ~ "(" ~ suffixes ~ ")" ~ crm.word_boundary(), " ") -%}
    nullif(trim({{ crm.regex_replace_all(without_suffixes, " +", " ") }}), '')
{%- endmacro %}

{#
    Organisation name as written, made comparable without losing its legal form: lower-case ASCII, no
    dots or commas, no leading "The" ("The ACME, Inc." → "acme inc"). Different companies often share a
    base name ("Golden Dynamics Corp." and "Golden Dynamics LLC"); the legal form tells them apart.
#}
{% macro normalize_company_name_with_suffix(column) -%}
    {%- set folded = crm.fold_to_ascii("lower(trim(cast(" ~ column ~ " as " ~ dbt.type_string() ~ ")))") -%}
    {%- set words = crm.regex_replace_all("replace(" ~ folded ~ ", '.', '')", "[^a-z0-9]+", " ") -%}
    nullif(trim({{ crm.regex_replace_all(words, "^ *the ", "") }}), '')
{%- endmacro %}

{#
    Two normalised name parts name the same person up to one keyboard slip: equal, or both at least
    four letters long, at most two edits apart (a swap is two) and Jaro-Winkler ≥
    `identity_person_name_similarity`. Short names ("Jo", "Jon") must match exactly.
#}
{% macro similar_name_part(left, right) -%}
    (
        {{ left }} = {{ right }}
        or (
            least(length({{ left }}), length({{ right }})) >= 4
            and {{ crm.edit_distance(left, right) }} <= 2
            and {{ crm.name_similarity(left, right) }} >= {{ var('identity_person_name_similarity') }}
        )
    )
{%- endmacro %}
