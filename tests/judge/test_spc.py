"""SPC (Making Data Count XmR): each rule at its boundary, worked by hand, and NHSRplotthedots' published outputs."""

from __future__ import annotations

import datetime as dt

import pytest

from cscperf.judge.spc import (
    CONCERN,
    FAIL,
    HIT_AND_MISS,
    IMPROVEMENT,
    NEITHER,
    PASS,
    Point,
    assurance_icon,
    laney_limits,
    spc,
    special_cause,
    variation_icon,
    xmr_limits,
)


def month_ends(n: int, last: dt.date = dt.date(2026, 3, 31)) -> list[dt.date]:
    out = []
    y, m = last.year, last.month
    for _ in range(n):
        nxt = dt.date(y + (m == 12), m % 12 + 1, 1)
        out.append(nxt - dt.timedelta(days=1))
        y, m = (y, m - 1) if m > 1 else (y - 1, 12)
    return out[::-1]


def series(values: list[float | None]) -> list[Point]:
    return [Point(d, v) for d, v in zip(month_ends(len(values)), values, strict=True)]


ALTERNATING = [10.0, 12.0] * 6  # mean 11, every moving range 2: limits 11 ± 2.66 × 2 = 5.68 and 16.32


# --- limits -------------------------------------------------------------------------------------


def test_limits_by_hand():
    result = spc(series(ALTERNATING), "high", "count")
    assert result is not None
    assert result.mean == pytest.approx(11.0)
    assert (result.lower, result.upper) == (pytest.approx(5.68), pytest.approx(16.32))
    assert result.points == 12 and result.variation == "common" and result.signal is None


# NHSRplotthedots' test data: set.seed(123); rnorm(20). Its snapshots (tests/testthat/_snaps) publish the limits.
RNORM_123 = [
    -0.56047565, -0.23017749, 1.55870831, 0.07050839, 0.12928774, 1.71506499, 0.46091621, -1.26506123, -0.68685285,
    -0.44566197, 1.22408180, 0.35981383, 0.40077145, 0.11068272, -0.55584113, 1.78691314, 0.49785048, -1.96661716,
    0.70135590, -0.47279141,
]  # fmt: skip


@pytest.mark.parametrize(
    "values, mean, lpl, upl",
    [
        (RNORM_123, 0.1416238, -3.01138, 3.294627),  # ptd_spc_standard snapshot r1
        (RNORM_123[:14] + [10.0] + RNORM_123[15:], 0.6694159, -4.596625, 5.935457),  # r3: y[15] = 10, no outlier screening
        (RNORM_123[:10], 0.0746, -2.60, 2.75),  # ptd_spc snapshot, facet 0
        (RNORM_123[10:], 0.209, -3.28, 3.70),  # facet 1
    ],
)
def test_limits_agree_with_nhsrplotthedots(values, mean, lpl, upl):
    m, lo, hi = xmr_limits(values)
    tolerance = 5e-4 if len(values) == 10 else 5e-6  # the facet snapshot is printed to 3 significant figures
    assert m == pytest.approx(mean, abs=tolerance)
    assert (lo, hi) == (pytest.approx(lpl, abs=tolerance * 20), pytest.approx(upl, abs=tolerance * 20))


def test_lower_limit_floored_at_zero_and_percentages_capped_at_100():
    # alternating 0 and 50: mean 25, moving range 50, limits 25 ± 133 → 0 and 100 for a percentage
    result = spc(series([0.0, 50.0] * 6), "high", "percent")
    assert result is not None and (result.lower, result.upper) == (0.0, 100.0)
    counts = spc(series([0.0, 50.0] * 6), "high", "count")
    assert counts is not None and counts.lower == 0.0 and counts.upper == pytest.approx(158.0)


def test_fewer_than_twelve_points_is_not_charted():
    assert spc(series(ALTERNATING[:11]), "high", "count") is None
    assert spc(series(ALTERNATING), "high", "count") is not None


def test_only_the_last_24_month_ends_are_used():
    # 6 old points of 100 then 24 of the alternating series: the old points are out of the window
    result = spc(series([100.0] * 6 + ALTERNATING * 2), "high", "count")
    assert result is not None and result.points == 24 and result.mean == pytest.approx(11.0)


def test_a_gap_is_left_out_and_no_moving_range_spans_it():
    # Six 10s and six 12s around a missing month: mean 11. Ranges within each run are all 2 (10 of them);
    # the 12 → (gap) → 12 step is not a moving range (if it were, the mean range would be 20/11).
    values: list[float | None] = [10.0, 12.0, 10.0, 12.0, 10.0, 12.0, None, 12.0, 10.0, 12.0, 10.0, 12.0, 10.0]
    result = spc(series(values), "high", "count")
    assert result is not None and result.points == 12
    assert (result.mean, result.upper) == (pytest.approx(11.0), pytest.approx(16.32))


