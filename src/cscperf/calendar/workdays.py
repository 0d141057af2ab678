"""Working-day calendar.

A working day is Monday to Friday, not an England and Wales bank holiday. `wd(a, b)` counts
working days d with a < d <= b (same day = 0, Friday -> Monday = 1); the due date of an
N-working-day deadline is the Nth working day after the start. In the warehouse the calendar
is a table with a cumulative working-day ordinal, so `wd` is a subtraction of two joined
numbers in any SQL engine (`cscperf_calendar`, macros `wd`, `wd_due`).
"""

from __future__ import annotations

import calendar as _cal
import csv
import datetime as dt
from functools import lru_cache
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd

HOLIDAYS_FILE = Path(__file__).with_name("bank_holidays_england_wales.csv")
FIRST_DATE = dt.date(2000, 1, 1)
LAST_DATE = dt.date(2035, 12, 31)


@lru_cache(maxsize=1)
def bank_holidays() -> tuple[dt.date, ...]:
    with HOLIDAYS_FILE.open() as f:
        return tuple(dt.date.fromisoformat(row["date"]) for row in csv.DictReader(f))


@lru_cache(maxsize=1)
def _holiday_array() -> np.ndarray:
    return np.array(bank_holidays(), dtype="datetime64[D]")


def _check_range(*days: dt.date) -> None:
    for day in days:
        if not FIRST_DATE <= day <= LAST_DATE:
            raise ValueError(f"date {day} is outside the calendar ({FIRST_DATE} to {LAST_DATE})")


def is_working_day(day: dt.date) -> bool:
    _check_range(day)
    return bool(np.is_busday(np.datetime64(day, "D"), holidays=_holiday_array()))


def wd(start: dt.date, end: dt.date) -> int:
    """Working days d with start < d <= end; negative when end is before start."""
    _check_range(start, end)
    if end < start:
        return -wd(end, start)
    one = np.timedelta64(1, "D")
    a, b = np.datetime64(start, "D") + one, np.datetime64(end, "D") + one
    return int(np.busday_count(a, b, holidays=_holiday_array()))


def due_date(start: dt.date, working_days: int) -> dt.date:
    """The Nth working day after start (N >= 1)."""
    _check_range(start)
    if working_days < 1:
        raise ValueError("a deadline needs at least one working day")
    day = np.busday_offset(np.datetime64(start, "D"), working_days, roll="forward", holidays=_holiday_array())
    if not is_working_day(start):
        # busday_offset rolls a non-working start forward first; the count starts after `start`.
        day = np.busday_offset(np.datetime64(start, "D"), working_days - 1, roll="forward", holidays=_holiday_array())
    return day.astype(dt.date)


def add_months(day: dt.date, months: int) -> dt.date:
    """day + N calendar months, clamped to the month's last day (31 Jan + 1 month = 28/29 Feb)."""
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    last = _cal.monthrange(year, month + 1)[1]
    return dt.date(year, month + 1, min(day.day, last))


def calendar_frame() -> pd.DataFrame:
    """One row per date: cal_date, is_working_day, wd_ordinal (working days on or before the date)."""
    days = pd.date_range(FIRST_DATE, LAST_DATE, freq="D")
    working = np.is_busday(days.values.astype("datetime64[D]"), holidays=_holiday_array())
    return pd.DataFrame({"cal_date": days.date, "is_working_day": working, "wd_ordinal": np.cumsum(working).astype("int32")})


CALENDAR_DDL = """
CREATE OR REPLACE MACRO wd_ordinal(d) AS (SELECT wd_ordinal FROM cscperf_calendar WHERE cal_date = CAST(d AS DATE));
CREATE OR REPLACE MACRO wd(a, b) AS wd_ordinal(b) - wd_ordinal(a);
CREATE OR REPLACE MACRO wd_due(a, n) AS (
    SELECT min(cal_date) FROM cscperf_calendar
    WHERE is_working_day AND wd_ordinal = wd_ordinal(a) + n
);
"""


def install_calendar(con: duckdb.DuckDBPyConnection) -> None:
    """(Re)create the calendar table and the wd/wd_due macros in a warehouse connection."""
    frame = calendar_frame()  # noqa: F841 - read by DuckDB's replacement scan
    con.execute(
        "CREATE OR REPLACE TABLE cscperf_calendar AS "
        "SELECT CAST(cal_date AS DATE) AS cal_date, is_working_day, wd_ordinal FROM frame ORDER BY cal_date"
    )
    con.execute(CALENDAR_DDL)
