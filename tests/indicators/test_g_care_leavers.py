"""Section G: care leavers (OC3 cohorts by the birthday in the period), on hand-built young people."""

import pytest

from tests.indicators.builder import Built, d


def looked_after(w: Built, pid: str, dob: str, start: str, end: str | None, ls: str = "C2", rec: str = "E8") -> None:
    w.child(pid, dob=dob)
    w.add(
        "ssd_cla_episodes",
        clae_person_id=pid,
        clae_cla_id=f"poc-{pid}",
        clae_cla_episode_start_date=start,
        clae_cla_episode_start_reason="S",
        clae_ext_legal_status=ls,
        clae_cla_episode_ceased_date=end,
        clae_cla_episode_ceased_reason=rec if end else None,
    )


def record(w: Built, pid: str, date: str, in_touch=None, accom=None, activity=None, suitable=None, review=None, team=None) -> None:
    w.add(
        "ssd_care_leavers",
        clea_person_id=pid,
        clea_ext_record_date=date,
        clea_care_leaver_in_touch=in_touch,
        clea_care_leaver_accommodation=accom,
        clea_care_leaver_accom_suitable=suitable,
        clea_care_leaver_activity=activity,
        clea_pathway_plan_review_date=review,
        clea_care_leaver_allocated_team=team,
    )


@pytest.fixture(scope="module")
def leavers():
    w = Built()
    # Birthdays in April 2024; the period end is Tue 30 Apr 2024, 6 months before it is 30 Oct 2023.
    looked_after(w, "c17", "2007-04-10", "2021-01-01", "2023-12-01")  # 17 on 10 Apr, left care at 16
    record(w, "c17", "2024-04-10", "YES", "D1", "F2", review="2023-10-30", team="TL")  # review exactly 6 months before
    looked_after(w, "c18", "2006-04-05", "2020-01-01", "2024-04-05")  # left care on the 18th birthday itself
    record(w, "c18", "2024-01-20", "NO", "G1", "G5", review="2023-10-29")  # 2.5 months before: in the window
    record(w, "c18", "2023-04-05", "YES", "U1", "F1")  # last year's record: outside the window
    looked_after(w, "c17la", "2007-04-15", "2022-01-01", None)  # still looked after on the birthday: no OC3
    # 13 weeks after the 14th birthday: 1 Oct -> 30 Dec 2022 = 31 + 30 + 29 = 90 days (not eligible); to 31 Dec = 91.
    looked_after(w, "c13a", "2006-04-12", "2022-10-01", "2022-12-30")
    record(w, "c13a", "2024-04-12", "YES", "U1", "F1")
    looked_after(w, "c13b", "2006-04-13", "2022-10-01", "2022-12-31")
    record(w, "c13b", "2024-04-13", "YES", "B1", "G4", suitable="Y", review="2024-03-01")
    record(w, "c13b", "2024-05-10", "NO", "S2", "G5", review="2024-05-08")  # further from the birthday; review after the end
    looked_after(w, "c16", "2007-04-02", "2021-05-01", "2023-03-01")  # nothing after the 16th birthday
    looked_after(w, "csb", "2006-04-20", "2021-01-01", "2023-01-01", ls="V3")  # short breaks only
    looked_after(w, "c20", "2004-04-25", "2018-06-01", "2022-04-25")
    record(w, "c20", "2024-04-25", "REFU", "R2", "P4")  # residence not known: out of the suitability denominator
    looked_after(w, "c21", "2003-04-30", "2017-05-01", "2021-04-30")  # 21 on the period end
    record(w, "c21", "2024-04-30", "YES", "S2", "F5")
    record(w, "c21", "2024-01-10", review="2024-01-10")  # the latest review can come from another record
    w.allocate("c21", "W9", "T9", "2023-01-01")
    looked_after(w, "c19n", "2005-04-08", "2019-06-01", "2023-04-08")  # no record at all
    looked_after(w, "cnreq", "2005-04-09", "2019-06-01", "2023-04-09")
    record(w, "cnreq", "2024-04-09", "NREQ", "U1", "0", suitable="Y")
    looked_after(w, "crhom", "2005-04-14", "2019-06-01", "2023-04-14")
    # Returned home (E4A) on 1 Oct 2023, 6 months and more before the 17th birthday, no record: taken as RHOM.
    looked_after(w, "chome", "2007-04-03", "2021-06-01", "2023-10-01", rec="E4A")
    record(w, "crhom", "2024-04-14", "RHOM", "B1", "F1")
    w.add("ssd_person", pers_person_id="cdied", pers_dob="2005-04-11", pers_death_date="2024-03-01", pers_ext_la_code="874")
    w.add(
        "ssd_cla_episodes",
        clae_person_id="cdied",
        clae_cla_id="poc-cdied",
        clae_cla_episode_start_date="2019-06-01",
        clae_cla_episode_ceased_date="2023-04-11",
        clae_cla_episode_ceased_reason="E8",
        clae_ext_legal_status="C2",
    )  # died on 1 Mar 2024, before the 19th birthday on 11 April
    # Born 29 Feb 2004: the 18th and 19th birthdays fall on 28 Feb (2022, 2023).
    looked_after(w, "c29", "2004-02-29", "2018-06-01", "2022-02-28")
    record(w, "c29", "2023-02-28", "YES", "U1", "F1")
    return w


