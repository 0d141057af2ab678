"""Breaks in series: a change of definition version between stored figures, and a load that changes the source
system of a table an indicator reads, loaded through every input format's own loader."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pandas as pd
import pytest

from cscperf.indicators import store_results
from cscperf.indicators.versions import definition_version
from cscperf.ingest import parser_for
from cscperf.ingest.core import run_load
from cscperf.judge.breaks import (
    SeriesBreak,
    SourceLoad,
    breaks,
    breaks_of,
    definition_breaks,
    source_breaks,
    spc_breaks,
    tables_fed,
    within,
)
from cscperf.warehouse import connect

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
NOT_COMPARABLE = "figures before and after are not comparable."


def d(text: str) -> dt.date:
    return dt.date.fromisoformat(text)


def _series(versions: dict[str, str | None]) -> pd.DataFrame:
    return pd.DataFrame({"period_end": [d(k) for k in versions], "definition_version": list(versions.values())})


# --- definition versions --------------------------------------------------------------------------------


def test_two_versions_give_one_break_at_the_first_figure_of_the_new_one():
    """Feb 2024 ends on the leap day; the figure stored before versions were kept (Mar) is neither version."""
    series = _series({"2024-01-31": "aaa", "2024-02-29": "aaa", "2024-03-31": None, "2024-04-30": "bbb", "2024-05-31": "bbb"})
    assert definition_breaks(series) == [
        SeriesBreak(d("2024-04-30"), "definition", f"Counting rule changed on 2024-04-30: {NOT_COMPARABLE}")
    ]
    what = "Referrals on the day of a previous one now count."
    told = definition_breaks(series, {"bbb": what})
    assert told[0].caveat == f"Counting rule changed on 2024-04-30: {NOT_COMPARABLE} What changed: {what}"


def test_figures_without_a_version_never_break_a_series():
    assert definition_breaks(_series({"2024-01-31": None, "2024-02-29": "aaa", "2024-03-31": "aaa"})) == []
    assert definition_breaks(_series({"2024-01-31": None, "2024-02-29": None})) == []


def test_a_change_back_is_a_second_break():
    series = _series({"2024-01-31": "aaa", "2024-02-29": "bbb", "2024-03-31": "aaa"})
    assert [b.period_end for b in definition_breaks(series)] == [d("2024-02-29"), d("2024-03-31")]


def _store(con, ind_id: str, versions: dict[str, str | None], basis: str = "month") -> None:
    rows = [
        {
            "indicator_id": ind_id,
            "basis": basis,
            "period_start": d(end).replace(day=1),
            "period_end": d(end),
            "breakdown": "la",
            "breakdown_value": "874",
            "numerator": 3.0,
            "denominator": None,
            "value": 3.0,
            "unit": "count",
            "definition_version": version,
        }
        for end, version in versions.items()
    ]
    store_results(con, pd.DataFrame(rows))


def test_a_stored_series_with_two_versions_breaks_once_in_the_warehouse():
    con = connect(":memory:")
    now = definition_version("referrals")
    _store(con, "referrals", {"2025-12-31": "0123456789ab", "2026-01-31": "0123456789ab", "2026-02-28": now, "2026-03-31": now})
    _store(con, "referrals", {"2025-12-31": now, "2026-01-31": now, "2026-02-28": now, "2026-03-31": now}, basis="rolling12")
    assert breaks("referrals", con, basis="month") == [
        SeriesBreak(d("2026-02-28"), "definition", f"Counting rule changed on 2026-02-28: {NOT_COMPARABLE}")
    ]
    assert breaks("referrals", con, basis="rolling12") == []
    # SPC takes the day before the first figure after each break (the new segment starts after it), month basis only
    assert spc_breaks(con, ["referrals", "cla_open"]) == {"referrals": [d("2026-02-27")], "cla_open": []}
    # many at once (the pack's charts), each on its own basis: the same answers
    assert breaks_of(con, [("referrals", "month"), ("cla_open", "month")]) == {
        "referrals": breaks("referrals", con, "month"),
        "cla_open": [],
    }
    assert breaks_of(con, [("referrals", "rolling12")]) == {"referrals": []}


def test_results_stored_before_versions_were_kept_read_with_no_break():
    con = connect(":memory:")
    con.execute("DROP TABLE cscperf_results")  # the warehouse creates today's table: put an old one in its place
    con.execute(
        "CREATE TABLE cscperf_results (indicator_id VARCHAR, basis VARCHAR, period_start DATE, period_end DATE, breakdown VARCHAR, "
        "breakdown_value VARCHAR, numerator DOUBLE, denominator DOUBLE, value DOUBLE, unit VARCHAR, computed_at TIMESTAMP)"
    )
    con.execute(
        "INSERT INTO cscperf_results VALUES ('referrals', 'month', '2026-01-01', '2026-01-31', 'la', '874', 3, NULL, 3, 'count', now())"
    )
    assert breaks("referrals", con, basis="month") == []


# --- source systems -------------------------------------------------------------------------------------

ENDS = [d("2024-01-31"), d("2024-02-29"), d("2024-03-31"), d("2024-04-30")]
EPISODES = frozenset({"ssd_cin_episodes"})


def test_a_load_on_a_period_end_breaks_the_series_there_and_the_day_after_at_the_next():
    loads = [
        SourceLoad(d("2023-11-15"), "cin-xml", frozenset({"ssd_person", "ssd_cin_episodes"})),
        SourceLoad(d("2024-02-29"), "ssd", frozenset({"ssd_cin_episodes"})),  # on the leap-day period end
        SourceLoad(d("2024-03-01"), "api-json", frozenset({"ssd_cin_episodes"})),  # the day after it
    ]
    assert source_breaks(ENDS, loads, EPISODES) == [
        SeriesBreak(d("2024-02-29"), "source", f"Source system changed on 2024-02-29 (CIN census XML to SSD tables): {NOT_COMPARABLE}"),
        SeriesBreak(d("2024-03-31"), "source", f"Source system changed on 2024-03-01 (SSD tables to API JSON): {NOT_COMPARABLE}"),
    ]


def test_loads_that_change_nothing_the_indicator_reads_make_no_break():
    loads = [
        SourceLoad(d("2023-11-15"), "cin-xml", frozenset({"ssd_cin_episodes"})),
        SourceLoad(d("2024-02-10"), "cin-xml", frozenset({"ssd_cin_episodes"})),  # same system again
        SourceLoad(d("2024-03-10"), "ssda903", frozenset({"ssd_cla_episodes"})),  # another table
        SourceLoad(d("2024-05-10"), "ssd", frozenset({"ssd_cin_episodes"})),  # after the last figure
    ]
    assert source_breaks(ENDS, loads, EPISODES) == []
    first = [SourceLoad(d("2023-11-15"), "synth", EPISODES), SourceLoad(d("2024-01-31"), "ssd", EPISODES)]
    assert source_breaks(ENDS, first, EPISODES) == []  # on or before the first figure: nothing before it to compare


def test_two_systems_feeding_a_table_in_turn_break_the_series_once():
    """Nightly SSD tables with API records pushed between them: the first push starts a second source, no more."""
    loads = [
        SourceLoad(d("2023-12-01"), "ssd", EPISODES),
        SourceLoad(d("2024-02-12"), "api-json", EPISODES),
        SourceLoad(d("2024-02-13"), "ssd", EPISODES),
        SourceLoad(d("2024-03-20"), "api-json", EPISODES),
        SourceLoad(d("2024-03-21"), "ssd", EPISODES),
    ]
    assert source_breaks(ENDS, loads, EPISODES) == [
        SeriesBreak(d("2024-02-29"), "source", f"Source system changed on 2024-02-12 (SSD tables to API JSON): {NOT_COMPARABLE}")
    ]


def test_a_chart_shows_the_breaks_with_a_figure_before_them():
    found = [SeriesBreak(e, "source", "x") for e in ENDS]
    assert within(found, d("2024-02-29"), d("2024-03-31")) == found[2:3]


def _ssd_folder(tmp_path: Path) -> Path:
    folder = tmp_path / "ssd"
    folder.mkdir()
    (folder / "ssd_person.csv").write_text("pers_person_id,pers_dob\nS1,2015-04-01\n")
    (folder / "ssd_cin_episodes.csv").write_text("cine_referral_id,cine_person_id,cine_referral_date\nR9,S1,2024-02-01\n")
    (folder / "ssd_cla_episodes.csv").write_text("clae_cla_episode_id,clae_person_id,clae_cla_episode_start_date\nE9,S1,2024-02-01\n")
    return folder


def _api_record(tmp_path: Path) -> Path:
    record = {
        "la_code": 874,
        "Children": {
            "la_child_id": "A1",
            "child_details": {"date_of_birth": "2015-06-01", "sex": "F"},
            "social_care_episodes": [{"social_care_episode_id": "RA1", "referral_date": "2024-01-10"}],
        },
    }
    path = tmp_path / "child.json"
    path.write_text(json.dumps(record))
    return path


INPUTS = {
    "cin-xml": lambda tmp: [FIXTURES / "cin" / "cin_2023_small.xml"],
    "ssda903": lambda tmp: [FIXTURES / "ssda903" / "d2i-2018"],
    "annex-a": lambda tmp: [FIXTURES / "annex_a" / "annex_a_sample.xlsx"],
    "api-json": _api_record,
    "ssd": _ssd_folder,
}


def _load(con, fmt: str, tmp_path: Path, finished: str) -> None:
    inputs = INPUTS[fmt](tmp_path)
    summary = run_load(con, fmt, inputs if isinstance(inputs, list) else [inputs], parser_for(fmt))
    con.execute("UPDATE cscperf_loads SET finished_at = ? WHERE load_id = ?", [d(finished), summary.load_id])


@pytest.mark.parametrize(
    ("first", "then", "ind_id", "caveat"),
    [
        ("cin-xml", "ssd", "referrals", "CIN census XML to SSD tables"),
        ("annex-a", "api-json", "referrals", "Annex A lists to API JSON"),
        ("api-json", "cin-xml", "referrals", "API JSON to CIN census XML"),
        ("ssda903", "ssd", "cla_open", "SSDA903 return to SSD tables"),
        ("ssd", "ssda903", "cla_open", "SSD tables to SSDA903 return"),
    ],
)
def test_a_load_from_another_system_breaks_the_series_of_what_it_feeds(tmp_path, first, then, ind_id, caveat):
    """Each format's loader records what it wrote; the indicator's episodes table changes system on 29 Feb 2024."""
    con = connect(tmp_path / "w.duckdb")
    _load(con, first, tmp_path, "2023-11-15")
    _load(con, then, tmp_path, "2024-02-29")
    version = definition_version(ind_id)
    _store(con, ind_id, {"2024-01-31": version, "2024-02-29": version, "2024-03-31": version})
    assert breaks(ind_id, con, basis="month") == [
        SeriesBreak(d("2024-02-29"), "source", f"Source system changed on 2024-02-29 ({caveat}): {NOT_COMPARABLE}")
    ]
    assert spc_breaks(con, [ind_id]) == {ind_id: [d("2024-02-28")]}  # leap year: SPC's new segment starts with 29 February
    con.close()


def test_a_synthetic_load_then_real_data_is_a_change_of_source(tmp_path):
    """The synthetic generator records rows per table (not an ingest summary); an undone load fed nothing."""
    con = connect(tmp_path / "w.duckdb")
    synth = json.dumps({"rows": {"ssd_cin_episodes": 40, "ssd_cla_episodes": 0}, "profile": "tiny", "seed": 1})
    con.execute("INSERT INTO cscperf_loads VALUES ('synth-tiny-1', 'synth', '[]', '2023-11-01', '2023-11-01', 'done', ?)", [synth])
    assert tables_fed(synth) == frozenset({"ssd_cin_episodes"})
    _load(con, "ssd", tmp_path, "2024-02-29")
    undone = json.dumps({"tables": {"ssd_cin_episodes": {"loaded": 5}}})
    con.execute("INSERT INTO cscperf_loads VALUES ('x', 'cin-xml', '[]', '2024-03-01', '2024-03-01', 'undone', ?)", [undone])
    version = definition_version("referrals")
    _store(con, "referrals", {"2024-01-31": version, "2024-02-29": version, "2024-03-31": version})
    assert breaks("referrals", con, basis="month") == [
        SeriesBreak(d("2024-02-29"), "source", f"Source system changed on 2024-02-29 (synthetic data to SSD tables): {NOT_COMPARABLE}")
    ]
    assert breaks("cla_open", con, basis="month") == []  # nothing stored for it
    con.close()
