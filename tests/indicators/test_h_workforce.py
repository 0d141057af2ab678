"""Section H: workforce and allocation, on a hand-built workforce at Sun 31 Mar 2024."""

import pandas as pd
import pytest

from tests.indicators.builder import LA, Built, d

END = "2024-03-31"


@pytest.fixture(scope="module")
def w():
    w = Built()

    def worker(wid, team, qualified="Y", agency="N", start="2015-01-01", end=None, fte=1.0):
        w.add(
            "ssd_professionals",
            prof_professional_id=wid,
            prof_ext_team_id=team,
            prof_ext_qualified_flag=qualified,
            prof_agency_worker_flag=agency,
            prof_ext_start_date=start,
            prof_ext_end_date=end,
            prof_full_time_equivalency=fte,
        )

    worker("Q1", "T1")
    worker("Q2", "T1", agency="Y", start="2023-06-01")
    worker("Q3", "T2", fte=0.6)  # holds cases recorded under T1 and T2
    worker("Q4", "T2", end="2024-03-31")  # leaves on the period end: not in post, a leaver
    worker("Q5", "T2", start="2024-01-15")  # joined in the year, no cases yet
    worker("Q6", "T1", end="2023-04-01")  # left on the first day of the 12 months
    worker("Q7", "T1", end="2023-03-31")  # left the day before the 12 months
    worker("Q8", "T3")
    worker("Q9", "T3")
    worker("FS1", "T1", qualified="N")  # family support worker

    def case(pid, referral="2024-01-10", close=None, allocations=()):
        w.child(pid)
        w.add("ssd_cin_episodes", cine_referral_id=f"r-{pid}", cine_person_id=pid, cine_referral_date=referral, cine_close_date=close)
        for wid, team, start, *end in allocations:
            w.allocate(pid, wid, team, start, end[0] if end else None)

    for i in range(1, 5):
        case(f"ch{i}", allocations=[("Q1", "T1", "2024-01-10")])
    # ch5 has Q1 and, later, a family support worker: counts for Q1 (the qualified worker) and is allocated.
    case("ch5", allocations=[("Q1", "T1", "2024-01-10"), ("FS1", "T1", "2024-02-01")])
    case("ch6", allocations=[("Q2", "T1", "2024-01-10")])
    case("ch7", allocations=[("Q2", "T1", "2024-01-10")])
    for i, team in zip(range(8, 12), ["T1", "T1", "T2", "T2"], strict=True):
        case(f"ch{i}", allocations=[("Q3", team, "2024-01-10")])
    case("ch12", allocations=[("Q4", "T2", "2024-01-10")])  # worker left on 31 March: unallocated
    case("ch13", allocations=[("FS1", "T1", "2024-01-10")])  # allocated, but not to a qualified social worker
    case("ch14", referral="2024-03-01")  # never allocated
    case("ch15", close="2024-03-20", allocations=[("Q1", "T1", "2024-01-10")])  # closed: not open
    case("ch16", allocations=[("Q1", "T1", "2024-01-10", "2024-03-31")])  # allocation ended on 31 March

    def establishment(team, start, fte, end=None):
        w.add("ext_establishment", estb_team_id=team, estb_start_date=start, estb_end_date=end, estb_social_worker_fte=fte)

    establishment("T1", "2022-04-01", 5.0, end="2023-03-31")
    establishment("T1", "2023-04-01", 3.0)
    establishment("T2", "2023-04-01", 3.0)
    establishment("T3", "2023-04-01", 1.0)
    return w


def by_value(w, indicator, breakdown, basis="month"):
    frame = w.results([indicator], END, bases=(basis,), breakdowns=(breakdown,))
    return {r.breakdown_value: tuple(None if pd.isna(x) else x for x in (r.numerator, r.denominator, r.value)) for r in frame.itertuples()}


def test_caseload_average(w):
    # Qualified workers in post holding cases: Q1 5 (ch1-ch5), Q2 2 (ch6, ch7), Q3 4 (ch8-ch11, two teams' cases).
    num, den, value = w.figure("caseload_avg", END)
    assert (num, den) == (11, 3)
    assert value == pytest.approx(11 / 3)


def test_caseload_by_team_counts_a_worker_once_in_their_own_team(w):
    # T1: Q1 and Q2, (5 + 2) / 2 = 3.5. T2: Q3 with all 4 of their cases (2 recorded under T1).
    assert by_value(w, "caseload_avg", "team") == {"T1": (7, 2, 3.5), "T2": (4, 1, 4.0)}


def test_caseload_max(w):
    assert w.figure("caseload_max", END) == (5, None, 5)
    assert by_value(w, "caseload_max", "team") == {"T1": (5, None, 5), "T2": (4, None, 4)}


def test_unallocated_cases(w):
    # ch12 (worker left on the period end), ch14 (never allocated), ch16 (allocation ended on the period end).
    assert w.figure("unallocated_cases", END) == (3, None, 3)


