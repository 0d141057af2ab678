"""POST /api/v1/permanency: the permanency tables pushed as rows load exactly as their CSV files do (validation,
quarantine, upsert by primary key, one transaction, an identical repeat a no-op)."""

from __future__ import annotations

import json

import pandas as pd
import pytest
from fastapi.testclient import TestClient

from cscperf.ingest import core, ssd
from cscperf.warehouse import connect
from cscperf.web.app import WebSettings, create_app
from tests.web import fixture
from tests.web.conftest import add_users

URL = "/api/v1/permanency"
HOUSEHOLD = {"fohh_household_id": "H9", "fohh_la_code": fixture.LA, "fohh_household_type": "INHOUSE", "fohh_approval_date": "2023-04-03"}
VISITS = [
    {"fovi_visit_id": "V91", "fovi_household_id": "H9", "fovi_visit_date": "2024-01-05", "fovi_unannounced": "N"},
    {"fovi_visit_id": "V92", "fovi_household_id": "H9", "fovi_visit_date": "2024-02-16", "fovi_unannounced": None},
]


@pytest.fixture
def api(tmp_path):
    path = fixture.build(tmp_path / "w.duckdb", results=False)
    token = add_users(path).create_token("perf1")
    app = create_app(WebSettings(warehouse=path, secure_cookies=False, warm_caches=False, auto_recompute=False))
    with TestClient(app) as client:
        client.headers["Authorization"] = f"Bearer {token}"
        yield client, app
    app.state.cscperf.close()


def query(app, sql: str) -> list[tuple]:
    with app.state.cscperf.access.cursor() as cur:
        return cur.execute(sql).fetchall()


def test_a_push_loads_rows_and_an_identical_repeat_is_a_no_op(api):
    client, app = api
    body = {"ext_fostering_household": [HOUSEHOLD], "ext_fostering_visit": VISITS}
    first = client.post(URL, json=body)
    assert first.status_code == 202, first.text
    assert first.json()["rows"] == 3 and first.json()["rejected"] == []
    load_id = first.json()["load_id"]
    visits = query(app, "SELECT fovi_visit_id, fovi_visit_date, fovi_unannounced, _load_id, _source FROM ext_fostering_visit ORDER BY 1")
    assert [(v[0], str(v[1]), v[2], v[3]) for v in visits] == [("V91", "2024-01-05", "N", load_id), ("V92", "2024-02-16", None, load_id)]
    assert visits[1][4] == "push#ext_fostering_visit:record 2"
    again = client.post(URL, content=json.dumps(body, indent=2))  # the same rows, laid out differently
    assert again.status_code == 200 and again.json() == {"load_id": load_id, "status": "noop", "rows": 3}
    assert query(app, "SELECT count(*) FROM cscperf_loads WHERE status = 'done' AND format = 'ssd'")[0][0] == 2  # fixture's + this


def test_a_changed_row_replaces_the_one_with_its_key(api):
    client, app = api
    client.post(URL, json={"ext_fostering_household": [HOUSEHOLD], "ext_fostering_visit": VISITS})
    moved = client.post(URL, json={"ext_fostering_visit": [{**VISITS[0], "fovi_visit_date": "2024-01-08"}]})
    assert moved.status_code == 202
    assert query(app, "SELECT fovi_visit_id, CAST(fovi_visit_date AS VARCHAR) FROM ext_fostering_visit ORDER BY 1") == [
        ("V91", "2024-01-08"),
        ("V92", "2024-02-16"),
    ]


def test_a_bad_row_is_quarantined_with_its_table_row_and_field_and_the_rest_load(api):
    client, app = api
    bad = {**VISITS[1], "fovi_visit_date": "2024-02-30"}
    r = client.post(URL, json={"ext_fostering_visit": [VISITS[0], bad]})
    assert r.status_code == 202
    [issue] = r.json()["rejected"]
    assert (issue["location"], issue["table"], issue["field"]) == (
        "push#ext_fostering_visit record 2",
        "ext_fostering_visit",
        "fovi_visit_date",
    )
    assert "2024-02-30" not in json.dumps(r.json())  # the value is not echoed back
    assert query(app, "SELECT fovi_visit_id FROM ext_fostering_visit") == [("V91",)]
    stored = query(app, "SELECT target_table, field, value FROM cscperf_quarantine WHERE load_id = " + repr(r.json()["load_id"]))
    assert stored == [("ext_fostering_visit", "fovi_visit_date", "2024-02-30")]


