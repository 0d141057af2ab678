"""Section D: children in need."""

import datetime as dt
import json
from pathlib import Path

import openpyxl
import pytest

from cscperf.ingest import parser_for
from cscperf.ingest.core import run_load
from tests.indicators.builder import Built, d


@pytest.fixture(scope="module")
def w():
    w = Built()
    w.child("closed")
    for pid in ["lac", "cpp", "cinp", "other", "old"]:
        w.child(pid)
        w.add("ssd_cin_episodes", cine_referral_id=f"r-{pid}", cine_person_id=pid, cine_referral_date="2024-01-10")
    w.add("ssd_cin_episodes", cine_person_id="closed", cine_referral_date="2023-01-01", cine_close_date="2024-03-15")
    w.add("ssd_cin_episodes", cine_referral_id="r-old2", cine_person_id="old", cine_referral_date="2023-03-31")
    # The looked-after child also has a CP plan: status takes the first in order (looked after).
    w.add(
        "ssd_cla_episodes",
        clae_person_id="lac",
        clae_cla_id="poc",
        clae_cla_episode_start_date="2024-02-01",
        clae_cla_episode_start_reason="S",
        clae_ext_legal_status="C2",
    )
    w.add("ssd_cp_plans", cppl_person_id="lac", cppl_cp_plan_start_date="2024-01-20")
    w.add("ssd_cp_plans", cppl_person_id="cpp", cppl_cp_plan_start_date="2024-01-20")
    w.add("ssd_cin_plans", cinp_person_id="cinp", cinp_cin_plan_start_date="2024-01-20")
    w.add("ssd_cin_plans", cinp_person_id="old", cinp_cin_plan_start_date="2023-05-01")
    w.add("ssd_cin_visits", cinv_person_id="cinp", cinv_cin_visit_date="2024-03-04", cinv_cin_visit_seen="Y")
    w.add("ssd_cin_visits", cinv_person_id="old", cinv_cin_visit_date="2024-02-28", cinv_cin_visit_seen="Y")
    return w


def test_cin_open_counts_children_once(w):
    # Open at 31 Mar 2024: lac, cpp, cinp, other, old (two open episodes); "closed" closed on 15 March.
    assert w.figure("cin_open", "2024-03-31")[0] == 5
    assert w.figure("cin_open_rate", "2024-03-31") == (5, 10000, 5.0)


def test_cin_open_by_status(w):
    frame = w.results(["cin_open"], "2024-03-31", breakdowns=("status",))
    assert dict(zip(frame.breakdown_value, frame.numerator, strict=True)) == {
        "looked after": 1,
        "child protection plan": 1,
        "child in need plan": 2,
        "other": 1,
    }


def test_cin_open_12_months(w):
    # "old" referred 31 Mar 2023: exactly 12 months before 31 Mar 2024, on a CIN plan: counted.
    assert w.figure("cin_open_12m_plus", "2024-03-31")[0] == 1
    assert w.figure("cin_open_12m_plus", "2024-03-30")[0] == 0
    rows = w.exceptions("cin_open_12m_plus", "2024-03-31")
    assert list(rows.person_id) == ["old"]
    assert rows.due_date[0] == d("2024-03-31")


def test_cin_visits_20_working_days(w):
    # At Sun 31 Mar 2024 (Good Friday 29 Mar): since Mon 4 Mar, 4 + 5 + 5 + 4 = 18 working days (in time);
    # since Wed 28 Feb, 29 Feb and 1 Mar + 5 + 5 + 5 + 4 = 21 (late: the 20th was Wed 27 Mar).
    assert w.figure("cin_visits_in_timescale_pct", "2024-03-31") == (1, 2, 50.0)
    rows = w.exceptions("cin_visits_in_timescale_pct", "2024-03-31").set_index("person_id")
    assert rows.loc["old", "status"] == "overdue"
    assert rows.loc["old", "due_date"] == d("2024-03-27")


# --- referrals that ended in no further action are not children in need (LAIT 290), from every source -------------


def test_nfa_referrals_are_not_children_in_need():
    w = Built()
    for pid in ("nfa_open", "nfa_then_cin", "nfa_closed", "nfa_on_the_day"):
        w.child(pid)

    def referral(pid, date, nfa, close=None):
        w.add("ssd_cin_episodes", cine_person_id=pid, cine_referral_date=date, cine_referral_nfa=nfa, cine_close_date=close)

    referral("nfa_open", "2023-01-05", "Y")  # NFA left open across the period end, 12+ months old
    referral("nfa_then_cin", "2023-02-01", "Y")  # NFA left open ...
    referral("nfa_then_cin", "2024-02-01", "N")  # ... and a later episode of need, open: the child counts once
    referral("nfa_closed", "2024-03-01", "Y", close="2024-03-01")  # NFA closed the day it came in
    referral("nfa_on_the_day", "2024-03-31", "Y")  # NFA received on the period end itself, not closed
    # At Sun 31 Mar 2024 only nfa_then_cin's episode of 1 Feb 2024 counts: 1 child, 1 per 10,000.
    assert w.figure("cin_open", "2024-03-31")[0] == 1
    assert w.figure("cin_open_rate", "2024-03-31") == (1, 10000, 1.0)
    frame = w.results(["cin_open"], "2024-03-31", breakdowns=("status",))
    assert dict(zip(frame.breakdown_value, frame.numerator, strict=True)) == {"other": 1}
    # Before 1 Feb 2024 nfa_then_cin had only its NFA referral: no child in need at all.
    assert w.figure("cin_open", "2024-01-31")[0] == 0
    # The NFA referrals of 5 Jan and 1 Feb 2023 are over 12 months old at 31 Mar 2024 but are not open cases;
    # the episode of 1 Feb 2024 is 2 months old.
    assert w.figure("cin_open_12m_plus", "2024-03-31")[0] == 0
    assert w.exceptions("cin_open_12m_plus", "2024-03-31").empty


