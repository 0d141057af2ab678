"""Pooled benchmarks, worked by hand on three authorities in two regions."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from cscperf.errors import UserError
from cscperf.pool.benchmarks import ENGLAND, PooledBenchmarks, pooled_benchmarks

END = dt.date(2026, 3, 31)
REGIONS = {"A1": "North", "A2": "North", "A3": "South"}


def _results() -> pd.DataFrame:
    rows = [
        # contacts (a count): 10, 20, 40
        ("contacts", "A1", 10.0, None, 10.0),
        ("contacts", "A2", 20.0, None, 20.0),
        ("contacts", "A3", 40.0, None, 40.0),
        # contacts_decided_1wd_pct (a share, high is good): 1/4, 3/4, 0/2
        ("contacts_decided_1wd_pct", "A1", 1.0, 4.0, 25.0),
        ("contacts_decided_1wd_pct", "A2", 3.0, 4.0, 75.0),
        ("contacts_decided_1wd_pct", "A3", 0.0, 2.0, 0.0),
    ]
    frame = pd.DataFrame(rows, columns=["indicator_id", "breakdown_value", "numerator", "denominator", "value"])
    month = frame.assign(basis="month", period_start=dt.date(2026, 3, 1), period_end=END, breakdown="la")
    earlier = month.assign(period_end=dt.date(2026, 2, 28), value=99.0)  # another month: never read
    return pd.concat([month, earlier], ignore_index=True)


def _cell(table: pd.DataFrame, ind: str, level: str, code: str) -> dict:
    hit = table[(table.indicator_id == ind) & (table.level == level) & (table.code == code)]
    assert len(hit) == 1
    return hit.iloc[0].to_dict()


def test_pooled_figures_means_medians_quartiles() -> None:
    table = pooled_benchmarks(_results(), REGIONS, END)
    england = _cell(table, "contacts", "england", ENGLAND)
    assert (england["authorities"], england["value"], england["median"], england["q25"], england["q75"]) == (3, 70, 20, 15, 30)
    assert england["mean"] == pytest.approx(70 / 3)
    north = _cell(table, "contacts", "region", "North")
    assert (north["value"], north["mean"], north["q25"], north["q75"]) == (30, 15, 12.5, 17.5)
    # a share pooled is the share of the pooled numerators and denominators (4 of 10), not the mean of shares
    share = _cell(table, "contacts_decided_1wd_pct", "england", ENGLAND)
    assert share["value"] == pytest.approx(40.0)
    assert share["mean"] == pytest.approx(100 / 3)
    assert _cell(table, "contacts_decided_1wd_pct", "region", "North")["value"] == pytest.approx(50.0)
    assert _cell(table, "contacts_decided_1wd_pct", "la", "A3")["region"] == "South"


def test_judge_reads_pooled_benchmarks(tmp_path) -> None:  # noqa: ANN001
    path = tmp_path / "bench.csv"
    pooled_benchmarks(_results(), REGIONS, END).to_csv(path, index=False)
    bench = PooledBenchmarks.read(path)
    bench.neighbours = {"A1": ["A2", "A3", "A9"]}  # A9 is not in the pool
    b = bench.get("contacts_decided_1wd_pct", "A1", "high", "month")
    assert (b.england.value, b.region.value, b.region_name, b.la.value) == (40.0, 50.0, "North", 25.0)
    assert (b.sn_mean, b.sn_median, b.sn_count) == (37.5, 37.5, 2)
    assert b.quartile == "B"  # 25 among 0, 25, 75: quartiles 12.5, 25, 50
    assert b.year_label == "pooled, month to 2026-03-31"
    assert not bench.get("contacts", "A1", "neutral", "ytd").available


def test_no_figures_for_the_month() -> None:
    with pytest.raises(UserError, match="2026-04-30"):
        pooled_benchmarks(_results(), REGIONS, dt.date(2026, 4, 30))


def test_judge_with_pooled_benchmarks_from_the_cli(warehouses: dict, pool_a, tmp_path) -> None:  # noqa: ANN001
    import shutil

    from click.testing import CliRunner

    from cscperf.cli import main

    runner = CliRunner()
    results, bench = tmp_path / "pooled.parquet", tmp_path / "bench.csv"
    ids = "contacts,referrals,cla_open,cla_open_rate,contacts_decided_1wd_pct"
    compute = ["compute", "--period-end", f"{END}", "--breakdowns", "la", "--ids", ids]
    done = runner.invoke(main, [*compute, "--source", str(pool_a), "--out", str(results), "--no-store"])
    assert done.exit_code == 0, done.output
    make = ["pool", "benchmarks", "--source", str(pool_a), "--results", str(results), "--period-end", f"{END}"]
    done = runner.invoke(main, [*make, "--out", str(bench)])
    assert done.exit_code == 0, done.output
    own = tmp_path / "own.duckdb"
    shutil.copy(warehouses["999"], own)
    assert runner.invoke(main, [*compute, "--warehouse", str(own)]).exit_code == 0
    judged = tmp_path / "judged.csv"
    judge = ["judge", "--warehouse", str(own), "--period-end", f"{END}", "--out", str(judged), "--pooled-benchmarks", str(bench)]
    done = runner.invoke(main, [*judge, "--benchmarks", "both"])
    assert done.exit_code == 0, done.output
    table = pd.read_csv(judged).set_index("indicator_id")
    pooled = pd.read_csv(bench, dtype={"code": str})
    england = pooled[(pooled.level == "england") & (pooled.basis == "month")].set_index("indicator_id").value
    assert table.loc["contacts", "pool_england"] == england["contacts"]  # 999's contacts plus 998's
    assert table.loc["contacts", "pool_england"] > table.loc["contacts", "value"]
    assert set(table.benchmark_source) == {"published; pool_* pooled"}
    done = runner.invoke(main, judge[:-2] + ["--benchmarks", "pooled"])
    assert done.exit_code != 0 and "--pooled-benchmarks" in str(done.exception)
