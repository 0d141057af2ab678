"""Section P, the timescale standards (practice indicators with exception lists) and the detailed report's measures,
on hand-built records worked out in the comments. Period end 31 March 2024; year to date from 1 April 2023."""

import pytest

from tests.indicators.builder import Built
from tests.indicators.test_f_adoption import care

END = "2024-03-31"


def _listed(w: Built, indicator: str) -> set[tuple[str, str, str]]:
    return {(r.event_id, r.status, str(r.due_date)) for r in w.exceptions(indicator, END).itertuples()}


@pytest.fixture(scope="module")
def carers():
    w = Built()
    w.add("ext_fostering_household", fohh_household_id="H1", fohh_approval_date="2022-01-01")
    w.add("ext_fostering_household", fohh_household_id="H2", fohh_approval_date="2023-04-01")
    w.add("ext_fostering_household", fohh_household_id="H3", fohh_approval_date="2020-01-01")
    w.add("ext_fostering_household", fohh_household_id="H4", fohh_approval_date="2020-01-01", fohh_deregistration_date="2024-03-01")
    # Reviews: H1 last on 30 Mar 2023 (due 30 Mar 2024: overdue); H2 none since approval (due 1 Apr 2024: approaching);
    # H3 on 1 Jun 2023 (due 1 Jun 2024: neither); H4 de-registered.
    w.add("ext_fostering_review", fore_household_id="H1", fore_review_date="2023-03-30")
    w.add("ext_fostering_review", fore_household_id="H3", fore_review_date="2023-06-01")
    # Visits: H1 on 18 Feb 2024 (42 days: due 31 Mar, not yet late: approaching); H2 on 10 Feb (due 23 Mar: overdue);
    # H3 never (due 42 days after approval: overdue).
    w.add("ext_fostering_visit", fovi_household_id="H1", fovi_visit_date="2024-02-18")
    w.add("ext_fostering_visit", fovi_household_id="H2", fovi_visit_date="2024-02-10")
    return w


def test_carers_without_an_annual_review(carers):
    assert carers.figure("perm_carers_no_annual_review", END) == (1, None, 1)
    assert _listed(carers, "perm_carers_no_annual_review") == {("H1", "overdue", "2024-03-30"), ("H2", "approaching", "2024-04-01")}


def test_carers_not_visited_in_six_weeks(carers):
    assert carers.figure("perm_carers_not_visited_6_weeks", END) == (2, None, 2)
    assert _listed(carers, "perm_carers_not_visited_6_weeks") == {
        ("H1", "approaching", "2024-03-31"),
        ("H2", "overdue", "2024-03-23"),
        ("H3", "overdue", "2020-02-12"),
    }


@pytest.fixture(scope="module")
def adopters():
    w = Built()
    rows = [
        # id, agency, registered, approved, ethnicity
        ("B1", "OWN", "2022-01-01", "2023-03-31", "WBRI"),  # a year approved on the period end, nothing placed
        ("B2", "OWN", "2022-01-01", "2023-04-15", "BAFR"),  # a year on 15 Apr 2024: approaching
        ("B3", "OWN", "2022-01-01", "2022-06-01", "WBRI"),  # child placed Jan 2023, no order yet
        ("B4", "OWN", "2022-01-01", "2022-06-01", "WBRI"),  # matched with another authority's child, not placed
        ("B5", "OWN", "2024-01-01", None, "WBRI"),  # registered, in assessment
        ("B6", "VAA1", "2022-01-01", "2022-06-01", "WBRI"),  # another agency's adopters
    ]
    for ad, agency, registered, approved, eth in rows:
        w.add(
            "ext_adopter",
            adop_adopter_id=ad,
            adop_agency=agency,
            adop_registration_date=registered,
            adop_approval_date=approved,
            adop_ethnicity=eth,
        )
    w.add(
        "ext_adoption_match", adma_adopter_id="B3", adma_child_la_code="874", adma_matched_date="2022-12-01", adma_placed_date="2023-01-10"
    )
    w.add("ext_adoption_match", adma_adopter_id="B4", adma_child_la_code="935", adma_matched_date="2024-01-01")
    # B6: the authority's child k1 placed with them in February (inter-agency); an earlier match disrupted in March.
    w.child("k1")
    w.add(
        "ext_adoption_match",
        adma_adopter_id="B6",
        adma_person_id="k1",
        adma_child_la_code="874",
        adma_matched_date="2024-01-20",
        adma_placed_date="2024-02-01",
    )
    w.add(
        "ext_adoption_match",
        adma_adopter_id="B6",
        adma_child_la_code="874",
        adma_matched_date="2023-10-01",
        adma_disruption_date="2024-03-15",
    )
    return w


