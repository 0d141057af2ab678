"""The catalogue on the pool (DuckDB) agrees with each authority's own warehouse, under any key."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq
import pytest
from click.testing import CliRunner

from cscperf.cli import main
from cscperf.errors import UserError
from cscperf.pool import layout
from cscperf.pool.compute import compute_pool, figure_differences
from cscperf.pool.pseudonym import HASHED, treatments
from tests.pool.conftest import BREAKDOWNS, END, ENDS, KEY_A, KEY_B, as_pooled, assert_same_figures, make_pool


def test_figure_differences_by_hand() -> None:
    def rows(*figures: tuple) -> pd.DataFrame:
        keys = {"basis": "month", "period_end": "2026-03-31", "breakdown": "la"}
        return pd.DataFrame(
            [{"indicator_id": i, **keys, "breakdown_value": la, "numerator": n, "denominator": d, "value": v} for i, la, n, d, v in figures]
        )

    expected = rows(("a", "999", 3, 4, 0.75), ("a", "998", 1, None, None), ("b", "999", 2, 3, 2 / 3), ("c", "999", 5, 5, 1.0))
    # b's value differs only by rounding; a 998's missing denominator is missing on both; c is not in the other
    actual = rows(("a", "999", 3, 4, 0.75), ("a", "998", 1, None, None), ("b", "999", 2, 3, 0.6666666666666667 + 1e-13))
    assert figure_differences(expected, actual).indicator_id.tolist() == ["c"]
    actual.loc[0, "numerator"] = 4  # one count differs: a 999 differs too
    assert sorted(figure_differences(expected, actual).indicator_id) == ["a", "c"]
    assert figure_differences(expected, expected).empty


@pytest.fixture(scope="module")
def pooled_a(pool_a: Path) -> pd.DataFrame:
    return compute_pool(pool_a, "duckdb", ENDS, ("month", "rolling12", "ytd", "year"), BREAKDOWNS, None)


def test_pool_agrees_with_own_warehouses(own_results: dict[str, pd.DataFrame], pooled_a: pd.DataFrame) -> None:
    assert set(pooled_a[pooled_a.breakdown == "la"].breakdown_value) == {"999", "998"}
    assert_same_figures(as_pooled(own_results, KEY_A), pooled_a)


def test_another_key_changes_every_id_and_no_figure(
    warehouses: dict[str, Path], pool_a: Path, own_results: dict[str, pd.DataFrame], tmp_path: Path
) -> None:
    pool_b = make_pool(warehouses, KEY_B, tmp_path / "pool-b")
    for table in layout.POOLED:
        hashed = [c for c, kind in treatments()[table.name].items() if kind in HASHED]
        for la in ("999", "998"):
            a = pq.read_table(layout.partition_dir(pool_a, table.name, la) / "part-0.parquet", columns=hashed).to_pydict()
            b = pq.read_table(layout.partition_dir(pool_b, table.name, la) / "part-0.parquet", columns=hashed).to_pydict()
            for col in hashed:
                assert not ({v for v in a[col] if v is not None} & {v for v in b[col] if v is not None}), (table.name, col)
    pooled_b = compute_pool(pool_b, "duckdb", ENDS, ("month", "rolling12", "ytd", "year"), BREAKDOWNS, None)
    assert_same_figures(as_pooled(own_results, KEY_B), pooled_b)


def test_cli_export_and_compute(warehouses: dict[str, Path], tmp_path: Path) -> None:
    key = tmp_path / "pool.key"
    runner = CliRunner()
    assert runner.invoke(main, ["pool", "keygen", "--out", str(key)]).exit_code == 0
    for path in warehouses.values():
        done = runner.invoke(main, ["pool", "export", "--key-file", str(key), "--out", str(tmp_path / "pool"), "--warehouse", str(path)])
        assert done.exit_code == 0, done.output
    out = tmp_path / "results.csv"
    args = ["compute", "--source", str(tmp_path / "pool"), "--period-end", f"{END}", "--ids", "cla_open,referrals"]
    done = runner.invoke(main, [*args, "--breakdowns", "la", "--out", str(out), "--warehouse", str(tmp_path / "pooled.duckdb")])
    assert done.exit_code == 0, done.output
    refused = runner.invoke(main, [*args, "--breakdowns", "la"], env={"CSCPERF_WAREHOUSE": None})
    assert refused.exit_code != 0 and "--warehouse" in str(refused.exception)  # never into ./cscperf.duckdb by default
    rows = pd.read_csv(out, dtype={"breakdown_value": str})
    assert set(rows.indicator_id) == {"cla_open", "referrals"}
    assert set(rows.breakdown_value) == {"999", "998"}


def test_not_a_pool(tmp_path: Path) -> None:
    with pytest.raises(UserError, match="not a pool"):
        compute_pool(tmp_path, "duckdb", ENDS, ("month",), ("la",), None)


def test_memory_limit_and_spill_folder(pool_a: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from cscperf.pool.duckdb_source import connect_pool

    monkeypatch.setenv("CSCPERF_POOL_DUCKDB_MEMORY", "1GB")
    con = connect_pool(pool_a, tmp_path)
    try:
        limit, folder = con.execute("SELECT current_setting('memory_limit'), current_setting('temp_directory')").fetchone()
    finally:
        con.close()
    assert limit == "953.6 MiB"  # 10^9 bytes, as DuckDB prints them
    assert folder == str(tmp_path)
