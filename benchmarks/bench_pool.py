"""Benchmark: a pool written by synth, then its catalogue (24 month ends, `la` only) on DuckDB and on Spark local mode.

Run: .venv/bin/python -m benchmarks.bench_pool [--profile england] [--years 5] [--months 24] [--engines duckdb,spark] [--keep DIR]
Each step runs in its own child process so its peak resident memory is its own (for Spark, the JVM's peak too).
Targets (issue 15): england 5 years generated in under 5 minutes; its 24-month `la` catalogue on DuckDB under
5 minutes and 16 GB; Spark local mode recorded beside it.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import secrets
import subprocess
import sys
import tempfile
import time
from pathlib import Path

END = dt.date(2026, 3, 31)
SYNTH = """
import json, resource, sys
from click.testing import CliRunner
from cscperf.cli import main
pool, key, profile, years = sys.argv[1:5]
args = ["synth", "--profile", profile, "--years", years, "--seed", "1", "--end-date", "2026-03-31", "--pool", pool, "--key-file", key]
done = CliRunner().invoke(main, args)
assert done.exit_code == 0, done.output
print(json.dumps({"peak_gb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024**2}))
"""
COMPUTE = """
import datetime as dt, json, resource, sys
from cscperf.indicators import month_ends
from cscperf.indicators.registry import BASES
pool, engine, months = sys.argv[1], sys.argv[2], int(sys.argv[3])
ends = month_ends(dt.date(2026, 3, 31), months)
jvm_gb = None
if engine == "duckdb":
    from cscperf.pool.compute import compute_pool
    frame = compute_pool(pool, "duckdb", ends, BASES, ("la",), None)
else:
    from cscperf.pool.spark import compute_spark, spark_session
    session = spark_session()
    session.sparkContext.setLogLevel("ERROR")
    frame = compute_spark(pool, ends, bases=BASES, breakdowns=("la",), session=session)
    pid = session.sparkContext._gateway.proc.pid  # the JVM: its peak resident memory before it stops
    status = open(f"/proc/{pid}/status").read()
    jvm_gb = int(next(l for l in status.splitlines() if l.startswith("VmHWM")).split()[1]) / 1024**2
    session.stop()
print(json.dumps({"figures": len(frame), "indicators": int(frame.indicator_id.nunique()),
                  "peak_gb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024**2, "jvm_peak_gb": jvm_gb}))
"""


def _child(code: str, *args: str) -> tuple[float, dict]:
    t0 = time.perf_counter()
    out = subprocess.run([sys.executable, "-c", code, *args], check=True, capture_output=True, text=True)
    return time.perf_counter() - t0, json.loads(out.stdout.strip().splitlines()[-1])


def _size_gb(folder: Path) -> float:
    return sum(p.stat().st_size for p in folder.rglob("*.parquet")) / 1024**3


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--profile", default="england")
    parser.add_argument("--years", default="5")
    parser.add_argument("--months", default="24")
    parser.add_argument("--engines", default="duckdb,spark")
    parser.add_argument("--keep", type=Path, default=None, help="Keep the pool in this folder (and reuse it if there).")
    args = parser.parse_args()
    print(f"load average at start: {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs", flush=True)
    with tempfile.TemporaryDirectory() as tmp:
        folder = args.keep or Path(tmp)
        pool, key = folder / "pool", folder / "pool.key"
        if not (pool / "pool.json").exists():
            folder.mkdir(parents=True, exist_ok=True)
            key.write_text(secrets.token_hex(32))
            wall, r = _child(SYNTH, str(pool), str(key), args.profile, args.years)
            print(
                f"synth {args.profile} {args.years} years to the pool: {wall:.1f} s, peak {r['peak_gb']:.2f} GB, "
                f"{_size_gb(pool):.2f} GB of Parquet",
                flush=True,
            )
        for engine in args.engines.split(","):
            wall, r = _child(COMPUTE, str(pool), engine, args.months)
            jvm = f", JVM peak {r['jvm_peak_gb']:.2f} GB" if r["jvm_peak_gb"] else ""
            print(
                f"{engine}: {args.months} month ends, la only: {wall:.1f} s, {r['figures']:,} figures of {r['indicators']} "
                f"indicators, peak {r['peak_gb']:.2f} GB{jvm}",
                flush=True,
            )
    print(f"measured {dt.datetime.now():%Y-%m-%d %H:%M}")


if __name__ == "__main__":
    main()
