{{
    config(
        materialized='incremental',
        incremental_strategy='delete+insert',
        unique_key=['store_id', 'sensor_id', 'hour_start_utc'],
        on_schema_change='fail',
    )
}}
-- Every sensor-hour classified ok / failed / anomalous / closed / missing against its
-- expected value, with its cleaned visits (docs: statuses, expected_value, cleaning_rule).
--
-- The expected value is a median of the sensor's ok readings at the same local weekday and
-- hour, which needs to know which readings are ok: a first pass classifies against the
-- median of all reported open-hour readings over the previous 91 days (robust to the
-- anomalies it contains), a second pass against the median of the first pass's ok readings
-- over the previous 28 days (then 91 days, then the following 28 days when too few).
--
-- Incremental: a new or late reading can change expected values up to 56 days before it
-- (the "following 28 days" fallback of two passes), so a run recomputes the last
-- lookback + 56 days of each store, reading 182 more days of history for the windows.
with

{% set windows_pass_1 = ['prior_91d', 'following_28d'] %}
{% set windows_pass_2 = ['prior_28d', 'prior_91d', 'following_28d'] %}

{% if is_incremental() %}
    reprocess as (
        {{ footfall_reprocess_from(56) }}
    ),
{% endif %}

sensor_hours as (
    select sensor_hours.*
    from {{ ref('int_sensor_hours') }} as sensor_hours
    {% if is_incremental() %}
        left join reprocess
            on sensor_hours.store_id = reprocess.store_id
        where
            reprocess.reprocess_from_utc is null
            or sensor_hours.hour_start_utc >= reprocess.reprocess_from_utc - to_days(182)
    {% endif %}
),

-- Pass 1 pool: every reported reading of an open hour.
open_hours as (
    select
        *,
        case when reading_status = 'reported' then visits_raw end as pool_1_visits
    from sensor_hours
    where is_open_hour
),

pass_1 as (
    select
        *,
        {{ footfall_expected('pool_1_visits', windows_pass_1) }} as visits_expected_pass_1
    from open_hours
    window
        prior_91d as (
            partition by store_id, sensor_id, isodow, local_hour
            order by local_day_number
            range between 91 preceding and 1 preceding
        ),
        following_28d as (
            partition by store_id, sensor_id, isodow, local_hour
            order by local_day_number
            range between 1 following and 28 following
        )
),

-- Pass 2 pool: the readings the first pass found ok.
pass_1_classified as (
    select
        *,
        case
            when
                reading_status = 'reported'
                and not {{ footfall_is_anomalous('visits_raw', 'visits_expected_pass_1') }}
                then visits_raw
        end as pool_2_visits
    from pass_1
),

pass_2 as (
    select
        *,
        {{ footfall_expected('pool_2_visits', windows_pass_2) }} as visits_expected,
        {{ footfall_expected_basis('pool_2_visits', windows_pass_2) }} as expected_basis
    from pass_1_classified
    window
        prior_28d as (
            partition by store_id, sensor_id, isodow, local_hour
            order by local_day_number
            range between 28 preceding and 1 preceding
        ),
        prior_91d as (
            partition by store_id, sensor_id, isodow, local_hour
            order by local_day_number
            range between 91 preceding and 1 preceding
        ),
        following_28d as (
            partition by store_id, sensor_id, isodow, local_hour
            order by local_day_number
            range between 1 following and 28 following
        )
),

open_hours_expected as (
    select
        store_id,
        sensor_id,
        hour_start_utc,
        visits_expected,
        expected_basis
    from pass_2
),

classified as (
    select
        sensor_hours.store_id,
        sensor_hours.sensor_id,
        sensor_hours.hour_start_utc,
        sensor_hours.hour_start_local,
        sensor_hours.local_date,
        sensor_hours.local_day_number,
        sensor_hours.local_hour,
        sensor_hours.local_hour_occurrence,
        sensor_hours.isodow,
        sensor_hours.is_open_hour,
        sensor_hours.reading_status,
        sensor_hours.visits_reported,
        sensor_hours.visits_raw,
        case
            when sensor_hours.is_open_hour then open_hours_expected.visits_expected
            else 0
        end::double as visits_expected,
        open_hours_expected.expected_basis,
        case
            when sensor_hours.reading_status = 'missing' then 'missing'
            when sensor_hours.reading_status = 'failed' then 'failed'
            when not sensor_hours.is_open_hour then 'closed'
            when
                {{ footfall_is_anomalous(
                    'sensor_hours.visits_raw', 'open_hours_expected.visits_expected'
                ) }}
                then 'anomalous'
            else 'ok'
        end as status
    from sensor_hours
    left join open_hours_expected
        on
            sensor_hours.store_id = open_hours_expected.store_id
            and sensor_hours.sensor_id = open_hours_expected.sensor_id
            and sensor_hours.hour_start_utc = open_hours_expected.hour_start_utc
    {% if is_incremental() %}
        left join reprocess
            on sensor_hours.store_id = reprocess.store_id
        where
            reprocess.reprocess_from_utc is null
            or sensor_hours.hour_start_utc >= reprocess.reprocess_from_utc
    {% endif %}
),

final as (
    select
        store_id,
        sensor_id,
        hour_start_utc,
        hour_start_local,
        local_date,
        local_day_number,
        local_hour,
        local_hour_occurrence,
        isodow,
        is_open_hour,
        status,
        visits_reported,
        visits_raw,
        visits_expected,
        expected_basis,
        -- the cleaning rule: closed hours 0; failed, anomalous, missing open hours the
        -- expected value; ok hours the reading
        case
            when not is_open_hour then 0
            when status = 'ok' then visits_raw
            else visits_expected
        end::double as visits_clean
    from classified
)

select * from final
