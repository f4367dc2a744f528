{#
    Each person record with the person it belongs to: the connected components of the person links.
    The person key is a hash of the component's smallest record key. Test records stay apart: they
    take part in no link, so each is its own (test) person.
#}
with

person_records as (

    select * from {{ ref('int_person_records_normalized') }}

),

person_links as (

    select * from {{ ref('int_person_links_matched') }}

),

components as (

    {{ connected_components('person_records', 'record_key', 'person_links',
        'left_record_key', 'right_record_key') }}

),

final as (

    select
        components.node_key as record_key,
        {{ dbt.hash('components.component_key') }} as person_id,
        components.component_key as anchor_record_key
    from components

)

select * from final
