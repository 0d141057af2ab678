"""The reference implementation itself, checked on hand-built cases worked out in the comments."""

from __future__ import annotations

import datetime as dt
import math

import pandas as pd
import pytest

from tests.reference import reference as ref
from tests.reference.handbuilt import LA, HandBuilt, day


def figure(hb: HandBuilt, indicator: str, end: str, basis: str = "month") -> tuple[float, float | None, float | None]:
    """(numerator, denominator, value) of the reference's `la` figure; None where there is none."""
    frame = ref.compute(hb.con, [day(end)], ids=[indicator], bases=(basis,))
    row = frame[(frame.basis == basis) & (frame.breakdown_value == LA)]
    assert len(row) == 1, frame
    r = row.iloc[0]
    return tuple(None if pd.isna(x) else float(x) for x in (r.numerator, r.denominator, r.value))  # type: ignore[return-value]


# --- periods and working days ---------------------------------------------------------------------


def test_add_months_clamps_to_month_end() -> None:
    assert ref.add_months(day("2024-01-31"), 1) == day("2024-02-29")  # leap year
    assert ref.add_months(day("2025-01-31"), 1) == day("2025-02-28")
    assert ref.add_months(day("2024-02-29"), -12) == day("2023-02-28")
    assert ref.add_months(day("2025-12-15"), 1) == day("2026-01-15")


def test_period_windows() -> None:
    assert ref.period_start("month", day("2024-02-29")) == day("2024-02-01")
    # 12 months back from 29 Feb 2024 is 28 Feb 2023, so the window starts the day after.
    assert ref.period_start("rolling12", day("2024-02-29")) == day("2023-03-01")
    assert ref.period_start("rolling12", day("2025-03-31")) == day("2024-04-01")
    # Not 29 Feb 2024 (the day after 28 Feb 2024): that would make a window of 12 months and a day.
    assert ref.period_start("rolling12", day("2025-02-28")) == day("2024-03-01")
    assert ref.period_start("ytd", day("2025-03-31")) == day("2024-04-01")
    assert ref.period_start("ytd", day("2025-04-30")) == day("2025-04-01")
    assert ref.period_start("year", day("2025-03-31")) == day("2024-04-01")
    assert ref.period_start("year", day("2025-04-30")) is None
    assert [p.basis for p in ref.periods([day("2025-02-28")])] == ["month", "rolling12", "ytd"]


def test_working_days_count_after_start_up_to_end() -> None:
    wd = ref.WorkingDays().wd
    starts = pd.Series(pd.to_datetime(["2025-04-04", "2025-04-17", "2025-04-23", "2025-01-02", "2025-05-01", "2025-05-01"]))
    ends = pd.Series(pd.to_datetime(["2025-04-07", "2025-04-22", "2025-04-23", "2025-03-06", "2025-05-23", "2025-05-27"]))
    # Fri->Mon 1; Thu 17 Apr -> Tue 22 Apr over Good Friday and Easter Monday 1; same day 0;
    # 2 Jan -> 6 Mar 2025 is 45 (Jan 3, 4 weeks to 31 Jan = 21, February 20, 4 days of March);
    # 1 May -> 23 May 15 (5 May holiday), -> 27 May 16 (26 May holiday).
    assert wd(starts, ends).tolist() == [1, 1, 0, 45, 15, 16]
    assert wd(starts.iloc[:1], dt.date(2025, 4, 4)).tolist() == [0]
    assert math.isnan(wd(pd.Series([pd.NaT]), pd.Series(pd.to_datetime(["2025-01-01"]))).iloc[0])


# --- A: front door --------------------------------------------------------------------------------


