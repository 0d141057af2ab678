"""WCAG 2.2 AA in Debian's Chromium: axe-core on every dashboard page for each role, reflow at 320 px, and a
keyboard-only walk from sign-in to a child's record."""

from __future__ import annotations

import pytest

from tests.web.axe import failures_on, settle, violations
from tests.web.conftest import PASSWORD
from tests.web.test_browser import base_url, browser, sign_in  # noqa: F401 - the module's fixtures

pytestmark = pytest.mark.browser

IND = "cp_visits_in_timescale_pct"
# The pages each role reaches (the member's indicator pages carry no team or child links).
PAGES = {
    "member1": ["/", "/caseloads", f"/indicators/{IND}", "/indicators/assessments_45wd_pct", "/indicators/cp_plans_open", "/children/C1"],
    "mgr_a": [
        "/",
        "/?area=C",
        "/caseloads",
        f"/indicators/{IND}",
        f"/indicators/{IND}/teams/T1",
        f"/indicators/{IND}/exceptions",
        "/children/C1",
        "/returns",
    ],
    "perf1": [
        "/",
        "/caseloads",
        "/loads",
        "/targets",
        f"/indicators/{IND}",
        f"/indicators/{IND}?basis=rolling12",
        "/indicators/assessments_45wd_pct",
        f"/indicators/{IND}/teams/T2",
        f"/indicators/{IND}/exceptions",
        f"/indicators/{IND}/exceptions?sort=days_overdue&dir=asc",
        "/indicators/unallocated_cases/exceptions",
        "/children/C1",
        "/children/NOBODY",
        "/indicators/no_such_indicator",
        "/returns",
        "/returns/cin-2024-v1",
        "/returns/cin-2024-v1/rules/8770Q",
        "/returns/cin-2024-v1/rules/2887Q",
    ],
    "admin1": ["/admin/users", "/admin/audit"],
}


@pytest.mark.parametrize("name", list(PAGES))
def test_every_page_passes_axe(browser, base_url, name):  # noqa: F811
    failures = failures_on(sign_in(browser, base_url, name), base_url, PAGES[name])
    assert not failures, "\n".join(failures)


def test_sign_in_page_passes_axe_with_and_without_an_error(browser, base_url):  # noqa: F811
    page = browser.new_page()
    page.goto(base_url + "/login")
    assert violations(page) == []
    page.fill("input[name=username]", "member1")
    page.fill("input[name=password]", "wrong password")
    page.click("button[type=submit]")
    page.wait_for_load_state("networkidle")
    assert page.locator(".govuk-error-summary").count() == 1
    assert violations(page) == []
    page.close()


def test_every_rag_and_status_tag_has_enough_contrast(browser, base_url):  # noqa: F811
    """The fixture's children are all overdue and no figure is amber: add a tag of every state to a real page."""
    page = sign_in(browser, base_url, "perf1")
    page.goto(base_url + f"/indicators/{IND}/exceptions")
    settle(page)
    states = ["green", "amber", "red", "overdue", "approaching"]
    before = page.locator("#exceptions .tag").count()  # C1 and C3, both overdue
    assert before == 2
    page.evaluate(
        """states => { const tag = document.querySelector('#exceptions .tag');
        for (const s of states) { const c = tag.cloneNode(); c.className = 'tag tag-' + s; c.textContent = s; tag.after(c); } }""",
        states,
    )
    assert page.locator("#exceptions .tag").count() == before + len(states)
    assert violations(page) == []
    page.close()


@pytest.mark.parametrize("width", [320, 640])  # 640: a 1280-pixel window at 200 % zoom
def test_pages_reflow_without_sideways_scrolling(browser, base_url, width):  # noqa: F811
    """WCAG 1.4.10: at 320 CSS pixels only the data tables (in their own scrolling region) may be wider than the window."""
    page = sign_in(browser, base_url, "perf1")
    page.set_viewport_size({"width": width, "height": 800})
    for path in [
        "/",
        f"/indicators/{IND}",
        f"/indicators/{IND}/teams/T2",
        f"/indicators/{IND}/exceptions",
        "/children/C1",
        "/targets",
        "/returns/cin-2024-v1",
    ]:
        page.goto(base_url + path)
        settle(page)
        assert page.evaluate("document.documentElement.scrollWidth") <= width, path
    page.close()


FOCUS_SHOWN = """() => { const s = getComputedStyle(document.activeElement);
  const outline = s.outlineStyle !== 'none' && s.outlineColor !== 'rgba(0, 0, 0, 0)' && s.outlineWidth !== '0px';
  return outline || s.boxShadow !== 'none'; }"""


def tab_to(page, selector: str, limit: int = 60) -> None:
    """Press Tab until `selector` has the focus (failing if it never does), and check the focus is visible."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        if page.evaluate("s => document.activeElement.matches(s)", selector):
            assert page.evaluate(FOCUS_SHOWN), f"no visible focus on {selector}"
            return
    raise AssertionError(f"{limit} presses of Tab never reached {selector}")


def test_keyboard_only_from_sign_in_to_a_child(browser, base_url):  # noqa: F811
    """Tab and Enter only (and typing the credentials): sign in, skip the navigation, open a red indicator, its
    children, then a child's record."""
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    page.goto(base_url + "/")
    assert page.evaluate("document.activeElement.id") == "username"  # autofocus on the first field
    page.keyboard.type("mgr_a")
    tab_to(page, "#password")
    page.keyboard.type(PASSWORD)
    tab_to(page, "button[type=submit]")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert page.url == base_url + "/"
    settle(page)
    tab_to(page, ".skip-link", limit=1)  # the first stop on every page
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "main-content"
    tab_to(page, f'a.tile[data-indicator="{IND}"]')
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert page.url == base_url + f"/indicators/{IND}"
    settle(page)
    tab_to(page, f'a[href="/indicators/{IND}/exceptions"]')
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert page.url == base_url + f"/indicators/{IND}/exceptions"
    tab_to(page, "#exceptions a[href='/children/C1']")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert page.url == base_url + "/children/C1"
    assert page.locator("h1").inner_text() == "Child C1"
    page.close()
