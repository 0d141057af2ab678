"""Section C: child protection, on hand-built cases."""

import datetime as dt
from pathlib import Path

import openpyxl
import pytest

from cscperf.ingest import parser_for
from cscperf.ingest.core import run_load
from tests.indicators.builder import LA, Built, d


@pytest.fixture(scope="module")
def conferences():
    w = Built()
    for pid in ["p1", "p2", "p3", "p4", "p5"]:
        w.child(pid)
    # S47 enquiries starting Mon 1 May 2023 (itself a bank holiday). Working days after it: 2-5 May (4),
    # 9-12 May (4: the 8th was the coronation), 15-19 May (5), 22, 23 May: the 15th is Tue 23 May.
    s1 = w.add("ssd_s47_enquiry", s47e_person_id="p1", s47e_s47_start_date="2023-05-01")
    s2 = w.add("ssd_s47_enquiry", s47e_person_id="p2", s47e_s47_start_date="2023-05-01")
    r3 = w.add("ssd_cin_episodes", cine_person_id="p3", cine_referral_date="2023-04-28")
    w.add("ssd_s47_enquiry", s47e_person_id="p3", s47e_referral_id=r3, s47e_s47_start_date="2023-05-01")
    w.add("ssd_s47_enquiry", s47e_person_id="p5", s47e_s47_start_date="2023-05-02", s47e_s47_end_date="2023-05-15", s47e_s47_nfa="Y")
    w.add("ssd_initial_cp_conference", icpc_person_id="p1", icpc_s47_enquiry_id=s1, icpc_icpc_date="2023-05-23")  # day 15
    w.add("ssd_initial_cp_conference", icpc_person_id="p2", icpc_s47_enquiry_id=s2, icpc_icpc_date="2023-05-24")  # day 16
    # Linked through the referral only: 1 May -> 10 May is 6 working days.
    w.add("ssd_initial_cp_conference", icpc_person_id="p3", icpc_referral_id=r3, icpc_icpc_date="2023-05-10")
    # A transfer-in conference: no S47, excluded from the timeliness measure.
    w.add("ssd_initial_cp_conference", icpc_person_id="p4", icpc_icpc_transfer_in="Y", icpc_icpc_date="2023-05-12")
    w.add("ssd_cp_plans", cppl_person_id="p1", cppl_cp_plan_start_date="2023-05-23")
    w.add("ssd_cp_plans", cppl_person_id="p4", cppl_cp_plan_start_date="2023-05-12")
    return w


def test_s47_started(conferences):
    assert conferences.figure("s47_enquiries", "2023-05-31")[0] == 4
    # Four in the 12 months to 31 May 2023, population 10,000: 4.0 per 10,000.
    assert conferences.figure("s47_enquiries_rate", "2023-05-31", basis="rolling12") == (4, 10000, 4.0)


def test_icpc_within_15_working_days(conferences):
    num, den, value = conferences.figure("icpc_15wd_pct", "2023-05-31")
    assert (num, den) == (2, 3)  # p1 (day 15) and p3 (day 6); p2 on day 16; transfer-in excluded
    assert value == pytest.approx(200 / 3)


def test_icpc_to_plan(conferences):
    assert conferences.figure("icpc_to_cp_plan_pct", "2023-05-31") == (2, 4, 50.0)


def test_s47_to_icpc(conferences):
    # Ended in May: p1, p2, p3 with a conference, p5 with no conference needed.
    assert conferences.figure("s47_to_icpc_pct", "2023-05-31") == (3, 4, 75.0)


# --- an S47 with no conference needed and no end date, from each source that records one ------------------------
# A: started Tue 2 May 2023, no conference needed, no end date: it ends on its start, 2 May.
# B: started Mon 1 May 2023 (a bank holiday), conference Wed 24 May, the 16th working day (8 May was the coronation).
# C: started Wed 10 May 2023, conference needed and not yet held: due on the 15th working day, Thu 1 June (11-12 May,
#    15-19, 22-26, 30-31 May: 14; Mon 29 May was the spring bank holiday), so approaching at 31 May.
# D: started Fri 28 Apr 2023, no conference needed, no end date: ends 28 April, outside May.
NO_END_CASES = [("A", "2023-05-02", None, True), ("B", "2023-05-01", "2023-05-24", False), ("C", "2023-05-10", None, False)]
NO_END_CASES.append(("D", "2023-04-28", None, True))


