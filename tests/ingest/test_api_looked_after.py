"""DfE API child records: periods of care by the SSDA903 rules (RNE = S / REC not X1), legal status kept, short
breaks left out, checked in the loaded rows and through the looked-after indicators.

Worked by hand (one authority, LA 874):
- Child A, social care episode R1: PA1 2023-05-10 to 2023-08-20 (S, U3, REC X1), PA2 2023-08-20 to 2023-11-30
  (P: a new placement in the same period, REC E4A ends the period), PA3 from 2024-01-15 (S, open). Two periods of
  care: A:CLA:PA1 (PA1 + PA2, two placements) and A:CLA:PA3. Legal status C2 throughout: one spell per period.
- Child B: short breaks only, PB1 2023-11-03 to 2023-11-05 (S, V3, REC E8), PB2 from 2023-12-01 (S, V4, open).
- Child C: a v0.7 payload without legal status, PC1 from 2023-09-01 (S, U4, open): looked after.
So cla_started is 1 in May 2023 (A), 0 in August (PA2 is a change of placement), 0 in November and December (B's
periods are short breaks only) and 1 in January 2024 (A again); cla_ceased is 1 in November 2023 (A; B's V3 period
is left out); cla_open at 31 January 2024 is 2 (A and C; B is under V4).
"""

from __future__ import annotations

import datetime as dt
import json

import pytest

from cscperf.ingest import api_json
from cscperf.ingest.core import run_load, start_load, transaction
from tests.indicators.builder import Built


def _placement(pid: str, start: str, end: str | None, rne: str, rec: str | None, place: str, ls: str | None) -> dict:
    item = {"child_looked_after_placement_id": pid, "start_date": start, "start_reason": rne, "placement_type": place}
    item |= {"end_date": end, "end_reason": rec, "postcode": "PE1 1AA"}
    return item | ({"legal_status": ls} if ls else {})


def _record(child: str, placements: list[dict], adoption: dict | None = None) -> dict:
    episode = {"social_care_episode_id": f"R-{child}", "referral_date": "2023-04-01", "child_looked_after_placements": placements}
    if adoption:
        episode["adoption"] = adoption
    details = {"date_of_birth": "2012-05-01", "sex": "F", "ethnicity": "WBRI"}
    return {"la_code": 874, "Children": {"la_child_id": child, "child_details": details, "social_care_episodes": [episode]}}


A = _record(
    "A",
    [
        _placement("PA1", "2023-05-10", "2023-08-20", "S", "X1", "U3", "C2"),
        _placement("PA2", "2023-08-20", "2023-11-30", "P", "E4A", "R1", "C2"),
        _placement("PA3", "2024-01-15", None, "S", None, "U4", "C2"),
    ],
    adoption={"initial_decision_date": "2024-02-01"},
)
B = _record(
    "B",
    [
        _placement("PB1", "2023-11-03", "2023-11-05", "S", "E8", "U6", "V3"),
        _placement("PB2", "2023-12-01", None, "S", None, "U6", "V4"),
    ],
)
C = _record("C", [_placement("PC1", "2023-09-01", None, "S", None, "U4", None)])


def _push(con, record: dict) -> None:
    with transaction(con):
        api_json.load_api_record(con, record, start_load(con, "api-json"))


@pytest.fixture(params=["file", "push"])
def built(request, tmp_path) -> Built:
    """The three children loaded from one JSON-lines file, or pushed one record at a time."""
    w = Built()
    if request.param == "file":
        path = tmp_path / "children.jsonl"
        path.write_text("\n".join(json.dumps(r) for r in (A, B, C)))
        assert run_load(w.con, "api-json", [path], api_json.parse).rejected == []
    else:
        for record in (A, B, C):
            _push(w.con, record)
    return w


