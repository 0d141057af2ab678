"""CIN census XML: mapping, XSD choice and issues, multi-year merge, and loading through run_load."""

from __future__ import annotations

import datetime as dt
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from cscperf.errors import UserError
from cscperf.ingest.cin_xml import parse_cin_xml, read_return, referral_id, synthetic_id
from cscperf.ingest.core import run_load
from cscperf.warehouse import connect

FIX = Path(__file__).parents[1] / "fixtures" / "cin"
SMALL_2023 = FIX / "cin_2023_small.xml"
SMALL_2024 = FIX / "cin_2024_small.xml"
FAKE = FIX / "fake_CIN_data.xml"


def _read(parsed, element: str) -> int:
    """Elements read across files (Parsed.read is keyed '<file> (<element>)')."""
    return sum(n for k, n in parsed.read.items() if k.endswith(f"({element})"))


def _rows(parsed, table: str) -> list[dict]:
    return parsed.frames[table].drop(columns="_source").to_dict("records")


def test_one_return_maps_every_record_and_explains_rejections():
    p = parse_cin_xml([SMALL_2023])
    # 3 Child elements: C001, C002 and a second C002 (rejected as a repeat)
    assert _read(p, "Child") == 3
    assert sorted(r["pers_person_id"] for r in _rows(p, "ssd_person")) == ["C001", "C002"]
    # C002's second referral has 31 September: rejected; C001 1 + C002 1 referral loaded
    assert _read(p, "CINdetails") == 3
    assert len(p.frames["ssd_cin_episodes"]) == 2
    rules = sorted((i.field, i.rule) for i in p.rejected)
    assert rules == [
        ("CINreferralDate", "not a real date (no such day in the calendar)"),
        ("LAchildID", "LAchildID already used by Child[2] in this return"),
    ]
    bad_date = next(i for i in p.rejected if i.field == "CINreferralDate")
    assert bad_date.location.startswith("/Message/Children/Child[2]/CINdetails[2]/CINreferralDate")
    assert bad_date.value == "2022-09-31"


def test_fields_and_links_of_a_child_protection_journey():
    p = parse_cin_xml([SMALL_2023])
    ref = referral_id("C001", dt.date(2022, 11, 1))
    episode = next(r for r in _rows(p, "ssd_cin_episodes") if r["cine_person_id"] == "C001")
    assert episode["cine_referral_id"] == ref
    assert (episode["cine_referral_source_code"], episode["cine_cin_primary_need_code"], episode["cine_referral_nfa"]) == ("6", "N1", "N")
    s47 = _rows(p, "ssd_s47_enquiry")[0]
    assert s47["s47e_referral_id"] == ref and s47["s47e_s47_nfa"] == "N"
    [icpc] = _rows(p, "ssd_initial_cp_conference")  # the episode's DateOfInitialCPC is the same conference
    [plan] = _rows(p, "ssd_cp_plans")
    assert icpc["icpc_s47_enquiry_id"] == s47["s47e_s47_enquiry_id"]
    assert icpc["icpc_icpc_target_date"] == dt.date(2022, 11, 24)
    assert icpc["icpc_cp_plan_id"] == plan["cppl_cp_plan_id"] and icpc["icpc_icpc_outcome_cp_flag"] == "Y"
    assert plan["cppl_icpc_id"] == icpc["icpc_icpc_id"]
    assert plan["cppl_ext_previous_plans"] == 1
    [review] = _rows(p, "ssd_cp_reviews")
    assert review["cppr_cp_plan_id"] == plan["cppl_cp_plan_id"] and review["cppr_cp_review_date"] == dt.date(2023, 2, 20)
    person = next(r for r in _rows(p, "ssd_person") if r["pers_person_id"] == "C001")
    assert (person["pers_sex"], person["pers_gender"], person["pers_ext_la_code"]) == ("M", "1", "999")
    assert _rows(p, "ssd_disability") == [{"disa_table_id": "C001:AUT", "disa_person_id": "C001", "disa_disability_code": "AUT"}]


def test_schema_failures_are_warnings_naming_path_field_and_rule():
    p = parse_cin_xml([SMALL_2023])
    xsd = [w for w in p.warnings if w.rule.startswith("schema:")]
    assert len(xsd) == 1
    w = xsd[0]
    assert w.location.startswith("/Message/Children/Child[2]/ChildCharacteristics/Ethnicity")
    assert (w.field, w.value, w.table) == ("Ethnicity", "XXXX", "ssd_person")
    assert "CIN_schema_2023.xsd" in w.rule
    used = [w.rule for w in p.warnings if "validated against" in w.rule]
    assert used == ["information: validated against CIN_schema_2023.xsd (collection year 2023 from the header ReferenceDate)"]


