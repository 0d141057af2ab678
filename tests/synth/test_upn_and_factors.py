"""The synthetic authority's UPNs, UPN-unknown reasons and assessment factors are what the CIN census accepts."""

from __future__ import annotations

import json

import numpy as np

from cscperf.ingest.cin_xml import code_list
from cscperf.ingest.upn import FORMER_UPN_TYPE, UPN_TYPE, problem
from cscperf.synth.people import school_entry
from tests.synth.conftest import END


def test_school_entry_is_the_september_after_the_fourth_birthday():
    dob = np.array(["2019-08-31", "2019-09-01", "2020-02-29"], dtype="datetime64[D]")
    assert school_entry(dob).astype(str).tolist() == ["2023-09-01", "2024-09-01", "2024-09-01"]


def test_every_upn_is_valid_unique_and_allocated_by_the_authority(tiny):
    rows = tiny.execute(
        "SELECT link_identifier_type, link_identifier_value, pers_ext_la_code FROM ssd_linked_identifiers "
        "JOIN ssd_person ON pers_person_id = link_person_id"
    ).fetchall()
    current = [r for r in rows if r[0] == UPN_TYPE]
    assert len(current) > 500 and any(r[0] == FORMER_UPN_TYPE for r in rows)
    assert [r[1] for r in rows if problem(r[1])] == []
    assert all(r[1][1:4] == r[2] for r in rows)
    values = {r[1] for r in current}
    assert len(values) >= len({r[1] for r in rows if r[0] == FORMER_UPN_TYPE}) and len(values) > 0.95 * len(current)


def test_a_child_has_a_upn_on_the_end_date_or_a_reason_suiting_their_age(tiny):
    rows = tiny.execute(
        "SELECT pers_person_id, pers_dob, pers_upn_unknown, count(link_person_id) FILTER (WHERE link_valid_to_date IS NULL "
        f"AND link_identifier_type = '{UPN_TYPE}') FROM ssd_person LEFT JOIN ssd_linked_identifiers ON link_person_id = pers_person_id "
        "GROUP BY ALL"
    ).fetchall()
    end = np.datetime64(END)
    for _, dob, reason, upns in rows:
        at_school = dob is not None and school_entry(np.array([dob], dtype="datetime64[D]"))[0] <= end
        assert (upns == 1) == (reason is None), (dob, reason, upns)
        if reason is not None:
            assert reason in ({"UN2", "UN3", "UN4", "UN5"} if at_school else {"UN1"}), (dob, reason)


def test_assessment_factors_come_from_the_code_list_of_the_year_the_assessment_was_completed(tiny):
    rows = tiny.execute(
        "SELECT cina_assessment_auth_date, cinf_assessment_factors_json FROM ssd_assessment_factors "
        "JOIN ssd_cin_assessments ON cina_assessment_id = cinf_assessment_id"
    ).fetchall()
    assert len(rows) > 100
    for auth, text in rows:
        codes = json.loads(text)
        year = auth.year + (auth.month >= 4)
        assert codes and len(set(codes)) == len(codes) and set(codes) <= set(code_list(year, "assessmentfactorstype"))
        assert codes == ["21"] or "21" not in codes
    completed = tiny.execute("SELECT count(*) FROM ssd_cin_assessments WHERE cina_assessment_auth_date IS NOT NULL").fetchone()[0]
    assert len(rows) == completed
