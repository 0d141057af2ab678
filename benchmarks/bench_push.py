"""Benchmark: pushing DfE API child records to `POST /api/v1/children` (target: 1,000 records under 10 s).

Run: .venv/bin/python -m benchmarks.bench_push [--records 1000] [--baseline 50]
On the hand-built dashboard warehouse (tests/web/fixture.py), served on a loopback port as `cscperf serve`
runs it: one push of N new children, the same push again (every row replaced), then, as the baseline in
the same run, records loaded one at a time (`load_api_record` per record in one transaction, as pushes
were loaded before) for a smaller count. Prints seconds, records per second, the ratio and the load average.
Each child carries a referral, worker, assessment, protection plan, disability and placement with legal status.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import tempfile
import time
from pathlib import Path

import httpx

from cscperf.ingest.api_json import load_api_record
from cscperf.ingest.core import start_load, transaction
from cscperf.warehouse import connect
from cscperf.web.app import WebSettings, create_app
from tests.web import fixture
from tests.web.conftest import add_users
from tests.web.server import running
from tests.web.test_concurrent_pushes import record


def timed_push(base: str, token: str, records: list[dict]) -> float:
    start = time.perf_counter()
    r = httpx.post(f"{base}/api/v1/children", json=records, headers={"Authorization": f"Bearer {token}"}, timeout=600)
    elapsed = time.perf_counter() - start
    if r.status_code != 202:
        raise SystemExit(f"push answered {r.status_code}: {r.text[:300]}")
    return elapsed


def pushes(folder: Path, n: int) -> tuple[float, float]:
    path = fixture.build(folder / "push.duckdb")
    token = add_users(path).create_token("perf1")
    app = create_app(WebSettings(warehouse=path, secure_cookies=False, warm_caches=False, auto_recompute=False))
    records = [record(f"B{i:05d}") for i in range(n)]
    try:
        with running(app) as base:
            return timed_push(base, token, records), timed_push(base, token, records)
    finally:
        app.state.cscperf.close()


def one_at_a_time(folder: Path, n: int) -> float:
    con = connect(fixture.build(folder / "baseline.duckdb"))
    start = time.perf_counter()
    with transaction(con):
        load_id = start_load(con, "api-json")
        for i in range(n):
            load_api_record(con, record(f"B{i:05d}"), load_id, source=f"push[{i}]")
    elapsed = time.perf_counter() - start
    con.close()
    return elapsed


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--records", type=int, default=1000)
    ap.add_argument("--baseline", type=int, default=50, help="records for the one-at-a-time baseline (it is slow)")
    args = ap.parse_args(argv)
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    print(f"{dt.datetime.now():%Y-%m-%d %H:%M}, {os.cpu_count()} cores, load average {load}")
    with tempfile.TemporaryDirectory() as tmp:
        first, again = pushes(Path(tmp), args.records)
        base = one_at_a_time(Path(tmp), args.baseline)
    per_push, per_base = first / args.records, base / args.baseline
    print(f"push of {args.records:,} new children: {first:.2f} s ({args.records / first:,.0f} records/s); target under 10 s")
    print(f"the same push again (all replaced): {again:.2f} s ({args.records / again:,.0f} records/s)")
    print(f"baseline, one record at a time, {args.baseline} records: {base:.2f} s ({args.baseline / base:,.1f} records/s)")
    print(f"ratio per record (baseline / push): {per_base / per_push:,.0f}x")
    print(f"load average at the end {', '.join(f'{x:.1f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
