"""What can stop a load, each with the exit code the command line returns for it."""

from __future__ import annotations


class LoaderError(Exception):
    """A load could not be done; the message says what failed and what to do."""

    exit_code = 1


class OptionError(LoaderError):
    """A command-line option is wrong (bad date, unknown store, end before start)."""

    exit_code = 2


class ApiUnreachable(LoaderError):
    """Nothing answers at the API's URL (the simulator is not running)."""

    exit_code = 3


class ApiError(LoaderError):
    """The API answered, but not usefully, even after the retries."""

    exit_code = 4


class WarehouseLocked(LoaderError):
    """Another process holds the warehouse file longer than the loader is willing to wait."""

    exit_code = 5


class TransientError(Exception):
    """One request failed in a way worth retrying (5xx, 429, timeout, a broken body)."""

    def __init__(self, message: str, retry_after_s: float | None = None) -> None:
        super().__init__(message)
        self.retry_after_s = retry_after_s