def test_contacts_and_decisions() -> None:
    hb = HandBuilt()
    hb.child("C1")
    for contact, decision, outcome in [
        ("2025-04-04", "2025-04-07", "REFERRAL"),  # Fri -> Mon: 1 working day, in time
        ("2025-04-17", "2025-04-22", "NFA"),  # over Easter: 1 working day, in time
        ("2025-04-23", "2025-04-25", "REFERRAL"),  # Wed -> Fri: 2, late
        ("2025-04-28", None, None),  # undecided: not in either share
        ("2025-03-31", "2025-04-01", "REFERRAL"),  # March contact: not in April's figures
    ]:
        hb.add("ssd_contacts", cont_person_id="C1", cont_contact_date=contact, cont_ext_decision_date=decision, cont_ext_outcome=outcome)
    assert figure(hb, "contacts", "2025-04-30") == (4, None, 4)
    assert figure(hb, "contacts_decided_1wd_pct", "2025-04-30") == (2, 3, pytest.approx(200 / 3))
    assert figure(hb, "contacts_to_referral_pct", "2025-04-30") == (2, 3, pytest.approx(200 / 3))
    # ytd at 30 April starts 1 April, so the March contact stays out; rolling12 includes it.
    assert figure(hb, "contacts", "2025-04-30", "ytd") == (4, None, 4)
    assert figure(hb, "contacts", "2025-04-30", "rolling12") == (5, None, 5)


def test_referrals_and_rereferrals_across_29_february() -> None:
    hb = HandBuilt()
    for pid in ("A", "B"):
        hb.child(pid)
    hb.referral("A", "2024-02-29")
    hb.referral("A", "2025-02-28", nfa="Y")  # 12 months before is 28 Feb 2024: 29 Feb 2024 is within, a re-referral
    hb.referral("B", "2024-03-31")
    hb.referral("B", "2025-04-01")  # 12 months before is 1 Apr 2024: 31 Mar 2024 is earlier, not a re-referral
    assert figure(hb, "referrals", "2025-02-28") == (1, None, 1)
    assert figure(hb, "rereferrals_12m_pct", "2025-02-28") == (1, 1, 100)
    assert figure(hb, "referrals_nfa_pct", "2025-02-28") == (1, 1, 100)
    # rolling12 to 28 Feb 2025 runs from 1 Mar 2024: A's 2025 referral and B's 2024 one.
    assert figure(hb, "referrals", "2025-02-28", "rolling12") == (2, None, 2)
    assert figure(hb, "rereferrals_12m_pct", "2025-02-28", "rolling12") == (1, 2, 50)
    assert figure(hb, "rereferrals_12m_pct", "2025-04-30") == (0, 1, 0)
    # Population 10,000 in every year, so the rate per 10,000 equals the count.
    assert figure(hb, "referrals_rate", "2025-02-28", "rolling12") == (2, 10000, 2)
    # A month with no referrals: a count of 0, a share with no value.
    assert figure(hb, "referrals", "2025-06-30") == (0, None, 0)
    assert figure(hb, "rereferrals_12m_pct", "2025-06-30") == (0, 0, None)


def test_rereferral_child_share_counts_children_once() -> None:
    hb = HandBuilt()
    hb.child("A")
    hb.child("B")
    for date in ("2025-01-06", "2025-01-20", "2025-01-27"):  # A: three referrals, two of them re-referrals
        hb.referral("A", date)
    hb.referral("B", "2025-01-10")
    assert figure(hb, "rereferrals_12m_pct", "2025-01-31") == (2, 4, 50)
    assert figure(hb, "rereferrals_12m_child_pct", "2025-01-31") == (1, 2, 50)


# --- B: assessments -------------------------------------------------------------------------------


def test_assessments_45_working_days_from_referral() -> None:
    hb = HandBuilt()
    for n, auth in enumerate(["2025-03-06", "2025-03-07", None]):
        pid = hb.child(f"C{n}")
        rid = hb.referral(pid, "2025-01-02")
        hb.add(
            "ssd_cin_assessments",
            cina_person_id=pid,
            cina_referral_id=rid,
            cina_assessment_start_date="2025-01-03",
            cina_assessment_auth_date=auth,
        )
    # The 45th working day after Thu 2 Jan 2025 is Thu 6 Mar: in time; 7 Mar is the 46th: late.
    assert figure(hb, "assessments_completed", "2025-03-31") == (2, None, 2)
    assert figure(hb, "assessments_45wd_pct", "2025-03-31") == (1, 2, 50)
    # Open at 28 Feb: all three, but wd(2 Jan, 28 Feb) = 41, not past 45.
    assert figure(hb, "assessments_open_over_45wd", "2025-02-28") == (0, None, 0)
    # At 31 Mar only the unauthorised one is open, 41 + 21 March working days = 62 > 45; same on every basis.
    assert figure(hb, "assessments_open_over_45wd", "2025-03-31") == (1, None, 1)
    assert figure(hb, "assessments_open_over_45wd", "2025-03-31", "year") == (1, None, 1)
    assert figure(hb, "referrals_to_assessment_pct", "2025-01-31") == (3, 3, 100)


