"""Time the indicator engine on synthetic authorities against the independent pandas reference.

    .venv/bin/python -m benchmarks.bench_indicators [--profiles peterborough,large] [--months 24] [--rebuild]

For each profile: builds the synthetic authority (5 collection years to 31 March 2026, seed 1) or reuses
the copy cached under benchmarks/.cache/ (keyed by a hash of the generator source); computes the whole
catalogue for 24 month ends x every basis x la+team+worker, first cold (a fresh SQL cache directory, so
every cohort is compiled) then warm (compiled SQL read back from that directory, as a second run would);
then times the engine and the reference (tests/reference/reference.py) on the indicators both implement,
`la` breakdown, same periods, and prints the ratio. Targets: `large` whole catalogue under 10 s, and the
engine at least 20x faster than the reference.
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
            runs["common"] = timed(lambda: compute(con, ends, breakdowns=("la",), ids=common))
        finally:
            if previous is None:
                os.environ.pop("CSCPERF_CACHE_DIR", None)
            else:
                os.environ["CSCPERF_CACHE_DIR"] = previous
    return runs


def bench(profile: str, months: int, rebuild: bool) -> dict[str, float]:
    print(f"{profile}:")
    path = warehouse(profile, rebuild)
    ends = month_ends(END, months)
    common = [r.id for r in reference.REFS if r.id in REGISTRY]
    con = duckdb.connect(str(path), read_only=True)
    try:
        children = con.execute("SELECT count(*) FROM ssd_person").fetchone()[0]
        runs = engine_runs(con, ends, common)
        ref_time, ref_rows = timed(lambda: reference.compute(con, ends, ids=common))
    finally:
        con.close()
    print(f"  {children:,} children; {months} month ends x month/rolling12/ytd/year")
    print(f"  engine, whole catalogue ({len(REGISTRY)} ids), la+team+worker:")
    for label, what in (("cold", "compiling SQL"), ("warm", "SQL cached on disk")):
        seconds, rows = runs[label]
        print(f"    {label} ({what}){'':{22 - len(what)}}: {seconds:7.2f} s  {len(rows):>9,} rows")
    seconds, rows = runs["common"]
    print(f"  common indicators ({len(common)} ids), la only:")
    print(f"    engine (warm){'':24}: {seconds:7.2f} s  {len(rows):>9,} rows")
    print(f"    reference (pandas){'':19}: {ref_time:7.2f} s  {len(ref_rows):>9,} rows")
    print(f"    ratio reference / engine{'':13}: {ref_time / seconds:7.1f}x")
    return {"cold": runs["cold"][0], "warm": runs["warm"][0], "engine_common": seconds, "reference": ref_time}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--profiles", default="peterborough,large", help="comma-separated synthetic profiles")
    parser.add_argument("--months", type=int, default=24, help="month ends back from 31 March 2026")
    parser.add_argument("--rebuild", action="store_true", help="rebuild the cached warehouses")
    args = parser.parse_args(argv)
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    print(f"{dt.datetime.now():%Y-%m-%d %H:%M}, {os.cpu_count()} cores, load average {load}")
    for profile in (p.strip() for p in args.profiles.split(",") if p.strip()):
        bench(profile, args.months, args.rebuild)


if __name__ == "__main__":
    main()
