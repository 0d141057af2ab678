"""The packs are published with council papers (Public Sector Bodies Accessibility Regulations 2018): the PDFs are
tagged (PDF/UA-1) with every chart described, the HTML pack passes axe-core, and the workbook uses named tables."""

from __future__ import annotations

from pathlib import Path

import pytest
from openpyxl import load_workbook
from pypdf import PdfReader
from pypdf.generic import ArrayObject, DictionaryObject

from cscperf.report.text import month_name
from tests.report.conftest import PERIOD_END
from tests.report.test_report import SUBSET, expected, packs, targets_file  # noqa: F401 - the module's fixtures

AUDIENCES = ["members", "management"]


def struct_elements(reader: PdfReader) -> list[DictionaryObject]:
    """Every structure element, depth first: the document's reading order."""
    return descendants(reader.trailer["/Root"]["/StructTreeRoot"]["/K"])


def descendants(node) -> list[DictionaryObject]:
    out: list[DictionaryObject] = []

    def walk(node) -> None:
        node = node.get_object()
        if isinstance(node, ArrayObject):
            for k in node:
                walk(k)
        elif isinstance(node, DictionaryObject) and "/S" in node:
            out.append(node)
            if "/K" in node:
                walk(node["/K"])

    walk(node)
    return out


def kind(element: DictionaryObject) -> str:
    return str(element["/S"]).lstrip("/")


@pytest.mark.parametrize("audience", AUDIENCES)
def test_pdf_is_tagged_with_language_title_and_marked_content(packs, audience):  # noqa: F811
    reader = PdfReader(packs[audience]["pdf"])
    root = reader.trailer["/Root"]
    assert "/StructTreeRoot" in root
    assert root["/MarkInfo"]["/Marked"] in (True, "true")
    assert str(root["/Lang"]) == "en-GB"
    assert root["/ViewerPreferences"]["/DisplayDocTitle"] in (True, "true")  # viewers show the title, not the file name
    assert reader.metadata.title == f"Peterborough – Children's services performance – {month_name(PERIOD_END)}"
    assert len(struct_elements(reader)) > 100  # the whole document is in the structure tree, not one blob


@pytest.mark.parametrize("audience", AUDIENCES)
def test_every_chart_has_alt_text_with_latest_value_target_and_trend(packs, audience):  # noqa: F811
    elements = struct_elements(PdfReader(packs[audience]["pdf"]))
    figures = [e for e in elements if kind(e) == "Figure"]
    alts = [str(e.get("/Alt", "")) for e in figures]
    assert all(alt.startswith("Line chart of ") for alt in alts), alts
    shown = expected(audience)
    charted = {iid for iid, ind in SUBSET.items() if any(a.startswith(f"Line chart of {ind.name}, ") for a in alts)}
    # One tagged chart per indicator; for members, an indicator whose every point is suppressed has no chart to
    # describe (the pack says "No figures to chart"), and its headline figure is c.
    assert len(figures) == len(charted)
    assert charted == set(SUBSET) if audience == "management" else all(shown[i] == "c" for i in set(SUBSET) - charted)
    for iid, ind in ((i, SUBSET[i]) for i in sorted(charted)):
        alt = next(a for a in alts if a.startswith(f"Line chart of {ind.name}, "))
        # 24 months of hand-built results ending January 2026: February 2024 to January 2026.
        assert "24 months from February 2024 to January 2026" in alt, alt
        assert f"Latest, January 2026: {shown[iid]}" in alt, alt
    # assessments_45wd_pct has a 90% target (tests/report/test_report.py): its alt text says so, with the RAG word.
    alt = next((a for a in alts if a.startswith(f"Line chart of {SUBSET['assessments_45wd_pct'].name}, ")), "")
    if "assessments_45wd_pct" in charted and shown["assessments_45wd_pct"] != "c":
        assert " against a target of 90.0% (" in alt, alt


@pytest.mark.parametrize("audience", AUDIENCES)
def test_headings_in_order_and_tables_with_header_cells(packs, audience):  # noqa: F811
    elements = struct_elements(PdfReader(packs[audience]["pdf"]))
    levels = [int(kind(e)[1]) for e in elements if kind(e) in {"H1", "H2", "H3", "H4", "H5", "H6"}]
    assert levels[0] == 1 and levels.count(1) == 1
    assert all(b <= a + 1 for a, b in zip(levels, levels[1:], strict=False)), levels  # never skips a level going down
    tables = [e for e in elements if kind(e) == "Table"]
    assert len(tables) >= 2 + len(SUBSET)  # cover facts, summary, and one per indicator
    for table in tables:
        inside = [kind(e) for e in descendants(table["/K"])]
        assert "TH" in inside, inside


@pytest.mark.browser
@pytest.mark.parametrize("audience", AUDIENCES)
def test_html_pack_passes_axe(packs, audience):  # noqa: F811
    from playwright.sync_api import sync_playwright

    from tests.web.axe import describe, violations
    from tests.web.server import CHROMIUM, CHROMIUM_ARGS

    if not Path(CHROMIUM).exists():
        pytest.skip("Chromium is not installed (scripts/install-system-deps.sh installs it)")
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_page()
        page.goto(Path(packs[audience]["html"]).resolve().as_uri())
        found = violations(page)
        browser.close()
    assert not found, describe(found)


@pytest.mark.parametrize("audience", AUDIENCES)
def test_workbook_has_named_tables_and_rag_in_words(packs, audience):  # noqa: F811
    wb = load_workbook(packs[audience]["xlsx"])
    summary = wb["Summary"]
    # Header on row 4, one row per indicator below it, 16 columns (A to P).
    assert dict(summary.tables.items()) == {"Summary": f"A4:R{4 + len(SUBSET)}"}  # openpyxl: name -> range (18 columns, the SPC icons last)
    for area_sheet in wb.sheetnames[1:]:
        ws = wb[area_sheet]
        ((name, ref),) = ws.tables.items()
        assert name == f"Area_{area_sheet.split()[0]}"
        assert ref.startswith("A3:") and int(ref.split(":")[1].lstrip("ABCDEFGHIJKLMNOPQRSTUVWXYZ")) == ws.max_row  # every row
    headers = [c.value for c in summary[4]]
    rag = headers.index("RAG")
    for row in summary.iter_rows(min_row=5, values_only=True):
        assert row[rag] in (None, "Green", "Amber", "Red"), row  # the word, never a coloured blank or a lone letter
    words = [r[rag] for r in summary.iter_rows(min_row=5, values_only=True) if r[rag]]
    assert words, "no indicator is RAG-rated in the hand-built data"
