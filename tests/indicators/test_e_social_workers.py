"""cla_social_workers_3plus_pct on allocations as each source records them: SSDA903 SW episodes (social workers by
definition, no worker records) and DfE API care workers (no role or qualification: social workers only where a
worker record says so). The hand-built SSD case is in test_e_looked_after.py."""

from __future__ import annotations

import json
from pathlib import Path

from cscperf.ingest import parser_for
from cscperf.ingest.core import run_load
from tests.indicators.builder import Built

EPISODE_COLS = "CHILD,DECOM,RNE,LS,CIN,PLACE,PLACE_PROVIDER,DEC,REC,REASON_PLACE_CHANGE,HOME_POST,PL_POST,URN"


def _load(w: Built, fmt: str, path: Path) -> None:
    summary = run_load(w.con, fmt, [path], parser_for(fmt))
    assert summary.counts("ssd_involvements").loaded > 0


def test_ssda903_sw_episodes_are_social_workers(tmp_path):
    folder = tmp_path / "903" / "2023-24"
    folder.mkdir(parents=True)
    (folder / "header.csv").write_text("CHILD,SEX,DOB,ETHNIC,UPN,MOTHER,MC_DOB\nK1,2,01/06/2015,WBRI,UN2,,\nK2,1,01/06/2015,WBRI,UN2,,\n")
    (folder / "episodes.csv").write_text(f"{EPISODE_COLS}\nK1,01/01/2022,S,C2,N1,U4,PR1,,,,,,\nK2,01/01/2022,S,C2,N1,U4,PR1,,,,,,\n")
    # Period end Sun 31 Mar 2024, 12 months from Sat 1 Apr 2023; SW_DEC is the first day no longer allocated.
    # K1: S1 last allocated 31 Mar 2023, before the 12 months: two social workers (S2, S3).
    # K2: S1 allocated on 1 Apr 2023: three (S1, S2, S3).
    (folder / "sw_episodes.csv").write_text(
        "CHILD,DOB,SW_ID,SW_DECOM,SW_DEC,SW_REASON\n"
        "K1,01/06/2015,S1,01/01/2022,01/04/2023,\n"
        "K1,01/06/2015,S2,01/04/2023,01/10/2023,MANAGE\n"
        "K1,01/06/2015,S3,01/10/2023,,LEFTRL\n"
        "K2,01/06/2015,S1,01/01/2022,02/04/2023,\n"
        "K2,01/06/2015,S2,02/04/2023,01/10/2023,MANAGE\n"
        "K2,01/06/2015,S3,01/10/2023,,LEFTRL\n"
    )
    w = Built()
    _load(w, "ssda903", tmp_path / "903")
    roles = w.con.execute("SELECT DISTINCT invo_professional_role_id FROM ssd_involvements").fetchall()
    assert roles == [("Allocated Social Worker",)]
    assert w.figure("cla_social_workers_3plus_pct", "2024-03-31") == (1, 2, 50.0)


def test_api_care_workers_count_only_where_a_worker_record_says_social_worker(tmp_path):
    workers = [
        {"worker_id": "W1", "start_date": "2023-05-01", "end_date": "2023-08-01"},
        {"worker_id": "W2", "start_date": "2023-08-01", "end_date": "2023-12-01"},
        {"worker_id": "W3", "start_date": "2023-12-01"},
    ]
    placement = {"child_looked_after_placement_id": "P1", "start_date": "2022-01-01", "start_reason": "S", "placement_type": "U4"}
    episode = {
        "social_care_episode_id": "E1",
        "referral_date": "2021-12-01",
        "referral_source": "1A",
        "referral_no_further_action_flag": False,
        "care_worker_details": workers,
        "child_looked_after_placements": [placement],
    }
    record = {
        "la_code": 874,
        "Children": {"la_child_id": "K3", "child_details": {"date_of_birth": "2015-06-01"}, "social_care_episodes": [episode]},
    }
    path = tmp_path / "child.json"
    path.write_text(json.dumps(record))
    w = Built()
    _load(w, "api-json", path)
    # Three care workers in the 12 months to 31 Mar 2024, but the payload does not say they are social workers.
    assert w.figure("cla_social_workers_3plus_pct", "2024-03-31") == (0, 1, 0.0)
    for wid in ("W1", "W2", "W3"):
        w.add("ssd_professionals", prof_professional_id=wid, prof_ext_qualified_flag="Y")
    assert w.figure("cla_social_workers_3plus_pct", "2024-03-31") == (1, 1, 100.0)
