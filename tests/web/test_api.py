"""The push API and live figures: a pushed DfE API child record reaches the dashboard without a restart."""

from __future__ import annotations

import json
import time

import pytest
from fastapi.testclient import TestClient

from cscperf.web.app import WebSettings, create_app
from cscperf.web.live import prioritised
from cscperf.web.store import WebStore, users_db_path
from tests.web import fixture
from tests.web.conftest import FAST_HASHER, PASSWORD, add_users, login
from tests.web.test_routes import tile_value

URL = "/api/v1/children"


def record(child_id: str, **episode) -> dict:
    """A DfE CSC API child record: one episode referred on 1 March 2024, allocated to worker W1 (team A)."""
    return {
        "la_code": fixture.LA,
        "Children": {
            "la_child_id": child_id,
            "child_details": {"sex": "F", "date_of_birth": "2016-06-01"},
            "social_care_episodes": [
                {
                    "social_care_episode_id": f"R-{child_id}",
                    "referral_date": "2024-03-01",
                    "care_worker_details": [{"worker_id": "W1", "start_date": "2024-03-01"}],
                    **episode,
                }
            ],
        },
    }


@pytest.fixture(scope="module")
def live(tmp_path_factory):
    """A warehouse whose figures for 31 March 2024 come from the engine (not hand-written), and a token."""
    from cscperf.indicators.engine import compute, store_results
    from cscperf.indicators.registry import REGISTRY
    from cscperf.warehouse import connect

    path = fixture.build(tmp_path_factory.mktemp("api") / "w.duckdb", results=False)
    ids = [i for i in ("cp_plans_open", "cla_open") if i in REGISTRY]
    con = connect(path)
    store_results(con, compute(con, [fixture.PERIOD_END], ids=ids))
    con.close()
    store = add_users(path)
    token = store.create_token("perf1")
    app = create_app(WebSettings(warehouse=path, secure_cookies=False, warm_caches=False))
    with TestClient(app) as client:
        assert login(client, "perf1").status_code == 303
        yield client, token
    app.state.cscperf.close()


def wait_for_tile(client, ind_id: str, expected: str, seconds: float = 60.0) -> str:
    """The tile once it shows `expected` (the background recompute has run), or its value after `seconds`: a bound
    for a busy machine, not a timing requirement."""
    deadline = time.monotonic() + seconds
    value = tile_value(client.get("/").text, ind_id)
    while value != expected and time.monotonic() < deadline:
        time.sleep(0.2)
        value = tile_value(client.get("/").text, ind_id)
    return value


def test_push_needs_a_valid_token(live):
    client, _ = live
    assert client.post(URL, json=record("N1")).status_code == 401
    assert client.post(URL, json=record("N1"), headers={"Authorization": "Bearer not-a-token"}).status_code == 401


def test_push_rejects_a_body_that_is_not_records(live):
    client, token = live
    auth = {"Authorization": f"Bearer {token}"}
    r = client.post(URL, content=b"{not json", headers=auth)
    assert r.status_code == 400 and "not JSON" in r.json()["error"]
    r = client.post(URL, json=[1, 2], headers=auth)
    assert r.status_code == 400 and "expected a child record" in r.json()["error"]


def test_tokens_are_only_for_performance_or_admin(live, tmp_path):
    store = WebStore(users_db_path(tmp_path / "x.duckdb"), hasher=FAST_HASHER)
    store.add_user("m", "member", PASSWORD)
    with pytest.raises(Exception, match="API tokens are for performance or admin"):
        store.create_token("m")


def test_pushed_child_on_a_plan_raises_cp_plans_open(live):
    client, token = live
    assert tile_value(client.get("/").text, "cp_plans_open") == "2"  # C1 and C3
    plan = {"child_protection_plans": [{"child_protection_plan_id": "P-N2", "start_date": "2024-03-05"}]}
    r = client.post(URL, json=record("N2", **plan), headers={"Authorization": f"Bearer {token}"})
    assert r.status_code == 202, r.text
    body = r.json()
    assert body["records"] == 1 and body["rejected"] == [] and body["load_id"].startswith("api-json-") and body["status"] == "done"
    assert wait_for_tile(client, "cp_plans_open", "3") == "3"
    pushes = [row for row in client.app.state.cscperf.store.audit_rows(user="perf1") if row["action"] == "push"]
    assert pushes[0]["children"] == ["N2"]


def test_pushed_child_looked_after_raises_cla_open(live):
    from cscperf.indicators.registry import REGISTRY

    if "cla_open" not in REGISTRY:
        pytest.skip("cla_open is not in the indicator registry yet")
    client, token = live
    assert tile_value(client.get("/").text, "cla_open") == "0"
    placement = {
        "child_looked_after_placements": [
            {"child_looked_after_placement_id": "PL-N3", "start_date": "2024-03-10", "start_reason": "S", "placement_type": "U1"}
        ]
    }
    r = client.post(URL, json=record("N3", **placement), headers={"Authorization": f"Bearer {token}"})
    assert r.status_code == 202, r.text
    assert wait_for_tile(client, "cla_open", "1") == "1"