def test_a_reassessment_counts_45_working_days_from_its_own_start() -> None:
    hb = HandBuilt()
    pid = hb.child("R")
    rid = hb.referral(pid, "2025-01-02")
    for start, auth in (("2025-01-03", "2025-01-31"), ("2025-06-02", "2025-08-04"), ("2025-06-16", None)):
        hb.add(
            "ssd_cin_assessments",
            cina_person_id=pid,
            cina_referral_id=rid,
            cina_assessment_start_date=start,
            cina_assessment_auth_date=auth,
        )
    # Re-assessment from Mon 2 Jun 2025: 20 working days after it to 30 Jun, 23 in July (43), then Fri 1 Aug (44) and
    # Mon 4 Aug (45): in time (no bank holiday between). Timed from the referral of 2 Jan it would be late.
    assert figure(hb, "assessments_45wd_pct", "2025-08-31") == (1, 1, 100)
    # The one started Mon 16 Jun, still open: 10 working days to 30 Jun, 23 in July (33), 1 Aug (34), 5 + 5 to
    # Fri 15 Aug (44), Mon 18 Aug the 45th, Tue 19 Aug the 46th (the 25 Aug bank holiday comes after).
    assert figure(hb, "assessments_open_over_45wd", "2025-08-18") == (0, None, 0)
    assert figure(hb, "assessments_open_over_45wd", "2025-08-19") == (1, None, 1)


# --- C: child protection --------------------------------------------------------------------------


def _s47(hb: HandBuilt, pid: str, start: str, end: str | None, nfa: str) -> str:
    return hb.add("ssd_s47_enquiry", s47e_person_id=pid, s47e_s47_start_date=start, s47e_s47_end_date=end, s47e_s47_nfa=nfa)


def _icpc(hb: HandBuilt, pid: str, s47: str | None, date: str, transfer_in: str = "N") -> str:
    return hb.add(
        "ssd_initial_cp_conference", icpc_person_id=pid, icpc_s47_enquiry_id=s47, icpc_icpc_date=date, icpc_icpc_transfer_in=transfer_in
    )


def _plan(hb: HandBuilt, pid: str, start: str, end: str | None = None, previous: int | None = None) -> str:
    return hb.add(
        "ssd_cp_plans", cppl_person_id=pid, cppl_cp_plan_start_date=start, cppl_cp_plan_end_date=end, cppl_ext_previous_plans=previous
    )


def test_s47_and_initial_conferences() -> None:
    hb = HandBuilt()
    for pid in "abcdeft":
        hb.child(pid)
    a = _s47(hb, "a", "2025-05-01", "2025-05-20", "N")
    b = _s47(hb, "b", "2025-05-01", "2025-05-20", "N")
    _s47(hb, "c", "2025-05-02", "2025-05-15", "Y")  # ended with no conference needed
    _s47(hb, "d", "2025-05-06", "2025-05-20", "N")  # conference needed but not yet held: not ended
    _s47(hb, "f", "2025-05-12", None, "Y")  # no conference needed and no end date (as the CIN census): ends on its start
    e = _s47(hb, "e", "2025-06-10", "2025-06-12", "N")
    _icpc(hb, "a", a, "2025-05-23")  # 15th working day after 1 May (5 May holiday): in time
    _icpc(hb, "b", b, "2025-05-27")  # 16th (26 May holiday): late
    _icpc(hb, "t", None, "2025-05-20", transfer_in="Y")  # transfer-in: not in the timeliness measure
    _icpc(hb, "e", e, "2025-06-09")  # dated before its S47: left out of timeliness
    _plan(hb, "a", "2025-05-23")
    _plan(hb, "t", "2025-05-20")
    assert figure(hb, "s47_enquiries", "2025-05-31") == (5, None, 5)
    assert figure(hb, "s47_to_icpc_pct", "2025-05-31") == (2, 4, 50)
    assert figure(hb, "icpc_15wd_pct", "2025-05-31") == (1, 2, 50)
    assert figure(hb, "icpc_15wd_pct", "2025-06-30") == (0, 0, None)
    # ICPCs in May: a (plan same day), b (none), transfer-in (plan same day).
    assert figure(hb, "icpc_to_cp_plan_pct", "2025-05-31") == (2, 3, pytest.approx(200 / 3))


