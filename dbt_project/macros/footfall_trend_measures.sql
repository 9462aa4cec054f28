{#
    The weekday-trend measures of a traffic series (docs: moving_average_4w, week_over_week,
    deviation_from_ma), by date and in one window pass.

    footfall_trend_lags(value): `value` and `local_day_number` of the four previous rows of
    the series (`lag_1_value`, `lag_1_day`, ... `lag_4_*`), over the window
    `same_slot_by_date` that footfall_trend_window(partition_by) declares: partitioned by
    `partition_by` (a list of columns that must include the ISO weekday, and for hourly
    series the local hour and its occurrence) and ordered by `local_day_number`.
    Each partition holds one row per date, so the previous rows are earlier same weekdays;
    which of them fall in a frame is decided by their date, not their position, so absent
    days are left out.

    footfall_trend_measures(value): from those columns, `visits_clean_ma_4w` and
    `n_ma_4w_points` (d, d-7, d-14, d-21), `visits_clean_prev_week` (d-7), `ma_4w_prev_week`
    (the moving average of day d-7, null when that day is absent).

    footfall_pct_change(value, base): 100 * (value - base) / base, null when base is 0 or
    null: the week-over-week changes and the deviation from the moving average.
#}
{% macro footfall_trend_lags(value) -%}
    lag({{ value }}, 1) over same_slot_by_date as lag_1_value,
    lag(local_day_number, 1) over same_slot_by_date as lag_1_day,
    lag({{ value }}, 2) over same_slot_by_date as lag_2_value,
    lag(local_day_number, 2) over same_slot_by_date as lag_2_day,
    lag({{ value }}, 3) over same_slot_by_date as lag_3_value,
    lag(local_day_number, 3) over same_slot_by_date as lag_3_day,
    lag({{ value }}, 4) over same_slot_by_date as lag_4_value,
    lag(local_day_number, 4) over same_slot_by_date as lag_4_day
{%- endmacro %}

{% macro footfall_trend_window(partition_by) -%}
    window same_slot_by_date as (
        partition by {{ partition_by | join(', ') }}
        order by local_day_number
    )
{%- endmacro %}

{% macro footfall_lag_within(k, days) -%}
    case when lag_{{ k }}_day >= local_day_number - {{ days }} then lag_{{ k }}_value end
{%- endmacro %}

{% macro footfall_ma_points(value) -%}
    {{ footfall_list([
        value,
        footfall_lag_within(1, 21),
        footfall_lag_within(2, 21),
        footfall_lag_within(3, 21),
    ]) }}
{%- endmacro %}

{% macro footfall_ma_prev_week_points() -%}
    {{ footfall_list([
        'lag_1_value',
        footfall_lag_within(2, 28),
        footfall_lag_within(3, 28),
        footfall_lag_within(4, 28),
    ]) }}
{%- endmacro %}

{% macro footfall_trend_measures(value) -%}
    {{ footfall_list_avg(footfall_ma_points(value)) }}::double as visits_clean_ma_4w,
    {{ footfall_list_count(footfall_ma_points(value)) }}::integer as n_ma_4w_points,
    (case when lag_1_day = local_day_number - 7 then lag_1_value end)::double
        as visits_clean_prev_week,
    (
        case
            when lag_1_day = local_day_number - 7
                then {{ footfall_list_avg(footfall_ma_prev_week_points()) }}
        end
    )::double as ma_4w_prev_week
{%- endmacro %}

{% macro footfall_pct_change(value, base) -%}
    100.0 * ({{ value }} - {{ base }}) / nullif({{ base }}, 0)
{%- endmacro %}
