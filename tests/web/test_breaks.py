"""Breaks in series on the dashboard's indicator page: the caveat under the chart and a rule in its spec.

On the hand-built warehouse (tests/web/fixture.py, period end 2024-03-31), `referrals` for March is re-stored with
the current definition version and February's with another, and CIN census XML (loaded 5 Jan 2024) gave way to
SSD tables for the CIN episodes it counts on 2 March 2024: both breaks fall at 31 March 2024.
"""

from __future__ import annotations

import json

import pandas as pd
import pytest

from cscperf.indicators import store_results
from cscperf.indicators.versions import definition_version
from cscperf.warehouse import connect
from cscperf.web.app import WebSettings, create_app
from tests.web import fixture
from tests.web.conftest import add_users, login
from tests.web.test_live import wait

RULE = "Counting rule changed on 2024-03-31: figures before and after are not comparable."
SOURCE = "Source system changed on 2024-03-02 (CIN census XML to SSD tables): figures before and after are not comparable."


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory):
    path = fixture.build(tmp_path_factory.mktemp("web") / "w.duckdb")
    add_users(path)
    con = connect(path)
    rows = [r for r in fixture.result_rows() if r["indicator_id"] == "referrals"]
    versions = {fixture.PERIOD_END: definition_version("referrals")}
    store_results(con, pd.DataFrame(rows).assign(definition_version=[versions.get(r["period_end"], "0123456789ab") for r in rows]))
    episodes = json.dumps({"tables": {"ssd_cin_episodes": {"loaded": 4}}})
    for load_id, fmt, day in (("old", "cin-xml", "2024-01-05"), ("new", "ssd", "2024-03-02")):
        con.execute("INSERT INTO cscperf_loads VALUES (?, ?, '[]', ?, ?, 'done', ?)", [load_id, fmt, day, day, episodes])
    con.close()
    return path


@pytest.fixture
def client(app):
    from fastapi.testclient import TestClient

    with TestClient(app) as c:
        assert login(c, "member1").status_code == 303
        yield c


def test_the_indicator_page_shows_the_caveats_and_the_chart_marks_the_breaks(client):
    html = client.get("/indicators/referrals").text
    assert f'<p class="caveat">Break in series: {SOURCE}</p>' in html
    assert f'<p class="caveat">Break in series: {RULE}</p>' in html
    spec = json.loads(html.split('id="spec-trend">', 1)[1].split("</script>", 1)[0])
    labels = sorted(row["label"] for rows in spec["datasets"].values() for row in rows if "caveat" in row)
    assert labels == ["Rule change", "Source change"]


def test_the_source_change_reaches_every_indicator_reading_the_table_and_no_other(client):
    """Assessments in 45 working days reads CIN episodes too; plans open reads only child protection plans."""
    assert f'<p class="caveat">Break in series: {SOURCE}</p>' in client.get("/indicators/assessments_45wd_pct?basis=month").text
    assert 'class="caveat"' not in client.get("/indicators/cp_plans_open").text


def test_charts_warmed_ahead_of_a_visit_mark_the_breaks_too(warehouse):
    """The server builds trend charts for new data before anyone asks: the page then serves that spec."""
    from fastapi.testclient import TestClient

    app = create_app(WebSettings(warehouse=warehouse, secure_cookies=False, auto_recompute=False))
    try:
        with TestClient(app) as c:
            login(c, "perf1")
            c.get("/")
            st = app.state.cscperf
            overview = next(k for k in st.cache._items if k[1] == "overview" and k[2] == "management")
            key = f"{overview[0]}|{overview[3]}"  # the data's fingerprint and the target book's
            trend = (key, "trend", "referrals", "month", "management")
            assert wait(lambda: trend in st.cache._items, 60)
            spec = json.loads(st.cache._items[trend])
            labels = sorted(row["label"] for rows in spec["datasets"].values() for row in rows if "caveat" in row)
            assert labels == ["Rule change", "Source change"]
    finally:
        app.state.cscperf.close()
