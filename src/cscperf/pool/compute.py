"""`cscperf compute --source POOL`: the catalogue on a pool, by DuckDB or Spark, in the usual results layout."""

from __future__ import annotations

import datetime as dt
import tempfile
from collections.abc import Sequence
from pathlib import Path

import pandas as pd

ENGINES = ("duckdb", "spark")
KEY_COLUMNS = ["indicator_id", "basis", "period_end", "breakdown", "breakdown_value"]
COMPARED = ("numerator", "denominator", "value")


def compute_pool(
    source: Path,
    engine: str,
    period_ends: Sequence[dt.date],
    bases: Sequence[str],
    breakdowns: Sequence[str],
    ids: Sequence[str] | None,
    spark_master: str | None = None,
) -> pd.DataFrame:
    """Result rows for every authority in the pool (the `la` breakdown is by authority)."""
    if engine == "duckdb":
        from cscperf.indicators import compute
        from cscperf.pool import layout
        from cscperf.pool.duckdb_source import connect_pool

        with tempfile.TemporaryDirectory(prefix="cscperf-pool-") as spill:  # mode 0700, removed with what DuckDB spilt
            con = connect_pool(source, Path(spill))
            try:
                return compute(con, period_ends, bases=bases, breakdowns=breakdowns, ids=ids if ids is not None else layout.pooled_ids())
            finally:
                con.close()
    if engine == "spark":
        from cscperf.pool.spark import compute_spark

        return compute_spark(source, period_ends, bases=bases, breakdowns=breakdowns, ids=ids, master=spark_master)
    raise ValueError(f"unknown engine {engine} (choose from {', '.join(ENGINES)})")


def figure_differences(expected: pd.DataFrame, actual: pd.DataFrame) -> pd.DataFrame:
    """The figures (by key) that are in one result and not the other, or whose numerator, denominator or value
    differ (beyond floating-point rounding, 1e-9 relative): what must be empty for two engines to agree."""
    merged = expected.merge(actual, on=KEY_COLUMNS, how="outer", suffixes=("_e", "_a"), indicator=True)
    differ = merged._merge != "both"
    for col in COMPARED:
        e, a = merged[f"{col}_e"].astype(float), merged[f"{col}_a"].astype(float)
        differ |= ~(((e - a).abs() <= 1e-9 * (1 + e.abs())) | (e.isna() & a.isna()))
    return merged[differ][[*KEY_COLUMNS, "_merge", *(f"{c}_{s}" for c in COMPARED for s in ("e", "a"))]]
