"""Annex A workbooks: the published sample, header and code variants, rejections, and run_load."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from cscperf.errors import UserError
from cscperf.ingest import parser_for
from cscperf.ingest.annex_a import TEMPLATE, answer, code, key, parse_annex_a, sex, yes_no
from cscperf.ingest.core import run_load
from tests.ingest.conftest import snapshot

SAMPLE = Path(__file__).parents[1] / "fixtures" / "annex_a" / "annex_a_sample.xlsx"


def _rows(parsed, table: str) -> list[dict]:
    return parsed.frames[table].drop(columns="_source").to_dict("records")


def test_sample_workbook_counts_reconcile_per_list():
    p = parse_annex_a([SAMPLE])
    wb = openpyxl.load_workbook(SAMPLE, read_only=True)
    rows = {ws.title: sum(1 for r in ws.iter_rows(min_row=2, values_only=True) if any(v is not None for v in r)) for ws in wb.worksheets}
    assert p.read == {f"{SAMPLE} (List {n})": rows[f"List {n}"] for n in range(1, 12)}
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
    # list 11: one household per family identifier (each of the sample's five adopters is a family of their own),
    # a match per child placed (1 + 2 + 1 + 1 + 3); each adopter's sex and disability and the FFA answer are not held
    assert len(p.frames["ext_adopter"]) == rows["List 11"] == 5 and len(p.frames["ext_adoption_match"]) == 8
    not_held = {w.field: w.value for w in p.warnings if w.table == "ext_adopter"}
    assert not_held == {
        "Gender": "5",
        "Disability": "5",
        "Is the (prospective) adopter fostering for adoption?": "5",
        "Individual adopter identifier": "5",  # the sample's ids are not <family>-1, so they are not kept
    }


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
    assert con.execute("SELECT count(*), sum(adop_number_of_adopters) FROM ext_adopter WHERE adop_agency = 'OWN'").fetchone() == (5, 5)
    not_held = con.execute("SELECT count(*) FROM cscperf_quarantine WHERE rule LIKE 'warning: not held in the warehouse model (%'")
    assert not_held.fetchone() == (4,)


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


# --- list 11: the authority's own adopters, one household per family -------------------------------------------
LIST11 = [h for h, _ in TEMPLATE[11]]


def _adopter(adopter: object, family: object, **values: object) -> list:
    """A list 11 row in template order: the ids, then any field by name (dates as text, as a council's export has them)."""
    row = dict.fromkeys(f for _, f in TEMPLATE[11])
    row |= {"adopter": adopter, "family": family, **values}
    return list(row.values())


def _journey(**more: object) -> dict:
    """A household that enquired on 10 January 2024 and went through both stages to approval on 1 August 2024."""
    return {
        "enquiry": "10/01/2024",
        "stage1_start": "15/01/2024",
        "stage1_end": "10/03/2024",
        "submitted": "12/03/2024",
        "stage2_start": "15/03/2024",
        "stage2_end": "10/07/2024",
        "approved": "01/08/2024",
        **more,
    }


def _by_id(frame: pd.DataFrame, column: str) -> dict[str, dict]:
    frame = frame.drop(columns="_source").astype(object)
    return {r[column]: r for r in frame.where(frame.notna(), None).to_dict("records")}


def test_list_11_loads_a_household_per_family_and_a_match_per_child_placed(tmp_path):
    d = dt.date
    f = _workbook(
        tmp_path / "adopters.xlsx",
        {
            "List 11": [
                LIST11,
                # F1: a couple, adopted two children: the first adopter's ethnicity is the household's
                _adopter("A1", "F1", sex="a) Male", ethnicity="a) WBRI", disability="b) No", ffa="Yes",
                         **_journey(matched="01/09/2024", placed="20/09/2024", children_placed=2, order="01/03/2025")),
                _adopter("A2", "F1", sex="b) Female", ethnicity="b) WIRI", disability="b) No", ffa="Yes",
                         **_journey(matched="01/09/2024", placed="20/09/2024", children_placed=2, order="01/03/2025")),
                # F2 withdrew in stage 1 (reason 1); F3's approval ended (3, after approval); F4 was not approved (3, never
                # approved); F5 left for a reason the writer has no code for (5)
                _adopter("F2-1", "F2", ethnicity="APKN", enquiry="01/02/2024", stage1_start="05/02/2024", left="01/03/2024",
                         left_reason=1),
                _adopter("F3-1", "F3", **_journey(left="01/12/2024", left_reason="3")),
                _adopter("F4-1", "F4", **_journey(approved=None, left="20/07/2024", left_reason="c) 3")),
                _adopter("F5-1", "F5", enquiry="01/02/2024", left="01/04/2024", left_reason=5),
                # F6 is matched, not yet placed
                _adopter("F6-1", "F6", **_journey(matched="01/02/2025")),
            ]
        },
    )  # fmt: skip
    p = parse_annex_a([f])
    assert p.rejected == []
    households = _by_id(p.frames["ext_adopter"], "adop_adopter_id")
    f1 = households["F1"]
    assert (f1["adop_agency"], f1["adop_number_of_adopters"], f1["adop_ethnicity"]) == ("OWN", 2, "WBRI")
    assert [f1[c] for c in ("adop_registration_date", "adop_stage1_start_date", "adop_stage1_end_date", "adop_application_date")] == [
        d(2024, 1, 10), d(2024, 1, 15), d(2024, 3, 10), d(2024, 3, 12)
    ]  # fmt: skip
    assert [f1[c] for c in ("adop_stage2_start_date", "adop_stage2_end_date", "adop_approval_date")] == [
        d(2024, 3, 15), d(2024, 7, 10), d(2024, 8, 1)
    ]  # fmt: skip
    assert (f1["adop_end_date"], f1["adop_end_reason"]) == (d(2025, 3, 1), "ADOPTED")  # adopted: the household's record ends
    ended = {h: (households[h]["adop_end_date"], households[h]["adop_end_reason"]) for h in ("F2", "F3", "F4", "F5", "F6")}
    assert ended == {
        "F2": (d(2024, 3, 1), "WITHDRAWN"),
        "F3": (d(2024, 12, 1), "APPROVAL_TERMINATED"),
        "F4": (d(2024, 7, 20), "NOT_APPROVED"),
        "F5": (d(2024, 4, 1), "ANNEX_A_5"),
        "F6": (None, None),
    }
    assert households["F2"]["adop_ethnicity"] == "APKN" and households["F2"]["adop_stage2_start_date"] is None
    matches = p.frames["ext_adoption_match"].drop(columns="_source").sort_values("adma_match_id").to_dict("records")
    assert sorted(m["adma_match_id"] for m in matches) == sorted([key("ADMA", "F1", 1), key("ADMA", "F1", 2), key("ADMA", "F6", 1)])
    f1_matches = [m for m in matches if m["adma_adopter_id"] == "F1"]
    assert [(m["adma_person_id"], m["adma_matched_date"], m["adma_placed_date"], m["adma_adoption_order_date"]) for m in f1_matches] == [
        (None, d(2024, 9, 1), d(2024, 9, 20), d(2025, 3, 1))
    ] * 2  # fmt: skip
    [f6] = [m for m in matches if m["adma_adopter_id"] == "F6"]
    assert (f6["adma_matched_date"], f6["adma_placed_date"]) == (d(2025, 2, 1), None)
    assert p.frames["ext_adopter"].set_index("adop_adopter_id").loc["F3", "_source"] == f"{f}:sheet 'List 11' row 5"
    # what is not held is said, with how many values were not kept: A2's ethnicity; the ids A1 and A2 (not F1-1, F1-2)
    not_held = {w.field: (w.value, w.rule) for w in p.warnings if w.table == "ext_adopter"}
    assert {k: v for k, (v, _) in not_held.items()} == {
        "Gender": "2",
        "Disability": "2",
        "Is the (prospective) adopter fostering for adoption?": "2",
        "Ethnicity": "1",
        "Individual adopter identifier": "2",
    }
    assert not_held["Ethnicity"][1] == (
        "not held in the warehouse model (only the first adopter's ethnicity is held, as the household's); 1 non-blank values not kept"
    )


def test_list_11_rejects_a_family_whole_naming_the_row_and_field(tmp_path, con):
    f = _workbook(
        tmp_path / "bad.xlsx",
        {
            "List 11": [
                LIST11,
                _adopter("B1", "F1", **_journey(stage1_start="31/02/2024")),  # row 2: not a date
                _adopter("B2", "F1", **_journey()),  # row 3: its family's other row was rejected
                _adopter("C1", "F2", **_journey(approved="01/01/2024")),  # row 4: approved before the enquiry
                _adopter("D1", "F3", **_journey()),  # rows 5, 6: the couple disagree on when stage 2 started
                _adopter("D2", "F3", **_journey(stage2_start="16/03/2024")),
                _adopter("E1", "F4", **_journey(stage2_end="14/03/2024")),  # row 7: stage 2 ended before it started
                _adopter("G1", "F5", **_journey(children_placed=2)),  # row 8: children placed, no placement date
                _adopter("H1", "F6", **_journey(enquiry=None)),  # row 9: no enquiry date
                *(_adopter(f"J{i}", "F7", **_journey()) for i in (1, 2, 3)),  # rows 10-12: three adopters
                _adopter("K1", "F8", **_journey()),  # rows 13, 14: the same adopter twice, the repeat rejected
                _adopter("K1", "F8", **_journey()),
            ]
        },
    )
    summary = run_load(con, "annex-a", [f], parser_for("annex-a"))
    rejected = sorted((int(i.location.rsplit(" ", 1)[1]), i.field, i.rule) for i in summary.rejected)
    assert [(row, fieldname) for row, fieldname, _ in rejected] == [
        (2, "stage1_start"), (3, "family"), (4, "approved"), (5, "stage2_start"), (6, "stage2_start"), (7, "stage2_end"),
        (8, "children_placed"), (9, "enquiry"), (10, "family"), (11, "family"), (12, "family"), (14, "adopter"),
    ]  # fmt: skip
    rules = {row: rule for row, _, rule in rejected}
    assert rules[2] == "not a real date (no such day in the calendar)"
    assert rules[3] == "row 2 of this family was rejected: a household is loaded whole or not at all"
    assert rules[4] == "'Date application approved' is before the date enquiry received (2024-01-10)"
    assert rules[5] == "the family's rows 5, 6 disagree on 'Date Stage 2 started' (a household's record is one)"
    assert rules[7] == "'Date Stage 2 ended' is before 'Date Stage 2 started' (2024-03-15)"
    assert rules[10] == "the family has 3 adopters (rows 10, 11, 12); a household holds one or two"
    assert all(i.source == str(f) and i.location.startswith("sheet 'List 11' row ") for i in summary.rejected)
    # nothing of a rejected family is loaded; F8 (its repeat aside) is
    assert con.execute("SELECT adop_adopter_id, adop_number_of_adopters FROM ext_adopter").fetchall() == [("F8", 1)]
    assert con.execute("SELECT count(*) FROM ext_adoption_match").fetchone() == (0,)
    quarantined = con.execute("SELECT location, field FROM cscperf_quarantine WHERE rule NOT LIKE 'warning:%' ORDER BY location")
    assert ("sheet 'List 11' row 4", "approved") in quarantined.fetchall()


def test_list_11_loads_twice_to_the_same_rows(tmp_path, con):
    rows = [LIST11, _adopter("A1", "F1", **_journey(matched="01/09/2024", placed="20/09/2024", children_placed=2))]
    rows.append(_adopter("A2", "F1", **_journey(matched="01/09/2024", placed="20/09/2024", children_placed=2)))
    f = _workbook(tmp_path / "adopters.xlsx", {"List 11": rows})
    first = run_load(con, "annex-a", [f], parser_for("annex-a"))
    before = snapshot(con, provenance=False)
    again = run_load(con, "annex-a", [f], parser_for("annex-a"))
    assert again.status == "noop" and again.same_as == first.load_id
    forced = run_load(con, "annex-a", [f], parser_for("annex-a"), force=True)  # loaded again: the same keys replace the same rows
    assert snapshot(con, provenance=False)["ext_adopter"] == before["ext_adopter"]
    assert snapshot(con, provenance=False)["ext_adoption_match"] == before["ext_adoption_match"]
    assert (forced.counts("ext_adopter").replaced, forced.counts("ext_adoption_match").replaced) == (1, 2)
    assert con.execute("SELECT count(*) FROM ext_adoption_match").fetchone() == (2,)


def test_list_11_without_a_family_identifier_column_is_a_user_error(tmp_path):
    f = _workbook(tmp_path / "no-family.xlsx", {"List 11": [["Individual adopter identifier", "Gender"], [1, "a) Male"]]})
    with pytest.raises(UserError, match=r"no-family\.xlsx: sheet 'List 11': no 'Family identifier' column"):
        parse_annex_a([f])


def test_list_11_children_placed_and_leaving_reason_must_fit_their_dates(tmp_path):
    f = _workbook(
        tmp_path / "counts.xlsx",
        {
            "List 11": [
                LIST11,
                _adopter("A1", "F1", **_journey(matched="01/09/2024", placed="20/09/2024", children_placed="two")),  # row 2
                _adopter("B1", "F2", **_journey(matched="01/09/2024", placed="20/09/2024")),  # row 3: count blank, one assumed
                _adopter("C1", "F3", **_journey(left_reason=1)),  # row 4: a reason with no leaving date
                _adopter("D1", "F4", **_journey(matched="01/09/2024", placed="20/09/2024", children_placed=0)),  # row 5
            ]
        },
    )
    p = parse_annex_a([f])
    assert [(i.location, i.field, i.value, i.rule) for i in p.rejected] == [
        ("sheet 'List 11' row 2", "children_placed", "two", "not a whole number of children"),
        ("sheet 'List 11' row 4", "left_reason", "1", "a reason for leaving the adoption process without the date of leaving"),
        ("sheet 'List 11' row 5", "children_placed", "0", "no children placed, but a date child/children placed with adopter(s)"),
    ]
    assert list(p.frames["ext_adopter"]["adop_adopter_id"]) == ["F2"]
    assert list(p.frames["ext_adoption_match"]["adma_match_id"]) == [key("ADMA", "F2", 1)]
    [assumed] = [w for w in p.warnings if w.table == "ext_adoption_match"]
    assert (assumed.location, assumed.rule) == ("sheet 'List 11' row 3", "no. of children placed is blank; one child assumed")


def test_the_same_record_in_two_monthly_workbooks_is_one_record_not_a_repeat(tmp_path):
    head = ["Child Unique ID", "Gender", "CIN Start Date", "Primary Need Code", "CIN Closure Date", "Reason for Closure"]
    march = _workbook(tmp_path / "march.xlsx", {"List 6": [head, [7, "Male", dt.datetime(2023, 4, 3), "N1", None, None]]})
    april = _workbook(
        tmp_path / "april.xlsx", {"List 6": [head, [7, "Male", dt.datetime(2023, 4, 3), "N1", dt.datetime(2023, 8, 1), "RC7"]]}
    )
    p = parse_annex_a([march, april])
    [episode] = _rows(p, "ssd_cin_episodes")
    assert (episode["cine_close_date"], episode["cine_close_reason"]) == (dt.date(2023, 8, 1), "RC7")  # April fills the gap
    assert p.rejected == []
