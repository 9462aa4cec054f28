"""The Spark tests (docs/spark.md): opt in with FOOTFALL_TEST_SPARK=1 (`make test-spark`, which
CI runs). Opted in, a missing pyspark, dbt-spark or java fails them; not opted in, they are
reported as skipped with the command that runs them. The export tests need no Spark and
always run.
"""

from __future__ import annotations

import importlib.util
import os
import shutil

import pytest

SPARK_OPT_IN = "FOOTFALL_TEST_SPARK"


def spark_opted_in() -> bool:
    """Whether this run builds on Spark (FOOTFALL_TEST_SPARK=1)."""
    return os.environ.get(SPARK_OPT_IN, "") not in ("", "0")


@pytest.fixture(scope="session")
def spark_ready() -> None:
    """Skip (not opted in) or fail (opted in, but a piece is missing) before any Spark work."""
    if not spark_opted_in():
        pytest.skip(f"the Spark build: opt in with {SPARK_OPT_IN}=1 (make test-spark; CI runs it)")
    missing = [
        name for name in ("pyspark", "dbt.adapters.spark") if importlib.util.find_spec(name) is None
    ]
    if shutil.which("java") is None:
        missing.append("java (Java 17)")
    if missing:
        pytest.fail(
            f"{SPARK_OPT_IN} is set but {', '.join(missing)} is missing: run `make setup-spark` "
            "(pip install -r requirements-spark.txt; scripts/install-java.sh)",
            pytrace=False,
        )
