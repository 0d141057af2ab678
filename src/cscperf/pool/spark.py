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
PERIOD_VIEWS = {PERIODS: "cscperf_periods", SNAPSHOT_PERIODS: "cscperf_snapshot_periods", MONTHS: "cscperf_months"}


def spark_session(master: str | None = None):  # noqa: ANN201 - pyspark.sql.SparkSession (imported lazily)
    """A Spark session: local mode on every core unless a master URL is given. Driver memory from
    CSCPERF_SPARK_DRIVER_MEMORY (default 2g)."""
    from pyspark.sql import SparkSession

    return (
        SparkSession.builder.master(master or "local[*]")
        .appName("cscperf")
        .config("spark.driver.memory", os.environ.get("CSCPERF_SPARK_DRIVER_MEMORY", "2g"))
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

    def _query(self, sql: str) -> pd.DataFrame:
        return self.spark.sql(sql).toArrow().to_pandas()

    def register_periods(self, periods: pd.DataFrame) -> None:
        for name, frame in run_periods(periods).items():
            rows = [(str(b), _day(s), _day(e)) for b, s, e in zip(frame.basis, frame.period_start, frame.period_end, strict=True)]
            view = PERIOD_VIEWS[name]
            self.spark.createDataFrame(rows, "basis string, period_start date, period_end date").createOrReplaceTempView(view)
            self._periods[name] = self.backend.table(view)

    def _view(self, name: str, expr: ir.Table, cache: bool) -> ir.Table:
        """Make an expression a temporary view (cached when read more than once), for the next expressions to read."""
        self.spark.sql(str(self.backend.compile(expr))).createOrReplaceTempView(name)
        if cache:
            self.spark.catalog.cacheTable(name)
        return self.backend.table(name)

    def _run(self, ind: Indicator, bases: tuple[str, ...], wanted: tuple[str, ...], wait: bool = True) -> pd.DataFrame:
        assert ind.measure.cohort is not None
        if ind.snapshot:
            periods = self._periods[SNAPSHOT_PERIODS]
        elif ind.additive:
            periods = self._periods[MONTHS]
        else:
            periods = self._periods[PERIODS].filter(lambda p: p.basis.isin(bases))
        rows = _narrow(ind.measure.cohort(self.model, periods), wanted)
        dated = _counts_children_monthly(ind)
        if _needs_allocation(rows, wanted):  # the allocation lookup reads the rows twice
            rows = self._view(ROWS, rows, cache=True)
        cohort = self._view(COHORT, _attach(self.model, rows, wanted, self.sole_la, dated), cache=len(wanted) > 1)
        aggregate = _aggregate_first_in_window if dated else _aggregate
        parts = [aggregate(ind, cohort, b) for b in wanted]
        figures = self.backend.to_pyarrow(ibis.union(*parts) if len(parts) > 1 else parts[0])
        try:
            self.con.register(FIGURES, figures)
            return self.con.execute(on_periods(ind, bases)).df()
        finally:
            self.con.unregister(FIGURES)
            for name in (ROWS, COHORT):
                if self.spark.catalog.tableExists(name):
                    self.spark.catalog.uncacheTable(name)
                    self.spark.catalog.dropTempView(name)


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
            for ind in selected:
                if ind.measure.kind != "rate":
                    done[ind.id] = engine.compute_one(ind, periods, breakdowns)
            for ind in selected:
                if ind.measure.kind == "rate":
                    done[ind.id] = engine.compute_one(ind, periods, breakdowns, counted=done)
    finally:
        if own_session:
            session.stop()
    return result_rows([done[ind.id] for ind in selected if ind.id in done], selected, settings)
