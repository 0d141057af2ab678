"""How the server shares the DuckDB warehouse with itself and with CLI loads.

DuckDB lets one process write a database file, and a process holding it open (even read-only) keeps
others from writing. So:

* The server opens the file (read-write: it writes pushed records and recomputed results) on the
  first request and hands each request its own cursor. Requests, pushes and recomputes in the server
  share that one database instance, so the server is the only writer while it holds the file.
  Within the server, writes (pushes, recomputed figures) take `writer()`: one at a time, in arrival
  order, so concurrent pushes of the same child neither conflict nor both insert it.
* When no request has used it for `idle_release` seconds the server closes it, so a CLI load
  (`cscperf load ...`, `cscperf compute`) can take the file. A request that finds the file locked by
  such a load waits (up to `busy_timeout` seconds) and otherwise gets a 503 "warehouse busy".
* Every request reads the data's fingerprint (latest load, latest computed figures): page caches
  are keyed by it, so figures written by the server or by a CLI load show on the next request.

Limits: while the dashboard is in constant use a CLI load cannot get the file (load through the
push API then, or in a quiet moment); one server process only (several uvicorn workers would fight
over the lock).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import duckdb

from cscperf.warehouse import results


class WarehouseBusy(Exception):
    """Another process (a CLI load) holds the warehouse."""


class NoWarehouse(Exception):
    """The warehouse file does not exist."""


@dataclass(frozen=True)
class Fingerprint:
    last_load: str | None  # finished_at of the latest finished load
    loads: int
    computed_at: str | None  # latest computed_at in cscperf_results

    @property
    def key(self) -> str:
        return f"{self.last_load}|{self.loads}|{self.computed_at}"


LOADS_SQL = (
    "SELECT (SELECT CAST(max(finished_at) AS VARCHAR) FROM cscperf_loads WHERE status = 'done'), (SELECT count(*) FROM cscperf_loads)"
)


class WarehouseAccess:
    def __init__(self, path: Path, idle_release: float = 2.0, busy_timeout: float = 15.0) -> None:
        self.path = Path(path)
        self.idle_release = idle_release
        self.busy_timeout = busy_timeout
        self._con: duckdb.DuckDBPyConnection | None = None
        self._active = 0
        self._last_used = time.monotonic()
        self._lock = threading.Lock()
        self._write_lock = _FifoLock()
        self._closed = False
        self._fingerprint: tuple[tuple, Fingerprint] | None = None
        self._janitor = threading.Thread(target=self._release_when_idle, name="cscperf-warehouse-idle", daemon=True)
        self._janitor.start()

    # --- opening and releasing ----------------------------------------------------------------
    def _open(self) -> duckdb.DuckDBPyConnection:
        if not self.path.exists():
            raise NoWarehouse(f"no warehouse at {self.path}: run 'cscperf demo' or 'cscperf synth' first")
        deadline = time.monotonic() + self.busy_timeout
        while True:
            try:
                return duckdb.connect(str(self.path))
            except duckdb.IOException as exc:
                if "lock" not in str(exc).lower() or time.monotonic() > deadline:
                    raise WarehouseBusy("the warehouse is busy (a load is running); try again shortly") from exc
                time.sleep(0.2)

    @contextmanager
    def cursor(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """A cursor of the server's connection for one request or job, on this thread only."""
        with self._lock:
            if self._con is None:
                self._con = self._open()
            self._active += 1
            cur = self._con.cursor()
        try:
            yield cur
        finally:
            cur.close()
            with self._lock:
                self._active -= 1
                self._last_used = time.monotonic()

    @contextmanager
    def writer(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """A cursor for a write, held by one writer at a time; the others queue here in arrival order.

        DuckDB runs concurrent transactions optimistically: two pushes writing the same child either
        conflict (an error, formerly a 500) or, where neither saw the other's new row, both insert it
        (a duplicate). One writer at a time makes every upsert see the rows written before it.
        """
        with self._write_lock, self.cursor() as cur:
            yield cur

    def _release_when_idle(self) -> None:
        while not self._closed:
            time.sleep(min(0.5, self.idle_release))
            with self._lock:
                if self._con is not None and self._active == 0 and time.monotonic() - self._last_used >= self.idle_release:
                    self._con.close()
                    self._con = None

    def close(self) -> None:
        self._closed = True
        with self._lock:
            if self._con is not None:
                self._con.close()
                self._con = None

    @property
    def is_open(self) -> bool:
        return self._con is not None

    def fingerprint(self, cur: duckdb.DuckDBPyConnection) -> Fingerprint:
        """The data's fingerprint, re-read only when the file changed since it was last read (a stat, not a query)."""
        token = file_token(self.path)
        cached = self._fingerprint
        if cached is not None and cached[0] == token:
            return cached[1]
        fp = fingerprint(cur)
        self._fingerprint = (token, fp)
        return fp


class _FifoLock:
    """A lock granted in the order it was asked for (threading.Lock makes no promise of order), so a
    steady stream of pushes cannot starve an earlier one."""

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._next = 0  # the next ticket to hand out
        self._serving = 0  # the ticket allowed in

    def __enter__(self) -> None:
        with self._cond:
            ticket, self._next = self._next, self._next + 1
            self._cond.wait_for(lambda: self._serving == ticket)

    def __exit__(self, *exc: object) -> None:
        with self._cond:
            self._serving += 1
            self._cond.notify_all()


def fingerprint(cur: duckdb.DuckDBPyConnection) -> Fingerprint:
    row = cur.execute(LOADS_SQL).fetchone()
    assert row is not None
    return Fingerprint(row[0], int(row[1]), results.computed_at(cur))


def file_token(path: Path) -> tuple:
    """Changes whenever DuckDB commits (the WAL grows) or checkpoints (the file changes); reads leave it alone."""
    out = []
    for p in (path, path.with_name(path.name + ".wal")):
        try:
            st = p.stat()
            out.append((st.st_mtime_ns, st.st_size))
        except FileNotFoundError:
            out.append(None)
    return tuple(out)
