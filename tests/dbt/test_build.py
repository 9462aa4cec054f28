"""`dbt build`, `dbt docs generate` and `dbt source freshness` on the small real warehouse."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.chain import Chain
from tests.dbt.marts_checks import KEYS


def test_dbt_build_passes_every_model_and_test(small_warehouse: Chain) -> None:
    build = small_warehouse.build
    assert build is not None
    assert build.returncode == 0 and not build.failures(), (
        f"dbt build exited {build.returncode}; nodes that did not pass:\n"
        + "\n".join(build.failures())
    )
    kinds = {r["unique_id"].split(".")[0] for r in build.nodes()}
    assert {"model", "test", "unit_test"} <= kinds, f"dbt build ran only {kinds}"


def test_every_mart_is_built(small_warehouse: Chain) -> None:
    assert set(KEYS) <= set(small_warehouse.marts())


@pytest.fixture(scope="module")
def docs_copy(small_warehouse: Chain, tmp_path_factory: pytest.TempPathFactory) -> Chain:
    """A copy of the shared warehouse on which dbt docs and freshness run (they open it)."""
    return small_warehouse.copy(tmp_path_factory.mktemp("dbt_docs"))


def test_dbt_docs_generate_describes_every_model_and_column(docs_copy: Chain) -> None:
    docs_copy.dbt("docs", "generate")
    target = docs_copy.target_path
    for artifact in ["manifest.json", "catalog.json", "index.html"]:
        assert (target / artifact).exists(), f"dbt docs generate wrote no {artifact}"
    manifest = json.loads((target / "manifest.json").read_text())
    catalog = json.loads((target / "catalog.json").read_text())
    models = {k: v for k, v in manifest["nodes"].items() if v["resource_type"] == "model"}
    assert {f"model.footfall.{name}" for name in KEYS} <= set(models)
    undescribed = [k for k, v in models.items() if not v.get("description", "").strip()]
    assert not undescribed, f"models without a description: {undescribed}"
    missing_columns = []
    for unique_id, node in models.items():
        built = catalog["nodes"].get(unique_id)
        assert built is not None, f"{unique_id} is not in the catalog (not built?)"
        described = {
            name.lower() for name, c in node["columns"].items() if c.get("description", "").strip()
        }
        missing_columns += [
            f"{node['name']}.{column}"
            for column in (c.lower() for c in built["columns"])
            if column not in described
        ]
    assert not missing_columns, f"columns without a description: {missing_columns}"
    exposures = manifest.get("exposures", {})
    assert any(e["type"] == "dashboard" for e in exposures.values()), "no dashboard exposure"


def test_every_mart_has_an_enforced_contract(docs_copy: Chain) -> None:
    manifest_path = Path(docs_copy.target_path / "manifest.json")
    if not manifest_path.exists():
        docs_copy.dbt("parse")
    manifest = json.loads(manifest_path.read_text())
    for name in KEYS:
        node = manifest["nodes"][f"model.footfall.{name}"]
        assert node["config"]["contract"]["enforced"], f"{name} has no enforced contract"


def test_dbt_source_freshness_runs_and_the_loaded_readings_are_fresh(docs_copy: Chain) -> None:
    run = docs_copy.dbt("source", "freshness", check=False)
    sources = docs_copy.target_path / "sources.json"
    assert sources.exists(), f"dbt source freshness wrote no sources.json:\n{run.output[-3000:]}"
    results = {r["unique_id"]: r for r in json.loads(sources.read_text())["results"]}
    readings = results.get("source.footfall.simulator.sensor_readings")
    assert readings is not None, f"no freshness result for the readings: {sorted(results)}"
    # The rows were loaded moments ago (_loaded_at is the real clock), so they are fresh.
    assert readings["status"] == "pass", readings
    assert run.returncode == 0, run.output[-3000:]
