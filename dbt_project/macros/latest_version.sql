{#
    The current version of each record in an append-only raw table: raw keeps one row per extracted
    version (and the same version twice when a file is redelivered), so staging keeps, per key, the row
    with the latest change timestamp, ties broken by the latest load. Portable (no QUALIFY).

    {{ latest_version('source', 'id', 'system_modstamp desc') }}
#}
{% macro latest_version(relation, key, order_by) -%}
    select *
    from (
        select
            *,
            row_number() over (
                partition by {{ key }}
                order by {{ order_by }}, _loaded_at desc, _batch_id desc
            ) as version_rank
        from {{ relation }}
    ) as ranked
    where version_rank = 1
{%- endmacro %}
