{#
    The incremental mechanism of footfall, in one place (docs block `incremental_lookback`).

    Every incremental model is configured by its folder in dbt_project.yml (delete+insert on
    its `unique_key`, and the hooks below); a model only says its key and, in `meta`, how far a
    change reaches back through its windows (`footfall_reach`):

    - 'none': a change at hour h changes the model's rows from h on (the hour spine);
    - 'expected_windows': also the hours whose expected value came from the "following 28
      days" fallback of a window that now holds new readings (the classification and what is
      built from it). Those are found in the stored classification: an open sensor-hour whose
      `expected_basis` is `following_28d` or null, at most 56 days (two passes of 28) before
      the change. In a store with a few months of history there are none, so an hourly run
      recomputes the lookback only; in a store's first weeks they reach back to the first
      such hour.

    Before a model runs, its pre-hook (footfall_incremental_pre_hook) works out, per store,
    the first hour (or local date) to recompute and records it in `footfall_changes`
    (footfall_changes.sql) for this invocation; the model reads that record back in its
    `reprocess` CTE (footfall_reprocess_cte), the publisher copies the same store-days into
    the serving snapshot, and the hourly cycle's data tests check those rows only.

    The first hour to recompute for a store is the earlier of its last modelled hour minus
    `footfall_lookback_days` and the earliest hour of the store's readings staged since the
    model last ran (its watermark, footfall_watermarks.sql: late data of any age), a day
    earlier for the latter (across a DST change the same local hour is an hour earlier in
    UTC), then extended back by the model's reach. A store without a bound (seen for the first
    time, or that gained a sensor) is modelled in full.
#}

