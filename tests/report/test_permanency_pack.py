"""The permanency audience: the permanency service's measures only, the scorecard first, then the detailed report."""

from cscperf.indicators.catalogue.p_permanency import SECTIONS
from cscperf.indicators.registry import REGISTRY
from cscperf.report.build import build, render_html
from tests.report.conftest import PERIOD_END


def test_every_permanency_measure_is_in_exactly_one_section():
    placed = [i for _, _, ids in SECTIONS for i in ids]
    assert sorted(placed) == sorted(k for k, v in REGISTRY.items() if v.area == "P")


def test_the_pack_leads_with_the_scorecard_and_holds_only_the_service(warehouse):
    report = build(warehouse, PERIOD_END, "permanency")
    sections = report.by_area()
    assert [key for key, _, _ in sections] == [key for key, _, _ in SECTIONS]
    assert sections[0][1] == "Scorecard"
    assert [f.id for f in sections[0][2]] == list(SECTIONS[0][2])
    assert {f.indicator.area for f in report.figures} == {"P"}
    html = render_html(report)
    assert "Permanency service performance report" in html
    assert html.index("Scorecard") < html.index("Fostering service") < html.index("Timescale standards")


def test_section_names_make_excel_sheet_names():
    for key, name, _ in SECTIONS:
        assert not set(f"{key} {name}") & set("[]:*?/\\"), name


def test_every_area_gives_a_valid_excel_sheet_name():
    from cscperf.indicators.registry import AREAS
    from cscperf.report.excel import sheet_name

    assert sheet_name("P Permanency service: fostering, adoption") == "P Permanency service- fostering"
    for area, name in AREAS.items():
        got = sheet_name(f"{area} {name}")
        assert len(got) <= 31 and not set(got) & set("[]:*?/\\"), got
