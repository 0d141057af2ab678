"""Compute registry entries for runs of period ends, bases and breakdowns.

For each indicator the cohort is built once for all periods (a range join of events or open items
against a small periods table), cached in the engine, then aggregated per breakdown. Results follow
the public contract in indicators.md.
"""

from __future__ import annotations

import datetime as dt
import os
import queue
import threading
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from functools import cached_property

import duckdb
import ibis
import ibis.expr.types as ir
import numpy as np
import pandas as pd

from cscperf.calendar import add_months
from cscperf.indicators import sql_cache
from cscperf.indicators.model import (
    MONTHS,
    PERIODS,
    RUN_DB,
    SHARED_PREFIX,
    SNAPSHOT_PERIODS,
    Model,
    Settings,
    shared_blocks,
)
from cscperf.indicators.registry import BASES, REGISTRY, Indicator
from cscperf.indicators.versions import definition_versions
from cscperf.warehouse import results as stored
from cscperf.warehouse.schema import RESULT_COLUMNS, VERSION_COLUMN

DEFAULT_BREAKDOWNS = ("la", "team", "worker")
ROWS, COHORT, FIGURES = "_cscperf_rows", "_cscperf_cohort", "_cscperf_figures"  # the CTEs of each indicator's statement
SNAPSHOT, MONTHLY = "_snapshot", "_monthly"
UNALLOCATED = "unallocated"


def month_ends(last: dt.date, months: int) -> list[dt.date]:
    """The `months` month ends up to and including the month of `last`."""
    first_of_month = last.replace(day=1)
    ends = [add_months(first_of_month, 1 - i) - dt.timedelta(days=1) for i in range(months)]
    return sorted(ends)


def period_start(basis: str, period_end: dt.date) -> dt.date | None:
    """First day of the window for a basis ending at period_end; None where the basis does not apply."""
    if basis == "month":
        return period_end.replace(day=1)
    if basis == "rolling12":  # from the day after, 12 months back: 28 Feb 2025 -> 1 Mar 2024, not 29 Feb 2024
        return add_months(period_end + dt.timedelta(days=1), -12)
    if basis == "quarter":  # only at a quarter's last day: 30 Jun -> 1 Apr, 31 Mar -> 1 Jan
        quarter_end = period_end.month % 3 == 0 and (period_end + dt.timedelta(days=1)).day == 1
        return add_months(period_end.replace(day=1), -2) if quarter_end else None
    fy_start = dt.date(period_end.year if period_end.month >= 4 else period_end.year - 1, 4, 1)
    if basis == "ytd":
        return fy_start
    if basis == "year":  # the collection year: only at its end, 31 March
        return fy_start if (period_end.month, period_end.day) == (3, 31) else None
    raise ValueError(f"unknown basis {basis}")


def _months_covering(periods: pd.DataFrame) -> pd.DataFrame:
    """Every calendar month inside any period window: additive flows are counted per month, then summed."""
    if periods.empty:
        return pd.DataFrame(columns=["basis", "period_start", "period_end"])
    first, last = min(periods.period_start), max(periods.period_end)
    starts = pd.date_range(first, last, freq="MS").date
    return pd.DataFrame({"basis": MONTHLY, "period_start": starts, "period_end": [add_months(d, 1) - dt.timedelta(days=1) for d in starts]})


def periods_frame(period_ends: Iterable[dt.date], bases: Iterable[str]) -> pd.DataFrame:
    rows = [(b, start, end) for end in sorted(set(period_ends)) for b in bases if (start := period_start(b, end)) is not None]
    return pd.DataFrame(rows, columns=["basis", "period_start", "period_end"])


# --- breakdown columns ---------------------------------------------------------------------------


def _age_band(age: ir.IntegerValue) -> ir.StringValue:
    return ibis.cases(
        (age.isnull(), "unknown"),
        (age < 0, "unborn"),
        (age < 1, "under 1"),
        (age < 5, "1-4"),
        (age < 10, "5-9"),
        (age < 16, "10-15"),
        (age < 18, "16-17"),
        else_="18+",
    )