def _check_no_conference_ends_on_its_start(w: Built) -> None:
    assert w.figure("s47_to_icpc_pct", "2023-05-31") == (1, 2, 50.0)  # ended in May: A (no conference) and B
    assert w.figure("s47_to_icpc_pct", "2023-04-30") == (0, 1, 0.0)  # D
    rows = w.exceptions("icpc_15wd_pct", "2023-05-31")
    assert list(rows.person_id) == ["C"]  # A and D ended with no conference: not awaiting one
    assert (rows.status[0], rows.due_date[0]) == ("approaching", d("2023-06-01"))


def _children(w: Built) -> None:
    for pid, *_ in NO_END_CASES:
        w.child(pid)


def test_no_conference_without_an_end_date_ends_on_its_start_ssd_rows():
    w = Built()
    _children(w)
    for pid, start, icpc, not_required in NO_END_CASES:
        s = w.add("ssd_s47_enquiry", s47e_person_id=pid, s47e_s47_start_date=start, s47e_s47_nfa="Y" if not_required else "N")
        if icpc:
            w.add("ssd_initial_cp_conference", icpc_person_id=pid, icpc_s47_enquiry_id=s, icpc_icpc_date=icpc)
    _check_no_conference_ends_on_its_start(w)


def cin_census(children: str) -> str:
    """A CIN census return for 2022-23 from LA 874 holding the given <Child> elements."""
    return (
        '<?xml version="1.0" encoding="UTF-8"?><Message><Header><CollectionDetails><Collection>CIN</Collection>'
        "<Year>2023</Year><ReferenceDate>2023-03-31</ReferenceDate></CollectionDetails><Source><SourceLevel>L</SourceLevel>"
        f"<LEA>{LA}</LEA><SoftwareCode>test</SoftwareCode><Release>1</Release><SerialNo>001</SerialNo>"
        f"<DateTime>2023-06-01T09:00:00</DateTime></Source></Header><Children>{children}</Children></Message>"
    )


def cin_child(pid: str, referral: str, s47s: list[tuple[str, str | None, bool]], icpc: str | None = None, plan: str | None = None) -> str:
    """A <Child> with one CINdetails: `s47s` are (start, conference date, ICPCnotRequired); `icpc` a CINdetails-level
    DateOfInitialCPC; `plan` a CP plan start."""
    sections = "".join(
        f"<Section47><S47ActualStartDate>{start}</S47ActualStartDate>"
        + (f"<DateOfInitialCPC>{date}</DateOfInitialCPC>" if date else "")
        + f"<ICPCnotRequired>{int(not_required)}</ICPCnotRequired></Section47>"
        for start, date, not_required in s47s
    )
    cpp = f"<ChildProtectionPlans><CPPstartDate>{plan}</CPPstartDate><NumberOfPreviousCPP>0</NumberOfPreviousCPP></ChildProtectionPlans>"
    return (
        f"<Child><ChildIdentifiers><LAchildID>{pid}</LAchildID><PersonBirthDate>2015-06-01</PersonBirthDate>"
        "<GenderCurrent>2</GenderCurrent></ChildIdentifiers><ChildCharacteristics><Ethnicity>WBRI</Ethnicity>"
        f"</ChildCharacteristics><CINdetails><CINreferralDate>{referral}</CINreferralDate><ReferralSource>6</ReferralSource>"
        "<PrimaryNeedCode>N1</PrimaryNeedCode>"
        + (f"<DateOfInitialCPC>{icpc}</DateOfInitialCPC>" if icpc else "")
        + f"{sections}<ReferralNFA>0</ReferralNFA>{cpp if plan else ''}</CINdetails></Child>"
    )


