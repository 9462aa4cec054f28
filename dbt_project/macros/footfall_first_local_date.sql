{#
    The first local date modelled for a store: its opening date, or the `footfall_start_date`
    var when that is set and later. Tests and samples set the var to model a window of a few
    weeks instead of every hour since the opening (which would all be "missing").
    Usage: {{ footfall_first_local_date('stores.opened_on') }}
#}
{% macro footfall_first_local_date(opened_on_column) -%}
    {%- set start_date = var('footfall_start_date', none) -%}
    {%- if start_date -%}
        greatest({{ opened_on_column }}, date '{{ start_date }}')
    {%- else -%}
        {{ opened_on_column }}
    {%- endif -%}
{%- endmacro %}