def test_two_years_merge_into_one_history_latest_wins():
    p = parse_cin_xml([SMALL_2024, SMALL_2023])  # order of arguments does not matter
    refs = {r["cine_referral_date"]: r for r in _rows(p, "ssd_cin_episodes")}
    # C001's 2022 referral is in both returns: ONE referral, closed as the 2024 return says
    assert sorted(refs) == [dt.date(2022, 5, 10), dt.date(2022, 11, 1), dt.date(2024, 2, 1)]
    assert refs[dt.date(2022, 11, 1)]["cine_close_date"] == dt.date(2023, 10, 1)
    assert refs[dt.date(2022, 11, 1)]["cine_close_reason"] == "RC7"
    [plan] = _rows(p, "ssd_cp_plans")
    assert plan["cppl_cp_plan_end_date"] == dt.date(2023, 7, 1) and plan["cppl_cp_plan_latest_category"] == "EMO"
    assert sorted(r["cppr_cp_review_date"] for r in _rows(p, "ssd_cp_reviews")) == [dt.date(2023, 2, 20), dt.date(2023, 5, 15)]
    # the 2024 return no longer reports the S47: the conference keeps its S47 link and target from 2023
    [icpc] = _rows(p, "ssd_initial_cp_conference")
    assert icpc["icpc_s47_enquiry_id"] == synthetic_id("S47", "C001", dt.date(2022, 11, 3))
    assert icpc["icpc_icpc_target_date"] == dt.date(2022, 11, 24)
    people = {r["pers_person_id"]: r for r in _rows(p, "ssd_person")}
    assert people["C001"]["pers_ethnicity"] == "WIRI"  # the later return's value
    assert len(p.frames["ssd_cin_plans"]) == 1 and len(p.frames["ssd_cin_assessments"]) == 3


def test_fake_census_counts_reconcile_with_an_independent_count():
    root = ET.parse(FAKE).getroot()
    children = root.findall("Children/Child")
    referrals = root.findall("Children/Child/CINdetails")
    pairs = {
        (c.findtext("ChildIdentifiers/LAchildID"), d.text)
        for c in children
        for d in c.findall("ChildCharacteristics/Disabilities/Disability")
    }
    icpc = {(c.findtext("ChildIdentifiers/LAchildID"), e.findtext("DateOfInitialCPC")) for c in children for e in c.findall("CINdetails")}
    p = parse_cin_xml([FAKE])
    assert len(children) == 332 and len(p.frames["ssd_person"]) == 332
    assert len(referrals) == 402 and len(p.frames["ssd_cin_episodes"]) == 402
    assert len(p.frames["ssd_disability"]) == len(pairs)
    assert len(p.frames["ssd_initial_cp_conference"]) == len({k for k in icpc if k[1]})
    assert p.rejected == []
    repeated = [w for w in p.warnings if w.table == "ssd_disability"]
    assert len(repeated) == len(root.findall(".//Disability")) - len(pairs)
    # 'true'/'false' ReferralNFA is not allowed by the schema: a warning, read as Y/N
    nfa = [w for w in p.warnings if w.field == "ReferralNFA"]
    assert len(nfa) == sum(1 for r in referrals if r.findtext("ReferralNFA") not in ("0", "1"))
    assert set(p.frames["ssd_cin_episodes"]["cine_referral_nfa"]) <= {"Y", "N"}


def test_schema_year_guessed_when_header_has_no_year(tmp_path):
    text = SMALL_2024.read_text().replace("<Year>2024</Year><ReferenceDate>2024-03-31</ReferenceDate>", "")
    f = tmp_path / "noyear.xml"
    f.write_text(text)
    ret = read_return(f)
    assert ret.xsd == "CIN_schema_2024.xsd"
    sexed = tmp_path / "sex.xml"
    sexed.write_text(text.replace("<GenderCurrent>1</GenderCurrent>", "<Sex>M</Sex>"))
    assert read_return(sexed).xsd == "CIN_schema_2026.xsd"
    old = tmp_path / "old.xml"
    old.write_text(SMALL_2024.read_text().replace("2024-03-31", "2012-03-31"))
    ret = read_return(old)
    assert ret.xsd == "CIN_schema_2017.xsd"
    assert any("nearest (2017)" in w.rule for w in ret.warnings)


