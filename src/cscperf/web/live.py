"""Keeping figures live: pushed records go into the warehouse and the latest period is recomputed in the background."""

from __future__ import annotations

import datetime as dt
import logging
import threading
import traceback
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import duckdb

from cscperf.warehouse import results
from cscperf.warehouse.schema import PERMANENCY_TABLES
from cscperf.web.db import Fingerprint, WarehouseAccess, fingerprint

if TYPE_CHECKING:
    from cscperf.ingest.core import LoadSummary

log = logging.getLogger("cscperf.web")


@dataclass
class PushResult:
    load_id: str
    records: int
    tables: set[str]
    rejected: list[dict[str, str]]  # where and why, never the rejected value (it may be a child's data)
    status: str = "done"  # or "noop": the same push was loaded before (load_id is that load)


def push_records(access: WarehouseAccess, records: list[dict[str, Any]], user_name: str) -> PushResult:
    """Load DfE CSC API child records as one load in one transaction (all or none), one push at a time."""
    from cscperf.ingest.api_json import load_api_records
    from cscperf.ingest.core import end_load, start_load, transaction

    with access.writer() as cur, transaction(cur):
        load_id = start_load(cur, "api-json", [{"path": f"push:{user_name}", "records": len(records)}])
        total = load_api_records(cur, records, load_id, source="push")
        end_load(cur, total)
    return _pushed(total, load_id, len(records))


def push_tables(access: WarehouseAccess, tables: dict[str, list[dict[str, Any]]], user_name: str) -> PushResult:
    """Load rows of the permanency tables as `cscperf load ssd` loads their files: the same validation, quarantine
    and upsert by primary key, in one transaction; a push identical to an earlier one (same tables and rows) is a
    no-op, as a repeated file is."""
    import hashlib
    import json

    from cscperf.ingest.core import load_sources
    from cscperf.ingest.ssd import parse_tables

    digest = hashlib.sha256(json.dumps(tables, sort_keys=True, default=str).encode("utf-8")).hexdigest()
    sources = [{"path": f"push:{user_name}", "sha256": digest}]
    with access.writer() as cur:
        total = load_sources(cur, "ssd", sources, lambda: parse_tables(tables, "push"))
    return _pushed(total, total.load_id or (total.same_as or ""), sum(len(r) for r in tables.values()))


def _pushed(total: LoadSummary, load_id: str, count: int) -> PushResult:
    """A push's result from its load: the tables it changed (to recompute) and where and why rows were rejected."""
    rejected = [
        {"location": f"{x.source} {x.location}".strip(), "table": x.table, "field": x.field, "rule": x.rule} for x in total.rejected
    ]
    touched = {name for name, c in total.tables.items() if c.loaded or c.replaced or c.deleted}
    return PushResult(load_id, count, touched, rejected, total.status)


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
        self._running = False
        self._tables: set[str] = set()
        self._stopped = False
        self.runs = 0
        self.last_error: str | None = None
        self.last_failed_key: str | None = None
        self.failed_ids: list[str] = []
        self._thread = threading.Thread(target=self._run, name="cscperf-recompute", daemon=True)
        self._thread.start()

    def request(self, tables: set[str] | None = None) -> None:
        """Ask for a recompute; `tables` (canonical tables the new data touched) decide what goes first."""
        with self._lock:
            self._pending = True
            self._tables |= tables or set()
        self._wake.set()

    @property
    def busy(self) -> bool:
        return self._running or self._pending or self._wake.is_set()

    def stop(self, timeout: float = 30.0) -> None:
        """Stop after the indicator being computed (never leave a DuckDB query running at exit)."""
        self._stopped = True
        self._wake.set()
        self._thread.join(timeout)

    def _run(self) -> None:
        while not self._stopped:
            self._wake.wait()
            self._wake.clear()
            if self._stopped:
                return
            with self._lock:
                if not self._pending:
                    continue
                self._pending, tables, self._tables = False, self._tables, set()
                self._running = True
            try:
                self.recompute_now(tables)
            except Exception as exc:  # keep serving; the error shows on the loads page
                self.last_error = f"{type(exc).__name__}: {exc}"
                log.warning("recompute failed: %s at %s", type(exc).__name__, where(exc))
                self._remember_failure()
            finally:
                self._running = False

    def _remember_failure(self) -> None:
        """Note which data the failed run was for, so the same data is not retried in a loop."""
        try:
            with self.access.cursor() as cur:
                self.last_failed_key = fingerprint(cur).key
        except duckdb.Error as exc:  # the warehouse itself is unreadable: say so; the next push retries
            log.warning("recompute failed and the warehouse could not be read: %s", type(exc).__name__)
            self.last_failed_key = None

    def recompute_now(self, tables: set[str] | None = None) -> int:
        """Recompute every indicator for the latest period, the areas the new data touches first.

        Each indicator is stored as soon as it is computed, so the figures most likely to have
        changed show within a second or two while the rest follow; one failing definition does
        not stop the others. A newer push interrupts the run, and the next run starts with the
        newest data's figures (a steady stream of pushes can delay the least related figures).
        """
        compute, store_results = _engine()
        with self.access.cursor() as cur:
            period_end = _latest_period_end(cur)
        if period_end is None:
            return 0
        failed, stored = [], 0
        for ind_id in prioritised(tables or set()):
            if self._stopped or self._pending:  # newer data arrived: start again with its figures first
                break
            try:
                with self.access.cursor() as cur:
                    frame = compute(cur, [period_end], ids=[ind_id])
                if not frame.empty:
                    with self.access.writer() as cur:  # storing figures queues with the pushes
                        stored += store_results(cur, frame)
            except Exception as exc:  # one failing definition must not stop the others; it is named on the loads page
                log.warning("recompute of %s failed: %s at %s", ind_id, type(exc).__name__, where(exc))
                failed.append(ind_id)
        self.runs += 1
        self.failed_ids = failed
        self.last_error = f"could not recompute {', '.join(failed)}" if failed else None
        if failed:
            log.warning("recompute: %d indicators failed", len(failed))
        return stored

    def needed(self, fp: Fingerprint) -> bool:
        """True when a load finished after the figures were last computed (e.g. a CLI load)."""
        if fp.last_load is None or fp.computed_at is None or fp.key == self.last_failed_key:
            return False
        return fp.last_load > fp.computed_at


