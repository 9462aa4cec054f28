{#
    The incremental window of an hourly model, one row per store already modelled:
    `reprocess_from_utc` = the store's last modelled hour minus `footfall_lookback_days` (late
    or corrected readings) minus `extra_days` (how far back a change can reach through the
    model's windows: expected values, moving averages). Stores absent from the model are not
    listed: a `left join` to this CTE and `reprocess_from_utc is null` means "model everything".
    Usage (inside `{% if is_incremental() %}`): reprocess as ({{ footfall_reprocess_from(56) }})
#}
{% macro footfall_reprocess_from(extra_days=0) -%}
    select
        store_id,
        max(hour_start_utc)
        - to_days({{ var('footfall_lookback_days') | int + extra_days | int }})
        as reprocess_from_utc
    from {{ this }}
    group by store_id
{%- endmacro %}
