"""Area P on the dashboard: exception lists of households and adopters, their record pages, the service's lists page
and the children-in-care trigger, with the child pages' access rules and audit (tests/web/fixture.py,
`build_permanency`, has the hand-worked dates)."""

from __future__ import annotations

import re

import pytest

from tests.web import fixture
from tests.web.conftest import add_users

REVIEWS = "/indicators/perm_carers_no_annual_review/exceptions"
VISITS = "/indicators/perm_carers_not_visited_6_weeks/exceptions"
ADOPTERS = "/indicators/perm_adopters_no_placement_1_year/exceptions"


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory):
    path = fixture.build_permanency(tmp_path_factory.mktemp("perm") / "w.duckdb")
    add_users(path)
    return path


def listed(html: str, kind: str) -> list[tuple[str, str]]:
    """(id, days overdue) of each row of an exception list linking to /{kind}/ID."""
    rows = re.findall(rf'<a href="/{kind}/(\w+)">.*?<td class="num">(\d*)</td>', html, re.S)
    return sorted(rows)


def test_households_on_the_carers_lists_with_their_days_overdue(client_for):
    perf = client_for("perf1")
    reviews = perf.get(REVIEWS)
    assert reviews.status_code == 200 and "Households behind" in reviews.text
    assert listed(reviews.text, "households") == [("H1", "304")]
    assert listed(perf.get(VISITS).text, "households") == [("H1", "39"), ("H2", "17")]
    assert "/children/" not in perf.get(VISITS).text.split("<tbody>")[1]


def test_a_household_list_shows_its_supervising_team(client_for):
    text = client_for("perf1").get(VISITS).text
    row = re.search(r'<a href="/households/H2">H2</a></td><td>([^<]*)</td><td>([^<]*)</td>', text)
    assert row and row.groups() == ("Team B", "SW-B1")


def test_adopters_waiting_a_year_link_to_their_record(client_for):
    assert listed(client_for("perf1").get(ADOPTERS).text, "adopters") == [("A1", "121")]


def test_managers_see_the_households_of_their_own_teams_only(client_for):
    a, b = client_for("mgr_a"), client_for("mgr_b")
    assert listed(a.get(VISITS).text, "households") == [("H1", "39")]
    assert listed(b.get(VISITS).text, "households") == [("H2", "17")]
    assert a.get("/households/H1").status_code == 200
    assert a.get("/households/H2").status_code == 403
    assert a.get("/households/NOBODY").status_code == 403  # as for another team's: ids cannot be probed
    assert a.get(VISITS + "?team=T2").status_code == 403


def test_adopters_belong_to_no_team_so_managers_see_none(client_for):
    a = client_for("mgr_a")
    assert listed(a.get(ADOPTERS).text, "adopters") == []
    assert a.get("/adopters/A1").status_code == 403
    assert client_for("perf1").get("/adopters/NOBODY").status_code == 404


def test_members_see_no_records_and_no_lists_only_suppressed_figures(client_for):
    m = client_for("member1")
    for path in ("/households/H1", "/adopters/A1", "/permanency", VISITS, ADOPTERS):
        assert m.get(path).status_code == 403, path
    home = m.get("/?area=P").text
    tile = re.search(r'data-indicator="perm_carers_not_visited_6_weeks".*?</a>', home, re.S)
    assert tile and re.search(r">\s*c\s*<", tile.group(0))  # 2 households: a count of 1-5
    assert "/permanency" not in home


def test_a_household_page_shows_what_the_service_holds_and_is_audited(client_for, app):
    perf = client_for("perf1")
    page = perf.get("/households/H1")
    assert page.status_code == 200
    text = page.text
    for heading in ("Carers", "Approvals", "Places", "Annual reviews", "Supervisory visits", "Allegations", "Panel and decisions"):
        assert f"<h2>{heading}</h2>" in text
    assert "2022-06-01" in text and "2024-01-10" in text and "UNFOUNDED" in text
    assert '<a href="/children/C1">C1</a>' in text and "Team A" in text and "SW-A1" in text
    row = app.state.cscperf.store.audit_rows(user="perf1", limit=1)[0]
    assert (row["action"], row["route"], row["children"]) == ("view", "/households/H1", ["C1", "H1"])