def test_adopters_a_year_without_a_placement(adopters):
    # B1 (a year on the day) and B4 (matched, nothing placed); B2 reaches it in April.
    assert adopters.figure("perm_adopters_no_placement_1_year", END) == (2, None, 2)
    assert _listed(adopters, "perm_adopters_no_placement_1_year") == {
        ("B1", "overdue", "2024-03-31"),
        ("B4", "overdue", "2023-06-01"),
        ("B2", "approaching", "2024-04-15"),
    }


def test_the_adopters_journey(adopters):
    f = adopters.figure
    assert f("perm_adopters_approved_open", END)[2] == 4  # B1-B4 (B6 is another agency's)
    assert f("perm_prospective_adopters", END)[2] == 1  # B5
    assert f("perm_adopters_matched", END)[2] == 1  # B4
    assert f("perm_adopters_with_child_placed", END)[2] == 1  # B3
    assert f("perm_adopters_matched_other_la", END)[2] == 1  # B4 (LA 935)
    assert f("perm_adopter_registrations", END, basis="ytd")[2] == 1  # B5
    assert f("perm_adopters_approved", END, basis="ytd")[2] == 1  # B2 (B1 the day before the year)
    assert f("perm_new_adopters_bme_pct", END, basis="ytd") == (1, 1, 100.0)  # B2
    assert f("perm_matches_approved", END, basis="ytd")[2] == 3  # B4, B6's two
    assert f("perm_inter_agency_placements", END, basis="ytd")[2] == 1  # k1 with B6
    assert f("perm_adoption_disruptions", END)[2] == 1  # B6's first match


def test_family_group_conference_plans_in_five_working_days():
    w = Built()
    for fid, held, circulated in (
        ("g1", "2024-03-01", "2024-03-08"),  # Fri; 5th working day Fri 8 Mar: in time
        ("g2", "2024-03-04", "2024-03-12"),  # Mon; due Mon 11 Mar: late
        ("g3", "2024-03-22", None),  # due Tue 2 Apr (Good Friday, Easter Monday): approaching
        ("g4", "2024-03-11", None),  # due 18 Mar: overdue
    ):
        w.child(fid)
        w.add(
            "ext_family_group_conference",
            fgcc_fgc_id=fid,
            fgcc_person_id=fid,
            fgcc_conference_date=held,
            fgcc_plan_circulated_date=circulated,
        )
    assert w.figure("perm_fgc_plans_5wd_pct", END) == (1, 4, 25.0)
    assert _listed(w, "perm_fgc_plans_5wd_pct") == {("g3", "approaching", "2024-04-02"), ("g4", "overdue", "2024-03-18")}


def test_children_in_care_volume_trigger():
    w = Built()
    kids = [f"v{i}" for i in range(366)]
    w.rows("ssd_person", [{"pers_person_id": k, "pers_dob": "2015-01-01", "pers_ext_la_code": "874"} for k in kids])
    episodes = []
    for i, k in enumerate(kids):
        # 365 looked after from 15 Jan; 10 of them leave on 10 Mar; one more child only on short breaks (V3).
        leaves = i < 10
        episodes.append(
            {
                "clae_cla_episode_id": f"e{k}",
                "clae_person_id": k,
                "clae_cla_id": f"poc{k}",
                "clae_cla_episode_start_date": "2024-01-15",
                "clae_ext_legal_status": "V3" if i == 365 else "C2",
                "clae_cla_episode_ceased_date": "2024-03-10" if leaves else None,
                "clae_cla_episode_ceased_reason": "E4A" if leaves else None,
            }
        )
    w.rows("ssd_cla_episodes", episodes)
    # 31 Jan and 29 Feb: 365 each (both at the trigger); 31 Mar: 355.
    assert w.figure("perm_cla_volume_trigger", "2024-02-29") == (2, None, 2)
    assert w.figure("perm_cla_volume_trigger", END) == (1, None, 1)


