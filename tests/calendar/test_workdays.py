"""Working days as defined in indicators.md: wd(a, b) counts working days d with a < d <= b."""

import datetime as dt
import random

import duckdb
import pytest

from cscperf.calendar import add_months, due_date, install_calendar, is_working_day, wd

D = dt.date.fromisoformat


def test_same_day_is_zero():
    assert wd(D("2024-03-13"), D("2024-03-13")) == 0


def test_friday_to_monday_is_one():
    assert wd(D("2024-01-05"), D("2024-01-08")) == 1


def test_weekend_days_are_not_counted():
    # Sat 6 Jan -> Sun 7 Jan: nothing; Fri 5 -> Sun 7: nothing either.
    assert wd(D("2024-01-06"), D("2024-01-07")) == 0
    assert wd(D("2024-01-05"), D("2024-01-07")) == 0
    # A full week Monday to Monday is 5.
    assert wd(D("2024-01-08"), D("2024-01-15")) == 5


def test_end_before_start_is_negative():
    assert wd(D("2024-01-08"), D("2024-01-05")) == -1


@pytest.mark.parametrize(
    "day",
    [
        "2022-06-03",  # Platinum Jubilee (one-off)
        "2022-09-19",  # State funeral (one-off)
        "2023-05-08",  # Coronation (one-off)
        "2020-05-08",  # Early May bank holiday moved to Friday for VE Day
        "2024-03-29",  # Good Friday
        "2024-04-01",  # Easter Monday
        "2021-12-27",  # Christmas Day (Saturday) substitute
        "2021-12-28",  # Boxing Day (Sunday) substitute
        "2022-01-03",  # New Year's Day (Saturday) substitute
        "2020-12-28",  # Boxing Day (Saturday) substitute
        "2023-01-02",  # New Year's Day (Sunday) substitute
    ],
)
def test_bank_holidays_are_not_working_days(day):
    assert not is_working_day(D(day))


def test_days_that_are_not_bank_holidays():
    assert is_working_day(D("2020-05-04"))  # the usual first Monday of May 2020 was a working day
    assert is_working_day(D("2021-12-29"))
    assert is_working_day(D("2024-02-29"))  # leap day, a Thursday


def test_one_off_days_in_counts():
    # Thu 2 Jun 2022 and Fri 3 Jun 2022 were both bank holidays: Wed 1 -> Mon 6 is 1.
    assert wd(D("2022-06-01"), D("2022-06-06")) == 1
    # Fri 16 Sep 2022 -> Tue 20 Sep 2022 skips the funeral Monday: 1.
    assert wd(D("2022-09-16"), D("2022-09-20")) == 1
    # Fri 5 May 2023 -> Tue 9 May 2023 skips the coronation Monday: 1.
    assert wd(D("2023-05-05"), D("2023-05-09")) == 1


def test_christmas_and_new_year_with_substitutes():
    # Fri 24 Dec 2021 -> Wed 29 Dec 2021: Mon 27 and Tue 28 are substitutes, so only Wed 29 counts.
    assert wd(D("2021-12-24"), D("2021-12-29")) == 1
    # Fri 31 Dec 2021 -> Tue 4 Jan 2022: Mon 3 Jan is the New Year substitute.
    assert wd(D("2021-12-31"), D("2022-01-04")) == 1


def test_easter():
    # Thu 28 Mar 2024 -> Tue 2 Apr 2024: Good Friday and Easter Monday skipped.
    assert wd(D("2024-03-28"), D("2024-04-02")) == 1


def test_leap_day_counts_once():
    # Wed 28 Feb 2024 -> Fri 1 Mar 2024: Thu 29 Feb and Fri 1 Mar.
    assert wd(D("2024-02-28"), D("2024-03-01")) == 2


def test_45_working_days_over_christmas():
    # Referral Mon 2 Dec 2024; 45 working days skip 25, 26 Dec and 1 Jan.
    # December after the 2nd: 21 weekdays - 2 holidays = 19; January 2025: 23 weekdays - 1 = 22;
    # 19 + 22 = 41, then 3, 4, 5, 6 Feb make 45: due Thu 6 Feb 2025.
    assert due_date(D("2024-12-02"), 45) == D("2025-02-06")
    assert wd(D("2024-12-02"), D("2025-02-06")) == 45
    assert wd(D("2024-12-02"), D("2025-02-07")) == 46


def test_due_date_from_a_non_working_day():
    # Start Saturday 4 Jun 2022: the first working day after it is Monday 6 Jun.
    assert due_date(D("2022-06-04"), 1) == D("2022-06-06")
    assert due_date(D("2022-06-01"), 1) == D("2022-06-06")


def test_add_months_clamps_to_month_end():
    assert add_months(D("2024-01-31"), 1) == D("2024-02-29")
    assert add_months(D("2023-01-31"), 1) == D("2023-02-28")
    assert add_months(D("2024-11-30"), 3) == D("2025-02-28")
    assert add_months(D("2024-03-31"), -1) == D("2024-02-29")
    assert add_months(D("2024-05-15"), -12) == D("2023-05-15")


def test_outside_the_calendar_is_an_error():
    with pytest.raises(ValueError, match="outside the calendar"):
        wd(D("1999-12-01"), D("2000-01-05"))


def test_duckdb_macros_match_python():
    con = duckdb.connect()
    install_calendar(con)
    rng = random.Random(7)
    pairs = []
    for _ in range(300):
        a = D("2012-01-01") + dt.timedelta(days=rng.randrange(0, 6000))
        pairs.append((a, a + dt.timedelta(days=rng.randrange(-10, 120))))
    con.execute("CREATE TABLE p (a DATE, b DATE)")
    con.executemany("INSERT INTO p VALUES (?, ?)", pairs)
    got = con.execute("SELECT a, b, wd(a, b) FROM p").fetchall()
    for a, b, n in got:
        assert n == wd(a, b), (a, b)
    due = con.execute("SELECT wd_due(DATE '2024-12-02', 45), wd_due(DATE '2022-06-04', 1)").fetchone()
    assert due == (D("2025-02-06"), D("2022-06-06"))
