-- One row per load task: the window of one store it set out to read and how far it got,
-- renamed and typed, with the hours it has covered as a half-open UTC interval.
with

source as (
    select * from {{ source('loader', 'load_progress') }}
),

final as (
    select
        load_id::string as load_id,
        store_id::string as store_id,
        window_start_utc::timestamp as window_start_utc,
        window_end_utc::timestamp as window_end_utc,
        done_until_utc::timestamp as done_until_utc,
        -- the hours read: [window_start_utc, covered_until_utc), whole hours only
        least(date_trunc('hour', done_until_utc), window_end_utc)::timestamp
            as covered_until_utc,
        n_pages::integer as n_pages,
        n_rows::bigint as n_rows,
        n_new_rows::bigint as n_new_rows,
        n_changed_rows::bigint as n_changed_rows,
        n_rejects::bigint as n_rejects,
        updated_at::timestamp as updated_at_utc
    from source
)

select * from final