def test_sibling_groups():
    w = Built()
    for pid, group, day, together, why in (
        ("s1", "G1", "2024-03-05", "Y", None),
        ("s2", "G1", "2024-03-05", "Y", None),
        ("s3", "G2", "2024-01-10", "Y", None),
        ("s4", "G2", "2024-01-12", "N", "RESOURCE_SHORTFALL"),
        ("s5", "G3", "2023-03-01", "N", "RESOURCE_SHORTFALL"),  # before the year
    ):
        w.child(pid)
        w.add(
            "ext_sibling_group",
            sibg_group_id=group,
            sibg_person_id=pid,
            sibg_placed_date=day,
            sibg_placed_together=together,
            sibg_apart_reason=why,
        )
    # Year to date: G1 together, G2 apart: 1 of 2. March: G1 only.
    assert w.figure("perm_sibling_groups_together_pct", END, basis="ytd") == (1, 2, 50.0)
    assert w.figure("perm_sibling_groups_together_pct", END) == (1, 1, 100.0)
    assert w.figure("perm_siblings_apart_resources", END, basis="ytd") == (1, None, 1)  # s4


def test_private_fostering():
    w = Built()
    for pid, notified, visited, assessed, start, end in (
        ("p1", "2024-03-04", "2024-03-13", "2024-03-20", "2024-03-01", "2024-03-31"),  # 7th working day: in time; ended
        ("p2", "2024-03-04", "2024-03-14", "2024-03-25", "2024-03-01", None),  # the 8th: late
        ("p3", "2024-02-05", "2024-02-06", None, "2024-02-01", None),
    ):
        w.child(pid)
        w.add(
            "ext_private_fostering",
            prfo_person_id=pid,
            prfo_notification_date=notified,
            prfo_visit_date=visited,
            prfo_assessment_completed_date=assessed,
            prfo_arrangement_start_date=start,
            prfo_arrangement_end_date=end,
        )
    assert w.figure("perm_private_fostering_open", END) == (2, None, 2)  # p2, p3 (p1 ended on the day)
    assert w.figure("perm_private_fostering_notifications", END) == (2, None, 2)
    assert w.figure("perm_private_fostering_notifications", END, basis="ytd") == (3, None, 3)
    assert w.figure("perm_private_fostering_in_time_pct", END) == (1, 2, 50.0)


def test_special_guardianship_after_the_order():
    w = Built()
    for oid, made, unplanned in (("o1", "2023-01-01", None), ("o2", "2023-06-01", "2024-03-15"), ("o3", "2024-04-05", None)):
        w.child(f"k{oid}")
        w.add("ext_sgo_order", sgoo_order_id=oid, sgoo_person_id=f"k{oid}", sgoo_order_date=made, sgoo_unplanned_end_date=unplanned)
    w.add("ext_sgo_contact", sgoc_order_id="o1", sgoc_contact_date="2024-03-10", sgoc_post_order_support="Y")
    w.add("ext_sgo_contact", sgoc_order_id="o2", sgoc_contact_date="2024-01-10", sgoc_post_order_support="N")
    # March: o1 contacted, o2 (ended on the 15th) not; o3 not yet made.
    assert w.figure("perm_sgo_carers_in_touch_pct", END) == (1, 2, 50.0)
    assert w.figure("perm_sgo_post_order_support", END) == (1, None, 1)
    assert w.figure("perm_sgo_unplanned_endings", END) == (1, None, 1)


def test_leaving_care_on_an_sgo_and_returning_home():
    w = Built()
    care(w, "q1", [("2023-01-01", "S", "C2", "q1a", "U4")], "2024-03-10", "E45")
    care(w, "q2", [("2023-01-01", "S", "C2", "q2a", "U4")], "2024-03-12", "E4A")
    assert w.figure("perm_left_care_sgo_pct", END) == (1, 2, 50.0)
    # h1 went home 15 Sep 2023 and came back 1 Nov 2023 (within 6 months): counted in March 2024, 6 months on.
    # h2 went home 10 Mar 2023, back 15 Jan 2024 (within 12, not 6 months): counted in March 2024 for 12 months.
    care(w, "h1", [("2023-01-01", "S", "V2", "h1a", "U6")], "2023-09-15", "E4A")
    care(w, "h2", [("2022-06-01", "S", "V2", "h2a", "U6")], "2023-03-10", "E4A")
    for pid, back in (("h1", "2023-11-01"), ("h2", "2024-01-15")):
        w.add(
            "ssd_cla_episodes", clae_person_id=pid, clae_cla_id=f"poc2-{pid}", clae_cla_episode_start_date=back, clae_ext_legal_status="V2"
        )
    assert w.figure("perm_returned_home_back_6m", END) == (1, None, 1)
    assert w.figure("perm_returned_home_back_12m", END) == (1, None, 1)


