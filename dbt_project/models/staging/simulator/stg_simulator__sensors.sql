-- One row per door sensor: the latest load's description of it.
with

source as (
    select * from {{ source('simulator', 'sensors') }}
),

latest as (
    select *
    from source
    qualify row_number() over (
        partition by store_id, sensor_id
        order by _loaded_at desc
    ) = 1
),

final as (
    select
        store_id::string as store_id,
        sensor_id::integer as sensor_id,
        name::string as sensor_name,
        _loaded_at::timestamp as loaded_at_utc
    from latest
)

select * from final
