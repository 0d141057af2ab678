"""End to end in Debian's Chromium through Playwright, against the server running in-process."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from cscperf.web.app import WebSettings, create_app
from cscperf.web.store import WebStore, users_db_path
from tests.web import fixture
from tests.web.conftest import PASSWORD, add_users
from tests.web.server import CHROMIUM, CHROMIUM_ARGS, running

pytestmark = pytest.mark.browser
WAREHOUSE: list[Path] = []


@pytest.fixture(scope="module")
def base_url(tmp_path_factory):
    if not Path(CHROMIUM).exists():
        pytest.skip("Chromium is not installed (scripts/install-system-deps.sh installs it)")
    path = fixture.build(tmp_path_factory.mktemp("browser") / "w.duckdb")
    fixture.prepare_returns(path)
    fixture.store_validated(path)
    add_users(path)
    WAREHOUSE[:] = [path]
    app = create_app(WebSettings(warehouse=path, secure_cookies=False, auto_recompute=False, warm_caches=False))
    with running(app) as url:
        yield url
    app.state.cscperf.close()


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield b
        b.close()


def sign_in(browser, base_url: str, name: str):
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    page.goto(base_url + "/")
    assert "/login" in page.url
    page.fill("input[name=username]", name)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(base_url + "/")
    return page


def test_manager_drills_from_a_red_indicator_to_a_child(browser, base_url):
    page = sign_in(browser, base_url, "mgr_a")
    tile = page.locator('a.tile[data-indicator="cp_visits_in_timescale_pct"]')
    assert "rag-red" in tile.get_attribute("class")
    tile.click()
    page.wait_for_url(re.compile(r".*/indicators/cp_visits_in_timescale_pct$"))
    page.wait_for_selector('[data-vega-spec="trend"][data-ready="1"] svg')  # the vendored Vega-Lite drew the chart
    page.click("text=Children behind this figure")
    page.wait_for_url(re.compile(r".*/exceptions$"))
    rows = page.locator("#exceptions tbody tr")
    assert rows.count() == 1  # C3 is team B's: not on team A's manager's list
    assert "45" in rows.first.inner_text() and "overdue" in rows.first.inner_text()
    page.click("#exceptions a[href='/children/C1']")
    page.wait_for_url(re.compile(r".*/children/C1$"))
    assert "Timeline" in page.content() and "CP plan started" in page.content()
    # the child's validation issues: 8715 from the prepared CIN census, 103 from `cscperf validate`; none of C3's
    issues = page.get_by_role("region", name="Validation issues").locator("tbody tr")
    assert issues.count() == 2
    prepared, validated = (issues.nth(n).locator("td").all_inner_texts() for n in (0, 1))
    assert (prepared[0], prepared[1].split(",")[0], prepared[2]) == ("CIN census 2023-24", "cin-2024-v1", "8715")
    assert (validated[0], validated[1].split(",")[0], validated[2]) == ("SSDA903 2023-24", "cscperf validate", "103")
    page.close()


def test_member_finds_no_way_to_a_child(browser, base_url):
    page = sign_in(browser, base_url, "member1")
    assert page.locator('a.tile[data-indicator="cp_plans_open"] .value').inner_text() == "c"
    # Every link on the pages a member reaches (home, caseloads, and the indicator pages of practice indicators,
    # which for other roles carry the links to children): none leads to child-level data.
    pages = ["/", "/caseloads", "/indicators/cp_visits_in_timescale_pct", "/indicators/assessments_45wd_pct"]
    for path in pages:
        page.goto(base_url + path, wait_until="domcontentloaded")
        hrefs = page.eval_on_selector_all("a[href]", "els => els.map(e => e.getAttribute('href'))")
        assert hrefs, path
        for href in hrefs:
            assert "/children/" not in href and "/exceptions" not in href and "/teams/" not in href, (path, href)
        assert page.locator("text=Children behind this figure").count() == 0
    response = page.goto(base_url + "/children/C1")
    assert response.status == 403
    page.close()


def test_open_home_page_shows_a_pushed_child_without_reloading(browser, base_url):
    """Last in this module: the push makes the server recompute the latest period from the engine."""
    import httpx

    token = WebStore(users_db_path(WAREHOUSE[0])).create_token("perf1")
    page = sign_in(browser, base_url, "perf1")
    value = page.locator('a.tile[data-indicator="cp_plans_open"] .value')
    assert value.inner_text() == "2"
    page.evaluate("window.notReloaded = true")
    plan = {"child_protection_plans": [{"child_protection_plan_id": "P-B9", "start_date": "2024-03-05"}]}
    record = {
        "la_code": fixture.LA,
        "Children": {
            "la_child_id": "B9",
            "child_details": {"sex": "M", "date_of_birth": "2014-02-02"},
            "social_care_episodes": [{"social_care_episode_id": "R-B9", "referral_date": "2024-03-01", **plan}],
        },
    }
    r = httpx.post(base_url + "/api/v1/children", json=record, headers={"Authorization": f"Bearer {token}"})
    assert r.status_code == 202
    page.wait_for_function("document.querySelector('a.tile[data-indicator=\"cp_plans_open\"] .value').textContent === '3'", timeout=15000)
    assert page.evaluate("window.notReloaded") is True  # HTMX swapped the tiles in place
    page.close()
