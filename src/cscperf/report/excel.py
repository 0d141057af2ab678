"""The report's Excel workbook: a summary sheet and a sheet per area with each indicator's 24 months.

Numbers are written as numbers (so analysts can chart them); suppressed cells as the text `c`.
Text is written as text, never as a formula, and formula-like text (an authority or team name
from the data beginning with `=`) is neutralised by `cscperf.files.neutralise` like every export.
"""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
import xlsxwriter

from cscperf.files import neutralise
from cscperf.judge.assess import Figure
from cscperf.judge.spc import assurance_text, variation_text
from cscperf.report.build import Report
from cscperf.report.charts import BASIS_LABEL
from cscperf.report.text import sentence, target_text

# RAG cells carry the word as well as the fill (never colour alone, WCAG 1.4.1), dark text on a light fill
# (GOV.UK tag colours, over 4.5:1, WCAG 1.4.3).
RAG_STYLE = {"green": ("#cce2d8", "#005a30"), "amber": ("#fcd6c3", "#6e3619"), "red": ("#f4cdc6", "#2a0b06")}
RAG_TEXT = {"green": "Green", "amber": "Amber", "red": "Red"}
SUMMARY_COLUMNS = [
    ("Area", 6),
    ("Indicator", 48),
    ("Id", 30),
    ("Basis", 16),
    ("Value", 10),
    ("Target", 12),
    ("RAG", 6),
    ("Previous month", 12),
    ("vs last month", 12),
    ("Same month last year", 12),
    ("vs last year", 12),
    ("England", 10),
    ("Region", 10),
    ("Stat. neighbours", 12),
    ("Band", 6),
    ("Benchmark year", 12),
    ("SPC variation", 16),
    ("SPC assurance", 14),
]


def _cell(ws: xlsxwriter.worksheet.Worksheet, row: int, col: int, value: float | None, shown: str, suppressed: bool, fmt: object) -> None:
    if suppressed or shown == "c":
        ws.write_string(row, col, "c")
    elif value is None or pd.isna(value):
        ws.write_blank(row, col, None)
    else:
        ws.write_number(row, col, float(value), fmt)


def _text(ws: xlsxwriter.worksheet.Worksheet, row: int, col: int, value: str, fmt: object = None) -> None:
    """A text cell: written as a string (xlsxwriter's `write` would turn '=...' into a formula), neutralised."""
    ws.write_string(row, col, str(neutralise(value)), fmt)


def _summary_row(fig: Figure, report: Report) -> list[object]:
    b = fig.benchmark
    return [
        fig.indicator.area,
        fig.indicator.name,
        fig.id,
        BASIS_LABEL.get(fig.basis, fig.basis),
        (fig.value, fig.display, fig.suppressed),
        target_text(fig) or None,
        RAG_TEXT.get(fig.rag or ""),
        (fig.previous, fig.previous_display, fig.previous_display == "c"),
        fig.vs_previous,
        (fig.last_year, fig.last_year_display, fig.last_year_display == "c"),
        fig.vs_last_year,
        b.england.value if b.available else None,
        b.region.value if b.available else None,
        b.sn(report.sn_method) if b.available else None,
        fig.quartile,
        b.year_label if b.available else (b.reason or None),
        variation_text(fig.spc),
        assurance_text(fig.spc),
    ]


def _write_summary(wb: xlsxwriter.Workbook, report: Report, fmts: dict) -> None:
    ws = wb.add_worksheet("Summary")
    _text(ws, 0, 0, f"{report.la_name} – children's services performance – {report.month}", fmts["title"])
    note = "Members' pack: counts from 1 to 5 and figures built on them are shown as c." if report.members else "Management information."
    _text(ws, 1, 0, note)
    for c, (name, width) in enumerate(SUMMARY_COLUMNS):
        _text(ws, 3, c, name, fmts["head"])
        ws.set_column(c, c, width)
    for r, fig in enumerate(report.figures, start=4):
        for c, item in enumerate(_summary_row(fig, report)):
            if isinstance(item, tuple):
                _cell(ws, r, c, *item, fmts["num"])
            elif isinstance(item, float):
                ws.write_number(r, c, item, fmts["num"])
            elif isinstance(item, str):
                _text(ws, r, c, item, fmts.get(f"rag_{fig.rag}") if c == 6 else None)
            elif item is not None:
                ws.write(r, c, item)
    ws.freeze_panes(4, 3)
    _name_table(ws, "Summary", 3, 3 + len(report.figures), [name for name, _ in SUMMARY_COLUMNS], fmts["head"])


