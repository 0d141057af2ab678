"""Formula injection: the one rule (`cscperf.files`), the load warning from every input format, and
every CSV export written with formula-like text neutralised while numbers stay numbers."""

from __future__ import annotations

import csv
import datetime as dt
import json
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from cscperf.files import FORMULA_RULE, csv_text, is_formula_like, neutralise, neutralise_frame
from cscperf.ingest import parser_for
from cscperf.ingest.core import run_load
from cscperf.warehouse import connect
from tests.ingest.safety import rename_child, run_cli
from tests.ingest.test_roundtrip import build_small_warehouse
from tests.web import fixture

HOSTILE = "=1+2"  # Excel would show 3: any formula, e.g. =HYPERLINK(...) or a DDE call, runs the same way


# --- the rule ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("=1+2", "'=1+2"),
        ("+44 20 7946 0000", "'+44 20 7946 0000"),  # + then text: a formula to a spreadsheet
        ("-2+3", "'-2+3"),  # starts like a negative number but is an expression
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\t=1+2", "'\t=1+2"),  # a leading tab or CR is skipped by some spreadsheets before =
        ("\r=1+2", "'\r=1+2"),
        ("-", "'-"),
        ("-5", "-5"),  # text that is a plain number is read as that number, not run
        ("+3.5", "+3.5"),
        ("-1e3", "-1e3"),
        ("a=b", "a=b"),  # only the first character matters
        ("'=1+2", "'=1+2"),  # already neutral: not prefixed twice
        ("", ""),
        (-5, -5),  # numbers are never text
        (-5.5, -5.5),
        (None, None),
    ],
)
def test_neutralise_prefixes_formula_like_text_only(value, expected):
    assert neutralise(value) == expected
    assert is_formula_like(value) == (expected != value)


def test_a_frame_keeps_its_numbers_and_counts_the_cells_changed():
    frame = pd.DataFrame(
        {
            "person_id": ["=1+2", "C2", "@x", None],
            "days_overdue": [-3, 0, 12, 4],  # a negative number in a numeric column
            "note": pd.Series(["-5", float("-inf"), "+1+1", "ok"], dtype=object),  # mixed: -inf is a number, "-5" a plain number
        }
    )
    safe, changed = neutralise_frame(frame)
    assert changed == 3  # "=1+2", "@x", "+1+1"
    assert safe["person_id"].tolist()[:3] == ["'=1+2", "C2", "'@x"]
    assert safe["days_overdue"].tolist() == [-3, 0, 12, 4]
    assert safe["note"].tolist() == ["-5", float("-inf"), "'+1+1", "ok"]
    assert frame["person_id"].iloc[0] == "=1+2"  # the caller's frame is not changed
    assert csv_text(frame).splitlines() == ["person_id,days_overdue,note", "'=1+2,-3,-5", "C2,0,-inf", "'@x,12,'+1+1", ",4,ok"]


# --- flagged at load, from every format ----------------------------------------------------


def _formula_warnings(con) -> set[tuple[str, str, str]]:
    rows = con.execute("SELECT target_table, field, value FROM cscperf_quarantine WHERE rule = ?", [f"warning: {FORMULA_RULE}"]).fetchall()
    return set(rows)


def _loaded_person(con) -> list[str]:
    return [r[0] for r in con.execute("SELECT pers_person_id FROM ssd_person ORDER BY 1").fetchall()]


def test_ssd_csv_values_are_loaded_and_flagged(con, tmp_path):
    folder = tmp_path / "ssd"
    folder.mkdir()
    (folder / "ssd_person.csv").write_text(f"pers_person_id,pers_nationality,pers_sex\n{HOSTILE},-5,M\nP2,@x,F\n")
    run_load(con, "ssd", [folder], parser_for("ssd"))
    assert _loaded_person(con) == [HOSTILE, "P2"]  # loaded: a warning, not a rejection
    # "-5" is a plain number in a text column: not flagged
    assert _formula_warnings(con) == {("ssd_person", "pers_person_id", HOSTILE), ("ssd_person", "pers_nationality", "@x")}
    locations = con.execute("SELECT location FROM cscperf_quarantine WHERE field = 'pers_nationality'").fetchall()
    assert locations == [("row 3",)]  # the header is row 1


CIN_HEADER = (
    "<Header><CollectionDetails><Collection>CIN</Collection><Year>2024</Year><ReferenceDate>2024-03-31</ReferenceDate>"
    "</CollectionDetails><Source><SourceLevel>L</SourceLevel><LEA>999</LEA><SoftwareCode>test</SoftwareCode><Release>1</Release>"
    "<SerialNo>001</SerialNo><DateTime>2024-05-01T09:00:00</DateTime></Source></Header>"
)


