"""Benchmark: prepare and validate the CIN census return of the Peterborough-sized synthetic authority.

    .venv/bin/python -m benchmarks.bench_returns_cin [--profile peterborough] [--years 2024,2025,2026] [--baseline]

For each collection year, times writing the return from the warehouse (`returns.cin_census.write`: select,
build, write, XSD check) and running DfE's rules on it (`returns.dfe_rules.run_rules`: the validator's own
environment in a subprocess, its tables built in one pass by the runner), and prints the issues found
(errors, queries, children with a query). `--baseline` also times the validator's own XML-to-tables
converter on the same file (what the runner replaces). Target: prepare + validate under 15 s.
The warehouse is the one `bench_indicators` caches under benchmarks/.cache/.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import tempfile
import time
from pathlib import Path

import duckdb

from benchmarks.bench_indicators import warehouse
from cscperf.returns import cin_census, dfe_rules

BASELINE = (
    "import sys, time, xml.etree.ElementTree as ET\n"
    "from cin_validator import cin_validator\n"
    "root = ET.parse(sys.argv[1]).getroot(); t = time.perf_counter(); cin_validator.convert_data(root)\n"
    "print(time.perf_counter() - t)\n"
)


def one_year(con: duckdb.DuckDBPyConnection, year: int, folder: Path, baseline: bool) -> None:
    t0 = time.perf_counter()
    written = cin_census.write(con, year, folder)
    t1 = time.perf_counter()
    report = dfe_rules.run_rules("cin", list(written.files), year)
    t2 = time.perf_counter()
    queried = len(set(report.queries["child_id"]) - {""})
    print(
        f"  {year - 1}-{year % 100:02d}: {len(written.children):,} children; prepare {t1 - t0:.1f} s + validate {t2 - t1:.1f} s "
        f"= {t2 - t0:.1f} s; {len(report.errors)} errors, {len(report.queries)} queries, {queried} children with a query "
        f"({100 * queried / len(written.children):.2f} %)"
    )
    if baseline:
        python = str(dfe_rules.validator_python())
        done = subprocess.run([python, "-c", BASELINE, str(written.files[0])], capture_output=True, text=True, check=True)
        print(f"         the validator's own converter on the same file: {float(done.stdout.strip()):.1f} s (replaced by the runner's)")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--profile", default="peterborough")
    parser.add_argument("--years", default="2024,2025,2026", help="collection years (ending 31 March)")
    parser.add_argument("--baseline", action="store_true", help="also time the validator's own converter")
    parser.add_argument("--rebuild", action="store_true", help="rebuild the cached warehouse")
    args = parser.parse_args(argv)
    path = warehouse(args.profile, args.rebuild)
    print(f"CIN census returns of '{args.profile}' (load average {os.getloadavg()[0]:.1f})")
    con = duckdb.connect(str(path), read_only=True)
    try:
        with tempfile.TemporaryDirectory(prefix="bench-cin-") as tmp:
            for year in (int(y) for y in args.years.split(",")):
                one_year(con, year, Path(tmp), args.baseline)
    finally:
        con.close()


if __name__ == "__main__":
    main()
