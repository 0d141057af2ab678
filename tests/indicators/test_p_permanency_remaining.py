"""Section P, the spec's measures added last (D-F21, D-F25, D-F26, D-A10, D-P4, D-P5, D-P10, D-P11, D-L3-L6 and the
standards T1, T13, T15), on hand-built records worked out in the comments. Period end 31 March 2024 (month = March
2024; year to date from 1 April 2023) unless said."""

import pytest

from tests.indicators.builder import Built, d
from tests.indicators.test_f_adoption import care
from tests.indicators.test_p_permanency import placed
from tests.indicators.test_p_permanency_detailed import _listed

END = "2024-03-31"


def _service(w: Built, pid: str, start: str, end: str | None = None) -> None:
    w.add(
        "ext_service_responsibility",
        serv_person_id=pid,
        serv_service="PERMANENCY",
        serv_responsibility_start_date=start,
        serv_responsibility_end_date=end,
    )


def _dob(w: Built, pid: str, dob: str) -> None:
    w.con.execute(f"UPDATE ssd_person SET pers_dob = DATE '{dob}' WHERE pers_person_id = '{pid}'")


def test_children_matched_for_permanency_at_panel_over_all_children_in_care():
    w = Built()
    placed(w, "c1", "pc1", "U4", "PR1", "2023-01-01")  # looked after throughout
    placed(w, "c2", "pc2", "U4", "PR1", "2023-01-01", end="2023-05-31")  # left in May 2023: in the year, not March
    placed(w, "c4", "pc4", "U4", "PR1", "2022-01-01", end="2023-03-31")  # left the day before the year began
    placed(w, "c5", "pc5", "U4", "PR1", "2023-01-01")
    for pid, heard, item in (
        ("c1", "2024-03-31", "PERMANENT_MATCH"),  # the last day of the period
        ("c2", "2023-04-01", "PERMANENT_MATCH"),  # the first day of the year
        ("c4", "2023-03-31", "PERMANENT_MATCH"),  # before the year (and c4 is not in care in it)
        ("c5", "2024-04-01", "PERMANENT_MATCH"),  # the day after the period
        ("c5", "2024-03-10", "REVIEW"),  # another kind of item
    ):
        w.add("ext_fostering_panel", fopa_item_type=item, fopa_person_id=pid, fopa_panel_date=heard)
    # March: c1 and c5 in care, c1 matched. Year: c1, c2 and c5 in care, c1 and c2 matched.
    assert w.figure("perm_children_matched_at_panel_pct", END) == (1, 2, 50.0)
    num, den, _ = w.figure("perm_children_matched_at_panel_pct", END, basis="ytd")
    assert (num, den) == (2, 3)


def test_health_reviews_informed_by_an_sdq():
    w = Built()
    reviews = {  # child: (review health assessment, status, SDQs as (date, score))
        "h1": ("2024-03-10", None, [("2023-03-11", "12")]),  # 12 months less a day before: informed
        "h2": ("2024-03-10", None, [("2023-03-10", "12")]),  # exactly 12 months before: outside the 12 months
        "h3": ("2024-03-15", None, [("2024-03-16", "9")]),  # the day after the review: not informed
        "h4": ("2024-03-20", "Refused", [("2024-03-01", "9")]),  # not undertaken
        "h5": ("2024-02-29", None, [("2023-02-28", "8")]),  # leap day: 12 months back is 28 Feb 2023, outside
        "h6": ("2024-02-29", "Completed", [("2023-03-01", "8")]),  # inside
    }
    for pid, (held, status, sdqs) in reviews.items():
        w.child(pid)
        w.add(
            "ssd_cla_health", clah_person_id=pid, clah_health_check_type="RHA", clah_health_check_date=held, clah_health_check_status=status
        )
        for when, score in sdqs:
            w.add("ssd_sdq_scores", csdq_person_id=pid, csdq_sdq_completed_date=when, csdq_sdq_score=score)
    # h3 also has an SDQ recorded as not done (reason, no score) before the review: it does not inform it.
    w.add("ssd_sdq_scores", csdq_person_id="h3", csdq_sdq_completed_date="2024-01-01", csdq_sdq_reason="SDQ1")
    num, den, _ = w.figure("perm_health_reviews_with_sdq_pct", END)  # March: h1, h2, h3
    assert (num, den) == (1, 3)
    assert w.figure("perm_health_reviews_with_sdq_pct", END, basis="ytd") == (2, 5, 40.0)  # and h5, h6