def test_cin_census_xml_values_are_loaded_and_flagged(con, tmp_path):
    path = tmp_path / "cin.xml"
    path.write_text(
        f"<?xml version='1.0' encoding='UTF-8'?><Message>{CIN_HEADER}<Children><Child>"
        f"<ChildIdentifiers><LAchildID>{HOSTILE}</LAchildID><PersonBirthDate>2015-06-01</PersonBirthDate>"
        "<GenderCurrent>1</GenderCurrent></ChildIdentifiers><ChildCharacteristics><Ethnicity>WIRI</Ethnicity></ChildCharacteristics>"
        "<CINdetails><CINreferralDate>2024-02-01</CINreferralDate><ReferralSource>1A</ReferralSource>"
        "<PrimaryNeedCode>N5</PrimaryNeedCode><ReferralNFA>0</ReferralNFA></CINdetails></Child></Children></Message>"
    )
    run_load(con, "cin-xml", [path], parser_for("cin-xml"))
    assert _loaded_person(con) == [HOSTILE]
    # the child and its one referral; the referral's id is a hash (REF-...), so only the person columns
    assert _formula_warnings(con) == {("ssd_person", "pers_person_id", HOSTILE), ("ssd_cin_episodes", "cine_person_id", HOSTILE)}


def test_ssda903_csv_values_are_loaded_and_flagged(con, tmp_path):
    folder = tmp_path / "903"
    folder.mkdir()
    (folder / "header_2024.csv").write_text(f"CHILD,SEX,DOB,ETHNIC,UPN,MOTHER,MC_DOB\n{HOSTILE},1,15/06/2012,WBRI,,,\n")
    (folder / "episodes_2024.csv").write_text(
        "CHILD,DECOM,RNE,LS,CIN,PLACE,PLACE_PROVIDER,DEC,REC,REASON_PLACE_CHANGE,HOME_POST,PL_POST,URN\n"
        f"{HOSTILE},01/05/2023,S,V2,N1,U4,PR1,,,,,AB1 2CD,\n"
    )
    run_load(con, "ssda903", [folder], parser_for("ssda903"))
    assert _loaded_person(con) == [HOSTILE]
    # The loader keys the one episode (from 1 May 2023) and the period of care, placement and legal
    # status it opens by <child>[:<kind>]:<start date>, so those ids begin with the formula too.
    child, ep, cla, pl, ls = HOSTILE, f"{HOSTILE}:20230501", f"{HOSTILE}:CLA:20230501", f"{HOSTILE}:PL:20230501", f"{HOSTILE}:LS:20230501"
    assert _formula_warnings(con) == {
        ("ssd_person", "pers_person_id", child),
        ("ssd_cla_episodes", "clae_person_id", child),
        ("ssd_cla_episodes", "clae_cla_episode_id", ep),
        ("ssd_cla_episodes", "clae_cla_id", cla),
        ("ssd_cla_episodes", "clae_cla_placement_id", pl),
        ("ssd_cla_placement", "clap_person_id", child),
        ("ssd_cla_placement", "clap_cla_id", cla),
        ("ssd_cla_placement", "clap_cla_placement_id", pl),
        ("ssd_legal_status", "lega_person_id", child),
        ("ssd_legal_status", "lega_legal_status_id", ls),
    }


def test_annex_a_values_are_loaded_and_flagged(con, tmp_path):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "List 1"
    ws.append(["Child Unique ID", "Gender", "Date of Contact", "Contact Source"])
    ws.append([None, "a) Male", dt.date(2024, 1, 5), "q) 6: Police"])
    cell = ws.cell(2, 1, HOSTILE)
    cell.data_type = "s"  # typed as text, as an attacker would: openpyxl would otherwise store a formula
    path = tmp_path / "annex.xlsx"
    wb.save(path)
    run_load(con, "annex-a", [path], parser_for("annex-a"))
    assert _loaded_person(con) == [HOSTILE]
    assert _formula_warnings(con) == {("ssd_person", "pers_person_id", HOSTILE), ("ssd_contacts", "cont_person_id", HOSTILE)}


def test_api_json_values_are_loaded_and_flagged(con, tmp_path):
    record = {
        "la_code": 874,
        "Children": {
            "la_child_id": HOSTILE,
            "child_details": {"date_of_birth": "2015-06-01", "sex": "F"},
            "social_care_episodes": [{"social_care_episode_id": "R1", "referral_date": "2024-01-10"}],
        },
    }
    path = tmp_path / "push.json"
    path.write_text(json.dumps(record))
    run_load(con, "api-json", [path], parser_for("api-json"))
    assert _loaded_person(con) == [HOSTILE]
    assert _formula_warnings(con) == {("ssd_person", "pers_person_id", HOSTILE), ("ssd_cin_episodes", "cine_person_id", HOSTILE)}


