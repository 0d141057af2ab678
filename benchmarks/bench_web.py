"""Load benchmark of the dashboard: 20 concurrent simulated users on a synthetic authority.

    .venv/bin/python -m benchmarks.bench_web [--profile large|peterborough|tiny] [--warehouse PATH]
                                             [--users 20] [--requests 40] [--seconds 120]

Builds the synthetic authority (unless --warehouse names one already built), computes 24 months of
figures, starts the dashboard in-process on a free loopback port, and runs `--users` simulated users
(httpx, asyncio), each logging in and then walking the pages a manager or analyst uses: home, an
indicator page, a team page, an exception list, a child page, caseloads, with a think time between
clicks (`--think`, mean seconds; 0 sends requests back to back). Each user makes at most
`--requests` requests and the run stops after `--seconds` whatever happens. Only 127.0.0.1 is used.
A first pass builds the overview, every exception list and every trend chart once (what the server's
background warming does when new data arrives) and its time is printed separately.
Prints p50/p95/max latency per page and the error count; goal: p95 under 200 ms, no errors.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import random
import re
import statistics
import tempfile
import time
from collections import defaultdict
from pathlib import Path

import httpx

from tests.web.server import running

PASSWORD = "benchmark password 1"
PAGES = ("home", "indicator", "team", "exceptions", "child", "caseloads")


def prepare(warehouse: Path | None, profile: str, years: int) -> tuple[Path, dt.date]:
    """A warehouse with 24 months of computed figures (built and computed here unless given)."""
    from cscperf.indicators.engine import compute, month_ends, store_results
    from cscperf.synth.cli import _default_end_date
    from cscperf.warehouse import connect, results

    end = _default_end_date()
    if warehouse is None:
        from cscperf.synth.generator import build_warehouse

        warehouse = Path(tempfile.mkdtemp(prefix="bench-web-")) / f"{profile}.duckdb"
        t = time.perf_counter()
        build_warehouse(warehouse, profile=profile, years=years, seed=1, end_date=end)
        print(f"built {profile} in {time.perf_counter() - t:.0f} s")
    con = connect(warehouse)
    try:
        latest = results.latest_period(con)
        if latest is None:
            t = time.perf_counter()
            store_results(con, compute(con, month_ends(end, 24)))
            print(f"computed 24 months in {time.perf_counter() - t:.0f} s")
            latest = end
    finally:
        con.close()
    return warehouse, latest


def add_bench_users(warehouse: Path) -> list[str]:
    """One performance user and a manager per team (first teams), with a fixed benchmark password."""
    import duckdb

    from cscperf.web.store import WebStore, users_db_path

    con = duckdb.connect(str(warehouse), read_only=True)
    teams = [r[0] for r in con.execute("SELECT dept_team_id FROM ssd_department ORDER BY 1 LIMIT 4").fetchall()]
    con.close()
    store = WebStore(users_db_path(warehouse))
    names = ["bench-perf"] + [f"bench-mgr-{t}" for t in teams]
    for name in names:
        if store.get_user(name):
            store.remove_user(name)
    store.add_user("bench-perf", "performance", PASSWORD)
    for team in teams:
        store.add_user(f"bench-mgr-{team}", "manager", PASSWORD, [team])
    return names


async def login(client: httpx.AsyncClient, name: str) -> None:
    page = await client.get("/login")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
    r = await client.post("/login", data={"username": name, "password": PASSWORD, "csrf_token": token, "next": "/"})
    if r.status_code != 303:
        raise RuntimeError(f"login failed for {name}: {r.status_code}")


async def simulated_user(
    base: str, name: str, practice: list[str], teams: list[str], requests: int, stop_at: float, think: float, timings, errors, seed: int
) -> None:
    rng = random.Random(f"{name}-{seed}")
    async with httpx.AsyncClient(base_url=base, timeout=30, follow_redirects=False) as client:
        await login(client, name)
        children: list[str] = []
        for _ in range(requests):
            if time.monotonic() > stop_at:
                return
            if think:  # a person reads the page before clicking on: uniform 0.5x-1.5x the mean think time
                await asyncio.sleep(rng.uniform(0.5 * think, 1.5 * think))
            kind = rng.choice(PAGES)
            ind = rng.choice(practice)
            team = name.removeprefix("bench-mgr-") if name.startswith("bench-mgr-") else rng.choice(teams)
            url = {
                "home": "/",
                "indicator": f"/indicators/{ind}",
                "team": f"/indicators/{ind}/teams/{team}",
                "exceptions": f"/indicators/{ind}/exceptions",
                "child": f"/children/{rng.choice(children)}" if children else "/",
                "caseloads": "/caseloads",
            }[kind]
            t = time.perf_counter()
            try:
                r = await client.get(url)
                ok = r.status_code == 200
            except httpx.HTTPError:
                ok, r = False, None
            timings[kind if kind != "child" or children else "home"].append(time.perf_counter() - t)
            if not ok:
                errors.append((url, r.status_code if r is not None else "transport"))
            elif kind == "exceptions":
                children = re.findall(r'href="/children/([^"]+)"', r.text)[:50] or children


async def load(base: str, names: list[str], users: int, requests: int, seconds: float, think: float, practice: list[str], teams: list[str]):
    timings: dict[str, list[float]] = defaultdict(list)
    errors: list = []
    stop_at = time.monotonic() + seconds
    await asyncio.gather(
        *(simulated_user(base, names[i % len(names)], practice, teams, requests, stop_at, think, timings, errors, i) for i in range(users))
    )
    return timings, errors


async def warm_up(base: str, name: str, practice: list[str], ids: list[str]) -> float:
    """What the server's background warming does after new data, done here in the open: returns seconds taken."""
    t = time.perf_counter()
    async with httpx.AsyncClient(base_url=base, timeout=300) as client:
        await login(client, name)
        for url in ["/", "/caseloads"] + [f"/indicators/{i}/exceptions" for i in practice] + [f"/indicators/{i}" for i in ids]:
            await client.get(url)
    return time.perf_counter() - t