def test_the_rows_load_as_the_same_rows_in_a_csv_file_would(api, tmp_path):
    client, app = api
    client.post(URL, json={"ext_fostering_visit": VISITS})
    folder = tmp_path / "csv"
    folder.mkdir()
    pd.DataFrame(VISITS).to_csv(folder / "ext_fostering_visit.csv", index=False)
    other = fixture.build(tmp_path / "csv.duckdb", results=False)
    con = connect(other)
    core.run_load(con, "ssd", [folder], ssd.parse)
    from_csv = con.execute("SELECT * EXCLUDE (_load_id, _source) FROM ext_fostering_visit ORDER BY 1").fetchall()
    con.close()
    assert query(app, "SELECT * EXCLUDE (_load_id, _source) FROM ext_fostering_visit ORDER BY 1") == from_csv


@pytest.mark.parametrize(
    ("body", "status", "says"),
    [
        ({"ssd_person": [{"pers_person_id": "X"}]}, 422, "ssd_person: not a permanency table"),
        ({"ext_fostering_visit": [{**VISITS[0], "fovi_unannounced": True}]}, 422, "row 1 field fovi_unannounced"),
        ({"ext_fostering_visit": ["V91"]}, 422, "row 1: not an object"),
        ({"ext_fostering_visit": {"fovi_visit_id": "V91"}}, 400, "list of rows"),
        ([VISITS[0]], 400, "list of rows"),
    ],
)
def test_a_push_of_the_wrong_shape_stores_nothing(api, body, status, says):
    client, app = api
    r = client.post(URL, json={"ext_fostering_household": [HOUSEHOLD], **body} if isinstance(body, dict) else body)
    assert r.status_code == status
    assert says in json.dumps(r.json())
    assert query(app, "SELECT count(*) FROM ext_fostering_household")[0][0] == 0


def test_a_push_needs_a_token_and_names_the_children_in_the_audit_log(api):
    client, app = api
    assert client.post(URL, json={}, headers={"Authorization": ""}).status_code == 401
    fgc = {"fgcc_fgc_id": "F1", "fgcc_person_id": "C1", "fgcc_conference_date": "2024-03-01"}
    assert client.post(URL, json={"ext_family_group_conference": [fgc]}).status_code == 202
    row = app.state.cscperf.store.audit_rows(user="perf1", limit=1)[0]
    assert (row["action"], row["route"], row["children"]) == ("push", URL, ["C1"])


def test_a_push_that_fails_part_way_stores_nothing(api, monkeypatch):
    """One transaction: the household is written, then writing the visits fails; neither is kept and the failed
    attempt is recorded (as a failed CSV load is)."""
    client, app = api
    real = core.upsert

    def failing(con, table, frame, load_id):
        if table.name == "ext_fostering_visit":
            raise RuntimeError("disk full")
        return real(con, table, frame, load_id)

    monkeypatch.setattr(core, "upsert", failing)
    with pytest.raises(RuntimeError):
        client.post(URL, json={"ext_fostering_household": [HOUSEHOLD], "ext_fostering_visit": VISITS})
    assert query(app, "SELECT count(*) FROM ext_fostering_household")[0][0] == 0
    assert query(app, "SELECT status FROM cscperf_loads ORDER BY started_at DESC LIMIT 1") == [("failed",)]
    monkeypatch.setattr(core, "upsert", real)
    assert client.post(URL, json={"ext_fostering_household": [HOUSEHOLD], "ext_fostering_visit": VISITS}).status_code == 202
