"""`python -m dashboards`: serve the dashboard with Streamlit, headless, on
FOOTFALL_DASHBOARD_HOST:FOOTFALL_DASHBOARD_PORT (127.0.0.1:8501).

This is `streamlit run dashboards/app.py` with the address and port of the settings, run
from the repository root (where `.streamlit/config.toml` holds the theme), in a process that
has already imported the app's heavy modules, so that the first visitor does not wait for
them. Extra arguments go to `streamlit run` (e.g. `--server.runOnSave true`).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from footfall import settings

APP = Path(__file__).resolve().parent / "app.py"


def streamlit_args(extra: list[str] | None = None) -> list[str]:
    """The `streamlit run` arguments for the configured host and port."""
    core = settings.core()
    return [
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


def _preload() -> None:
    """Import what the pages use (pandas, Altair, DuckDB: most of a second) before serving."""
    import altair  # noqa: F401
    import duckdb  # noqa: F401
    import pandas  # noqa: F401

    # Not the modules that create Streamlit caches (context, status): those belong to the
    # runtime, which starts below.
    from dashboards import charts, explain, page_data, queries, ui  # noqa: F401


def main(argv: list[str] | None = None) -> int:
    core = settings.core()
    args = streamlit_args(sys.argv[1:] if argv is None else argv)
    os.chdir(settings.REPO_ROOT)
    if str(settings.REPO_ROOT) not in sys.path:
        sys.path.insert(0, str(settings.REPO_ROOT))
    print(
        f"footfall dashboard on http://{core.dashboard_host}:{core.dashboard_port} "
        f"(serving snapshot {core.serving}); Ctrl-C stops it.",
        flush=True,
    )
    _preload()
    from streamlit.web import cli

    return cli.main(args=args, prog_name="streamlit", standalone_mode=False) or 0


if __name__ == "__main__":
    sys.exit(main())
