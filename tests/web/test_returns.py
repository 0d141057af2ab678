"""The Returns pages: who sees what, DfE's issues by rule, the drill-down to children, downloads and the audit log.

The hand-built warehouse of fixture.py with its 2023-24 CIN census prepared as draft cin-2024-v1
(fixture.RETURN_ISSUES): error 8715 for C1 (team A), query 8770Q for C3 (team B) and C4 (unallocated),
and the return-level query 2887Q. At the period end (31 March 2024) C1 and C2 are allocated to team A, C3 to
team B, and C4 to nobody.
"""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient

from cscperf.returns import workflow
from cscperf.warehouse import connect
from cscperf.web.app import WebSettings, create_app
from cscperf.web.store import WebStore, users_db_path
from tests.web import fixture
from tests.web.conftest import add_users, login

RID = "cin-2024-v1"


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory):
    path = fixture.build(tmp_path_factory.mktemp("returns") / "w.duckdb")
    assert fixture.prepare_returns(path) == RID
    fixture.store_validated(path)
    add_users(path)
    return path


def audit_rows(warehouse, user: str) -> list[dict]:
    return WebStore(users_db_path(warehouse)).audit_rows(user=user)


def cells(html: str) -> list[list[str]]:
    """The body rows of the page's tables as lists of cell texts (tags removed)."""
    body = "".join(re.findall(r"<tbody>(.*?)</tbody>", html, re.S))
    return [
        [re.sub(r"<[^>]+>", "", c).strip() for c in re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)]
        for row in re.findall(r"<tr[^>]*>(.*?)</tr>", body, re.S)
    ]


@pytest.mark.parametrize(
    ("name", "codes"),
    [
        (
            "member1",
            {"/returns": 403, f"/returns/{RID}": 403, f"/returns/{RID}/rules/8770Q": 403, f"/returns/{RID}/files/cin_census_2024.xml": 403},
        ),
        (
            "mgr_a",
            {"/returns": 200, f"/returns/{RID}": 403, f"/returns/{RID}/rules/8770Q": 403, f"/returns/{RID}/files/cin_census_2024.xml": 403},
        ),
        (
            "perf1",
            {"/returns": 200, f"/returns/{RID}": 200, f"/returns/{RID}/rules/8770Q": 200, f"/returns/{RID}/files/cin_census_2024.xml": 200},
        ),
        (
            "admin1",
            {"/returns": 200, f"/returns/{RID}": 200, f"/returns/{RID}/rules/8770Q": 200, f"/returns/{RID}/files/cin_census_2024.xml": 200},
        ),
    ],
)
def test_performance_and_admin_see_returns_managers_only_their_list(client_for, name, codes):
    client = client_for(name)
    assert {path: client.get(path).status_code for path in codes} == codes
    assert ('href="/returns"' in client.get("/").text) == (name != "member1")


def test_the_list_shows_each_versions_status_and_counts(client_for):
    html = client_for("perf1").get("/returns").text
    [row] = cells(html)
    assert row[:4] == ["CIN census", "2023-24", "1", "draft"]
    assert row[4].endswith("by tester") and row[5] == "–"
    assert row[6:] == ["1", "3", "3", "complete"]


def test_a_return_shows_its_check_files_comparison_and_rules_with_dfes_messages(client_for, warehouse):
    html = client_for("perf1").get(f"/returns/{RID}").text
    assert "CIN census 2023-24, version 1" in html and "cin2023_24" in html
    folder = workflow.returns_folder(warehouse) / RID
    digest = workflow.sha256(folder / "cin_census_2024.xml")
    assert f'href="/returns/{RID}/files/cin_census_2024.xml"' in html and digest in html
    assert "no comparison: the CIN census 2022-23 return could not be written from the warehouse" in html
    rows = cells(html)
    assert ["children", "–", "4", "–"] in rows
    by_rule = {r[0]: r[1:] for r in rows if len(r) == 6}
    assert by_rule == {
        "8715": ["error", "Date of ICPC must fall within the census year", "1", "1", ""],
        "8770Q": ["query", "UPN is missing", "2", "2", "2"],
        "2887Q": ["query", "Less than 8 disability codes have been used", "1", "0", "1"],
    }


