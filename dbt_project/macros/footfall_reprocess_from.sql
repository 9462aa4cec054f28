{#
    The incremental window of a model, one row per store already modelled (docs block
    `incremental_lookback`). Stores absent from the model are not listed: a `left join` to
    this CTE and a null bound means "model everything".

    footfall_reprocess_from(extra_days): for hourly models, `reprocess_from_utc` = the store's
    last modelled hour minus `footfall_lookback_days` (late or corrected readings) minus
    `extra_days` (how far back a change can reach through the model's windows).

    footfall_reprocess_from_date(extra_days): for daily models, `reprocess_from_date` = the
    store's last modelled local date minus the same days, minus one more (a UTC bound of the
    hourly models falls inside a local day).

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

{% macro footfall_reprocess_from_date(extra_days=0) -%}
    select
        store_id,
        max(local_date)
        - ({{ var('footfall_lookback_days') | int + extra_days | int + 1 }})::integer
        as reprocess_from_date
    from {{ this }}
    group by store_id
{%- endmacro %}