def test_unallocated_exceptions_give_days_since_referral(w):
    rows = w.exceptions("unallocated_cases", END).set_index("person_id")
    assert sorted(rows.index) == ["ch12", "ch14", "ch16"]
    # ch14 referred 1 Mar 2024: 30 days. ch12 referred 10 Jan: 21 + 29 + 31 = 81 days.
    assert (rows.loc["ch14", "days_overdue"], rows.loc["ch14", "reason"]) == (30, "not allocated since the referral")
    assert (rows.loc["ch12", "days_overdue"], rows.loc["ch12", "reason"]) == (81, "allocation ended or worker left")
    assert rows.loc["ch12", "due_date"] == d("2024-01-10")


def test_agency_share(w):
    # Qualified in post on 31 March: Q1, Q2 (agency), Q3, Q5, Q8, Q9; Q4 left that day.
    num, den, value = w.figure("sw_agency_pct", END)
    assert (num, den) == (1, 6)
    assert by_value(w, "sw_agency_pct", "team") == {"T1": (1, 2, 50.0), "T2": (0, 2, 0.0), "T3": (0, 2, 0.0)}


def test_turnover_rolling_12_months(w):
    # 1 Apr 2023 - 31 Mar 2024: 366 days (29 Feb 2024). Permanent qualified workers and days in post (an end date is
    # the first day out of post): Q1, Q3, Q8, Q9 366 each; Q4 (leaves 31 Mar 2024) 365; Q5 (joined 15 Jan 2024)
    # 17 + 29 + 31 = 77; Q6 (end 1 Apr 2023) 0. Q7 ended before the window; Q2 is agency.
    # Average headcount = (4 * 366 + 365 + 77 + 0) / 366 = 1906 / 366. Leavers in the window: Q4 and Q6.
    num, den, value = w.figure("sw_turnover_pct", END, basis="rolling12")
    assert num == 2
    assert den == pytest.approx(1906 / 366)
    assert value == pytest.approx(200 * 366 / 1906)
    # Authority level only: T1's one leaver over an average headcount of 1.0 would be 100 %, and in a team of one a
    # leaver part-way through the year is more than 100 % of the average headcount.
    assert w.results(["sw_turnover_pct"], END, bases=("rolling12",), breakdowns=("team",)).empty


def test_vacancy_from_establishment(w):
    # Establishment on 31 March (the 2023 rows; T1's 5.0 ended 31 Mar 2023): T1 3.0, T2 3.0, T3 1.0 FTE.
    # Permanent qualified FTE in post: T1 Q1 1.0 (Q2 is agency): 2.0 vacant. T2 Q3 0.6 + Q5 1.0: 1.4 vacant (Q4 left
    # that day). T3 Q8 + Q9 = 2.0 over an establishment of 1.0: 0 vacant, not -1. Authority: 3.4 of 7.0.
    num, den, value = w.figure("sw_vacancy_pct", END)
    assert (num, den) == (pytest.approx(3.4), 7.0)
    assert value == pytest.approx(340 / 7)
    got = by_value(w, "sw_vacancy_pct", "team")
    assert got["T1"][:2] == (2.0, 3.0)
    assert got["T2"][:2] == (pytest.approx(1.4), 3.0)
    assert got["T3"][:2] == (0.0, 1.0)


def test_workforce_figures_are_for_the_authority(w):
    frame = w.results(["sw_agency_pct"], END)
    assert list(frame.breakdown_value) == [LA]


def test_nfa_referrals_are_not_open_cases():
    """A referral that ended in no further action is not a case (LAIT 290), even while it has no closure date."""
    w = Built()
    w.add("ssd_professionals", prof_professional_id="Q1", prof_ext_team_id="T1", prof_ext_qualified_flag="Y")

    def referral(pid, date, nfa):
        w.add("ssd_cin_episodes", cine_person_id=pid, cine_referral_date=date, cine_referral_nfa=nfa)

    for pid in ("open", "nfa", "nfa_unallocated", "both"):
        w.child(pid)
    referral("open", "2024-01-10", "N")
    w.allocate("open", "Q1", "T1", "2024-01-10")
    referral("nfa", "2024-02-01", "Y")  # NFA left open and still allocated to Q1: not one of Q1's cases
    w.allocate("nfa", "Q1", "T1", "2024-02-01")
    referral("nfa_unallocated", "2023-06-01", "Y")  # NFA left open, never allocated: not an unallocated case
    referral("both", "2023-09-01", "Y")  # NFA left open ...
    referral("both", "2024-03-01", "N")  # ... then an episode of need, not allocated: one unallocated case
    # Q1 holds one case (open): an average and a maximum of 1.
    assert w.figure("caseload_avg", END) == (1, 1, 1.0)
    assert w.figure("caseload_max", END) == (1, None, 1)
    assert w.figure("unallocated_cases", END) == (1, None, 1)
    # Days since the episode of need's referral, Fri 1 Mar 2024, not since the NFA referral of 1 Sep 2023 (212 days).
    rows = w.exceptions("unallocated_cases", END)
    assert list(rows.person_id) == ["both"]
    assert (rows.due_date[0], rows.days_overdue[0]) == (d("2024-03-01"), 30)
