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
    create table if not exists {{ footfall_watermarks_relation() }} (
        model_name varchar primary key,
        loaded_at_utc timestamp,
        recorded_at_utc timestamp
    )
{%- endmacro %}

{% macro footfall_record_watermark() -%}
    {%- set staged = ref('stg_simulator__sensor_readings')
        if this.identifier != 'stg_simulator__sensor_readings' else this -%}
    insert or replace into {{ footfall_watermarks_relation() }}
    select
        '{{ this.identifier }}' as model_name,
        max(loaded_at_utc) as loaded_at_utc,
        timezone('UTC', now())::timestamp as recorded_at_utc
    from {{ staged }}
{%- endmacro %}

{% macro footfall_watermark_of_this() -%}
    (
        select max(loaded_at_utc)
        from {{ footfall_watermarks_relation() }}
        where model_name = '{{ this.identifier }}'
    )
{%- endmacro %}
