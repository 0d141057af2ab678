"""GET /api/v1/figures: the judged table as JSON, for a token or a signed-in user; members get it suppressed.

On the dashboard fixture at 31 March 2024: 2 children on plans (a count of 1-5), 12 referrals (15 in
February), assessments in 45 working days 8/10 = 80 % year to date (9/10 = 90 % in February).
"""

from __future__ import annotations

from fastapi.testclient import TestClient

from cscperf.web.app import WebSettings, create_app
from cscperf.web.store import WebStore, users_db_path
from tests.web.conftest import FAST_HASHER

URL = "/api/v1/figures"


def by_id(response) -> dict[str, dict]:
    assert response.status_code == 200, response.text
    return {r["indicator_id"]: r for r in response.json()}


def test_needs_a_token_or_a_session(client_for):
    r = client_for(None).get(URL)
    assert r.status_code == 401 and "error" in r.json()
    assert client_for(None).get(URL, headers={"Authorization": "Bearer not-a-token"}).status_code == 401


def test_a_token_gets_management_figures(app, warehouse):
    token = WebStore(users_db_path(warehouse), hasher=FAST_HASHER).create_token("perf1")
    with TestClient(app) as client:
        r = client.get(URL, headers={"Authorization": f"Bearer {token}"})
    rows = by_id(r)
    assert r.headers["X-Cscperf-Audience"] == "management"
    plans = rows["cp_plans_open"]
    assert (plans["value"], plans["numerator"], plans["suppressed"], plans["period_end"]) == (2.0, 2.0, False, "2024-03-31")
    a = rows["assessments_45wd_pct"]
    assert (a["basis"], a["value"], a["target"], a["rag"], a["direction_month"], a["direction_year"]) == (
        "ytd",
        80.0,
        90.0,
        "red",
        "worse",
        None,
    )


def test_members_get_suppressed_figures_as_null(client_for):
    r = client_for("member1").get(URL)
    rows = by_id(r)
    assert r.headers["X-Cscperf-Audience"] == "members"
    plans = rows["cp_plans_open"]
    assert (plans["value"], plans["numerator"], plans["denominator"], plans["rag"], plans["suppressed"]) == (None, None, None, None, True)
    assert (rows["referrals"]["value"], rows["referrals"]["direction_month"]) == (12.0, "better")  # 15 to 12: fewer is better


def test_an_earlier_period_end_and_its_boundary(client_for):
    rows = by_id(client_for("mgr_a").get(URL, params={"period_end": "2024-02-29"}))
    a = rows["assessments_45wd_pct"]
    assert (a["period_end"], a["value"], a["rag"], a["direction_month"]) == ("2024-02-29", 90.0, "green", None)  # 90.0 meets 90
    assert rows["referrals"]["value"] == 15.0


def test_bad_or_uncomputed_period_end(client_for):
    client = client_for("perf1")
    assert client.get(URL, params={"period_end": "2024-02-30"}).status_code == 400
    r = client.get(URL, params={"period_end": "2024-04-30"})
    assert r.status_code == 404 and "no figures stored" in r.json()["error"]


def test_a_malformed_targets_file_is_the_same_error_on_every_page_and_the_api(warehouse, tmp_path):
    from tests.web.conftest import login

    bad = tmp_path / "targets.yaml"
    bad.write_text("indicators:\n  assessments_45wd_pct: {target: ninety}\n")
    message = f"{bad}, indicator assessments_45wd_pct, field target: expected a number, got &#39;ninety&#39;"
    app = create_app(WebSettings(warehouse=warehouse, secure_cookies=False, auto_recompute=False, warm_caches=False, targets=bad))
    try:
        with TestClient(app) as client:
            assert login(client, "perf1").status_code == 303
            for path in ("/", "/indicators/assessments_45wd_pct", "/targets", "/caseloads"):
                page = client.get(path)
                assert page.status_code == 500 and "Targets file not valid" in page.text and message in page.text, path
            api = client.get(URL)
            assert api.status_code == 500 and api.json()["error"] == f"targets file: {message.replace('&#39;', chr(39))}"
    finally:
        app.state.cscperf.close()
