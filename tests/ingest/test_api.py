"""DfE API child records: mapping, purge of items and children, one record at a time, names never stored."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from cscperf.errors import UserError
from cscperf.ingest import api_json
from cscperf.ingest.core import run_load, start_load, transaction

RECORD = {
    "la_code": 874,
    "Children": {
        "la_child_id": "C1",
        "mis_child_id": "M1",
        "child_details": {
            "first_name": "Zebedee",
            "surname": "Quixotic",
            "postcode": "PE1 1AA",
            "date_of_birth": "2015-06-01",
            "sex": "F",
            "ethnicity": "WBRI",
            "disabilities": ["AUT", "HEAR"],
        },
        "social_care_episodes": [
            {
                "social_care_episode_id": "R1",
                "referral_date": "2024-01-10",
                "referral_source": "1A",
                "referral_no_further_action_flag": False,
                "care_worker_details": [{"worker_id": "W7", "start_date": "2024-01-10"}],
                "child_and_family_assessments": [
                    {"child_and_family_assessment_id": "A1", "start_date": "2024-01-11", "authorisation_date": "2024-02-20"}
                ],
                "child_protection_plans": [{"child_protection_plan_id": "CP1", "start_date": "2024-03-01"}],
                "section_47_assessments": [
                    {"section_47_assessment_id": "S1", "start_date": "2024-02-01", "icpc_required_flag": True, "icpc_date": "2024-02-25"}
                ],
            }
        ],
    },
}


def _count(con, table: str) -> int:
    return con.execute(f"SELECT count(*) FROM {table}").fetchone()[0]


def _push(con, record: dict) -> None:
    with transaction(con):
        load_id = start_load(con, "api-json")
        api_json.load_api_record(con, record, load_id)


def test_a_record_maps_to_the_model_and_names_are_not_stored(con, tmp_path):
    path = tmp_path / "child.json"
    path.write_text(json.dumps(RECORD))
    s = run_load(con, "api-json", [path], api_json.parse)
    assert s.rejected == []
    assert con.execute("SELECT pers_person_id, pers_sex, pers_dob, pers_ext_la_code FROM ssd_person").fetchall() == [
        ("C1", "F", dt.date(2015, 6, 1), "874")
    ]
    assert con.execute("SELECT disa_disability_code FROM ssd_disability ORDER BY 1").fetchall() == [("AUT",), ("HEAR",)]
    assert con.execute("SELECT cine_referral_id, cine_referral_nfa FROM ssd_cin_episodes").fetchall() == [("R1", "N")]
    assert con.execute("SELECT cina_assessment_auth_date FROM ssd_cin_assessments").fetchall() == [(dt.date(2024, 2, 20),)]
    assert con.execute("SELECT s47e_s47_nfa FROM ssd_s47_enquiry").fetchall() == [("N",)]
    assert con.execute("SELECT icpc_icpc_id, icpc_icpc_date FROM ssd_initial_cp_conference").fetchall() == [
        ("S1:ICPC", dt.date(2024, 2, 25))
    ]
    assert con.execute("SELECT invo_professional_id, invo_referral_id FROM ssd_involvements").fetchall() == [("W7", "R1")]
    dump = con.execute("EXPORT DATABASE '" + str(tmp_path / "dump") + "' (FORMAT CSV)")
    assert dump is not None
    text = "".join(p.read_text() for p in (tmp_path / "dump").glob("*.csv"))
    assert "Zebedee" not in text and "Quixotic" not in text and "PE1 1AA" not in text


def test_purge_on_an_item_deletes_it_and_purge_on_the_child_deletes_everything(con):
    _push(con, RECORD)
    assert _count(con, "ssd_cp_plans") == 1
    purge_plan = json.loads(json.dumps(RECORD))
    purge_plan["Children"]["social_care_episodes"][0]["child_protection_plans"] = [{"child_protection_plan_id": "CP1", "purge": True}]
    _push(con, purge_plan)
    assert _count(con, "ssd_cp_plans") == 0 and _count(con, "ssd_cin_assessments") == 1
    _push(con, {"la_code": 874, "Children": {"la_child_id": "C1", "purge": True}})
    tables = [
        "ssd_person",
        "ssd_disability",
        "ssd_cin_episodes",
        "ssd_cin_assessments",
        "ssd_s47_enquiry",
        "ssd_initial_cp_conference",
        "ssd_involvements",
    ]
    assert {t: _count(con, t) for t in tables} == dict.fromkeys(tables, 0)


def test_files_hold_a_list_or_json_lines_and_bad_records_are_rejected_with_their_path(con, tmp_path):
    second = {"la_code": 874, "Children": {"la_child_id": "C2", "child_details": {"date_of_birth": "2016-13-40"}}}
    lines = tmp_path / "children.jsonl"
    lines.write_text(json.dumps(RECORD) + "\n" + json.dumps(second) + "\n" + json.dumps({"Children": {"child_details": {}}}) + "\n")
    s = run_load(con, "api-json", [lines], api_json.parse)
    assert [(i.location, i.field, i.value) for i in s.rejected] == [
        ("record 3/Children/la_child_id", "la_child_id", ""),
        ("record 2/Children/child_details", "pers_dob", "2016-13-40"),
    ]
    listed = tmp_path / "list.json"
    listed.write_text(json.dumps([RECORD]))
    assert len(api_json.parse([listed]).frames["ssd_person"]) == 1
    broken = tmp_path / "broken.json"
    broken.write_text('{"la_code": 1}\n{"la_code": \n')
    with pytest.raises(UserError, match="broken.json: line 2: not valid JSON"):
        api_json.parse([broken])


def test_a_file_record_of_the_wrong_shape_is_rejected_whole_and_nothing_of_it_stored(con, tmp_path):
    listed = json.loads(json.dumps(RECORD))
    listed["Children"]["la_child_id"] = "C2"
    listed["Children"]["child_details"]["sex"] = ["A", "B"]
    not_object = {"la_code": 874, "Children": {"la_child_id": "C3", "child_details": "F"}}
    path = tmp_path / "children.jsonl"
    # json.dumps writes the lone surrogate as the escape \ud800, as a sender's file would hold it
    lone = {"la_code": 874, "Children": {"la_child_id": "C4", "child_details": {"ethnicity": "WBRI\ud800"}}}
    path.write_text("\n".join(json.dumps(r) for r in (RECORD, listed, not_object, lone)) + "\n")
    s = run_load(con, "api-json", [path], api_json.parse)
    assert sorted((i.location, i.field, i.value, i.rule) for i in s.rejected) == [
        ("record 2/Children/child_details/sex", "sex", "", "expected a single value (text, a number or true/false), got a list"),
        ("record 3/Children/child_details", "child_details", "", "expected an object, got text"),
        ("record 4/Children/child_details/ethnicity", "ethnicity", "", "text is not valid Unicode (a lone surrogate such as \\ud800)"),
    ]
    assert con.execute("SELECT pers_person_id, pers_sex FROM ssd_person ORDER BY 1").fetchall() == [("C1", "F")]
    assert _count(con, "ssd_cin_episodes") == 1  # C1's R1 only: C2's episode went with its record


def test_a_file_nested_too_deeply_is_a_clear_error(tmp_path):
    path = tmp_path / "deep.json"
    path.write_text("[" * 100_000 + "]" * 100_000)
    with pytest.raises(UserError, match="deep.json: JSON nested too deeply to read"):
        api_json.parse([path])


def _push_all(con, records: list[dict]):
    """One push of several records, as `POST /api/v1/children` loads them (written together, in runs)."""
    with transaction(con):
        load_id = start_load(con, "api-json")
        return api_json.load_api_records(con, records, load_id)


def _child(child_id: str, **details) -> dict:
    rec = json.loads(json.dumps(RECORD))
    rec["Children"]["la_child_id"] = child_id
    rec["Children"]["child_details"].update(details)
    ep = rec["Children"]["social_care_episodes"][0]
    ep["social_care_episode_id"] = f"R-{child_id}"
    for key, id_field in (
        ("child_and_family_assessments", "child_and_family_assessment_id"),
        ("child_protection_plans", "child_protection_plan_id"),
        ("section_47_assessments", "section_47_assessment_id"),
    ):
        ep[key][0][id_field] = f"{ep[key][0][id_field]}-{child_id}"
    return rec


def test_a_push_of_several_children_stores_each_once_with_every_record_read(con):
    # Three children, each one person, two disabilities (AUT, HEAR), one referral, one plan: 3, 6, 3, 3.
    summary = _push_all(con, [_child("C1"), _child("C2"), _child("C3")])
    assert [_count(con, t) for t in ("ssd_person", "ssd_disability", "ssd_cin_episodes", "ssd_cp_plans")] == [3, 6, 3, 3]
    assert sorted(summary.read) == ["push[0]", "push[1]", "push[2]"] and summary.rejected == []


def test_a_later_record_of_the_same_child_in_one_push_wins_without_a_rejection(con):
    # C1 sent as F then as M in one push: as if the second arrived later, one person row, sex M, nothing quarantined.
    summary = _push_all(con, [_child("C1", sex="F"), _child("C2"), _child("C1", sex="M")])
    assert con.execute("SELECT pers_person_id, pers_sex FROM ssd_person ORDER BY 1").fetchall() == [("C1", "M"), ("C2", "F")]
    assert _count(con, "ssd_cp_plans") == 2 and summary.rejected == [] and _count(con, "cscperf_quarantine") == 0


def test_a_purge_later_in_a_push_removes_what_an_earlier_record_of_it_added(con):
    # C1 adds plan CP1-C1; C2's record then purges that plan by its id: the purge comes after, so CP1-C1 is gone
    # (deletes of one batch go before its rows, so a purge must start a new run) and C2's own plan stays.
    purger = _child("C2")
    purger["Children"]["social_care_episodes"][0]["child_protection_plans"].append({"child_protection_plan_id": "CP1-C1", "purge": True})
    _push_all(con, [_child("C1"), purger])
    assert con.execute("SELECT cppl_cp_plan_id FROM ssd_cp_plans").fetchall() == [("CP1-C2",)]
    # A child purged and then sent again in the same push is there; sent and then purged, gone.
    _push_all(con, [{"la_code": 874, "Children": {"la_child_id": "C2", "purge": True}}, _child("C2")])
    assert _count(con, "ssd_person") == 2
    _push_all(con, [_child("C3"), {"la_code": 874, "Children": {"la_child_id": "C3", "purge": True}}])
    assert con.execute("SELECT pers_person_id FROM ssd_person ORDER BY 1").fetchall() == [("C1",), ("C2",)]


def test_upns_and_assessment_factors_are_kept_and_purged_with_their_records(con):
    record = json.loads(json.dumps(RECORD))
    details = record["Children"]["child_details"]
    details.update(unique_pupil_number="A874204115002", former_unique_pupil_number="x87420411500a")
    assessment = record["Children"]["social_care_episodes"][0]["child_and_family_assessments"][0]
    assessment["factors"] = ["3b", "4B"]
    _push(con, record)
    assert con.execute("SELECT link_identifier_type, link_identifier_value FROM ssd_linked_identifiers ORDER BY 1").fetchall() == [
        ("Former Unique Pupil Number", "X87420411500A"),
        ("Unique Pupil Number", "A874204115002"),
    ]
    assert con.execute("SELECT cinf_assessment_id, cinf_assessment_factors_json FROM ssd_assessment_factors").fetchall() == [
        ("A1", '["3B", "4B"]')
    ]
    assessment["factors"] = []  # the factors list emptied: none held any more
    _push(con, record)
    assert _count(con, "ssd_assessment_factors") == 0 and _count(con, "ssd_cin_assessments") == 1
    assessment["factors"] = ["21"]
    _push(con, record)
    _push(con, {"la_code": 874, "Children": {"la_child_id": "C1", "purge": True}})
    assert _count(con, "ssd_assessment_factors") == 0 and _count(con, "ssd_linked_identifiers") == 0
