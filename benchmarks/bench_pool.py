"""Benchmark: a pool written by synth, then its catalogue (24 month ends, `la` only) on DuckDB and on Spark local mode.

Run: .venv/bin/python -m benchmarks.bench_pool [--profile england] [--years 5] [--months 24] [--engines duckdb,spark]
     [--baseline peterborough:1] [--keep DIR] [--jobs N] [--region NAME] [--figures DIR]
Each step runs in its own child process so its peak resident memory is its own (for Spark, the JVM's peak too), and
its CPU time (user + system, its worker processes included) is printed beside the wall time: on a machine shared with
others the wall time moves with the load, the CPU time much less. `synth --pool` generates chunks of authorities in
`--jobs` worker processes (default: every CPU); its peak is the largest process's and, sampled each second, the sum
over the step's whole process tree (what the machine must hold). The same steps first run on a small baseline profile in the same run, and
every step prints its ratio to the baseline's (wall and CPU), so runs at different loads can be compared. The baseline
runs first, so it also compiles the catalogue's SQL into the cache the measured run then reads (seconds, not minutes).
Targets (issue 15): england 5 years generated in under 5 minutes; its 24-month `la` catalogue on DuckDB under
5 minutes and 16 GB; Spark local mode recorded beside it. With `--figures DIR` each engine's figures are written
there (`<run>-<engine>.parquet`, kept for the next run) and, once both engines' are there, compared figure for figure.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import resource
import secrets
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

END = dt.date(2026, 3, 31)
SYNTH = """
import json, resource, sys
from click.testing import CliRunner
from cscperf.cli import main
pool, key, profile, years, jobs, region = sys.argv[1:7]
args = ["synth", "--profile", profile, "--years", years, "--seed", "1", "--end-date", "2026-03-31", "--pool", pool, "--key-file", key]
done = CliRunner().invoke(main, [*args, "--jobs", jobs, *(["--region", region] if region else [])])
assert done.exit_code == 0, done.output
peak = max(resource.getrusage(who).ru_maxrss for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN))
print(json.dumps({"peak_gb": peak / 1024**2}))
"""
COMPUTE = """
import datetime as dt, json, os, resource, sys
from cscperf.indicators import month_ends
from cscperf.indicators.registry import BASES
pool, engine, months, figures = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
ends = month_ends(dt.date(2026, 3, 31), months)
jvm_gb = jvm_cpu = None
if engine == "duckdb":
    from cscperf.pool.compute import compute_pool
    frame = compute_pool(pool, "duckdb", ends, BASES, ("la",), None)
else:
    from cscperf.pool.spark import compute_spark, spark_session
    session = spark_session()
    session.sparkContext.setLogLevel("ERROR")
    frame = compute_spark(pool, ends, bases=BASES, breakdowns=("la",), session=session)
    pid = session.sparkContext._gateway.proc.pid  # the JVM: its peak resident memory and CPU time before it stops
    status = open(f"/proc/{pid}/status").read()
    jvm_gb = int(next(l for l in status.splitlines() if l.startswith("VmHWM")).split()[1]) / 1024**2
    stat = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
    jvm_cpu = (int(stat[11]) + int(stat[12])) / os.sysconf("SC_CLK_TCK")  # utime + stime
    session.stop()
if figures:
    frame.to_parquet(figures)
