"""Regenerate the England and Wales bank holiday list shipped with cscperf.

Run by hand when the years covered need extending (the output is committed, so nothing is
fetched at run time):  python scripts/make_calendar.py
The `holidays` package covers one-off days (2022-06-03, 2022-09-19, 2023-05-08), moved days
(8 May 2020) and substitute days when Christmas or New Year fall at a weekend.
"""

from __future__ import annotations

import csv
from pathlib import Path

import holidays

FIRST_YEAR, LAST_YEAR = 2000, 2035
OUT = Path(__file__).resolve().parents[1] / "src" / "cscperf" / "calendar" / "bank_holidays_england_wales.csv"


def main() -> None:
    england = holidays.country_holidays("GB", subdiv="ENG", years=range(FIRST_YEAR, LAST_YEAR + 1))
    wales = holidays.country_holidays("GB", subdiv="WLS", years=range(FIRST_YEAR, LAST_YEAR + 1))
    if set(england) != set(wales):
        raise SystemExit("England and Wales bank holidays differ; the calendar assumes they match")
    with OUT.open("w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["date", "name"])
        for day in sorted(england):
            if FIRST_YEAR <= day.year <= LAST_YEAR:
                writer.writerow([day.isoformat(), england[day]])
    print(f"wrote {OUT}")


if __name__ == "__main__":
    main()
