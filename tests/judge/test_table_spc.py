"""Statistical process control in the judged table (`spc_*` columns), worked by hand on hand-built month series."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from cscperf.judge.assess import judge, months_back
from cscperf.judge.table import json_rows, table
from cscperf.judge.targets import load_targets

JAN = dt.date(2026, 1, 31)
LA = "874"
SPC = ["spc_mean", "spc_lower", "spc_upper", "spc_variation", "spc_assurance"]


def month_rows(iid: str, values: list[float], unit: str, basis: str = "month") -> list[dict]:
    """One `la` row per month, the last at JAN; a count's numerator is its value, a percentage's denominator 100."""
    ends = [months_back(JAN, n) for n in range(len(values) - 1, -1, -1)]
    return [
        dict(
            indicator_id=iid,
            basis=basis,
            period_end=end,
            period_start=end.replace(day=1),
            breakdown="la",
            breakdown_value=LA,
            numerator=v,
            denominator=100.0 if unit == "percent" else None,
            value=v,
            unit=unit,
        )
        for end, v in zip(ends, values, strict=True)
    ]


def spc_of(registry, book, frame_rows, iid, suppressed=False, breaks=None):
    frame = pd.DataFrame(frame_rows)
    figures = judge(frame, JAN, LA, book, registry=registry, suppressed=suppressed, breaks=breaks)
    got = {r["indicator_id"]: r for r in json_rows(table(figures))}
    return [got[iid][c] for c in SPC]


@pytest.fixture
def book(registry, tmp_path):
    path = tmp_path / "targets.yaml"
    path.write_text("indicators: {}\n")
    return load_targets(path, registry)


# rereferral_pct (lower is better, target 22): 7 months alternating 20/22, then 7 alternating 24/26.
# Mean 320/14 = 22.857; moving ranges: twelve of 2 and one of 4 (20 -> 24), mean 28/13 = 2.154;
# limits 22.857 ± 2.66 × 2.154 = 17.128 and 28.586. Two-thirds line 26.676: 24, 26, 24 are under it;
# no trend; the last 7 (24..24) are all above the mean: a shift up, so concern. Target 22 inside the limits.
SHIFT = [20.0, 22.0, 20.0, 22.0, 20.0, 22.0, 20.0, 24.0, 26.0, 24.0, 26.0, 24.0, 26.0, 24.0]


def test_a_shift_up_in_a_lower_is_better_figure_is_concern(registry, book):
    rows = month_rows("rereferral_pct", SHIFT, "percent")
    rows += month_rows("rereferral_pct", [50.0] * 14, "percent", basis="ytd")  # never read: month basis only
    mean, lower, upper, variation, assurance = spc_of(registry, book, rows, "rereferral_pct")
    assert mean == pytest.approx(320 / 14)
    assert (lower, upper) == (pytest.approx(17.128, abs=5e-4), pytest.approx(28.586, abs=5e-4))
    assert (variation, assurance) == ("concern", "hit_and_miss")


def test_the_same_shift_in_a_higher_is_better_figure_is_improvement(registry, book):
    # visits_pct (higher is better, target 98): the same limits lie wholly below 98, so the target will be missed.
    _, _, upper, variation, assurance = spc_of(registry, book, month_rows("visits_pct", SHIFT, "percent"), "visits_pct")
    assert upper == pytest.approx(28.586, abs=5e-4)
    assert (variation, assurance) == ("improvement", "fail")


def test_eleven_months_are_too_few(registry, book):
    assert spc_of(registry, book, month_rows("rereferral_pct", SHIFT[-11:], "percent"), "rereferral_pct") == [None] * 5


def test_a_break_rebases_the_limits(registry, book):
    # A break after the 2nd month leaves 12 months (alternating 20/22 then 24/26...) in the current segment only:
    # with it, 12 points; without, 14. Breaks the judge is given reach SPC (the day before the first figure after it).
    rows = month_rows("rereferral_pct", SHIFT, "percent")
    first_after = months_back(JAN, 11)
    mean, *_ = spc_of(registry, book, rows, "rereferral_pct", breaks={"rereferral_pct": [first_after - dt.timedelta(days=1)]})
    # the last 12: 20,22,20,22,20 and 24,26,24,26,24,26,24: sum 104 + 174 = 278
    assert mean == pytest.approx(278 / 12)


# contacts (a count, neutral, no target): 13 months 10,12,10,12,10,12, 5, 10,12,10,12,10,12. Members never see 5.
CONTACTS = [10.0, 12.0, 10.0, 12.0, 10.0, 12.0, 5.0, 10.0, 12.0, 10.0, 12.0, 10.0, 12.0]


def test_management_limits_include_every_month(registry, book):
    # 13 points: mean 137/13 = 10.538; ranges: ten of 2, then 12 -> 5 = 7 and 5 -> 10 = 5: mean 32/12 = 2.667;
    # limits 10.538 ± 7.093 = 3.445 and 17.631.
    mean, lower, upper, variation, assurance = spc_of(registry, book, month_rows("contacts", CONTACTS, "count"), "contacts")
    assert mean == pytest.approx(137 / 13)
    assert (lower, upper) == (pytest.approx(137 / 13 - 2.66 * 32 / 12), pytest.approx(137 / 13 + 2.66 * 32 / 12))
    assert (variation, assurance) == ("common", "none")


def test_members_suppressed_month_is_a_gap_left_out_of_the_limits(registry, book):
    # The 5 is suppressed: 12 points, mean 132/12 = 11; no moving range across the gap (12 -> gap -> 10), so ten
    # ranges of 2: limits 11 ± 5.32 = 5.68 and 16.32.
    mean, lower, upper, variation, _ = spc_of(registry, book, month_rows("contacts", CONTACTS, "count"), "contacts", suppressed=True)
    assert (mean, lower, upper) == (pytest.approx(11.0), pytest.approx(5.68), pytest.approx(16.32))
    assert variation == "common"


def test_members_get_no_spc_when_the_latest_month_is_suppressed(registry, book):
    rows = month_rows("contacts", [*CONTACTS[1:], 4.0], "count")
    assert spc_of(registry, book, rows, "contacts", suppressed=True) == [None] * 5
    # management sees 4: 13 points, mean 131/13 = 10.077, moving ranges 38/12 = 3.167, lower limit 1.654: common
    assert spc_of(registry, book, rows, "contacts")[1] == pytest.approx(131 / 13 - 2.66 * 38 / 12)
    assert spc_of(registry, book, rows, "contacts")[3] == "common"


def test_laney_is_set_per_indicator_in_the_targets_file(registry, tmp_path):
    path = tmp_path / "targets.yaml"
    path.write_text("indicators:\n  rereferral_pct: {spc_method: laney}\n")
    laney = load_targets(path, registry)
    frame = pd.DataFrame(month_rows("rereferral_pct", SHIFT, "percent"))
    (fig,) = (f for f in judge(frame, JAN, LA, laney, registry=registry) if f.id == "rereferral_pct")
    # every denominator 100: p̄ = 320/1400; the centre line is the pooled proportion, as a percentage
    assert fig.spc is not None and fig.spc.method == "laney" and fig.spc.mean == pytest.approx(100 * 320 / 1400)


def test_laney_on_a_count_is_refused(registry, tmp_path):
    from cscperf.errors import UserError

    path = tmp_path / "targets.yaml"
    path.write_text("indicators:\n  contacts: {spc_method: laney}\n")
    with pytest.raises(UserError, match="field spc_method: laney is for percentages only"):
        load_targets(path, registry)


def test_members_with_every_other_month_suppressed_get_no_spc(registry, book):
    # contacts 4, 10, 4, 10, ... over 24 months: members see twelve 10s with a gap between each, so no moving range.
    # Management sees all 24: mean 7, every moving range 6, limits 7 ± 15.96 (lower floored at 0): common cause.
    rows = month_rows("contacts", [4.0, 10.0] * 12, "count")
    assert spc_of(registry, book, rows, "contacts", suppressed=True) == [None] * 5
    assert spc_of(registry, book, rows, "contacts") == [pytest.approx(7.0), 0.0, pytest.approx(7 + 2.66 * 6), "common", "none"]
