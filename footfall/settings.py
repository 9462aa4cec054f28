"""Every setting of footfall, read from the environment in one place.

Each setting is a ``FOOTFALL_*`` environment variable with a default. Nothing is read at
import time: each part has a frozen dataclass section with a ``from_env()`` constructor and a
function that returns it (``core()``, ...), called when a value is needed, so tests and
commands can set the environment first. The README lists every variable.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, fields
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent


class SettingError(ValueError):
    """A FOOTFALL_* variable holds a value that cannot be used."""


def _env(name: str, default: str | None) -> str | None:
    value = os.environ.get(name)
    return default if value is None or value == "" else value


def _str(name: str, default: str) -> str:
    return _env(name, default) or default


def _path(name: str, default: str) -> Path:
    """A path setting; relative paths are taken from the repository root."""
    p = Path(_env(name, default) or default)
    return p if p.is_absolute() else REPO_ROOT / p


def _int(name: str, default: int) -> int:
    raw = _env(name, str(default))
    try:
        return int(raw)  # type: ignore[arg-type]
    except ValueError:
        raise SettingError(f"{name}={raw!r} is not a whole number (default {default}).") from None


def _float(name: str, default: float) -> float:
    raw = _env(name, str(default))
    try:
        return float(raw)  # type: ignore[arg-type]
    except ValueError:
        raise SettingError(f"{name}={raw!r} is not a number (default {default}).") from None


def _bool(name: str, default: bool) -> bool:
    raw = (_env(name, "1" if default else "0") or "").strip().lower()
    if raw in {"1", "true", "yes", "on"}:
        return True
    if raw in {"0", "false", "no", "off"}:
        return False
    raise SettingError(f"{name}={raw!r} is not a yes/no value (use 1 or 0).")


# --------------------------------------------------------------------------------------------
# Core: where things are
# --------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class CoreSettings:
    """Paths and addresses shared by every part."""

    warehouse: Path
    serving: Path
    api_url: str
    dashboard_host: str
    dashboard_port: int

    @classmethod
    def from_env(cls) -> CoreSettings:
        return cls(
            warehouse=_path("FOOTFALL_WAREHOUSE", "data/warehouse.duckdb"),
            serving=_path("FOOTFALL_SERVING", "data/serving.duckdb"),
            api_url=_str("FOOTFALL_API_URL", "http://127.0.0.1:8000").rstrip("/"),
            dashboard_host=_str("FOOTFALL_DASHBOARD_HOST", "127.0.0.1"),
            dashboard_port=_int("FOOTFALL_DASHBOARD_PORT", 8501),
        )


def core() -> CoreSettings:
    """The core settings, read now from the environment."""
    return CoreSettings.from_env()


def describe(settings: object) -> dict[str, object]:
    """A settings object as a plain dict, for logs and summaries."""
    return {f.name: getattr(settings, f.name) for f in fields(settings)}  # type: ignore[arg-type]
