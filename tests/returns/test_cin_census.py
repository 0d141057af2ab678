"""The CIN census return: what DfE's guidance puts in a year's return, written whole, loaded back the same,
and accepted by DfE's own rules (Data to Insight's validator) on the synthetic authority."""

from __future__ import annotations

import datetime as dt
import subprocess
from pathlib import Path

import duckdb
import pytest
from lxml import etree

from cscperf.errors import UserError
from cscperf.ingest import parser_for
from cscperf.ingest.core import Parsed, run_load
from cscperf.ingest.upn import FORMER_UPN_TYPE, UPN_TYPE
from cscperf.returns import cin_census, dfe_rules
from cscperf.synth.generator import build_warehouse
from cscperf.warehouse import connect

D = dt.date
FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"


def _frames() -> dict[str, list[dict]]:
    """Three children around the 2024-25 census year (1 April 2024 to 31 March 2025)."""
    return {
        "ssd_person": [
            dict(pers_person_id="C1", pers_sex="M", pers_gender="1", pers_ethnicity="WBRI", pers_dob=D(2015, 6, 1), pers_ext_la_code="874"),
            # born after 31 March 2025: still unborn in the 2024-25 return
            dict(
                pers_person_id="C2",
                pers_sex="F",
                pers_ethnicity="WBRI",
                pers_dob=D(2025, 5, 10),
                pers_expected_dob=D(2025, 5, 1),
                pers_upn_unknown="UN1",
                pers_ext_la_code="874",
            ),
            dict(pers_person_id="C3", pers_sex="F", pers_ethnicity="AIND", pers_dob=D(2012, 1, 9), pers_ext_la_code="874"),
        ],
        "ssd_linked_identifiers": [
            # C1's first UPN was replaced on 1 October 2024 by a temporary one, and is his former UPN from then
            dict(
                link_table_id="L1",
                link_person_id="C1",
                link_identifier_type=UPN_TYPE,
                link_identifier_value="A874204115002",
                link_valid_from_date=D(2019, 9, 1),
                link_valid_to_date=D(2024, 10, 1),
            ),
            dict(
                link_table_id="L2",
                link_person_id="C1",
                link_identifier_type=UPN_TYPE,
                link_identifier_value="X87420411500A",
                link_valid_from_date=D(2024, 10, 1),
            ),
            dict(
                link_table_id="L3",
                link_person_id="C1",
                link_identifier_type=FORMER_UPN_TYPE,
                link_identifier_value="A874204115002",
                link_valid_from_date=D(2024, 10, 1),
            ),
        ],  # fmt: skip
        "ssd_cin_episodes": [
            dict(
                cine_referral_id="R1",
                cine_person_id="C1",
                cine_referral_date=D(2024, 2, 1),
                cine_referral_source_code="6",
                cine_cin_primary_need_code="N1",
                cine_referral_nfa="N",
            ),
            dict(
                cine_referral_id="R2",
                cine_person_id="C2",
                cine_referral_date=D(2025, 1, 10),
                cine_referral_source_code="3B",
                cine_cin_primary_need_code="N1",
                cine_referral_nfa="N",
            ),
            # no further action on a referral made before the year: in 2023-24's return only
            dict(
                cine_referral_id="R3",
                cine_person_id="C3",
                cine_referral_date=D(2024, 3, 20),
                cine_referral_source_code="2A",
                cine_referral_nfa="Y",
                cine_close_date=D(2024, 4, 2),
                cine_close_reason="RC7",
            ),
        ],  # fmt: skip
        "ssd_cin_assessments": [
            dict(
                cina_assessment_id="A1",
                cina_person_id="C1",
                cina_referral_id="R1",
                cina_assessment_start_date=D(2024, 2, 2),
                cina_assessment_auth_date=D(2024, 4, 10),
            ),
            dict(
                cina_assessment_id="A2",
                cina_person_id="C1",
                cina_referral_id="R1",
                cina_assessment_start_date=D(2025, 3, 20),
                cina_assessment_auth_date=D(2025, 4, 15),
            ),
        ],  # fmt: skip
        "ssd_assessment_factors": [
            dict(cinf_table_id="F1", cinf_assessment_id="A1", cinf_assessment_factors_json='["3B","4B","3B"]'),
            dict(cinf_table_id="F2", cinf_assessment_id="A2", cinf_assessment_factors_json='["16A"]'),
        ],
        "ssd_s47_enquiry": [
            # started before the year, conference held in it: in both years, the conference only in 2024-25
            dict(
                s47e_s47_enquiry_id="S1", s47e_referral_id="R1", s47e_person_id="C1", s47e_s47_start_date=D(2024, 3, 10), s47e_s47_nfa="N"
            ),
            # started and ended (no conference needed) before the year: in 2023-24 only
            dict(
                s47e_s47_enquiry_id="S2",
                s47e_referral_id="R1",
                s47e_person_id="C1",
                s47e_s47_start_date=D(2024, 2, 5),
                s47e_s47_end_date=D(2024, 2, 20),
                s47e_s47_nfa="Y",
            ),
        ],  # fmt: skip
        "ssd_initial_cp_conference": [
            dict(
                icpc_icpc_id="I1",
                icpc_s47_enquiry_id="S1",
                icpc_person_id="C1",
                icpc_referral_id="R1",
                icpc_cp_plan_id="CP1",
                icpc_icpc_target_date=D(2024, 4, 2),
                icpc_icpc_date=D(2024, 4, 5),
                icpc_icpc_outcome_cp_flag="Y",
            ),
        ],  # fmt: skip
        "ssd_cp_plans": [
            dict(
                cppl_cp_plan_id="CP1",
                cppl_referral_id="R1",
                cppl_icpc_id="I1",
                cppl_person_id="C1",
                cppl_cp_plan_start_date=D(2024, 4, 5),
                cppl_cp_plan_initial_category="NEG",
                cppl_cp_plan_latest_category="NEG",
                cppl_ext_previous_plans=0,
            ),
        ],  # fmt: skip
        "ssd_cp_reviews": [
            dict(cppr_cp_review_id="V1", cppr_person_id="C1", cppr_cp_plan_id="CP1", cppr_cp_review_date=D(2024, 7, 1)),
            dict(cppr_cp_review_id="V2", cppr_person_id="C1", cppr_cp_plan_id="CP1", cppr_cp_review_date=D(2025, 4, 7)),
        ],
    }