def test_recompute_order_puts_stock_figures_of_the_most_touched_area_first():
    # A child protection push touches the episode (areas A, B, D, H a little) and the plan (C directly).
    order = prioritised({"ssd_cin_episodes", "ssd_cp_plans", "ssd_involvements"})
    assert order[0] == "cp_plans_open"  # the first stock figure of area C in catalogue order
    assert order.index("cp_plans_open_2y_plus") < order.index("cp_plans_started") < order.index("cin_open") < order.index("referrals")


# --- malformed bodies (issue #12 item 9): refused naming the problem, nothing stored ---------------------
def stored_people(client, *ids: str) -> list[tuple]:
    with client.app.state.cscperf.access.cursor() as cur:
        marks = ", ".join("?" * len(ids))
        return cur.execute(f"SELECT pers_person_id, pers_sex FROM ssd_person WHERE pers_person_id IN ({marks})", list(ids)).fetchall()


def push_raw(live, body: bytes):
    client, token = live
    return client.post(URL, content=body, headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"})


def test_a_body_that_is_not_utf8_is_refused_naming_the_byte(live):
    r = push_raw(live, b'{"la_code": "\xff"}')
    assert r.status_code == 400 and r.json()["error"] == "body: not UTF-8 (byte 13 cannot be decoded)"  # {"la_code": " is 13 bytes


def test_nesting_too_deep_for_the_parser_is_refused(live):
    r = push_raw(live, b"[" * 100_000 + b"]" * 100_000)
    assert r.status_code == 400 and r.json()["error"] == "body: JSON nested too deeply"


def test_nesting_deeper_than_a_record_can_be_is_refused(live):
    deep: dict = {}
    for _ in range(40):
        deep = {"x": deep}
    r = live[0].post(URL, json=record("D1") | {"extra": deep}, headers={"Authorization": f"Bearer {live[1]}"})
    assert r.status_code == 422 and r.json()["problems"][0].endswith("nested more than 32 deep")
    assert stored_people(live[0], "D1") == []


def test_nan_and_infinity_are_not_json(live):
    r = push_raw(live, b'{"Children": {"la_child_id": "N9", "child_details": {"sex": NaN}}}')
    assert r.status_code == 400 and r.json()["error"] == "body: NaN is not JSON"


def test_children_must_be_a_list(live):
    r = push_raw(live, b'{"children": {"la_child_id": "N9"}}')
    assert r.status_code == 400 and r.json()["error"] == 'body: "children" must be a list of child records'


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        (
            lambda c: c["child_details"].update(sex=["A", "B"]),
            "record 1/Children/child_details/sex: expected a single value (text, a number or true/false), got a list",
        ),
        (lambda c: c.update(child_details="F"), "record 1/Children/child_details: expected an object, got text"),
        (lambda c: c.update(child_details=["F"]), "record 1/Children/child_details: expected an object, got a list"),
        (
            lambda c: c.update(la_child_id={"id": "X"}),
            "record 1/Children/la_child_id: expected an id (text or a whole number), got an object",
        ),
        (lambda c: c.update(la_child_id=True), "record 1/Children/la_child_id: expected an id (text or a whole number), got true/false"),
        (lambda c: c.update(purge="true"), "record 1/Children/purge: expected true or false, got text"),
        (
            lambda c: c.update(social_care_episodes={"social_care_episode_id": "R"}),
            "record 1/Children/social_care_episodes: expected a list, got an object",
        ),
        (
            lambda c: c["social_care_episodes"][0]["care_worker_details"][0].update(start_date=["2024-03-01"]),
            "record 1/Children/social_care_episodes[0]/care_worker_details[0]/start_date: "
            "expected a single value (text, a number or true/false), got a list",
        ),
        (
            lambda c: c["child_details"].update(ethnicity="WBRI\ud800"),
            "record 1/Children/child_details/ethnicity: text is not valid Unicode (a lone surrogate such as \\ud800)",
        ),
    ],
)
def test_a_record_of_the_wrong_shape_is_refused_naming_the_place(live, change, problem):
    client, token = live
    bad = record("BAD1")
    change(bad["Children"])
    body = json.dumps(bad).encode()  # ensure_ascii writes a lone surrogate as the escape \ud800, as a sender would
    r = client.post(URL, content=body, headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"})
    assert r.status_code == 422, r.text
    assert r.json()["problems"] == [problem]
    assert stored_people(client, "BAD1") == []


def test_one_bad_record_refuses_the_whole_push_and_names_the_record(live):
    client, token = live
    bad = record("BAD3")
    bad["Children"]["child_details"]["sex"] = ["A", "B"]
    r = client.post(URL, json=[record("GOOD2"), bad], headers={"Authorization": f"Bearer {token}"})
    assert r.status_code == 422 and r.json()["problems"][0].startswith("record 2/Children/child_details/sex:")
    assert r.json()["error"] == "1 problem(s) in the records; nothing was stored"
    assert stored_people(client, "GOOD2", "BAD3") == []
