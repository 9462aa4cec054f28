{#
    Expected value of an open sensor-hour from a pool of readings (a column that is null for
    readings outside the pool), by the fallback rule of the `expected_value` docs block: the
    median of the pool over the first window (in the order given) holding at least
    `footfall_expected_min_points` pool readings. `windows` are named windows of the query
    (partitioned by sensor, ISO weekday and local hour, ordered by local day number) and the
    result is a `case` expression; `footfall_expected_basis` gives the name of the window used.
    Usage: {{ footfall_expected('pool_visits', ['prior_28d', 'prior_91d', 'following_28d']) }}
#}
{% macro footfall_expected(pool, windows) -%}
    {%- set min_points = var('footfall_expected_min_points') -%}
    case
    {%- for w in windows %}
        when count({{ pool }}) over {{ w }} >= {{ min_points }}
            then median({{ pool }}) over {{ w }}
    {%- endfor %}
    end
{%- endmacro %}

{% macro footfall_expected_basis(pool, windows) -%}
    {%- set min_points = var('footfall_expected_min_points') -%}
    case
    {%- for w in windows %}
        when count({{ pool }}) over {{ w }} >= {{ min_points }}
            then '{{ w }}'
    {%- endfor %}
    end
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
