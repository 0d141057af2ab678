"""Annex A workbooks: the published sample, header and code variants, rejections, and run_load."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from cscperf.errors import UserError
from cscperf.ingest import parser_for
from cscperf.ingest.annex_a import answer, code, key, parse_annex_a, sex, yes_no
from cscperf.ingest.core import run_load

SAMPLE = Path(__file__).parents[1] / "fixtures" / "annex_a" / "annex_a_sample.xlsx"


def _rows(parsed, table: str) -> list[dict]:
    return parsed.frames[table].drop(columns="_source").to_dict("records")


def test_sample_workbook_counts_reconcile_per_list():
    p = parse_annex_a([SAMPLE])
    wb = openpyxl.load_workbook(SAMPLE, read_only=True)
    rows = {ws.title: sum(1 for r in ws.iter_rows(min_row=2, values_only=True) if any(v is not None for v in r)) for ws in wb.worksheets}
    assert p.read == {f"{SAMPLE} (List {n})": rows[f"List {n}"] for n in range(1, 11)}
    assert p.rejected == []
    assert len(p.frames["ssd_contacts"]) == rows["List 1"]
    assert len(p.frames["ssd_early_help_episodes"]) == rows["List 2"]
    # lists 3 (referrals) and 6 (children in need) share no child and date in this sample
    assert len(p.frames["ssd_cin_episodes"]) == rows["List 3"] + rows["List 6"]
    assert len(p.frames["ssd_cin_assessments"]) == rows["List 4"]
    assert len(p.frames["ssd_s47_enquiry"]) == rows["List 5"]
    assert len(p.frames["ssd_cp_plans"]) == rows["List 7"]
    assert len(p.frames["ssd_cla_episodes"]) == rows["List 8"]
    assert len(p.frames["ssd_care_leavers"]) == rows["List 9"]
    assert len(p.frames["ssd_permanence"]) == rows["List 10"]
    skipped = [w for w in p.warnings if w.field == "List 11"]
    assert len(skipped) == 1 and skipped[0].value == str(rows["List 11"]) and "skipped" in skipped[0].rule


def test_sample_values_are_mapped_with_their_codes():
    p = parse_annex_a([SAMPLE])
    contact = next(r for r in _rows(p, "ssd_contacts") if r["cont_person_id"] == "9212044")
    assert (contact["cont_contact_date"], contact["cont_contact_source_code"], contact["cont_contact_source_desc"]) == (
        dt.date(2020, 9, 16),
        "6",
        "Police",
    )
    person = next(r for r in _rows(p, "ssd_person") if r["pers_person_id"] == "11973218")
    assert (person["pers_sex"], person["pers_ethnicity"], person["pers_dob"]) == ("F", "APKN", None)
    referral = next(r for r in _rows(p, "ssd_cin_episodes") if r["cine_person_id"] == "6537810")
    assert (referral["cine_referral_source_code"], referral["cine_referral_nfa"], referral["cine_referral_team"]) == (
        "8",
        "N",
        "Multi Agency Safeguarding Hub",
    )
    plan = next(r for r in _rows(p, "ssd_cp_plans") if r["cppl_person_id"] == "10721552")
    assert (plan["cppl_cp_plan_initial_category"], plan["cppl_cp_plan_end_date"], plan["cppl_ext_previous_plans"]) == (
        "PHY",
        dt.date(2021, 2, 16),
        0,
    )
    cla = next(r for r in _rows(p, "ssd_cla_episodes") if r["clae_person_id"] == "1761444")
    assert (cla["clae_ext_legal_status"], cla["clae_entered_care_date"], cla["clae_cla_primary_need_code"]) == (
        "E1",
        dt.date(2009, 8, 6),
        "N1",
    )
    placement = next(r for r in _rows(p, "ssd_cla_placement") if r["clap_person_id"] == "1761444")
    assert (placement["clap_cla_placement_type"], placement["clap_cla_placement_provider"]) == ("U6", "PR4")
    # List 10 formulas are read as their computed dates
    perm = next(r for r in _rows(p, "ssd_permanence") if r["perm_person_id"] == "7961370")
    assert perm["perm_adm_decision_date"] == dt.date(2009, 8, 11) and perm["perm_cla_id"] == key("CLA", "7961370", dt.date(2009, 8, 6))
    # the worker is a code and the team a name: one professional row per worker, linked to a team
    assert len(p.frames["ssd_professionals"]) == p.frames["ssd_professionals"]["prof_professional_name"].nunique()


def test_answer_helpers_strip_enumerators():
    assert answer("b) Female") == "Female" and answer("#N/A") is None and answer("Dustin\xa0H") == "Dustin H"
    assert code("q) 6: Police") == "6" and code("N1 - Abuse or Neglect") == "N1" and code("f) U6: Foster placement") == "U6"
    assert yes_no("a) Yes") == "Y" and yes_no("No") == "N" and yes_no("maybe") is None
    assert sex("a) Male") == "M" and sex(["SEX", "female"][1]) == "F" and sex("c) Not stated/recorded") == "U"


def _workbook(path: Path, sheets: dict[str, list[list]]) -> Path:
    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    for title, rows in sheets.items():
        ws = wb.create_sheet(title)
        for row in rows:
            ws.append(row)
    wb.save(path)
    return path


def test_header_variants_serial_and_text_dates(tmp_path):
    f = _workbook(
        tmp_path / "variants.xlsx",
        {
            "list3 - Referrals": [
                ["Annex A list 3 (exported 1 Feb)"],
                ["CHILD ID", "Sex", "ethnicity", "date_of_birth", "Referral  Date", "Source of referral", "Referral NFA?"],
                [101, "Male", "WBRI", "05/06/2015", 44927, "6", "yes"],
                ["102 ", "F", "a) WBRI", 42000, "2023-01-02", "q) 6: Police", "b) No"],
                [103, "Female", "WBRI", None, "31/02/2023", "6", "No"],
                [None, "Female", "WBRI", None, "01/02/2023", "6", "No"],
            ],
            "Notes": [["anything"]],
        },
    )
    p = parse_annex_a([f])
    refs = {r["cine_person_id"]: r for r in _rows(p, "ssd_cin_episodes")}
    assert sorted(refs) == ["101", "102"]
    assert refs["101"]["cine_referral_date"] == dt.date(2023, 1, 1)  # Excel serial 44927
    assert refs["101"]["cine_referral_nfa"] == "Y" and refs["102"]["cine_referral_nfa"] == "N"
    people = {r["pers_person_id"]: r for r in _rows(p, "ssd_person")}
    assert people["101"]["pers_dob"] == dt.date(2015, 6, 5) and people["102"]["pers_dob"] == dt.date(2014, 12, 27)
    assert [(i.location, i.field, i.rule) for i in p.rejected] == [
        ("sheet 'list3 - Referrals' row 5", "date", "not a real date (no such day in the calendar)"),
        ("sheet 'list3 - Referrals' row 6", "child", "child id is required and missing"),
    ]
    assert any(w.value == "Notes" and "skipped" in w.rule for w in p.warnings)


def test_same_referral_in_lists_3_and_6_is_one_record_and_repeats_are_rejected(tmp_path):
    head3 = ["Child Unique ID", "Gender", "Date of Referral", "Referral Source", "Allocated Team", "Allocated Worker"]
    head6 = ["Child Unique ID", "Gender", "CIN Start Date", "Primary Need Code", "CIN Closure Date", "Reason for Closure"]
    f = _workbook(
        tmp_path / "merge.xlsx",
        {
            "List 3": [
                head3,
                [7, "Male", dt.datetime(2023, 4, 3), "6", "Team A", "SW-1"],
                [7, "Male", dt.datetime(2023, 4, 3), "6", "Team A", "SW-1"],
            ],
            "List 6": [head6, [7, "Male", dt.datetime(2023, 4, 3), "N1 - Abuse or neglect", dt.datetime(2023, 8, 1), "RC7 - other"]],
        },
    )
    p = parse_annex_a([f])
    [ref] = _rows(p, "ssd_cin_episodes")
    assert (ref["cine_referral_source_code"], ref["cine_cin_primary_need_code"], ref["cine_close_date"], ref["cine_close_reason"]) == (
        "6",
        "N1",
        dt.date(2023, 8, 1),
        "RC7",
    )
    assert ref["cine_referral_worker_id"] == key("W", "SW-1") and ref["cine_referral_team"] == "Team A"
    assert [(i.location, i.table) for i in p.rejected] == [("sheet 'List 3' row 3", "ssd_cin_episodes")]


def test_not_a_workbook_is_a_user_error(tmp_path):
    f = tmp_path / "annex.xlsx"
    f.write_bytes(b"not a zip file at all")
    with pytest.raises(UserError, match=r"annex\.xlsx: not a readable Excel workbook"):
        parse_annex_a([f])


def test_load_through_run_load(con):
    summary = run_load(con, "annex-a", [SAMPLE], parser_for("annex-a"))
    assert con.execute("SELECT count(*) FROM ssd_cp_plans").fetchone() == (7,)
    assert con.execute("SELECT count(*) FROM ssd_person").fetchone()[0] == summary.counts("ssd_person").loaded
    skipped = con.execute("SELECT count(*) FROM cscperf_quarantine WHERE rule LIKE 'warning: List 11%'").fetchone()
    assert skipped == (1,)


def test_conference_in_list_5_links_to_the_plan_in_list_7(tmp_path):
    head5 = [
        "Child ID",
        "Gender",
        "Strategy discussion initiating Section 47 Enquiry Start Date",
        "Date of Initial Child Protection Conference",
    ]
    head5.append("Did the Initial Child Protection Conference Result in a Child Protection Plan")
    head7 = ["Child ID", "Gender", "Child Protection Plan Start Date", "Initial Category of Abuse"]
    f = _workbook(
        tmp_path / "cp.xlsx",
        {
            "List 3": [["Child ID", "Date of Referral"], [5, dt.datetime(2023, 1, 2)]],
            "List 5": [
                head5,
                [5, "F", dt.datetime(2023, 1, 3), dt.datetime(2023, 1, 20), "Yes"],
                [6, "M", dt.datetime(2023, 2, 1), dt.datetime(2023, 2, 20), "Yes"],
            ],
            "List 7": [head7, [5, "F", dt.datetime(2023, 1, 20), "Neglect"]],
        },
    )
    p = parse_annex_a([f])
    icpc = {r["icpc_person_id"]: r for r in _rows(p, "ssd_initial_cp_conference")}
    [plan] = _rows(p, "ssd_cp_plans")
    ref = key("REF", "5", dt.date(2023, 1, 2))
    assert icpc["5"]["icpc_cp_plan_id"] == plan["cppl_cp_plan_id"] and plan["cppl_icpc_id"] == icpc["5"]["icpc_icpc_id"]
    assert icpc["5"]["icpc_referral_id"] == ref and plan["cppl_referral_id"] == ref and plan["cppl_cp_plan_initial_category"] == "NEG"
    # child 6's plan is not in list 7: the conference says a plan resulted but links to nothing
    assert icpc["6"]["icpc_icpc_outcome_cp_flag"] == "Y" and pd.isna(icpc["6"]["icpc_cp_plan_id"])
