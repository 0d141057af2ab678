"""The whole catalogue computed by Spark (local mode) on a pool of two authorities agrees with DuckDB on the same
pool, figure for figure. Spark starts slowly: one session for the module, one month end."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner

from cscperf.cli import main
from cscperf.pool.compute import compute_pool
from cscperf.pool.layout import pooled_ids
from tests.pool.conftest import END, assert_same_figures

BASES = ("month", "rolling12", "ytd", "year")
BREAKDOWNS = ("la", "worker")  # worker: the allocation lookup, and children counted once per worker


@pytest.fixture(scope="module")
def spark():  # noqa: ANN201 - SparkSession
    from cscperf.pool.spark import spark_session

    session = spark_session("local[2]")
    session.sparkContext.setLogLevel("ERROR")
    yield session
    session.stop()


@pytest.mark.slow
def test_spark_agrees_with_duckdb(pool_a: Path, spark) -> None:  # noqa: ANN001
    from cscperf.pool.spark import compute_spark

    duck = compute_pool(pool_a, "duckdb", [END], BASES, BREAKDOWNS, None)
    on_spark = compute_spark(pool_a, [END], bases=BASES, breakdowns=BREAKDOWNS, session=spark)
    assert set(on_spark.indicator_id) == set(duck.indicator_id)
    assert len(set(duck.indicator_id)) > 0.9 * len(pooled_ids())  # the few left out have no figures for tiny authorities
    assert set(on_spark[on_spark.breakdown == "la"].breakdown_value) == {"998", "999"}
    assert_same_figures(duck, on_spark, unallocated=True)
    assert len(on_spark) == len(duck)
    pd.testing.assert_series_equal(on_spark.definition_version, duck.definition_version)


@pytest.mark.slow
def test_spark_plans_join_large_tables_by_key_and_broadcast_only_the_small_side(pool_a: Path, spark) -> None:  # noqa: ANN001
    """A join with no equality key is a nested loop over both sides: fine against the run's few periods (broadcast,
    the right side), hours at England's scale between two large tables (NOT IN inside an OR did that once)."""
    import duckdb

    from cscperf.indicators.engine import Run, periods_frame
    from cscperf.indicators.registry import REGISTRY
    from cscperf.pool.spark import SparkEngine, register_pool

    register_pool(spark, pool_a)
    periods = periods_frame([END], BASES)
    wrong: dict[str, list[str]] = {}
    loops = 0
    with duckdb.connect(":memory:") as scratch, Run(scratch, periods) as run:
        engine = SparkEngine(spark, scratch, run)
        engine.register_periods(periods)
        for ind in (REGISTRY[i] for i in pooled_ids() if REGISTRY[i].measure.kind != "rate"):
            joins = [line.strip() for line in engine.plan(ind).splitlines() if "NestedLoopJoin" in line or "CartesianProduct" in line]
            loops += len(joins)
            bad = [j for j in joins if "CartesianProduct" in j or "BuildRight" not in j or "ExistenceJoin" in j or "Anti" in j]
            if bad:
                wrong[ind.id] = bad
    assert loops > 50  # the range joins with the periods are there, and broadcast the periods
    assert not wrong, wrong


def test_spark_needs_a_pool(tmp_path: Path) -> None:
    done = CliRunner().invoke(main, ["compute", "--engine", "spark", "--period-end", f"{END}", "--warehouse", str(tmp_path / "w.duckdb")])
    assert done.exit_code != 0
    assert "--source" in str(done.exception) or "--source" in done.output
