{#
    delete+insert, as dbt-duckdb does it, with one more predicate on the delete: the target's
    rows are matched from the earliest hour (or local date) of the new rows on. The key alone
    makes DuckDB probe every row of the target (80 million sensor-hours for a 100-store chain);
    a constant bound on the time column of the key lets it skip the row groups before it
    (zone maps), a few per store, whatever the length of the history. Same rows deleted: every
    new row's time is at or after that bound.
#}
{% macro duckdb__get_delete_insert_merge_sql(
    target, source, unique_key, dest_columns, incremental_predicates
) -%}
    {%- set key = [unique_key] if unique_key is string else (unique_key or []) -%}
    {%- set predicates = (incremental_predicates or []) | list -%}
    {%- set time_columns = ['hour_start_utc', 'local_date', 'reading_start_utc'] -%}
    {%- set time_column = key | select('in', time_columns) | first -%}
    {%- if time_column and execute -%}
        {%- set low = run_query(
            'select min(' ~ time_column ~ ')::varchar from ' ~ source
        ).columns[0].values()[0] -%}
        {%- if low is not none -%}
            {%- do predicates.append(
                'DBT_INCREMENTAL_TARGET.' ~ time_column ~ " >= '" ~ low ~ "'"
            ) -%}
        {%- endif -%}
    {%- endif -%}
    {{ dbt.duckdb__get_delete_insert_merge_sql(
        target, source, unique_key, dest_columns, predicates
    ) }}
{%- endmacro %}
