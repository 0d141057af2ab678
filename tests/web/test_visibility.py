"""Who sees which child, members' caseload figures, and data that tries to break out of embedded JSON
(issue #12 items 4, 5 and 10), on the hand-built warehouse of fixture.py plus the rows below.

Period end 31 March 2024 (a leap year). Allocations added, by the shape of each source that feeds them:

* SSD / Annex A rows carry the team on the allocation (invo_professional_team):
  C5 closed: allocated to team A (W1) 1 June 2023 - 31 January 2024, case closed 31 January.
  C6 re-allocated: team A (W1) 2 January - 29 February 2024, team B (W2) from 29 February.
  C7 allocation to team A ends on the period end itself (an allocation is current only while its end is after the date).
  C8 allocation to team A starts on the period end itself (current).
* SSDA903 SW episodes (ssda903.sw_episodes) and DfE API records (api_json) carry only the worker; the team is
  the worker's: C9 (903) with W1 until 15 March 2024, then W2; C10 (API) with W1 until 1 February 2024, then none.

Caseloads at 31 March (workers in post, children allocated):
  team A, W1: C1, C2, C8 (3 children, 1 worker); team B, W2: C3, C6, C9 (3 children, 1 worker);
  team C, W31-W36: K1-K5 one each and W36 also K1 and K2: 6 workers holding 7 allocations of 5 different children;
  team D, W41-W46: K6-K11 one each: 6 children, 6 workers;
  team E, W51-W55: K12-K21 two each: 10 children, 5 workers.
Team B is named `<!--<script>` and worker W2 `</script><b>x`, which must not end or re-open a chart's script block.
"""

from __future__ import annotations

import datetime as dt
import json
import re

import pandas as pd
import pytest

from cscperf.ingest import api_json, ssda903
from cscperf.ingest.core import end_load, start_load, transaction
from cscperf.warehouse import BY_NAME, begin_load, connect, finish_load, insert_frame
from tests.web import fixture
from tests.web.conftest import add_users

D = dt.date
HOSTILE_TEAM = "<!--<script>"
HOSTILE_WORKER = "</script><b>x"


def allocation(iid: str, person: str, worker: str, team: str | None, start: dt.date, end: dt.date | None = None) -> dict:
    return {
        "invo_involvements_id": iid,
        "invo_professional_id": worker,
        "invo_professional_team": team,
        "invo_person_id": person,
        "invo_involvement_start_date": start,
        "invo_involvement_end_date": end,
    }


def worker(wid: str, team: str) -> dict:
    return {"prof_professional_id": wid, "prof_professional_name": wid, "prof_ext_team_id": team, "prof_ext_start_date": D(2020, 1, 1)}


def caseload_rows() -> tuple[list[dict], list[dict], list[dict]]:
    """Teams C, D and E with their workers and allocations, as in the module docstring."""
    teams = [{"dept_team_id": t, "dept_team_name": f"Team {t[-1]}", "dept_ext_la_code": fixture.LA} for t in ("TC", "TD", "TE")]
    workers = [worker(f"W{t}{i}", f"T{'CDE'[t - 3]}") for t in (3, 4, 5) for i in range(1, 7 if t < 5 else 6)]
    held = {f"W3{i}": [f"K{i}"] for i in range(1, 6)} | {"W36": ["K1", "K2"]}
    held |= {f"W4{i}": [f"K{5 + i}"] for i in range(1, 7)}
    held |= {f"W5{i}": [f"K{10 + 2 * i}", f"K{11 + 2 * i}"] for i in range(1, 6)}
    allocations = [allocation(f"I-{w}-{k}", k, w, None, D(2024, 1, 2)) for w, kids in held.items() for k in kids]
    return teams, workers, allocations


def add_rows(path) -> None:
    con = connect(path)
    load_id = begin_load(con, "ssd")

    def insert(table: str, rows: list[dict]) -> None:
        insert_frame(con, BY_NAME[table], pd.DataFrame(rows), load_id, "test-visibility")

    insert("ssd_person", [{"pers_person_id": f"C{i}", "pers_sex": "F", "pers_ext_la_code": fixture.LA} for i in range(5, 11)])
    insert(
        "ssd_cin_episodes",
        [{"cine_referral_id": "R5", "cine_person_id": "C5", "cine_referral_date": D(2023, 6, 1), "cine_close_date": D(2024, 1, 31)}]
        + [{"cine_referral_id": f"R{i}", "cine_person_id": f"C{i}", "cine_referral_date": D(2024, 1, 2)} for i in range(6, 11)],
    )
    insert(
        "ssd_involvements",
        [
            allocation("I5", "C5", "W1", "T1", D(2023, 6, 1), D(2024, 1, 31)),
            allocation("I6a", "C6", "W1", "T1", D(2024, 1, 2), D(2024, 2, 29)),
            allocation("I6b", "C6", "W2", "T2", D(2024, 2, 29)),
            allocation("I7", "C7", "W1", "T1", D(2024, 1, 2), D(2024, 3, 31)),
            allocation("I8", "C8", "W1", "T1", D(2024, 3, 31)),
        ],
    )
    # SSDA903 social worker episodes as the 903 loader maps them: a worker, no team.
    sw = pd.DataFrame(
        {
            "CHILD": ["C9", "C9"],
            "SW_ID": ["W1", "W2"],
            "SW_DECOM": pd.to_datetime(["2024-01-02", "2024-03-15"]),
            "SW_DEC": [D(2024, 3, 15), None],
            "SW_REASON": ["", None],
            "_source": ["sw_episodes.csv:row 1", "sw_episodes.csv:row 2"],
        }
    )
    frame = ssda903.sw_episodes(sw).drop(columns="_source")
    frame["invo_involvement_start_date"] = frame.invo_involvement_start_date.dt.date
    insert_frame(con, BY_NAME["ssd_involvements"], frame, load_id, "test-visibility")
    teams, workers, allocations = caseload_rows()
    insert("ssd_department", teams)
    insert("ssd_professionals", workers)
    insert("ssd_involvements", allocations)
    con.execute("UPDATE ssd_department SET dept_team_name = ? WHERE dept_team_id = 'T2'", [HOSTILE_TEAM])
    con.execute("UPDATE ssd_professionals SET prof_professional_name = ? WHERE prof_professional_id = 'W2'", [HOSTILE_WORKER])
    finish_load(con, load_id, "{}")
    # A DfE API record: worker W1 from 2 January to 1 February 2024 (the record names no team).
    record = {
        "la_code": fixture.LA,
        "Children": {
            "la_child_id": "C10",
            "social_care_episodes": [
                {
                    "social_care_episode_id": "R10",
                    "referral_date": "2024-01-02",
                    "care_worker_details": [{"worker_id": "W1", "start_date": "2024-01-02", "end_date": "2024-02-01"}],
                }
            ],
        },
    }
    with transaction(con):
        api_load = start_load(con, "api-json")
        end_load(con, api_json.load_api_record(con, record, api_load))
    con.close()


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory):
    path = fixture.build(tmp_path_factory.mktemp("visibility") / "w.duckdb")
    add_rows(path)
    add_users(path)
    return path


