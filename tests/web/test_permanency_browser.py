"""Area P in Debian's Chromium: drill-down from a figure to a household and an adopter, the exception lists, the
role checks, and axe-core's WCAG 2.2 AA checks on every new page for each role."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from cscperf.web.app import WebSettings, create_app
from tests.web import fixture
from tests.web.axe import failures_on, settle
from tests.web.conftest import add_users
from tests.web.server import CHROMIUM, running
from tests.web.test_browser import browser, sign_in  # noqa: F401 - the module's fixtures

pytestmark = pytest.mark.browser
VISITS = "/indicators/perm_carers_not_visited_6_weeks"
ADOPTERS = "/indicators/perm_adopters_no_placement_1_year"
PAGES = {
    "member1": ["/?area=P", f"{VISITS}", "/households/H1"],
    "mgr_a": ["/?area=P", "/permanency", f"{VISITS}/exceptions", "/households/H1", "/households/H2"],
    "perf1": [
        "/?area=P",
        "/permanency",
        VISITS,
        f"{VISITS}/exceptions",
        f"{VISITS}/exceptions?sort=days_overdue&dir=asc",
        "/indicators/perm_carers_no_annual_review/exceptions",
        f"{ADOPTERS}/exceptions",
        "/indicators/perm_fgc_plans_5wd_pct/exceptions",
        "/households/H1",
        "/adopters/A1",
        "/adopters/A2",
        "/adopters/NOBODY",
    ],
}


@pytest.fixture(scope="module")
def base_url(tmp_path_factory):
    if not Path(CHROMIUM).exists():
        pytest.skip("Chromium is not installed (scripts/install-system-deps.sh installs it)")
    path = fixture.build_permanency(tmp_path_factory.mktemp("perm-browser") / "w.duckdb")
    add_users(path)
    app = create_app(WebSettings(warehouse=path, secure_cookies=False, auto_recompute=False, warm_caches=False))
    with running(app) as url:
        yield url
    app.state.cscperf.close()


def test_performance_drills_from_a_figure_to_a_household(browser, base_url):  # noqa: F811
    page = sign_in(browser, base_url, "perf1")
    page.goto(base_url + "/?area=P")
    page.locator('a.tile[data-indicator="perm_carers_not_visited_6_weeks"]').click()
    page.wait_for_url(re.compile(r".*/indicators/perm_carers_not_visited_6_weeks$"))
    page.get_by_role("link", name="Households behind this figure").click()
    page.wait_for_url(re.compile(r".*/exceptions$"))
    assert page.locator("#exceptions tbody a").all_inner_texts() == ["H1", "H2"]  # most overdue first: 39, then 17 days
    page.get_by_role("link", name="H1", exact=True).click()
    page.wait_for_url(re.compile(r".*/households/H1$"))
    assert page.get_by_role("heading", name="Fostering household H1").is_visible()
    visits = page.get_by_role("region", name="Supervisory visits")
    assert "2024-01-10" in visits.inner_text()
    page.close()


def test_the_service_page_leads_to_an_adopter_and_the_trigger(browser, base_url):  # noqa: F811
    page = sign_in(browser, base_url, "perf1")
    page.goto(base_url + "/?area=P")
    page.get_by_role("link", name="The permanency service's exception lists and records").click()
    page.wait_for_url(re.compile(r".*/permanency$"))
    assert "trigger met" in page.locator("main").inner_text()
    assert page.locator("#trigger-months tbody tr").count() == 2
    page.get_by_role("link", name="Approved adopters waiting a year or more with no child placed").click()
    page.get_by_role("link", name="A1", exact=True).click()
    page.wait_for_url(re.compile(r".*/adopters/A1$"))
    journey = page.get_by_role("region", name="Journey").inner_text()
    assert "Approved" in journey and "2022-12-01" in journey
    page.close()


def test_roles_in_the_browser(browser, base_url):  # noqa: F811
    mgr = sign_in(browser, base_url, "mgr_b")
    mgr.goto(base_url + f"{VISITS}/exceptions")
    assert mgr.locator("#exceptions tbody a").all_inner_texts() == ["H2"]
    mgr.goto(base_url + "/households/H1")
    assert mgr.get_by_role("heading", name="Not available to you").is_visible()
    mgr.goto(base_url + "/adopters/A1")
    assert mgr.get_by_role("heading", name="Not available to you").is_visible()
    mgr.close()
    member = sign_in(browser, base_url, "member1")
    member.goto(base_url + VISITS)
    assert member.get_by_role("link", name="Households behind this figure").count() == 0
    member.goto(base_url + "/permanency")
    assert member.get_by_role("heading", name="Not available to you").is_visible()
    member.close()


@pytest.mark.parametrize("name", list(PAGES))
def test_area_p_pages_pass_axe(browser, base_url, name):  # noqa: F811
    failures = failures_on(sign_in(browser, base_url, name), base_url, PAGES[name])
    assert not failures, "\n".join(failures)


@pytest.mark.parametrize("width", [320, 640])
def test_area_p_pages_reflow_without_sideways_scrolling(browser, base_url, width):  # noqa: F811
    """WCAG 1.4.10, as for the other pages: only the tables (in their own scrolling regions) may be wider than the window."""
    page = sign_in(browser, base_url, "perf1")
    page.set_viewport_size({"width": width, "height": 800})
    for path in ["/?area=P", "/permanency", f"{VISITS}/exceptions", "/households/H1", "/adopters/A1"]:
        page.goto(base_url + path)
        settle(page)
        assert page.evaluate("document.documentElement.scrollWidth") <= width, path
    page.close()
