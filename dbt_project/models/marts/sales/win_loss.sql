{#
    One row per dimension value and month in which opportunities closed: won and lost counts and amounts
    (USD at the close date), the win rate by count and by amount, the average time to a win, and why
    deals were lost (the most frequent loss reason, and every reason with its count). The month is the
    month the opportunity closed. Dimensions (dimension_type):
      all               every closed opportunity (dimension_value 'All');
      customer_segment  the customer's employee size band (prospects without a band: 'unknown');
      lead_source       where the opportunity came from;
      product_family    the product family it is about (int_opportunities_timed);
      owner             the owning sales user id;
      opportunity_type  New Business, Upgrade or Renewal.
#}
with

opportunities as (

    select * from {{ ref('int_opportunities_timed') }}

),

customers as (

    select * from {{ ref('dim_customer') }}

),

closed as (

    select
        opportunities.opportunity_id,
        cast({{ dbt.date_trunc('month', 'opportunities.closed_date') }} as date) as month_start_date,
        opportunities.is_won,
        opportunities.amount_usd,
        opportunities.loss_reason,
        {{ dbt.datediff('opportunities.created_date', 'opportunities.closed_date', 'day') }} as days_to_close,
        coalesce(customers.size_band, 'unknown') as customer_segment,
        coalesce(opportunities.lead_source, 'Unknown') as lead_source,
        opportunities.product_family,
        coalesce(opportunities.owner_user_id, 'Unknown') as owner_user_id,
        coalesce(opportunities.opportunity_type, 'unknown') as opportunity_type
    from opportunities
    left join customers
        on opportunities.customer_id = customers.customer_id
    where opportunities.is_closed

),

dimensioned as (

    select
        'all' as dimension_type,
        'All' as dimension_value,
        closed.*
    from closed
    union all
    select
        'customer_segment' as dimension_type,
        customer_segment as dimension_value,
        closed.*
    from closed
    union all
    select
        'lead_source' as dimension_type,
        lead_source as dimension_value,
        closed.*
    from closed
    union all
    select
        'product_family' as dimension_type,
        product_family as dimension_value,
        closed.*
    from closed
    union all
    select
        'owner' as dimension_type,
        owner_user_id as dimension_value,
        closed.*
    from closed
    union all
    select
        'opportunity_type' as dimension_type,
        opportunity_type as dimension_value,
        closed.*
    from closed

),

outcomes as (

    select
        dimension_type,
        dimension_value,
        month_start_date,
        count(case when is_won then 1 end) as won_count,
        count(case when not is_won then 1 end) as lost_count,
        sum(case when is_won then amount_usd else 0 end) as won_amount_usd,
        sum(case when not is_won then amount_usd else 0 end) as lost_amount_usd,
        avg(case when is_won then days_to_close end) as average_days_to_win
    from dimensioned
    group by dimension_type, dimension_value, month_start_date

),

loss_reasons_counted as (

    select
        dimension_type,
        dimension_value,
        month_start_date,
        coalesce(loss_reason, 'Not stated') as loss_reason,
        count(*) as lost_count
    from dimensioned
    where not is_won
    group by dimension_type, dimension_value, month_start_date, coalesce(loss_reason, 'Not stated')

),

loss_reasons as (

    select
        dimension_type,
        dimension_value,
        month_start_date,
        max(case when reason_rank = 1 then loss_reason end) as top_loss_reason,
        {{ dbt.listagg(
            dbt.concat(['loss_reason', "': '", 'cast(lost_count as ' ~ dbt.type_string() ~ ')']),
            "'; '",
            'order by lost_count desc, loss_reason'
        ) }} as loss_reasons
    from (
        select
            *,
            row_number() over (
                partition by dimension_type, dimension_value, month_start_date
                order by lost_count desc, loss_reason asc
            ) as reason_rank
        from loss_reasons_counted
    ) as ranked
    group by dimension_type, dimension_value, month_start_date

),

final as (

    select
        {{ dbt.hash(dbt.concat([
            'outcomes.dimension_type', "'|'", 'outcomes.dimension_value', "'|'",
            'cast(outcomes.month_start_date as ' ~ dbt.type_string() ~ ')',
        ])) }} as win_loss_id,
        outcomes.dimension_type,
        outcomes.dimension_value,
        outcomes.month_start_date,
        outcomes.won_count,
        outcomes.lost_count,
        outcomes.won_count + outcomes.lost_count as closed_count,
        cast(outcomes.won_amount_usd as {{ type_money() }}) as won_amount_usd,
        cast(outcomes.lost_amount_usd as {{ type_money() }}) as lost_amount_usd,
        cast(
            1.0 * outcomes.won_count / nullif(outcomes.won_count + outcomes.lost_count, 0) as {{ type_ratio() }}
        ) as win_rate,
        cast(
            outcomes.won_amount_usd / nullif(outcomes.won_amount_usd + outcomes.lost_amount_usd, 0)
            as {{ type_ratio() }}
        ) as amount_win_rate,
        cast(outcomes.average_days_to_win as {{ type_ratio() }}) as average_days_to_win,
        loss_reasons.top_loss_reason,
        loss_reasons.loss_reasons
    from outcomes
    left join loss_reasons
        on outcomes.dimension_type = loss_reasons.dimension_type
        and outcomes.dimension_value = loss_reasons.dimension_value
        and outcomes.month_start_date = loss_reasons.month_start_date

)

select * from final