def test_review_participation_of_children_aged_four_or_over():
    w = Built()
    w.child("p1", dob="2020-03-15")  # 4 on 15 Mar 2024
    w.child("p2", dob="2020-03-16")  # 4 the day after its review
    w.child("p3", dob="2010-01-01")
    care(w, "p4", [("2023-01-01", "S", "C2", "p4a", "U4")])  # born 2018; its review is keyed by the period of care
    for pid, held, code, cancelled in (
        ("p1", "2024-03-15", "PN1", None),  # on the 4th birthday: participated
        ("p2", "2024-03-15", "PN1", None),  # aged 3: left out
        ("p1", "2024-03-20", "PN7", None),  # did not participate
        ("p3", "2024-03-05", "PN0", None),  # 'under 4' for a 14-year-old: not participation
        ("p3", "2024-03-06", None, None),  # none recorded
        ("p3", "2024-03-07", "PN1", "Y"),  # cancelled: left out
        ("p3", "2023-10-01", "PN5", None),  # the year only: participated
    ):
        w.add(
            "ssd_cla_reviews",
            clar_ext_person_id=pid,
            clar_cla_review_date=held,
            clar_cla_review_participation=code,
            clar_cla_review_cancelled=cancelled,
        )
    w.add("ssd_cla_reviews", clar_cla_id="poc-p4", clar_cla_review_date="2024-03-25", clar_cla_review_participation="PN3")
    # March: p1 15th (yes), p1 20th (no), p3 5th (no), p3 6th (no), p4 (yes). Year: and p3 in October (yes).
    assert w.figure("perm_review_participation_pct", END) == (2, 5, 40.0)
    assert w.figure("perm_review_participation_pct", END, basis="ytd") == (3, 6, 50.0)


def test_children_waiting_to_be_adopted_from_the_adm_decision():
    w = Built()
    for pid in ("w1", "w2", "w4", "w5"):
        care(w, pid, [("2023-01-01", "S", "C2", f"{pid}a", "U6")])
    care(w, "w3", [("2023-01-01", "S", "C2", "w3a", "U6"), ("2024-02-01", "P", "E1", "w3b", "A4")])
    for pid, decided, reversed_ in (
        ("w1", "2023-06-01", None),  # waiting
        ("w2", "2023-06-01", "2024-03-31"),  # reversed on the month end: no longer waiting
        ("w3", "2023-06-01", None),  # placed for adoption in February
        ("w4", "2022-12-01", None),  # a decision before this period of care
        ("w5", "2024-04-01", None),  # decided the day after
    ):
        w.add(
            "ssd_permanence",
            perm_person_id=pid,
            perm_cla_id=f"poc-{pid}",
            perm_adm_decision_date=decided,
            perm_decision_reversed_date=reversed_,
        )
    assert w.figure("perm_waiting_adoption_decision", END) == (1, None, 1)
    assert w.figure("perm_waiting_adoption_decision", "2023-05-31") == (0, None, 0)


@pytest.fixture(scope="module")
def visits():
    """Foster placements (U6, 28(2): 6-weekly) from Mon 1 Jan 2024, as test_e_looked_after's b1 and b2."""
    w = Built()
    plan = {  # child: (the service's from, visits as (date, seen alone))
        "b1": ("2024-01-01", [("2024-01-05", "Y"), ("2024-02-16", "Y"), ("2024-03-29", "Y")]),  # 42 days each: in time
        "b2": ("2024-01-01", [("2024-01-05", "Y"), ("2024-02-17", "N"), ("2024-03-29", "N")]),  # 43 days: late
        "b3": (None, [("2024-01-05", "Y"), ("2024-02-17", "Y"), ("2024-03-29", "Y")]),  # late, not the service's
        "b4": ("2024-01-06", [("2024-01-05", "N"), ("2024-02-16", "N")]),  # next due 29 Mar: overdue at 31 Mar
        "b5": (None, [("2024-01-05", "Y"), ("2024-02-16", "Y")]),  # overdue, not the service's
    }
    for pid, (since, seen) in plan.items():
        care(w, pid, [("2024-01-01", "S", "C2", f"{pid}a", "U6")])
        if since:
            _service(w, pid, since)
        for when, alone in seen:
            w.add("ssd_cla_visits", clav_person_id=pid, clav_cla_visit_date=when, clav_cla_visit_seen="Y", clav_cla_visit_seen_alone=alone)
    # A visit at which b1 was not seen: no visit for either measure.
    w.add("ssd_cla_visits", clav_person_id="b1", clav_cla_visit_date="2024-03-30", clav_cla_visit_seen="N", clav_cla_visit_seen_alone="N")
    return w


def test_the_service_children_with_a_visit_overdue(visits):
    # The service's children at 31 March: b1 (in time), b2 (a late visit), b4 (overdue): 2 of 3.
    num, den, _ = visits.figure("perm_service_visits_overdue_pct", END)
    assert (num, den) == (2, 3)
    rows = visits.exceptions("perm_service_visits_overdue_pct", END)
    assert [(r.person_id, r.status, r.due_date) for r in rows.itertuples()] == [("b4", "overdue", d("2024-03-29"))]


def test_visits_to_the_service_children_seen_alone(visits):
    # March: b1's 29th (alone) and b2's 29th (not). Year: b1 3 of 3, b2 1 of 3, b4 0 of 1 (its 5 Jan visit was the
    # day before the service became responsible).
    assert visits.figure("perm_service_visits_seen_alone_pct", END) == (1, 2, 50.0)
    assert visits.figure("perm_service_visits_seen_alone_pct", END, basis="ytd") == (4, 7, pytest.approx(400 / 7))
    # Listed: the service's visits of the 12 months not alone: b2's 17 Feb and 29 Mar (b4's 5 Jan was before the
    # service; b4's 16 Feb not alone too).
    rows = visits.exceptions("perm_service_visits_seen_alone_pct", END)
    listed = sorted((r.person_id, str(r.start_date), r.status) for r in rows.itertuples())
    assert listed == [("b2", "2024-02-17", "overdue"), ("b2", "2024-03-29", "overdue"), ("b4", "2024-02-16", "overdue")]


