"""Time `cscperf returns prepare` for the default synthetic authority (issue #11 targets: CIN under 15 s, SSDA903 under 10 s).

    .venv/bin/python -m benchmarks.bench_returns_prepare [--warehouse PATH] [--year 2025] [--returns cin,ssda903]

Builds the `peterborough` authority if the warehouse does not exist, then prepares each return for the
year as the CLI does, timing each step: writing the files and the comparison with last year's return
(`write_draft`), DfE's rules in their own environment (`check_draft`), and storing the version
(`store_draft`). Each run adds a version beside the warehouse (`<name>.returns/`).
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

from cscperf.returns import workflow
from cscperf.warehouse import connect


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--warehouse", type=Path, default=Path(tempfile.gettempdir()) / "cscperf-bench-returns.duckdb")
    ap.add_argument("--year", type=int, default=2025)
    ap.add_argument("--returns", default="cin,ssda903")
    args = ap.parse_args()
    if not args.warehouse.exists():
        from cscperf.synth.generator import build_warehouse

        t = time.perf_counter()
        build_warehouse(args.warehouse, profile="peterborough", years=5, seed=1, progress=False)
        print(f"synthetic authority built in {time.perf_counter() - t:.1f} s")
    print(f"load average at the start: {os.getloadavg()[0]:.1f}")
    for kind in args.returns.split(","):
        t0 = time.perf_counter()
        con = connect(args.warehouse)
        draft = workflow.write_draft(con, args.warehouse, kind, args.year)
        con.close()
        t1 = time.perf_counter()
        checked = workflow.check_draft(draft)
        t2 = time.perf_counter()
        con = connect(args.warehouse)
        found = workflow.store_draft(con, draft, checked, "benchmark")
        con.close()
        t3 = time.perf_counter()
        print(
            f"{found.return_id:18} total {t3 - t0:6.1f} s  (write and compare {t1 - t0:.1f} s, DfE's rules {t2 - t1:.1f} s, "
            f"store {t3 - t2:.1f} s): {len(found.errors):,} errors, {len(found.queries):,} queries, "
            f"check {'complete' if found.checks_complete else 'incomplete'}"
        )
    print(f"load average at the end: {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
