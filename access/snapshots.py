"""The serving snapshot kept open, one pinned version at a time, for the API's requests.

Opening a DuckDB file costs tens of milliseconds (more than the query of a small answer), so
the API keeps one read-only database open per snapshot *version* and gives each request a
cursor of its own on it. As the dashboard does (dashboards/snapshot.py), the version is
opened through a hard link of its own next to the snapshot: the link pins the file it was made
to, so when the publisher renames a new snapshot into place, the requests already running
finish on the old file, whole, and the next request opens the new one. The old version is
closed (and its link removed) when its last request ends. The publisher never waits for the
API: it writes a new file and renames it; nothing here opens the warehouse.
"""

from __future__ import annotations

import contextlib
import os
import threading
import uuid
from collections.abc import Iterator
from pathlib import Path

import duckdb

from dashboards.snapshot import Version, readers_dir


class _Pinned:
    """One version of the snapshot, opened read-only through a link of its own."""

    def __init__(self, path: Path) -> None:
        links = readers_dir(path)
        links.mkdir(exist_ok=True)
        self.link = links / f"api-{uuid.uuid4().hex}.duckdb"
        os.link(path, self.link)  # FileNotFoundError when there is no snapshot
        st = os.stat(self.link)
        self.version: Version = (st.st_ino, st.st_mtime_ns, st.st_size)
        try:
            self.con = duckdb.connect(str(self.link), read_only=True)
        except BaseException:
            self.link.unlink(missing_ok=True)
            raise
        self.users = 0
        self.retired = False

    def close(self) -> None:
        with contextlib.suppress(duckdb.Error):
            self.con.close()
        self.link.unlink(missing_ok=True)


class SnapshotPool:
    """Read-only cursors on the current version of the snapshot at `path`."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self._lock = threading.Lock()
        self._current: _Pinned | None = None

    @contextlib.contextmanager
    def cursor(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """A cursor on the snapshot as it is now; the version stays pinned until it closes.

        Raises FileNotFoundError without a snapshot, duckdb.Error when it cannot be read.
        """
        st = os.stat(self.path)
        version = (st.st_ino, st.st_mtime_ns, st.st_size)
        with self._lock:
            if self._current is None or self._current.version != version:
                fresh = _Pinned(self.path)
                self._retire(self._current)
                self._current = fresh
            pinned = self._current
            cur = pinned.con.cursor()  # a connection of its own to the pinned database
            pinned.users += 1
        try:
            yield cur
        finally:
            cur.close()
            with self._lock:
                pinned.users -= 1
                if pinned.retired and pinned.users == 0:
                    pinned.close()

    def _retire(self, pinned: _Pinned | None) -> None:
        if pinned is None:
            return
        pinned.retired = True
        if pinned.users == 0:
            pinned.close()

    def close(self) -> None:
        """Close the open version (at shutdown)."""
        with self._lock:
            self._retire(self._current)
            self._current = None
