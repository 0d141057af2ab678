import pandas as pd
import pytest

from cscperf.judge.suppression import display, format_value, suppress

COLS = ["indicator_id", "basis", "period_end", "breakdown", "breakdown_value", "numerator", "denominator", "value", "unit"]


def frame(rows):
    return pd.DataFrame(rows, columns=COLS)


def test_primary_counts_and_percentages():
    out = suppress(
        frame(
            [
                ("a", "month", "2026-01-31", "la", "874", 0, None, 0, "count"),
                ("b", "month", "2026-01-31", "la", "874", 3, None, 3, "count"),
                ("c", "month", "2026-01-31", "la", "874", 6, None, 6, "count"),
                ("d", "month", "2026-01-31", "la", "874", 4, 40, 10.0, "percent"),  # numerator small
                ("e", "month", "2026-01-31", "la", "874", 0, 5, 0.0, "percent"),  # denominator small
                ("f", "month", "2026-01-31", "la", "874", 30, 40, 75.0, "percent"),
                ("g", "rolling12", "2026-01-31", "la", "874", 2, 39000, 0.51, "rate_per_10k"),
                ("h", "month", "2026-01-31", "la", "874", 1200, 3, 400.0, "average"),  # average over 3 children
            ]
        )
    )
    assert out["value_display"].tolist() == ["0", "c", "6", "c", "c", "75.0%", "c", "c"]
    assert out.loc[3, "numerator_display"] == "c" and out.loc[3, "denominator_display"] == "40"
    assert out["suppressed"].tolist() == [False, True, False, True, True, False, True, True]


def test_secondary_suppression_hides_next_smallest_in_breakdown():
    rows = [
        ("x", "month", "2026-01-31", "la", "874", 30, None, 30, "count"),
        ("x", "month", "2026-01-31", "team", "T1", 3, None, 3, "count"),
        ("x", "month", "2026-01-31", "team", "T2", 0, None, 0, "count"),
        ("x", "month", "2026-01-31", "team", "T3", 12, None, 12, "count"),
        ("x", "month", "2026-01-31", "team", "T4", 15, None, 15, "count"),
    ]
    out = suppress(frame(rows))
    # T1 is primary; 30 - 12 - 15 - 0 would give it away, so T3 (next smallest non-zero) goes too.
    assert out["value_display"].tolist() == ["30", "c", "0", "c", "15"]


def test_no_secondary_when_two_cells_already_hidden_or_none():
    rows = [
        ("x", "month", "2026-01-31", "team", "T1", 3, None, 3, "count"),
        ("x", "month", "2026-01-31", "team", "T2", 2, None, 2, "count"),
        ("x", "month", "2026-01-31", "team", "T3", 12, None, 12, "count"),
        ("y", "month", "2026-01-31", "team", "T1", 8, None, 8, "count"),
        ("y", "month", "2026-01-31", "team", "T2", 9, None, 9, "count"),
    ]
    assert suppress(frame(rows))["value_display"].tolist() == ["c", "c", "12", "8", "9"]


def test_secondary_on_percentage_breakdown_via_numerators():
    rows = [
        ("p", "month", "2026-01-31", "team", "T1", 4, 10, 40.0, "percent"),
        ("p", "month", "2026-01-31", "team", "T2", 9, 10, 90.0, "percent"),
        ("p", "month", "2026-01-31", "team", "T3", 20, 25, 80.0, "percent"),
    ]
    assert suppress(frame(rows))["value_display"].tolist() == ["c", "c", "80.0%"]


def test_management_view_is_unsuppressed():
    rows = [("b", "month", "2026-01-31", "la", "874", 3, None, 3, "count")]
    assert display(frame(rows), suppressed=False)["value_display"].tolist() == ["3"]


def test_format_value():
    assert format_value(1234, "count") == "1,234"
    assert format_value(93.75, "percent") == "93.8%"
    assert format_value(None, "percent") == "–"
    assert format_value(35.26, "rate_per_10k") == "35.3"


@pytest.mark.parametrize(
    ("unit", "num", "den", "value", "shown"),
    [
        ("count", 0, None, 0, "0"),  # a true zero is shown
        ("count", 1, None, 1, "c"),
        ("count", 5, None, 5, "c"),
        ("count", 6, None, 6, "6"),
        ("count", 1234, None, 1234, "1,234"),
        ("percent", 3, 10, 30.0, "c"),  # numerator 1-5
        ("percent", 0, 2, 0.0, "c"),  # denominator 1-5
        ("percent", 6, 10, 60.0, "60.0%"),
        ("percent", 0, 0, None, "–"),  # no denominator: no value, never 0 %
        ("rate_per_10k", 4, 9500, 4.2, "c"),
        ("rate_per_10k", 40, 9533, 41.96, "42.0"),
        ("days", 2000, 5, 400.0, "c"),  # an average over 1-5 children
    ],
)
def test_authority_figure_boundaries(unit, num, den, value, shown):
    out = suppress(frame([("x", "month", "2026-01-31", "la", "874", num, den, value, unit)]))
    assert out.loc[0, "value_display"] == shown
    assert display(frame([("x", "month", "2026-01-31", "la", "874", num, den, value, unit)]), suppressed=False).loc[0, "value_display"] == (
        format_value(value, unit)
    )
