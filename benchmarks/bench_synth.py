"""Benchmark: build synthetic warehouses and report wall time, peak memory and rows per second.

Run: .venv/bin/python -m benchmarks.bench_synth [--profiles peterborough:5,large:5,england:1] [--keep DIR]
Each profile is built in its own child process so its peak resident memory is measured on its
own. Targets: peterborough 5 years under 60 s; large 5 years under 5 minutes; england 1 year
under 10 minutes and 16 GB.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

TARGETS = {"peterborough": 60, "large": 300, "england": 600}
CHILD = """
import datetime as dt, json, sys
from cscperf.synth.generator import build_warehouse
s = build_warehouse(sys.argv[1], profile=sys.argv[2], years=int(sys.argv[3]), seed=1, end_date=dt.date(2026, 3, 31), progress=False)
print(json.dumps({"rows": sum(s.rows.values()), "children": s.children}))
"""


def run_one(profile: str, years: int, folder: Path) -> dict[str, float]:
    path = folder / f"{profile}.duckdb"
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    t0 = time.perf_counter()
    out = subprocess.run([sys.executable, "-c", CHILD, str(path), profile, str(years)], check=True, capture_output=True, text=True)
    wall = time.perf_counter() - t0
    peak_kb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    result = json.loads(out.stdout.strip().splitlines()[-1])
    return {
        "wall_s": wall,
        # ru_maxrss of children is the largest child so far; each profile runs once, largest last.
        "peak_rss_gb": max(peak_kb, before) / 1024**2,
        "rows": result["rows"],
        "rows_per_s": result["rows"] / wall,
        "file_gb": path.stat().st_size / 1024**3,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--profiles", default="peterborough:5,large:5", help="profile:years,... (england:1 takes minutes)")
    parser.add_argument("--keep", type=Path, default=None, help="Keep the warehouses in this folder.")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = args.keep or Path(tmp)
        folder.mkdir(parents=True, exist_ok=True)
        print(f"{'profile':<14}{'years':>6}{'wall s':>9}{'target s':>10}{'peak RSS GB':>13}{'rows':>13}{'rows/s':>11}{'file GB':>9}")
        for item in args.profiles.split(","):
            profile, _, years = item.partition(":")
            r = run_one(profile, int(years or 1), folder)
            target = TARGETS.get(profile, float("nan"))
            print(
                f"{profile:<14}{years or 1:>6}{r['wall_s']:>9.1f}{target:>10}{r['peak_rss_gb']:>13.2f}"
                f"{r['rows']:>13,.0f}{r['rows_per_s']:>11,.0f}{r['file_gb']:>9.2f}",
                flush=True,
            )
    print(f"measured {dt.datetime.now():%Y-%m-%d %H:%M} with {os.cpu_count()} CPUs")


if __name__ == "__main__":
    main()
