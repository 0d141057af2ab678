"""The catalogue on a pool through PySpark: the registry's own Ibis expressions, compiled for Spark by Ibis's
PySpark backend (local mode by default, any cluster by its master URL).

Spark builds each indicator's cohort and aggregates it by breakdown and month; the small table of figures then goes
through the same steps as on DuckDB (`engine.on_periods`, zero rows, rates), in an in-memory DuckDB, so the only
difference between the engines is where the cohorts are computed.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Iterable, Sequence
from pathlib import Path

import duckdb
import ibis
import ibis.expr.types as ir
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from cscperf.calendar import calendar_frame
from cscperf.indicators.engine import (
    COHORT,
    FIGURES,
    ROWS,
    Engine,
    Run,
    _aggregate,
    _aggregate_first_in_window,
    _attach,
    _counts_children_monthly,
    _narrow,
    _needs_allocation,
    on_periods,
    periods_frame,
    result_rows,
    run_periods,
)
from cscperf.indicators.model import MONTHS, PERIODS, SNAPSHOT_PERIODS, Model, Settings
from cscperf.indicators.registry import BASES, REGISTRY, Indicator
from cscperf.pool import layout
from cscperf.pool.pseudonym import treatment

SPARK_TYPES = {"VARCHAR": "string", "DATE": "date", "DOUBLE": "double", "INTEGER": "int", "BOOLEAN": "boolean"}
# Indicators computed in one Spark job: a job has a fixed cost (planning, scheduling its stages), paid once per batch,
# and the batch's independent stages run side by side.
BATCH = 8
PERIOD_VIEWS = {PERIODS: "cscperf_periods", SNAPSHOT_PERIODS: "cscperf_snapshot_periods", MONTHS: "cscperf_months"}


def spark_session(master: str | None = None):  # noqa: ANN201 - pyspark.sql.SparkSession (imported lazily)
    """A Spark session: local mode on every core unless a master URL is given. Driver memory from
    CSCPERF_SPARK_DRIVER_MEMORY (default 4g: a batch of indicators builds its joins side by side, and 2g once ran
    out on two tiny authorities)."""
    from pyspark.sql import SparkSession

    return (
        SparkSession.builder.master(master or "local[*]")
        .appName("cscperf")
        .config("spark.driver.memory", os.environ.get("CSCPERF_SPARK_DRIVER_MEMORY", "4g"))
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.sql.shuffle.partitions", "8")
        .config("spark.sql.adaptive.enabled", "true")
        .config("spark.ui.enabled", "false")
        .getOrCreate()
    )


def register_pool(session, root: Path) -> None:  # noqa: ANN001 - SparkSession
    """Each canonical table as a temporary view over the pool's Parquet (columns that never leave an authority read
    as NULL, as on DuckDB), and the working-day calendar from the shipped data."""
    root = Path(root).resolve()
    layout.check_pool(root)
    for table in layout.POOLED:
        data = session.read.option("basePath", str(root / table.name)).parquet(str(root / table.name / f"{layout.PARTITION}=*"))
        cols = [
            f"CAST(NULL AS {SPARK_TYPES[c.type]}) AS `{c.name}`"
            if treatment(c.name) == "drop"
            else f"CAST(`{c.name}` AS {SPARK_TYPES[c.type]}) AS `{c.name}`"
            for c in table.columns
        ]
        data.selectExpr(*cols).createOrReplaceTempView(table.name)
    cal = calendar_frame()
    rows = list(zip(cal.cal_date, cal.is_working_day.map(bool), cal.wd_ordinal.map(int), strict=True))
    session.createDataFrame(rows, "cal_date date, is_working_day boolean, wd_ordinal int").createOrReplaceTempView("cscperf_calendar")
    _cache_small("cscperf_calendar", session)


def _cache_small(view: str, session) -> None:  # noqa: ANN001 - SparkSession
    """Cache a small table made from Python rows and read it once: Spark then knows its size, so it broadcasts it
    into joins (not a cartesian product with every event), and the rows are not sent from Python again each time."""
    session.catalog.cacheTable(view)
    session.table(view).count()


class SparkEngine(Engine):
    """An Engine whose cohorts and figures are computed by Spark; the run's periods and the final steps stay in a
    small in-memory DuckDB (`con`)."""

    def __init__(self, session, scratch: duckdb.DuckDBPyConnection, run: Run, settings: Settings | None = None) -> None:  # noqa: ANN001
        self.con = scratch
        self.run = run
        self.spark = session
        self.backend = ibis.pyspark.connect(session)
        self.model = Model(self.backend, settings, shared=False)
        self._la_codes: list[str] | None = None
        self._sql = {}
        self._periods: dict[str, ir.Table] = {}
        self._views: list[str] = []  # the temporary views of the indicators being computed
        self._fetched: dict[tuple, pa.Table] = {}  # figures computed by `prefetch`, until `_run` takes them

    def _query(self, sql: str) -> pd.DataFrame:
        return self.spark.sql(sql).toArrow().to_pandas()

    def register_periods(self, periods: pd.DataFrame) -> None:
        for name, frame in run_periods(periods).items():
            rows = [(str(b), _day(s), _day(e)) for b, s, e in zip(frame.basis, frame.period_start, frame.period_end, strict=True)]
            view = PERIOD_VIEWS[name]
            self.spark.createDataFrame(rows, "basis string, period_start date, period_end date").createOrReplaceTempView(view)
            _cache_small(view, self.spark)
            self._periods[name] = self.backend.table(view)

    def _view(self, name: str, expr: ir.Table, cache: bool) -> ir.Table:
        """Make an expression a temporary view (cached when read more than once), for the next expressions to read."""
        self.spark.sql(str(self.backend.compile(expr))).createOrReplaceTempView(name)
        if cache:
            self.spark.catalog.cacheTable(name)
        self._views.append(name)
        return self.backend.table(name)

    def _figures(self, ind: Indicator, bases: tuple[str, ...], wanted: tuple[str, ...]) -> ir.Table:
        """One indicator's figures by breakdown and month, as an expression for Spark, tagged with its id. Its views are
        named by their order in the batch, so a batch's indicators never share one."""
        assert ind.measure.cohort is not None
        if ind.snapshot:
            periods = self._periods[SNAPSHOT_PERIODS]
        elif ind.additive:
            periods = self._periods[MONTHS]
        else:
            periods = self._periods[PERIODS].filter(lambda p: p.basis.isin(bases))
        rows = _narrow(ind.measure.cohort(self.model, periods), wanted)
        dated = _counts_children_monthly(ind)
        n = len(self._views)
        if _needs_allocation(rows, wanted):  # the allocation lookup reads the rows twice
            rows = self._view(f"{ROWS}_{n}", rows, cache=True)
        cohort = self._view(f"{COHORT}_{n}", _attach(self.model, rows, wanted, self.sole_la, dated), cache=len(wanted) > 1)
        aggregate = _aggregate_first_in_window if dated else _aggregate
        parts = [aggregate(ind, cohort, b) for b in wanted]
        return (ibis.union(*parts) if len(parts) > 1 else parts[0]).mutate(_indicator=ibis.literal(ind.id))

    def prefetch(self, batch: Sequence[Indicator], periods: pd.DataFrame, breakdowns: Sequence[str]) -> None:
        """Compute the figures of several indicators (not rates) in one Spark job each for the two shapes of figures
        (monthly flows counting children have their own), so a job's fixed cost is paid once per batch. `_run` then
        takes each indicator's figures from here, as `compute_one` asks for them with the same bases and breakdowns."""
        shapes: dict[bool, list[tuple[tuple, ir.Table]]] = {}
        for ind in batch:
            wanted = tuple(b for b in breakdowns if b in ind.breakdowns)
            if ind.measure.kind == "rate" or not wanted or not periods.basis.isin(ind.bases).any():
                continue
            key = (ind.id, ind.bases, wanted)
            shapes.setdefault(_counts_children_monthly(ind), []).append((key, self._figures(ind, ind.bases, wanted)))
        try:
            for tagged in shapes.values():
                figures = [expr for _, expr in tagged]
                table = self.backend.to_pyarrow(ibis.union(*figures) if len(figures) > 1 else figures[0])
                for key, _ in tagged:
                    self._fetched[key] = table.filter(pc.equal(table.column("_indicator"), key[0])).drop_columns(["_indicator"])
        finally:
            self._drop_views()

    def plan(self, ind: Indicator, breakdowns: tuple[str, ...] = ("la",)) -> str:
        """The physical plan Spark would run for one indicator's figures (nothing is computed): to check how its
        joins are made, e.g. that none joins every row of one large table with every row of another."""
        wanted = tuple(b for b in breakdowns if b in ind.breakdowns)
        try:
            figures = self._figures(ind, ind.bases, wanted)
            return self.spark.sql(str(self.backend.compile(figures)))._jdf.queryExecution().executedPlan().toString()
        finally:
            self._drop_views()

    def _drop_views(self) -> None:
        for name in self._views:
            self.spark.catalog.uncacheTable(name)
            self.spark.catalog.dropTempView(name)
        self._views.clear()

    def _run(self, ind: Indicator, bases: tuple[str, ...], wanted: tuple[str, ...], wait: bool = True) -> pd.DataFrame:
        figures = self._fetched.pop((ind.id, bases, wanted), None)
        if figures is None:  # not prefetched (a rate's count over other bases): a job of its own
            try:
                figures = self.backend.to_pyarrow(self._figures(ind, bases, wanted)).drop_columns(["_indicator"])
            finally:
                self._drop_views()
        try:
            self.con.register(FIGURES, figures)
            return self.con.execute(on_periods(ind, bases)).df()
        finally:
            self.con.unregister(FIGURES)


