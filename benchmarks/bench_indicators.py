"""Time the indicator engine on synthetic authorities against the independent pandas reference.

    .venv/bin/python -m benchmarks.bench_indicators [--profiles peterborough,large] [--months 24] [--rebuild] [--slowest N]

For each profile: builds the synthetic authority (5 collection years to 31 March 2026, seed 1) or reuses
the copy cached under benchmarks/.cache/ (keyed by a hash of the generator source); computes the whole
catalogue for 24 month ends x every basis x la+team+worker, first cold (a fresh SQL cache directory, so
every cohort is compiled) then warm (compiled SQL read back from that directory, as a second run would);
then times the engine (median of 5 runs) and the reference (tests/reference/reference.py, one run) on the
indicators both implement, `la` breakdown, same periods, and prints the ratio. Targets: `large` whole
catalogue under 10 s, and the engine at least 20x faster than the reference.
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import os
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd

from cscperf.indicators import REGISTRY, compute, month_ends, sql_cache
from tests.reference import reference

CACHE = Path(__file__).resolve().parent / ".cache"
SRC = Path(__file__).resolve().parents[1] / "src" / "cscperf"
END = dt.date(2026, 3, 31)
YEARS, SEED = 5, 1


def _generator_hash() -> str:
    h = hashlib.sha256()
    for path in sorted([*(SRC / "synth").rglob("*.py"), SRC / "warehouse" / "schema.py"]):
        h.update(path.read_bytes())
    return h.hexdigest()[:10]


def warehouse(profile: str, rebuild: bool) -> Path:
    """The cached synthetic warehouse for a profile, built when missing, stale or asked for."""
    from cscperf.synth.generator import build_warehouse

    path = CACHE / f"{profile}-y{YEARS}-s{SEED}-{END:%Y%m%d}-{_generator_hash()}.duckdb"
    if path.exists() and not rebuild:
        return path
    CACHE.mkdir(exist_ok=True)
    for old in CACHE.glob(f"{profile}-*.duckdb*"):
        old.unlink()
    t = time.perf_counter()
    summary = build_warehouse(path, profile=profile, years=YEARS, seed=SEED, end_date=END, progress=False)
    print(f"  built {summary.children:,} children in {time.perf_counter() - t:.1f} s -> {path.relative_to(CACHE.parent.parent)}")
    return path


def timed(fn: Callable[[], Any]) -> tuple[float, Any]:
    t = time.perf_counter()
    out = fn()
    return time.perf_counter() - t, out


def engine_runs(con: duckdb.DuckDBPyConnection, ends: list[dt.date], common: list[str]) -> dict[str, tuple[float, pd.DataFrame]]:
    """Cold and warm whole-catalogue runs, and a warm run of the common indicators by `la` only."""
    runs = {}
    with tempfile.TemporaryDirectory(prefix="cscperf-sql-") as sql_dir:
        previous = os.environ.get("CSCPERF_CACHE_DIR")
        os.environ["CSCPERF_CACHE_DIR"] = sql_dir
        try:
            for label in ("cold", "warm"):
                sql_cache._MEMORY.clear()  # as a new process: nothing compiled in memory; warm reads the file cold wrote
                runs[label] = timed(lambda: compute(con, ends, breakdowns=("la", "team", "worker")))
            compute(con, ends, breakdowns=("la",), ids=common)  # compile the la-only cohorts before timing them
            # Half a second on large, so the median of five runs (the reference takes seconds and runs once).
            repeats = sorted((timed(lambda: compute(con, ends, breakdowns=("la",), ids=common)) for _ in range(5)), key=lambda r: r[0])
            runs["common"] = repeats[len(repeats) // 2]
        finally:
            if previous is None:
                os.environ.pop("CSCPERF_CACHE_DIR", None)
            else:
                os.environ["CSCPERF_CACHE_DIR"] = previous
    return runs


def run_reference(con: duckdb.DuckDBPyConnection, ends: list[dt.date], ids: list[str]) -> pd.DataFrame:
    """The reference on the bases the registry declares for each indicator, reading the tables once."""
    data = reference.load(con)
    return pd.concat([reference.compute(data, ends, ids=[i], bases=REGISTRY[i].bases) for i in ids], ignore_index=True)


def slowest(con: duckdb.DuckDBPyConnection, ends: list[dt.date]) -> list[tuple[float, str]]:
    """Warm per-indicator times of the whole-catalogue run (SQL cache as left by the runs above), slowest first."""
    return sorted(((timed(lambda i=i: compute(con, ends, ids=[i]))[0], i) for i in REGISTRY), reverse=True)


def line(label: str, seconds: float, rows: int) -> None:
    print(f"    {label:38}: {seconds:7.2f} s  {rows:>9,} rows")


def bench(profile: str, months: int, rebuild: bool, show_slowest: int = 0) -> dict[str, float]:
    print(f"{profile}:")
    path = warehouse(profile, rebuild)
    ends = month_ends(END, months)
    common = [r.id for r in reference.REFS if r.id in REGISTRY]
    con = duckdb.connect(str(path), read_only=True)
    try:
        children = con.execute("SELECT count(*) FROM ssd_person").fetchone()[0]
        runs = engine_runs(con, ends, common)
        ref_time, ref_rows = timed(lambda: run_reference(con, ends, common))
        per_indicator = slowest(con, ends) if show_slowest else []
    finally:
        con.close()
    print(f"  {children:,} children; {months} month ends x month/rolling12/ytd/year")
    print(f"  engine, whole catalogue ({len(REGISTRY)} ids), la+team+worker:")
    line("cold (compiling SQL)", runs["cold"][0], len(runs["cold"][1]))
    line("warm (SQL cached on disk)", runs["warm"][0], len(runs["warm"][1]))
    seconds = runs["common"][0]
    print(f"  common indicators ({len(common)} ids), la only:")
    line("engine (warm, median of 5)", seconds, len(runs["common"][1]))
    line("reference (pandas)", ref_time, len(ref_rows))
    print(f"    {'ratio reference / engine':38}: {ref_time / seconds:7.1f}x")
    if per_indicator:
        total = sum(t for t, _ in per_indicator)
        print(f"  slowest indicators, each computed alone (warm, la+team+worker; all {len(per_indicator)} sum to {total:.1f} s):")
        for t, ind in per_indicator[:show_slowest]:
            print(f"    {ind:38}: {t:7.2f} s")
    return {"cold": runs["cold"][0], "warm": runs["warm"][0], "engine_common": seconds, "reference": ref_time}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--profiles", default="peterborough,large", help="comma-separated synthetic profiles")
    parser.add_argument("--months", type=int, default=24, help="month ends back from 31 March 2026")
    parser.add_argument("--rebuild", action="store_true", help="rebuild the cached warehouses")
    parser.add_argument("--slowest", type=int, default=0, metavar="N", help="also time each indicator and list the N slowest")
    args = parser.parse_args(argv)
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    print(f"{dt.datetime.now():%Y-%m-%d %H:%M}, {os.cpu_count()} cores, load average {load}")
    for profile in (p.strip() for p in args.profiles.split(",") if p.strip()):
        bench(profile, args.months, args.rebuild, args.slowest)


if __name__ == "__main__":
    main()
