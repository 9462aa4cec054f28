"""`python -m dashboards`: serve the dashboard with `streamlit run`, headless, on
FOOTFALL_DASHBOARD_HOST:FOOTFALL_DASHBOARD_PORT (127.0.0.1:8501).

Extra arguments are passed to `streamlit run` (e.g. `--server.port 8600`); the theme is in
`.streamlit/config.toml` at the repository root, where the launcher runs Streamlit.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from footfall import settings

APP = Path(__file__).resolve().parent / "app.py"


def command(extra: list[str] | None = None) -> list[str]:
    """The `streamlit run` command line for the configured host and port."""
    core = settings.core()
    return [
        sys.executable,
        "-m",
        "streamlit",
        "run",
        str(APP),
        "--server.address",
        core.dashboard_host,
        "--server.port",
        str(core.dashboard_port),
        "--server.headless",
        "true",
        "--browser.gatherUsageStats",
        "false",
        *(extra or []),
    ]


def main(argv: list[str] | None = None) -> int:
    core = settings.core()
    args = sys.argv[1:] if argv is None else argv
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(
        p for p in (str(settings.REPO_ROOT), env.get("PYTHONPATH", "")) if p
    )
    print(
        f"footfall dashboard on http://{core.dashboard_host}:{core.dashboard_port} "
        f"(serving snapshot {core.serving}); Ctrl-C stops it.",
        flush=True,
    )
    os.chdir(settings.REPO_ROOT)
    os.execve(sys.executable, command(args), env)
    return 0  # not reached: exec replaced this process


if __name__ == "__main__":
    sys.exit(main())