def test_the_service_children_reviews_not_in_time():
    w = Built()
    # r1 from Thu 1 Jun 2023: the first review is due on the 20th working day, Thu 29 Jun (held then: in time, but
    # before the service was responsible); the second within 3 months of it, by 29 Sep (held 30 Sep: late); the
    # third within 6 months, by 30 Mar 2024 (held 28 Mar: in time).
    care(w, "r1", [("2023-06-01", "S", "C2", "r1a", "U4")])
    _service(w, "r1", "2023-07-01")
    care(w, "r2", [("2023-06-01", "S", "C2", "r2a", "U4")])  # not the service's: late reviews not counted
    for pid, dates in (("r1", ("2023-06-29", "2023-09-30", "2024-03-28")), ("r2", ("2023-07-29", "2023-12-30"))):
        for held in dates:
            w.add("ssd_cla_reviews", clar_cla_id=f"poc-{pid}", clar_cla_review_date=held)
    assert w.figure("perm_service_reviews_late_pct", END) == (0, 1, 0.0)
    assert w.figure("perm_service_reviews_late_pct", END, basis="ytd") == (1, 2, 50.0)


def test_the_service_children_not_in_education_and_not_on_target():
    w = Built()
    kids = {  # child: (dob, the service's, records as (date, in education, on target))
        "e1": ("2018-12-31", True, [("2024-01-10", "N", "N")]),  # 5 on 31 Dec 2023: compulsory from that day
        "e2": ("2019-01-01", True, [("2024-01-10", "N", "Y")]),  # 5 on 1 Jan 2024: compulsory from 31 Mar 2024
        "e3": ("2019-04-01", True, [("2024-01-10", "N", "N")]),  # 5 on 1 Apr 2024: in reception, not compulsory yet
        "e4": ("2008-04-01", True, [("2024-01-10", "N", None)]),  # year 11; on target not recorded
        "e5": ("2007-08-31", True, [("2024-01-10", "N", "N")]),  # past year 11
        "e6": ("2015-01-01", True, [("2023-06-01", "N", "N"), ("2024-01-10", "Y", "Y")]),  # the latest record counts
        "e7": ("2015-01-01", True, [("2024-04-01", "N", "N")]),  # recorded after the period end
        "e8": ("2015-01-01", False, [("2024-01-10", "N", "N")]),  # not the service's
    }
    for pid, (dob, ours, records) in kids.items():
        care(w, pid, [("2022-01-01", "S", "C2", f"{pid}a", "U4")])
        _dob(w, pid, dob)
        if ours:
            _service(w, pid, "2023-01-01")
        for when, in_education, on_target in records:
            w.add("ext_cla_education", cled_person_id=pid, cled_record_date=when, cled_in_education=in_education, cled_on_target=on_target)
    assert w.figure("perm_service_not_in_education", END) == (3, None, 3)  # e1, e2, e4
    assert w.figure("perm_service_not_in_education", "2024-02-29") == (2, None, 2)  # e1, e4: e2 not yet compulsory
    assert w.figure("perm_service_not_on_target", END) == (2, None, 2)  # e1, e3


def test_the_service_children_without_an_sdq():
    w = Built()
    kids = {  # child: (dob, the service's, SDQs as (date, score, reason))
        "s1": ("2018-01-01", True, [("2023-04-01", "10", None)]),  # within the 12 months to 31 Mar 2024
        "s2": ("2018-01-01", True, [("2023-03-31", "10", None)]),  # 12 months and a day before: counted
        "s3": ("2020-03-31", True, []),  # 4 on the period end: counted
        "s4": ("2020-04-01", True, []),  # 3: not of SDQ age
        "s5": ("2007-04-01", True, []),  # 16 (17 the next day): counted
        "s6": ("2007-03-31", True, []),  # 17 on the period end: not of SDQ age
        "s7": ("2018-01-01", False, []),  # not the service's
        "s8": ("2018-01-01", True, [("2024-01-01", None, "SDQ1")]),  # recorded as not done: counted
    }
    for pid, (dob, ours, sdqs) in kids.items():
        care(w, pid, [("2022-01-01", "S", "C2", f"{pid}a", "U4")])
        _dob(w, pid, dob)
        if ours:
            _service(w, pid, "2023-01-01")
        for when, score, reason in sdqs:
            w.add("ssd_sdq_scores", csdq_person_id=pid, csdq_sdq_completed_date=when, csdq_sdq_score=score, csdq_sdq_reason=reason)
    assert w.figure("perm_service_no_sdq", END) == (4, None, 4)  # s2, s3, s5, s8