def test_latest_month_missing_is_not_judged():
    assert spc(series(ALTERNATING + [None]), "high", "count") is None


# --- rebasing at a break in series ------------------------------------------------------------------


def test_limits_rebase_after_a_break():
    # 14 months alternating 10/12, a break, then 12 months alternating 20/22: the current limits are
    # 21 ± 5.32; the earlier segment keeps its own (11 ± 5.32), for the chart.
    points = series([10.0, 12.0] * 7 + [20.0, 22.0] * 6)
    break_at = points[13].period_end
    result = spc(points, "high", "count", breaks=[break_at])
    assert result is not None and result.points == 12
    assert (result.mean, result.lower, result.upper) == (pytest.approx(21.0), pytest.approx(15.68), pytest.approx(26.32))
    assert len(result.segments) == 2
    assert result.segments[0].mean == pytest.approx(11.0) and result.segments[0].upper == pytest.approx(16.32)
    # without the break the 20s sit far above one mean of 16: a signal
    assert spc(points, "high", "count").signal is not None


def test_too_few_points_since_the_break():
    points = series([10.0, 12.0] * 7 + [20.0, 22.0] * 5 + [20.0])  # 11 points after the break
    assert spc(points, "high", "count", breaks=[points[13].period_end]) is None


# --- special-cause rules on the latest point (mean 10, limits 4 and 16: two-thirds lines at 6 and 14) ----


def rule(values: list[float]) -> str | None:
    return special_cause(values, 10.0, 4.0, 16.0)[0]


def test_a_point_exactly_on_a_limit_is_inside():
    assert rule([10, 9, 16.0]) is None
    assert rule([10, 9, 16.01]) == "outside"
    assert rule([10, 11, 3.99]) == "outside"
    assert special_cause([10, 11, 3.99], 10, 4, 16)[1] == -1


def test_shift_needs_seven_points_on_one_side():
    six = [9, 11, 11, 12, 11, 12, 11]  # the latest six above the mean, after one below
    assert rule(six) is None
    seven = [9, 11, 12, 11, 12, 11, 12, 11]
    assert rule(seven) == "shift"
    assert special_cause(seven, 10, 4, 16)[1:] == (1, 7)


def test_a_point_on_the_mean_breaks_a_shift():
    assert rule([11, 12, 11, 10, 11, 12, 11, 12, 11]) is None  # 10.0 is on the mean: the run after it is 5
    assert rule([9, 8, 9, 8, 9, 8, 9]) == "shift"


def test_trend_needs_six_rises_in_a_row():
    six_points = [11.0, 4.5, 5, 6, 7, 8, 9]  # a fall, then five rises: a run of six points (and six below the mean)
    assert rule(six_points) is None
    seven_points = [4.5, 5, 6, 7, 8, 9, 10.5]  # six rises: seven points
    assert rule(seven_points) == "trend"
    assert special_cause(seven_points, 10, 4, 16)[1:] == (1, 7)
    falling = [15.5, 15, 14.5, 13, 12, 11, 10.5]
    assert special_cause(falling, 10, 4, 16)[:2] == ("trend", -1)


def test_an_equal_step_breaks_a_trend():
    # as NHSRplotthedots' c(1:3, 3:6): a repeated value is not a rise
    # seven points crossing the mean (so no shift): with a repeat, no trend; all rising, a trend
    assert rule([4.5, 6, 8, 8, 11, 12, 13]) is None
    assert rule([4.5, 6, 8, 9, 11, 12, 13]) == "trend"


def test_two_of_three_beyond_two_thirds():
    assert rule([10, 14.5, 15]) == "two_of_three"  # both latest points beyond 14
    assert rule([14.5, 10, 15]) == "two_of_three"  # two of three, the latest among them
    assert rule([15, 14.5, 10]) is None  # the latest is not among them
    assert rule([10, 14, 15]) is None  # exactly on the two-thirds line is not beyond it
    assert rule([5, 10, 15]) is None  # one beyond each limit: not the same limit
    assert special_cause([10, 5.5, 5], 10, 4, 16)[:2] == ("two_of_three", -1)


def test_signal_points_mark_the_run():
    points = series([10.0, 12.0] * 3 + [11.0, 12.5, 12.6, 12.7, 12.8, 12.9, 13.0])
    result = spc(points, "high", "count")
    assert result is not None and result.signal == "trend"
    assert result.special_points == tuple(p.period_end for p in points[-7:])


# --- icons -------------------------------------------------------------------------------------------


def test_variation_by_polarity():
    assert variation_icon("shift", 1, "high") == IMPROVEMENT
    assert variation_icon("shift", 1, "low") == CONCERN
    assert variation_icon("trend", -1, "low") == IMPROVEMENT
    assert variation_icon("outside", -1, "high") == CONCERN
    assert variation_icon("outside", 1, "neutral") == NEITHER
    assert variation_icon("outside", 1, "high", range_judged=True) == NEITHER
    assert variation_icon(None, 0, "high") == "common"