def test_the_drill_down_lists_the_children_of_a_rule_and_is_audited(client_for, warehouse):
    client = client_for("perf1")
    html = client.get(f"/returns/{RID}/rules/8770Q").text
    assert [r[0] for r in cells(html)] == ["C3", "C4"] and 'href="/children/C3"' in html
    assert all(r[-1] == "none yet" for r in cells(html))
    latest = audit_rows(warehouse, "perf1")[0]
    assert (latest["action"], latest["route"], latest["children"]) == ("view", f"/returns/{RID}/rules/8770Q", ["C3", "C4"])
    assert client.get(f"/returns/{RID}/rules/0000").status_code == 404
    assert client.get("/returns/cin-1999-v1").status_code == 404
    assert client.get(f"/returns/{RID}/files/other.xml").status_code == 404
    assert client.get(f"/returns/{RID}/files/..%2F..%2Fw.duckdb").status_code == 404


def test_a_download_is_the_prepared_file_and_an_audited_export(client_for, warehouse):
    response = client_for("admin1").get(f"/returns/{RID}/files/cin_census_2024.xml")
    assert response.status_code == 200
    assert response.content == (workflow.returns_folder(warehouse) / RID / "cin_census_2024.xml").read_bytes()
    assert 'filename="cin_census_2024.xml"' in response.headers["content-disposition"]
    latest = audit_rows(warehouse, "admin1")[0]
    assert (latest["action"], latest["children"]) == ("export", ["C1", "C2", "C3", "C4"])


@pytest.mark.parametrize(("name", "children"), [("mgr_a", ["C1"]), ("mgr_b", ["C3"])])
def test_managers_see_the_children_of_their_teams_with_issues(client_for, warehouse, name, children):
    html = client_for(name).get("/returns").text
    rows = cells(html)
    assert [r[0] for r in rows] == children  # C4 is unallocated: no manager's; the return-level 2887Q is no child's
    assert rows[0][2] == "CIN census 2023-24"
    latest = audit_rows(warehouse, name)[0]
    assert (latest["action"], latest["route"], latest["children"]) == ("view", "/returns", children)


def test_a_childs_page_shows_the_childs_validation_issues(client_for):
    client = client_for("perf1")
    page = client.get("/children/C1").text
    assert "Validation issues" in page and "8715" in page and "Date of ICPC must fall within the census year" in page
    assert "8770Q" not in page and "2887Q" not in page  # other children's, and the return-level query that names none
    assert "Validation issues" not in client.get("/children/C2").text


@pytest.mark.parametrize("name", ["mgr_a", "perf1"])
def test_a_childs_page_also_shows_what_cscperf_validate_stored(client_for, name):
    # C1 has error 8715 in the prepared CIN census and error 103 from `cscperf validate --year 2024`'s SSDA903 check;
    # C3's 103 (team B) is not on C1's page, and team A's manager cannot open C3's.
    client = client_for(name)
    page = client.get("/children/C1").text
    rows = [r for r in cells(page) if len(r) == 7]
    assert [(r[0], r[1].split(",")[0], r[2], r[3]) for r in rows] == [
        ("CIN census 2023-24", RID, "8715", "error"),
        ("SSDA903 2023-24", "cscperf validate", "103", "error"),
    ]
    assert rows[1][4] == "The ethnicity code is either not valid or has not been entered." and rows[1][5:] == ["Header", "ETHNIC"]
    assert client.get("/children/C3").status_code == (403 if name == "mgr_a" else 200)