def test_the_service_children_without_a_qualified_social_worker():
    w = Built()
    for wid, qualified, left in (("W1", "Y", None), ("W2", "N", None), ("W3", "Y", "2024-03-15")):
        w.add("ssd_professionals", prof_professional_id=wid, prof_ext_qualified_flag=qualified, prof_ext_end_date=left)
    for pid in ("q1", "q2", "q3", "q4", "q5", "q6"):
        care(w, pid, [("2022-01-01", "S", "C2", f"{pid}a", "U4")])
        if pid != "q6":
            _service(w, pid, "2023-01-01")
    w.allocate("q1", "W1", "T1", "2023-01-01")  # a qualified social worker: allocated
    w.allocate("q2", "W2", "T1", "2023-01-01")  # not qualified
    w.allocate("q3", "W1", "T1", "2023-01-01", "2024-03-31")  # allocation ended on the period end
    w.allocate("q4", "W3", "T1", "2023-01-01")  # the worker left in March
    # q5 has no allocation; q6 (not allocated either) is not the service's.
    assert w.figure("perm_service_no_social_worker", END) == (4, None, 4)


def test_the_service_care_leavers_neet_accommodation_and_contact():
    w = Built()
    leavers = {  # young person: (dob, left care, the service's from-to, record: in touch, activity, suitable)
        "cl1": ("2005-06-15", "2023-06-15", ("2019-01-01", None), ("YES", "F1", "Y")),  # 18 on 15 Jun 2023
        "cl2": ("2004-09-01", "2022-09-01", ("2019-01-01", None), ("NO", "G4", "N")),  # 19 on 1 Sep 2023
        "cl3": ("2005-06-15", "2023-06-15", None, ("NO", "G4", "N")),  # not the service's
        "cl4": ("2004-09-01", "2022-09-01", ("2019-01-01", "2023-09-01"), ("NO", "G4", "N")),  # ended on the birthday
        "cl5": ("2005-07-01", "2023-07-01", ("2019-01-01", None), (None, None, None)),  # nothing known
    }
    for pid, (dob, left, held, (touch, activity, suitable)) in leavers.items():
        care(w, pid, [("2019-01-01", "S", "C2", f"{pid}a", "U4")], end=left, rec="E8")
        _dob(w, pid, dob)
        if held:
            _service(w, pid, *held)
        birthday = (d(dob).replace(year=d(dob).year + (18 if pid in ("cl1", "cl3", "cl5") else 19))).isoformat()
        w.add(
            "ssd_care_leavers",
            clea_person_id=pid,
            clea_ext_record_date=birthday,
            clea_care_leaver_in_touch=touch,
            clea_care_leaver_activity=activity,
            clea_care_leaver_accom_suitable=suitable,
        )
    # The service's care leavers with a birthday in 2023-24: cl1, cl2, cl5.
    assert w.figure("perm_service_care_leavers_neet_pct", END, basis="year")[:2] == (1, 3)  # cl2 (cl5 not known)
    assert w.figure("perm_service_care_leavers_suitable_accom_pct", END, basis="year")[:2] == (1, 3)  # cl1
    assert w.figure("perm_service_care_leavers_not_in_touch_pct", END, basis="year")[:2] == (2, 3)  # cl2, cl5


def test_the_service_care_leavers_staying_put():
    w = Built()
    for pid, ours, begin, ended in (
        ("sp1", ("2020-01-01", None), "2023-06-01", None),  # throughout
        ("sp2", ("2020-01-01", None), "2023-06-01", "2024-03-01"),  # its last day the first of March: counted in March
        ("sp3", ("2020-01-01", None), "2023-06-01", "2024-02-29"),  # left on the leap day: the year only
        ("sp4", ("2020-01-01", "2023-03-31"), "2022-06-01", None),  # the service's until the year began
        ("sp5", None, "2023-06-01", None),  # not the service's
        ("sp6", ("2020-01-01", None), "2024-04-01", None),  # starts the day after
    ):
        w.child(pid, dob="2005-01-01")
        if ours:
            _service(w, pid, *ours)
        w.add("ext_staying_put", stpu_person_id=pid, stpu_start_date=begin, stpu_end_date=ended)
    assert w.figure("perm_service_care_leavers_staying_put", END) == (2, None, 2)  # sp1, sp2
    assert w.figure("perm_service_care_leavers_staying_put", END, basis="ytd") == (3, None, 3)  # and sp3


def test_the_service_care_leavers_under_18_with_a_pathway_plan_in_6_months():
    w = Built()
    for pid, dob, ours, reviewed in (
        ("pp1", "2007-06-01", True, "2023-10-01"),  # 16; reviewed after 30 Sep 2023: met
        ("pp2", "2007-06-01", True, "2023-09-29"),  # 16; reviewed before 30 Sep: not met
        ("pp3", "2006-04-01", True, "2024-01-01"),  # 17 (18 the next day): met
        ("pp4", "2008-04-01", True, "2024-01-01"),  # 15: not a care leaver yet
        ("pp5", "2007-06-01", False, "2024-01-01"),  # not the service's
        ("pp6", "2007-06-01", True, "2023-09-30"),  # 16; reviewed on the day 6 months before 31 Mar: met
    ):
        care(w, pid, [("2020-01-01", "S", "C2", f"{pid}a", "U4")])
        _dob(w, pid, dob)
        if ours:
            _service(w, pid, "2020-06-01")
        w.add("ssd_care_leavers", clea_person_id=pid, clea_pathway_plan_review_date=reviewed)
    # still looked after, so the plans are in ext_pathway_plan (the other source of reviews): the same boundary
    for pid, plans in (
        ("pq1", [("2023-03-01", "PLAN"), ("2023-09-30", "REVIEW")]),  # reviewed on the boundary day: met
        ("pq2", [("2023-03-01", "PLAN"), ("2023-09-29", "REVIEW")]),  # the day before it: not met
        ("pq3", [("2023-09-29", "PLAN"), ("2024-04-01", "REVIEW")]),  # the review after the period end does not count
    ):
        care(w, pid, [("2020-01-01", "S", "C2", f"{pid}a", "U4")])
        _dob(w, pid, "2007-06-01")
        _service(w, pid, "2020-06-01")
        for n, (day, kind) in enumerate(plans):
            w.add("ext_pathway_plan", papl_plan_id=f"{pid}-{n}", papl_person_id=pid, papl_plan_date=day, papl_plan_type=kind)
    num, den, _ = w.figure("perm_service_pathway_plans_under_18_pct", END)
    assert (num, den) == (4, 7)  # pp1, pp3, pp6, pq1 of pp1-pp3, pp6, pq1-pq3


