{#
    One row per churn episode (customer × month in which the customer churned — marts.md: active last
    month, not active this month), with its last qualifying order before the churn and, when the
    customer came back, the month it was won back (the first month active again after this churn) and
    the order that reactivated it. A customer can churn, come back and churn again: each churn is its
    own episode, and a win-back belongs to the latest churn before it.
#}
with

customer_months as (

    select * from {{ ref('int_customer_months_classified') }}

),

orders as (

    select * from {{ ref('int_orders_attributed_to_customers') }}

),

churns as (

    select
        customer_id,
        month_start_date as churned_month,
        last_order_date as last_order_date_before_churn
    from customer_months
    where is_churned_this_month

),

win_backs as (

    select
        customer_id,
        month_start_date as won_back_month,
        last_qualifying_order_date
    from customer_months
    where is_won_back_this_month

),

sequenced as (

    select
        churns.customer_id,
        churns.churned_month,
        churns.last_order_date_before_churn,
        lead(churns.churned_month) over (partition by churns.customer_id order by churns.churned_month)
            as next_churned_month
    from churns

),

first_orders_of_month as (

    select
        orders.customer_id,
        orders.effective_month,
        min(orders.effective_date) as first_order_date
    from orders
    where orders.is_qualifying_order
    group by orders.customer_id, orders.effective_month

),

final as (

    select
        {{ dbt.hash(dbt.concat([
            'sequenced.customer_id', "'|'", 'cast(sequenced.churned_month as ' ~ dbt.type_string() ~ ')'
        ])) }} as churn_episode_id,
        sequenced.customer_id,
        sequenced.churned_month,
        sequenced.last_order_date_before_churn,
        win_backs.won_back_month,
        first_orders_of_month.first_order_date as reactivation_date,
        win_backs.won_back_month is not null as is_won_back
    from sequenced
    left join win_backs
        on sequenced.customer_id = win_backs.customer_id
        and sequenced.churned_month < win_backs.won_back_month
        and (sequenced.next_churned_month > win_backs.won_back_month or sequenced.next_churned_month is null)
    left join first_orders_of_month
        on win_backs.customer_id = first_orders_of_month.customer_id
        and win_backs.won_back_month = first_orders_of_month.effective_month

)

select * from final
