"""footfall's loaders: the simulator's sensor API into the warehouse's raw tables.

`python -m loaders` (`make load`) pulls stores, sensors and readings into ``raw.*`` of the
DuckDB warehouse (``FOOTFALL_WAREHOUSE``): incremental, idempotent, retried, crash-safe. See
README.md ("Loading") and docs/loaders.md for the guarantees and how they are kept.
"""