def test_assurance_against_a_single_target():
    # NHSRplotthedots' cases: limits (1, 3), (5, 7), (1, 5) against a target of 4
    assert [assurance_icon(lo, hi, "high", 4) for lo, hi in [(1, 3), (5, 7), (1, 5)]] == [FAIL, PASS, HIT_AND_MISS]
    assert [assurance_icon(lo, hi, "low", 4) for lo, hi in [(1, 3), (5, 7), (1, 5)]] == [PASS, FAIL, HIT_AND_MISS]
    assert assurance_icon(4, 7, "high", 4) == HIT_AND_MISS  # a target exactly on a limit
    assert assurance_icon(1, 5, "high", None) == "none"
    assert assurance_icon(1, 5, "neutral", 4) == "none"


def test_assurance_against_a_range():
    band = (325.0, 360.0)
    assert assurance_icon(330, 355, "neutral", band=band) == PASS
    assert assurance_icon(325, 360, "neutral", band=band) == PASS  # limits on the range's edges are inside it
    assert assurance_icon(300, 320, "neutral", band=band) == FAIL
    assert assurance_icon(365, 380, "neutral", band=band) == FAIL
    assert assurance_icon(320, 340, "neutral", band=band) == HIT_AND_MISS
    assert assurance_icon(300, 400, "neutral", band=band) == HIT_AND_MISS


def test_a_whole_judgement():
    # A care-leaver percentage, high is better, target 80: the latest seven months all above the mean.
    values = [70.0, 72.0] * 3 + [71.0, 73.0, 74.0, 73.0, 74.0, 73.0, 74.0, 73.0]
    # 14 points: mean = (6 × 71 + 71 + 73 × 4 + 74 × 3) / 14 = 1011 / 14 = 72.214; moving ranges: 2 × 5, 1, 2, then 1 × 6 → 19 / 13
    result = spc(series(values), "high", "percent", target=80.0)
    assert result is not None
    assert result.mean == pytest.approx(1011 / 14)
    assert result.upper == pytest.approx(1011 / 14 + 2.66 * 19 / 13)
    assert (result.signal, result.variation, result.assurance) == ("shift", IMPROVEMENT, FAIL)  # upper 76.1 < 80
    assert result.sentence("high").startswith("Special-cause improvement")


# --- Laney P′ -------------------------------------------------------------------------------------------


def test_laney_limits_by_hand():
    # (5/10, 10/20, 6/10): p̄ = 21/40 = 0.525; σ(n=10) = √(0.525 × 0.475 / 10) = 0.157917, σ(20) = 0.111664.
    # z = (-0.158312, -0.223886, 0.474935); mean |Δz| = (0.065574 + 0.698821) / 2 = 0.382198; σz = 0.382198 / 1.128 = 0.338828.
    # upper(n=10) = 0.525 + 3 × 0.157917 × 0.338828 = 0.685517; upper(n=20) = 0.525 + 3 × 0.111664 × 0.338828 = 0.638504.
    p_bar, lower, upper = laney_limits([5, 10, 6], [10, 20, 10])
    assert p_bar == pytest.approx(0.525)
    assert upper == [pytest.approx(0.685517, abs=1e-5), pytest.approx(0.638504, abs=1e-5), pytest.approx(0.685517, abs=1e-5)]
    assert lower[1] == pytest.approx(0.525 - 0.113504, abs=1e-5)


def test_laney_is_for_percentages_with_denominators():
    points = [Point(d, 100 * k / n, k, n) for d, k, n in zip(month_ends(12), [5, 10, 6] * 4, [10, 20, 10] * 4, strict=True)]
    result = spc(points, "high", "percent", method="laney")
    assert result is not None and result.method == "laney" and result.mean == pytest.approx(52.5)
    with pytest.raises(ValueError, match="percentages"):
        spc(points, "high", "count", method="laney")
    with pytest.raises(ValueError, match="unknown SPC method"):
        spc(points, "high", "percent", method="cusum")


def test_no_two_consecutive_months_gives_no_limits():
    # 24 months, every other one a gap (e.g. suppressed for members): 12 figures but no moving range to measure.
    values = [None, 10.0] * 12
    assert spc(series(values), "high", "count") is None
    # one pair of consecutive months is enough: 13 figures (12 + twelve 10s = 132), one moving range |12 - 10| = 2:
    # limits 132/13 ± 2.66 × 2
    values[0] = 12.0
    result = spc(series(values), "high", "count")
    assert result is not None and (result.mean, result.upper) == (pytest.approx(132 / 13), pytest.approx(132 / 13 + 5.32))