def _ethnicity_group(code: ir.StringValue) -> ir.StringValue:
    first = code.upper().substr(0, 1)
    return ibis.cases(
        (code.isnull() | code.upper().isin(["REFU", "NOBT"]), "Not known"),
        (first == "W", "White"),
        (first == "M", "Mixed"),
        (first == "A", "Asian"),
        (first == "B", "Black"),
        else_="Other",
    )


def _age_at(dob: ir.DateValue, day: ir.DateValue) -> ir.IntegerValue:
    before_birthday = (day.month() * 100 + day.day()) < (dob.month() * 100 + dob.day())
    return day.year() - dob.year() - ibis.cases((before_birthday, 1), else_=0)


PERSON_BREAKDOWNS = {"la": ("la_code",), "age_band": ("dob",), "sex": ("sex",), "ethnicity_group": ("ethnicity",)}
MEASURE_COLUMNS = ("met", "value", "num", "den")


def _narrow(rows: ir.Table, breakdowns: Sequence[str]) -> ir.Table:
    """The cohort's columns that breakdowns and aggregation read."""
    cols = set(rows.columns)
    keep = ["basis", "period_start", "period_end", "person_id", "ref_date"]
    keep += [c for c in (*MEASURE_COLUMNS, "team_id", "worker_id", "la_code") if c in cols]
    keep += [b for b in breakdowns if b in cols and b not in keep]
    return rows.select(*keep)


def _needs_allocation(rows: ir.Table, breakdowns: Sequence[str]) -> bool:
    return bool({"team", "worker"} & set(breakdowns)) and not {"team_id", "worker_id"} <= set(rows.columns)


def _attach(m: Model, rows: ir.Table, breakdowns: Sequence[str], sole_la: str | None = None, dated: bool = False) -> ir.Table:
    """Add a `bd_<name>` column per breakdown, keeping only what aggregation needs (the cohort is materialised).

    Flows are expanded to one row per period containing the event, so lookups are made once per distinct
    (child, date) and joined back on equality, not once per period row. In a warehouse holding one authority
    (`sole_la`), the `la` breakdown is that code and needs no lookup."""
    wanted = set(breakdowns)
    rows = _narrow(rows, breakdowns)
    if _needs_allocation(rows, breakdowns):
        keys = rows.select("person_id", "ref_date").distinct()
        keys = m.allocated_at(keys, unique_by=("person_id", "ref_date")).rename(_k_pid="person_id", _k_date="ref_date")
        rows = rows.view()
        rows = rows.left_join(keys, (rows.person_id == keys._k_pid) & (rows.ref_date == keys._k_date)).drop("_k_pid", "_k_date")
    if sole_la is not None and "la_code" not in rows.columns:
        rows = rows.mutate(la_code=ibis.literal(sole_la))
    person_cols = {c for b in wanted for c in PERSON_BREAKDOWNS.get(b, ())} - set(rows.columns)
    if "disability" in wanted:
        person_cols.add("disabled")
    if person_cols:
        p = m.person.select("person_id", *sorted(person_cols)).rename(_pid="person_id")
        rows = rows.view()
        rows = rows.left_join(p, rows.person_id == p._pid).drop("_pid")
    derived = {
        "la": lambda r: r.la_code,
        "team": lambda r: ibis.coalesce(r.team_id, UNALLOCATED),
        "worker": lambda r: ibis.coalesce(r.worker_id, UNALLOCATED),
        "age_band": lambda r: _age_band(_age_at(r.dob, r.ref_date)),
        "sex": lambda r: ibis.coalesce(r.sex, "unknown"),
        "ethnicity_group": lambda r: _ethnicity_group(r.ethnicity),
        "disability": lambda r: ibis.cases((r.disabled, "Y"), else_="N"),
    }
    out = {f"bd_{b}": derived[b](rows) if b in derived else rows[b].cast("string") for b in breakdowns}
    measures = [c for c in MEASURE_COLUMNS if c in rows.columns]
    return rows.select("basis", "period_start", "period_end", "person_id", *measures, *(["ref_date"] if dated else []), **out)


# --- aggregation ---------------------------------------------------------------------------------


