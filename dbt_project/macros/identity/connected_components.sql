{#
    Connected components of an undirected graph, as a select of (node_key, component_key) where the
    component key is the smallest node key reachable. A recursive CTE (ANSI, DuckDB and PostgreSQL)
    walks the edges in both directions; UNION (not UNION ALL) stops it on cycles. Every node of
    `nodes_relation` appears, linked or not.

    Cost: each node is paired with every node of its component, so it suits the small components of
    identity resolution (a person's handful of records), which the identifier caps keep small.
#}
{% macro connected_components(nodes_relation, node_column, edges_relation, left_column, right_column) -%}
    with recursive

    undirected_edges as (

        select {{ left_column }} as from_key, {{ right_column }} as to_key from {{ edges_relation }}
        union
        select {{ right_column }} as from_key, {{ left_column }} as to_key from {{ edges_relation }}

    ),

    reachable (node_key, reached_key) as (

        select {{ node_column }}, {{ node_column }} from {{ nodes_relation }}
        union
        select reachable.node_key, undirected_edges.to_key
        from reachable
        inner join undirected_edges
            on reachable.reached_key = undirected_edges.from_key

    )

    select
        node_key,
        min(reached_key) as component_key
    from reachable
    group by node_key
{%- endmacro %}