# --- item 4: a manager sees a child only while allocated to their team at the period end ----------------
@pytest.mark.parametrize(
    ("child", "mgr_a", "mgr_b"),
    [
        ("C1", 200, 403),  # team A, open
        ("C5", 403, 403),  # closed 31 January: its last allocation (team A) gives no access
        ("C6", 403, 200),  # re-allocated from team A to team B on 29 February
        ("C7", 403, 403),  # team A's allocation ends on 31 March itself
        ("C8", 200, 403),  # team A's allocation starts on 31 March itself
        ("C9", 403, 200),  # 903 episodes: W1 (team A) until 15 March, then W2 (team B)
        ("C10", 403, 403),  # API record: W1 (team A) until 1 February, none since
    ],
)
def test_manager_sees_a_child_only_while_allocated_to_their_team(client_for, child, mgr_a, mgr_b):
    assert client_for("mgr_a").get(f"/children/{child}").status_code == mgr_a
    assert client_for("mgr_b").get(f"/children/{child}").status_code == mgr_b


def test_performance_still_sees_closed_children(client_for):
    assert client_for("perf1").get("/children/C5").status_code == 200


# --- item 5: members' caseload figures -----------------------------------------------------------------
def team_row(html: str, name: str) -> list[str]:
    row = re.search(rf'<tr><td><a href="#team-[^"]+">{re.escape(name)}</a></td>(.*?)</tr>', html, re.S)
    assert row, f"no row for {name}"
    return re.findall(r"<td>([^<]*)</td>", row.group(1))


@pytest.mark.parametrize(
    ("team", "member", "staff"),
    [
        # [workers in post, children, average caseload, highest]
        ("Team A", ["1", "c", "c", "c"], ["1", "3", "3.0", "3"]),  # 3 children, 1 worker
        ("Team C", ["6", "c", "c", "c"], ["6", "5", "1.2", "2"]),  # 5 different children (K1, K2 counted once), 7/6 = 1.17
        ("Team D", ["6", "6", "1.0", "1"], ["6", "6", "1.0", "1"]),  # 6 children over 6 workers: shown
        ("Team E", ["5", "10", "c", "c"], ["5", "10", "2.0", "2"]),  # 10 children but only 5 workers holding them
    ],
)
def test_members_caseload_averages_and_maxima_from_1_to_5_children_or_workers_are_suppressed(client_for, team, member, staff):
    assert team_row(client_for("member1").get("/caseloads").text, team) == member
    assert team_row(client_for("perf1").get("/caseloads").text, team) == staff


# --- item 10: embedded JSON cannot end or re-open its script block ------------------------------------------
def script_blocks(html: str) -> dict[str, str]:
    return dict(re.findall(r'<script type="application/json" id="([^"]+)">(.*?)</script>', html, re.S))


def test_a_hostile_team_name_stays_inside_the_chart_json(client_for):
    html = client_for("perf1").get("/indicators/assessments_45wd_pct").text
    blocks = script_blocks(html)
    assert set(blocks) == {"spec-trend", "spec-teams"}
    assert all("<" not in b and ">" not in b for b in blocks.values())
    labels = [v["label"] for v in json.loads(blocks["spec-teams"])["data"]["values"]]
    assert HOSTILE_TEAM in labels  # the browser reads back the name as written


def test_a_hostile_worker_name_stays_inside_the_chart_json(client_for):
    html = client_for("perf1").get("/indicators/assessments_45wd_pct/teams/T2").text
    block = script_blocks(html)["spec-workers"]
    assert "<" not in block and [v["label"] for v in json.loads(block)["data"]["values"]] == [HOSTILE_WORKER]


def test_the_903_and_api_allocations_carry_only_the_worker(app):
    with app.state.cscperf.access.cursor() as cur:
        rows = cur.execute(
            "SELECT invo_person_id, invo_professional_id, invo_professional_team, invo_involvement_start_date, invo_involvement_end_date "
            "FROM ssd_involvements WHERE invo_person_id IN ('C9', 'C10') ORDER BY 1, 4"
        ).fetchall()
    assert rows == [
        ("C10", "W1", None, D(2024, 1, 2), D(2024, 2, 1)),
        ("C9", "W1", None, D(2024, 1, 2), D(2024, 3, 15)),
        ("C9", "W2", None, D(2024, 3, 15), None),
    ]
