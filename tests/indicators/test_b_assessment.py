"""Section B: assessments, timed from the referral date in working days."""

import pytest

from tests.indicators.builder import Built, d


@pytest.fixture(scope="module")
def w():
    w = Built()
    for pid in ["on45", "on46", "open61", "open29", "open39"]:
        w.child(pid)

    def assessment(pid, referral, start, auth=None):
        rid = w.add("ssd_cin_episodes", cine_person_id=pid, cine_referral_date=referral)
        w.add(
            "ssd_cin_assessments",
            cina_assessment_id=f"asmt-{pid}",
            cina_person_id=pid,
            cina_referral_id=rid,
            cina_assessment_start_date=start,
            cina_assessment_auth_date=auth,
        )

    # Referral Mon 2 Dec 2024. Working days after it: 19 in December (25, 26 Dec are bank holidays),
    # 22 in January (1 Jan is), so the 45th is Thu 6 Feb 2025.
    assessment("on45", "2024-12-02", "2024-12-03", "2025-02-06")  # day 45: in time
    assessment("on46", "2024-12-02", "2024-12-03", "2025-02-07")  # day 46: late
    # Open at Fri 28 Feb 2025: 45 + 16 = 61 working days since 2 Dec: past 45.
    assessment("open61", "2024-12-02", "2024-12-03")
    # Referral 20 Jan 2025: 4 + 5 + 20 = 29 working days at 28 Feb; the 45th is Mon 24 Mar, 16 working days away.
    assessment("open29", "2025-01-20", "2025-01-21")
    # Referral 6 Jan 2025: 4 + 15 + 20 = 39 at 28 Feb; the 45th is Mon 10 Mar, 6 working days away: approaching.
    assessment("open39", "2025-01-06", "2025-01-07")
    return w


def test_completed(w):
    assert w.figure("assessments_completed", "2025-02-28") == (2, None, 2)


def test_45th_working_day_is_in_time_and_46th_is_not(w):
    assert w.figure("assessments_45wd_pct", "2025-02-28") == (1, 2, 50.0)
    assert w.figure("assessments_45wd_pct", "2025-02-28", basis="ytd") == (1, 2, 50.0)


def test_open_past_45_working_days(w):
    assert w.figure("assessments_open_over_45wd", "2025-02-28") == (1, None, 1)
    # At 31 Jan 2025 open61's referral was 41 working days old (19 + 22): not yet past 45, and the
    # assessments completed in February were still open at 41 days too.
    assert w.figure("assessments_open_over_45wd", "2025-01-31") == (0, None, 0)


def test_exceptions_overdue_and_approaching(w):
    rows = w.exceptions("assessments_45wd_pct", "2025-02-28").set_index("person_id")
    assert set(rows.index) == {"open61", "open39"}
    assert rows.loc["open61", "status"] == "overdue"
    assert rows.loc["open61", "due_date"] == d("2025-02-06")
    assert rows.loc["open61", "days_overdue"] == 22
    assert rows.loc["open39", "status"] == "approaching"
    assert rows.loc["open39", "due_date"] == d("2025-03-10")
    assert rows.loc["open39", "days_overdue"] == 0
    overdue_only = w.exceptions("assessments_open_over_45wd", "2025-02-28")
    assert list(overdue_only.person_id) == ["open61"]


def test_a_reassessment_in_the_same_episode_is_timed_from_its_own_start():
    w = Built()

    def episode(pid, first_auth, second_start, second_auth=None):
        w.child(pid)
        rid = w.add("ssd_cin_episodes", cine_person_id=pid, cine_referral_date="2024-12-02")
        for n, start, auth in ((1, "2024-12-03", first_auth), (2, second_start, second_auth)):
            w.add(
                "ssd_cin_assessments",
                cina_assessment_id=f"{pid}-{n}",
                cina_person_id=pid,
                cina_referral_id=rid,
                cina_assessment_start_date=start,
                cina_assessment_auth_date=auth,
            )

    # Referral Mon 2 Dec 2024: the first assessment's 45th working day is Thu 6 Feb 2025 (as above).
    # A re-assessment started Mon 3 Mar 2025: working days after it are 20 in March, 20 in April (Good Friday 18 Apr and
    # Easter Monday 21 Apr are bank holidays), then 1, 2 May and, after the 5 May bank holiday, 6, 7, 8 May: the 45th
    # is Thu 8 May 2025. From the referral it would be over 100 working days.
    episode("in_time", "2025-02-06", "2025-03-03", "2025-05-08")  # day 45 and day 45
    episode("late", "2025-02-07", "2025-03-03", "2025-05-09")  # day 46 and day 46
    episode("open", "2024-12-20", "2025-03-03")  # re-assessment still open
    # Completed in May 2025: in_time-2 (day 45) and late-2 (day 46).
    assert w.figure("assessments_45wd_pct", "2025-05-31") == (1, 2, 50.0)
    # February: the first assessments, from the referral: in_time-1 day 45, late-1 day 46.
    assert w.figure("assessments_45wd_pct", "2025-02-28") == (1, 2, 50.0)
    # open-2 at Thu 8 May: 45 working days since 3 Mar, not past; at Fri 9 May: 46 (and in_time-2 is authorised on
    # the 8th, late-2 still open on the 8th at day 45, authorised on the 9th).
    assert w.figure("assessments_open_over_45wd", "2025-05-08")[0] == 0
    assert w.figure("assessments_open_over_45wd", "2025-05-09")[0] == 1
    rows = w.exceptions("assessments_open_over_45wd", "2025-05-09")
    assert list(rows.person_id) == ["open"]
    assert (rows.start_date[0], rows.due_date[0], rows.days_overdue[0]) == (d("2025-03-03"), d("2025-05-08"), 1)