@pytest.fixture
def hand(tmp_path):
    import pandas as pd

    con = connect(tmp_path / "hand.duckdb")
    run_load(con, "ssd", [], lambda _paths: Parsed(frames={k: pd.DataFrame(v) for k, v in _frames().items()}))
    yield con
    con.close()


def _child(doc: etree._Element, child: str) -> etree._Element | None:
    return next((c for c in doc.iterfind("Children/Child") if c.findtext("ChildIdentifiers/LAchildID") == child), None)


def test_a_year_holds_what_the_guidance_asks_for(hand, tmp_path):
    written = cin_census.write(hand, 2025, tmp_path)
    assert written.problems == () and written.children == {"C1", "C2"}  # C3's NFA referral was made in 2023-24
    assert written.counts == {"children": 2, "referrals": 2, "assessments": 2, "section47": 1, "cp_plans": 1}
    doc = etree.parse(str(written.files[0])).getroot()
    c1 = _child(doc, "C1")
    assert (c1.findtext("ChildIdentifiers/UPN"), c1.findtext("ChildIdentifiers/FormerUPN")) == ("X87420411500A", "A874204115002")
    assert c1.find("ChildIdentifiers/UPNunknown") is None
    # the S47 started in March 2024 with its conference in April; the one that ended in February 2024 is left out
    assert c1.xpath("CINdetails/Section47/S47ActualStartDate/text()") == ["2024-03-10"]
    assert c1.xpath("CINdetails/Section47/DateOfInitialCPC/text()") == ["2024-04-05"]
    assert c1.xpath("CINdetails/DateOfInitialCPC/text()") == []  # never at both levels (rule 2884)
    # factors once each, with the assessment completed in the year; none with the one still open on 31 March
    assessments = c1.findall("CINdetails/Assessments")
    assert [a.xpath("FactorsIdentifiedAtAssessment/AssessmentFactors/text()") for a in assessments] == [["3B", "4B"], []]
    assert [a.findtext("AssessmentAuthorisationDate") for a in assessments] == ["2024-04-10", None]
    assert c1.xpath("CINdetails/ChildProtectionPlans/Reviews/CPPreviewDate/text()") == ["2024-07-01"]
    c2 = _child(doc, "C2").find("ChildIdentifiers")
    assert [(e.tag, e.text) for e in c2] == [
        ("LAchildID", "C2"),
        ("UPNunknown", "UN1"),
        ("ExpectedPersonBirthDate", "2025-05-01"),
        ("Sex", "U"),  # not known before birth (rule 8750)
    ]


def test_the_year_before_holds_the_earlier_upn_and_records(hand, tmp_path):
    doc = cin_census.build(hand, 2024)
    assert cin_census.children(doc) == ["C1", "C3"]
    c1 = _child(doc, "C1")
    assert (c1.findtext("ChildIdentifiers/UPN"), c1.find("ChildIdentifiers/FormerUPN")) == ("A874204115002", None)
    assert c1.findtext("ChildIdentifiers/GenderCurrent") == "1"
    assert c1.xpath("CINdetails/Section47/S47ActualStartDate/text()") == ["2024-02-05", "2024-03-10"]
    assert c1.xpath("CINdetails/Section47/DateOfInitialCPC/text()") == []  # held after 31 March 2024
    assert c1.xpath("CINdetails/Assessments/FactorsIdentifiedAtAssessment") == []
    c3 = _child(doc, "C3")
    assert c3.findtext("CINdetails/ReferralNFA") == "1" and c3.find("CINdetails/CINclosureDate") is None


