{#
    Survivorship: the value of one golden-record attribute, chosen among the entity's source records by
    the stated rule — source priority first (1 wins), then recency (latest `updated_at`), then frequency
    (the value most records agree on), then the value itself so that ties are deterministic. Nulls never
    win. Returns a select of (entity_key, attribute).

    {{ survive('person_records', 'person_id', 'first_name') }}
#}
{% macro survive(relation, entity_key, attribute, priority_column='source_priority',
                 recency_column='updated_at') -%}
    select
        {{ entity_key }},
        {{ attribute }}
    from (
        select
            {{ entity_key }},
            {{ attribute }},
            row_number() over (
                partition by {{ entity_key }}
                order by
                    {{ priority_column }},
                    {{ recency_column }} desc nulls last,
                    value_frequency desc,
                    {{ attribute }}
            ) as survivor_rank
        from (
            select
                {{ entity_key }},
                {{ attribute }},
                {{ priority_column }},
                {{ recency_column }},
                count(*) over (partition by {{ entity_key }}, {{ attribute }}) as value_frequency
            from {{ relation }}
            where {{ attribute }} is not null
        ) as candidates
    ) as ranked
    where survivor_rank = 1
{%- endmacro %}