def test_an_adopter_page_shows_the_journey_and_days_approved(client_for, app):
    text = client_for("perf1").get("/adopters/A1").text
    assert re.search(r"<dt>Days approved at 31 Mar 2024</dt><dd>486</dd>", text)  # 2022-12-01 to 2024-03-31
    assert re.search(r"<td>Approved</td><td>2022-12-01</td>", text) and "<td>Registration of interest</td><td>2022-03-01</td>" in text
    assert app.state.cscperf.store.audit_rows(user="perf1", limit=1)[0]["route"] == "/adopters/A1"
    placed = client_for("perf1").get("/adopters/A2").text
    assert '<a href="/children/C4">C4</a>' in placed and "2023-11-01" in placed


def test_the_service_page_counts_each_list_and_shows_the_trigger(client_for):
    perf = client_for("perf1").get("/permanency").text
    counts = dict(re.findall(r'href="/indicators/(\w+)/exceptions">[^<]*</a></td><td>\w+</td><td class="num">(\d+)</td>', perf))
    assert counts["perm_carers_no_annual_review"] == "1"
    assert counts["perm_carers_not_visited_6_weeks"] == "2"
    assert counts["perm_adopters_no_placement_1_year"] == "1"
    assert "trigger met" in perf
    assert re.findall(r'<td class="num">(\d+)</td><td>(yes|no)</td>', perf) == [("370", "yes"), ("368", "yes")]
    mgr = client_for("mgr_b").get("/permanency").text
    assert (
        dict(re.findall(r'href="/indicators/(\w+)/exceptions">[^<]*</a></td><td>\w+</td><td class="num">(\d+)</td>', mgr))[
            "perm_carers_not_visited_6_weeks"
        ]
        == "1"
    )


def test_standard_t14_lists_the_service_childrens_health_checks_with_drill_down(client_for):
    """C2 (team A) has no health assessment, dental check or SDQ: three rows, each linking to the child's page."""
    path = "/indicators/perm_service_health_checks_outstanding/exceptions"
    perf = client_for("perf1")
    assert listed(perf.get(path).text, "children") == [("C2", "811")] * 3  # 2022-01-10 to 2024-03-31
    text = perf.get(path).text
    assert all(check in text for check in ("health assessment, none recorded", "dental check, none recorded", "SDQ, none recorded"))
    page = perf.get("/permanency").text
    counts = dict(re.findall(r'href="/indicators/(\w+)/exceptions">[^<]*</a></td><td>\w+</td><td class="num">(\d+)</td>', page))
    assert counts["perm_service_health_checks_outstanding"] == "3"
    assert perf.get("/children/C2").status_code == 200
    assert listed(client_for("mgr_a").get(path).text, "children") == [("C2", "811")] * 3
    assert listed(client_for("mgr_b").get(path).text, "children") == []


def test_every_area_p_list_holds_what_the_dashboard_links_it_to(tmp_path):
    """Each practice indicator of area P, on the fixture: its rows' ids are households, adopters or children as
    `list_unit` says, so every link leads to the right page."""
    from cscperf.indicators.exceptions import exceptions, list_unit
    from cscperf.indicators.registry import REGISTRY
    from cscperf.warehouse import connect

    path = fixture.build_permanency(tmp_path / "w.duckdb")
    con = connect(path)
    tables = {"household": ("ext_fostering_household", "fohh_household_id"), "adopter": ("ext_adopter", "adop_adopter_id")}
    tables["child"] = ("ssd_person", "pers_person_id")
    seen = set()
    for ind in (i for i in REGISTRY.values() if i.area == "P" and i.practice):
        table, column = tables[list_unit(ind.id)]
        known = {r[0] for r in con.execute(f"SELECT {column} FROM {table}").fetchall()}
        ids = set(exceptions(con, ind.id, fixture.PERM_PERIOD_END).person_id)
        assert ids <= known, ind.id
        seen |= {list_unit(ind.id)} if ids else set()
    con.close()
    assert seen == {"household", "adopter", "child"}


