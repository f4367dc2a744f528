{#
    Each organisation record with the customer it belongs to: the connected components of the
    organisation links. The customer key is a hash of the component's smallest record key, so it stays
    the same from run to run while the component keeps that record.
#}
with

organization_records as (

    select * from {{ ref('int_organization_records_unioned') }}

),

organization_links as (

    select * from {{ ref('int_organization_links_matched') }}

),

components as (

    {{ connected_components('organization_records', 'record_key', 'organization_links',
        'left_record_key', 'right_record_key') }}

),

final as (

    select
        components.node_key as record_key,
        {{ dbt.hash('components.component_key') }} as customer_id,
        components.component_key as anchor_record_key
    from components

)

select * from final
