"""Breaks in series on the report's charts: a rule in the chart spec and the caveat under the chart.

The warehouse stores 24 months of figures to January 2026. `referrals` changed definition version from the
figure for July 2025, and a load of SSD tables on 5 March 2025 replaced the synthetic data feeding the CIN
episodes that `referrals` and `cin_open` count: so `referrals` shows both breaks and `cin_open` the source one.
"""

from __future__ import annotations

import datetime as dt
import json

import pandas as pd
import pytest

from cscperf.indicators import store_results
from cscperf.indicators.registry import REGISTRY
from cscperf.indicators.versions import definition_version
from cscperf.judge.breaks import SeriesBreak
from cscperf.report import charts
from cscperf.report.build import build, render_html
from cscperf.warehouse import connect

from .conftest import LA, PERIOD_END, PERSON_IDS, hand_results

OLD_VERSION = "0123456789ab"
RULE = "Counting rule changed on 2025-07-31: figures before and after are not comparable."
SOURCE = "Source system changed on 2025-03-05 (synthetic data to SSD tables): figures before and after are not comparable."


def _versioned(frame: pd.DataFrame) -> pd.DataFrame:
    current = frame.indicator_id.map({i: definition_version(i) for i in frame.indicator_id.unique()})
    before = (frame.indicator_id == "referrals") & (frame.period_end < dt.date(2025, 7, 31))
    return frame.assign(definition_version=current.where(~before, OLD_VERSION))


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory):
    con = connect(tmp_path_factory.mktemp("wh") / "breaks.duckdb")
    con.execute("INSERT INTO ext_authority (auth_la_code, auth_la_name) VALUES (?, ?)", [LA, "Peterborough"])
    for pid in PERSON_IDS:
        con.execute("INSERT INTO ssd_person (pers_person_id, pers_ext_la_code) VALUES (?, ?)", [pid, LA])
    store_results(con, _versioned(hand_results()))
    synth = json.dumps({"rows": {"ssd_cin_episodes": 40}})
    ssd = json.dumps({"tables": {"ssd_cin_episodes": {"loaded": 12}}})
    for load_id, fmt, day, summary in (("s", "synth", "2023-06-01", synth), ("t", "ssd", "2025-03-05", ssd)):
        con.execute("INSERT INTO cscperf_loads VALUES (?, ?, '[]', ?, ?, 'done', ?)", [load_id, fmt, day, day, summary])
    yield con
    con.close()


def test_the_report_shows_each_break_under_its_chart(warehouse, tmp_path):
    subset = {i: REGISTRY[i] for i in ("referrals", "cin_open", "cla_open")}
    targets = tmp_path / "targets.yaml"
    targets.write_text("indicators: {}\n")
    report = build(warehouse, PERIOD_END, "members", targets=targets, registry=subset)
    assert report.breaks == {
        "referrals": [SeriesBreak(dt.date(2025, 3, 31), "source", SOURCE), SeriesBreak(dt.date(2025, 7, 31), "definition", RULE)],
        "cin_open": [SeriesBreak(dt.date(2025, 3, 31), "source", SOURCE)],
        "cla_open": [],  # looked-after episodes kept their source
    }
    html = render_html(report)
    article = html[html.index('id="ind-referrals"') : html.index("</article>", html.index('id="ind-referrals"'))]
    assert f'<p class="caveat">Break in series: {RULE}</p>' in article
    assert f'<p class="caveat">Break in series: {SOURCE}</p>' in article
    assert html.count('<p class="caveat">') == 3


def test_the_chart_spec_draws_a_labelled_rule_at_each_break():
    series = pd.DataFrame(
        {
            "period_end": [dt.date(2025, 6, 30), dt.date(2025, 7, 31), dt.date(2025, 8, 31)],
            "basis": "month",
            "value": [10.0, 12.0, 11.0],
            "rag": None,
            "target": None,
            "band_lo": None,
            "band_hi": None,
        }
    )
    found = [SeriesBreak(dt.date(2025, 7, 31), "definition", RULE)]
    spec = charts.indicator_chart(series, "count", "month", breaks=found)
    rules = [layer for layer in spec["layer"] if _mark(layer) == "rule"]
    assert len(rules) == 1
    rows = spec["datasets"][rules[0]["data"]["name"]]
    assert [(r["period_end"][:10], r["label"], r["caveat"]) for r in rows] == [("2025-07-31", "Rule change", RULE)]
    assert rules[0]["encoding"]["x"]["field"] == "period_end" and rules[0]["encoding"]["x"]["timeUnit"] == "yearmonth"
    labels = [layer for layer in spec["layer"] if _mark(layer) == "text" and layer["encoding"]["text"]["field"] == "label"]
    assert len(labels) == 1
    plain = charts.indicator_chart(series, "count", "month")
    assert not [layer for layer in plain["layer"] if _mark(layer) == "rule"]


def _mark(layer: dict) -> str:
    mark = layer.get("mark")
    return mark["type"] if isinstance(mark, dict) else str(mark)


def test_spc_rebases_at_each_break(warehouse, tmp_path):
    # SPC judges the month series from its latest break: referrals from July 2025 (7 months to January 2026) and
    # cin_open from March 2025 (11 months): both under the 12 SPC needs. cla_open has no break: all 24 months.
    subset = {i: REGISTRY[i] for i in ("referrals", "cin_open", "cla_open")}
    targets = tmp_path / "targets.yaml"
    targets.write_text("indicators: {}\n")
    report = build(warehouse, PERIOD_END, "management", targets=targets, registry=subset)
    spc = {f.id: f.spc for f in report.figures}
    assert spc["referrals"] is None and spc["cin_open"] is None
    assert spc["cla_open"] is not None and spc["cla_open"].points == 24 and len(spc["cla_open"].segments) == 1


def test_a_chart_spec_is_plain_json_at_full_precision():
    """The spec is built as plain data (what vl-convert and the dashboard take), its values unrounded."""
    series = pd.DataFrame(
        {
            "period_end": [dt.date(2025, 6, 30), dt.date(2025, 7, 31)],
            "basis": "month",
            "value": [100 / 3, None],
            "rag": ["red", None],
            "target": [40.0, 40.0],
            "band_lo": None,
            "band_hi": None,
        }
    )
    spec = charts.indicator_chart(series, "percent", "month")
    assert json.loads(json.dumps(spec)) == spec
    line = next(layer for layer in spec["layer"] if layer.get("transform") and layer["mark"]["type"] == "line")
    rows = spec["datasets"][line["data"]["name"]]
    assert [(r["period_end"], r["value"], r["rag"]) for r in rows] == [
        ("2025-06-30T00:00:00", 100 / 3, "red"),
        ("2025-07-31T00:00:00", None, "none"),
    ]
    assert charts.to_svg(spec).startswith("<svg")
