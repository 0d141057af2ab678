"""Breaks in series: where an indicator's stored figures stop being comparable with the ones before.

Two things break a series:

- **definition**: consecutive stored figures were made by different definition versions (the hash stored with
  every figure, see `cscperf.indicators.versions`). Figures stored before versions were kept have none and
  never make a break: nothing says whether their rule differed.
- **source**: a load changed the source system (its format: SSD tables, CIN census XML, SSDA903, ...) of a
  table the indicator reads: the first load of a format into a table another format fed before. Recording
  practice changes with the system on the day it goes live, so the break falls at the first period end on or
  after the load's date: earlier periods were recorded in the old system.

Charts draw a rule at each break and print its caveat; statistical process control rebases its limits there.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import duckdb
import pandas as pd

KINDS = {"definition": "Rule change", "source": "Source change"}  # the short label drawn on a chart
FORMAT_NAMES = {
    "synth": "synthetic data",
    "ssd": "SSD tables",
    "cin-xml": "CIN census XML",
    "ssda903": "SSDA903 return",
    "annex-a": "Annex A lists",
    "api-json": "API JSON",
}
NOT_COMPARABLE = "figures before and after are not comparable."


@dataclass(frozen=True)
class SeriesBreak:
    """The series breaks before `period_end` (the first figure after the break)."""

    period_end: dt.date
    kind: str  # definition | source
    caveat: str

    @property
    def label(self) -> str:
        return KINDS[self.kind]


@dataclass(frozen=True)
class SourceLoad:
    """A completed load: when, in which format, and the warehouse tables it wrote to."""

    loaded_on: dt.date
    format: str
    tables: frozenset[str]


# --- from stored figures and loads (pure: unit-testable) ---------------------------------------------------


def definition_breaks(series: pd.DataFrame, changes: dict[str, str] | None = None) -> list[SeriesBreak]:
    """Breaks where the version changes between consecutive period ends that have one.

    `series`: period_end, definition_version (null for figures stored before versions were kept; several rows per
    period end when several authorities are stored). `changes`: version -> what changed, from the history."""
    known = series.dropna(subset=["definition_version"])
    versions = known.groupby("period_end")["definition_version"].agg(lambda v: tuple(sorted(set(v))))
    out: list[SeriesBreak] = []
    previous: tuple[str, ...] | None = None
    for end, current in versions.sort_index().items():
        if previous is not None and current != previous:
            out.append(SeriesBreak(_date(end), "definition", _definition_caveat(_date(end), current, changes or {})))
        previous = current
    return out


def _definition_caveat(end: dt.date, versions: tuple[str, ...], changes: dict[str, str]) -> str:
    caveat = f"Counting rule changed on {end.isoformat()}: {NOT_COMPARABLE}"
    what = [changes[v] for v in versions if changes.get(v)]
    return f"{caveat} What changed: {' '.join(what)}" if what else caveat


def source_breaks(period_ends: Iterable[dt.date], loads: Sequence[SourceLoad], tables: frozenset[str]) -> list[SeriesBreak]:
    """Breaks where a load (in order) is the first of its format to write a table in `tables` that another format wrote
    before, placed at the first period end on or after the load's date, if the series has figures before and after it.
    Once two systems both feed a table (nightly SSD tables and pushed API records), alternating between them is one
    mixed source, not a new change each time."""
    ends = sorted(set(period_ends))
    fed_by: dict[str, str] = {}  # table -> the format that last wrote it
    formats: dict[str, set[str]] = {}  # table -> every format that has written it
    out: list[SeriesBreak] = []
    for load in loads:
        hit = load.tables & tables
        before = sorted({fed_by[t] for t in hit if t in fed_by and load.format not in formats[t]})
        fed_by.update(dict.fromkeys(hit, load.format))
        for t in hit:
            formats.setdefault(t, set()).add(load.format)
        after = [e for e in ends if e >= load.loaded_on]
        if before and after and after[0] != ends[0]:
            old, new = " and ".join(FORMAT_NAMES.get(f, f) for f in before), FORMAT_NAMES.get(load.format, load.format)
            caveat = f"Source system changed on {load.loaded_on.isoformat()} ({old} to {new}): {NOT_COMPARABLE}"
            out.append(SeriesBreak(after[0], "source", caveat))
    return out


def within(found: Sequence[SeriesBreak], first: dt.date, last: dt.date) -> list[SeriesBreak]:
    """The breaks a chart from `first` to `last` shows: those with a figure before them on it."""
    return [b for b in found if first < b.period_end <= last]


# --- from the warehouse ---------------------------------------------------------------------------------


def _has_table(con: duckdb.DuckDBPyConnection, name: str) -> bool:
    return bool(con.execute("SELECT count(*) FROM information_schema.tables WHERE table_name = ?", [name]).fetchone()[0])  # type: ignore[index]


def stored_series(con: duckdb.DuckDBPyConnection, indicator_id: str, basis: str) -> pd.DataFrame:
    """The indicator's whole-authority figures' period ends and definition versions (null where stored without)."""
    from cscperf.warehouse import results

    return results.versions(con, indicator_id, basis)


def tables_fed(summary: str | None) -> frozenset[str]:
    """Tables a load wrote to, from its recorded summary: an ingest load's per-table counts or a synth load's rows."""
    data = json.loads(summary or "{}")
    if "tables" in data:
        counts = data["tables"]
        return frozenset(t for t, c in counts.items() if c.get("loaded", 0) + c.get("replaced", 0) + c.get("deleted", 0) > 0)
    return frozenset(t for t, n in data.get("rows", {}).items() if n > 0)


def source_loads(con: duckdb.DuckDBPyConnection) -> list[SourceLoad]:
    """Completed loads, oldest first (undone and failed loads fed nothing)."""
    if not _has_table(con, "cscperf_loads"):
        return []
    rows = con.execute(
        "SELECT finished_at, format, summary FROM cscperf_loads WHERE status = 'done' ORDER BY finished_at, load_id"
    ).fetchall()
    return [SourceLoad(finished.date(), fmt, tables_fed(summary)) for finished, fmt, summary in rows]


def breaks(
    indicator_id: str,
    con: duckdb.DuckDBPyConnection,
    basis: str | None = None,
    loads: Sequence[SourceLoad] | None = None,
) -> list[SeriesBreak]:
    """The breaks in an indicator's stored whole-authority series on `basis` (default: the basis it is judged on),
    oldest first. Pass `loads` (from `source_loads`) when asking for many indicators at once."""
    from cscperf.indicators.registry import REGISTRY
    from cscperf.indicators.versions import definition_history

    basis = basis or REGISTRY[indicator_id].rag_basis
    series = stored_series(con, indicator_id, basis)
    loads = source_loads(con) if loads is None else loads
    return _breaks_in(indicator_id, series, definition_history(), loads)


def breaks_of(con: duckdb.DuckDBPyConnection, wanted: Iterable[tuple[str, str]]) -> dict[str, list[SeriesBreak]]:
    """`breaks` for many (indicator id, basis) pairs at once: one query per basis, not one per indicator."""
    from cscperf.indicators.versions import definition_history
    from cscperf.warehouse.results import versions_by_indicator

    wanted = list(wanted)
    loads, history = source_loads(con), definition_history()
    stored = {basis: versions_by_indicator(con, basis) for basis in {b for _, b in wanted}}
    out: dict[str, list[SeriesBreak]] = {}
    for iid, basis in wanted:
        series = stored[basis].get(iid)
        out[iid] = [] if series is None else _breaks_in(iid, series, history, loads)
    return out


def _breaks_in(indicator_id: str, series: pd.DataFrame, history: Sequence, loads: Sequence[SourceLoad]) -> list[SeriesBreak]:
    """The breaks in one stored series (period_end, definition_version), given the definition history and loads."""
    from cscperf.indicators.versions import tables_read

    recorded = [c for c in history if c.indicator_id == indicator_id]
    changes = {c.version: c.change for c in recorded[1:]}  # the first row records a version, not a change
    found = definition_breaks(series, changes)
    if len({load.format for load in loads}) > 1:  # else no change of source (and no need to find the tables read)
        found += source_breaks(series["period_end"], loads, tables_read(indicator_id))
    return sorted(found, key=lambda b: (b.period_end, b.kind))


def _date(value: object) -> dt.date:
    return pd.Timestamp(value).date()  # type: ignore[arg-type]


def spc_breaks(con: duckdb.DuckDBPyConnection, indicator_ids: Iterable[str]) -> dict[str, list[dt.date]]:
    """Each indicator's breaks in its month series as `cscperf.judge.spc` takes them: the day before the first figure
    after each break (SPC starts a new segment with the first month after that date)."""
    from cscperf.indicators.versions import definition_history
    from cscperf.warehouse.results import versions_by_indicator

    loads, history, stored = source_loads(con), definition_history(), versions_by_indicator(con, "month")
    out: dict[str, list[dt.date]] = {}
    for iid in indicator_ids:
        series = stored.get(iid)
        found = [] if series is None else _breaks_in(iid, series, history, loads)
        out[iid] = [b.period_end - dt.timedelta(days=1) for b in found]
    return out