# Which catalogue areas read which canonical tables (by table-name prefix), and how directly: a record's
# deepest item (a placement, a plan) says most about which figures moved. Used only to order the work.
AREAS_BY_TABLE: tuple[tuple[tuple[str, ...], dict[str, int]], ...] = (
    (("ssd_contacts", "ssd_early_help"), {"A": 3}),
    (("ssd_cin_episodes",), {"A": 1, "B": 1, "D": 1, "H": 1}),
    (("ssd_cin_assessments",), {"B": 3}),
    (("ssd_s47", "ssd_initial_cp", "ssd_cp_"), {"C": 3, "D": 2}),
    (("ssd_cin_plans", "ssd_cin_visits"), {"D": 3}),
    (("ssd_cla_", "ssd_legal_status", "ssd_missing", "ext_cla_pep"), {"E": 3, "D": 2, "F": 2}),
    (("ssd_permanence",), {"F": 3}),
    (("ssd_care_leavers",), {"G": 3}),
    (("ssd_involvements", "ssd_professionals", "ssd_department", "ext_establishment"), {"H": 1}),
    (tuple(t.name for t in PERMANENCY_TABLES), {"P": 3}),
    (("ssd_cla_", "ssd_permanence", "ssd_legal_status"), {"P": 2}),
)


def prioritised(tables: set[str]) -> list[str]:
    """Indicator ids in the order to recompute: areas the touched tables bear on most directly first, stock
    figures before flows within an area (they move at once with a new record), then catalogue order."""
    from cscperf.indicators.registry import REGISTRY

    score: dict[str, int] = {}
    for prefixes, areas in AREAS_BY_TABLE:
        if any(t.startswith(prefixes) for t in tables):
            for area, weight in areas.items():
                score[area] = max(score.get(area, 0), weight)
    order = {ind_id: i for i, ind_id in enumerate(REGISTRY)}

    def rank(ind_id: str) -> tuple[int, int, int]:
        ind = REGISTRY[ind_id]
        return (-score.get(ind.area, 0), 0 if ind.snapshot else 1, order[ind_id])

    return sorted(REGISTRY, key=rank)


def where(exc: BaseException) -> str:
    """Where an error was raised (file, line, function), for the log: an error's message can hold a child's data
    (a value that failed to convert), so the log names the error's type and place, never its message."""
    frames = traceback.extract_tb(exc.__traceback__)
    if not frames:
        return "an unknown place"
    last = frames[-1]
    return f"{Path(last.filename).name}:{last.lineno} in {last.name}"


def _engine() -> tuple[Any, Any]:
    from cscperf.indicators import compute, store_results

    return compute, store_results


def _latest_period_end(cur: Any) -> dt.date | None:
    """The period the dashboard shows: the latest month end already in the results."""
    return results.latest_period(cur)