def test_the_service_children_with_a_pathway_plan_by_15():
    w = Built()
    for pid, dob, ours, plan in (
        ("f1", "2009-03-31", True, "2024-03-31"),  # 15 on the period end, planned that day: met
        ("f2", "2009-03-15", True, "2024-03-16"),  # planned the day after the birthday: not met
        ("f3", "2008-04-01", True, "2022-01-01"),  # 15 on the first day of the year: met
        ("f4", "2009-04-01", True, "2023-01-01"),  # 15 the day after the period
        ("f5", "2009-03-20", False, "2023-01-01"),  # not the service's
        ("f6", "2008-02-29", True, None),  # born on a leap day: 15 on 28 Feb 2023
    ):
        care(w, pid, [("2019-01-01", "S", "C2", f"{pid}a", "U4")])
        _dob(w, pid, dob)
        if ours:
            _service(w, pid, "2020-01-01")
        if plan:
            w.add("ssd_care_leavers", clea_person_id=pid, clea_pathway_plan_review_date=plan)
    assert w.figure("perm_service_pathway_plan_by_15_pct", END) == (1, 2, 50.0)  # f1, f2
    num, den, _ = w.figure("perm_service_pathway_plan_by_15_pct", END, basis="ytd")  # and f3
    assert (num, den) == (2, 3)
    assert w.figure("perm_service_pathway_plan_by_15_pct", "2023-02-28") == (0, 1, 0.0)  # f6
    # Listed at 31 March 2024: birthdays from 1 April 2023 without a plan by then: f2 (f6's was 28 Feb 2023, before).
    rows = w.exceptions("perm_service_pathway_plan_by_15_pct", END)
    assert [(r.person_id, str(r.start_date), r.status) for r in rows.itertuples()] == [("f2", "2024-03-15", "overdue")]


def test_the_service_children_initial_health_assessments():
    w = Built()
    # i1 from Thu 1 Feb 2024: the 20th working day is Thu 29 Feb (leap day); assessed that day: in time.
    # i2 from Mon 5 Feb: due Mon 4 Mar; assessed 5 Mar (21 working days): late.
    # i3 from Mon 5 Feb, due 4 Mar, but the service responsible only from 5 Mar: left out, and listed (no IHA yet).
    # i4, not the service's, has no IHA either: not listed.
    for pid, start, ours, iha in (
        ("i1", "2024-02-01", "2024-02-29", "2024-02-29"),
        ("i2", "2024-02-05", "2024-02-05", "2024-03-05"),
        ("i3", "2024-02-05", "2024-03-05", None),
        ("i4", "2024-02-05", None, None),
    ):
        care(w, pid, [(start, "S", "C2", f"{pid}a", "U6")])
        if ours:
            _service(w, pid, ours)
        if iha:
            w.add("ssd_cla_health", clah_person_id=pid, clah_health_check_type="IHA", clah_health_check_date=iha)
    assert w.figure("perm_service_iha_20wd_pct", END) == (0, 1, 0.0)  # i2
    assert w.figure("perm_service_iha_20wd_pct", END, basis="ytd") == (1, 2, 50.0)  # i1, i2
    rows = w.exceptions("perm_service_iha_20wd_pct", END)
    assert [(r.person_id, r.status) for r in rows.itertuples()] == [("i3", "overdue")]


def test_visits_to_the_service_children_recorded_within_72_hours():
    w = Built()
    care(w, "v1", [("2023-01-01", "S", "C2", "v1a", "U4")])
    care(w, "v2", [("2023-01-01", "S", "C2", "v2a", "U4")])
    _service(w, "v1", "2024-03-05")
    for vid, pid, visited, entries in (
        ("V0", "v1", "2024-03-04", ["2024-03-04"]),  # the day before the service was responsible: left out
        ("V1", "v1", "2024-03-05", ["2024-03-08"]),  # the third day after: in time
        ("V2", "v1", "2024-03-10", ["2024-03-14"]),  # the fourth: late
        ("V3", "v1", "2024-03-20", []),  # never entered: late
        ("V4", "v1", "2024-03-25", ["2024-03-29", "2024-03-25"]),  # entered the same day (the first entry counts)
        ("V5", "v2", "2024-03-06", []),  # not the service's child
        ("V6", "v1", "2024-03-30", []),  # not entered yet, due by 2 April
    ):
        w.add("ssd_cla_visits", clav_cla_visit_id=vid, clav_person_id=pid, clav_cla_visit_date=visited, clav_cla_visit_seen="Y")
        for entered in entries:
            w.add("ext_record_entry", reen_table="ssd_cla_visits", reen_record_id=vid, reen_person_id=pid, reen_entered_date=entered)
    assert w.figure("perm_service_visits_recorded_72h_pct", END) == (2, 5, 40.0)
    assert _listed(w, "perm_service_visits_recorded_72h_pct") == {("V3", "overdue", "2024-03-23"), ("V6", "approaching", "2024-04-02")}


