"""Small real footfall warehouses for tests: simulator -> loader -> `dbt build`, in a temp dir.

Every step is the real command a user runs, as a subprocess: a simulator with a fixed
``FOOTFALL_SIM_NOW`` (``run_simulator`` from tests/conftest.py), ``python -m loaders`` with
``FOOTFALL_API_URL`` and ``FOOTFALL_WAREHOUSE``, then ``dbt`` with its project, the top-level
profiles.yml, and target and log paths of its own (tests never share ``dbt_project/target``).
The dbt var ``footfall_start_date`` starts the hour spine at the window's first local day.

    chain = build_chain(tmp_path, stores=("madrid",), start=date(2024, 3, 4),
                        now=datetime(2024, 4, 1, tzinfo=UTC))
    with chain.connect() as con:
        con.execute("select count(*) from fct_store_traffic_daily").fetchone()

A step that fails raises ``ChainError`` with the command, its exit code and the end of its
output. ``dbt build`` is the exception: a failing data test does not raise (the marts are
there, and tests that look at them should run); the build's result is kept on the chain
(``chain.build``) for a test to assert on. Failing models or a crash of dbt do raise.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import duckdb
import httpx

from tests.conftest import REPO_ROOT, run_simulator

DBT = str(Path(sys.executable).parent / "dbt")
DBT_PROJECT_DIR = REPO_ROOT / "dbt_project"
MARTS_SQL = """
    select table_name
    from information_schema.tables
    where table_schema = 'main'
      and (table_name like 'dim\\_%' escape '\\' or table_name like 'fct\\_%' escape '\\')
    order by table_name
"""


class ChainError(RuntimeError):
    """A step of the real chain (simulator, loader, dbt) failed; the message shows its output."""


def iso_utc(moment: datetime) -> str:
    """An aware datetime as ISO 8601 in UTC with a Z, as the simulator and loader take it."""
    if moment.tzinfo is None:
        raise ValueError(f"{moment!r} has no time zone; pass an aware datetime (tzinfo=UTC)")
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _tail(text: str, n_lines: int = 80) -> str:
    lines = text.splitlines()
    return "\n".join(lines[-n_lines:])


def _run(
    command: list[str], env: dict[str, str], log_file: Path, title: str
) -> subprocess.CompletedProcess[str]:
    """Run a command from the repository root, keep its output in log_file, never raise."""
    started = time.perf_counter()
    result = subprocess.run(
        command, cwd=REPO_ROOT, env=env, capture_output=True, text=True, check=False
    )
    elapsed = time.perf_counter() - started
    with log_file.open("a") as log:
        log.write(f"$ {' '.join(command)}\n# {title}: exit {result.returncode}, {elapsed:.1f} s\n")
        log.write(result.stdout)
        log.write(result.stderr)
        log.write("\n")
    return result


def _fail(title: str, command: list[str], result: subprocess.CompletedProcess[str]) -> ChainError:
    return ChainError(
        f"{title} failed with exit code {result.returncode}.\n"
        f"command: {' '.join(command)}\n"
        f"--- end of its output ---\n{_tail(result.stdout + result.stderr)}"
    )


@dataclass(frozen=True)
class DbtRun:
    """What one dbt command did: exit code, output, and its run_results.json (if written)."""

    args: tuple[str, ...]
    returncode: int
    output: str
    seconds: float
    run_results: dict[str, Any] | None

    def nodes(self, status: str | None = None) -> list[dict[str, Any]]:
        """The results of run_results.json, all or those with one status (error, fail, ...)."""
        results = (self.run_results or {}).get("results", [])
        return [r for r in results if status is None or r.get("status") == status]

    def failures(self) -> list[str]:
        """One line per node that did not pass: status, unique id and dbt's message."""
        return [
            f"{r['status']}: {r['unique_id']}: {(r.get('message') or '').strip()[:300]}"
            for r in self.nodes()
            if r.get("status") not in {"success", "pass", "skipped", "no-op"}
        ]


