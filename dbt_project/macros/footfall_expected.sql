{#
    Helpers of the expected value of an open sensor-hour (docs block `expected_value`).

    footfall_pool_list(pool, days, following=false): the list of the non-null `pool` readings
    of the same sensor, ISO weekday and local hour over the previous (or, with following, the
    next) `days` days, by local date (a RANGE window over local_day_number, so absent days are
    simply not there); null when none. The windows of a query share one sort.
    footfall_median_of(list) and footfall_count_of(list): its median and its length (0 for
    an empty frame).
#}
{% macro footfall_pool_list(pool, days, following=false) -%}
    {%- if following -%}
        {%- set frame = '1 following and ' ~ days ~ ' following' -%}
    {%- else -%}
        {%- set frame = days ~ ' preceding and 1 preceding' -%}
    {%- endif -%}
    list({{ pool }}) filter (where {{ pool }} is not null) over (
        partition by store_id, sensor_id, isodow, local_hour, local_hour_occurrence
        order by local_day_number
        range between {{ frame }}
    )
{%- endmacro %}

{% macro footfall_median_of(list_column) -%}
    list_median({{ list_column }})
{%- endmacro %}

{% macro footfall_count_of(list_column) -%}
    coalesce(len({{ list_column }}), 0)
{%- endmacro %}

{#
    Whether a reported open-hour reading is anomalous against an expected value: below
    `footfall_anomaly_low_pct` or above `footfall_anomaly_high_pct` percent of it. False when
    there is no expected value (nothing to judge against).
#}
{% macro footfall_is_anomalous(visits, expected) -%}
    coalesce(
        {{ visits }} < {{ var('footfall_anomaly_low_pct') }} / 100.0 * {{ expected }}
        or {{ visits }} > {{ var('footfall_anomaly_high_pct') }} / 100.0 * {{ expected }},
        false
    )
{%- endmacro %}