def test_in_house_placement_changes_recorded_within_24_and_72_hours():
    w = Built()
    w.add("ext_fostering_household", fohh_household_id="H1", fohh_approval_date="2020-01-01")
    for pid, start, provider, entered in (
        ("pA", "2024-03-01", "PR1", "2024-03-02"),  # the next day: within 24 hours
        ("pB", "2024-03-01", "PR1", "2024-03-03"),  # the second day: within 72 hours only
        ("pC", "2024-03-28", "PR1", "2024-04-01"),  # the fourth day: late either way
        ("pD", "2024-03-10", "PR1", None),  # never entered
        ("pE", "2024-03-10", "PR4", "2024-03-10"),  # an agency placement: not the service's
        ("pF", "2024-03-31", "PR1", None),  # started on the period end: not entered yet, due the next day
    ):
        placed(w, pid, f"{pid}-1", "U6", provider, start)
        if provider == "PR1":
            w.add("ext_cla_placement_carer", plca_placement_id=f"{pid}-1", plca_household_id="H1")
        if entered:
            w.add("ext_record_entry", reen_table="ssd_cla_placement", reen_record_id=f"{pid}-1", reen_entered_date=entered)
    assert w.figure("perm_placement_changes_recorded_24h_pct", END) == (1, 5, 20.0)
    assert w.figure("perm_placement_changes_recorded_72h_pct", END) == (2, 5, 40.0)
    # Not entered by 31 March: pC (entered 1 April), pD, pF.
    assert _listed(w, "perm_placement_changes_recorded_24h_pct") == {
        ("pC-1", "overdue", "2024-03-29"),
        ("pD-1", "overdue", "2024-03-11"),
        ("pF-1", "approaching", "2024-04-01"),
    }


def test_physical_interventions_notified_by_the_next_working_day():
    w = Built()
    for pid in ("i1", "i2"):
        care(w, pid, [("2023-01-01", "S", "C2", f"{pid}a", "U4")])
    _service(w, "i1", "2024-01-01")
    for iid, pid, happened, notified in (
        ("I1", "i1", "2024-03-28", "2024-04-02"),  # Thu before Easter: Good Friday and Easter Monday are not working days
        ("I2", "i1", "2024-03-01", "2024-03-05"),  # Fri: due Mon 4 Mar, told Tue: late
        ("I3", "i1", "2024-03-04", "2024-03-05"),  # Mon: told Tue, in time
        ("I4", "i1", "2024-03-06", None),  # not notified
        ("I5", "i2", "2024-03-07", None),  # not the service's child
    ):
        w.add(
            "ext_physical_intervention",
            phin_intervention_id=iid,
            phin_person_id=pid,
            phin_incident_date=happened,
            phin_notified_date=notified,
        )
    assert w.figure("perm_physical_interventions_notified_pct", END) == (2, 4, 50.0)
    # Not notified by 31 March: I1 (due Tue 2 April: approaching) and I4 (due Thu 7 March).
    assert _listed(w, "perm_physical_interventions_notified_pct") == {("I1", "approaching", "2024-04-02"), ("I4", "overdue", "2024-03-07")}


def test_moves_from_in_house_placements_on_28_days_notice():
    w = Built()
    w.add("ext_fostering_household", fohh_household_id="H1", fohh_approval_date="2020-01-01")
    moves = {  # child: (moved on, notice, exempt reason)
        "m1": ("2024-03-29", "2024-03-01", None),  # 28 days' notice exactly
        "m2": ("2024-03-29", "2024-03-02", None),  # 27 days
        "m3": ("2024-03-15", None, "SAFEGUARDING"),  # moved at once for a serious risk: left out
        "m4": ("2024-03-20", None, None),  # no notice recorded
        "m6": ("2024-02-29", "2024-02-01", None),  # a leap-day move, 28 days after the notice: the year only
    }
    for pid, (moved, notice, exempt) in moves.items():
        care(w, pid, [("2023-01-01", "S", "C2", f"{pid}a", "U4"), (moved, "P", "C2", f"{pid}b", "U6")])
        w.add("ext_cla_placement_carer", plca_placement_id=f"{pid}a", plca_household_id="H1")
        w.add("ext_placement_notice", plno_placement_id=f"{pid}a", plno_notice_date=notice, plno_exempt_reason=exempt)
    # m5 left care from its in-house placement: not a move.
    care(w, "m5", [("2023-01-01", "S", "C2", "m5a", "U4")], end="2024-03-20", rec="E13")
    w.add("ext_cla_placement_carer", plca_placement_id="m5a", plca_household_id="H1")
    num, den, _ = w.figure("perm_moves_on_28_days_notice_pct", END)  # m1 of m1, m2, m4
    assert (num, den) == (1, 3)
    assert w.figure("perm_moves_on_28_days_notice_pct", END, basis="ytd") == (2, 4, 50.0)  # and m6
    # Listed: m2 (27 days; notice was due by 1 March) and m4 (none; due by 21 February).
    rows = w.exceptions("perm_moves_on_28_days_notice_pct", END)
    listed = sorted((r.person_id, str(r.due_date), r.status) for r in rows.itertuples())
    assert listed == [("m2", "2024-03-01", "overdue"), ("m4", "2024-02-21", "overdue")]


