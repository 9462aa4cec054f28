"""Tests of the dbt project on warehouses built by the real chain (tests/chain.py)."""
