{#
    One row per customer and month with the customer's segment of each segment type (marts.md):
      value tier         by trailing-12-month revenue among that month's customers: top 5% Platinum,
                         next 15% Gold, next 30% Silver, the rest Bronze (ties broken by customer id);
      RFM segment        recency, frequency and monetary quintiles (1–5, 5 best) over the trailing 12
                         months among active customers; recency with the mean of frequency and
                         monetary (rounded half up) named by the rfm_segments seed; customers without
                         an order in the window are Lost;
      lifecycle stage    Churned (not active), New (first order within the last 3 months), Won Back
                         (reactivated within the last 3 months), At Risk, else Active;
      industry × size    the customer's industry and employee size band (golden record).
#}
with

customer_months as (

    select * from {{ ref('int_customer_months_classified') }}

),

customers as (

    select * from {{ ref('int_customers_survived') }}

),

rfm_segments as (

    select * from {{ ref('rfm_segments') }}

),

ranked as (

    select
        customer_months.*,
        row_number() over (
            partition by month_start_date
            order by trailing_12_month_revenue_usd desc, customer_id asc
        ) as revenue_rank,
        count(*) over (partition by month_start_date) as customers_in_month
    from customer_months

),

scored as (

    select
        *,
        case when is_active then ntile(5) over (
                    partition by month_start_date, is_active order by days_since_last_order desc, customer_id asc
                )
        end as recency_score,
        case when is_active then ntile(5) over (
                    partition by month_start_date, is_active order by trailing_12_month_orders, customer_id
                )
        end as frequency_score,
        case when is_active then ntile(5) over (
                    partition by month_start_date, is_active order by trailing_12_month_revenue_usd, customer_id
                )
        end as monetary_score
    from ranked

),

final as (

    select
        scored.customer_id,
        scored.month_start_date,
        scored.month_end_date,
        scored.as_of_date,
        scored.first_order_month,
        scored.revenue_usd,
        scored.qualifying_orders,
        scored.revenue_orders,
        scored.trailing_12_month_revenue_usd,
        scored.trailing_12_month_orders,
        scored.trailing_12_month_revenue_orders,
        scored.lifetime_orders,
        scored.last_order_date,
        scored.days_since_last_order,
        scored.median_days_between_orders,
        scored.tickets_created,
        scored.satisfaction_good,
        scored.satisfaction_bad,
        scored.emails_delivered,
        scored.unique_opens,
        scored.unique_clicks,
        scored.nps_responses,
        scored.nps_promoters,
        scored.nps_detractors,
        scored.is_active,
        scored.was_active_last_month,
        scored.is_new_this_month,
        scored.is_retained_this_month,
        scored.is_churned_this_month,
        scored.is_won_back_this_month,
        scored.is_at_risk,
        case
            when scored.revenue_rank <= 0.05 * scored.customers_in_month then 'Platinum'
            when scored.revenue_rank <= 0.20 * scored.customers_in_month then 'Gold'
            when scored.revenue_rank <= 0.50 * scored.customers_in_month then 'Silver'
            else 'Bronze'
        end as value_tier,
        scored.recency_score,
        scored.frequency_score,
        scored.monetary_score,
        coalesce(rfm_segments.rfm_segment, 'Lost') as rfm_segment,
        case
            when not scored.is_active then 'Churned'
            when {{ dbt.datediff('scored.first_order_month', 'scored.month_start_date', 'month') }} < 3 then 'New'
            when scored.last_won_back_month is not null
                and {{ dbt.datediff('scored.last_won_back_month', 'scored.month_start_date', 'month') }} < 3
                then 'Won Back'
            when scored.is_at_risk then 'At Risk'
            else 'Active'
        end as lifecycle_stage,
        coalesce(customers.industry, 'Unknown') || ' × ' || customers.size_band as industry_size_band
    from scored
    inner join customers
        on scored.customer_id = customers.customer_id
    left join rfm_segments
        on scored.recency_score = rfm_segments.recency_score
        and floor((scored.frequency_score + scored.monetary_score + 1) / 2.0)
        = rfm_segments.frequency_monetary_score

)

select * from final