def _day(value: object) -> dt.date:
    return pd.Timestamp(value).date()


def compute_spark(
    source: Path,
    period_ends: Iterable[dt.date],
    bases: Iterable[str] = BASES,
    breakdowns: Sequence[str] = ("la",),
    ids: Iterable[str] | None = None,
    settings: Settings | None = None,
    master: str | None = None,
    session=None,  # noqa: ANN001 - a SparkSession to reuse (kept running); otherwise one is made and stopped
) -> pd.DataFrame:
    """The selected indicators (default: all) on the pool at `source`, computed by Spark."""
    own_session = session is None
    session = session or spark_session(master)
    periods = periods_frame(period_ends, bases)
    selected = [REGISTRY[i] for i in (ids if ids is not None else layout.pooled_ids())]
    done: dict[str, pd.DataFrame] = {}
    try:
        register_pool(session, source)
        with duckdb.connect(":memory:") as scratch, Run(scratch, periods) as run:
            engine = SparkEngine(session, scratch, run, settings)
            engine.register_periods(periods)
            counts = [ind for ind in selected if ind.measure.kind != "rate"]
            for first in range(0, len(counts), BATCH):
                batch = counts[first : first + BATCH]
                engine.prefetch(batch, periods, breakdowns)
                for ind in batch:
                    done[ind.id] = engine.compute_one(ind, periods, breakdowns)
            for ind in selected:
                if ind.measure.kind == "rate":
                    done[ind.id] = engine.compute_one(ind, periods, breakdowns, counted=done)
    finally:
        if own_session:
            session.stop()
    return result_rows([done[ind.id] for ind in selected if ind.id in done], selected, settings)
