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
    {{ return(adapter.dispatch('footfall_pool_list', 'footfall')(pool, days, following)) }}
{%- endmacro %}

{% macro footfall_pool_frame(days, following) -%}
    {%- if following -%}
        1 following and {{ days }} following
    {%- else -%}
        {{ days }} preceding and 1 preceding
    {%- endif -%}
{%- endmacro %}

{% macro duckdb__footfall_pool_list(pool, days, following) -%}
    list({{ pool }}) filter (where {{ pool }} is not null) over (
        partition by store_id, sensor_id, isodow, local_hour, local_hour_occurrence
        order by local_day_number
        range between {{ footfall_pool_frame(days, following) }}
    )
{%- endmacro %}

{#- collect_list leaves the nulls out; an empty frame gives an empty list. -#}
{% macro spark__footfall_pool_list(pool, days, following) -%}
    collect_list({{ pool }}) over (
        partition by store_id, sensor_id, isodow, local_hour, local_hour_occurrence
        order by local_day_number
        range between {{ footfall_pool_frame(days, following) }}
    )
{%- endmacro %}

{% macro footfall_median_of(list_column) -%}
    {{ return(adapter.dispatch('footfall_median_of', 'footfall')(list_column)) }}
{%- endmacro %}

{% macro duckdb__footfall_median_of(list_column) -%}
    list_median({{ list_column }})
{%- endmacro %}

{#- The middle item of the sorted list, or the mean of the two middle ones (as list_median). -#}
{% macro spark__footfall_median_of(list_column) -%}
    case
        when size({{ list_column }}) > 0
            then (
                cast(
                    try_element_at(
                        array_sort({{ list_column }}),
                        cast(floor((size({{ list_column }}) + 1) / 2) as int)
                    ) as double
                )
                + cast(
                    try_element_at(
                        array_sort({{ list_column }}),
                        cast(ceil((size({{ list_column }}) + 1) / 2) as int)
                    ) as double
                )
            ) / 2
    end
{%- endmacro %}

{% macro footfall_count_of(list_column) -%}
    {{ return(adapter.dispatch('footfall_count_of', 'footfall')(list_column)) }}
{%- endmacro %}

{% macro duckdb__footfall_count_of(list_column) -%}
    coalesce(len({{ list_column }}), 0)
{%- endmacro %}

{% macro spark__footfall_count_of(list_column) -%}
    coalesce(size({{ list_column }}), 0)
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
