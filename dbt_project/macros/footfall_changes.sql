-- noqa: disable=LT02
{#
    What each run of an incremental model changed (docs block `incremental_lookback`): the
    table `footfall_changes` beside the marts (schema `main`; not a `dim_`/`fct_` mart, so it
    is not published), one row per model, dbt invocation and store:

    - `model_name`, `invocation_id`, `recorded_at_utc`;
    - `store_id` and `changed_from`: the store's rows from that hour (hourly models) or local
      date (daily ones) on were recomputed; `changed_from` null: the whole store; `store_id`
      null: the whole table (a first build or a full refresh);
    - `time_column`: the column `changed_from` bounds.

    Written by footfall_incremental_pre_hook, the pre-hook that dbt_project.yml gives every
    incremental model. Read by the models themselves (footfall_reprocess_cte), by the
    publisher (footfall/publish.py: it copies into the serving snapshot only the store-days
    changed since its last publish) and by the data tests of the hourly cycle
    (footfall_in_scope, get_where_subquery: with the var `footfall_test_scope: changed` they
    check the rows this invocation changed, not whole tables). Rows older than
    `footfall_changes_keep_days` are pruned; a snapshot older than that is published in full.
#}
{% macro footfall_changes_relation() -%}
    {{ this.schema }}.footfall_changes
{%- endmacro %}

{#
    A model of the project by name, without a ref(): for the hooks, which read models that
    are upstream of the hooked model anyway (or exist from its previous run), so that no
    `-- depends_on:` has to be declared (and given in every unit test).
#}
{% macro footfall_relation(name) -%}
    {{ api.Relation.create(database=this.database, schema=this.schema, identifier=name) }}
{%- endmacro %}

{% macro footfall_create_changes() -%}
    {{ return(adapter.dispatch('footfall_create_changes', 'footfall')()) }}
{%- endmacro %}

{% macro duckdb__footfall_create_changes() -%}
    create table if not exists {{ footfall_changes_relation() }} (
        model_name varchar not null,
        invocation_id varchar not null,
        store_id varchar,
        time_column varchar not null,
        changed_from timestamp,
        recorded_at_utc timestamp not null
    )
{%- endmacro %}

{#- Spark: a plain parquet table (no constraints without Delta). -#}
{% macro spark__footfall_create_changes() -%}
    create table if not exists {{ footfall_changes_relation() }} (
        model_name string,
        invocation_id string,
        store_id string,
        time_column string,
        changed_from timestamp,
        recorded_at_utc timestamp
    ) using parquet
{%- endmacro %}

{#
    The pre-hooks of every incremental model: the watermark and change tables, then what this
    run will recompute (for a first build or a full refresh: everything).
#}
{% macro footfall_incremental_pre_hook() -%}
    {{ return(adapter.dispatch('footfall_incremental_pre_hook', 'footfall')()) }}
{%- endmacro %}

{% macro duckdb__footfall_incremental_pre_hook() -%}
    {{ footfall_create_watermarks() }};
    {{ footfall_create_changes() }};
    delete from {{ footfall_changes_relation() }}
    where
        recorded_at_utc < {{ footfall_now_utc() }}
        - {{ footfall_days(var('footfall_changes_keep_days') | int) }};
    {{ footfall_record_changes() }}
{%- endmacro %}

{#-
    Spark runs one statement per hook: the tables are created here, and the hook is the
    insert. A parquet table cannot delete rows, so the log is append-only on Spark (never
    pruned; its readers take this invocation's rows or the latest ones, docs/spark.md).
-#}
{% macro spark__footfall_incremental_pre_hook() -%}
    {%- if execute -%}
        {%- do run_query(footfall_create_watermarks()) -%}
        {%- do run_query(footfall_create_changes()) -%}
    {%- endif -%}
    {{ footfall_record_changes() }}
{%- endmacro %}

{#- What this run will recompute, into the change log (for a first build or a full refresh:
    everything). -#}
{% macro footfall_record_changes() -%}
    insert into {{ footfall_changes_relation() }}
    {% if is_incremental() -%}
        with

        bounds as (
            {{ footfall_model_bounds() }}
        ),

        stores as (
            select distinct store_id from {{ footfall_relation('stg_simulator__sensors') }}
        )

        select
            '{{ this.identifier }}',
            '{{ invocation_id }}',
            bounds.store_id,
            '{{ footfall_time_column() }}',
            bounds.changed_from,
            {{ footfall_now_utc() }}
        from bounds
        union all
        -- a store without rows yet is modelled in full
        select
            '{{ this.identifier }}',
            '{{ invocation_id }}',
            stores.store_id,
            '{{ footfall_time_column() }}',
            null,
            {{ footfall_now_utc() }}
        from stores
        where stores.store_id not in (select bounds.store_id from bounds)
    {%- else -%}
        select
            '{{ this.identifier }}',
            '{{ invocation_id }}',
            null,
            '{{ footfall_time_column() }}',
            null,
            {{ footfall_now_utc() }}
    {%- endif %}
{%- endmacro %}

{#- The bounds of a model: its own rule where it has one (staging, the calendar), else the rule. -#}
{% macro footfall_model_bounds() -%}
    {%- set rule = (config.get('meta') or {}).get('footfall_bounds', 'reprocess') -%}
    {%- if rule == 'staged' -%}
        {#- staging: the raw rows loaded since its last run -#}
        select
            store_id,
            min(reading_start_utc)::timestamp as changed_from
        from {{ source('simulator', 'sensor_readings') }}
        where _loaded_at > (select max(loaded_at_utc) from {{ this }})
        group by store_id
    {%- elif rule == 'appended' -%}
        {#- the calendar: the hours after each store's last modelled one -#}
        select
            store_id,
            max(hour_start_utc) + interval 1 hour as changed_from
        from {{ this }}
        group by store_id
    {%- else -%}
        {{ footfall_reprocess_bounds() }}
    {%- endif -%}
{%- endmacro %}

{#
    footfall_test_scope(): `changed` in the hourly cycle (the environment variable
    FOOTFALL_DBT_TEST_SCOPE, which footfall/dbtcli.py sets), else `all`. Read at execution
    only, so that switching between the two keeps dbt's partial parsing.

    footfall_in_scope(model_name, column=none): a predicate on the rows of `model_name` (or of
    another model with the same store_id and `column`): `true` unless the test scope is
    `changed`; then only the rows that model's run in this invocation recomputed (`false`
    when it did not run; `column` defaults to the model's time column). The singular tests
    filter both sides of a comparison with the same predicate.
#}
{% macro footfall_test_scope() -%}
    {%- set scope = env_var('FOOTFALL_DBT_TEST_SCOPE', 'all') if execute else 'all' -%}
    {%- if scope not in ['all', 'changed'] -%}
        {{ exceptions.raise_compiler_error(
            "FOOTFALL_DBT_TEST_SCOPE=" ~ scope ~ " must be `all` or `changed`") }}
    {%- endif -%}
    {{ scope }}
{%- endmacro %}

{% macro footfall_in_scope(model_name, column=none, alias=none) -%}
    {%- set log = adapter.get_relation(
        database=target.database, schema=target.schema, identifier='footfall_changes'
    ) if execute else none -%}
    {%- if footfall_test_scope() | trim != 'changed' or log is none -%}
        {#- every row: not the cycle's scope, or a first build (no change log yet) -#}
        true
    {%- else -%}
        {%- set rows = run_query(
            "select store_id, time_column, "
            ~ footfall_strftime('changed_from', '%Y-%m-%d %H:%M:%S') ~ " "
            ~ "from " ~ target.schema ~ ".footfall_changes where model_name = '" ~ model_name
            ~ "' and invocation_id = '" ~ invocation_id ~ "'"
        ).rows -%}
        {%- set prefix = alias ~ '.' if alias else '' -%}
        {%- if rows | length == 0 -%}
            false
        {%- elif rows | selectattr(0, 'none') | list | length > 0 -%}
            true
        {%- else -%}
            (
            {%- for row in rows %}
                {%- set store = row[0] | replace("'", "''") %}
                {{ 'or ' if not loop.first }}({{ prefix }}store_id = '{{ store }}'
                {%- if row[2] is not none -%}
                    {{ ' ' }}and {{ prefix }}{{ column or row[1] }} >= timestamp '{{ row[2] }}'
                {%- endif -%}
                )
            {%- endfor %}
            )
        {%- endif -%}
    {%- endif -%}
{%- endmacro %}

{#
    dbt's hook for the `where` of generic tests: in the `changed` test scope, a test of an
    incremental model checks the rows this invocation recomputed, and a test of the raw
    readings the rows loaded since staging last ran (source tests run before the models);
    otherwise dbt's default.
#}
{% macro get_where_subquery(relation) -%}
    {%- set where = config.get('where') -%}
    {%- set scoped_by = none -%}
    {%- if footfall_test_scope() | trim == 'changed' -%}
        {%- if relation.identifier == 'sensor_readings' and relation.schema == 'raw' -%}
            {#- the source's tests run before staging: the rows it is about to take in -#}
            {%- set staged = adapter.get_relation(
                database=target.database, schema=target.schema,
                identifier='stg_simulator__sensor_readings'
            ) -%}
            {%- if staged is not none -%}
                {%- set since = '_loaded_at > (select max(loaded_at_utc) from ' ~ staged ~ ')' -%}
                {%- set where = since ~ (' and (' ~ where ~ ')' if where else '') -%}
            {%- endif -%}
        {%- else -%}
            {%- set node = (graph.nodes.values()
                | selectattr('resource_type', 'equalto', 'model')
                | selectattr('name', 'equalto', relation.identifier) | list) -%}
            {%- if node and node[0].config.materialized == 'incremental' -%}
                {%- set scoped_by = [relation.identifier, none] -%}
            {%- endif -%}
        {%- endif -%}
    {%- endif -%}
    {%- if scoped_by -%}
        {%- set scope = footfall_in_scope(scoped_by[0], scoped_by[1]) -%}
        {%- set where = '(' ~ scope ~ ')' ~ (' and (' ~ where ~ ')' if where else '') -%}
    {%- endif -%}
    {%- set subquery = '(select * from ' ~ relation ~ ' where ' ~ where ~ ') dbt_subquery' -%}
{{ subquery if where else relation }}
{%- endmacro %}
