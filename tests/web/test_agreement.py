"""One judgement everywhere: for every indicator and role, the dashboard tile, the indicator page, the
report's summary row and the API row show the same basis, value, RAG and direction of travel.

The warehouse is the dashboard fixture with every indicator's figures from the report fixture (24 months,
small counts in some months, so members see some suppressed), and a target book that judges two
indicators on a basis other than the registry's default: where the dashboard and the report used to
disagree.
"""

from __future__ import annotations

import pytest
from lxml import html as lhtml

from cscperf.indicators.registry import REGISTRY
from cscperf.judge.suppression import format_value
from cscperf.report import build as report_build
from cscperf.warehouse import connect, results
from cscperf.web.app import WebSettings, create_app
from tests.report.conftest import hand_results
from tests.web import fixture
from tests.web.conftest import add_users

TARGETS = """indicators:
  assessments_45wd_pct: {target: 90, basis: month}        # the registry judges year to date
  cp_visits_in_timescale_pct: {target: 98, basis: rolling12, tolerance: 75}  # the registry judges the month
"""
ROLES = {"member1": "members", "mgr_a": "management", "perf1": "management"}
BASIS_SHORT = {"M": "month", "R12": "rolling12", "YTD": "ytd", "Yr": "year", "Qtr": "quarter"}
DIRECTION = {label: d for d, label in report_build.DIRECTION_LABEL.items()}


@pytest.fixture(scope="module")
def figures_warehouse(tmp_path_factory):
    folder = tmp_path_factory.mktemp("agreement")
    path = fixture.build(folder / "w.duckdb", results=False)
    con = connect(path)
    results.store(con, hand_results(la=fixture.LA, period_end=fixture.PERIOD_END))
    con.close()
    add_users(path)
    targets = folder / "targets.yaml"
    targets.write_text(TARGETS)
    return path, targets


@pytest.fixture(scope="module")
def report_rows(figures_warehouse):
    """Each audience's report summary rows, read back from the rendered HTML: {id: (basis, value, rag, direction)}."""
    path, targets = figures_warehouse
    names = {ind.name: iid for iid, ind in REGISTRY.items()}
    out = {}
    con = connect(path)
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(report_build, "_render_charts", lambda figures, sn_method, found: {})  # charts play no part here
        for audience in ("members", "management"):
            doc = lhtml.fromstring(report_build.render_html(report_build.build(con, fixture.PERIOD_END, audience, targets=targets)))
            rows = doc.xpath("//table[contains(@class,'summary-table')]/tbody/tr[not(contains(@class,'area-row'))]")
            out[audience] = {
                names[r.xpath("string(td[1])").replace("⚑", "").strip()]: (
                    BASIS_SHORT[r.xpath("string(td[2])").strip()],
                    r.xpath("string(td[3])").strip(),
                    r.xpath("td[5]/span/@class")[0].split("rag-")[1],
                    DIRECTION[r.xpath("string(td[6])").strip()],
                )
                for r in rows
            }
    con.close()
    return out


@pytest.fixture(scope="module")
def app(figures_warehouse, report_rows):  # the report has read the file before the server opens it
    path, targets = figures_warehouse
    app = create_app(WebSettings(warehouse=path, secure_cookies=False, auto_recompute=False, warm_caches=False, targets=targets))
    yield app
    app.state.cscperf.close()


def _judged(page: str, ind_id: str, tag: str) -> tuple[str, str, str, str | None]:
    """(basis, value, rag, direction) from a tile (<a>) or an indicator page's headline (<div>)."""
    found = lhtml.fromstring(page).xpath(f"//{tag}[@data-indicator='{ind_id}']")
    assert len(found) == 1, f"no judged figure for {ind_id}"
    el = found[0]
    rag = next(c for c in el.get("class").split() if c.startswith("rag-"))[4:]
    direction = el.xpath(".//*[@data-direction]/@data-direction")
    return el.get("data-basis"), el.xpath("string(.//span[@data-value])"), rag, direction[0] if direction else None


def _api(row: dict) -> tuple[str, str, str, str | None]:
    ind = REGISTRY[row["indicator_id"]]
    value = "c" if row["suppressed"] else format_value(row["value"], ind.unit)
    return row["basis"], value, row["rag"] or "none", row["direction_month"]


@pytest.mark.parametrize("user", list(ROLES))
def test_tile_page_report_and_api_agree_for_every_indicator(client_for, report_rows, user):
    client = client_for(user)
    home = client.get("/").text
    api = {r["indicator_id"]: _api(r) for r in client.get("/api/v1/figures").json()}
    report = report_rows[ROLES[user]]
    assert set(api) == set(report) == set(REGISTRY)
    disagree = {}
    for iid in REGISTRY:
        tile = _judged(home, iid, "a")
        page = _judged(client.get(f"/indicators/{iid}").text, iid, "div")
        if not tile == page == api[iid] == report[iid]:
            disagree[iid] = {"tile": tile, "page": page, "api": api[iid], "report": report[iid]}
    assert not disagree
    # Not vacuous: every RAG colour, both directions, and (for members) suppressed figures are compared.
    shown = list(api.values())
    assert {"green", "amber", "red"} <= {s[2] for s in shown} and {"better", "worse"} <= {s[3] for s in shown}
    assert any(s[1] == "c" for s in shown) == (ROLES[user] == "members")


def test_the_target_books_basis_is_the_one_shown(client_for):
    """The fixture's March 2024 figures, by hand: assessments in 45 working days 88/299 = 29.4 % on the month
    (17.2 % year to date), 60.6 points under 90: red. Visits in timescale 77/299 = 25.8 % over 12 months (57.9 %
    on the month), 72.2 points under 98, within the file's 75-point tolerance: amber."""
    home = client_for("perf1").get("/").text
    assert _judged(home, "assessments_45wd_pct", "a")[:3] == ("month", "29.4%", "red")
    assert _judged(home, "cp_visits_in_timescale_pct", "a")[:3] == ("rolling12", "25.8%", "amber")
