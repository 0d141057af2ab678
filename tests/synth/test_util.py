"""The vectorised date and grouping helpers agree with the calendar module and hand-worked cases."""

from __future__ import annotations

import datetime as dt

import numpy as np

from cscperf.calendar.workdays import add_months as add_months_one
from cscperf.calendar.workdays import due_date, wd
from cscperf.synth._util import add_months, add_wd, age_at, group_cumsum, group_offsets, latest_before, sub_wd, wd_between


def d(*days: str) -> np.ndarray:
    return np.array(days, dtype="datetime64[D]")


def test_add_wd_skips_weekends_and_bank_holidays():
    # Christmas 2024: 25 and 26 December are holidays, so two working days after Tuesday 24th is Monday 30th.
    assert add_wd(d("2024-12-24"), 2).tolist() == [dt.date(2024, 12, 30)]
    # From a Saturday, the first working day after is Monday; n = 0 keeps the date.
    assert add_wd(d("2024-06-01", "2024-06-01"), np.array([1, 0])).tolist() == [dt.date(2024, 6, 3), dt.date(2024, 6, 1)]


def test_add_wd_matches_the_calendar_due_date():
    rng = np.random.default_rng(0)
    starts = np.datetime64("2019-01-01") + rng.integers(0, 2500, 300).astype("timedelta64[D]")
    n = rng.integers(1, 60, 300)
    got = add_wd(starts, n)
    want = [due_date(s.astype(dt.date), int(k)) for s, k in zip(starts, n, strict=True)]
    assert got.tolist() == want
    assert wd_between(starts, got).tolist() == [wd(s.astype(dt.date), w) for s, w in zip(starts, want, strict=True)]


def test_sub_wd_steps_back_over_a_weekend():
    # One working day before Monday 3 June 2024 is Friday 31 May.
    assert sub_wd(d("2024-06-03", "2024-06-03"), np.array([1, 0])).tolist() == [dt.date(2024, 5, 31), dt.date(2024, 6, 3)]


def test_add_months_clamps_to_month_end():
    got = add_months(d("2024-01-31", "2023-08-31", "2024-02-29"), np.array([1, 6, 12]))
    assert got.tolist() == [dt.date(2024, 2, 29), dt.date(2024, 2, 29), dt.date(2025, 2, 28)]
    assert got[0].astype(dt.date) == add_months_one(dt.date(2024, 1, 31), 1)


def test_age_at_counts_whole_years():
    dob = d("2010-03-31", "2010-03-31", "2008-02-29")
    on = d("2026-03-30", "2026-03-31", "2026-02-28")
    assert age_at(dob, on).tolist() == [15, 16, 17]


def test_group_helpers():
    owner, k = group_offsets(np.array([2, 0, 3]))
    assert owner.tolist() == [0, 0, 2, 2, 2]
    assert k.tolist() == [0, 1, 0, 1, 2]
    assert group_cumsum(np.array([5, 1, 2, 3, 4]), owner).tolist() == [5, 6, 2, 5, 9]


def test_latest_before_is_the_latest_earlier_date_in_the_group():
    # Child 1: ends 10 May, 1 May, NaT, 20 May. Before the second row the latest is 10 May; before the third, still
    # 10 May (1 May is earlier); before the fourth, NaT (the row before has no date, as pandas' cummax().shift()).
    # Child 2 starts afresh: nothing before its first row, then its own 3 March.
    dates = d("2024-05-10", "2024-05-01", "NaT", "2024-05-20", "2024-03-03", "2024-02-01")
    groups = np.array([1, 1, 1, 1, 2, 2])
    want = d("NaT", "2024-05-10", "2024-05-10", "NaT", "NaT", "2024-03-03")
    got = latest_before(dates, groups)
    assert np.array_equal(np.isnat(got), np.isnat(want))
    assert (got[~np.isnat(want)] == want[~np.isnat(want)]).all()
    assert latest_before(d(), np.array([], dtype=int)).size == 0