def report(timings: dict[str, list[float]], errors: list, elapsed: float) -> None:
    total = sum(len(v) for v in timings.values())
    print(f"\n{total} requests in {elapsed:.1f} s ({total / elapsed:.0f}/s), {len(errors)} errors")
    print(f"{'page':<12}{'n':>6}{'p50 ms':>10}{'p95 ms':>10}{'max ms':>10}")
    worst = 0.0
    for page in PAGES:
        v = sorted(timings.get(page, []))
        if not v:
            continue
        p95 = v[min(len(v) - 1, int(0.95 * len(v)))]
        worst = max(worst, p95)
        print(f"{page:<12}{len(v):>6}{statistics.median(v) * 1000:>10.0f}{p95 * 1000:>10.0f}{v[-1] * 1000:>10.0f}")
    for url, code in errors[:10]:
        print(f"  error {code}: {url}")
    print(f"goal p95 < 200 ms and no errors: {'met' if worst < 0.2 and not errors else 'NOT met'} (worst page p95 {worst * 1000:.0f} ms)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--profile", default="large", choices=["large", "peterborough", "tiny"])
    parser.add_argument("--years", type=int, default=3)
    parser.add_argument("--warehouse", type=Path, default=None, help="An already built warehouse (figures computed if missing).")
    parser.add_argument("--users", type=int, default=20)
    parser.add_argument("--requests", type=int, default=40, help="Requests per simulated user (bounded).")
    parser.add_argument("--seconds", type=float, default=120, help="Stop after this long whatever happens.")
    parser.add_argument("--think", type=float, default=1.0, help="Mean think time between a user's requests, seconds (0: back to back).")
    args = parser.parse_args()

    from cscperf.indicators.registry import REGISTRY
    from cscperf.web.app import WebSettings, create_app

    warehouse, _ = prepare(args.warehouse, args.profile, args.years)
    names = add_bench_users(warehouse)
    teams = [n.removeprefix("bench-mgr-") for n in names[1:]]
    practice = [i for i, ind in REGISTRY.items() if ind.practice]
    app = create_app(WebSettings(warehouse=warehouse, secure_cookies=False, auto_recompute=False))
    try:
        with running(app) as base:
            cold = asyncio.run(warm_up(base, names[0], practice, list(REGISTRY)))
            print(f"cold pass (overview, every exception list and trend chart built once): {cold:.1f} s")
            t = time.perf_counter()
            timings, errors = asyncio.run(load(base, names, args.users, args.requests, args.seconds, args.think, practice, teams))
            print(f"{args.users} users, mean think time {args.think} s")
            report(timings, errors, time.perf_counter() - t)
    finally:
        app.state.cscperf.close()


if __name__ == "__main__":
    main()
