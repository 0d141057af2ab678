"""Section A: early help and the front door, on hand-built cases worked out in the comments."""

import pytest

from tests.indicators.builder import Built, d


@pytest.fixture(scope="module")
def referrals():
    w = Built()
    for pid in "ABCDE":
        w.child(pid)

    def referral(pid, date, nfa="N"):
        return w.add("ssd_cin_episodes", cine_person_id=pid, cine_referral_date=date, cine_referral_nfa=nfa)

    referral("A", "2023-03-15")
    a2 = referral("A", "2024-03-14")  # 2024-03-14 - 12 months = 2023-03-14 <= 2023-03-15: a re-referral
    referral("B", "2023-03-14")
    referral("B", "2024-03-15", nfa="Y")  # 2024-03-15 - 12 months = 2023-03-15 > 2023-03-14: not a re-referral
    referral("C", "2024-03-01")  # first referral
    referral("C", "2024-03-20")  # re-referral 19 days later; C counts twice in referrals
    referral("D", "2023-02-28")
    referral("D", "2024-02-29")  # leap day: 2024-02-29 - 12 months = 2023-02-28 (clamped): a re-referral
    w.add("ssd_cin_assessments", cina_person_id="A", cina_referral_id=a2, cina_assessment_start_date="2024-03-15")
    # A: team T1 until 2024-03-15, then T2; C: T2 from 2024-03-20 (its first referral is unallocated).
    w.allocate("A", "W1", "T1", "2024-01-01", "2024-03-15")
    w.allocate("A", "W2", "T2", "2024-03-15")
    w.allocate("C", "W2", "T2", "2024-03-20")
    return w


def test_referrals_count_each_referral(referrals):
    # March 2024: A 14th, B 15th, C 1st and 20th.
    assert referrals.figure("referrals", "2024-03-31") == (4, None, 4)


def test_referrals_rolling12_and_rate(referrals):
    # 1 Apr 2023 - 31 Mar 2024: the four March referrals and D's leap-day referral.
    assert referrals.figure("referrals", "2024-03-31", basis="rolling12")[2] == 5
    # Population 10,000, so the rate per 10,000 equals the count.
    assert referrals.figure("referrals_rate", "2024-03-31", basis="rolling12") == (5, 10000, 5.0)


def test_rereferrals_boundaries(referrals):
    # March: A (re-referral), B (not: one day outside 12 months), C first (not), C second (yes): 2 of 4.
    assert referrals.figure("rereferrals_12m_pct", "2024-03-31") == (2, 4, 50.0)
    # Leap day February 2024: D's referral counts against 28 Feb 2023.
    assert referrals.figure("rereferrals_12m_pct", "2024-02-29") == (1, 1, 100.0)


def test_rereferrals_child_based(referrals):
    # Children referred in March: A, B, C; with a re-referral: A, C.
    num, den, value = referrals.figure("rereferrals_12m_child_pct", "2024-03-31")
    assert (num, den) == (2, 3)
    assert value == pytest.approx(200 / 3)


def test_rereferred_children_counted_once_in_longer_windows(referrals):
    # Year to 31 March 2024 (rolling 12 months = financial year): children referred A, B, C, D (C twice, in one
    # month); re-referred: A (14 Mar), C (20 Mar), D (29 Feb). A and B were also referred in March 2023, before
    # the window: that counts for whether a later referral is a re-referral, not as a child referred in it.
    for basis in ("rolling12", "ytd", "year"):
        assert referrals.figure("rereferrals_12m_child_pct", "2024-03-31", basis=basis)[:2] == (3, 4), basis
    # Rolling 12 months to 29 Feb 2024 (from 1 Mar 2023): A and B (March 2023), D (28 Feb 2023 is before it;
    # 29 Feb 2024 is in it and is a re-referral): 1 of 3 children.
    assert referrals.figure("rereferrals_12m_child_pct", "2024-02-29", basis="rolling12")[:2] == (1, 3)
    # Rolling 12 months to 31 March 2025 (from 1 April 2024): nobody.
    assert referrals.figure("rereferrals_12m_child_pct", "2025-03-31", basis="rolling12")[:2] == (0, 0)


