{#
    What each incremental model has seen of the staged readings (docs block
    `incremental_lookback`): one row per model in `footfall_incremental_watermarks` (the
    models' schema, `main`; not a `dim_`/`fct_` mart, so the serving snapshot leaves it out), with the
    latest `loaded_at_utc` of `stg_simulator__sensor_readings` when the model last ran. The
    next incremental run of the model reprocesses each store from the earliest hour of the
    readings staged since then, however old (footfall_reprocess_from), so that late data of
    any age reach the marts without a full refresh.

    footfall_create_watermarks(): the table, if it is not there yet (a pre-hook).
    footfall_record_watermark(): the model's row, after it ran (a post-hook; staging is
    upstream of the model, so it holds what the model read).
    footfall_watermark_of_this(): the model's watermark as a scalar subquery (null: none yet,
    e.g. a warehouse built before the table existed; every staged reading then counts as new).
#}
{% macro footfall_watermarks_relation() -%}
    {{ this.schema }}.footfall_incremental_watermarks
{%- endmacro %}

{% macro footfall_create_watermarks() -%}
    {{ return(adapter.dispatch('footfall_create_watermarks', 'footfall')()) }}
{%- endmacro %}

{% macro duckdb__footfall_create_watermarks() -%}
    create table if not exists {{ footfall_watermarks_relation() }} (
        model_name varchar primary key,
        loaded_at_utc timestamp,
        recorded_at_utc timestamp
    )
{%- endmacro %}

{#- Spark: a plain parquet table, without a key: one row per run (see below). -#}
{% macro spark__footfall_create_watermarks() -%}
    create table if not exists {{ footfall_watermarks_relation() }} (
        model_name string,
        loaded_at_utc timestamp,
        recorded_at_utc timestamp
    ) using parquet
{%- endmacro %}

{% macro footfall_record_watermark() -%}
    {%- set staged = ref('stg_simulator__sensor_readings')
        if this.identifier != 'stg_simulator__sensor_readings' else this -%}
    {{ footfall_insert_or_replace_watermark() }} {{ footfall_watermarks_relation() }}
    select
        '{{ this.identifier }}' as model_name,
        max(loaded_at_utc) as loaded_at_utc,
        {{ footfall_now_utc() }} as recorded_at_utc
    from {{ staged }}
{%- endmacro %}

{#-
    DuckDB replaces the model's row (its key); a parquet table on Spark cannot, so there it
    appends one: footfall_watermark_of_this takes the latest (max) either way.
-#}
{% macro footfall_insert_or_replace_watermark() -%}
    {{ return(adapter.dispatch('footfall_insert_or_replace_watermark', 'footfall')()) }}
{%- endmacro %}

{% macro duckdb__footfall_insert_or_replace_watermark() -%}
    insert or replace into
{%- endmacro %}

{% macro spark__footfall_insert_or_replace_watermark() -%}
    insert into
{%- endmacro %}

{% macro footfall_watermark_of_this() -%}
    (
        select max(loaded_at_utc)
        from {{ footfall_watermarks_relation() }}
        where model_name = '{{ this.identifier }}'
    )
{%- endmacro %}