def test_child_protection_plans() -> None:
    hb = HandBuilt()
    for pid in "XYQRSTU":
        hb.child(pid)
    _plan(hb, "X", "2023-01-10", "2025-01-08")  # 729 days: counts as 2 years or more
    _plan(hb, "Y", "2024-06-01", "2025-01-20")
    _plan(hb, "X", "2025-02-03")  # second plan; the first ended 26 days before
    _plan(hb, "Q", "2025-02-10", previous=2)  # earlier plans known only from NumberOfPreviousCPP
    _plan(hb, "R", "2025-02-20")  # first plan
    _plan(hb, "S", "2024-11-01")  # S has two overlapping open plans: one child
    _plan(hb, "S", "2024-12-01")
    _plan(hb, "T", "2023-03-01")  # 730 days open at 28 Feb 2025
    _plan(hb, "U", "2024-10-01", "2025-02-28")  # ends on the period end: not open at it
    assert figure(hb, "cp_plans_ended_2y_plus_pct", "2025-01-31") == (1, 2, 50)
    assert figure(hb, "cp_plans_started", "2025-02-28") == (3, None, 3)
    assert figure(hb, "cp_plans_second_or_subsequent_pct", "2025-02-28") == (2, 3, pytest.approx(200 / 3))
    assert figure(hb, "cp_plans_repeat_2y_pct", "2025-02-28") == (1, 3, pytest.approx(100 / 3))
    # Open at 28 Feb: X, Q, R, S (twice), T -> 5 children, 6 plans, 1 of them 2 years or more.
    assert figure(hb, "cp_plans_open", "2025-02-28") == (5, None, 5)
    assert figure(hb, "cp_plans_open", "2025-02-28", "rolling12") == (5, None, 5)
    assert figure(hb, "cp_plans_open_2y_plus", "2025-02-28") == (1, None, 1)
    assert figure(hb, "cp_plans_open_2y_plus_pct", "2025-02-28") == (1, 6, pytest.approx(100 / 6))
    assert figure(hb, "cp_plans_ended_2y_plus_pct", "2025-02-28") == (0, 1, 0)


# --- D: children in need -------------------------------------------------------------------------


def test_children_in_need_open() -> None:
    hb = HandBuilt()
    for pid in ("P", "Q", "R", "L", "K"):
        hb.child(pid)
    hb.referral("P", "2024-01-15")  # open 13 months at 28 Feb 2025, status other
    hb.referral("P", "2024-06-01")  # P's second open episode: still one child
    hb.referral("Q", "2025-02-01", close="2025-02-28")  # closes on the period end: not open
    hb.referral("R", "2024-02-28")  # exactly 12 months before 28 Feb 2025: 12 months or more
    hb.referral("L", "2023-05-01")  # looked after: not in the 12-month count
    _episode(hb, "L", "2024-01-01", "S", "C2")
    hb.referral("K", "2023-05-01")  # on a CP plan: not in the 12-month count
    _plan(hb, "K", "2024-12-01")
    assert figure(hb, "cin_open", "2025-02-28") == (4, None, 4)
    assert figure(hb, "cin_open_12m_plus", "2025-02-28") == (2, None, 2)
    assert figure(hb, "cin_open", "2025-02-27") == (5, None, 5)  # the day before, Q is still open


def test_children_in_need_leave_out_nfa_referrals() -> None:
    hb = HandBuilt()
    for pid in ("N", "M", "C"):
        hb.child(pid)
    hb.referral("N", "2023-11-01", nfa="Y")  # NFA never closed: a referral, not a child in need
    hb.referral("M", "2023-12-01", nfa="Y")  # NFA never closed ...
    hb.referral("M", "2025-01-06")  # ... then an episode of need: M counts once
    hb.referral("C", "2025-02-03", close="2025-02-03", nfa="Y")  # NFA closed the same day
    assert figure(hb, "cin_open", "2025-02-28") == (1, None, 1)
    assert figure(hb, "cin_open_rate", "2025-02-28") == (1, 10000, 1)
    # Both NFA referrals are over 12 months old at 28 Feb 2025; M's episode of need is 7 weeks old.
    assert figure(hb, "cin_open_12m_plus", "2025-02-28") == (0, None, 0)
    assert figure(hb, "cin_open", "2025-01-05") == (0, None, 0)


