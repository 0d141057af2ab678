"""Benchmark: prepare and validate the peterborough SSDA903 return (target under 10 s).

Run: .venv/bin/python -m benchmarks.bench_returns_903 [--years 2024,2025,2026] [--rebuild]
On the cached peterborough warehouse (benchmarks/.cache/, as bench_indicators builds it), times for each collection
year: prepare (select the year's records and write the CSV set and XML, `cscperf.returns.ssda903.write`, and last
year's return with the episodes before it for the rules that compare with them, `workflow.last_years_903`) and validate
(DfE's rules in the validator's own environment, `cscperf.returns.dfe_rules.run_rules`), and prints the errors,
queries and children with a query the rules found, by rule.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

from benchmarks.bench_indicators import warehouse
from cscperf.returns import ssda903
from cscperf.returns.dfe_rules import run_rules
from cscperf.returns.workflow import last_years_903
from cscperf.warehouse import connect

TARGET_SECONDS = 10.0


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--years", default="2024,2025,2026", help="collection years (2025 = 2024-25)")
    parser.add_argument("--rebuild", action="store_true", help="rebuild the cached warehouse")
    args = parser.parse_args(argv)
    path = warehouse("peterborough", args.rebuild)
    print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    con = connect(path, read_only=True)
    la_name = con.execute("SELECT auth_la_name FROM ext_authority ORDER BY auth_la_code LIMIT 1").fetchone()[0]
    try:
        for year in (int(y) for y in args.years.split(",")):
            with tempfile.TemporaryDirectory() as tmp:
                t0 = time.perf_counter()
                written = ssda903.write(con, year, Path(tmp) / "903")
                previous, basis = last_years_903(con, year, Path(tmp) / "last-year")
                t1 = time.perf_counter()
                report = run_rules("903", ssda903.csv_files(written), year, la_name, previous, basis)
                t2 = time.perf_counter()
            total = t2 - t0
            with_query = report.queries["child_id"].replace("", None).dropna().nunique()
            print(
                f"{year - 1}-{year % 100:02d}: {len(written.children):,} children; prepare {t1 - t0:.1f} s, validate {t2 - t1:.1f} s, "
                f"total {total:.1f} s ({'met' if total < TARGET_SECONDS else 'NOT met'}: under {TARGET_SECONDS:.0f} s); "
                f"{len(report.errors)} errors, {len(report.queries)} queries, {with_query} children with a query, "
                f"{len(report.crashed)} rules crashed, {len(report.skipped)} skipped"
            )
            by_rule = report.issues.groupby(["rule", "rule_type"]).size().sort_values(ascending=False)
            print("    " + ", ".join(f"{rule} ({kind}) {n}" for (rule, kind), n in by_rule.items()))
    finally:
        con.close()


if __name__ == "__main__":
    main()