@dataclass(frozen=True)
class Chain:
    """A warehouse built by the real chain, with everything needed to run dbt on it again."""

    root: Path
    warehouse: Path
    stores: tuple[str, ...]
    start: date
    now: datetime
    target_path: Path
    log_path: Path
    build: DbtRun | None = field(default=None, compare=False)

    @property
    def dbt_vars(self) -> dict[str, str]:
        """The dbt vars of this chain: the spine starts at the window's first local day."""
        return {"footfall_start_date": self.start.isoformat()}

    def env(self) -> dict[str, str]:
        """The environment for loader and dbt subprocesses working on this warehouse."""
        return {
            **os.environ,
            "FOOTFALL_WAREHOUSE": str(self.warehouse),
            "DBT_PROJECT_DIR": str(DBT_PROJECT_DIR),
            # The top-level profiles.yml, unless the caller points dbt elsewhere (as make does).
            "DBT_PROFILES_DIR": os.environ.get("DBT_PROFILES_DIR", str(REPO_ROOT)),
            "DBT_TARGET_PATH": str(self.target_path),
            "DBT_LOG_PATH": str(self.log_path),
            "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
            "DBT_USE_COLORS": "false",
            "DBT_PRINTER_WIDTH": "120",
        }

    @property
    def log_file(self) -> Path:
        """Every command run on this chain, with its output (look here when a test fails)."""
        return self.root / "chain.log"

    def dbt(self, *args: str, check: bool = True) -> DbtRun:
        """Run `dbt ARGS` on this warehouse with the chain's vars; raise on failure if check."""
        command = [DBT, *args, "--vars", json.dumps(self.dbt_vars)]
        results_file = self.target_path / "run_results.json"
        results_file.unlink(missing_ok=True)
        started = time.perf_counter()
        result = _run(command, self.env(), self.log_file, f"dbt {' '.join(args)}")
        seconds = time.perf_counter() - started
        run_results = json.loads(results_file.read_text()) if results_file.exists() else None
        run = DbtRun(
            tuple(args), result.returncode, result.stdout + result.stderr, seconds, run_results
        )
        if check and result.returncode != 0:
            raise _fail(f"dbt {' '.join(args)}", command, result)
        return run

    def dbt_build(self, *extra: str) -> Chain:
        """`dbt build` (plus extra args); raise unless every model built; the run on the result.

        Failing data tests do not raise: they are in ``chain.build.failures()``.
        """
        run = self.dbt("build", *extra, check=False)
        errors = [r for r in run.nodes("error") if r["unique_id"].startswith(("model.", "seed."))]
        if run.run_results is None or run.returncode not in (0, 1) or errors:
            raise ChainError(
                f"dbt build {' '.join(extra)} on {self.warehouse} did not build the models "
                f"(exit {run.returncode}).\n"
                + "\n".join(run.failures())
                + f"\n--- end of its output ---\n{_tail(run.output)}"
            )
        return replace(self, build=run)

    def load(
        self,
        now: datetime,
        *,
        first: bool = False,
        sim_env: dict[str, str] | None = None,
        scenarios: Sequence[dict[str, Any]] = (),
        loader_env: dict[str, str] | None = None,
    ) -> Chain:
        """Start a simulator whose clock says `now` and run the loader on the chain's stores.

        The first load reads the window, from a day before its first day (UTC) so that the
        first local day is complete in every time zone east of UTC, up to now. Later loads
        pass no window: the loader reads what is new since its watermark, as `make load` does.
        `sim_env` adds settings for the simulator (FOOTFALL_SIM_*: profile, faults, ...);
        `scenarios` are posted to its `/admin/scenarios` before the load (incidents such as
        `{"kind": "traffic", "store_id": "london", "start_utc": ..., "end_utc": ...,
        "factor": 1.5}`, times as ISO 8601 strings); `loader_env` adds settings for the
        loader (FOOTFALL_LOADER_*).
        """
        window: list[str] = []
        if first:
            first_utc = datetime.combine(self.start - timedelta(days=1), datetime.min.time(), UTC)
            window = ["--start", iso_utc(first_utc), "--end", iso_utc(now)]
        with run_simulator({**(sim_env or {}), "FOOTFALL_SIM_NOW": iso_utc(now)}) as api_url:
            for scenario in scenarios:
                answer = httpx.post(f"{api_url}/admin/scenarios", json=scenario, timeout=10.0)
                if answer.status_code != 201:
                    raise ChainError(
                        f"the simulator refused the scenario {scenario}: "
                        f"{answer.status_code} {answer.text}"
                    )
            command = [
                sys.executable,
                "-m",
                "loaders",
                *window,
                "--stores",
                ",".join(self.stores),
            ]
            env = {**self.env(), **(loader_env or {}), "FOOTFALL_API_URL": api_url}
            result = _run(command, env, self.log_file, "load")
            if result.returncode != 0:
                raise _fail("the loader", command, result)
        return replace(self, now=now)

    def copy(self, root: Path) -> Chain:
        """The same warehouse copied into root, with its own dbt target and log paths."""
        root.mkdir(parents=True, exist_ok=True)
        warehouse = root / self.warehouse.name
        shutil.copy2(self.warehouse, warehouse)
        wal = self.warehouse.with_name(self.warehouse.name + ".wal")
        if wal.exists():
            shutil.copy2(wal, warehouse.with_name(warehouse.name + ".wal"))
        if self.target_path.exists():
            # Keep the manifest so that incremental models see their previous state alike.
            shutil.copytree(self.target_path, root / "target", dirs_exist_ok=True)
        return replace(
            self,
            root=root,
            warehouse=warehouse,
            target_path=root / "target",
            log_path=root / "logs",
        )

    def connect(self, read_only: bool = True) -> duckdb.DuckDBPyConnection:
        """A connection to the warehouse (read-only by default); close it, or use `with`."""
        return duckdb.connect(str(self.warehouse), read_only=read_only)

    def marts(self) -> list[str]:
        """The marts in the warehouse (dim_* and fct_* of schema main), sorted."""
        with self.connect() as con:
            return [name for (name,) in con.sql(MARTS_SQL).fetchall()]


def build_chain(
    root: Path,
    *,
    stores: Sequence[str],
    start: date,
    now: datetime,
    build: bool = True,
    sim_env: dict[str, str] | None = None,
) -> Chain:
    """Load `stores` from `start` (a local date, the spine's first day) to `now`, then build.

    `sim_env` adds settings for the simulator (FOOTFALL_SIM_*); `build=False` stops after the
    load (then `chain.dbt_build()`).
    """
    root.mkdir(parents=True, exist_ok=True)
    chain = Chain(
        root=root,
        warehouse=root / "warehouse.duckdb",
        stores=tuple(stores),
        start=start,
        now=now,
        target_path=root / "target",
        log_path=root / "logs",
    )
    chain = chain.load(now, first=True, sim_env=sim_env)
    return chain.dbt_build() if build else chain