def load(w: Built, fmt: str, path: Path) -> None:
    """Load a file through the real loader, as `cscperf load` does."""
    summary = run_load(w.con, fmt, [path], parser_for(fmt))
    assert not summary.rejected, summary.rejected


def test_no_conference_without_an_end_date_ends_on_its_start_cin_census(tmp_path):
    w = Built()
    children = [cin_child(pid, "2023-04-27", [(start, icpc, not_required)]) for pid, start, icpc, not_required in NO_END_CASES]
    (tmp_path / "cin.xml").write_text(cin_census("".join(children)))
    load(w, "cin-xml", tmp_path / "cin.xml")
    # The census gives the outcome (ICPCnotRequired) and no end date; the warehouse keeps it so.
    stored = w.con.execute("SELECT s47e_s47_nfa, s47e_s47_end_date FROM ssd_s47_enquiry WHERE s47e_person_id = 'A'").fetchall()
    assert stored == [("Y", None)]
    _check_no_conference_ends_on_its_start(w)


# --- transfer-in conferences ------------------------------------------------------------------------------------
# B: S47 from Mon 1 May 2023, conference Wed 24 May, the 16th working day: late.
# E: an S47 from Thu 20 Apr 2023 that needed no conference, then a conference on Fri 12 May 2023 that no S47 of the
#    episode led to (the census records it at CINdetails level: a transfer-in) and a plan from that day. Attached to
#    the April S47 it would be timed at 14 working days (21-28 Apr 6, 2-5 May 10, 9-12 May 14) and counted as the S47's
#    conference; it is not.


def _check_transfer_in_is_not_timed(w: Built) -> None:
    assert w.figure("icpc_15wd_pct", "2023-05-31") == (0, 1, 0.0)  # B only
    assert w.figure("icpc_to_cp_plan_pct", "2023-05-31") == (1, 2, 50.0)  # a transfer-in is still a conference held
    assert w.figure("s47_to_icpc_pct", "2023-05-31") == (1, 1, 100.0)  # B; E's S47 ended on 20 April
    assert w.figure("s47_to_icpc_pct", "2023-04-30") == (0, 1, 0.0)


def test_cin_census_conference_without_an_s47_is_a_transfer_in(tmp_path):
    w = Built()
    children = cin_child("B", "2023-04-27", [("2023-05-01", "2023-05-24", False)])
    children += cin_child("E", "2023-04-18", [("2023-04-20", None, True)], icpc="2023-05-12", plan="2023-05-12")
    (tmp_path / "cin.xml").write_text(cin_census(children))
    load(w, "cin-xml", tmp_path / "cin.xml")
    flags = w.con.execute("SELECT icpc_person_id, icpc_icpc_transfer_in FROM ssd_initial_cp_conference ORDER BY 1").fetchall()
    assert flags == [("B", "N"), ("E", "Y")]
    _check_transfer_in_is_not_timed(w)


def test_ssd_transfer_in_conference_is_not_timed_even_in_a_referral_with_an_s47():
    w = Built()
    for pid in ("B", "E"):
        w.child(pid)
    b = w.add("ssd_s47_enquiry", s47e_person_id="B", s47e_s47_start_date="2023-05-01", s47e_s47_nfa="N")
    w.add("ssd_initial_cp_conference", icpc_person_id="B", icpc_s47_enquiry_id=b, icpc_icpc_date="2023-05-24", icpc_icpc_transfer_in="N")
    r = w.add("ssd_cin_episodes", cine_person_id="E", cine_referral_date="2023-04-18")
    w.add("ssd_s47_enquiry", s47e_person_id="E", s47e_referral_id=r, s47e_s47_start_date="2023-04-20", s47e_s47_nfa="Y")
    # Not flagged, this conference would follow the April S47 of its referral (as an SSD row without an S47 id does).
    w.add("ssd_initial_cp_conference", icpc_person_id="E", icpc_referral_id=r, icpc_icpc_date="2023-05-12", icpc_icpc_transfer_in="Y")
    w.add("ssd_cp_plans", cppl_person_id="E", cppl_cp_plan_start_date="2023-05-12")
    _check_transfer_in_is_not_timed(w)


