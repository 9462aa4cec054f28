{#
    The SQL that differs between the engines footfall runs on (docs/spark.md): DuckDB, the
    default (target `dev`), and Apache Spark (target `spark`). One macro per difference, a
    `duckdb__` and a `spark__` body side by side, dispatched with
    adapter.dispatch(name, 'footfall'); the models call the macro and stay the same. The
    DuckDB bodies are the expressions the models used before, so the DuckDB SQL is unchanged.
    Where dbt has a cross-database macro of its own (dbt.type_string, ...) the models use it.
#}

{#- A UTC wall-clock timestamp as the wall clock of time zone `tz` (DST included). -#}
{% macro footfall_utc_to_local(ts, tz) -%}
    {{ return(adapter.dispatch('footfall_utc_to_local', 'footfall')(ts, tz)) }}
{%- endmacro %}

{% macro duckdb__footfall_utc_to_local(ts, tz) -%}
    timezone({{ tz }}, timezone('UTC', {{ ts }}))
{%- endmacro %}

{% macro spark__footfall_utc_to_local(ts, tz) -%}
    from_utc_timestamp({{ ts }}, {{ tz }})
{%- endmacro %}

{#- A wall-clock timestamp of time zone `tz` as the UTC wall clock of the same instant. -#}
{% macro footfall_local_to_utc(ts, tz) -%}
    {{ return(adapter.dispatch('footfall_local_to_utc', 'footfall')(ts, tz)) }}
{%- endmacro %}

{% macro duckdb__footfall_local_to_utc(ts, tz) -%}
    timezone('UTC', timezone({{ tz }}, {{ ts }}))
{%- endmacro %}

{% macro spark__footfall_local_to_utc(ts, tz) -%}
    to_utc_timestamp({{ ts }}, {{ tz }})
{%- endmacro %}

{#- Seconds since 1970-01-01 of a UTC wall-clock timestamp. -#}
{% macro footfall_epoch_seconds(ts) -%}
    {{ return(adapter.dispatch('footfall_epoch_seconds', 'footfall')(ts)) }}
{%- endmacro %}

{% macro duckdb__footfall_epoch_seconds(ts) -%}
    epoch({{ ts }})
{%- endmacro %}

{% macro spark__footfall_epoch_seconds(ts) -%}
    unix_timestamp({{ ts }})
{%- endmacro %}

{#- The current instant as a UTC wall-clock timestamp (Spark: the session time zone is UTC). -#}
{% macro footfall_now_utc() -%}
    {{ return(adapter.dispatch('footfall_now_utc', 'footfall')()) }}
{%- endmacro %}

{% macro duckdb__footfall_now_utc() -%}
    timezone('UTC', now())::timestamp
{%- endmacro %}

{% macro spark__footfall_now_utc() -%}
    current_timestamp()
{%- endmacro %}

{#- An interval of `n` days, to add to or subtract from a timestamp. -#}
{% macro footfall_days(n) -%}
    {{ return(adapter.dispatch('footfall_days', 'footfall')(n)) }}
{%- endmacro %}

{% macro duckdb__footfall_days(n) -%}
    to_days({{ n }})
{%- endmacro %}

{% macro spark__footfall_days(n) -%}
    make_dt_interval({{ n }})
{%- endmacro %}

{#- The number of days from 1970-01-01 to a date (an integer). -#}
{% macro footfall_day_number(d) -%}
    {{ return(adapter.dispatch('footfall_day_number', 'footfall')(d)) }}
{%- endmacro %}

{% macro duckdb__footfall_day_number(d) -%}
    ({{ d }} - date '1970-01-01')
{%- endmacro %}

{% macro spark__footfall_day_number(d) -%}
    datediff({{ d }}, date '1970-01-01')
{%- endmacro %}

{#- ISO weekday of a timestamp or date: 1 = Monday ... 7 = Sunday. -#}
{% macro footfall_isodow(ts) -%}
    {{ return(adapter.dispatch('footfall_isodow', 'footfall')(ts)) }}
{%- endmacro %}

{% macro duckdb__footfall_isodow(ts) -%}
    isodow({{ ts }})
{%- endmacro %}

{% macro spark__footfall_isodow(ts) -%}
    (weekday({{ ts }}) + 1)
{%- endmacro %}

{#- One row per `step` (an interval literal: `interval 1 hour`) from `first` to `last`
    (both included): a set-returning expression for a select list. -#}
{% macro footfall_series(first, last, step) -%}
    {{ return(adapter.dispatch('footfall_series', 'footfall')(first, last, step)) }}
{%- endmacro %}

{% macro duckdb__footfall_series(first, last, step) -%}
    unnest(
        generate_series(
            {{ first }},
            {{ last }},
            {{ step }}
        )
    )
{%- endmacro %}

{% macro spark__footfall_series(first, last, step) -%}
    explode(
        sequence(
            {{ first }},
            {{ last }},
            {{ step }}
        )
    )
{%- endmacro %}

{#- One row per hour from `first` to `last` (UTC timestamps, both included). -#}
{% macro footfall_hour_series(first, last) -%}
    {{ footfall_series(first, last, 'interval 1 hour') }}
{%- endmacro %}

{#- The value of `value` on the row where `by` is largest (ties: any of them). -#}
{% macro footfall_arg_max(value, by) -%}
    {{ return(adapter.dispatch('footfall_arg_max', 'footfall')(value, by)) }}
{%- endmacro %}

{% macro duckdb__footfall_arg_max(value, by) -%}
    arg_max({{ value }}, {{ by }})
{%- endmacro %}

{% macro spark__footfall_arg_max(value, by) -%}
    max_by({{ value }}, {{ by }})
{%- endmacro %}

{#- `*` without the given columns. -#}
{% macro footfall_star_except(columns) -%}
    {{ return(adapter.dispatch('footfall_star_except', 'footfall')(columns)) }}
{%- endmacro %}

{% macro duckdb__footfall_star_except(columns) -%}
    * exclude ({{ columns | join(', ') }})
{%- endmacro %}

{% macro spark__footfall_star_except(columns) -%}
    * except ({{ columns | join(', ') }})
{%- endmacro %}

{#- Lists (arrays) of integers or doubles: the type, a literal, membership, average, count. -#}
{% macro footfall_type_int_list() -%}
    {{ return(adapter.dispatch('footfall_type_int_list', 'footfall')()) }}
{%- endmacro %}

{% macro duckdb__footfall_type_int_list() -%}
    integer[]
{%- endmacro %}

{% macro spark__footfall_type_int_list() -%}
    array<int>
{%- endmacro %}

{% macro footfall_list(items) -%}
    {{ return(adapter.dispatch('footfall_list', 'footfall')(items)) }}
{%- endmacro %}

{% macro duckdb__footfall_list(items) -%}
    [
        {{ items | join(',\n') }}
    ]
{%- endmacro %}

{% macro spark__footfall_list(items) -%}
    array(
        {{ items | join(',\n') }}
    )
{%- endmacro %}

{% macro footfall_list_contains(list, value) -%}
    {{ return(adapter.dispatch('footfall_list_contains', 'footfall')(list, value)) }}
{%- endmacro %}

{% macro duckdb__footfall_list_contains(list, value) -%}
    list_contains({{ list }}, {{ value }})
{%- endmacro %}

{% macro spark__footfall_list_contains(list, value) -%}
    array_contains({{ list }}, {{ value }})
{%- endmacro %}

{#- The average of the non-null items of a list (null when there are none), and their count. -#}
{% macro footfall_list_avg(list) -%}
    {{ return(adapter.dispatch('footfall_list_avg', 'footfall')(list)) }}
{%- endmacro %}

{% macro duckdb__footfall_list_avg(list) -%}
    list_avg({{ list }})
{%- endmacro %}

{% macro spark__footfall_list_avg(list) -%}
    aggregate(
        filter({{ list }}, item -> item is not null),
        cast(0 as double),
        (total, item) -> total + item,
        total -> total / nullif(size(filter({{ list }}, item -> item is not null)), 0)
    )
{%- endmacro %}

{% macro footfall_list_count(list) -%}
    {{ return(adapter.dispatch('footfall_list_count', 'footfall')(list)) }}
{%- endmacro %}

{% macro duckdb__footfall_list_count(list) -%}
    list_count({{ list }})
{%- endmacro %}

{% macro spark__footfall_list_count(list) -%}
    size(filter({{ list }}, item -> item is not null))
{%- endmacro %}

{#-
    A timestamp as text, `format` in strftime notation (%Y, %m, %d, %H, %M, %S: the only
    ones footfall uses; Spark gets the same pattern in its own notation).
-#}
{% macro footfall_strftime(ts, format) -%}
    {{ return(adapter.dispatch('footfall_strftime', 'footfall')(ts, format)) }}
{%- endmacro %}

{% macro duckdb__footfall_strftime(ts, format) -%}
    strftime({{ ts }}, '{{ format }}')
{%- endmacro %}

{% macro spark__footfall_strftime(ts, format) -%}
    {#- the literal T of ISO 8601 is quoted (''T'' inside the SQL string) -#}
    {%- set pattern = format | replace('T', "''T''") | replace('%Y', 'yyyy') | replace('%m', 'MM')
        | replace('%d', 'dd') | replace('%H', 'HH') | replace('%M', 'mm') | replace('%S', 'ss') -%}
    date_format({{ ts }}, '{{ pattern }}')
{%- endmacro %}

{#-
    Text from a template and arguments. The template uses the placeholders {}, {:.1f} and
    {:,.0f} (DuckDB's format(); Spark's format_string() gets %s, %.1f and %,.0f). Pass
    dates and timestamps as text (Spark would print a date's day number).
-#}
{% macro footfall_format(template, args) -%}
    {{ return(adapter.dispatch('footfall_format', 'footfall')(template, args)) }}
{%- endmacro %}

{% macro duckdb__footfall_format(template, args) -%}
    format(
        '{{ template }}',
        {{ args | join(',\n') }}
    )
{%- endmacro %}

{% macro spark__footfall_format(template, args) -%}
    {#- a literal % first (%%), then the placeholders -#}
    {%- set spark_template = template | replace('%', '%%') | replace('{:,.0f}', '%,.0f')
        | replace('{:.1f}', '%.1f') | replace('{}', '%s') -%}
    format_string(
        '{{ spark_template }}',
        {{ args | join(',\n') }}
    )
{%- endmacro %}
