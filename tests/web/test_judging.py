"""What members see: DfE-style primary suppression and number formats, worked by hand."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from cscperf.web import judging


@pytest.mark.parametrize(
    ("unit", "value", "num", "den", "shown"),
    [
        ("count", 0, 0, None, "0"),  # zero is not suppressed
        ("count", 1, 1, None, "c"),
        ("count", 5, 5, None, "c"),
        ("count", 6, 6, None, "6"),
        ("count", 1234, 1234, None, "1,234"),
        ("percent", 30.0, 3, 10, "c"),  # numerator 1-5
        ("percent", 0.0, 0, 2, "c"),  # denominator 1-5
        ("percent", 60.0, 6, 10, "60.0%"),
        ("percent", None, 0, 0, "–"),  # no denominator: no value, never 0 %
        ("rate_per_10k", 4.2, 4, 9500, "c"),
        ("rate_per_10k", 41.96, 40, 9533, "42.0"),
        ("days", 400.0, 2000, 5, "c"),  # an average over 1-5 children
    ],
)
def test_member_display(unit, value, num, den, shown):
    assert judging.display(unit, value, num, den, suppress=True) == shown


def test_unsuppressed_display_for_staff():
    assert judging.display("count", 3, 3, None, suppress=False) == "3"
    assert judging.display("percent", 30.0, 3, 10, suppress=False) == "30.0%"


def test_rag_and_direction_follow_the_judge():
    ind = SimpleNamespace(id="assessments_45wd_pct", unit="percent", polarity="high", target=90.0, target_band=None)
    assert judging.rag(ind, 90.0) == "green"
    assert judging.rag(ind, 86.0) == "amber"  # within 5 points
    assert judging.rag(ind, 80.0) == "red"
    assert judging.rag(ind, None) is None
    assert judging.direction(ind, 80.0, 85.0) == "better"
    assert judging.direction(ind, 85.0, 80.0) == "worse"