print(json.dumps({"figures": len(frame), "indicators": int(frame.indicator_id.nunique()),
                  "peak_gb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024**2, "jvm_peak_gb": jvm_gb, "jvm_cpu_s": jvm_cpu}))
"""


@dataclass
class Step:
    wall: float
    cpu: float  # user + system seconds of the step's process and its workers (a Spark JVM's is printed on its own)
    out: dict
    tree_gb: float  # the peak of the summed resident memory of the step's process tree, sampled each second

    def ratio(self, base: Step | None) -> str:
        if base is None:
            return ""
        return f" [x{self.wall / base.wall:.1f} wall, x{self.all_cpu / base.all_cpu:.1f} CPU of the baseline]"

    @property
    def all_cpu(self) -> float:
        """The step's CPU with a Spark JVM's (the JVM is not a child the step's process waits for)."""
        return self.cpu + (self.out.get("jvm_cpu_s") or 0.0)


def _cpu() -> float:
    used = resource.getrusage(resource.RUSAGE_CHILDREN)
    return used.ru_utime + used.ru_stime


def _tree_rss_kb(root: int) -> int:
    """Summed resident memory (kB) of a process and its descendants, from /proc."""
    children: dict[int, list[int]] = {}
    rss: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            status = (entry / "status").read_text()
        except OSError:  # the process ended while being read
            continue
        fields = dict(line.split(":", 1) for line in status.splitlines() if ":" in line)
        pid = int(entry.name)
        children.setdefault(int(fields["PPid"]), []).append(pid)
        rss[pid] = int(fields.get("VmRSS", "0 kB").split()[0])
    total, todo = 0, [root]
    while todo:
        pid = todo.pop()
        total += rss.get(pid, 0)
        todo += children.get(pid, [])
    return total


def _child(code: str, *args: str) -> Step:
    t0, c0 = time.perf_counter(), _cpu()
    proc = subprocess.Popen([sys.executable, "-c", code, *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    peak, stop = [0], threading.Event()

    def sample() -> None:
        while not stop.wait(1.0):
            peak[0] = max(peak[0], _tree_rss_kb(proc.pid))

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    out, err = proc.communicate()
    stop.set()
    sampler.join()
    if proc.returncode:
        raise subprocess.CalledProcessError(proc.returncode, proc.args, out, err)
    return Step(time.perf_counter() - t0, _cpu() - c0, json.loads(out.strip().splitlines()[-1]), peak[0] / 1024**2)


def _load() -> str:
    one, five, fifteen = os.getloadavg()
    return f"load average {one:.1f}, {five:.1f}, {fifteen:.1f}"


def _size_gb(folder: Path) -> float:
    return sum(p.stat().st_size for p in folder.rglob("*.parquet")) / 1024**3


def run(
    label: str,
    folder: Path,
    profile: str,
    years: str,
    months: str,
    engines: list[str],
    base: dict[str, Step],
    jobs: int,
    region: str = "",
    figures: Path | None = None,
) -> dict[str, Step]:
    """The steps on one profile: synth to a pool (unless `folder` holds one), then each engine. Returns the steps."""
    pool, key = folder / "pool", folder / "pool.key"
    steps: dict[str, Step] = {}
    if not (pool / "pool.json").exists():
        folder.mkdir(parents=True, exist_ok=True)
        key.write_text(secrets.token_hex(32))
        before = _load()
        steps["synth"] = r = _child(SYNTH, str(pool), str(key), profile, years, str(jobs), region)
        which = f"{profile} ({region})" if region else profile
        print(
            f"{label}: synth {which} {years} years to the pool, {jobs} jobs: {r.wall:.1f} s (CPU {r.cpu:.1f} s), peak "
            f"{r.out['peak_gb']:.2f} GB in one process, {r.tree_gb:.2f} GB in all, {_size_gb(pool):.2f} GB of Parquet"
            f"{r.ratio(base.get('synth'))}; {before} before, {_load()} after",
            flush=True,
        )
    for engine in engines:
        before = _load()
        written = figures / f"{label}-{engine}.parquet" if figures else ""
        steps[engine] = r = _child(COMPUTE, str(pool), engine, months, str(written))
        jvm = f", JVM peak {r.out['jvm_peak_gb']:.2f} GB and CPU {r.out['jvm_cpu_s']:.1f} s" if r.out["jvm_peak_gb"] else ""
        print(
            f"{label}: {engine}: {months} month ends, la only: {r.wall:.1f} s (CPU {r.cpu:.1f} s), {r.out['figures']:,} figures of "
            f"{r.out['indicators']} indicators, peak {r.out['peak_gb']:.2f} GB ({r.tree_gb:.2f} GB in all){jvm}"
            f"{r.ratio(base.get(engine))}; {before} before, {_load()} after",
            flush=True,
        )
    if figures:
        _compare(label, figures)
    return steps


def _compare(label: str, figures: Path) -> None:
    """DuckDB's and Spark's figures on the pool, figure for figure (when both engines' are in `figures`)."""
    from cscperf.pool.compute import figure_differences

    duck, spark = (figures / f"{label}-{engine}.parquet" for engine in ("duckdb", "spark"))
    if duck.exists() and spark.exists():
        expected, actual = pd.read_parquet(duck), pd.read_parquet(spark)
        differ = figure_differences(expected, actual)
        print(f"{label}: DuckDB {len(expected):,} figures, Spark {len(actual):,}: {len(differ):,} differ or are in one only", flush=True)
        if len(differ):
            print(differ.head(20).to_string(), flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--profile", default="england")
    parser.add_argument("--years", default="5")
    parser.add_argument("--months", default="24")
    parser.add_argument("--engines", default="duckdb,spark", help="Comma-separated; empty for the synth step only.")
    parser.add_argument("--baseline", default="peterborough:1", help="PROFILE:YEARS run first, for ratios; 'none' to skip.")
    parser.add_argument("--keep", type=Path, default=None, help="Keep the pool in this folder (and reuse it if there).")
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1, help="synth's worker processes [default: every CPU].")
    parser.add_argument("--region", default="", help="Only the measured profile's authorities in this region (e.g. 'North East').")
    parser.add_argument("--figures", type=Path, default=None, help="Write each engine's figures here and compare them.")
    args = parser.parse_args()
    engines = [e for e in args.engines.split(",") if e]
    if args.figures:
        args.figures.mkdir(parents=True, exist_ok=True)
    print(f"{dt.datetime.now():%Y-%m-%d %H:%M}, {os.cpu_count()} CPUs, load average at start {os.getloadavg()[0]:.1f}", flush=True)
    with tempfile.TemporaryDirectory() as tmp:
        base: dict[str, Step] = {}
        if args.baseline != "none":
            profile, years = args.baseline.split(":")
            base = run("baseline", Path(tmp) / "baseline", profile, years, args.months, engines, {}, args.jobs, figures=args.figures)
        measured = args.keep or Path(tmp) / "measured"
        run("measured", measured, args.profile, args.years, args.months, engines, base, args.jobs, args.region, args.figures)
    print(f"finished {dt.datetime.now():%Y-%m-%d %H:%M}, {_load()}")


if __name__ == "__main__":
    main()
