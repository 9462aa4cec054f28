"""footfall on Dagster: the loader, every dbt model and test, the serving snapshot and the alert
notifications as one asset graph, run hourly, one run at a time (docs/orchestration.md).

`orchestration.definitions` is the code location (`dagster dev -m orchestration.definitions`);
`python -m orchestration` serves it (`make run`) or runs the graph once (`--once`).
"""