{#- The time column of an incremental model: the one of its unique key. -#}
{% macro footfall_time_column() -%}
    {%- set key = config.get('unique_key') or [] -%}
    {%- set key = [key] if key is string else key -%}
    {%- for column in ['hour_start_utc', 'local_date', 'reading_start_utc'] -%}
        {%- if column in key -%}{{ return(column) }}{%- endif -%}
    {%- endfor -%}
    {%- if not execute -%}{{ return('hour_start_utc') }}{%- endif -%}
    {{ exceptions.raise_compiler_error(
        "footfall: the unique_key of " ~ this ~ " has no time column (hour_start_utc, "
        ~ "local_date or reading_start_utc): " ~ key) }}
{%- endmacro %}

{#- How far back history must be read for the windows, per kind of window. -#}
{% macro footfall_history_expected_windows() -%}
    {#- two passes of 91 prior days, and a day for a DST change between -#}
    {{ footfall_days(183) }}
{%- endmacro %}

{% macro footfall_history_hourly_trends() -%}
    {#- the same weekday and hour 4 weeks back (28 days), and a day for a DST change -#}
    {{ footfall_days(29) }}
{%- endmacro %}

{% macro footfall_history_daily_trends() -%}
    {#- the same weekday 4 weeks back, in days -#}
    28
{%- endmacro %}

{#- The most a change reaches back through the expected values' fallback windows. -#}
{% macro footfall_fallback_reach_days() -%}56{%- endmacro %}

{#
    footfall_reprocess_bounds(): one row per store already modelled, `store_id` and
    `changed_from` (a timestamp: an hour for hourly models; a local date for daily ones),
    null for a store to model in full. Rendered by the pre-hook, before the model runs.
#}
{% macro footfall_reprocess_bounds() -%}
    {%- set time_column = footfall_time_column() -%}
    {%- set reach = (config.get('meta') or {}).get('footfall_reach', 'none') -%}
    {%- set lookback = var('footfall_lookback_days') | int -%}
    {%- set hourly = time_column != 'local_date' -%}
    {%- set sensors_sql = 'max(this_rows.n_sensors)'
        if 'sensor_id' not in (config.get('unique_key') or []) else
        'count(distinct this_rows.sensor_id)' -%}
    {%- if hourly -%}
        {%- set lookback_bound = 'last_modelled.last_modelled - ' ~ footfall_days(lookback) -%}
        {%- set staged_bound = 'staged_since.first_staged_utc - ' ~ footfall_days(1) -%}
        {%- set fallback_column = 'classified.hour_start_utc' -%}
        {%- set fallback_start = 'base.base_from - '
            ~ footfall_days(footfall_fallback_reach_days()) -%}
        {%- set fallback_end = 'base.base_from' -%}
    {%- else -%}
        {#- a day more: a UTC hour's local date can move a day at a DST change -#}
        {%- set lookback_bound = '(last_modelled.last_modelled - ' ~ (lookback + 1)
            ~ ')::timestamp' -%}
        {%- set staged_bound = '(staged_since.first_staged_utc::date - 1)::timestamp' -%}
        {%- set fallback_column = 'classified.local_date' -%}
        {%- set fallback_start = 'base.base_from::date - ' ~ footfall_fallback_reach_days() -%}
        {%- set fallback_end = 'base.base_from::date' -%}
    {%- endif -%}
    {%- set with_fallback = reach == 'expected_windows' -%}
    with

    last_modelled as (
        select
            store_id,
            max({{ time_column }}) as last_modelled
        from {{ this }}
        group by store_id
    ),

    modelled_sensors as (
        select
            this_rows.store_id,
            {{ sensors_sql }} as n_sensors
        from {{ this }} as this_rows
        inner join last_modelled
            on
                this_rows.store_id = last_modelled.store_id
                and this_rows.{{ time_column }} = last_modelled.last_modelled
        group by this_rows.store_id
    ),

    -- The readings staged since the model last ran, however old their hours.
    staged_since as (
        select
            store_id,
            min(reading_start_utc) as first_staged_utc
        from {{ ref('stg_simulator__sensor_readings') }}
        where
            loaded_at_utc > coalesce(
                {{ footfall_watermark_of_this() }}, timestamp '-infinity'
            )
        group by store_id
    ),

    sensors_now as (
        select
            store_id,
            count(*) as n_sensors
        from {{ ref('stg_simulator__sensors') }}
        group by store_id
    ),

    base as (
        select
            last_modelled.store_id,
            case
                when coalesce(sensors_now.n_sensors, 0) <= modelled_sensors.n_sensors
                    -- least() skips a null: no reading staged since the last run
                    then least({{ lookback_bound }}, {{ staged_bound }})
            end as base_from
        from last_modelled
        inner join modelled_sensors
            on last_modelled.store_id = modelled_sensors.store_id
        left join sensors_now
            on last_modelled.store_id = sensors_now.store_id
        left join staged_since
            on last_modelled.store_id = staged_since.store_id
    ),

    {% if with_fallback %}
    -- Open sensor-hours whose expected value came from a following window (or none), in the
    -- 56 days before the base: a change can reach back to them (reach 'expected_windows').
    fallback as (
        select
            base.store_id,
            min({{ fallback_column }})::timestamp as fallback_from
        from {{ footfall_relation('int_sensor_hours_classified') }} as classified
        inner join base
            on classified.store_id = base.store_id
        where
            classified.is_open_hour
            and (
                classified.expected_basis is null
                or classified.expected_basis = 'following_28d'
            )
            and {{ fallback_column }} >= {{ fallback_start }}
            and {{ fallback_column }} < {{ fallback_end }}
        group by base.store_id
    ),
    {% endif %}

    final as (
        select
            base.store_id,
            {{ footfall_least_of_base_and_fallback() if with_fallback else 'base.base_from' }}
                as changed_from
        from base
        {% if with_fallback %}
            left join fallback
                on base.store_id = fallback.store_id
        {% endif %}
    )

    select * from final
{%- endmacro %}

{#- least() skips a null: no fallback hour before the base -#}
{% macro footfall_least_of_base_and_fallback() -%}
    case when base.base_from is not null then least(base.base_from, fallback.fallback_from) end
{%- endmacro %}

{#
    footfall_reprocess_cte(): the body of a model's `reprocess` CTE in an incremental run: per
    store, the first hour (`reprocess_from_utc`, for hourly models) or local date
    (`reprocess_from_date`, for daily ones) to recompute, as its pre-hook recorded it for this
    invocation.
#}
{% macro footfall_reprocess_cte() -%}
    select
        store_id,
        changed_from as reprocess_from_utc,
        changed_from::date as reprocess_from_date
    from {{ footfall_changes_relation() }}
    where
        model_name = '{{ this.identifier }}'
        and invocation_id = '{{ invocation_id }}'
        and store_id is not null
{%- endmacro %}

{#
    footfall_reprocess_filter(alias, time_column, history): the filter every incremental
    model puts after a `from` of its input or of its last CTE. In an incremental run it keeps
    the rows of `alias` from the store's reprocess bound on (`reprocess_from_date` for
    `local_date`, `reprocess_from_utc` for `hour_start_utc` or `reading_start_utc`), minus
    `history` (an SQL
    expression, one of the footfall_history_* macros: how far back the model reads for its
    windows), and every row of a store without a bound (modelled in full); in a full build it
    renders nothing. It needs the `reprocess` CTE (footfall_reprocess_cte).
#}
{% macro footfall_reprocess_filter(alias, time_column, history=none) -%}
    {%- if time_column == 'local_date' -%}
        {%- set bound = 'reprocess.reprocess_from_date' -%}
    {%- elif time_column in ['hour_start_utc', 'reading_start_utc'] -%}
        {%- set bound = 'reprocess.reprocess_from_utc' -%}
    {%- else -%}
        {{ exceptions.raise_compiler_error(
            "footfall_reprocess_filter: time_column must be local_date, hour_start_utc or "
            ~ "reading_start_utc, not " ~ time_column) }}
    {%- endif -%}
    {%- if is_incremental() %}
        left join reprocess
            on {{ alias }}.store_id = reprocess.store_id
        where
            {{ bound }} is null
            or {{ alias }}.{{ time_column }} >= {{ bound }}{{ ' - ' ~ history if history }}
    {%- endif %}
{%- endmacro %}
