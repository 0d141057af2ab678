"""The report read back: PDF text and pixels, HTML and Excel, for both audiences, on one small warehouse."""

import re
import subprocess

import numpy as np
import openpyxl
import pytest
from lxml import html as lhtml
from PIL import Image
from pypdf import PdfReader

from cscperf.indicators.registry import REGISTRY
from cscperf.judge.suppression import format_value, is_small
from cscperf.report.build import write_report

from .conftest import LA, PERIOD_END, PERSON_IDS, hand_results

# A subset keeps the module fast while covering every unit, several areas and practice indicators.
IDS = [
    "referrals",
    "rereferrals_12m_pct",
    "referrals_rate",
    "assessments_45wd_pct",
    "assessments_open_over_45wd",
    "cp_plans_open_rate",
    "cp_visits_in_timescale_pct",
    "cin_open",
]
SUBSET = {i: REGISTRY[i] for i in IDS if i in REGISTRY}
COMMENTARY = """# Commentary

## assessments_45wd_pct
Timeliness dipped over the holidays; the front door is <b>recruiting</b>.

## cin_open
Stable.
"""


@pytest.fixture(scope="module")
def targets_file(tmp_path_factory):
    p = tmp_path_factory.mktemp("t") / "targets.yaml"
    p.write_text("indicators:\n  assessments_45wd_pct: {target: 90, basis: ytd}\n  referrals: {target: 150, tolerance_relative: 0.2}\n")
    return p


@pytest.fixture(scope="module")
def packs(warehouse, tmp_path_factory, targets_file):
    out = {}
    commentary = tmp_path_factory.mktemp("c") / "commentary.md"
    commentary.write_text(COMMENTARY)
    for audience in ("members", "management"):
        d = tmp_path_factory.mktemp(audience)
        out[audience] = write_report(warehouse, PERIOD_END, audience, d, commentary=commentary, targets=targets_file, registry=SUBSET)
    return out


def small_parts(row, unit):
    return is_small(row.numerator) if unit == "count" else (is_small(row.numerator) or is_small(row.denominator))


def window_hides(res, iid, basis):
    """For members: a year to date or rolling 12 months of a flow is c when a month in it is (the count's months
    for a rate of a count); the hand results hold the 24 months to the period end."""
    ind = SUBSET[iid]
    source = ind.measure.of if ind.measure.kind == "rate" else iid
    if basis == "month" or REGISTRY[source].snapshot or REGISTRY[source].measure.kind not in ("count", "share"):
        return False
    span = 12 if basis == "rolling12" else (PERIOD_END.month - 4) % 12 + 1  # January: April to January, 10 months
    months = res[(res.indicator_id == source) & (res.basis == "month")].sort_values("period_end").tail(span)
    return any(small_parts(m, REGISTRY[source].unit) for m in months.itertuples())


def expected(audience):
    """The figure each indicator should show: its RAG-basis value at the period end, suppressed for members."""
    every = hand_results()
    res = every[every.period_end == PERIOD_END]
    basis = {"assessments_45wd_pct": "ytd"}
    out = {}
    for iid, ind in SUBSET.items():
        b = basis.get(iid, ind.rag_basis)
        row = res[(res.indicator_id == iid) & (res.basis == b)].iloc[0]
        hidden = audience == "members" and (small_parts(row, ind.unit) or window_hides(every, iid, b))
        out[iid] = "c" if hidden else format_value(row.value, ind.unit)
    return out


def pdf_text(path):
    return "\n".join(page.extract_text() for page in PdfReader(path).pages)


@pytest.mark.parametrize("audience", ["members", "management"])
def test_pdf_has_every_indicator_name_and_figure(packs, audience):
    text = pdf_text(packs[audience]["pdf"])
    flat = re.sub(r"\s+", " ", text)
    assert "Peterborough" in flat and "January 2026" in flat
    for iid, shown in expected(audience).items():
        name = SUBSET[iid].name
        assert re.sub(r"\s+", " ", name) in flat, name
        # the automatic sentence states the figure right after the name
        if shown == "c":
            assert f"{name}: not shown" in flat, iid
        else:
            assert f"{name}: {shown}" in flat, (iid, shown)


def test_summary_table_matches_computed_figures(packs):
    for audience in ("members", "management"):
        doc = lhtml.fromstring(packs[audience]["html"].read_text())
        rows = doc.xpath("//table[contains(@class,'summary-table')]/tbody/tr[not(contains(@class,'area-row'))]")
        got = {r.xpath("string(td[1])").replace("⚑", "").strip(): r.xpath("string(td[3])").strip() for r in rows}
        assert got == {SUBSET[i].name: v for i, v in expected(audience).items()}


