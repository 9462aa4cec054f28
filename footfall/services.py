"""Start footfall's own services (the simulator, the dashboard) as child processes on loopback.

One way to do it for the demo, the tests and the benchmarks: run `python -m MODULE` with extra
environment, wait until its health URL answers 200, and stop it cleanly afterwards. The
service's output goes to a file (a pipe nobody reads would fill up and block it); when the
service dies or never answers, the error carries the end of that output.
"""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import IO
from urllib.error import URLError
from urllib.request import urlopen

from footfall.settings import REPO_ROOT


class ServiceError(RuntimeError):
    """A service exited or did not answer its health URL in time."""


def free_port(host: str = "127.0.0.1") -> int:
    """A TCP port on `host` that nothing listens on right now."""
    with socket.socket() as s:
        s.bind((host, 0))
        return s.getsockname()[1]


def answers(url: str, timeout_s: float = 1.0) -> bool:
    """True when GET url answers 200."""
    try:
        with urlopen(url, timeout=timeout_s) as response:
            return response.status == 200
    except (URLError, OSError, ValueError):
        return False


def _tail(log: IO[bytes] | None, n_chars: int = 4000) -> str:
    if log is None:
        return ""
    log.flush()
    text = Path(log.name).read_text(errors="replace")
    return text[-n_chars:]


def start(
    module: str,
    env: dict[str, str],
    health_url: str,
    *,
    timeout_s: float = 60.0,
    log_path: Path | None = None,
) -> subprocess.Popen[bytes]:
    """Run `python -m module` with `env` added to the environment; return once health_url is up.

    Output goes to `log_path`, or to a temporary file that is removed when the service stops.
    """
    if log_path is None:
        log: IO[bytes] = tempfile.NamedTemporaryFile(prefix=f"footfall-{module}-", suffix=".log")  # noqa: SIM115
    else:
        log_path.parent.mkdir(parents=True, exist_ok=True)
        log = log_path.open("wb")
    proc = subprocess.Popen(
        [sys.executable, "-m", module],
        cwd=REPO_ROOT,
        env={**os.environ, **env},
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    proc.footfall_log = log  # type: ignore[attr-defined]  # closed by stop()
    deadline = time.monotonic() + timeout_s
    while not answers(health_url):
        if proc.poll() is not None:
            output = _tail(log)
            log.close()
            raise ServiceError(f"`python -m {module}` exited with {proc.returncode}:\n{output}")
        if time.monotonic() > deadline:
            stop(proc)
            raise ServiceError(
                f"`python -m {module}` did not answer {health_url} within {timeout_s:.0f} s"
            )
        time.sleep(0.1)
    return proc


def stop(proc: subprocess.Popen[bytes], timeout_s: float = 10.0) -> None:
    """Terminate a service started by start(), killing it if it does not stop in time."""
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=timeout_s)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
    log = getattr(proc, "footfall_log", None)
    if log is not None:
        log.close()


@contextlib.contextmanager
def running(
    module: str, env: dict[str, str], health_url: str, *, timeout_s: float = 60.0
) -> Iterator[subprocess.Popen[bytes]]:
    """start() as a context manager: the service stops when the block ends."""
    proc = start(module, env, health_url, timeout_s=timeout_s)
    try:
        yield proc
    finally:
        stop(proc)


@contextlib.contextmanager
def simulator(
    env: dict[str, str] | None = None, *, port: int | None = None, timeout_s: float = 60.0
) -> Iterator[str]:
    """A simulator on a loopback port (a free one by default), with extra environment; yields
    its base URL."""
    port = port or free_port()
    sim_env = {**(env or {}), "FOOTFALL_SIM_HOST": "127.0.0.1", "FOOTFALL_SIM_PORT": str(port)}
    url = f"http://127.0.0.1:{port}"
    with running("simulator", sim_env, f"{url}/health", timeout_s=timeout_s):
        yield url


@contextlib.contextmanager
def dashboard(
    env: dict[str, str] | None = None, *, port: int | None = None, timeout_s: float = 60.0
) -> Iterator[str]:
    """The dashboard on a loopback port (a free one by default), with extra environment; yields
    its base URL."""
    port = port or free_port()
    dash_env = {
        **(env or {}),
        "FOOTFALL_DASHBOARD_HOST": "127.0.0.1",
        "FOOTFALL_DASHBOARD_PORT": str(port),
    }
    url = f"http://127.0.0.1:{port}"
    with running("dashboards", dash_env, f"{url}/_stcore/health", timeout_s=timeout_s):
        yield url