def test_recruitment_complaints_allegations_and_the_fostering_panel():
    w = Built()
    enquiries = (  # id, enquiry, assessment start, assessment end
        ("E1", "2024-03-31", None, None),  # the last day of March
        ("E2", "2023-04-01", None, None),  # the first day of the year
        ("E3", "2023-03-31", None, None),  # the day before it
        ("E4", "2023-06-01", "2023-07-01", None),  # in assessment at 31 March
        ("E5", "2023-06-01", "2023-07-01", "2024-03-31"),  # concluded on the period end: no longer in progress
        ("E6", "2024-03-01", "2024-04-01", None),  # assessment starts the day after
    )
    for eid, asked, began, ended in enquiries:
        w.add(
            "ext_fostering_enquiry",
            foen_enquiry_id=eid,
            foen_enquiry_date=asked,
            foen_assessment_start_date=began,
            foen_assessment_end_date=ended,
        )
    # March: E1, E6; the year: and E2, E4, E5.
    assert w.figure("perm_fostering_enquiries", END) == (2, None, 2)
    assert w.figure("perm_fostering_enquiries", END, basis="ytd") == (5, None, 5)
    assert w.figure("perm_fostering_assessments_open", END) == (1, None, 1)  # E4
    for cid, received in (("C1", "2024-03-15"), ("C2", "2023-12-01"), ("C3", "2024-04-01")):
        w.add("ext_fostering_complaint", foco_complaint_id=cid, foco_complaint_date=received)
    for aid, received in (("A1", "2024-03-02"), ("A2", "2023-03-31")):
        w.add("ext_fostering_allegation", foal_allegation_id=aid, foal_allegation_date=received)
    assert w.figure("perm_fostering_complaints", END) == (1, None, 1)
    assert w.figure("perm_fostering_complaints", END, basis="ytd") == (2, None, 2)
    assert w.figure("perm_fostering_allegations", END, basis="ytd") == (1, None, 1)
    items = (  # id, type, panel, recommendation, ADM decision, decided
        ("R1", "REVIEW", "2024-03-05", None, None, None),
        ("R2", "REVIEW", "2023-05-05", None, None, None),
        ("R3", "PERMANENT_MATCH", "2024-03-20", "MATCH", "MATCH", "2024-03-25"),
        ("R4", "APPROVAL", "2024-03-01", "APPROVE", "DECLINE", "2024-03-10"),  # the ADM differs
        ("R5", "APPROVAL", "2024-03-01", "APPROVE", "approve", "2024-03-12"),  # the same, in other letters
        ("R6", "APPROVAL", "2024-03-01", "APPROVE", "DECLINE", "2024-04-02"),  # decided after the period
        ("R7", "APPROVAL", "2024-03-01", "APPROVE", None, None),  # not decided
    )
    for iid, kind, heard, recommended, decided, on in items:
        w.add(
            "ext_fostering_panel",
            fopa_item_id=iid,
            fopa_item_type=kind,
            fopa_panel_date=heard,
            fopa_panel_recommendation=recommended,
            fopa_adm_decision=decided,
            fopa_adm_decision_date=on,
        )
    assert w.figure("perm_panel_reviews", END) == (1, None, 1)
    assert w.figure("perm_panel_reviews", END, basis="ytd") == (2, None, 2)
    assert w.figure("perm_panel_permanent_matches", END) == (1, None, 1)
    assert w.figure("perm_adm_differs_from_panel", END) == (1, None, 1)


def test_key_stage_2_and_4_results_of_children_in_care():
    w = Built()
    ks2 = (  # child, in care from, left, result day, expected standard
        ("k1", "2022-07-10", None, "2023-07-10", "Y"),  # in care 12 months to the day
        ("k2", "2022-07-11", None, "2023-07-10", "Y"),  # a day short of 12 months
        ("k3", "2020-01-01", "2023-07-10", "2023-07-10", "Y"),  # left care on the results day
        ("k4", "2020-01-01", None, "2023-07-10", "N"),
        ("k5", "2020-01-01", None, "2023-03-31", "Y"),  # results the day before the year
        ("k6", "2020-01-01", None, "2023-07-10", None),  # not recorded
    )
    for pid, start, left, day, rwm in ks2:
        care(w, pid, [(start, "S", "C2", f"{pid}a", "U4")], end=left, rec="E13" if left else None)
        w.add("ext_cla_attainment", clat_person_id=pid, clat_key_stage="KS2", clat_result_date=day, clat_ks2_expected_rwm=rwm)
    assert w.figure("perm_ks2_expected_standard_pct", END, basis="year") == (1, 2, 50.0)  # k1 of k1, k4
    ks4 = (("j1", "2020-01-01", -1.5), ("j2", "2020-01-01", 0.5), ("j3", "2020-01-01", None), ("j4", "2023-01-01", -3.0))
    for pid, start, p8 in ks4:  # j3 has no score; j4 was in care 8 months on the results day
        care(w, pid, [(start, "S", "C2", f"{pid}a", "U4")])
        w.add("ext_cla_attainment", clat_person_id=pid, clat_key_stage="KS4", clat_result_date="2023-08-22", clat_progress8=p8)
    assert w.figure("perm_ks4_progress8", END, basis="year") == (-1.0, 2, -0.5)  # (-1.5 + 0.5) / 2


