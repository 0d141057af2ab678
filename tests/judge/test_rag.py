import datetime as dt

import pytest

from cscperf.judge.rag import direction, rag
from cscperf.judge.targets import Target


def t(target=None, band=None, tol=5.0, kind="absolute"):
    return Target("x", target, band, tol, kind, "month")


@pytest.mark.parametrize(
    ("value", "expected"),
    [(98.0, "green"), (99.5, "green"), (93.0, "amber"), (92.9, "red"), (97.96, "green")],  # 97.96 prints as 98.0
)
def test_high_polarity_absolute_tolerance(value, expected):
    assert rag(value, t(98.0), "high") == expected


@pytest.mark.parametrize(("value", "expected"), [(22.0, "green"), (10.0, "green"), (27.0, "amber"), (27.1, "red")])
def test_low_polarity(value, expected):
    assert rag(value, t(22.0), "low") == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    # band 35-45, 10 % relative tolerance: 31.5 below (10 % of 35), 49.5 above (10 % of 45)
    [(35.0, "green"), (45.0, "green"), (40.0, "green"), (31.5, "amber"), (31.4, "red"), (49.5, "amber"), (49.6, "red")],
)
def test_neutral_band_relative_tolerance(value, expected):
    assert rag(value, t(band=(35.0, 45.0), tol=0.10, kind="relative"), "neutral", "rate_per_10k") == expected


def test_relative_tolerance_on_low_average():
    # caseload target 20, 10 % tolerance = 2 cases
    assert rag(22.0, t(20.0, tol=0.1, kind="relative"), "low", "average") == "amber"
    assert rag(22.1, t(20.0, tol=0.1, kind="relative"), "low", "average") == "red"


def test_no_value_or_no_target_gives_none():
    assert rag(None, t(90.0), "high") is None
    assert rag(float("nan"), t(90.0), "high") is None
    assert rag(50.0, t(), "high") is None
    assert rag(50.0, None, "high") is None


def test_zero_target_counts():
    # target 0 for a low count: any case is off target; relative tolerance of 0 leaves no amber
    assert rag(0, t(0.0, tol=0.1, kind="relative"), "low", "count") == "green"
    assert rag(1, t(0.0, tol=0.1, kind="relative"), "low", "count") == "red"


@pytest.mark.parametrize(
    ("cur", "prev", "polarity", "expected"),
    [
        (93.8, 91.2, "high", "better"),
        (91.2, 93.8, "high", "worse"),
        (18.0, 20.0, "low", "better"),
        (22.0, 20.0, "low", "worse"),
        (40.0, 38.0, "neutral", "up"),
        (36.0, 38.0, "neutral", "down"),
        (90.04, 90.0, "high", "same"),  # within 0.05
        (101.0, 100.0, "low", "same"),  # within 1 %
        (102.0, 100.0, "low", "worse"),
        (None, 90.0, "high", None),
    ],
)
def test_direction(cur, prev, polarity, expected):
    assert direction(cur, prev, polarity) == expected


def test_target_dates_are_dates():
    assert isinstance(t(1.0).effective_from, dt.date | None)
