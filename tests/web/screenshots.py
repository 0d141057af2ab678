"""Regenerate the dashboard screenshots in docs/ from a warehouse with computed figures.

    .venv/bin/python -m tests.web.screenshots --warehouse demo.duckdb [--out docs]

Signs in as a performance user made for the purpose (removed afterwards), serves the dashboard
in-process on a free loopback port and captures, with Debian's Chromium: the home page, the
indicator page of a red practice indicator, and its exception list (dashboard-home.png,
dashboard-indicator.png, dashboard-exceptions.png). With `--permanency`, the permanency service instead: area P's
figures, the exception list of carers not visited in 6 weeks, and the longest-approved household on it
(dashboard-permanency.png, dashboard-permanency-exceptions.png, dashboard-household.png).
"""

from __future__ import annotations

import argparse
import re
import secrets
from pathlib import Path

from cscperf.web.app import WebSettings, create_app
from cscperf.web.store import WebStore, users_db_path
from tests.web.server import CHROMIUM, CHROMIUM_ARGS, running

USER = "screenshot-perf"


PREFERRED = ("cla_visits_in_timescale_pct", "cp_visits_in_timescale_pct", "assessments_45wd_pct", "cla_reviews_in_timescale_pct")


def candidates(html: str) -> list[str]:
    """Practice indicators shown red on the home page, the visit and assessment ones first."""
    from cscperf.indicators.registry import REGISTRY

    red = [i for rag, i in re.findall(r'class="tile rag-(\w+)" href="/indicators/(\w+)"', html) if rag == "red" and REGISTRY[i].practice]
    return sorted(red, key=lambda i: PREFERRED.index(i) if i in PREFERRED else len(PREFERRED))


def main() -> None:
    parser = argparse.ArgumentParser(description="Dashboard screenshots for docs/")
    parser.add_argument("--warehouse", type=Path, required=True)
    parser.add_argument("--out", type=Path, default=Path("docs"))
    parser.add_argument("--permanency", action="store_true", help="area P, a household list and a household")
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    store = WebStore(users_db_path(args.warehouse))
    if store.get_user(USER):
        store.remove_user(USER)
    password = secrets.token_urlsafe(16)
    store.add_user(USER, "performance", password)
    app = create_app(WebSettings(warehouse=args.warehouse, secure_cookies=False, auto_recompute=False, warm_caches=not args.permanency))
    try:
        with running(app) as base, sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            page = browser.new_page(viewport={"width": 1400, "height": 1000}, device_scale_factor=1)
            page.goto(base + "/login")
            page.fill("input[name=username]", USER)
            page.fill("input[name=password]", password)
            page.click("button[type=submit]")
            page.wait_for_url(base + "/")
            page.wait_for_selector("#as-at .as-at-text")
            if args.permanency:
                permanency(page, base, args.out)
                browser.close()
                return
            page.screenshot(path=str(args.out / "dashboard-home.png"), full_page=False)
            for ind in candidates(page.content()):  # the first whose list has a few children on it
                page.goto(f"{base}/indicators/{ind}/exceptions")
                if page.locator("#exceptions tbody a[href^='/children/']").count() >= 3:
                    break
            page.screenshot(path=str(args.out / "dashboard-exceptions.png"), full_page=False)
            page.goto(f"{base}/indicators/{ind}")
            page.wait_for_selector('[data-vega-spec="trend"][data-ready="1"] svg')
            page.wait_for_timeout(300)
            page.screenshot(path=str(args.out / "dashboard-indicator.png"), full_page=True)
            browser.close()
            print(f"screenshots of home, {ind} and its exception list written to {args.out}/")
    finally:
        app.state.cscperf.close()
        store.remove_user(USER)


def permanency(page, base: str, out: Path) -> None:  # noqa: ANN001 - a Playwright page
    page.goto(f"{base}/?area=P")
    page.wait_for_selector("#as-at .as-at-text")
    page.screenshot(path=str(out / "dashboard-permanency.png"), full_page=False)
    page.goto(f"{base}/indicators/perm_carers_not_visited_6_weeks/exceptions")
    page.screenshot(path=str(out / "dashboard-permanency-exceptions.png"), full_page=False)
    page.goto(f"{base}/indicators/perm_carers_not_visited_6_weeks/exceptions?sort=start_date&dir=asc")  # longest-approved first
    first = page.locator("#exceptions tbody a[href^='/households/']").first
    if first.count() == 0:
        raise SystemExit("no household on the list of carers not visited in 6 weeks: no household page to show")
    first.click()
    page.wait_for_url(f"{base}/households/**")
    page.screenshot(path=str(out / "dashboard-household.png"), full_page=False)
    print(f"screenshots of area P, its household list and {page.url.rsplit('/', 1)[-1]} written to {out}/")


if __name__ == "__main__":
    main()