def test_one_query_gives_a_childs_issues_from_both_checks(tmp_path):
    path = fixture.build(tmp_path / "w.duckdb")
    con = connect(path)
    assert workflow.child_issues(con, "C3").empty  # neither check has run yet
    con.close()
    fixture.prepare_returns(path)
    fixture.store_validated(path)
    con = connect(path, read_only=True)
    try:
        one = workflow.child_issues(con, "C3")
        none = workflow.child_issues(con, "C2")
    finally:
        con.close()
    found = list(zip(one["source"], one["kind"], one["rule"], strict=True))
    assert found == [(RID, "cin", "8770Q"), ("cscperf validate", "ssda903", "103")]
    assert none.empty


def test_a_changed_file_is_not_served(tmp_path):
    path = fixture.build(tmp_path / "w.duckdb")
    fixture.prepare_returns(path)
    add_users(path)
    xml = workflow.returns_folder(path) / RID / "cin_census_2024.xml"
    xml.write_bytes(xml.read_bytes() + b"\n")
    app = create_app(WebSettings(warehouse=path, secure_cookies=False, auto_recompute=False, warm_caches=False))
    try:
        with TestClient(app) as client:
            assert login(client, "perf1").status_code == 303
            response = client.get(f"/returns/{RID}/files/cin_census_2024.xml")
            assert response.status_code == 409 and "SHA-256 differs" in response.text
            assert "changed since it was prepared" in client.get(f"/returns/{RID}").text
    finally:
        app.state.cscperf.close()
    assert not [r for r in audit_rows(path, "perf1") if r["action"] == "export"]


def test_a_signed_return_shows_who_signed_it_and_the_explanations(tmp_path):
    path = fixture.build(tmp_path / "w.duckdb")
    fixture.prepare_returns(path, [i for i in fixture.RETURN_ISSUES if i["rule_type"] == "query"])  # C1's error fixed
    add_users(path)
    con = connect(path)
    try:
        workflow.explain(con, RID, "8770Q", "", "Children under school age have no UPN", "tester")
        workflow.explain(con, RID, "2887Q", "", "A small authority", "tester")
        workflow.sign_off(con, RID, "perf1", "performance")
    finally:
        con.close()
    app = create_app(WebSettings(warehouse=path, secure_cookies=False, auto_recompute=False, warm_caches=False))
    try:
        with TestClient(app) as client:
            assert login(client, "perf1").status_code == 303
            [row] = cells(client.get("/returns").text)
            assert row[3] == "signed" and row[5].endswith("by perf1") and row[8] == "0"
            assert "signed off" in client.get(f"/returns/{RID}").text
            drill = cells(client.get(f"/returns/{RID}/rules/8770Q").text)
            assert [r[-1] for r in drill] == ["Children under school age have no UPN"] * 2
    finally:
        app.state.cscperf.close()


def test_a_validator_defect_is_shown_explained_and_does_not_block_sign_off(tmp_path):
    defect = {"rule": "SW11bSTG2", "rule_type": "defect", "message": "Social worker episode has ended", "child_id": "C3"}
    path = fixture.build(tmp_path / "w.duckdb")
    fixture.prepare_returns(path, [defect])
    add_users(path)
    con = connect(path)
    try:
        workflow.sign_off(con, RID, "perf1", "performance")  # no error and no query: a defect alone does not block it
    finally:
        con.close()
    app = create_app(WebSettings(warehouse=path, secure_cookies=False, auto_recompute=False, warm_caches=False))
    try:
        with TestClient(app) as client:
            assert login(client, "perf1").status_code == 303
            [row] = cells(client.get(f"/returns/{RID}").text.split("Errors and queries by rule")[-1])
            assert row[:2] == ["SW11bSTG2", "validator defect"]
            page = client.get(f"/returns/{RID}/rules/SW11bSTG2").text
            assert "known defect" in page and "next worker" in page and "do not block sign-off" in page
    finally:
        app.state.cscperf.close()
