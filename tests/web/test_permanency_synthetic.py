"""Area P's households on the synthetic authority: each has a supervising social worker's team, so a team manager
(and the demo's manager) sees their own team's households and no other team's."""

from __future__ import annotations

import datetime as dt
import re

from fastapi.testclient import TestClient

from cscperf.indicators import compute
from cscperf.indicators.engine import store_results
from cscperf.synth.generator import build_warehouse
from cscperf.warehouse import connect
from cscperf.web.app import WebSettings, create_app
from cscperf.web.cli import create_demo_users
from cscperf.web.store import WebStore, users_db_path
from tests.web.conftest import FAST_HASHER, PASSWORD, login

END = dt.date(2025, 3, 31)
VISITS = "perm_carers_not_visited_6_weeks"


def test_managers_see_their_own_teams_synthetic_households_only(tmp_path):
    path = tmp_path / "w.duckdb"
    build_warehouse(path, profile="tiny", years=2, seed=3, end_date=END, progress=False)
    con = connect(path)
    store_results(con, compute(con, [END], bases=("month",), breakdowns=("la",), ids=[VISITS]))
    households = dict(
        con.execute("SELECT fohh_household_id, fohh_team FROM ext_fostering_household WHERE fohh_deregistration_date IS NULL").fetchall()
    )
    supervising = "SELECT fohh_team FROM ext_fostering_household WHERE fohh_team IS NOT NULL"
    other = con.execute(f"SELECT min(dept_team_id) FROM ssd_department WHERE dept_team_id NOT IN ({supervising})").fetchone()[0]
    con.close()
    assert households and None not in households.values() and other
    made = {name: password for name, _, password in create_demo_users(path, hasher=FAST_HASHER)}
    WebStore(users_db_path(path), hasher=FAST_HASHER).add_user("mgr_other", "manager", PASSWORD, [other])
    app = create_app(WebSettings(warehouse=path, secure_cookies=False, auto_recompute=False, warm_caches=False))
    try:
        demo, stranger = TestClient(app), TestClient(app)
        assert login(demo, "demo-manager", made["demo-manager"]).status_code == 303
        assert login(stranger, "mgr_other").status_code == 303
        hh = sorted(households)[0]
        assert demo.get(f"/households/{hh}").status_code == 200
        assert stranger.get(f"/households/{hh}").status_code == 403
        page = f"/indicators/{VISITS}/exceptions"
        listed = set(re.findall(r'<a href="/households/(\w+)">', demo.get(page).text))
        assert listed and listed <= set(households)
        assert not re.findall(r'<a href="/households/(\w+)">', stranger.get(page).text)
    finally:
        app.state.cscperf.close()