def _aggregate(ind: Indicator, rows: ir.Table, breakdown: str) -> ir.Table:
    kind = ind.measure.kind
    keys = ["basis", "period_start", "period_end", f"bd_{breakdown}"]
    distinct = ind.measure.distinct_children
    if kind == "count":
        if ind.measure.where_met:
            rows = rows.filter(rows.met)
        counted = rows.person_id.nunique() if distinct else rows.count()
        agg = rows.group_by(keys).aggregate(numerator=counted.cast("float64"), denominator=ibis.null("float64"))
    elif kind == "share":
        met = rows.met.fill_null(False)
        num = rows.person_id.nunique(where=met) if distinct else met.cast("int64").sum()
        den = rows.person_id.nunique() if distinct else rows.count()
        agg = rows.group_by(keys).aggregate(numerator=num.cast("float64"), denominator=den.cast("float64"))
    elif kind == "ratio":
        agg = rows.group_by(keys).aggregate(numerator=rows.num.sum().cast("float64"), denominator=rows.den.sum().cast("float64"))
    elif kind == "mean":
        agg = rows.group_by(keys).aggregate(numerator=rows.value.sum().cast("float64"), denominator=rows.count().cast("float64"))
    elif kind == "max":
        agg = rows.group_by(keys).aggregate(numerator=rows.value.max().cast("float64"), denominator=ibis.null("float64"))
    elif kind == "total":
        agg = rows.group_by(keys).aggregate(numerator=rows.value.sum().cast("float64"), denominator=ibis.null("float64"))
    else:
        raise ValueError(f"{ind.id}: cannot aggregate {kind}")
    return agg.rename(breakdown_value=f"bd_{breakdown}").mutate(breakdown=ibis.literal(breakdown))


def _aggregate_first_in_window(ind: Indicator, rows: ir.Table, breakdown: str) -> ir.Table:
    """Monthly figures of a flow counting children, each row tagged `since`: the month of the child's previous row
    (per breakdown value). Summing a window's months over rows whose `since` is before the window counts each child
    once (on their first row in it), so children per window come from monthly sums, with no distinct count over
    every window. A share counts the numerator the same way over the child's rows that are met."""
    bd = f"bd_{breakdown}"
    keys = ["period_end", bd, "since"]

    def first_rows(t: ir.Table, measure: str) -> ir.Table:
        previous = t.ref_date.lag().over(ibis.window(group_by=[t.person_id, t[bd]], order_by=t.ref_date))
        t = t.mutate(since=previous.truncate("M"))
        counted = t.group_by(keys).aggregate(_n=t.count().cast("float64"))
        other = "denominator" if measure == "numerator" else "numerator"
        return counted.select(
            *keys, **{measure: counted._n, other: ibis.literal(0.0) if ind.measure.kind == "share" else ibis.null("float64")}
        )

    if ind.measure.kind == "share":
        parts = [first_rows(rows, "denominator"), first_rows(rows.filter(rows.met.fill_null(False)), "numerator")]
        figures = ibis.union(*parts)
    else:
        figures = first_rows(rows.filter(rows.met) if ind.measure.where_met else rows, "numerator")
    return figures.rename(breakdown_value=bd).mutate(breakdown=ibis.literal(breakdown))