def test_adoption_support():
    w = Built()
    for rid, kind, referred, started in (
        ("r1", "SUPPORT", "2024-03-05", None),  # waiting at the month end
        ("r2", "SUPPORT", "2023-05-01", "2023-06-01"),
        ("r3", "ACCESS_TO_RECORDS", "2024-03-10", None),
        ("r4", "LETTERBOX", "2023-04-01", None),  # the first day of the year
    ):
        w.add("ext_adoption_support", adsr_referral_id=rid, adsr_kind=kind, adsr_referral_date=referred, adsr_service_start_date=started)
    assert w.figure("perm_adoption_support_referrals", END) == (1, None, 1)
    assert w.figure("perm_adoption_support_referrals", END, basis="ytd") == (2, None, 2)
    assert w.figure("perm_adoption_support_waiting", END) == (1, None, 1)
    assert w.figure("perm_access_to_records_referrals", END) == (1, None, 1)
    assert w.figure("perm_letterbox_files", END, basis="ytd") == (1, None, 1)
    assert w.figure("perm_letterbox_files", END) == (0, None, 0)


def test_life_story_work_decisions_and_hard_to_place():
    w = Built()
    # l1 and l2 in adoptive placements at 31 March; l1 has a life story book, l2's comes in April.
    care(w, "l1", [("2022-01-01", "S", "C2", "l1a", "U6"), ("2023-09-01", "P", "E1", "l1b", "A6")])
    care(w, "l2", [("2022-01-01", "S", "C2", "l2a", "U6"), ("2024-03-01", "P", "E1", "l2b", "A6")])
    w.add("ext_life_story", lstw_person_id="l1", lstw_life_story_book_date="2023-10-01")
    w.add("ext_life_story", lstw_person_id="l2", lstw_life_story_book_date="2024-04-02")
    # l3 adopted in March, aged 6 (hard to place), with no later life letter.
    care(w, "l3", [("2022-01-01", "S", "C2", "l3a", "U6"), ("2023-01-01", "P", "E1", "l3b", "A6")], "2024-03-10", "E11")
    # Decisions: should be placed for adoption (l2, May 2023); no longer to be placed (l1, 2 March 2024).
    w.add("ssd_permanence", perm_person_id="l2", perm_adm_decision_date="2023-05-01")
    w.add("ssd_permanence", perm_person_id="l1", perm_decision_reversed_date="2024-03-02")
    assert w.figure("perm_placed_without_life_story_book", END) == (1, None, 1)
    assert w.figure("perm_adopted_without_later_life_letter", END) == (1, None, 1)
    assert w.figure("perm_hard_to_place_adopted", END) == (1, None, 1)
    assert w.figure("perm_adm_adoption_decisions", END, basis="ytd") == (1, None, 1)
    assert w.figure("perm_adm_adoption_decisions", END) == (0, None, 0)
    assert w.figure("perm_adoption_plan_changed", END) == (1, None, 1)


def test_hard_to_place_is_any_of_age_siblings_disability_ethnicity():
    w = Built()
    steps = [("2023-01-01", "S", "C2", "a", "U6"), ("2023-06-01", "L", "E1", "a", "U6")]
    for pid in ("t1", "t2", "t3", "t4"):
        care(w, pid, [(s, r, ls, f"{pid}{p}", typ) for s, r, ls, p, typ in steps])
    # care() makes every child born 1 Jan 2018 (6 at 31 March 2024): make three under 5, white British, not disabled.
    w.con.execute("UPDATE ssd_person SET pers_dob = DATE '2020-01-01', pers_ethnicity = 'WBRI' WHERE pers_person_id IN ('t2', 't3', 't4')")
    w.add("ext_sibling_group", sibg_group_id="G", sibg_person_id="t2")  # t2: in a sibling group
    w.add("ssd_disability", disa_person_id="t3", disa_disability_code="AUT")  # t3: disabled
    # Waiting at 31 March: t1 (aged 6), t2 (siblings), t3 (disability); t4 is none of them.
    assert w.figure("perm_placement_order_not_placed", END) == (4, None, 4)
    assert w.figure("perm_hard_to_place_waiting", END) == (3, None, 3)


