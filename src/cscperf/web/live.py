"""Keeping figures live: pushed records go into the warehouse and the latest period is recomputed in the background."""

from __future__ import annotations

import datetime as dt
import logging
import threading
from dataclasses import dataclass
from typing import Any

from cscperf.web.db import WarehouseAccess, fingerprint

log = logging.getLogger("cscperf.web")


@dataclass
class PushResult:
    load_id: str
    records: int
    rejected: list[dict[str, str]]  # where and why, never the rejected value (it may be a child's data)


def push_records(access: WarehouseAccess, records: list[dict[str, Any]], user_name: str) -> PushResult:
    """Load DfE CSC API child records as one load in one transaction (all or none)."""
    from cscperf.ingest.api_json import load_api_record
    from cscperf.ingest.core import LoadSummary, end_load, start_load, transaction

    with access.cursor() as cur, transaction(cur):
        load_id = start_load(cur, "api-json", [{"path": f"push:{user_name}", "records": len(records)}])
        total = LoadSummary(load_id=load_id, fmt="api-json")
        for i, record in enumerate(records):
            summary = load_api_record(cur, record, load_id, source=f"push[{i}]")
            _merge(total, summary)
        end_load(cur, total)
    rejected = [
        {"location": f"{x.source} {x.location}".strip(), "table": x.table, "field": x.field, "rule": x.rule} for x in total.rejected
    ]
    return PushResult(load_id, len(records), rejected)


def _merge(total: Any, part: Any) -> None:
    for name, c in part.tables.items():
        t = total.counts(name)
        for k, v in vars(c).items():
            setattr(t, k, getattr(t, k) + v)
    for k, v in part.read.items():
        total.read[k] = total.read.get(k, 0) + v
    total.rejected.extend(part.rejected)
    total.warnings.extend(part.warnings)


class Recomputer:
    """One background thread recomputing the latest period's results whenever new data arrives.

    Requests coalesce: any number of pushes while a recompute runs lead to one more recompute.
    """

    def __init__(self, access: WarehouseAccess, months: int = 1) -> None:
        self.access = access
        self.months = months
        self._wake = threading.Event()
        self._lock = threading.Lock()
        self._pending = False
        self._stopped = False
        self.runs = 0
        self.last_error: str | None = None
        self.last_failed_key: str | None = None
        self._thread = threading.Thread(target=self._run, name="cscperf-recompute", daemon=True)
        self._thread.start()

    def request(self) -> None:
        with self._lock:
            self._pending = True
        self._wake.set()

    @property
    def busy(self) -> bool:
        return self._pending or self._wake.is_set()

    def stop(self) -> None:
        self._stopped = True
        self._wake.set()

    def _run(self) -> None:
        while not self._stopped:
            self._wake.wait()
            self._wake.clear()
            if self._stopped:
                return
            with self._lock:
                if not self._pending:
                    continue
                self._pending = False
            try:
                self.recompute_now()
            except Exception as exc:  # keep serving; the error shows on the loads page
                self.last_error = f"{type(exc).__name__}: {exc}"
                log.warning("recompute failed: %s", type(exc).__name__)
                self._remember_failure()

    def _remember_failure(self) -> None:
        try:
            with self.access.cursor() as cur:
                self.last_failed_key = fingerprint(cur).key
        except Exception:
            self.last_failed_key = None

    def recompute_now(self) -> int:
        compute, store_results = _engine()
        with self.access.cursor() as cur:
            period_end = _latest_period_end(cur)
            if period_end is None:
                return 0
            frame = compute(cur, [period_end])
            n = store_results(cur, frame)
        self.runs += 1
        self.last_error = None
        return n

    def needed(self, cur: Any) -> bool:
        """True when a load finished after the figures were last computed (e.g. a CLI load)."""
        fp = fingerprint(cur)
        if fp.last_load is None or fp.computed_at is None or fp.key == self.last_failed_key:
            return False
        return fp.last_load > fp.computed_at


def _engine() -> tuple[Any, Any]:
    try:
        from cscperf.indicators import compute, store_results
    except ImportError:  # the package may not re-export them yet
        from cscperf.indicators.engine import compute, store_results
    return compute, store_results


def _latest_period_end(cur: Any) -> dt.date | None:
    """The period the dashboard shows: the latest month end already in the results."""
    row = cur.execute("SELECT max(period_end) FROM cscperf_results WHERE breakdown = 'la'").fetchone()
    return row[0] if row else None