def annex_a_list_5(path: Path, rows: list[list]) -> Path:
    """An Annex A workbook holding only list 5 (S47 enquiries and their conferences)."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "List 5"
    ws.append(
        [
            "Child Unique ID",
            "Gender",
            "Strategy discussion initiating Section 47 Enquiry Start Date",
            "Was an Initial Child Protection Conference deemed unnecessary?",
            "Date of Initial Child Protection Conference",
            "Did the Initial Child Protection Conference Result in a Child Protection Plan",
        ]
    )
    for row in rows:
        ws.append(row)
    wb.save(path)
    return path


def test_no_conference_without_an_end_date_ends_on_its_start_annex_a(tmp_path):
    w = Built()

    def day(text: str | None) -> dt.datetime | None:
        return dt.datetime.fromisoformat(text) if text else None

    rows = [
        [pid, "b) Female", day(start), "a) Yes" if not_required else "b) No", day(icpc), "b) No" if icpc else None]
        for pid, start, icpc, not_required in NO_END_CASES
    ]
    load(w, "annex-a", annex_a_list_5(tmp_path / "annex_a.xlsx", rows))
    _check_no_conference_ends_on_its_start(w)


def test_s47_awaiting_conference_is_an_exception():
    w = Built()
    w.child("x")
    w.add("ssd_s47_enquiry", s47e_person_id="x", s47e_s47_start_date="2023-05-01")
    # At 19 May: 13 working days gone, due Tue 23 May: approaching (within 5 working days).
    rows = w.exceptions("icpc_15wd_pct", "2023-05-19")
    assert (rows.status[0], rows.due_date[0]) == ("approaching", d("2023-05-23"))
    rows = w.exceptions("icpc_15wd_pct", "2023-05-31")
    assert (rows.status[0], rows.days_overdue[0]) == ("overdue", 8)


@pytest.fixture(scope="module")
def plans():
    w = Built()
    for pid in ["twice", "long", "short", "repeat", "older", "counted", "first"]:
        w.child(pid)

    def plan(pid, start, end=None, previous=None):
        return w.add(
            "ssd_cp_plans",
            cppl_person_id=pid,
            cppl_cp_plan_start_date=start,
            cppl_cp_plan_end_date=end,
            cppl_ext_previous_plans=previous,
        )

    plan("twice", "2023-10-01")  # two overlapping plans: one child
    plan("twice", "2023-11-01", "2024-03-31")  # ends on the period end: not open then
    plan("long", "2022-01-01", "2023-12-31")  # 365 + 364 = 729 days: 2 years or more
    plan("short", "2022-01-02", "2023-12-31")  # 728 days
    plan("repeat", "2020-01-01", "2021-01-10")
    plan("repeat", "2023-01-10")  # earlier plan ended 730 days before: a repeat within 2 years
    plan("older", "2019-01-01", "2021-01-09")
    plan("older", "2023-01-10")  # 731 days: second plan but not within 2 years
    plan("counted", "2023-01-10", previous=1)  # NumberOfPreviousCPP says an earlier plan
    plan("first", "2023-01-10")
    return w


def test_cp_plans_open_counts_children_once(plans):
    # At 31 Mar 2024: twice (the first plan), repeat, older, counted, first.
    assert plans.figure("cp_plans_open", "2024-03-31")[0] == 5
    assert plans.figure("cp_plans_open_rate", "2024-03-31") == (5, 10000, 5.0)


def test_plans_ended_lasting_2_years(plans):
    assert plans.figure("cp_plans_ended_2y_plus_pct", "2023-12-31") == (1, 2, 50.0)


def test_second_and_repeat_plans(plans):
    assert plans.figure("cp_plans_started", "2023-01-31")[0] == 4
    assert plans.figure("cp_plans_second_or_subsequent_pct", "2023-01-31") == (3, 4, 75.0)
    assert plans.figure("cp_plans_repeat_2y_pct", "2023-01-31") == (1, 4, 25.0)


def test_open_2_years_plus():
    w = Built()
    w.child("a")
    w.child("b")
    w.add("ssd_cp_plans", cppl_person_id="a", cppl_cp_plan_start_date="2022-02-01")  # 729 days at 31 Jan 2024
    w.add("ssd_cp_plans", cppl_person_id="b", cppl_cp_plan_start_date="2022-02-02")  # 728 days
    assert w.figure("cp_plans_open_2y_plus", "2024-01-31")[0] == 1
    assert w.figure("cp_plans_open_2y_plus_pct", "2024-01-31") == (1, 2, 50.0)
    rows = w.exceptions("cp_plans_open_2y_plus", "2024-01-31").set_index("person_id")
    assert rows.loc["a", "status"] == "overdue"
    assert rows.loc["b", "status"] == "approaching"
    assert rows.loc["b", "reason"] == "12 months: legal planning meeting due"


@pytest.fixture(scope="module")
def reviews():
    w = Built()
    for pid in ["ontime", "late", "new"]:
        w.child(pid)
    p1 = w.add("ssd_cp_plans", cppl_person_id="ontime", cppl_cp_plan_start_date="2024-01-31")
    # First review due within 3 months of 31 Jan: by 30 April (clamped); held on the last day.
    w.add("ssd_cp_reviews", cppr_person_id="ontime", cppr_cp_plan_id=p1, cppr_cp_review_date="2024-04-30")
    p2 = w.add("ssd_cp_plans", cppl_person_id="late", cppl_cp_plan_start_date="2024-01-31")
    w.add("ssd_cp_reviews", cppr_person_id="late", cppr_cp_plan_id=p2, cppr_cp_review_date="2024-05-01")
    w.add("ssd_cp_plans", cppl_person_id="new", cppl_cp_plan_start_date="2024-08-15")
    return w


def test_reviews_in_timescale(reviews):
    # 30 June: ontime met (next due 30 Oct), late not: 1 of 2 ("new" has not started yet).
    assert reviews.figure("cp_reviews_in_timescale_pct", "2024-06-30") == (1, 2, 50.0)
    # 31 Oct: ontime's second review was due by 30 Oct and not held; "new" started after 31 Jul: excluded.
    assert reviews.figure("cp_reviews_in_timescale_pct", "2024-10-31") == (0, 2, 0.0)


def test_review_exceptions(reviews):
    rows = reviews.exceptions("cp_reviews_in_timescale_pct", "2024-10-31").set_index("person_id")
    assert rows.loc["ontime", "due_date"] == d("2024-10-30")
    assert rows.loc["ontime", "status"] == "overdue"
    assert rows.loc["late", "due_date"] == d("2024-11-01")  # 6 months after the late review
    assert rows.loc["late", "status"] == "approaching"  # 1 working day away
    # "new" is due 15 Nov, 11 working days away: outside the 10-day approaching window.
    assert "new" not in rows.index


@pytest.fixture(scope="module")
def lookback():
    """Each child's first review was late; only a missed deadline in the 12 months to the period end counts, those
    months running as the rolling12 basis (to 31 Mar 2025 from 1 Apr 2024; to 28 Feb 2025 from 1 Mar 2024)."""
    w = Built()
    for pid, start, reviews in [
        # start 1 Jan 2024: first review due 1 Apr 2024, held 2 Apr (late); 2 Oct in time (<= 2 Oct); next due 2 Apr 2025.
        ("apr1", "2024-01-01", ["2024-04-02", "2024-10-02"]),
        # start 31 Dec 2023: due 31 Mar 2024, exactly 12 months before 31 Mar 2025; held 1 Apr (late); 1 Oct in time.
        ("mar31", "2023-12-31", ["2024-04-01", "2024-10-01"]),
        # start 1 Dec 2023: due 1 Mar 2024, held 2 Mar (late); 2 Sep in time; 20 Feb 2025 in time (<= 2 Mar 2025).
        ("mar1", "2023-12-01", ["2024-03-02", "2024-09-02", "2025-02-20"]),
        # start 29 Nov 2023: due on the leap day 29 Feb 2024, held 1 Mar (late); 1 Sep and 20 Feb 2025 in time.
        ("feb29", "2023-11-29", ["2024-03-01", "2024-09-01", "2025-02-20"]),
    ]:
        w.child(pid)
        plan = w.add("ssd_cp_plans", cppl_person_id=pid, cppl_cp_plan_start_date=start)
        for day in reviews:
            w.add("ssd_cp_reviews", cppr_person_id=pid, cppr_cp_plan_id=plan, cppr_cp_review_date=day)
    return w


def test_reviews_late_before_the_12_month_look_back_no_longer_count(lookback):
    # 31 Mar 2025 (from 1 Apr 2024): apr1's missed 1 Apr 2024 counts; mar31's 31 Mar 2024 is a day before the 12
    # months, as are mar1's and feb29's deadlines: 3 of 4.
    assert lookback.figure("cp_reviews_in_timescale_pct", "2025-03-31") == (3, 4, 75.0)
    # 28 Feb 2025 (from 1 Mar 2024, not the leap day): mar1 (1 Mar), mar31 and apr1 count against; feb29's 29 Feb 2024
    # is a day before the 12 months: 1 of 4.
    assert lookback.figure("cp_reviews_in_timescale_pct", "2025-02-28") == (1, 4, 25.0)


@pytest.fixture(scope="module")
def visits():
    w = Built()
    for pid, start, seen in [
        ("v9", "2024-01-02", "2024-03-15"),
        ("v10", "2024-01-02", "2024-03-14"),
        ("v11", "2024-01-02", "2024-03-13"),
        ("new", "2024-03-25", None),
    ]:
        w.child(pid)
        w.add("ssd_cp_plans", cppl_person_id=pid, cppl_cp_plan_start_date=start)
        if seen:
            w.add("ssd_cp_visits", cppv_person_id=pid, cppv_cp_visit_date=seen, cppv_cp_visit_seen="Y")
    w.add(
        "ssd_cp_visits",
        cppv_person_id="v11",
        cppv_cp_visit_date="2024-03-27",
        cppv_cp_visit_seen="N",
        cppv_ext_not_seen_reason="Family not at home",
    )
    w.allocate("v11", "W7", "T3", "2024-01-02")
    return w


def test_cp_visits_in_timescale(visits):
    # Period end Sun 31 Mar 2024 (Good Friday 29 Mar). Working days since 15 Mar: 9; since 14 Mar: 10 (in time);
    # since 13 Mar: 11 (late). "new" started 25 Mar, 3 working days before: not yet due, excluded.
    num, den, value = visits.figure("cp_visits_in_timescale_pct", "2024-03-31")
    assert (num, den) == (2, 3)
    assert value == pytest.approx(200 / 3)


def test_cp_visit_exceptions_name_the_reason(visits):
    rows = visits.exceptions("cp_visits_in_timescale_pct", "2024-03-31").set_index("person_id")
    # v11: seen 13 Mar, due on the 10th working day after, Wed 27 Mar; a working day (28 Mar) has passed since.
    assert rows.loc["v11", "status"] == "overdue"
    assert rows.loc["v11", "due_date"] == d("2024-03-27")
    assert rows.loc["v11", "days_overdue"] == 4
    assert rows.loc["v11", "reason"] == "Family not at home"
    assert (rows.loc["v11", "team_id"], rows.loc["v11", "worker_id"]) == ("T3", "W7")
    # v10: due Thu 28 Mar, the last working day before the period end: approaching, not overdue.
    assert rows.loc["v10", "status"] == "approaching"