def test_standard_t14_health_dental_and_sdq_outstanding():
    w = Built()
    kids = {  # child: (dob, the service's, left care, health assessments, dental checks, SDQs)
        "k1": ("2018-01-01", True, None, ["2023-03-31"], ["2023-04-01"], ["2023-04-01"]),  # RHA 12 months to the day
        "k2": ("2018-01-01", True, None, ["2023-04-01"], ["2023-04-01"], ["2023-04-01"]),  # all due on the period end
        "k3": ("2020-01-01", True, None, ["2023-06-01", "2024-01-15"], ["2023-06-01"], ["2023-06-01"]),  # 4: 7 months apart
        "k4": ("2021-06-01", True, None, ["2023-10-01", "2024-03-01"], [], []),  # 2: no dental or SDQ age yet
        "k5": ("2020-03-31", True, None, ["2023-06-01", "2023-11-01"], ["2023-06-01"], []),  # 4 on the period end
        "k6": ("2020-03-30", True, None, ["2023-06-01", "2023-11-01"], ["2023-06-01"], []),  # 4 the day before
        "k7": ("2018-01-01", True, "2024-03-15", [], [], []),  # left care in March
        "k8": ("2018-01-01", False, None, [], [], []),  # not the service's
        "k9": ("2018-01-01", True, None, ["2023-10-01"], ["2023-03-31"], ["2022-12-01"]),  # dental and SDQ late
    }
    for pid, (dob, ours, left, health, dental, sdqs) in kids.items():
        care(w, pid, [("2022-03-01", "S", "C2", f"{pid}a", "U4")], end=left, rec="E13" if left else None)
        _dob(w, pid, dob)
        if ours:
            _service(w, pid, "2022-03-01")
        for when in health:
            w.add("ssd_cla_health", clah_person_id=pid, clah_health_check_type="RHA", clah_health_check_date=when)
        for when in dental:
            w.add("ssd_cla_health", clah_person_id=pid, clah_health_check_type="DENTAL", clah_health_check_date=when)
        for when in sdqs:
            w.add("ssd_sdq_scores", csdq_person_id=pid, csdq_sdq_completed_date=when, csdq_sdq_score="10")
    # P6 (health assessment): k1 (last 12 months and a day before), k3 (under 5: two needed, six months apart).
    # P7 (dental, 3-17): k9. P10 (SDQ, 4-16): k5, k6, k9. T14: the children of any of them, once each.
    assert w.figure("perm_service_no_health_assessment", END) == (2, None, 2)
    assert w.figure("perm_service_no_dental_check", END) == (1, None, 1)
    assert w.figure("perm_service_no_sdq", END) == (3, None, 3)
    assert w.figure("perm_service_health_checks_outstanding", END) == (5, None, 5)
    rows = w.exceptions("perm_service_health_checks_outstanding", END)
    listed = {(r.person_id, r.event_id, str(r.last_event_date), str(r.due_date), r.status, r.days_overdue) for r in rows.itertuples()}
    assert listed == {
        ("k1", "health assessment", "2023-03-31", "2024-03-30", "overdue", 1),  # due the day before the anniversary
        ("k3", "health assessment", "2024-01-15", "2024-07-14", "approaching", 0),  # the next within 6 months of the last
        ("k5", "SDQ", "NaT", "2024-03-31", "approaching", 0),  # none: due from the 4th birthday, today
        ("k6", "SDQ", "NaT", "2024-03-30", "overdue", 1),
        ("k9", "dental check", "2023-03-31", "2024-03-30", "overdue", 1),
        ("k9", "SDQ", "2022-12-01", "2023-11-30", "overdue", 122),
    }
    assert set(rows.reason[rows.person_id == "k9"]) == {"dental check, last 2023-03-31", "SDQ, last 2022-12-01"}
    # At the end of February k7 was still in care, with nothing recorded: each check due from the start of its care.
    feb = w.exceptions("perm_service_health_checks_outstanding", "2024-02-29")
    k7 = {(r.event_id, str(r.start_date), str(r.due_date), r.status, r.reason) for r in feb[feb.person_id == "k7"].itertuples()}
    assert k7 == {
        (check, "2022-03-01", "2022-03-01", "overdue", f"{check}, none recorded") for check in ("health assessment", "dental check", "SDQ")
    }
    assert "k8" not in set(feb.person_id) | set(rows.person_id)