# --- neutralised in every export -----------------------------------------------------------


def _csv(path: Path) -> list[dict]:
    with open(path, newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def test_ssd_export_neutralises_text_and_keeps_numbers(tmp_path, capsys, monkeypatch):
    con = build_small_warehouse(tmp_path / "w.duckdb")
    rename_child(con, "P1", HOSTILE)
    con.execute("UPDATE ssd_person SET pers_nationality = '-5' WHERE pers_person_id = 'P2'")
    con.execute("UPDATE ssd_cp_plans SET cppl_ext_previous_plans = -1")
    con.close()
    r = run_cli(capsys, monkeypatch, "export", "ssd", "--out", tmp_path / "out", "--warehouse", tmp_path / "w.duckdb")
    assert r.code == 0, r.err
    people = {row["pers_person_id"]: row for row in _csv(tmp_path / "out" / "ssd_person.csv")}
    assert set(people) == {"'=1+2", "P2", "P3"}
    assert people["P2"]["pers_nationality"] == "-5"
    assert {row["cine_person_id"] for row in _csv(tmp_path / "out" / "ssd_cin_episodes.csv")} == {"'=1+2", "P2"}
    assert {row["cppl_ext_previous_plans"] for row in _csv(tmp_path / "out" / "ssd_cp_plans.csv")} == {"-1"}


def test_ssda903_export_neutralises_only_the_invalid_value(tmp_path, capsys, monkeypatch):
    con = build_small_warehouse(tmp_path / "w.duckdb")
    # 2023-24 holds P3 only (its looked-after episode); see tests/ingest/test_roundtrip.py
    rename_child(con, "P3", HOSTILE)
    con.close()
    r = run_cli(capsys, monkeypatch, "export", "ssda903", "--year", "2024", "--out", tmp_path / "903", "--warehouse", tmp_path / "w.duckdb")
    assert r.code == 0, r.err
    [episode] = _csv(tmp_path / "903" / "episodes_2024.csv")
    assert episode["CHILD"] == "'=1+2"
    # every DfE code and date is exactly as before: none begins with a formula character
    reference = build_small_warehouse(tmp_path / "ref.duckdb")
    reference.close()
    r = run_cli(
        capsys, monkeypatch, "export", "ssda903", "--year", "2024", "--out", tmp_path / "ref", "--warehouse", tmp_path / "ref.duckdb"
    )
    assert r.code == 0, r.err
    [plain] = _csv(tmp_path / "ref" / "episodes_2024.csv")
    assert {k: v for k, v in episode.items() if k != "CHILD"} == {k: v for k, v in plain.items() if k != "CHILD"}
    assert plain["CHILD"] == "P3"


def _exceptions_warehouse(tmp_path: Path) -> Path:
    """The dashboard fixture with C1 (45 days overdue for a visit) renamed to the hostile id."""
    path = fixture.build(tmp_path / "w.duckdb")
    con = connect(path)
    rename_child(con, "C1", HOSTILE)
    con.close()
    return path


def test_cli_exceptions_export_neutralises_the_child_id(tmp_path, capsys, monkeypatch):
    wh = _exceptions_warehouse(tmp_path)
    out = tmp_path / "exc.csv"
    args = ("--indicator", "cp_visits_in_timescale_pct", "--period-end", "2024-03-31", "--out", out, "--warehouse", wh)
    r = run_cli(capsys, monkeypatch, "export", "exceptions", *args)
    assert r.code == 0, r.err
    rows = [(row["person_id"], row["days_overdue"]) for row in _csv(out)]
    assert rows == [("'=1+2", "45"), ("C3", "26")]  # from the fixture: last seen 1 and 20 February 2024


def test_validate_out_neutralises_the_child_id(tmp_path, capsys, monkeypatch):
    con = build_small_warehouse(tmp_path / "w.duckdb")
    rename_child(con, "P2", HOSTILE)  # P2's open referral R3 has no allocated worker
    con.close()
    out = tmp_path / "problems.csv"
    r = run_cli(capsys, monkeypatch, "validate", "--out", out, "--warehouse", tmp_path / "w.duckdb")
    assert r.code == 0, r.err
    assert [(row["record_id"], row["person_id"]) for row in _csv(out)] == [("R3", "'=1+2")]
