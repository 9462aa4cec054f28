{{
    config(
        unique_key=['store_id', 'sensor_id', 'hour_start_utc'],
        meta={'footfall_reach': 'expected_windows'},
    )
}}
-- depends_on: {{ ref('stg_simulator__sensors') }}
-- depends_on: {{ ref('stg_simulator__sensor_readings') }}
-- Every sensor-hour classified ok / failed / anomalous / closed / missing against its
-- expected value, with its cleaned visits (docs: statuses, expected_value, cleaning_rule).
--
-- The expected value is a median of the sensor's ok readings at the same local weekday and
-- hour, which needs to know which readings are ok: a first pass classifies against the
-- median of all reported open-hour readings over the previous 91 days (robust to the
-- anomalies it contains), a second pass against the median of the first pass's ok readings
-- over the previous 28 days (then 91 days; then the following 28 days when too few, as in a
-- store's first weeks). The windows are lists of the pool readings (one sort per pass).
--
-- Incremental (docs: incremental_lookback): a new or late reading changes the expected values
-- after it, and those before it that came from the "following 28 days" fallback (at most 56
-- days back, two passes); a run recomputes from there, reading the history the windows need
-- (footfall_history_expected_windows).
{% set min_points = var('footfall_expected_min_points') %}
with

{% if is_incremental() %}
    reprocess as (
        {{ footfall_reprocess_cte() }}
    ),
{% endif %}

sensor_hours as (
    select sensor_hours.*
    from {{ ref('int_sensor_hours') }} as sensor_hours
    {{ footfall_reprocess_filter(
        'sensor_hours', 'hour_start_utc', footfall_history_expected_windows()
    ) }}
),

-- Pass 1 pool: every reported reading of an open hour.
open_hours as (
    select
        *,
        case when reading_status = 'reported' then visits_raw end as pool_1_visits
    from sensor_hours
    where is_open_hour
),

pass_1_pools as (
    select
        *,
        {{ footfall_pool_list('pool_1_visits', 91) }} as pool_1_prior_91d,
        {{ footfall_pool_list('pool_1_visits', 28, following=true) }} as pool_1_following_28d
    from open_hours
),

pass_1 as (
    select
        {{ footfall_star_except([
            'pool_1_visits', 'pool_1_prior_91d', 'pool_1_following_28d'
        ]) }},
        case
            when {{ footfall_count_of('pool_1_prior_91d') }} >= {{ min_points }}
                then {{ footfall_median_of('pool_1_prior_91d') }}
            when {{ footfall_count_of('pool_1_following_28d') }} >= {{ min_points }}
                then {{ footfall_median_of('pool_1_following_28d') }}
        end as visits_expected_pass_1
    from pass_1_pools
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

pass_2_pools as (
    select
        *,
        {{ footfall_pool_list('pool_2_visits', 28) }} as pool_2_prior_28d,
        {{ footfall_pool_list('pool_2_visits', 91) }} as pool_2_prior_91d,
        {{ footfall_pool_list('pool_2_visits', 28, following=true) }} as pool_2_following_28d
    from pass_1_classified
),

pass_2 as (
    select
        *,
        case
            when {{ footfall_count_of('pool_2_prior_28d') }} >= {{ min_points }}
                then 'prior_28d'
            when {{ footfall_count_of('pool_2_prior_91d') }} >= {{ min_points }}
                then 'prior_91d'
            when {{ footfall_count_of('pool_2_following_28d') }} >= {{ min_points }}
                then 'following_28d'
        end as expected_basis
    from pass_2_pools
),

open_hours_expected as (
    select
        {{ footfall_star_except([
            'pool_2_prior_28d', 'pool_2_prior_91d', 'pool_2_following_28d'
        ]) }},
        case expected_basis
            when 'prior_28d' then {{ footfall_median_of('pool_2_prior_28d') }}
            when 'prior_91d' then {{ footfall_median_of('pool_2_prior_91d') }}
            when 'following_28d' then {{ footfall_median_of('pool_2_following_28d') }}
        end::double as visits_expected
    from pass_2
),

open_hours_classified as (
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
        case
            when reading_status = 'missing' then 'missing'
            when reading_status = 'failed' then 'failed'
            when {{ footfall_is_anomalous('visits_raw', 'visits_expected') }} then 'anomalous'
            else 'ok'
        end as status,
        visits_reported,
        visits_raw,
        visits_expected,
        expected_basis
    from open_hours_expected
),

-- Closed hours expect 0 and need no window.
closed_hours_classified as (
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
        case
            when reading_status = 'missing' then 'missing'
            when reading_status = 'failed' then 'failed'
            else 'closed'
        end as status,
        visits_reported,
        visits_raw,
        0::double as visits_expected,
        null::string as expected_basis
    from sensor_hours
    where not is_open_hour
),

classified as (
    select * from open_hours_classified
    union all
    select * from closed_hours_classified
),

final as (
    select
        classified.store_id,
        classified.sensor_id,
        classified.hour_start_utc,
        classified.hour_start_local,
        classified.local_date,
        classified.local_day_number,
        classified.local_hour,
        classified.local_hour_occurrence,
        classified.isodow,
        classified.is_open_hour,
        classified.status,
        classified.visits_reported,
        classified.visits_raw,
        classified.visits_expected,
        classified.expected_basis,
        -- the cleaning rule: closed hours 0; failed, anomalous, missing open hours the
        -- expected value; ok hours the reading
        case
            when not classified.is_open_hour then 0
            when classified.status = 'ok' then classified.visits_raw
            else classified.visits_expected
        end::double as visits_clean
    from classified
    {{ footfall_reprocess_filter('classified', 'hour_start_utc') }}
)

select * from final
