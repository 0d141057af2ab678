"""Time the monthly report for the default synthetic authority (target: under 30 s).

    .venv/bin/python -m benchmarks.bench_report [--warehouse PATH] [--period-end YYYY-MM-DD]
        [--audiences members,management,permanency]

Builds the `peterborough` authority if the warehouse does not exist, computes the 24 months the
report needs (timed separately: the report itself reads stored results), then times the members',
management and permanency packs and each stage (judge and charts, HTML, PDF, Excel).
"""

from __future__ import annotations

import argparse
import datetime as dt
import tempfile
import time
from pathlib import Path

from cscperf.report.build import build, render_html, write_pdf
from cscperf.report.data import ensure_results
from cscperf.report.excel import write_excel
from cscperf.warehouse import connect


def _default_end() -> dt.date:
    first = dt.date.today().replace(day=1)
    return first - dt.timedelta(days=1)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--warehouse", type=Path, default=Path(tempfile.gettempdir()) / "cscperf-bench-report.duckdb")
    ap.add_argument("--period-end", type=dt.date.fromisoformat, default=_default_end())
    ap.add_argument("--audiences", default="members,management,permanency", help="packs to time, comma-separated")
    args = ap.parse_args()
    if not args.warehouse.exists():
        from cscperf.synth.generator import build_warehouse

        t = time.perf_counter()
        build_warehouse(args.warehouse, profile="peterborough", years=5, seed=1, end_date=args.period_end, progress=False)
        print(f"synthetic authority built in {time.perf_counter() - t:.1f} s")
    con = connect(args.warehouse)
    t = time.perf_counter()
    ensure_results(con, args.period_end)
    print(f"results for 24 months ready in {time.perf_counter() - t:.1f} s (computed only if missing)")
    out = Path(tempfile.mkdtemp(prefix="cscperf-bench-"))
    for audience in args.audiences.split(","):
        t0 = time.perf_counter()
        report = build(con, args.period_end, audience)
        t1 = time.perf_counter()
        html = render_html(report)
        t2 = time.perf_counter()
        write_pdf(html, out / f"{audience}.pdf")
        t3 = time.perf_counter()
        write_excel(report, out / f"{audience}.xlsx")
        t4 = time.perf_counter()
        print(
            f"{audience:10} total {t4 - t0:5.1f} s  (judge + {len(report.charts)} charts {t1 - t0:.1f} s, "
            f"HTML {t2 - t1:.2f} s, PDF {t3 - t2:.1f} s, Excel {t4 - t3:.2f} s)"
        )
    print(f"outputs in {out}")


if __name__ == "__main__":
    main()
