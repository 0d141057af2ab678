"""The text alternative of a trend chart: latest value against target, and the trend from the first month shown."""

from __future__ import annotations

import datetime as dt

import pandas as pd

from cscperf.report.text import chart_summary

NAN = float("nan")


def series(*rows: tuple) -> pd.DataFrame:
    """Rows of (period_end, basis, value, value_display, suppressed, rag, target)."""
    frame = pd.DataFrame(rows, columns=["period_end", "basis", "value", "value_display", "suppressed", "rag", "target"])
    frame["band_lo"] = NAN
    frame["band_hi"] = NAN
    return frame


def test_latest_against_target_and_the_trend_from_the_first_month():
    s = series(
        (dt.date(2024, 3, 31), "month", 45.0, "45.0%", False, "red", 98.0),
        (dt.date(2024, 1, 31), "month", 50.0, "50.0%", False, None, 98.0),
        (dt.date(2024, 2, 29), "month", 60.0, "60.0%", False, None, 98.0),  # leap day: February 2024
        (dt.date(2024, 3, 31), "rolling12", 80.0, "80.0%", False, None, NAN),  # another basis: not this chart
    )
    assert chart_summary("Visits in timescale", "percent", s, "month") == (
        "Line chart of Visits in timescale, 3 months from January 2024 to March 2024. "
        "Latest, March 2024: 45.0% against a target of 98.0% (red). Down from 50.0% in January 2024."
    )
    # The other basis: one month, no target, so no RAG and no trend.
    assert chart_summary("Visits in timescale", "percent", s, "rolling12") == (
        "Line chart of Visits in timescale, 1 month from March 2024 to March 2024. Latest, March 2024: 80.0%."
    )


def test_a_suppressed_month_is_never_described_and_the_trend_skips_it():
    s = series(
        (dt.date(2023, 12, 31), "month", 3.0, "c", True, None, NAN),
        (dt.date(2024, 1, 31), "month", 7.0, "7", False, None, NAN),
        (dt.date(2024, 2, 29), "month", 9.0, "9", False, None, NAN),
        (dt.date(2024, 3, 31), "month", 2.0, "c", True, None, NAN),
    )
    text = chart_summary("Plans open", "count", s, "month")
    assert text == (
        "Line chart of Plans open, 4 months from December 2023 to March 2024. "
        "Latest, March 2024: c (a small number, from 1 to 5, is suppressed). Up from 7 in January 2024."
    )
    assert "3" not in text.replace("2023", "") and " 2." not in text  # the hidden 3 and 2 appear nowhere


def test_a_band_target_and_no_change():
    s = series(
        (dt.date(2024, 2, 29), "month", 40.0, "40.0", False, None, NAN),
        (dt.date(2024, 3, 31), "month", 40.0, "40.0", False, "green", NAN),
    )
    s.loc[1, ["band_lo", "band_hi"]] = [35.0, 45.0]
    assert chart_summary("Caseload", "average", s, "month") == (
        "Line chart of Caseload, 2 months from February 2024 to March 2024. "
        "Latest, March 2024: 40.0 against a target of 35.0 to 45.0 (green). The same as 40.0 in February 2024."
    )
    assert chart_summary("Caseload", "average", s.iloc[0:0], "month") == "No figures to chart for Caseload."