# --- E: looked after -----------------------------------------------------------------------------


def _episode(hb: HandBuilt, pid: str, start: str, rne: str, ls: str, end: str | None = None, rec: str | None = None) -> None:
    """One 903 episode; episodes of a period of care share its id and its start date, as the data model says."""
    care_id, entered = hb.periods_of_care.get(pid, (None, None)) if rne != "S" else (None, None)
    if care_id is None:
        care_id, entered = f"PC-{pid}-{start}", start
        hb.periods_of_care[pid] = (care_id, entered)
    hb.add(
        "ssd_cla_episodes",
        clae_person_id=pid,
        clae_cla_episode_start_date=start,
        clae_cla_episode_start_reason=rne,
        clae_ext_legal_status=ls,
        clae_cla_episode_ceased_date=end,
        clae_cla_episode_ceased_reason=rec,
        clae_cla_id=care_id,
        clae_entered_care_date=entered,
    )


def test_looked_after_excludes_short_breaks() -> None:
    hb = HandBuilt(population={2023: 10000, 2024: 20000})
    for pid in ("L1", "L2", "L3"):
        hb.child(pid)
    _episode(hb, "L1", "2024-05-10", "S", "C2", "2024-08-01", "X1")  # period of care continues (X1)...
    _episode(hb, "L1", "2024-08-01", "P", "C2", "2025-01-15", "E13")  # ...and ends, returned home
    _episode(hb, "L2", "2024-12-20", "S", "V3")  # short breaks: excluded from everything
    _episode(hb, "L3", "2025-01-10", "S", "C2")
    assert figure(hb, "cla_open", "2024-12-31") == (1, None, 1)
    assert figure(hb, "cla_open", "2025-01-31") == (1, None, 1)
    assert figure(hb, "cla_started", "2024-05-31") == (1, None, 1)
    assert figure(hb, "cla_started", "2024-12-31") == (0, None, 0)
    assert figure(hb, "cla_started", "2025-01-31", "rolling12") == (2, None, 2)
    assert figure(hb, "cla_ceased", "2024-08-31") == (0, None, 0)
    assert figure(hb, "cla_ceased", "2025-01-31") == (1, None, 1)
    # Rates: the mid-year 2024 estimate (20,000) applies from 30 June 2024; before it, 2023's (10,000).
    assert figure(hb, "cla_open_rate", "2024-05-31") == (1, 10000, 1)
    assert figure(hb, "cla_open_rate", "2024-06-30") == (1, 20000, 0.5)
    assert figure(hb, "cla_open_rate", "2026-03-31") == (1, 20000, 0.5)  # L3, after the last year held: the latest


def test_ceased_counts_each_child_once_by_the_last_time() -> None:
    hb = HandBuilt()
    for pid in ("Q1", "Q2", "Q3"):
        hb.child(pid)
    # Q1 returned home on 15 Jun 2024, came back and was adopted on 20 Feb 2025; Q2 the reverse (adopted 10 May 2024,
    # back in care, returned home 5 Mar 2025); Q3 left once, on an SGO, on 15 Jan 2025.
    _episode(hb, "Q1", "2024-01-10", "S", "C2", "2024-06-15", "E4A")
    _episode(hb, "Q1", "2024-09-01", "S", "E1", "2025-02-20", "E11")
    _episode(hb, "Q2", "2023-06-01", "S", "E1", "2024-05-10", "E12")
    _episode(hb, "Q2", "2024-10-01", "S", "C2", "2025-03-05", "E4A")
    _episode(hb, "Q3", "2024-02-01", "S", "C2", "2025-01-15", "E45")
    # Year 1 Apr 2024 - 31 Mar 2025: five endings, three children; only Q1's last ending was an adoption.
    assert figure(hb, "cla_ceased", "2025-03-31", "year") == (3, None, 3)
    assert figure(hb, "adoptions_pct", "2025-03-31", "year") == (1, 3, pytest.approx(100 / 3))
    # Rolling 12 months to 28 Feb 2025: Q1 (adopted in February), Q2 (adopted in May; home only in March), Q3.
    assert figure(hb, "adoptions_pct", "2025-02-28", "rolling12") == (2, 3, pytest.approx(200 / 3))
    assert figure(hb, "adoptions_pct", "2025-03-31") == (0, 1, 0.0)
