"""Statistical process control in the report: the commentary sentence, the chart's limits and the icons, worked by hand.

`cp_visits_in_timescale_pct` (higher is better, target 98 %) over 13 months to January 2026, out of 100 each month:
10, 12, 10, 12, 10, 12, 3, 10, 12, 10, 12, 10 and then 30. Members never see July's 3 (a numerator from 1 to 5).

- management, 13 points: mean 153/13 = 11.8; moving ranges five of 2, 9, 7, four of 2 and 20: 54/12 = 4.5;
  limits 11.77 ± 11.97: -0.2 floored to 0.0, and 23.7. January's 30 is above: special-cause improvement.
- members, 12 points (July a gap, no range across it): mean 150/12 = 12.5; ranges five of 2, four of 2 and 20:
  38/10 = 3.8; limits 12.5 ± 10.108 = 2.4 and 22.6. 30 is still above: improvement.
Both bands lie wholly below 98: the target will consistently be missed (Fail).
"""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from cscperf.indicators.registry import REGISTRY
from cscperf.judge.assess import months_back
from cscperf.judge.spc import Point, spc
from cscperf.report import charts
from cscperf.report.build import build, render_html
from cscperf.warehouse.schema import RESULT_COLUMNS

from .conftest import LA, PERIOD_END

IID = "cp_visits_in_timescale_pct"
NUMERATORS = [10, 12, 10, 12, 10, 12, 3, 10, 12, 10, 12, 10, 30]
GAP_NOTE = "Months suppressed (c) are gaps: left out of the chart and of the process mean and limits."


def frame(numerators: list[int]) -> pd.DataFrame:
    ends = [months_back(PERIOD_END, n) for n in range(len(numerators) - 1, -1, -1)]
    rows = [
        (IID, "month", e.replace(day=1), e, "la", LA, float(k), 100.0, float(k), "percent") for e, k in zip(ends, numerators, strict=True)
    ]
    return pd.DataFrame(rows, columns=RESULT_COLUMNS)


@pytest.fixture(scope="module")
def reports(warehouse, tmp_path_factory):
    targets = tmp_path_factory.mktemp("t") / "targets.yaml"
    targets.write_text(f"indicators:\n  {IID}: {{target: 98}}\n")
    subset = {IID: REGISTRY[IID]}
    return {
        a: build(warehouse, PERIOD_END, a, targets=targets, registry=subset, results=frame(NUMERATORS)) for a in ("members", "management")
    }


def article(html: str) -> str:
    start = html.index(f'id="ind-{IID}"')
    return html[start : html.index("</article>", start)]


def summary_cells(html: str) -> str:
    start = html.index('class="summary-table"')
    return html[start : html.index("</table>", start)]


@pytest.mark.parametrize(
    "audience, mean, lower, upper",
    [("management", "11.8%", "0.0%", "23.7%"), ("members", "12.5%", "2.4%", "22.6%")],
)
def test_limits_and_icons_in_the_report(reports, audience, mean, lower, upper):
    html = render_html(reports[audience])
    assert '<td class="spc spc-improvement">Improvement ↑</td>' in summary_cells(html)
    assert '<td class="spc">✗ Fail</td>' in summary_cells(html)
    assert f"process mean {mean}, limits {lower} to {upper}" in article(html)
    assert "Special-cause improvement: the latest figure is outside the process limits (higher)." in article(html)
    assert (GAP_NOTE in article(html)) == (audience == "members")


def test_members_limits_leave_the_suppressed_month_out(reports):
    fig = next(f for f in reports["members"].figures if f.id == IID)
    assert fig.spc is not None and fig.spc.points == 12
    assert (fig.spc.mean, fig.spc.lower, fig.spc.upper) == (
        pytest.approx(12.5),
        pytest.approx(12.5 - 2.66 * 3.8),
        pytest.approx(12.5 + 2.66 * 3.8),
    )
    drawn = charts.spc_frame(fig.spc)
    assert len(drawn) == 12 and dt.date(2025, 7, 31) not in set(drawn["period_end"].dt.date)  # July: no point, no limit
    assert drawn.loc[drawn["special"], "period_end"].dt.date.tolist() == [PERIOD_END]  # the ring: January only


def test_common_cause_replaces_the_movement_in_the_sentence(warehouse, tmp_path):
    # 12 months alternating 10 and 12 %, January 12: mean 11, limits 5.68 and 16.32, no rule broken. Without SPC the
    # sentence would say "up from 10.0% in December 2025 (better)"; the change is noise, so it says so instead.
    targets = tmp_path / "targets.yaml"
    targets.write_text(f"indicators:\n  {IID}: {{target: 98}}\n")
    report = build(warehouse, PERIOD_END, "management", targets=targets, registry={IID: REGISTRY[IID]}, results=frame([10, 12] * 6))
    text = article(render_html(report))
    assert "Common-cause variation: no significant change." in text and "up from" not in text
    assert '<td class="spc spc-common">Common cause ∼</td>' in summary_cells(render_html(report))


def test_the_chart_draws_limits_per_segment_between_breaks():
    # test_spc's rebasing example: 14 months alternating 10/12, a break, 12 months alternating 20/22 (the window keeps
    # the last 24: 12 before, 12 after). Segment 0: mean 11, limits 5.68/16.32; segment 1: mean 21, limits 15.68/26.32.
    ends = [months_back(PERIOD_END, n) for n in range(25, -1, -1)]
    points = [Point(e, v) for e, v in zip(ends, [10.0, 12.0] * 7 + [20.0, 22.0] * 6, strict=True)]
    result = spc(points, "high", "count", breaks=[ends[13]])
    drawn = charts.spc_frame(result)
    by_segment = drawn.groupby("segment")[["mean", "lower", "upper"]].first()
    assert by_segment.to_dict("index") == {
        0: {"mean": pytest.approx(11.0), "lower": pytest.approx(5.68), "upper": pytest.approx(16.32)},
        1: {"mean": pytest.approx(21.0), "lower": pytest.approx(15.68), "upper": pytest.approx(26.32)},
    }
    spec = charts.indicator_chart(pd.DataFrame(columns=charts_columns()), "count", "month", spc=result)
    dashes = [layer["mark"].get("strokeDash") for layer in spec["layer"] if isinstance(layer.get("mark"), dict)]
    assert [8, 3] in dashes  # the process limits


def charts_columns() -> list[str]:
    return ["period_end", "basis", "value", "rag", "target", "band_lo", "band_hi"]


def test_the_workbook_summary_has_both_icons(reports, tmp_path):
    import openpyxl

    from cscperf.report.excel import write_excel

    write_excel(reports["members"], tmp_path / "r.xlsx")
    sheet = openpyxl.load_workbook(tmp_path / "r.xlsx")["Summary"]
    head = [c.value for c in sheet[4]]
    row = next(r for r in sheet.iter_rows(min_row=5, values_only=True) if r[2] == IID)
    assert head[-2:] == ["SPC variation", "SPC assurance"] and row[-2:] == ("Improvement ↑", "✗ Fail")