# April 2024 cohort: c17, c18, c13b (17-18); c20, c21, c19n, cnreq (19-21). Out: c17la (looked after on the
# birthday), c13a (90 days), c16 (not after 16), csb (short breaks), crhom and chome (returned home), cdied (died).


def test_in_touch(leavers):
    # YES: c17, c13b, c21. NO, REFU, NREQ and no record stay in the denominator.
    num, den, _ = leavers.figure("care_leavers_in_touch_pct", "2024-04-30")
    assert (num, den) == (3, 7)


def test_in_touch_by_age_group(leavers):
    frame = leavers.results(["care_leavers_in_touch_pct"], "2024-04-30", breakdowns=("age_group",))
    got = {r.breakdown_value: (r.numerator, r.denominator) for r in frame.itertuples()}
    assert got == {"17-18": (2, 3), "19-21": (1, 4)}


def test_team_from_the_record_else_the_allocation(leavers):
    frame = leavers.results(["care_leavers_in_touch_pct"], "2024-04-30", breakdowns=("team",))
    got = {r.breakdown_value: (r.numerator, r.denominator) for r in frame.itertuples()}
    assert got == {"TL": (1, 1), "T9": (1, 1), "unallocated": (1, 5)}


def test_suitable_accommodation_excludes_abroad_and_not_known(leavers):
    # Denominator without c18 (G1, abroad) and c20 (R2, not known): c17, c13b, c21, c19n, cnreq.
    # Suitable: c17 (D1, by suffix), c13b (recorded Y), cnreq (Y); not: c21 (S2), c19n (no record).
    assert leavers.figure("care_leavers_suitable_accom_pct", "2024-04-30") == (3, 5, 60.0)


def test_eet(leavers):
    # F2 (c17), P4 (c20), F5 (c21); not: G5, G4, "0", no record.
    num, den, _ = leavers.figure("care_leavers_eet_pct", "2024-04-30")
    assert (num, den) == (3, 7)


def test_pathway_plan_within_6_months_to_the_day(leavers):
    # Since 30 Oct 2023: c17 (30 Oct), c13b (1 Mar; its 8 May review is after the period end), c21 (10 Jan).
    # Not: c18 (29 Oct, one day early), c20, c19n, cnreq (none).
    num, den, _ = leavers.figure("care_leavers_pathway_plan_pct", "2024-04-30")
    assert (num, den) == (3, 7)


def test_pathway_plan_written_while_still_looked_after_counts():
    # The review may be in ext_pathway_plan (written before the young person left care), not in ssd_care_leavers.
    # Period end Tue 30 Apr 2024; 6 months before is 30 Oct 2023. Each is 17 in April 2024, left care at 16.
    w = Built()
    for pid, dob, plan in (
        ("e1", "2007-04-10", "2023-10-30"),  # the last plan on the boundary day: met
        ("e2", "2007-04-11", "2023-10-29"),  # the day before it: not met
        ("e3", "2007-04-12", "2024-05-01"),  # after the period end only: not met
    ):
        looked_after(w, pid, dob, "2021-01-01", "2023-12-01")
        record(w, pid, "2024-04-20", "YES", "D1", "F2")  # in touch, no review recorded on the care leaver's record
        w.add("ext_pathway_plan", papl_plan_id=f"{pid}-p", papl_person_id=pid, papl_plan_date=plan, papl_plan_type="REVIEW")
    assert w.figure("care_leavers_pathway_plan_pct", "2024-04-30")[:2] == (1, 3)


def test_pathway_plan_exceptions(leavers):
    rows = leavers.exceptions("care_leavers_pathway_plan_pct", "2024-04-30").set_index("person_id")
    # The cohort of the 12 months to 30 April: the April cohort and c29 (20 on 29 Feb 2024).
    assert set(rows.index) == {"c17", "c18", "c20", "c19n", "cnreq", "c29"}
    # c18: due 29 Oct 2023 + 6 months = Mon 29 Apr 2024, 1 day overdue.
    assert rows.loc["c18", "event_id"] == "2024-04-05"  # the event is the birthday
    assert (rows.loc["c18", "status"], rows.loc["c18", "due_date"], rows.loc["c18", "days_overdue"]) == ("overdue", d("2024-04-29"), 1)
    # c17: due 30 Apr 2024, the period end: approaching. c20: no review, due when it left care.
    assert (rows.loc["c17", "status"], rows.loc["c17", "due_date"]) == ("approaching", d("2024-04-30"))
    assert (rows.loc["c20", "due_date"], rows.loc["c20", "reason"]) == (d("2022-04-25"), "no pathway plan review recorded")


def test_29_february_birthday_falls_on_28_february(leavers):
    assert leavers.figure("care_leavers_in_touch_pct", "2023-02-28") == (1, 1, 100.0)
    assert leavers.figure("care_leavers_in_touch_pct", "2023-03-31") == (0, 0, None)


def test_year_basis_counts_each_young_person_once(leavers):
    # 1 May 2023 - 30 Apr 2024 (rolling 12): the April cohort and c29, 20 on Thu 29 Feb 2024, with no record
    # near that birthday (its 2023 record is a year away): in the denominator, not in touch.
    num, den, _ = leavers.figure("care_leavers_in_touch_pct", "2024-04-30", basis="rolling12")
    assert (num, den) == (3, 8)