def test_not_well_formed_xml_is_a_user_error_with_file_and_line(tmp_path):
    f = tmp_path / "broken.xml"
    lines = SMALL_2023.read_text().splitlines()
    lines[21] = lines[21].replace("</PrimaryNeedCode>", "</PrimaryNeed>")
    f.write_text("\n".join(lines))
    with pytest.raises(UserError, match=r"broken\.xml: line 22: not well-formed XML"):
        parse_cin_xml([f])


@pytest.mark.parametrize(
    ("text", "line", "reason"),
    [
        # a NUL byte on line 3: libxml2's message ends in a newline
        (
            '<?xml version="1.0" encoding="UTF-8"?>\n<Message>\n<Header>\x00</Header>\n</Message>\n',
            3,
            "Invalid character: Char 0x0 out of allowed range",
        ),
        # a CDATA section opened on line 2 and never closed: found at the end of the file (line 3);
        # libxml2 quotes the input after its message
        ("<Message>\n<Children><![CDATA[C001 secret]]]]]]\n", 3, "CData section not finished"),
    ],
    ids=["nul-byte", "unfinished-cdata"],
)
def test_a_syntax_error_is_one_line_naming_file_and_line_and_never_quotes_the_input(tmp_path, text, line, reason):
    f = tmp_path / "broken.xml"
    f.write_bytes(text.encode())
    with pytest.raises(UserError) as exc:
        parse_cin_xml([f])
    assert str(exc.value) == f"{f}: line {line}: not well-formed XML ({reason})"


def test_load_through_run_load_and_reload_is_a_noop(tmp_path):
    con = connect(tmp_path / "w.duckdb")
    from cscperf.ingest import parser_for

    summary = run_load(con, "cin-xml", [SMALL_2023, SMALL_2024], parser_for("cin-xml"))
    counts = {t: con.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in ("ssd_person", "ssd_cin_episodes", "ssd_cp_plans")}
    assert counts == {"ssd_person": 2, "ssd_cin_episodes": 3, "ssd_cp_plans": 1}
    assert summary.counts("ssd_cin_episodes").rejected == 1
    quarantined = con.execute(
        "SELECT location, field, rule FROM cscperf_quarantine WHERE rule NOT LIKE 'warning:%' ORDER BY field"
    ).fetchall()
    assert [q[1] for q in quarantined] == ["CINreferralDate", "LAchildID"]
    again = run_load(con, "cin-xml", [SMALL_2023, SMALL_2024], parser_for("cin-xml"))
    assert again.status == "noop"
    source = con.execute("SELECT _source FROM ssd_cin_episodes WHERE cine_referral_date = DATE '2024-02-01'").fetchone()[0]
    assert source.endswith("cin_2024_small.xml:/Message/Children/Child[1]/CINdetails[2]")


def test_cli_load_reports_counts_and_refuses_a_broken_file(tmp_path):
    from click.testing import CliRunner

    from cscperf.cli import main

    w = tmp_path / "w.duckdb"
    result = CliRunner().invoke(main, ["load", "cin-xml", str(SMALL_2023), str(SMALL_2024), "--warehouse", str(w)])
    assert result.exit_code == 0, result.output
    assert "ssd_cin_episodes" in result.output and "validated against CIN_schema_2023.xsd" in result.output
    broken = tmp_path / "broken.xml"
    broken.write_text(SMALL_2023.read_text()[:600])
    result = CliRunner().invoke(main, ["load", "cin-xml", str(broken), "--warehouse", str(w)])
    assert isinstance(result.exception, UserError)
    assert str(result.exception).startswith(f"{broken}: line ")


def test_schema_warnings_inside_a_rejected_record_are_not_repeated_but_its_siblings_keep_theirs(tmp_path):
    text = SMALL_2024.read_text()
    text = text.replace("<CINreferralDate>2022-11-01</CINreferralDate>", "<CINreferralDate>2022-11-31</CINreferralDate>")
    text = text.replace("<PrimaryNeedCode>N5</PrimaryNeedCode>", "<PrimaryNeedCode>N55</PrimaryNeedCode>")
    f = tmp_path / "two.xml"
    f.write_text(text)
    p = parse_cin_xml([f])
    # CINdetails[1] has an impossible date: rejected once (the XSD's own complaint about it is not repeated)
    assert [(i.location.split(" ")[0], i.field) for i in p.rejected] == [
        ("/Message/Children/Child[1]/CINdetails[1]/CINreferralDate", "CINreferralDate")
    ]
    schema = [(w.location.split(" ")[0], w.field, w.value) for w in p.warnings if w.rule.startswith("schema:")]
    assert schema == [("/Message/Children/Child[1]/CINdetails[2]/PrimaryNeedCode", "PrimaryNeedCode", "N55")]
