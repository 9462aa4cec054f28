{#
    The weekday-trend measures of a traffic series (docs: moving_average_4w, week_over_week,
    deviation_from_ma): three macros, because the week-over-week change of the moving average
    needs the moving average of the row a week earlier, a second window over the first.

    footfall_trend_windows(value, partition_by): the 4-week same-weekday moving average of
    `value` and its point count, and `value` a week earlier, over windows partitioned by
    `partition_by` (a list of columns that must include the ISO weekday, and for hourly series
    the local hour and its occurrence) and ordered by `local_day_number`, with RANGE frames:
    by date, not by row, so absent days are left out.

    footfall_ma_prev_week(partition_by): the moving average of the same series a week earlier.

    footfall_pct_change(value, base): 100 * (value - base) / base, null when base is 0 or null.
#}
{% macro footfall_trend_windows(value, partition_by) -%}
    avg({{ value }}) over (
        partition by {{ partition_by | join(', ') }}
        order by local_day_number
        range between 21 preceding and current row
    ) as visits_clean_ma_4w,
    count({{ value }}) over (
        partition by {{ partition_by | join(', ') }}
        order by local_day_number
        range between 21 preceding and current row
    )::integer as n_ma_4w_points,
    max({{ value }}) over (
        partition by {{ partition_by | join(', ') }}
        order by local_day_number
        range between 7 preceding and 7 preceding
    ) as visits_clean_prev_week
{%- endmacro %}

{% macro footfall_ma_prev_week(partition_by) -%}
    max(visits_clean_ma_4w) over (
        partition by {{ partition_by | join(', ') }}
        order by local_day_number
        range between 7 preceding and 7 preceding
    ) as ma_4w_prev_week
{%- endmacro %}

{% macro footfall_pct_change(value, base) -%}
    100.0 * ({{ value }} - {{ base }}) / nullif({{ base }}, 0)
{%- endmacro %}
