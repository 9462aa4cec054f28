"""Every setting of footfall, read from the environment in one place.

Each setting is a ``FOOTFALL_*`` environment variable with a default. Nothing is read at
import time: each part has a frozen dataclass section with a ``from_env()`` constructor and a
function that returns it (``core()``, ...), called when a value is needed, so tests and
commands can set the environment first. The README lists every variable.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field, fields
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


# --------------------------------------------------------------------------------------------
# Simulator: the chain's sensor API (docs/simulator.md)
# --------------------------------------------------------------------------------------------
def _share(name: str, default: float = 0.0) -> float:
    """A probability setting, in [0, 1]."""
    value = _float(name, default)
    if not 0.0 <= value <= 1.0:
        raise SettingError(f"{name}={value!r} must be a share between 0 and 1 (e.g. 0.2).")
    return value


@dataclass(frozen=True)
class SimulatorSettings:
    """The simulator: address, clock, model, fleet and fault injection (docs/simulator.md)."""

    host: str
    port: int
    now: str | None
    speed: float | None
    profile: str
    profile_off: tuple[str, ...]
    seed: int
    n_stores: int
    fault_5xx: float
    fault_429: float
    fault_retry_after_s: int
    fault_latency_ms: float
    fault_truncated: float
    fault_malformed: float
    fault_duplicates: float
    fault_bad_rows: float
    fault_seed: int | None = None

    @classmethod
    def from_env(cls) -> SimulatorSettings:
        speed_raw = _env("FOOTFALL_SIM_SPEED", None)
        speed = None if speed_raw is None else _float("FOOTFALL_SIM_SPEED", 1.0)
        if speed is not None and not 0 <= speed <= 1e6:
            raise SettingError(
                f"FOOTFALL_SIM_SPEED={speed_raw!r} must be between 0 (frozen) and 1000000."
            )
        n_stores = _int("FOOTFALL_SIM_STORES", 5)
        if n_stores < 1:
            raise SettingError(f"FOOTFALL_SIM_STORES={n_stores} must be at least 1.")
        off = _str("FOOTFALL_SIM_PROFILE_OFF", "")
        retry_after = _int("FOOTFALL_SIM_FAULT_RETRY_AFTER_S", 1)
        latency = _float("FOOTFALL_SIM_FAULT_LATENCY_MS", 0.0)
        if not 0 <= retry_after <= 3600 or not 0 <= latency <= 60_000:
            raise SettingError(
                f"FOOTFALL_SIM_FAULT_RETRY_AFTER_S={retry_after} must be 0..3600 and "
                f"FOOTFALL_SIM_FAULT_LATENCY_MS={latency} must be 0..60000."
            )
        return cls(
            host=_str("FOOTFALL_SIM_HOST", "127.0.0.1"),
            port=_int("FOOTFALL_SIM_PORT", 8000),
            now=_env("FOOTFALL_SIM_NOW", None),  # ISO 8601 UTC, parsed by simulator.clock
            speed=speed,
            profile=_str("FOOTFALL_SIM_PROFILE", "realistic").strip().lower(),
            profile_off=tuple(p.strip().lower() for p in off.split(",") if p.strip()),
            seed=_int("FOOTFALL_SIM_SEED", 2024),
            n_stores=n_stores,
            fault_5xx=_share("FOOTFALL_SIM_FAULT_5XX"),
            fault_429=_share("FOOTFALL_SIM_FAULT_429"),
            fault_retry_after_s=retry_after,
            fault_latency_ms=latency,
            fault_truncated=_share("FOOTFALL_SIM_FAULT_TRUNCATED"),
            fault_malformed=_share("FOOTFALL_SIM_FAULT_MALFORMED"),
            fault_duplicates=_share("FOOTFALL_SIM_FAULT_DUPLICATES"),
            fault_bad_rows=_share("FOOTFALL_SIM_FAULT_BAD_ROWS"),
            fault_seed=(
                None
                if _env("FOOTFALL_SIM_FAULT_SEED", None) is None
                else _int("FOOTFALL_SIM_FAULT_SEED", 0)
            ),
        )


def simulator() -> SimulatorSettings:
    """The simulator settings, read now from the environment."""
    return SimulatorSettings.from_env()


# --------------------------------------------------------------------------------------------
# Loaders (issue 3)
# --------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class LoaderSettings:
    """How the loader reads the API and waits for the warehouse (README: Loading)."""

    overlap_hours: int
    page_size: int
    workers: int
    max_attempts: int
    backoff_s: float
    backoff_max_s: float
    http_timeout_s: float
    lock_wait_s: float

    @classmethod
    def from_env(cls) -> LoaderSettings:
        settings = cls(
            overlap_hours=_int("FOOTFALL_LOADER_OVERLAP_HOURS", 24),
            page_size=_int("FOOTFALL_LOADER_PAGE_SIZE", 100_000),
            workers=_int("FOOTFALL_LOADER_WORKERS", 4),
            max_attempts=_int("FOOTFALL_LOADER_MAX_ATTEMPTS", 8),
            backoff_s=_float("FOOTFALL_LOADER_BACKOFF_S", 0.2),
            backoff_max_s=_float("FOOTFALL_LOADER_BACKOFF_MAX_S", 10.0),
            http_timeout_s=_float("FOOTFALL_LOADER_HTTP_TIMEOUT_S", 60.0),
            lock_wait_s=_float("FOOTFALL_LOADER_LOCK_WAIT_S", 30.0),
        )
        limits = {
            "FOOTFALL_LOADER_OVERLAP_HOURS": (settings.overlap_hours, 0, None),
            "FOOTFALL_LOADER_PAGE_SIZE": (settings.page_size, 1, 1_000_000),
            "FOOTFALL_LOADER_WORKERS": (settings.workers, 1, 64),
            "FOOTFALL_LOADER_MAX_ATTEMPTS": (settings.max_attempts, 1, None),
            "FOOTFALL_LOADER_BACKOFF_S": (settings.backoff_s, 0, None),
            "FOOTFALL_LOADER_BACKOFF_MAX_S": (settings.backoff_max_s, 0, None),
            "FOOTFALL_LOADER_HTTP_TIMEOUT_S": (settings.http_timeout_s, 0.001, None),
            "FOOTFALL_LOADER_LOCK_WAIT_S": (settings.lock_wait_s, 0, None),
        }
        for name, (value, low, high) in limits.items():
            if value < low or (high is not None and value > high):
                bounds = f"at least {low}" if high is None else f"between {low} and {high}"
                raise SettingError(f"{name}={value!r} must be {bounds}.")
        return settings


def loader() -> LoaderSettings:
    """The loader settings, read now from the environment."""
    return LoaderSettings.from_env()


def describe(settings: object) -> dict[str, object]:
    """A settings object as a plain dict, for logs and summaries."""
    return {f.name: getattr(settings, f.name) for f in fields(settings)}  # type: ignore[arg-type]


# --------------------------------------------------------------------------------------------
# Alerts and the schedule (issue 6)
# --------------------------------------------------------------------------------------------
SEVERITIES = ("warning", "critical")


@dataclass(frozen=True)
class AlertSettings:
    """Where the alerts are read and remembered, and the notification channels (off by default).

    Email is on when both ``FOOTFALL_ALERT_SMTP_HOST`` and ``FOOTFALL_ALERT_EMAIL_TO`` are set;
    the webhook is on when ``FOOTFALL_ALERT_WEBHOOK_URL`` is set. The alert thresholds
    themselves are dbt vars (``dbt_project/dbt_project.yml``), not environment variables.
    """

    state_file: Path
    notify_min_severity: str
    smtp_host: str
    smtp_port: int
    smtp_security: str
    smtp_user: str
    smtp_password: str = field(repr=False)
    email_from: str
    email_to: tuple[str, ...]
    webhook_url: str
    timeout_s: float

    @property
    def email_enabled(self) -> bool:
        return bool(self.smtp_host and self.email_to)

    @property
    def webhook_enabled(self) -> bool:
        return bool(self.webhook_url)

    @classmethod
    def from_env(cls) -> AlertSettings:
        severity = _str("FOOTFALL_ALERT_NOTIFY_MIN_SEVERITY", "warning").lower()
        if severity not in SEVERITIES:
            raise SettingError(
                f"FOOTFALL_ALERT_NOTIFY_MIN_SEVERITY={severity!r} is not a severity; "
                f"use one of {', '.join(SEVERITIES)}."
            )
        security = _str("FOOTFALL_ALERT_SMTP_SECURITY", "none").lower()
        if security not in {"none", "starttls", "ssl"}:
            raise SettingError(
                f"FOOTFALL_ALERT_SMTP_SECURITY={security!r} is not one of none, starttls, ssl."
            )
        recipients = _env("FOOTFALL_ALERT_EMAIL_TO", "") or ""
        return cls(
            state_file=_path("FOOTFALL_ALERT_STATE", "data/alerts_state.json"),
            notify_min_severity=severity,
            smtp_host=_env("FOOTFALL_ALERT_SMTP_HOST", "") or "",
            smtp_port=_int("FOOTFALL_ALERT_SMTP_PORT", 25),
            smtp_security=security,
            smtp_user=_env("FOOTFALL_ALERT_SMTP_USER", "") or "",
            smtp_password=_env("FOOTFALL_ALERT_SMTP_PASSWORD", "") or "",
            email_from=_str("FOOTFALL_ALERT_EMAIL_FROM", "footfall@localhost"),
            email_to=tuple(r.strip() for r in recipients.split(",") if r.strip()),
            webhook_url=_env("FOOTFALL_ALERT_WEBHOOK_URL", "") or "",
            timeout_s=_float("FOOTFALL_ALERT_TIMEOUT_S", 10.0),
        )


def alerts() -> AlertSettings:
    """The alert settings, read now from the environment."""
    return AlertSettings.from_env()


@dataclass(frozen=True)
class ScheduleSettings:
    """The pipeline on Dagster (`make run`, docs/orchestration.md): the schedule's cron and
    whether it starts on, the loader step's retries, where Dagster keeps its runs and serves
    its UI, and extra arguments of the load and build steps (e.g. ``--stores berlin``,
    ``--vars '{...}'``), split like a shell."""

    cron: str
    enabled: bool
    load_retries: int
    load_retry_delay_s: float
    dagster_home: Path
    dagster_host: str
    dagster_port: int
    load_args: str
    dbt_args: str

    @property
    def ui_url(self) -> str:
        return f"http://{self.dagster_host}:{self.dagster_port}"

    @classmethod
    def from_env(cls) -> ScheduleSettings:
        cron = " ".join(_str("FOOTFALL_SCHEDULE_CRON", "0 * * * *").split())
        if len(cron.split()) != 5:
            raise SettingError(
                f"FOOTFALL_SCHEDULE_CRON={cron!r} is not a cron expression of 5 fields "
                "(minute hour day month weekday, e.g. '0 * * * *' for every hour, UTC)."
            )
        retries = _int("FOOTFALL_SCHEDULE_LOAD_RETRIES", 3)
        delay = _float("FOOTFALL_SCHEDULE_LOAD_RETRY_DELAY_S", 30.0)
        if retries < 0 or delay < 0:
            raise SettingError(
                f"FOOTFALL_SCHEDULE_LOAD_RETRIES={retries} and "
                f"FOOTFALL_SCHEDULE_LOAD_RETRY_DELAY_S={delay} must be >= 0."
            )
        port = _int("FOOTFALL_DAGSTER_PORT", 3000)
        if not 1 <= port <= 65535:
            raise SettingError(f"FOOTFALL_DAGSTER_PORT={port} is not a TCP port (1..65535).")
        return cls(
            cron=cron,
            enabled=_bool("FOOTFALL_SCHEDULE_ENABLED", True),
            load_retries=retries,
            load_retry_delay_s=delay,
            dagster_home=_path("FOOTFALL_DAGSTER_HOME", "data/dagster"),
            dagster_host=_str("FOOTFALL_DAGSTER_HOST", "127.0.0.1"),
            dagster_port=port,
            load_args=_env("FOOTFALL_PIPELINE_LOAD_ARGS", "") or "",
            dbt_args=_env("FOOTFALL_PIPELINE_DBT_ARGS", "") or "",
        )


def schedule() -> ScheduleSettings:
    """The schedule settings, read now from the environment."""
    return ScheduleSettings.from_env()


# --------------------------------------------------------------------------------------------
# Dashboard and the serving snapshot (issue 5)
# --------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class DashboardSettings:
    """Publishing the serving snapshot and serving the dashboard (README: Dashboard).

    ``dbt_target_dir`` is where the last ``dbt build`` wrote ``run_results.json``: dbt's own
    ``DBT_TARGET_PATH`` when set (relative to the dbt project, as dbt reads it), else
    ``dbt_project/target``.
    """

    publish_wait_s: float
    dbt_target_dir: Path
    chromium: Path
    publish_memory_limit: str = "640MB"

    @classmethod
    def from_env(cls) -> DashboardSettings:
        wait = _float("FOOTFALL_PUBLISH_WAIT_S", 30.0)
        if wait < 0:
            raise SettingError(f"FOOTFALL_PUBLISH_WAIT_S={wait} must be >= 0 seconds.")
        project = _path("DBT_PROJECT_DIR", "dbt_project")
        target = Path(_env("DBT_TARGET_PATH", "target") or "target")
        return cls(
            publish_wait_s=wait,
            dbt_target_dir=target if target.is_absolute() else project / target,
            chromium=_path("FOOTFALL_CHROMIUM", "/usr/bin/chromium"),
            publish_memory_limit=_memory("FOOTFALL_PUBLISH_MEMORY_LIMIT", "640MB"),
        )


def _memory(name: str, default: str) -> str:
    """A DuckDB memory limit such as 1GB or 512MB."""
    value = _str(name, default).strip().upper().replace(" ", "")
    if not re.fullmatch(r"\d+(\.\d+)?(KB|MB|GB|TB|KIB|MIB|GIB|TIB)", value):
        raise SettingError(f"{name}={value!r} must be a memory size such as 1GB or 512MB.")
    return value


def dashboard() -> DashboardSettings:
    """The dashboard and publishing settings, read now from the environment."""
    return DashboardSettings.from_env()


# --------------------------------------------------------------------------------------------
# The read API over the serving snapshot (issue 12, docs/access.md)
# --------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class AccessSettings:
    """The read API (`make api`): address, the keys it accepts, and the rows of one answer.

    ``FOOTFALL_ACCESS_KEYS`` is a comma-separated list of keys; a request must send one of them
    in the ``X-API-Key`` header. Without keys every request but ``/health`` gets 401.
    """

    host: str
    port: int
    keys: tuple[str, ...] = field(repr=False)
    max_rows: int

    @classmethod
    def from_env(cls) -> AccessSettings:
        max_rows = _int("FOOTFALL_ACCESS_MAX_ROWS", 100_000)
        if not 1 <= max_rows <= 10_000_000:
            raise SettingError(
                f"FOOTFALL_ACCESS_MAX_ROWS={max_rows} must be between 1 and 10000000."
            )
        raw_keys = _env("FOOTFALL_ACCESS_KEYS", "") or ""
        return cls(
            host=_str("FOOTFALL_ACCESS_HOST", "127.0.0.1"),
            port=_int("FOOTFALL_ACCESS_PORT", 8502),
            keys=tuple(k.strip() for k in raw_keys.split(",") if k.strip()),
            max_rows=max_rows,
        )


def access() -> AccessSettings:
    """The read API settings, read now from the environment."""
    return AccessSettings.from_env()