CIN_XML = """<?xml version="1.0" encoding="UTF-8"?>
<Message>
  <Header>
    <CollectionDetails><Collection>CIN</Collection><Year>2024</Year><ReferenceDate>2024-03-31</ReferenceDate></CollectionDetails>
    <Source><SourceLevel>L</SourceLevel><LEA>874</LEA><SoftwareCode>test</SoftwareCode><Release>1</Release><SerialNo>001</SerialNo><DateTime>2024-05-01T09:00:00</DateTime></Source>
  </Header>
  <Children>{children}</Children>
</Message>
"""


def _cin_child(child_id: str, *episodes: str) -> str:
    return (
        f"<Child><ChildIdentifiers><LAchildID>{child_id}</LAchildID><PersonBirthDate>2015-06-01</PersonBirthDate>"
        "<GenderCurrent>2</GenderCurrent></ChildIdentifiers><ChildCharacteristics><Ethnicity>WBRI</Ethnicity>"
        f"</ChildCharacteristics>{''.join(episodes)}</Child>"
    )


def _cin_episode(referral: str, nfa: str, closure: str = "") -> str:
    closed = f"<CINclosureDate>{closure}</CINclosureDate><ReasonForClosure>RC8</ReasonForClosure>" if closure else ""
    return (
        f"<CINdetails><CINreferralDate>{referral}</CINreferralDate><ReferralSource>1A</ReferralSource>"
        f"<PrimaryNeedCode>N4</PrimaryNeedCode>{closed}<ReferralNFA>{nfa}</ReferralNFA></CINdetails>"
    )


def _load(w: Built, fmt: str, path: Path) -> None:
    summary = run_load(w.con, fmt, [path], parser_for(fmt))
    assert summary.counts("ssd_cin_episodes").rejected == 0


def test_nfa_referrals_from_a_cin_census_return(tmp_path):
    children = (
        _cin_child("X1", _cin_episode("2023-06-01", "1")),  # NFA, no closure date: not a child in need
        _cin_child("X2", _cin_episode("2023-05-01", "1"), _cin_episode("2024-01-15", "0")),  # counts once, from 15 Jan
        _cin_child("X3", _cin_episode("2024-03-04", "1", closure="2024-03-04")),  # NFA closed the same day
    )
    path = tmp_path / "cin.xml"
    path.write_text(CIN_XML.format(children="".join(children)))
    w = Built()
    _load(w, "cin-xml", path)
    nfa = w.con.execute("SELECT cine_person_id, cine_referral_nfa FROM ssd_cin_episodes ORDER BY cine_referral_date").fetchall()
    assert nfa == [("X2", "Y"), ("X1", "Y"), ("X2", "N"), ("X3", "Y")]
    assert w.figure("cin_open", "2024-03-31")[0] == 1
    assert w.figure("cin_open", "2024-01-14")[0] == 0  # the day before X2's episode of need
    assert w.figure("cin_open_12m_plus", "2024-06-01")[0] == 0  # X2's NFA referral of 1 May 2023 is 13 months old


def test_nfa_referrals_from_annex_a_and_api_records(tmp_path):
    # Annex A list 3 has no closure date: an NFA referral there would otherwise stay open for ever.
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "List 3 Referrals"
    sheet.append(["Child Unique ID", "Gender", "Date of Birth", "Date of Referral", "Referral Source", "Referral NFA?"])
    sheet.append(["A1", "Female", dt.datetime(2015, 6, 1), dt.datetime(2024, 1, 10), "1A", "Yes"])
    sheet.append(["A2", "Female", dt.datetime(2015, 6, 1), dt.datetime(2024, 2, 5), "1A", "No"])
    annex = tmp_path / "annex_a.xlsx"
    book.save(annex)
    # API records: the flag is a JSON boolean.
    episodes = [
        {"social_care_episode_id": "J1", "referral_date": "2024-01-20", "referral_source": "1A", "referral_no_further_action_flag": True},
        {"social_care_episode_id": "J2", "referral_date": "2024-03-01", "referral_source": "1A", "referral_no_further_action_flag": True},
        {"social_care_episode_id": "J3", "referral_date": "2024-03-15", "referral_source": "1A", "referral_no_further_action_flag": False},
    ]
    born = {"date_of_birth": "2015-06-01"}
    records = [
        {"la_code": 874, "Children": {"la_child_id": "JNFA", "child_details": born, "social_care_episodes": episodes[:1]}},
        {"la_code": 874, "Children": {"la_child_id": "JBOTH", "child_details": born, "social_care_episodes": episodes[1:]}},
    ]
    api = tmp_path / "children.json"
    api.write_text(json.dumps(records))
    w = Built()
    _load(w, "annex-a", annex)
    _load(w, "api-json", api)
    flags = dict(w.con.execute("SELECT cine_person_id || ':' || cine_referral_date, cine_referral_nfa FROM ssd_cin_episodes").fetchall())
    assert flags == {
        "A1:2024-01-10": "Y",
        "A2:2024-02-05": "N",
        "JNFA:2024-01-20": "Y",
        "JBOTH:2024-03-01": "Y",
        "JBOTH:2024-03-15": "N",
    }
    # At 31 Mar 2024: A2 and JBOTH (its episode of 15 March) are children in need; A1 and JNFA are not.
    assert w.figure("cin_open", "2024-03-31")[0] == 2
    assert w.figure("cin_open", "2024-03-14")[0] == 1  # A2 only: JBOTH had just its NFA referral then
