"""A cache of the SQL each indicator compiles to.

Compiling an Ibis expression costs a few hundred milliseconds, about as much as running it on a
large authority, and the SQL depends only on the code, the library versions and the settings. The
cache lives in memory and in a file under the user's cache folder, keyed by a fingerprint of the
indicator source files and library versions, so a code change can never reuse stale SQL.
"""

from __future__ import annotations

import hashlib
import json
import os
import threading
from functools import lru_cache
from pathlib import Path
from typing import Any

import duckdb
import ibis
import sqlglot

_MEMORY: dict[str, dict[tuple, str]] = {}
_SAVED: dict[str, int] = {}  # entries in the file as last read or written, per fingerprint


@lru_cache(maxsize=1)
def fingerprint() -> str:
    h = hashlib.sha256()
    for path in sorted(Path(__file__).parent.rglob("*.py")):
        h.update(path.read_bytes())
    h.update(f"{ibis.__version__} {sqlglot.__version__} {duckdb.__version__}".encode())
    return h.hexdigest()[:16]


def _file() -> Path | None:
    if os.environ.get("CSCPERF_NO_SQL_CACHE"):
        return None
    root = Path(os.environ.get("CSCPERF_CACHE_DIR") or Path.home() / ".cache" / "cscperf")
    return root / f"indicator-sql-{fingerprint()}.json"


def _decode(key: str) -> tuple:
    return tuple(tuple(x) if isinstance(x, list) else x for x in json.loads(key))


def load(con: Any = None) -> dict[tuple, str]:
    """The shared cache dict for this code version (read from disk the first time)."""
    fp = fingerprint()
    if fp not in _MEMORY:
        cache: dict[tuple, str] = {}
        path = _file()
        if path is not None and path.exists():
            try:
                cache = {_decode(k): v for k, v in json.loads(path.read_text()).items()}
            except (OSError, ValueError):
                cache = {}
        _MEMORY[fp] = cache
        _SAVED[fp] = len(cache)
    return _MEMORY[fp]


def save(cache: dict[tuple, str]) -> None:
    """Write the cache to disk if it has grown since it was read or last written."""
    path = _file()
    if path is None or _SAVED.get(fingerprint()) == len(cache):
        return
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        snapshot = dict(cache)  # one copy: another thread may be adding entries while this one writes
        tmp = path.with_suffix(f".{os.getpid()}-{threading.get_ident()}.tmp")
        tmp.write_text(json.dumps({json.dumps(list(k)): v for k, v in snapshot.items()}))
        tmp.replace(path)
        _SAVED[fingerprint()] = len(snapshot)
    except OSError:
        pass  # a read-only home folder only costs compile time