def test_episodes_form_periods_placements_and_legal_status(built):
    episodes = built.con.execute(
        """SELECT clae_cla_episode_id, clae_cla_id, clae_cla_placement_id, clae_ext_legal_status, clae_entered_care_date,
                  clae_referral_id FROM ssd_cla_episodes WHERE clae_person_id = 'A' ORDER BY 1"""
    ).fetchall()
    assert episodes == [
        ("PA1", "A:CLA:PA1", "PA1", "C2", dt.date(2023, 5, 10), "R-A"),
        ("PA2", "A:CLA:PA1", "PA2", "C2", dt.date(2023, 5, 10), "R-A"),
        ("PA3", "A:CLA:PA3", "PA3", "C2", dt.date(2024, 1, 15), "R-A"),
    ]
    placements = built.con.execute(
        "SELECT clap_cla_placement_id, clap_cla_id, clap_cla_placement_type, clap_cla_placement_end_date FROM ssd_cla_placement "
        "WHERE clap_person_id = 'A' ORDER BY 1"
    ).fetchall()
    assert placements == [
        ("PA1", "A:CLA:PA1", "U3", dt.date(2023, 8, 20)),
        ("PA2", "A:CLA:PA1", "R1", dt.date(2023, 11, 30)),
        ("PA3", "A:CLA:PA3", "U4", None),
    ]
    legal = built.con.execute(
        "SELECT lega_person_id, lega_legal_status, lega_legal_status_start_date, lega_legal_status_end_date "
        "FROM ssd_legal_status ORDER BY 1, 3"
    ).fetchall()
    assert legal == [
        ("A", "C2", dt.date(2023, 5, 10), dt.date(2023, 11, 30)),
        ("A", "C2", dt.date(2024, 1, 15), None),
        ("B", "V3", dt.date(2023, 11, 3), dt.date(2023, 11, 5)),
        ("B", "V4", dt.date(2023, 12, 1), None),
    ]
    assert built.con.execute("SELECT perm_cla_id FROM ssd_permanence").fetchall() == [("A:CLA:PA3",)]
    # the carer's postcode is not stored
    assert built.con.execute("SELECT count(*) FROM ssd_cla_placement WHERE clap_cla_placement_postcode IS NOT NULL").fetchone() == (0,)


@pytest.mark.parametrize(
    ("indicator", "period_end", "expected"),
    [
        ("cla_started", "2023-05-31", 1),
        ("cla_started", "2023-08-31", 0),
        ("cla_started", "2023-11-30", 0),
        ("cla_started", "2023-12-31", 0),
        ("cla_started", "2024-01-31", 1),
        ("cla_ceased", "2023-11-30", 1),
        ("cla_open", "2023-09-30", 2),
        ("cla_open", "2024-01-31", 2),
    ],
)
def test_looked_after_figures(built, indicator, period_end, expected):
    # 30 September 2023: A (PA2) and C; 31 January 2024: A (PA3) and C, not B (V4).
    assert built.figure(indicator, period_end)[0] == expected


def test_a_later_record_replaces_the_childs_looked_after_history(built):
    """PA3 purged: A has one period of care left, and no row derived from PA3 (its legal-status spell) stays."""
    again = json.loads(json.dumps(A))
    placements = again["Children"]["social_care_episodes"][0]["child_looked_after_placements"]
    placements[2] = {"child_looked_after_placement_id": "PA3", "purge": True}
    _push(built.con, again)
    rows = built.con.execute("SELECT DISTINCT clae_cla_id FROM ssd_cla_episodes WHERE clae_person_id = 'A'").fetchall()
    assert rows == [("A:CLA:PA1",)]
    assert built.con.execute("SELECT count(*) FROM ssd_legal_status WHERE lega_person_id = 'A'").fetchone() == (1,)
    assert built.figure("cla_open", "2024-01-31")[0] == 1  # C only
    assert built.figure("cla_started", "2024-01-31")[0] == 0


def test_an_unreadable_start_date_is_quarantined_before_periods_are_derived(tmp_path):
    w = Built()
    bad = _record("D", [_placement("PD1", "2023-02-30", None, "S", None, "U4", "C2")])
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(bad))
    s = run_load(w.con, "api-json", [path], api_json.parse)
    assert [(i.table, i.field, i.value) for i in s.rejected] == [("ssd_cla_episodes", "clae_cla_episode_start_date", "2023-02-30")]
    assert w.con.execute("SELECT count(*) FROM ssd_cla_episodes").fetchone() == (0,)