def test_rereferred_children_by_team_count_once_per_team(referrals):
    # March 2024 by the team on each referral date: A 14th T1 (re-referral); B 15th unallocated; C 1st unallocated,
    # C 20th T2 (re-referral). C counts in both teams it was referred to, once in each.
    frame = referrals.results(["rereferrals_12m_child_pct"], "2024-03-31", breakdowns=("team",))
    by_team = {r.breakdown_value: (r.numerator, r.denominator) for r in frame.itertuples()}
    assert by_team == {"T1": (1, 1), "T2": (1, 1), "unallocated": (0, 2)}


def test_nfa_and_progress_to_assessment(referrals):
    assert referrals.figure("referrals_nfa_pct", "2024-03-31") == (1, 4, 25.0)
    assert referrals.figure("referrals_to_assessment_pct", "2024-03-31") == (1, 4, 25.0)


def test_referrals_by_team_use_the_allocation_on_the_referral_date(referrals):
    frame = referrals.results(["referrals"], "2024-03-31", breakdowns=("team",))
    by_team = dict(zip(frame.breakdown_value, frame.numerator, strict=True))
    # A on 14 March: T1 (T2 starts on the 15th); C on 20 March: T2; B and C on 1 March: unallocated.
    assert by_team == {"T1": 1, "T2": 1, "unallocated": 2}


def test_a_month_with_no_referrals_is_zero(referrals):
    assert referrals.figure("referrals", "2024-06-30") == (0, None, 0)
    assert referrals.figure("rereferrals_12m_pct", "2024-06-30") == (0, 0, None)


@pytest.fixture(scope="module")
def contacts():
    w = Built()
    for pid in ["c1", "c2", "c3", "c4", "c5"]:
        w.child(pid)

    def contact(pid, date, decided=None, outcome=None):
        w.add(
            "ssd_contacts",
            cont_person_id=pid,
            cont_contact_date=date,
            cont_ext_decision_date=decided,
            cont_ext_outcome=outcome,
        )

    contact("c1", "2022-06-01", "2022-06-06", "REFERRAL")  # Thu 2 and Fri 3 June were bank holidays: 1 working day
    contact("c2", "2022-06-10", "2022-06-14", "NFA")  # Fri -> Tue: 2 working days
    contact("c3", "2022-06-30", "2022-07-01", "EARLY_HELP")  # 1 working day, decided in the next month
    contact("c4", "2022-06-15")  # undecided: due Thu 16 June, overdue at 30 June
    contact("c5", "2022-06-30")  # undecided but due 1 July: not yet an exception
    return w


def test_contacts_counts(contacts):
    assert contacts.figure("contacts", "2022-06-30") == (5, None, 5)


def test_contacts_decided_within_one_working_day(contacts):
    num, den, value = contacts.figure("contacts_decided_1wd_pct", "2022-06-30")
    assert (num, den) == (2, 3)  # c1 and c3 of the three decided
    assert value == pytest.approx(200 / 3)


def test_contacts_to_referral(contacts):
    num, den, _ = contacts.figure("contacts_to_referral_pct", "2022-06-30")
    assert (num, den) == (1, 3)  # outcome recorded for c1, c2, c3; only c1 a referral


def test_undecided_contacts_are_exceptions(contacts):
    rows = contacts.exceptions("contacts_decided_1wd_pct", "2022-06-30")
    assert list(rows.person_id) == ["c4"]
    assert rows.due_date[0] == d("2022-06-16")
    assert rows.days_overdue[0] == 14
    assert rows.status[0] == "overdue"


def test_early_help_started_and_open():
    w = Built()
    w.child("e")
    w.add("ssd_early_help_episodes", earl_person_id="e", earl_episode_start_date="2024-01-10", earl_episode_end_date="2024-03-31")
    w.add("ssd_early_help_episodes", earl_person_id="e", earl_episode_start_date="2024-03-31")
    w.add("ssd_early_help_episodes", earl_person_id="e", earl_episode_start_date="2024-02-01", earl_episode_end_date="2024-04-02")
    assert w.figure("eh_assessments_started", "2024-03-31")[0] == 1
    assert w.figure("eh_assessments_started", "2024-03-31", basis="ytd")[0] == 3
    # Open at 31 March: the first ended that day (not open), the second and third are.
    assert w.figure("eh_open", "2024-03-31")[0] == 2
    assert w.figure("eh_open_rate", "2024-03-31") == (2, 10000, 2.0)
    # Started in the 12 months to 31 Mar 2024: all three, per 10,000 of a population of 10,000.
    assert w.figure("eh_assessments_started_rate", "2024-03-31", basis="rolling12") == (3, 10000, 3.0)
