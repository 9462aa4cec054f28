"""The repository's sqlfluff configuration: what it accepts, what it flags, and that it renders.

`make lint` runs `sqlfluff lint dbt_project` with the top-level `.sqlfluff` (jinja templater
with dbt's builtins, no warehouse needed). These tests pin the house style it enforces and
check that every SQL file of the dbt project renders and parses under it.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import sqlfluff

from tests.conftest import REPO_ROOT

CONFIG = str(REPO_ROOT / ".sqlfluff")
SQLFLUFF = str(Path(sys.executable).parent / "sqlfluff")

GOOD_MODEL = """\
{{ config(materialized='incremental', unique_key=['store_id', 'hour_start_utc']) }}

with

readings as (
    select * from {{ ref('stg_simulator__sensor_readings') }}
    {% if is_incremental() %}
        where reading_start_utc > (select max(hour_start_utc) from {{ this }})
    {% endif %}
),

stores as (
    select * from {{ source('simulator', 'stores') }}
    where opened_on >= '{{ var("footfall_start_date") }}'::date
),

final as (
    select
        readings.store_id,
        readings.reading_start_utc as hour_start_utc,
        coalesce(readings.visits, 0) as visits_raw,
        case when readings.visits < 0 then 'failed' else 'ok' end as status
    from readings
    inner join stores
        on readings.store_id = stores.store_id
)

select * from final
"""


def _codes(sql: str) -> set[str]:
    return {v["code"] for v in sqlfluff.lint(sql, config_path=CONFIG)}


def test_a_model_in_the_house_style_lints_clean() -> None:
    violations = sqlfluff.lint(GOOD_MODEL, config_path=CONFIG)
    assert violations == [], violations


def test_upper_case_and_leading_commas_are_flagged() -> None:
    sql = GOOD_MODEL.replace(
        "select\n        readings.store_id,", "SELECT\n        readings.store_id"
    )
    sql = sql.replace("        readings.reading_start_utc", "        , readings.reading_start_utc")
    sql = sql.replace("coalesce(", "COALESCE(")
    codes = _codes(sql)
    assert {"CP01", "CP03", "LT04"} <= codes, codes


def test_the_cte_style_is_enforced() -> None:
    # A model must end with `select * from final`, name subqueries as CTEs, use its CTEs.
    codes = _codes(GOOD_MODEL.replace("select * from final", "select store_id from final"))
    assert "CV13" in codes, codes
    unused = GOOD_MODEL.replace("final as (", "unused as (select 1 as one),\n\nfinal as (")
    assert "ST03" in _codes(unused)
    subquery = GOOD_MODEL.replace("from readings\n", "from (select * from readings) as r\n")
    assert "ST05" in _codes(subquery)


def test_lines_longer_than_100_characters_are_flagged() -> None:
    line = "        coalesce(readings.visits, 0) as visits_raw,"

    def widened(width: int) -> str:
        name = "visits_raw" + "x" * (width - len(line))
        assert len(line) - len("visits_raw") + len(name) == width
        return GOOD_MODEL.replace("as visits_raw", f"as {name}")

    assert "LT05" not in _codes(widened(100))
    assert "LT05" in _codes(widened(102))


def test_every_sql_file_of_the_dbt_project_renders_and_parses() -> None:
    """No templating (TMP) or parsing (PRS) error: the config fits the project's SQL.

    One cheap rule is enough: templating and parsing errors are reported whatever the rules
    (`make lint` runs them all).
    """
    result = subprocess.run(
        [SQLFLUFF, "lint", "dbt_project", "--rules", "LT12", "--format", "json", "--nocolor"],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode in (0, 1), result.stderr
    files = json.loads(result.stdout)
    assert any(f["filepath"].endswith(".sql") for f in files), "sqlfluff linted no file"
    broken = [
        f"{f['filepath']}:{v['start_line_no']}: {v['code']} {v['description']}"
        for f in files
        for v in f["violations"]
        if v["code"] in {"TMP", "PRS"}
    ]
    assert not broken, "\n".join(broken)
