"""axe-core in a Playwright page: the WCAG A/AA checks the dashboard and the HTML report must pass.

axe-core is installed from the npm registry by `make test` (tests/web/axe/package.json, pinned in its
package-lock.json); nothing is fetched while the tests run.
"""

from __future__ import annotations

from pathlib import Path

AXE_JS = Path(__file__).parent / "axe" / "node_modules" / "axe-core" / "axe.min.js"
# Every WCAG 2.0, 2.1 and 2.2 success criterion at levels A and AA that axe-core can test.
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22a", "wcag22aa"]


def axe_source() -> str:
    if not AXE_JS.exists():
        raise FileNotFoundError(f"{AXE_JS} is missing: run `make test` or `npm ci --prefix tests/web/axe`")
    return AXE_JS.read_text(encoding="utf-8")


def violations(page) -> list[dict]:
    """Run axe-core on the page as it stands; returns its violations of the WCAG A/AA rules."""
    # evaluate() runs in the page through the DevTools protocol, so the dashboard's CSP (no inline scripts) stays on.
    if not page.evaluate("typeof window.axe === 'object'"):
        page.evaluate(axe_source())
    result = page.evaluate("tags => axe.run(document, {runOnly: {type: 'tag', values: tags}, resultTypes: ['violations']})", WCAG_TAGS)
    return result["violations"]


def describe(found: list[dict]) -> str:
    """One line per failing element, enough to find and fix it."""
    lines = []
    for v in found:
        for node in v["nodes"]:
            lines.append(f"{v['id']} ({v['impact']}): {node['target']} {node.get('failureSummary', '').splitlines()[-1:]}")
    return "\n".join(lines)


def settle(page) -> None:
    """Wait until the charts are drawn and the as-at line has loaded: axe must see the finished page."""
    page.wait_for_load_state("networkidle")
    page.wait_for_function("[...document.querySelectorAll('[data-vega-spec]')].every(e => e.dataset.ready === '1')")


def failures_on(page, base_url: str, paths: list[str]) -> list[str]:
    """Each path's axe violations, described, for the paths that have any (the page is closed after)."""
    failures = []
    for path in paths:
        page.goto(base_url + path)
        settle(page)
        found = violations(page)
        if found:
            failures.append(f"{path}:\n{describe(found)}")
    page.close()
    return failures