def test_the_service_childrens_health_and_dental_checks():
    w = Built()
    # All in care since 2022 (12 months continuously at 31 March 2024). d1, d2, d4 the service's; d3 not.
    for pid in ("d1", "d2", "d3", "d4"):
        care(w, pid, [("2022-03-01", "S", "C2", f"{pid}a", "U4")])
        if pid != "d3":
            w.add("ext_service_responsibility", serv_person_id=pid, serv_service="PERMANENCY", serv_responsibility_start_date="2023-01-01")
    w.con.execute("UPDATE ssd_person SET pers_dob = DATE '2021-06-01' WHERE pers_person_id = 'd4'")  # aged 2
    # d1 had a review health assessment and a dental check in the 12 months; d2, d3 and d4 had neither.
    w.add("ssd_cla_health", clah_person_id="d1", clah_health_check_type="RHA", clah_health_check_date="2023-10-01")
    w.add("ssd_cla_health", clah_person_id="d1", clah_health_check_type="DENTAL", clah_health_check_date="2023-11-01")
    # Without a health assessment: d2 and d4 (d4 under 5 needs two); d3 is not the service's.
    assert w.figure("perm_service_no_health_assessment", END) == (2, None, 2)
    # Without a dental check, aged 3-17: d2 (d4 is 2).
    assert w.figure("perm_service_no_dental_check", END) == (1, None, 1)


def test_allegations_notified_and_enquiries_answered_in_time():
    w = Built()
    w.add("ext_fostering_household", fohh_household_id="H1", fohh_approval_date="2020-01-01")
    for aid, received, notified in (
        ("al1", "2024-03-05", "2024-03-08"),  # the third day after: within 72 hours
        ("al2", "2024-03-05", "2024-03-09"),  # the fourth: late
        ("al3", "2024-03-20", None),  # not notified
    ):
        w.add(
            "ext_fostering_allegation",
            foal_allegation_id=aid,
            foal_household_id="H1",
            foal_allegation_date=received,
            foal_council_notified_date=notified,
        )
    num, den, _ = w.figure("perm_allegations_notified_72h_pct", END)
    assert (num, den) == (1, 3)
    for ad, agency, registered, answered in (
        ("E1", "OWN", "2024-03-04", "2024-03-04"),  # same day
        ("E2", "OWN", "2024-03-04", "2024-03-05"),  # next day
        ("E3", "VAA1", "2024-03-04", "2024-03-09"),  # another agency's: not counted
    ):
        w.add("ext_adopter", adop_adopter_id=ad, adop_agency=agency, adop_registration_date=registered, adop_enquiry_response_date=answered)
    assert w.figure("perm_adopter_enquiries_same_day_pct", END) == (1, 2, 50.0)
    # Listed at 31 March: al2 (due 8 March) and al3 (due 23 March), both H1's; E2 (due the day it was made, 4 March).
    rows = w.exceptions("perm_allegations_notified_72h_pct", END)
    listed = sorted((r.person_id, r.event_id, str(r.due_date), r.status) for r in rows.itertuples())
    assert listed == [("H1", "al2", "2024-03-08", "overdue"), ("H1", "al3", "2024-03-23", "overdue")]
    rows = w.exceptions("perm_adopter_enquiries_same_day_pct", END)
    assert [(r.person_id, str(r.due_date), r.status) for r in rows.itertuples()] == [("E2", "2024-03-04", "overdue")]
    # On 20 March al3 was received that day: due on the 23rd, approaching.
    rows = w.exceptions("perm_allegations_notified_72h_pct", "2024-03-20")
    assert sorted((r.event_id, r.status) for r in rows.itertuples()) == [("al2", "overdue"), ("al3", "approaching")]
