"""Statistical process control on the dashboard and GET /api/v1/figures: tiles, the 'only what changed' view, the
indicator page's limits and chart, worked by hand.

On the dashboard fixture (period end 31 March 2024) two monthly percentages are added, out of 100 each month:

- `cin_visits_in_timescale_pct` (higher is better, target 90 %), 13 months from March 2023: 10, 12, 10, 12, 10, 12,
  3, 10, 12, 10, 12, 10, 30. Members never see September's 3 (a numerator from 1 to 5).
  Management, 13 points: mean 153/13 = 11.8; moving ranges five of 2, 9, 7, four of 2 and 20: 54/12 = 4.5; limits
  11.77 ± 11.97 = 0.0 (floored) and 23.7. Members, 12 points (no range across the gap): mean 150/12 = 12.5; ranges
  38/10 = 3.8; limits 12.5 ± 10.108 = 2.4 and 22.6. March's 30 is above both: improvement. 90 is above both bands: Fail.
- `cla_long_term_stability_pct` (target 70 %): 12 months alternating 10 and 12 from April 2023: mean 11, limits 5.68
  and 16.32, no rule broken: common cause (and Fail against 70).
"""

from __future__ import annotations

import json

import pandas as pd
import pytest
from fastapi.testclient import TestClient

from cscperf.indicators import store_results
from cscperf.judge.assess import months_back
from cscperf.warehouse import connect
from tests.web import fixture
from tests.web.conftest import add_users, login

VISITS, STABILITY = "cin_visits_in_timescale_pct", "cla_long_term_stability_pct"
SERIES = {VISITS: [10, 12, 10, 12, 10, 12, 3, 10, 12, 10, 12, 10, 30], STABILITY: [10, 12] * 6}
GAP_NOTE = "Months suppressed (c) are gaps: left out of the chart and of the process mean and limits."


def month_rows(iid: str, numerators: list[int]) -> list[dict]:
    ends = [months_back(fixture.PERIOD_END, n) for n in range(len(numerators) - 1, -1, -1)]
    return [
        dict(
            indicator_id=iid,
            basis="month",
            period_start=e.replace(day=1),
            period_end=e,
            breakdown="la",
            breakdown_value=fixture.LA,
            numerator=float(k),
            denominator=100.0,
            value=float(k),
            unit="percent",
        )
        for e, k in zip(ends, numerators, strict=True)
    ]


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory):
    path = fixture.build(tmp_path_factory.mktemp("web") / "w.duckdb")
    add_users(path)
    con = connect(path)
    store_results(con, pd.DataFrame([r for iid, ks in SERIES.items() for r in month_rows(iid, ks)]))
    con.close()
    return path


@pytest.fixture
def as_user(app):
    clients = []

    def make(name: str) -> TestClient:
        c = TestClient(app)
        clients.append(c)
        assert login(c, name).status_code == 303
        return c

    yield make
    for c in clients:
        c.close()


def tile(html: str, iid: str) -> str:
    start = html.index(f'data-indicator="{iid}"')
    return html[start : html.index("</a>", start)]


def test_tiles_show_both_icons_as_words(as_user):
    html = as_user("perf1").get("/").text
    assert '<span class="spc-variation">Improvement ↑</span> · <span class="spc-assurance">✗ Fail</span>' in tile(html, VISITS)
    assert '<span class="spc-variation">Common cause ∼</span>' in tile(html, STABILITY)
    assert "spc-variation" not in tile(html, "referrals")  # two months: too few to judge


def test_only_what_changed_keeps_special_causes(as_user):
    client = as_user("perf1")
    shown = [line.split('"')[1] for line in client.get("/?changed=1").text.split("data-indicator=")[1:]]
    assert shown == [VISITS]
    fragment = client.get("/fragments/tiles?changed=1").text
    assert f'data-indicator="{VISITS}"' in fragment and f'data-indicator="{STABILITY}"' not in fragment
    assert 'name="changed" value="1" checked' in client.get("/?changed=1").text  # submitted with the Filter button (WCAG 3.2.2)


@pytest.mark.parametrize(
    "user, limits, note",
    [("perf1", "process mean 11.8%, limits 0.0% to 23.7%", False), ("member1", "process mean 12.5%, limits 2.4% to 22.6%", True)],
)
def test_the_indicator_page_shows_the_limits_and_draws_them(as_user, user, limits, note):
    html = as_user(user).get(f"/indicators/{VISITS}").text
    assert f"<b>Improvement ↑</b> · assurance <b>✗ Fail</b> · {limits}." in html
    assert (GAP_NOTE in html) == note
    spec = json.loads(html.split('id="spec-trend">')[1].split("</script>")[0])
    dashed = [layer for layer in spec["layer"] if isinstance(layer.get("mark"), dict) and layer["mark"].get("strokeDash") == [8, 3]]
    assert len(dashed) == 1  # the process limits
    means = {round(row["mean"], 3) for ds in spec.get("datasets", {}).values() for row in ds if "mean" in row and "segment" in row}
    assert means == {round(153 / 13, 3) if not note else 12.5}


def test_the_api_gives_the_spc_columns(as_user):
    staff = {r["indicator_id"]: r for r in as_user("perf1").get("/api/v1/figures").json()}
    members = {r["indicator_id"]: r for r in as_user("member1").get("/api/v1/figures").json()}
    v = staff[VISITS]
    assert (v["spc_mean"], v["spc_variation"], v["spc_assurance"]) == (pytest.approx(153 / 13), "improvement", "fail")
    assert (v["spc_lower"], v["spc_upper"]) == (0.0, pytest.approx(153 / 13 + 2.66 * 4.5))
    m = members[VISITS]
    assert (m["spc_mean"], m["spc_lower"], m["spc_upper"]) == (12.5, pytest.approx(12.5 - 2.66 * 3.8), pytest.approx(12.5 + 2.66 * 3.8))
    assert staff[STABILITY]["spc_variation"] == "common" and staff["referrals"]["spc_variation"] is None
