"""Section D: children in need."""

import pytest

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