def test_pages_are_not_blank_and_carry_page_numbers(packs, tmp_path):
    pdf = packs["members"]["pdf"]
    reader = PdfReader(pdf)
    n = len(reader.pages)
    assert n >= 4  # cover, contents, summary, areas
    assert f"Page 2 of {n}" in reader.pages[1].extract_text()
    subprocess.run(["pdftoppm", "-r", "30", "-png", str(pdf), str(tmp_path / "p")], check=True)
    pages = sorted(tmp_path.glob("p-*.png"))
    assert len(pages) == n
    for p in pages:
        pixels = np.asarray(Image.open(p).convert("L"), dtype=float)
        assert pixels.std() > 5, p.name


def _all_text(paths):
    text = pdf_text(paths["pdf"]) + paths["html"].read_text()
    wb = openpyxl.load_workbook(paths["xlsx"])
    cells = [c.value for ws in wb for row in ws.iter_rows() for c in row if c.value is not None]
    return text + "\n".join(map(str, cells)), wb


def test_members_pack_has_no_child_ids_and_no_small_counts(packs, warehouse):
    text, wb = _all_text(packs["members"])
    ids = [r[0] for r in warehouse.execute("SELECT pers_person_id FROM ssd_person").fetchall()]
    assert set(ids) == set(PERSON_IDS)
    for pid in ids:
        assert pid not in text
    # count cells: HTML summary and figure tables for count indicators, and Excel cells
    doc = lhtml.fromstring(packs["members"]["html"].read_text())
    count_names = {SUBSET[i].name for i in SUBSET if SUBSET[i].unit == "count"}
    for art in doc.xpath("//article"):
        if art.xpath("string(h3)").split("⚑")[0].strip().lstrip("–GAR ").strip() in count_names:
            for td in art.xpath(".//table[contains(@class,'figures')]//td[contains(@class,'num')]"):
                assert td.text_content().strip() not in {"1", "2", "3", "4", "5"}
    for row in doc.xpath("//table[contains(@class,'summary-table')]/tbody/tr"):
        if row.xpath("string(td[1])").replace("⚑", "").strip() in count_names:
            assert row.xpath("string(td[3])").strip() not in {"1", "2", "3", "4", "5"}
    count_ids = {i for i in SUBSET if SUBSET[i].unit == "count"}
    for ws in wb.worksheets[1:]:
        for row in ws.iter_rows(min_row=4, values_only=True):
            if row[1] in count_ids:
                assert not any(isinstance(v, int | float) and 1 <= v <= 5 for v in row[5:]), row[:3]


def test_members_pack_hides_small_counts_that_management_shows(packs):
    # hand_results makes cin_open small in some months; the management workbook shows them, the members one does not.
    res = hand_results()
    small_months = res[(res.indicator_id == "cin_open") & res.numerator.between(1, 5)]
    assert not small_months.empty
    wbs = {a: openpyxl.load_workbook(packs[a]["xlsx"]) for a in packs}

    def cin_row(wb):
        for ws in wb.worksheets[1:]:
            for row in ws.iter_rows(min_row=4, values_only=True):
                if row[1] == "cin_open":
                    return row
        raise AssertionError("cin_open not in workbook")

    mgmt, mem = cin_row(wbs["management"]), cin_row(wbs["members"])
    assert any(isinstance(v, int | float) and 1 <= v <= 5 for v in mgmt[5:])
    assert "c" in mem[5:]


def test_commentary_is_merged_and_escaped(packs):
    page = packs["members"]["html"].read_text()
    doc = lhtml.fromstring(page)
    box = doc.xpath("//article[@id='ind-assessments_45wd_pct']//div[@class='commentary']")[0]
    assert "Timeliness dipped over the holidays" in box.text_content()
    assert "<b>recruiting</b>" not in page and "&lt;b&gt;recruiting&lt;/b&gt;" in page
    assert "Stable." in doc.xpath("string(//article[@id='ind-cin_open']//div[@class='commentary'])")


def test_excel_has_summary_and_area_sheets(packs):
    wb = openpyxl.load_workbook(packs["management"]["xlsx"])
    areas = sorted({ind.area for ind in SUBSET.values()})
    assert wb.sheetnames[0] == "Summary"
    assert [s.split()[0] for s in wb.sheetnames[1:]] == areas
    summary = {r[2]: r for r in wb["Summary"].iter_rows(min_row=5, values_only=True)}
    res = hand_results()
    row = res[(res.indicator_id == "assessments_45wd_pct") & (res.basis == "ytd") & (res.period_end == PERIOD_END)].iloc[0]
    assert summary["assessments_45wd_pct"][4] == pytest.approx(row.value)
    assert summary["assessments_45wd_pct"][5] == "90.0%"


def test_management_pack_marks_itself_and_members_pack_too(packs):
    assert "Management information" in pdf_text(packs["management"]["pdf"])
    assert "small numbers suppressed" in pdf_text(packs["members"]["pdf"])


def test_la_code_must_be_in_warehouse(warehouse, tmp_path, targets_file):
    from cscperf.errors import UserError

    with pytest.raises(UserError, match="--la-code 999"):
        write_report(warehouse, PERIOD_END, "members", tmp_path, targets=targets_file, la_code="999", registry=SUBSET)
    assert LA == "874"