def sheet_name(text: str) -> str:
    """Excel's rules for a sheet name: at most 31 characters, none of []:*?/\\ (an area name may hold a colon)."""
    return re.sub(r"[\[\]:*?/\\]", "-", text)[:31].rstrip()


def _write_area(wb: xlsxwriter.Workbook, report: Report, area: str, name: str, figs: list[Figure], fmts: dict) -> None:
    ws = wb.add_worksheet(sheet_name(f"{area} {name}"))
    _text(ws, 0, 0, f"{area}. {name} – {report.month}", fmts["title"])
    months = sorted({d for f in figs for d in f.series["period_end"]})
    head = ["Indicator", "Id", "Basis", "Target", "RAG", *[f"{d:%b %Y}" for d in months], "Commentary (automatic)"]
    for c, h in enumerate(head):
        _text(ws, 2, c, h, fmts["head"])
    ws.set_column(0, 0, 44)
    ws.set_column(1, 1, 28)
    ws.set_column(2, 4, 12)
    ws.set_column(5, 4 + len(months), 9)
    ws.set_column(5 + len(months), 5 + len(months), 90)
    row = 3
    for fig in figs:
        for basis in sorted(set(fig.series["basis"]), key=lambda b: b != fig.basis):
            s = fig.series[fig.series["basis"] == basis].set_index("period_end")
            _text(ws, row, 0, fig.indicator.name)
            _text(ws, row, 1, fig.id)
            _text(ws, row, 2, BASIS_LABEL.get(basis, basis))
            if basis == fig.basis:
                _text(ws, row, 3, target_text(fig) or "")
                if fig.rag:
                    _text(ws, row, 4, RAG_TEXT[fig.rag], fmts[f"rag_{fig.rag}"])
                _text(ws, row, 5 + len(months), sentence(fig, report.sn_method))
            for c, d in enumerate(months, start=5):
                if d in s.index:
                    _cell(ws, row, c, s.at[d, "value"], str(s.at[d, "value_display"]), bool(s.at[d, "suppressed"]), fmts["num"])
            row += 1
    ws.freeze_panes(3, 2)
    _name_table(ws, f"Area_{area}", 2, row - 1, head, fmts["head"])


def _name_table(ws: xlsxwriter.worksheet.Worksheet, name: str, first: int, last: int, headers: list[str], head: object) -> None:
    """An Excel table over rows first (the header) to last: screen readers announce its name and column headers,
    and it filters and sorts (replacing a bare autofilter). The cells are already written, so only headers are set."""
    columns = [{"header": h, "header_format": head} for h in headers]
    ws.add_table(first, 0, last, len(headers) - 1, {"name": name, "columns": columns, "style": "Table Style Light 1", "autofilter": True})


def write_excel(report: Report, path: Path) -> None:
    wb = xlsxwriter.Workbook(str(path), {"strings_to_formulas": False})
    fmts = {
        "title": wb.add_format({"bold": True, "font_size": 13}),
        "head": wb.add_format({"bold": True, "bg_color": "#0b0c0c", "font_color": "#ffffff", "text_wrap": True}),
        "num": wb.add_format({"num_format": "#,##0.0"}),
        **{
            f"rag_{k}": wb.add_format({"bg_color": fill, "font_color": ink, "bold": True, "align": "center"})
            for k, (fill, ink) in RAG_STYLE.items()
        },
        "rag_None": None,
    }
    _write_summary(wb, report, fmts)
    for area, name, figs in report.by_area():
        if figs:
            _write_area(wb, report, area, name, figs, fmts)
    wb.close()
