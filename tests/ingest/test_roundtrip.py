"""Round trips: a warehouse exported as SSD CSVs, CIN census XML or SSDA903 CSVs and loaded into a
fresh warehouse gives the same canonical content on the tables and fields each format carries."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import duckdb
import pandas as pd
import pytest
from lxml import etree

from cscperf.ingest import parser_for
from cscperf.ingest.core import Parsed, run_load
from cscperf.ingest.export_ssd import export_ssd
from cscperf.returns import ssda903
from cscperf.returns.cin_census import export_cin_xml
from cscperf.warehouse import connect
from tests.ingest.conftest import table_rows

D = dt.date


def _frames() -> dict[str, pd.DataFrame]:
    """A small authority with its own ids: a CP journey, an NFA referral, a re-referral and a child in care."""
    f = {
        "ssd_person": [
            dict(pers_person_id="P1", pers_sex="M", pers_gender="1", pers_ethnicity="WBRI", pers_dob=D(2012, 3, 4), pers_ext_la_code="999"),
            dict(
                pers_person_id="P2", pers_sex="F", pers_gender="2", pers_ethnicity="APKN", pers_dob=D(2008, 10, 10), pers_ext_la_code="999"
            ),
            dict(pers_person_id="P3", pers_sex="M", pers_gender="1", pers_ethnicity="WBRI", pers_dob=D(2009, 2, 2), pers_ext_la_code="999"),
        ],
        "ssd_disability": [dict(disa_table_id="D1", disa_person_id="P2", disa_disability_code="HEAR")],
        "ssd_cin_episodes": [
            dict(
                cine_referral_id="R1",
                cine_person_id="P1",
                cine_referral_date=D(2022, 6, 1),
                cine_referral_source_code="6",
                cine_cin_primary_need_code="N1",
                cine_referral_nfa="N",
                cine_close_date=D(2023, 9, 30),
                cine_close_reason="RC7",
            ),
            dict(
                cine_referral_id="R2",
                cine_person_id="P2",
                cine_referral_date=D(2023, 1, 15),
                cine_referral_source_code="2A",
                cine_cin_primary_need_code="N4",
                cine_referral_nfa="Y",
                cine_close_date=D(2023, 1, 20),
                cine_close_reason="RC8",
            ),
            dict(
                cine_referral_id="R3",
                cine_person_id="P2",
                cine_referral_date=D(2024, 1, 10),
                cine_referral_source_code="1A",
                cine_cin_primary_need_code="N5",
                cine_referral_nfa="N",
            ),
        ],
        "ssd_cin_assessments": [
            dict(
                cina_assessment_id="A1",
                cina_person_id="P1",
                cina_referral_id="R1",
                cina_assessment_start_date=D(2022, 6, 2),
                cina_assessment_auth_date=D(2022, 7, 20),
            ),
            dict(cina_assessment_id="A3", cina_person_id="P2", cina_referral_id="R3", cina_assessment_start_date=D(2024, 1, 11)),
        ],
        "ssd_cin_plans": [
            dict(
                cinp_cin_plan_id="CINP1",
                cinp_referral_id="R1",
                cinp_person_id="P1",
                cinp_cin_plan_start_date=D(2023, 5, 1),
                cinp_cin_plan_end_date=D(2023, 9, 30),
            ),
        ],
        "ssd_s47_enquiry": [
            dict(s47e_s47_enquiry_id="S1", s47e_referral_id="R1", s47e_person_id="P1", s47e_s47_start_date=D(2022, 6, 3), s47e_s47_nfa="N"),
        ],
        "ssd_initial_cp_conference": [
            dict(
                icpc_icpc_id="I1",
                icpc_s47_enquiry_id="S1",
                icpc_person_id="P1",
                icpc_cp_plan_id="CP1",
                icpc_referral_id="R1",
                icpc_icpc_target_date=D(2022, 6, 24),
                icpc_icpc_date=D(2022, 6, 20),
                icpc_icpc_outcome_cp_flag="Y",
                icpc_icpc_transfer_in="N",
            ),
            # P2 transfers in on a plan from another authority: a conference with no S47.
            dict(
                icpc_icpc_id="I2",
                icpc_person_id="P2",
                icpc_referral_id="R3",
                icpc_icpc_date=D(2024, 1, 15),
                icpc_icpc_outcome_cp_flag="N",
                icpc_icpc_transfer_in="Y",
            ),
        ],
        "ssd_cp_plans": [
            dict(
                cppl_cp_plan_id="CP1",
                cppl_referral_id="R1",
                cppl_icpc_id="I1",
                cppl_person_id="P1",
                cppl_cp_plan_start_date=D(2022, 6, 20),
                cppl_cp_plan_end_date=D(2023, 5, 1),
                cppl_cp_plan_initial_category="NEG",
                cppl_cp_plan_latest_category="EMO",
                cppl_ext_previous_plans=0,
            ),
        ],
        "ssd_cp_reviews": [
            dict(cppr_cp_review_id="CR1", cppr_person_id="P1", cppr_cp_plan_id="CP1", cppr_cp_review_date=D(2022, 9, 10)),
            dict(cppr_cp_review_id="CR2", cppr_person_id="P1", cppr_cp_plan_id="CP1", cppr_cp_review_date=D(2023, 2, 10)),
        ],
        "ssd_cla_episodes": [
            dict(
                clae_cla_episode_id="E1",
                clae_person_id="P3",
                clae_cla_episode_start_date=D(2022, 8, 1),
                clae_cla_episode_start_reason="S",
                clae_cla_primary_need_code="N1",
                clae_cla_episode_ceased_date=D(2023, 2, 1),
                clae_cla_episode_ceased_reason="X1",
                clae_cla_id="CLA1",
                clae_cla_placement_id="PL1",
                clae_entered_care_date=D(2022, 8, 1),
                clae_ext_legal_status="C2",
            ),
            dict(
                clae_cla_episode_id="E2",
                clae_person_id="P3",
                clae_cla_episode_start_date=D(2023, 2, 1),
                clae_cla_episode_start_reason="P",
                clae_cla_primary_need_code="N1",
                clae_cla_id="CLA1",
                clae_cla_placement_id="PL2",
                clae_entered_care_date=D(2022, 8, 1),
                clae_ext_legal_status="C2",
            ),
        ],
        "ssd_cla_placement": [
            dict(
                clap_cla_placement_id="PL1",
                clap_cla_placement_start_date=D(2022, 8, 1),
                clap_cla_placement_type="U4",
                clap_cla_id="CLA1",
                clap_cla_placement_provider="PR1",
                clap_cla_placement_postcode="AB1",
                clap_cla_placement_end_date=D(2023, 2, 1),
                clap_cla_placement_change_reason="CARPL",
                clap_person_id="P3",
            ),
            dict(
                clap_cla_placement_id="PL2",
                clap_cla_placement_start_date=D(2023, 2, 1),
                clap_cla_placement_type="U1",
                clap_cla_id="CLA1",
                clap_cla_placement_provider="PR1",
                clap_cla_placement_postcode="AB2",
                clap_person_id="P3",
            ),
        ],
        "ssd_legal_status": [
            dict(lega_legal_status_id="L1", lega_person_id="P3", lega_legal_status="C2", lega_legal_status_start_date=D(2022, 8, 1)),
        ],
        "ssd_cla_reviews": [
            dict(
                clar_cla_review_id="CLR1",
                clar_cla_id="CLA1",
                clar_cla_review_date=D(2022, 10, 1),
                clar_cla_review_participation="PN1",
                clar_ext_person_id="P3",
            ),
            dict(
                clar_cla_review_id="CLR2",
                clar_cla_id="CLA1",
                clar_cla_review_date=D(2023, 3, 15),
                clar_cla_review_participation="PN2",
                clar_ext_person_id="P3",
            ),
        ],
        "ssd_missing": [
            dict(
                miss_table_id="M1",
                miss_person_id="P3",
                miss_missing_episode_start_date=D(2023, 5, 5),
                miss_missing_episode_type="M",
                miss_missing_episode_end_date=D(2023, 5, 6),
            ),
        ],
    }
    return {t: pd.DataFrame(rows).assign(_source=f"test:{t}") for t, rows in f.items()}


def build_small_warehouse(path: Path) -> duckdb.DuckDBPyConnection:
    con = connect(path)
    run_load(con, "ssd", [], lambda _paths: Parsed(frames=_frames()))
    return con


@pytest.fixture
def source(tmp_path):
    con = build_small_warehouse(tmp_path / "source.duckdb")
    yield con
    con.close()


def _fresh(tmp_path: Path, name: str) -> duckdb.DuckDBPyConnection:
    return connect(tmp_path / f"{name}.duckdb")


def _natural(con: duckdb.DuckDBPyConnection, sql: str) -> list[tuple]:
    return sorted(con.execute(sql).fetchall(), key=repr)


def test_ssd_round_trip_is_exact(source, tmp_path):
    written = export_ssd(source, tmp_path / "ssd")
    assert written["ssd_cin_episodes"] == 3 and written["ssd_cla_episodes"] == 2
    target = _fresh(tmp_path, "ssd")
    run_load(target, "ssd", [tmp_path / "ssd"], parser_for("ssd"))
    from cscperf.warehouse import TABLES

    for t in TABLES:
        assert table_rows(target, t.name) == table_rows(source, t.name), t.name


CIN_CHECKS = {
    "person": "SELECT pers_person_id, pers_sex, pers_dob, pers_ethnicity, pers_ext_la_code FROM ssd_person "
    "WHERE pers_person_id IN (SELECT cine_person_id FROM ssd_cin_episodes)",
    "disability": "SELECT disa_person_id, disa_disability_code FROM ssd_disability",
    "referrals": "SELECT cine_person_id, cine_referral_date, cine_referral_source_code, cine_cin_primary_need_code, cine_referral_nfa, "
    "cine_close_date, cine_close_reason FROM ssd_cin_episodes",
    "assessments": "SELECT cina_person_id, r.cine_referral_date, cina_assessment_start_date, cina_assessment_auth_date "
    "FROM ssd_cin_assessments JOIN ssd_cin_episodes r ON r.cine_referral_id = cina_referral_id",
    "cin_plans": "SELECT cinp_person_id, cinp_cin_plan_start_date, cinp_cin_plan_end_date FROM ssd_cin_plans",
    "s47": "SELECT s47e_person_id, s47e_s47_start_date, s47e_s47_nfa FROM ssd_s47_enquiry",
    "icpc": "SELECT icpc_person_id, icpc_icpc_date, icpc_icpc_target_date, s.s47e_s47_start_date, icpc_icpc_outcome_cp_flag, "
    "icpc_icpc_transfer_in, p.cppl_cp_plan_start_date FROM ssd_initial_cp_conference "
    "LEFT JOIN ssd_s47_enquiry s ON s.s47e_s47_enquiry_id = icpc_s47_enquiry_id "
    "LEFT JOIN ssd_cp_plans p ON p.cppl_cp_plan_id = icpc_cp_plan_id",
    "cp_plans": "SELECT cppl_person_id, cppl_cp_plan_start_date, cppl_cp_plan_end_date, cppl_cp_plan_initial_category, "
    "cppl_cp_plan_latest_category, cppl_ext_previous_plans FROM ssd_cp_plans",
    "cp_reviews": "SELECT cppr_person_id, p.cppl_cp_plan_start_date, cppr_cp_review_date FROM ssd_cp_reviews "
    "JOIN ssd_cp_plans p ON p.cppl_cp_plan_id = cppr_cp_plan_id",
}


def test_cin_xml_round_trip_over_several_years(source, tmp_path):
    files = []
    for year in (2023, 2024):
        out = tmp_path / f"cin_{year}.xml"
        children, problems = export_cin_xml(source, year, out)
        assert problems == []
        files.append(out)
    # 2022-23: P1 (R1) and P2 (R2); 2023-24: P1 (R1 open until Sep 2023) and P2 (R3)
    assert children == 2
    target = _fresh(tmp_path, "cin")
    summary = run_load(target, "cin-xml", files, parser_for("cin-xml"))
    assert summary.rejected == []
    for name, sql in CIN_CHECKS.items():
        assert _natural(target, sql) == _natural(source, sql), name


def test_cin_xml_records_each_conference_at_one_level(source, tmp_path):
    """A conference led to by an S47 is written under its Section47 only, one with no S47 (the transfer-in) at
    CINdetails level only (CIN census validation rule 2884); loaded back, only the latter is a transfer-in."""
    out = tmp_path / "cin_2024.xml"
    export_cin_xml(source, 2024, out)
    export_cin_xml(source, 2023, tmp_path / "cin_2023.xml")
    doc = etree.parse(str(tmp_path / "cin_2023.xml"))
    assert doc.xpath("//CINdetails/DateOfInitialCPC/text()") == []
    assert doc.xpath("//Section47/DateOfInitialCPC/text()") == ["2022-06-20"]
    assert etree.parse(str(out)).xpath("//CINdetails/DateOfInitialCPC/text()") == ["2024-01-15"]
    target = _fresh(tmp_path, "cin2")
    run_load(target, "cin-xml", [tmp_path / "cin_2023.xml", out], parser_for("cin-xml"))
    rows = target.execute(
        "SELECT icpc_icpc_date, icpc_s47_enquiry_id IS NULL, icpc_icpc_transfer_in FROM ssd_initial_cp_conference ORDER BY 1"
    ).fetchall()
    assert rows == [(D(2022, 6, 20), False, "N"), (D(2024, 1, 15), True, "Y")]


def test_cin_xml_export_of_one_year_blanks_what_happened_after_it(source, tmp_path):
    out = tmp_path / "cin_2023.xml"
    export_cin_xml(source, 2023, out)
    target = _fresh(tmp_path, "cin1")
    run_load(target, "cin-xml", [out], parser_for("cin-xml"))
    # R1 closed on 30 September 2023, after the 2022-23 census: open in that return
    assert target.execute("SELECT cine_close_date FROM ssd_cin_episodes WHERE cine_referral_date = DATE '2022-06-01'").fetchone() == (None,)
    # CIN plans are in the schema from 2022 on; the plan started in May 2023 is outside the year
    assert target.execute("SELECT count(*) FROM ssd_cin_plans").fetchone() == (0,)
    assert target.execute("SELECT count(*) FROM ssd_cin_episodes").fetchone() == (2,)


SSDA903_CHECKS = {
    "person": "SELECT pers_person_id, pers_sex, pers_dob, pers_ethnicity FROM ssd_person "
    "WHERE pers_person_id IN (SELECT clae_person_id FROM ssd_cla_episodes)",
    "episodes": "SELECT clae_person_id, clae_cla_episode_start_date, clae_cla_episode_start_reason, clae_ext_legal_status, "
    "clae_cla_primary_need_code, clae_cla_episode_ceased_date, clae_cla_episode_ceased_reason, clae_entered_care_date "
    "FROM ssd_cla_episodes",
    "placements": "SELECT clap_person_id, clap_cla_placement_start_date, clap_cla_placement_type, clap_cla_placement_provider, "
    "clap_cla_placement_postcode, clap_cla_placement_end_date, clap_cla_placement_change_reason FROM ssd_cla_placement",
    "legal": "SELECT lega_person_id, lega_legal_status, lega_legal_status_start_date, lega_legal_status_end_date FROM ssd_legal_status",
    "reviews": "SELECT clar_ext_person_id, clar_cla_review_date, clar_cla_review_participation FROM ssd_cla_reviews",
    "missing": "SELECT miss_person_id, miss_missing_episode_start_date, miss_missing_episode_end_date, miss_missing_episode_type "
    "FROM ssd_missing",
}


def test_ssda903_round_trip_over_several_years(source, tmp_path):
    for year in (2023, 2024):
        written = ssda903.write(source, year, tmp_path / "903").counts
        assert written["episodes"] == 2 if year == 2023 else written["episodes"] == 1
    target = _fresh(tmp_path, "903")
    summary = run_load(target, "ssda903", [tmp_path / "903"], parser_for("ssda903"))
    assert summary.rejected == []
    for name, sql in SSDA903_CHECKS.items():
        assert _natural(target, sql) == _natural(source, sql), name


CIN_INDICATORS = [
    "referrals",
    "referrals_nfa_pct",
    "rereferrals_12m_pct",
    "referrals_to_assessment_pct",
    "assessments_completed",
    "s47_enquiries",
    "cp_plans_started",
    "cp_plans_open",
]


def test_indicators_agree_after_a_cin_xml_round_trip(source, tmp_path):
    from cscperf.indicators.engine import compute

    files = []
    for year in (2023, 2024):
        files.append(tmp_path / f"cin_{year}.xml")
        export_cin_xml(source, year, files[-1])
    target = _fresh(tmp_path, "cin_ind")
    run_load(target, "cin-xml", files, parser_for("cin-xml"))
    ends = [D(2023, 3, 31), D(2024, 3, 31)]
    before = compute(source, ends, bases=["year"], breakdowns=["la"], ids=CIN_INDICATORS)
    after = compute(target, ends, bases=["year"], breakdowns=["la"], ids=CIN_INDICATORS)
    pd.testing.assert_frame_equal(before, after)
    got = {(r.indicator_id, r.period_end.year): r.value for r in after.itertuples()}
    # worked by hand from _frames(): 2022-23 has R1 and R2 (R2 NFA); 2023-24 has R3, a re-referral of P2 within 12 months of R2
    assert got[("referrals", 2023)] == 2 and got[("referrals", 2024)] == 1
    assert got[("referrals_nfa_pct", 2023)] == 50.0
    assert got[("rereferrals_12m_pct", 2024)] == 100.0
    assert got[("cp_plans_started", 2023)] == 1 and got[("s47_enquiries", 2023)] == 1


CLA_INDICATORS = ["cla_open", "cla_started", "cla_ceased", "cla_3plus_placements_pct", "cla_missing_children", "cla_missing_episodes"]


def test_indicators_agree_after_an_ssda903_round_trip(source, tmp_path):
    from cscperf.indicators.engine import compute

    for year in (2023, 2024):
        ssda903.write(source, year, tmp_path / "903")
    target = _fresh(tmp_path, "903_ind")
    run_load(target, "ssda903", [tmp_path / "903"], parser_for("ssda903"))
    # the 903 carries no LA code: give the children their authority, as the CIN census header would
    target.execute("UPDATE ssd_person SET pers_ext_la_code = '999'")
    ends = [D(2023, 3, 31), D(2024, 3, 31)]
    before = compute(source, ends, bases=["year"], breakdowns=["la"], ids=CLA_INDICATORS)
    after = compute(target, ends, bases=["year"], breakdowns=["la"], ids=CLA_INDICATORS)
    pd.testing.assert_frame_equal(before, after)
    got = {(r.indicator_id, r.period_end.year): r.value for r in after.itertuples()}
    # by hand: P3 entered care 1 August 2022 and is still looked after; one missing episode in May 2023
    assert got[("cla_started", 2023)] == 1 and got[("cla_open", 2023)] == 1 and got[("cla_open", 2024)] == 1
    assert got[("cla_missing_episodes", 2024)] == 1 and got[("cla_missing_children", 2023)] == 0
