{#
    One row per churn episode of a customer (marts.md: churned = active last month, not active this
    month; won back = churned, then active again): when the customer churned, the win-back campaign
    emails their people received after the churn (until the reactivation, or the data clock), and
    whether, when and with what revenue they came back.
      churn date           the first day of the month the customer stopped being active;
      win-back touches     emails of campaigns of type win_back sent to the customer's people after the
                           churn date and before the reactivation: sends, unique opens and clicks, the
                           first send;
      reactivation         the month won back, the first qualifying order of that month, and the revenue
                           from the reactivation month to the data clock (USD); days from churn to
                           reactivation; whether a win-back email came before it.
#}
with

churn_episodes as (

    select * from {{ ref('int_churn_episodes_sequenced') }}

),

customer_months as (

    select * from {{ ref('int_customer_months_classified') }}

),

email_events as (

    select * from {{ ref('fct_email_events') }}

),

campaigns as (

    select * from {{ ref('int_campaigns_costed') }}

),

person_clusters as (

    select * from {{ ref('int_person_records_clustered') }}

),

persons as (

    select * from {{ ref('int_persons_survived') }}

),

clock as (

    select max(as_of_date) as as_of_date from customer_months

),

-- distinct: the counts below ignore duplicates anyway, and grouping here stops DuckDB from joining the
-- churn episodes to every email on the date range alone (a plan of 400M rows; issue 9)
win_back_emails as (

    select distinct
        persons.customer_id,
        email_events.campaign_id,
        email_events.marketing_contact_id,
        email_events.email_event_type,
        email_events.occurred_at
    from email_events
    inner join campaigns
        on email_events.campaign_id = campaigns.campaign_id
    inner join person_clusters
        on person_clusters.record_key = 'marketing:contacts:' || email_events.marketing_contact_id
    inner join persons
        on person_clusters.person_id = persons.person_id
    where campaigns.campaign_type = 'win_back'
        and persons.customer_id is not null
        and email_events.email_event_type in ('SENT', 'OPEN', 'CLICK')

),

episode_touches as (

    select
        churn_episodes.churn_episode_id,
        count(distinct case when win_back_emails.email_event_type = 'SENT' then
                win_back_emails.campaign_id || '|' || win_back_emails.marketing_contact_id
        end)
            as win_back_emails_sent,
        count(distinct case when win_back_emails.email_event_type = 'OPEN' then
                win_back_emails.campaign_id || '|' || win_back_emails.marketing_contact_id
        end)
            as win_back_emails_opened,
        count(distinct case when win_back_emails.email_event_type = 'CLICK' then
                win_back_emails.campaign_id || '|' || win_back_emails.marketing_contact_id
        end)
            as win_back_emails_clicked,
        count(distinct win_back_emails.campaign_id) as win_back_campaigns,
        min(case when win_back_emails.email_event_type = 'SENT' then win_back_emails.occurred_at end)
            as first_win_back_sent_at
    from churn_episodes
    inner join win_back_emails
        on churn_episodes.customer_id = win_back_emails.customer_id
        and win_back_emails.occurred_at >= cast(churn_episodes.churned_month as {{ dbt.type_timestamp() }})
        and (
            churn_episodes.reactivation_date is null
            or win_back_emails.occurred_at < cast(churn_episodes.reactivation_date as {{ dbt.type_timestamp() }})
        )
    group by churn_episodes.churn_episode_id

),

reactivation_revenue as (

    select
        churn_episodes.churn_episode_id,
        sum(customer_months.revenue_usd) as revenue_since_reactivation_usd,
        sum(case when customer_months.month_start_date = churn_episodes.won_back_month
                then customer_months.revenue_usd
            else 0
        end) as reactivation_month_revenue_usd
    from churn_episodes
    inner join customer_months
        on churn_episodes.customer_id = customer_months.customer_id
        and churn_episodes.won_back_month <= customer_months.month_start_date
    group by churn_episodes.churn_episode_id

),

final as (

    select
        churn_episodes.churn_episode_id,
        churn_episodes.customer_id,
        churn_episodes.churned_month,
        churn_episodes.churned_month as churn_date,
        churn_episodes.last_order_date_before_churn,
        coalesce(episode_touches.win_back_campaigns, 0) as win_back_campaigns,
        coalesce(episode_touches.win_back_emails_sent, 0) as win_back_emails_sent,
        coalesce(episode_touches.win_back_emails_opened, 0) as win_back_emails_opened,
        coalesce(episode_touches.win_back_emails_clicked, 0) as win_back_emails_clicked,
        episode_touches.first_win_back_sent_at,
        churn_episodes.is_won_back,
        churn_episodes.won_back_month,
        churn_episodes.reactivation_date,
        {{ dbt.datediff('churn_episodes.churned_month', 'churn_episodes.reactivation_date', 'day') }}
            as days_to_reactivation,
        coalesce(episode_touches.first_win_back_sent_at is not null and churn_episodes.is_won_back, false)
            as is_reactivated_after_win_back_email,
        cast(reactivation_revenue.reactivation_month_revenue_usd as {{ type_money() }})
            as reactivation_month_revenue_usd,
        cast(reactivation_revenue.revenue_since_reactivation_usd as {{ type_money() }})
            as revenue_since_reactivation_usd,
        clock.as_of_date
    from churn_episodes
    cross join clock
    left join episode_touches
        on churn_episodes.churn_episode_id = episode_touches.churn_episode_id
    left join reactivation_revenue
        on churn_episodes.churn_episode_id = reactivation_revenue.churn_episode_id

)

select * from final
