{#
    Custom schemas are used as named (`audit`, not `main_audit`): the marts live in the
    target's schema (`main`), the stored failures of data tests in `audit`.
#}
{% macro generate_schema_name(custom_schema_name, node) -%}
    {%- if custom_schema_name is none -%}
        {{ target.schema }}
    {%- else -%}
        {{ custom_schema_name | trim }}
    {%- endif -%}
{%- endmacro %}
