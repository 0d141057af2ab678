"""The report workbook never holds a formula: text from the data that begins like one (an authority
name typed as =1+2) is written as text with the apostrophe every export uses; numbers stay numbers."""

import dataclasses

import openpyxl

from cscperf.indicators.registry import REGISTRY
from cscperf.report.build import build
from cscperf.report.excel import write_excel

from .conftest import PERIOD_END


def test_formula_like_text_is_written_as_neutral_text(warehouse, tmp_path):
    registry = {i: REGISTRY[i] for i in ("referrals", "assessments_45wd_pct")}
    targets = tmp_path / "targets.yaml"
    targets.write_text("indicators:\n  referrals: {target: 150}\n")
    report = build(warehouse, PERIOD_END, "management", targets=targets, registry=registry)
    report = dataclasses.replace(report, la_name="=1+2")
    path = tmp_path / "report.xlsx"
    write_excel(report, path)
    wb = openpyxl.load_workbook(path)
    title = wb["Summary"]["A1"]
    assert (title.value, title.data_type) == ("'=1+2 – children's services performance – January 2026", "s")
    cells = [c for ws in wb for row in ws.iter_rows() for c in row if c.value is not None]
    assert not [c.coordinate for c in cells if c.data_type == "f"]  # no formulas anywhere
    # the figures are still numbers: the summary's Value column (E) for both indicators
    values = [wb["Summary"].cell(row, 5) for row in (5, 6)]
    assert [c.data_type for c in values] == ["n", "n"]
