-- Local days have 24 hours, 23 or 25 at DST changes: every full local day of
-- fct_store_traffic_daily has as many hours as the store's time zone gives it. A store's
-- first and last modelled days may be partial (the load ends mid-day) and are skipped.
-- Returns the days whose hour count is wrong.
-- In the hourly cycle's test scope, only the rows its build recomputed (footfall_in_scope).
with

store_days as (
    select * from {{ ref('fct_store_traffic_daily') }}
),

stores as (
    select * from {{ ref('dim_stores') }}
),

bounds as (
    select
        store_id,
        min(local_date) as first_local_date,
        max(local_date) as last_local_date
    from store_days
    group by store_id
),

expected as (
    select
        store_days.store_id,
        store_days.local_date,
        store_days.n_hours,
        -- hours between this local midnight and the next, in the store's time zone
        (
            {{ footfall_epoch_seconds(footfall_local_to_utc(
                '(store_days.local_date + 1)::timestamp', 'stores.timezone'
            )) }}
            - {{ footfall_epoch_seconds(footfall_local_to_utc(
                'store_days.local_date::timestamp', 'stores.timezone'
            )) }}
        ) / 3600 as n_hours_expected
    from store_days
    inner join stores
        on store_days.store_id = stores.store_id
    inner join bounds
        on
            store_days.store_id = bounds.store_id
            and store_days.local_date > bounds.first_local_date
            and store_days.local_date < bounds.last_local_date
    where {{ footfall_in_scope('fct_store_traffic_daily', alias='store_days') }}
),

final as (
    select *
    from expected
    where n_hours != n_hours_expected
)

select * from final