def test_a_household_whose_id_is_also_a_childs_takes_its_own_team(tmp_path):
    """Ids of households are never looked up among children's allocations: C3 is a child of team B, and here also a
    household of team A not visited since 2024-01-10 (due 2024-02-21)."""
    import pandas as pd

    from cscperf.indicators.exceptions import exceptions
    from cscperf.warehouse import BY_NAME, begin_load, connect, finish_load, insert_frame

    path = fixture.build_permanency(tmp_path / "w.duckdb")
    con = connect(path)
    load_id = begin_load(con, "ssd")
    household = {"fohh_household_id": "C3", "fohh_approval_date": fixture.D(2020, 1, 6), "fohh_team": "T1", "fohh_worker_id": "W1"}
    insert_frame(con, BY_NAME["ext_fostering_household"], pd.DataFrame([household]), load_id, "test")
    visit = {"fovi_visit_id": "VC3", "fovi_household_id": "C3", "fovi_visit_date": fixture.D(2024, 1, 10)}
    insert_frame(con, BY_NAME["ext_fostering_visit"], pd.DataFrame([visit]), load_id, "test")
    finish_load(con, load_id, "{}")
    rows = exceptions(con, "perm_carers_not_visited_6_weeks", fixture.PERM_PERIOD_END)
    con.close()
    assert rows.loc[rows.person_id == "C3", ["team_id", "worker_id", "days_overdue"]].values.tolist() == [["T1", "W1", 39]]
    assert rows.loc[rows.person_id == "H2", ["team_id", "worker_id"]].values.tolist() == [["T2", "W2"]]


def test_an_adopters_days_approved_follow_the_stages_names_not_their_order(warehouse, monkeypatch):
    """The approval and end dates are found by column, so reordering (or adding) journey stages cannot swap them."""
    import duckdb

    from cscperf.web import data

    monkeypatch.setattr(data, "ADOPTER_STAGES", tuple(reversed(data.ADOPTER_STAGES)))
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        record = data.adopter(con.cursor(), "A1", fixture.PERM_PERIOD_END)
    finally:
        con.close()
    assert dict(record.facts)["Days approved at 31 Mar 2024"] == 486  # 2022-12-01 to 2024-03-31
    assert record.sections[0][2][-1] == ("Registration of interest", fixture.D(2022, 3, 1))


def test_the_services_own_staff_are_named_on_household_pages_and_as_workers(tmp_path):
    """A supervising social worker held only in ext_service_staff (a commissioned service's staff) is shown by name;
    one held in ssd_professionals too keeps the name there."""
    import pandas as pd

    from cscperf.warehouse import BY_NAME, begin_load, connect, finish_load, insert_frame
    from cscperf.web import data

    path = fixture.build_permanency(tmp_path / "w.duckdb")
    con = connect(path)
    load_id = begin_load(con, "ssd")
    staff = [
        {"sstf_staff_id": "PS7", "sstf_staff_name": "SSW-7", "sstf_service": "PERMANENCY", "sstf_team": "T1"},
        {"sstf_staff_id": "W2", "sstf_staff_name": "another name", "sstf_service": "PERMANENCY", "sstf_team": "T2"},
    ]
    insert_frame(con, BY_NAME["ext_service_staff"], pd.DataFrame(staff), load_id, "test")
    con.execute("UPDATE ext_fostering_household SET fohh_worker_id = 'PS7' WHERE fohh_household_id = 'H1'")
    finish_load(con, load_id, "{}")
    cur = con.cursor()
    assert dict(data.household(cur, "H1").facts)["Supervising social worker"] == "SSW-7"
    workers = data.workers(cur).set_index("worker_id")
    con.close()
    assert workers.loc["PS7", ["worker_name", "team_id"]].tolist() == ["SSW-7", "T1"]
    assert workers.loc["W2", "worker_name"] == "SW-B1" and workers.index.is_unique  # ssd_professionals' name, once
