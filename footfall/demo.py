"""`python -m footfall.demo`: the whole pipeline on one machine, ending with the dashboard.

Steps: start the simulator (unless one already answers at FOOTFALL_API_URL), load, dbt build,
publish the serving snapshot, generate the dbt docs, start the read API (`make api`, with a key
to try), then serve the dashboard until Ctrl-C.
Each step is the same command a user would type; the demo only chains them and says where
things are. A failed step stops the demo with its exit code and the command to rerun.
"""

from __future__ import annotations

import argparse
import os
import secrets
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlparse

from footfall import services, settings

LOG_DIR = settings.REPO_ROOT / ".run"


class DemoError(RuntimeError):
    """A step of the demo failed; the message says which and what to do."""


def _dbt_env() -> dict[str, str]:
    """The environment in which `dbt` finds the project and the top-level profiles.yml."""
    env = dict(os.environ)
    env.setdefault("DBT_PROJECT_DIR", str(settings.REPO_ROOT / "dbt_project"))
    env.setdefault("DBT_PROFILES_DIR", str(settings.REPO_ROOT))
    return env


def _bin(name: str) -> str:
    """An executable of this virtualenv (dbt, streamlit), falling back to PATH."""
    candidate = Path(sys.executable).parent / name
    return str(candidate) if candidate.exists() else name


def start_simulator(api_url: str, timeout_s: float = 60.0) -> subprocess.Popen[bytes] | None:
    """Start the simulator on the host and port of api_url, unless one answers there already."""
    if services.answers(f"{api_url}/health"):
        print(f"* simulator already running at {api_url}")
        return None
    parsed = urlparse(api_url)
    env = {
        "FOOTFALL_SIM_HOST": parsed.hostname or "127.0.0.1",
        "FOOTFALL_SIM_PORT": str(parsed.port or 8000),
    }
    log_path = LOG_DIR / "simulator.log"
    print(f"* starting the simulator at {api_url} (log: {log_path})")
    try:
        return services.start(
            "simulator", env, f"{api_url}/health", timeout_s=timeout_s, log_path=log_path
        )
    except services.ServiceError as exc:
        raise DemoError(f"{exc}\n(full log: {log_path})") from None


def start_api() -> tuple[subprocess.Popen[bytes] | None, str, str]:
    """Start the read API (`make api`) with a key to try; (process or None, its URL, the key)."""
    config = settings.access()
    key = config.keys[0] if config.keys else secrets.token_urlsafe(16)
    url = f"http://{config.host}:{config.port}"
    env = {"FOOTFALL_ACCESS_KEYS": ",".join(config.keys) or key}
    try:
        proc = services.start(
            "access", env, f"{url}/health", timeout_s=60, log_path=LOG_DIR / "access.log"
        )
    except services.ServiceError as exc:
        print(f"* the read API did not start at {url} ({exc}); the demo goes on without it")
        return None, url, key
    return proc, url, key


def run_step(title: str, command: list[str], env: dict[str, str] | None = None) -> None:
    """Run one step in the foreground; raise DemoError naming the command when it fails."""
    print(f"\n* {title}: {' '.join(command)}", flush=True)
    started = time.perf_counter()
    result = subprocess.run(command, cwd=settings.REPO_ROOT, env=env, check=False)
    if result.returncode != 0:
        raise DemoError(
            f"step '{title}' failed (exit {result.returncode}); rerun it with: {' '.join(command)}"
        )
    print(f"  done in {time.perf_counter() - started:.1f} s", flush=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m footfall.demo", description=__doc__)
    parser.add_argument(
        "--no-dashboard",
        action="store_true",
        help="stop after the docs instead of serving the dashboard",
    )
    parser.add_argument(
        "--load-args",
        default="",
        help="extra arguments for the loader, e.g. '--stores madrid'",
    )
    args = parser.parse_args(argv)

    core = settings.core()
    core.warehouse.parent.mkdir(parents=True, exist_ok=True)
    dbt_env = _dbt_env()
    simulator = api = None
    try:
        simulator = start_simulator(core.api_url)
        run_step("load", [sys.executable, "-m", "loaders", *args.load_args.split()])
        run_step("dbt build", [_bin("dbt"), "build"], env=dbt_env)
        run_step("publish", [sys.executable, "-m", "footfall.publish"])
        run_step("dbt docs", [_bin("dbt"), "docs", "generate"], env=dbt_env)
        api, api_url, api_key = start_api()
        dashboard_url = f"http://{core.dashboard_host}:{core.dashboard_port}"
        print(
            "\nfootfall is up:\n"
            f"  dashboard      {dashboard_url}\n"
            f"  sensor API     {core.api_url}/docs\n"
            f"  read API       {api_url}/docs   key to try: {api_key} (header X-API-Key)\n"
            "  dbt docs       make docs-serve   (then http://127.0.0.1:8080)\n"
            f"  warehouse      {core.warehouse}\n"
            "  schedule       make run   (Dagster: hourly runs, UI at http://127.0.0.1:3000)\n",
            flush=True,
        )
        if args.no_dashboard:
            return 0
        print(f"Serving the dashboard at {dashboard_url} (Ctrl-C stops the demo)", flush=True)
        subprocess.run([sys.executable, "-m", "dashboards"], cwd=settings.REPO_ROOT, check=False)
        return 0
    except DemoError as exc:
        print(f"\nfootfall demo: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
    finally:
        if simulator is not None:
            services.stop(simulator)
        if api is not None:
            services.stop(api)


if __name__ == "__main__":
    sys.exit(main())
