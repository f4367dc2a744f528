{# One row per NPS survey response, with the person and customer identity resolution found for it. #}
with

nps_responses as (

    select * from {{ ref('stg_marketing__nps_responses') }}

),

person_clusters as (

    select * from {{ ref('int_person_records_clustered') }}

),

persons as (

    select * from {{ ref('int_persons_survived') }}

),

final as (

    select
        nps_responses.nps_response_id,
        person_clusters.person_id,
        persons.customer_id,
        nps_responses.survey_name,
        nps_responses.nps_score,
        case
            when nps_responses.nps_score >= 9 then 'promoter'
            when nps_responses.nps_score >= 7 then 'passive'
            when nps_responses.nps_score >= 0 then 'detractor'
        end as nps_category,
        nps_responses.nps_comment,
        nps_responses.submitted_at,
        cast(nps_responses.submitted_at as date) as submitted_date
    from nps_responses
    left join person_clusters
        on person_clusters.record_key = 'marketing:nps_responses:' || nps_responses.nps_response_id
    left join persons
        on person_clusters.person_id = persons.person_id

)

select * from final
