-- One row per store: its description and opening hours.
with

stores as (
    select * from {{ ref('stg_simulator__stores') }}
),

final as (
    select
        store_id,
        store_name,
        city,
        country,
        timezone,
        opened_on,
        n_sensors,
        open_hour_local,
        close_hour_local,
        closed_isodow
    from stores
)

select * from final
