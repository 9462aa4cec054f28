-- One row per store: the latest load's description of it, typed and renamed.
with

source as (
    select * from {{ source('simulator', 'stores') }}
),

latest as (
    select *
    from source
    qualify row_number() over (partition by store_id order by _loaded_at desc) = 1
),

final as (
    select
        store_id::string as store_id,
        name::string as store_name,
        city::string as city,
        country::string as country,
        timezone::string as timezone,
        opened_on::date as opened_on,
        n_sensors::integer as n_sensors,
        open_hour_local::integer as open_hour_local,
        close_hour_local::integer as close_hour_local,
        closed_isodow::{{ footfall_type_int_list() }} as closed_isodow,
        mean_visits::double as mean_visits,
        std_visits::double as std_visits,
        p_anomaly::double as p_anomaly,
        p_failure::double as p_failure,
        _loaded_at::timestamp as loaded_at_utc
    from latest
)

select * from final