def figure_value(unit: str, kind: str, num: pd.Series, den: pd.Series) -> pd.Series:
    """A figure from its numerator and denominator (one authority's, or several summed: a pooled figure)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        if kind in ("share", "ratio"):
            return (100 * num / den).where(den > 0)
        if kind == "rate":
            return (10000 * num / den).where(den > 0)
        if kind == "mean":
            return (num / den).where(den > 0)
    return num


def _counts_children_monthly(ind: Indicator) -> bool:
    return ind.additive and ind.measure.distinct_children


def on_periods(ind: Indicator, bases: tuple[str, ...]) -> str:
    """DuckDB SQL putting an indicator's figures (the table or CTE `FIGURES`, from `_aggregate` or
    `_aggregate_first_in_window`) on the run's requested periods: snapshots repeated for each basis, additive flows
    summed from whole months. Every engine ends with it, over figures it aggregated."""
    columns = "f.breakdown, CAST(f.breakdown_value AS VARCHAR) AS breakdown_value"
    wanted_periods = f"{RUN_DB}.{PERIODS} p ON p.basis IN ({', '.join(repr(b) for b in bases)})"
    if ind.snapshot:
        return (
            f"SELECT p.basis, p.period_start, p.period_end, {columns}, f.numerator, f.denominator "
            f"FROM {FIGURES} f JOIN {wanted_periods} AND f.period_end = p.period_end"
        )
    if ind.additive:  # monthly figures summed into each window (windows are whole months)
        first_in_window = " AND (f.since IS NULL OR f.since < p.period_start)" if _counts_children_monthly(ind) else ""
        return (
            f"SELECT p.basis, p.period_start, p.period_end, {columns}, sum(f.numerator) AS numerator, "
            f"sum(f.denominator) AS denominator FROM {FIGURES} f JOIN {wanted_periods} "
            f"AND f.period_end BETWEEN p.period_start AND p.period_end{first_in_window} GROUP BY ALL"
        )
    return f"SELECT f.basis, f.period_start, f.period_end, {columns}, f.numerator, f.denominator FROM {FIGURES} f"


def run_periods(periods: pd.DataFrame) -> dict[str, pd.DataFrame]:
    """A run's periods tables: the requested periods, one snapshot row per period end, and the months covering
    them (additive flows are counted per month)."""
    snapshot = periods.drop_duplicates("period_end").assign(basis=SNAPSHOT)
    return {PERIODS: periods, SNAPSHOT_PERIODS: snapshot, MONTHS: _months_covering(periods)}


# Read by every engine through its own `_query`.
LA_CODES_SQL = (
    "SELECT DISTINCT pers_ext_la_code AS la_code FROM ssd_person WHERE pers_ext_la_code IS NOT NULL "
    "UNION SELECT auth_la_code AS la_code FROM ext_authority ORDER BY 1"
)
POPULATION_SQL = (
    "SELECT popn_la_code AS breakdown_value, popn_year AS year, sum(popn_count) AS population "
    "FROM ext_population WHERE popn_age BETWEEN 0 AND 17 GROUP BY popn_la_code, popn_year"
)


class SharedBlockBusy(Exception):
    """Another connection is making a shared table this statement reads: do other work first."""


class Run:
    """What one compute run shares between its connections: an in-memory database attached to the warehouse's
    DuckDB instance (so every cursor sees it) holding the run's periods and the building blocks many indicators
    read, each made once, when first needed. Use as a context manager; one run at a time per instance."""

    def __init__(self, con: duckdb.DuckDBPyConnection, periods: pd.DataFrame) -> None:
        self.con = con
        self.made: set[str] = set()
        self._locks: dict[str, threading.Lock] = {}
        self._locks_lock = threading.Lock()
        con.execute(f"DETACH DATABASE IF EXISTS {RUN_DB}")
        con.execute(f"ATTACH ':memory:' AS {RUN_DB} (READ_WRITE)")  # READ_WRITE: the warehouse may be read-only
        for name, frame in run_periods(periods).items():
            con.register("_incoming_periods", frame)
            con.execute(
                f"CREATE TABLE {RUN_DB}.{name} AS SELECT CAST(basis AS VARCHAR) AS basis, "
                "CAST(period_start AS DATE) AS period_start, CAST(period_end AS DATE) AS period_end FROM _incoming_periods"
            )
            con.unregister("_incoming_periods")

    def lock(self, table: str) -> threading.Lock:
        """The lock a connection holds while it makes one shared table."""
        with self._locks_lock:
            return self._locks.setdefault(table, threading.Lock())

    def close(self) -> None:
        self.con.execute(f"DETACH DATABASE IF EXISTS {RUN_DB}")

    def __enter__(self) -> Run:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


# compute() runs hold this: the run database has one name (compiled SQL is cached with it).
_ONE_RUN_AT_A_TIME = threading.Lock()


class Engine:
    """Computes indicators against one warehouse connection, within a run."""

    def __init__(self, con: duckdb.DuckDBPyConnection, run: Run, settings: Settings | None = None) -> None:
        self.con = con
        self.run = run
        self.backend = ibis.duckdb.from_connection(con)
        self.model = Model(self.backend, settings, shared=True)
        self._la_codes: list[str] | None = None
        self._sql = sql_cache.load(self.con)

    @property
    def sole_la(self) -> str | None:
        codes = self.la_codes
        return codes[0] if len(codes) == 1 else None

    @property
    def la_codes(self) -> list[str]:
        if self._la_codes is None:
            self._la_codes = [str(code) for code in self._query(LA_CODES_SQL).la_code]
        return self._la_codes

    def _query(self, sql: str) -> pd.DataFrame:
        """A small query on the warehouse (the authorities, the population)."""
        return self.con.execute(sql).df()

    @cached_property
    def _blocks(self) -> dict[str, Callable[[], ir.Table]]:
        return shared_blocks(self.model, self.model.run_table(SNAPSHOT_PERIODS))

    def _share(self, sql: str | None = None, wait: bool = True) -> None:
        """Make the run's shared building blocks a statement about to run reads, and the blocks they read (with no
        statement, all of them, in order: compiling needs their columns). If another connection is making one and
        `wait` is false, raise SharedBlockBusy rather than wait."""
        for name, build in self._blocks.items():
            table = f"{SHARED_PREFIX}{name}"
            if table in self.run.made or (sql is not None and f'"{table}"' not in sql):
                continue
            key = ("shared", name, repr(self.model.settings))
            if key not in self._sql and sql is not None:
                self._share(None, wait)  # compiling a block needs the blocks before it: make them all
                return
            lock = self.run.lock(table)
            if not lock.acquire(blocking=wait):
                raise SharedBlockBusy(table)
            try:
                if table in self.run.made:  # another connection made it while this one waited
                    continue
                if key not in self._sql:
                    self._sql[key] = str(self.backend.compile(build()))
                self._share(self._sql[key], wait)  # the blocks this one reads
                self.con.execute(f'CREATE TABLE {RUN_DB}."{table}" AS {self._sql[key]}')
                self.run.made.add(table)
            finally:
                lock.release()

    def _cohort_sql(self, ind: Indicator, bases: tuple[str, ...], wanted: tuple[str, ...]) -> str:
        key = ("cohort", ind.id, () if ind.additive or ind.snapshot else bases, wanted, repr(self.model.settings), self.sole_la)
        if key not in self._sql:
            assert ind.measure.cohort is not None
            self._share()  # compiling reads the shared tables' columns
            if ind.snapshot:
                periods = self.model.run_table(SNAPSHOT_PERIODS)
            elif ind.additive:
                periods = self.model.run_table(MONTHS)
            else:
                periods = self.model.run_table(PERIODS)
                periods = periods.filter(periods.basis.isin(bases))
            rows = _narrow(ind.measure.cohort(self.model, periods), wanted)
            dated = _counts_children_monthly(ind)
            if _needs_allocation(rows, wanted):
                # The allocation lookup reads the rows twice (distinct child-dates, then joined back): make them once.
                rows_sql = str(self.backend.compile(rows))
                self.con.execute(f'CREATE OR REPLACE TEMP TABLE "{ROWS}" AS SELECT * FROM ({rows_sql}) LIMIT 0')
                attached = str(self.backend.compile(_attach(self.model, self.backend.table(ROWS), wanted, self.sole_la, dated)))
                self._sql[key] = f'WITH "{ROWS}" AS MATERIALIZED ({rows_sql}) SELECT * FROM ({attached})'
            else:
                self._sql[key] = str(self.backend.compile(_attach(self.model, rows, wanted, self.sole_la, dated)))
        return self._sql[key]

    def _run(self, ind: Indicator, bases: tuple[str, ...], wanted: tuple[str, ...], wait: bool = True) -> pd.DataFrame:
        """One statement: the cohort as a materialised CTE, aggregated once per breakdown, then put on the
        requested periods (see `on_periods`)."""
        cohort = self._cohort_sql(ind, bases, wanted)
        self._share(cohort, wait)
        aggregate = self._aggregate_sql(ind, wanted, cohort)
        return self.con.execute(f'WITH "{COHORT}" AS MATERIALIZED ({cohort}), {FIGURES} AS ({aggregate}) {on_periods(ind, bases)}').df()

    def _aggregate_sql(self, ind: Indicator, wanted: tuple[str, ...], cohort_sql: str) -> str:
        key = ("aggregate", ind.id, ind.additive, wanted, repr(self.model.settings))
        if key not in self._sql:
            # The aggregation is compiled against a table with the cohort's columns (made empty, once).
            self.con.execute(f'CREATE OR REPLACE TEMP TABLE "{COHORT}" AS SELECT * FROM ({cohort_sql}) LIMIT 0')
            rows = self.backend.table(COHORT)
            aggregate = _aggregate_first_in_window if _counts_children_monthly(ind) else _aggregate
            parts = [aggregate(ind, rows, b) for b in wanted]
            self._sql[key] = str(self.backend.compile(ibis.union(*parts) if len(parts) > 1 else parts[0]))
        return self._sql[key]

    def compute_one(
        self,
        ind: Indicator,
        periods: pd.DataFrame,
        breakdowns: Sequence[str],
        bases: tuple[str, ...] | None = None,
        counted: dict[str, pd.DataFrame] | None = None,
        wait: bool = True,
    ) -> pd.DataFrame:
        """One indicator's result rows. With `wait` false, raise SharedBlockBusy rather than wait for another
        connection making a shared table it reads."""
        bases = bases or ind.bases
        periods = periods[periods.basis.isin(bases)]
        if periods.empty:
            return pd.DataFrame(columns=RESULT_COLUMNS)
        if ind.measure.kind == "rate":
            base = REGISTRY[ind.measure.of]  # type: ignore[index]
            if counted is not None and base.id in counted and set(bases) <= set(base.bases):
                return self._as_rate(ind, counted[base.id][lambda f: f.basis.isin(bases)])
            return self._as_rate(ind, self.compute_one(base, periods, ["la"], bases=bases))
        wanted = tuple(b for b in breakdowns if b in ind.breakdowns)
        if not wanted:
            return pd.DataFrame(columns=RESULT_COLUMNS)
        frame = self._run(ind, bases, wanted, wait)
        frame = self._fill_zero_la(frame, periods, ind.measure.kind) if "la" in wanted else frame
        frame["indicator_id"] = ind.id
        frame["unit"] = ind.unit
        frame["value"] = figure_value(ind.unit, ind.measure.kind, frame.numerator, frame.denominator)
        return frame[RESULT_COLUMNS]

    def _fill_zero_la(self, frame: pd.DataFrame, periods: pd.DataFrame, kind: str) -> pd.DataFrame:
        """Every period gets an `la` row per authority: a count of nothing is 0, a share of nothing has no value."""
        codes = self.la_codes
        if not codes or ((frame.breakdown == "la") & frame.breakdown_value.isin(codes)).sum() == len(periods) * len(codes):
            return frame  # the usual case: nothing missing
        periods = periods.astype({"period_start": "datetime64[us]", "period_end": "datetime64[us]"})
        frame = frame.astype({"period_start": "datetime64[us]", "period_end": "datetime64[us]"})
        grid = periods.merge(pd.DataFrame({"breakdown_value": codes}), how="cross").assign(breakdown="la")
        key = ["basis", "period_end", "breakdown", "breakdown_value"]
        missing = grid.merge(frame[key], on=key, how="left", indicator=True)
        missing = missing[missing["_merge"] == "left_only"].drop(columns="_merge")
        if missing.empty:
            return frame
        zero = 0.0 if kind in ("count", "share", "ratio", "total") else np.nan
        missing = missing.assign(numerator=zero, denominator=zero if kind in ("share", "ratio") else np.nan)
        return pd.concat([frame, missing], ignore_index=True)

    @cached_property
    def population(self) -> pd.DataFrame:
        """Children aged 0-17 by authority and mid-year (read once per run; every rate uses it)."""
        return self._query(POPULATION_SQL)

    def _as_rate(self, ind: Indicator, base: pd.DataFrame) -> pd.DataFrame:
        """Rate per 10,000 children aged 0-17, using the latest mid-year estimate on or before the period end."""
        pop = self.population
        frame = base[base.breakdown == "la"].copy()
        if frame.empty or pop.empty:
            return pd.DataFrame(columns=RESULT_COLUMNS)
        end = pd.to_datetime(frame.period_end)
        on_or_after_mid_year = (end.dt.month * 100 + end.dt.day) >= 630  # estimates are for 30 June
        frame["year"] = np.where(on_or_after_mid_year, end.dt.year, end.dt.year - 1)
        years = sorted(pop.year.unique())
        frame["year"] = frame.year.clip(lower=years[0], upper=years[-1])
        frame = frame.merge(pop, on=["breakdown_value", "year"], how="left")
        frame["denominator"] = frame.population.astype(float)
        frame["indicator_id"] = ind.id
        frame["unit"] = ind.unit
        frame["value"] = figure_value(ind.unit, "rate", frame.numerator, frame.denominator)
        return frame[RESULT_COLUMNS]


def compute(
    con: duckdb.DuckDBPyConnection,
    period_ends: Iterable[dt.date],
    bases: Iterable[str] = BASES,
    breakdowns: Sequence[str] = DEFAULT_BREAKDOWNS,
    ids: Iterable[str] | None = None,
    settings: Settings | None = None,
    threads: int | None = None,
) -> pd.DataFrame:
    """Compute the selected indicators (default: all) and return result rows.

    Indicators run on `threads` connections at once (DuckDB runs queries from several cursors in parallel,
    and the Python side of one overlaps the SQL of another); rates then reuse their counts' figures."""
    periods = periods_frame(period_ends, bases)
    selected = [REGISTRY[i] for i in ids] if ids is not None else list(REGISTRY.values())
    workers = max(1, threads if threads is not None else min(os.cpu_count() or 1, 4))
    done: dict[str, pd.DataFrame] = {}
    todo: queue.SimpleQueue[Indicator] = queue.SimpleQueue()
    for ind in selected:
        if ind.measure.kind != "rate":
            todo.put(ind)

    deferred: set[str] = set()

    def work(engine: Engine) -> None:
        while True:
            try:
                ind = todo.get_nowait()
            except queue.Empty:
                return
            # Wait for another connection's shared table only when there is nothing else to do, or on the second
            # try (so two connections never pass the same deferred indicators back and forth).
            patient = todo.empty() or ind.id in deferred
            try:
                done[ind.id] = engine.compute_one(ind, periods, breakdowns, wait=patient)
            except SharedBlockBusy:
                deferred.add(ind.id)
                todo.put(ind)

    with _ONE_RUN_AT_A_TIME, Run(con, periods) as run:
        engines = [Engine(con if i == 0 else con.cursor(), run, settings) for i in range(workers)]
        duckdb_threads = con.execute("SELECT current_setting('threads')").fetchone()[0]  # type: ignore[index]
        if workers > 1 and todo.qsize() > 1:  # the connections are the parallelism: one thread per statement
            con.execute("SET threads = 1")
        try:
            with ThreadPoolExecutor(workers) as pool:
                list(pool.map(work, engines))
            for ind in selected:
                if ind.measure.kind == "rate":
                    done[ind.id] = engines[0].compute_one(ind, periods, breakdowns, counted=done)
        finally:
            sql_cache.save(engines[0]._sql)
            con.execute(f"SET threads = {int(duckdb_threads)}")
            for name in (ROWS, COHORT):
                con.execute(f'DROP TABLE IF EXISTS "{name}"')
            for engine in engines[1:]:
                engine.con.close()
    return result_rows([done[ind.id] for ind in selected], selected, settings)


def result_rows(frames: Sequence[pd.DataFrame], selected: Sequence[Indicator], settings: Settings | None) -> pd.DataFrame:
    """Every engine's result rows, in one layout and order, with each indicator's definition version."""
    frames = [f for f in frames if not f.empty]
    if not frames:
        return pd.DataFrame(columns=[*RESULT_COLUMNS, VERSION_COLUMN])
    out = pd.concat(frames, ignore_index=True)
    out[VERSION_COLUMN] = out.indicator_id.map(definition_versions([ind.id for ind in selected], settings))
    out["breakdown_value"] = out.breakdown_value.astype(str)
    for col in ("period_start", "period_end"):
        out[col] = pd.to_datetime(out[col]).dt.date
    return out.sort_values(["indicator_id", "basis", "period_end", "breakdown", "breakdown_value"], ignore_index=True)


def store_results(con: duckdb.DuckDBPyConnection, frame: pd.DataFrame) -> int:
    """Write results to cscperf_results, replacing figures with the same key (see `warehouse.results.store`)."""
    return stored.store(con, frame)
