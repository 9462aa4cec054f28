{#
    The incremental window of a model, one row per store already modelled (docs block
    `incremental_lookback`). A null bound means "model the store's whole history": the
    models `left join` this CTE and keep every row of a store whose bound is null or absent
    (a store seen for the first time), so a store that gained a sensor since the last run is
    recomputed in full too (its new sensor's history would otherwise start at the window).

    footfall_reprocess_from(extra_days, sensors): for hourly models, `reprocess_from_utc` =
    the earlier of the store's last modelled hour minus `footfall_lookback_days` (late or
    corrected readings) and the earliest hour of the store's readings staged since the model
    last ran (its watermark, macros/footfall_watermarks.sql: late data of any age), minus
    `extra_days` (how far back a change can reach through the model's windows). `sensors`
    says how the model counts a store's sensors at its last hour: 'rows' (one row per
    sensor-hour) or 'n_sensors' (a store-level column).

    footfall_reprocess_from_date(extra_days, sensors): the same for daily models,
    `reprocess_from_date`, one day earlier still (a UTC bound of the hourly models falls
    inside a local day).

    The models that call them declare `-- depends_on:` refs of `stg_simulator__sensors` and
    `stg_simulator__sensor_readings`, and record their watermark in hooks:
    pre_hook="{{ footfall_create_watermarks() }}", post_hook="{{ footfall_record_watermark() }}".
    Usage (inside `{% if is_incremental() %}`): reprocess as ({{ footfall_reprocess_from(56) }})
#}
{% macro footfall_reprocess_from(extra_days=0, sensors='rows') -%}
    {{ footfall_reprocess_window('hour_start_utc', extra_days, sensors) }}
{%- endmacro %}

{% macro footfall_reprocess_from_date(extra_days=0, sensors='rows') -%}
    {{ footfall_reprocess_window('local_date', extra_days + 1, sensors) }}
{%- endmacro %}

{% macro footfall_reprocess_window(time_column, days, sensors) -%}
    {%- set n_days = var('footfall_lookback_days') | int + days | int -%}
    {%- if time_column == 'local_date' -%}
        {#- a UTC hour's local date is at most one day after its UTC date: `days` has the +1 -#}
        {%- set bound = 'last_modelled.last_modelled - ' ~ n_days -%}
        {%- set staged_bound = 'staged_since.first_staged_utc::date - ' ~ days -%}
        {%- set bound_name = 'reprocess_from_date' -%}
    {%- else -%}
        {%- set bound = 'last_modelled.last_modelled - to_days(' ~ n_days ~ ')' -%}
        {#- a day more: across a DST change the same local hour is an hour earlier in UTC -#}
        {%- set staged_bound = 'staged_since.first_staged_utc - to_days(' ~ (days + 1) ~ ')' -%}
        {%- set bound_name = 'reprocess_from_utc' -%}
    {%- endif -%}
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
            {{ 'max(this_rows.n_sensors)' if sensors == 'n_sensors'
                else 'count(distinct this_rows.sensor_id)' }} as n_sensors
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
    )

    select
        last_modelled.store_id,
        case
            when coalesce(sensors_now.n_sensors, 0) <= modelled_sensors.n_sensors
                -- least() skips a null: no reading staged since the last run
                then least({{ bound }}, {{ staged_bound }})
        end as {{ bound_name }}
    from last_modelled
    inner join modelled_sensors
        on last_modelled.store_id = modelled_sensors.store_id
    left join sensors_now
        on last_modelled.store_id = sensors_now.store_id
    left join staged_since
        on last_modelled.store_id = staged_since.store_id
{%- endmacro %}

{#
    footfall_reprocess_filter(alias, time_column, history): the filter every incremental
    model puts after a `from` of its input or of its last CTE. In an incremental run it keeps
    the rows of `alias` from the store's reprocess bound on (`reprocess_from_date` for
    `local_date`, `reprocess_from_utc` for `hour_start_utc`), minus `history` (an SQL
    expression such as `28` or `to_days(29)`: how far back the model reads for its windows),
    and every row of a store without a bound (modelled in full); in a full build it renders
    nothing. It needs the `reprocess` CTE of footfall_reprocess_from(_date).
#}
{% macro footfall_reprocess_filter(alias, time_column, history=none) -%}
    {%- if time_column == 'local_date' -%}
        {%- set bound = 'reprocess.reprocess_from_date' -%}
    {%- elif time_column == 'hour_start_utc' -%}
        {%- set bound = 'reprocess.reprocess_from_utc' -%}
    {%- else -%}
        {{ exceptions.raise_compiler_error(
            "footfall_reprocess_filter: time_column must be local_date or hour_start_utc, not "
            ~ time_column) }}
    {%- endif -%}
    {%- if is_incremental() %}
        left join reprocess
            on {{ alias }}.store_id = reprocess.store_id
        where
            {{ bound }} is null
            or {{ alias }}.{{ time_column }} >= {{ bound }}{{ ' - ' ~ history if history }}
    {%- endif %}
{%- endmacro %}
