{#
    The raw tables on Spark (docs/spark.md): the `raw` schema's tables as the DuckDB
    warehouse holds them, exported as Parquet (`python -m footfall.export --to DIR`, one
    directory per table under FOOTFALL_SPARK_RAW_DIR), declared as external tables over those
    files at the start of every run, so that the sources (schema `raw`) read the latest
    export. Dropping an external table leaves its files alone. On DuckDB, where the loaders
    write the raw tables themselves, it renders nothing.
#}
{% macro footfall_spark_sources() -%}
    {{ return(adapter.dispatch('footfall_spark_sources', 'footfall')()) }}
{%- endmacro %}

{% macro default__footfall_spark_sources() -%}
{%- endmacro %}

{% macro spark__footfall_spark_sources() -%}
    {%- if execute -%}
        {%- set raw_dir = env_var('FOOTFALL_SPARK_RAW_DIR', 'data/raw-parquet') -%}
        {%- do run_query('create schema if not exists raw') -%}
        {%- for table in footfall_raw_tables() -%}
            {%- do run_query('drop table if exists raw.' ~ table) -%}
            {%- do run_query(
                'create table raw.' ~ table ~ " using parquet location '"
                ~ raw_dir ~ '/' ~ table ~ "'"
            ) -%}
        {%- endfor -%}
    {%- endif -%}
    select 1
{%- endmacro %}

{#- The raw tables that the models read (the export writes the same list). -#}
{% macro footfall_raw_tables() -%}
    {{ return(['stores', 'sensors', 'sensor_readings', 'load_progress']) }}
{%- endmacro %}