def test_a_year_without_children_in_need_is_a_user_error_naming_it(hand, tmp_path):
    with pytest.raises(UserError, match=r"no child in need episodes open in 2019-20 .*--year 2020"):
        cin_census.write(hand, 2020, tmp_path / "out")
    assert not (tmp_path / "out" / "cin_census_2020.xml").exists()


def test_a_file_that_cannot_be_written_leaves_nothing_half_written(hand, tmp_path):
    (tmp_path / "cin_census_2025.xml").mkdir()  # a folder where the file should go
    with pytest.raises(UserError, match="cin_census_2025.xml: cannot write"):
        cin_census.write(hand, 2025, tmp_path)
    assert (tmp_path / "cin_census_2025.xml").is_dir() and not list(tmp_path.glob("*.partial"))


def test_factors_that_are_not_a_json_list_are_named(hand, tmp_path):
    hand.execute("UPDATE ssd_assessment_factors SET cinf_assessment_factors_json = '\"3B\"' WHERE cinf_table_id = 'F1'")
    with pytest.raises(UserError, match="ssd_assessment_factors: .*not a JSON list"):
        cin_census.build(hand, 2025)


# ---------------------------------------------------------------- the synthetic authority

YEARS = (2024, 2025, 2026)  # collection years 2023-24 to 2025-26


@pytest.fixture(scope="module")
def rutland(tmp_path_factory):
    """Six years of the smallest real authority (its LA code is one DfE's UPN rule recognises)."""
    path = tmp_path_factory.mktemp("rutland") / "rutland.duckdb"
    build_warehouse(path, profile="rutland", years=6, seed=5, end_date=D(2026, 3, 31), progress=False)
    con = duckdb.connect(str(path), read_only=True)
    yield con
    con.close()


@pytest.mark.parametrize("year", YEARS)
def test_dfe_rules_find_no_error_and_few_queries_in_the_synthetic_return(rutland, tmp_path, year):
    written = cin_census.write(rutland, year, tmp_path)
    report = dfe_rules.run_rules("cin", list(written.files), year)
    assert not report.crashed
    assert report.errors[["rule", "child_id"]].values.tolist() == []
    queried = set(report.queries["child_id"]) - {""}
    assert len(written.children) > 300 and len(queried) <= 0.01 * len(written.children), report.queries["rule"].value_counts()


@pytest.mark.parametrize("year", (2021, 2024, 2026))
def test_a_return_loaded_and_written_again_has_the_same_records(rutland, tmp_path, year):
    first = cin_census.write(rutland, year, tmp_path / "first")
    assert first.problems == ()
    target = connect(tmp_path / "t.duckdb")
    summary = run_load(target, "cin-xml", list(first.files), parser_for("cin-xml"))
    assert summary.rejected == []
    again = cin_census.write(target, year, tmp_path / "again")
    target.close()
    before, after = (etree.parse(str(w.files[0])).getroot().find("Children") for w in (first, again))
    assert etree.tostring(after) == etree.tostring(before)
    assert before.xpath("Child/ChildIdentifiers/UPN") and before.xpath("Child/CINdetails/Assessments/FactorsIdentifiedAtAssessment")


def test_the_runner_builds_the_tables_the_validator_would(rutland, tmp_path):
    """The runner's one-pass reading of the XML gives exactly the tables of the validator's own (slow) converter."""
    files = [cin_census.write(rutland, 2025, tmp_path).files[0], FIXTURES / "cin" / "cin_2023_small.xml"]
    script = (
        "import sys, importlib.util, xml.etree.ElementTree as ET, pandas as pd\n"
        "from cin_validator import cin_validator\n"
        "spec = importlib.util.spec_from_file_location('runner', sys.argv[1]); runner = importlib.util.module_from_spec(spec)\n"
        "spec.loader.exec_module(runner)\n"
        "for path in sys.argv[2:]:\n"
        "    root = ET.parse(path).getroot()\n"
        "    fast, slow = runner.cin_tables(root), cin_validator.convert_data(root)\n"
        "    assert list(fast) == list(slow)\n"
        "    for name in slow:\n"
        "        pd.testing.assert_frame_equal(fast[name], slow[name], check_exact=True)\n"
        "    print(sum(len(t) for t in slow.values()))\n"
    )
    python = dfe_rules.validator_python()
    done = subprocess.run([str(python), "-c", script, str(dfe_rules.RUNNER), *map(str, files)], capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr[-3000:]
    assert all(int(n) > 0 for n in done.stdout.split())
