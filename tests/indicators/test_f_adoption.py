"""Section F: adoption and permanence, on hand-built periods of care worked out in the comments."""

import json
from pathlib import Path

import pytest

from cscperf.ingest import api_json, ssda903
from cscperf.ingest.core import run_load
from tests.indicators.builder import Built, d


def care(w: Built, pid: str, steps: list[tuple], end: str | None = None, rec: str | None = None) -> None:
    """One period of care `poc-<pid>`: steps are (start, RNE, legal status, placement id, placement type); each episode
    ends when the next starts (X1), the last at `end` with `rec`. Placements run from their first episode to the next."""
    w.child(pid, dob="2018-01-01")
    poc = f"poc-{pid}"
    for i, (start, rne, ls, pl, _) in enumerate(steps):
        last = i == len(steps) - 1
        w.add(
            "ssd_cla_episodes",
            clae_person_id=pid,
            clae_cla_id=poc,
            clae_cla_episode_start_date=start,
            clae_cla_episode_start_reason=rne,
            clae_ext_legal_status=ls,
            clae_cla_placement_id=pl,
            clae_cla_episode_ceased_date=end if last else steps[i + 1][0],
            clae_cla_episode_ceased_reason=rec if last else "X1",
        )
    placements = list(dict.fromkeys((pl, typ) for _, _, _, pl, typ in steps))
    for i, (pl, typ) in enumerate(placements):
        start = min(s for s, _, _, p, _ in steps if p == pl)
        nxt = placements[i + 1][0] if i + 1 < len(placements) else None
        pl_end = min(s for s, _, _, p, _ in steps if p == nxt) if nxt else end
        w.add(
            "ssd_cla_placement",
            clap_cla_placement_id=pl,
            clap_person_id=pid,
            clap_cla_id=poc,
            clap_cla_placement_type=typ,
            clap_cla_placement_start_date=start,
            clap_cla_placement_end_date=pl_end,
        )


@pytest.fixture(scope="module")
def adopted():
    w = Built()
    # k1: adopted by new adopters on Sun 31 Mar 2024 (the last day of the period). Placement order (E1) 1 Jun 2022,
    # matched 1 Oct 2022, placed (A6) 15 Nov 2022.
    care(
        w,
        "k1",
        [
            ("2022-01-10", "S", "C2", "k1a", "U6"),
            ("2022-06-01", "L", "E1", "k1a", "U6"),
            ("2022-11-15", "P", "E1", "k1b", "A6"),
        ],
        "2024-03-31",
        "E11",
    )
    w.add("ssd_permanence", perm_person_id="k1", perm_cla_id="poc-k1", perm_matched_date="2022-10-01")
    w.allocate("k1", "W1", "T1", "2022-01-10")
    # k2: adopted by the foster carer (U4) they moved to on 5 Jan 2022; A5 from 10 Jan 2023 with the same carer (RNE T).
    # Matched 20 Feb 2022, before the placement order of 1 Mar 2022.
    care(
        w,
        "k2",
        [
            ("2021-09-01", "S", "C2", "k2a", "U6"),
            ("2022-01-05", "P", "C2", "k2b", "U4"),
            ("2022-03-01", "L", "E1", "k2b", "U4"),
            ("2023-01-10", "T", "E1", "k2c", "A5"),
        ],
        "2023-08-01",
        "E12",
    )
    w.add("ssd_permanence", perm_person_id="k2", perm_cla_id="poc-k2", perm_matched_date="2022-02-20", perm_adopted_by_carer_flag="Y")
    # k3: adopted on 1 Apr 2021, the first day of the 3 years to 31 Mar 2024. SSD-style episodes without RNE, so the
    # recorded date placed with the foster carer who adopted (1 Aug 2019) gives A10. The permanence row names no
    # period of care: it is matched to the period containing its match date.
    care(
        w,
        "k3",
        [
            ("2019-05-01", None, "C2", "k3a", "U6"),
            ("2019-08-01", None, "C2", "k3b", "U4"),
            ("2020-02-01", None, "E1", "k3c", "A5"),
        ],
        "2021-04-01",
        "E11",
    )
    w.add(
        "ssd_permanence",
        perm_person_id="k3",
        perm_matched_date="2020-03-01",
        perm_adopted_by_carer_flag="Y",
        perm_placed_foster_carer_date="2019-08-01",
    )
    # k4: adopted on 31 Mar 2021, one day before the 3 years to 31 Mar 2024 (inside the 3 years to 29 Feb 2024).
    care(w, "k4", [("2020-01-01", "S", "C2", "k4a", "U6"), ("2020-06-01", "B", "E1", "k4b", "A6")], "2021-03-31", "E11")
    w.add("ssd_permanence", perm_person_id="k4", perm_cla_id="poc-k4", perm_matched_date="2020-05-01")
    # k5: placed for adoption with consent (A4), never under a placement order: in A1, not in A2.
    care(w, "k5", [("2022-05-01", "S", "V2", "k5a", "U6"), ("2023-01-01", "P", "V2", "k5b", "A4")], "2023-09-01", "E11")
    w.add("ssd_permanence", perm_person_id="k5", perm_cla_id="poc-k5", perm_matched_date="2022-12-01")
    # k6: adopted with no adoptive placement recorded: counted as an adoption, in no average.
    care(w, "k6", [("2022-01-01", "S", "C2", "k6a", "U6")], "2023-06-01", "E11")
    # Other endings in March 2024: an SGO, a return home, and short breaks (excluded).
    care(w, "s1", [("2023-01-01", "S", "C2", "s1a", "U3")], "2024-03-10", "E45")
    care(w, "h1", [("2023-11-01", "S", "V2", "h1a", "U6")], "2024-03-20", "E4A")
    care(w, "sb", [("2024-03-01", "S", "V3", "sba", "R1")], "2024-03-15", "E13")
    return w


def test_adoptions_sgos_and_share_of_ceased(adopted):
    # March 2024: k1 adopted (31st), s1 SGO (E45), h1 home (E4A); sb's short breaks do not count.
    assert adopted.figure("adoptions", "2024-03-31") == (1, None, 1)
    assert adopted.figure("sgos", "2024-03-31") == (1, None, 1)
    num, den, value = adopted.figure("adoptions_pct", "2024-03-31")
    assert (num, den) == (1, 3)
    assert value == pytest.approx(100 / 3)
    # Year to 31 Mar 2024: k1, k2 (Aug 2023), k5 (Sep 2023), k6 (Jun 2023).
    assert adopted.figure("adoptions", "2024-03-31", basis="year")[0] == 4


def test_a1_three_years_to_the_period_end(adopted):
    # Adopted 1 Apr 2021 - 31 Mar 2024 and placed for adoption: k1, k2, k3 (first day), k5; k4 is a day early, k6 unplaced.
    # k1: 10 Jan -> 15 Nov 2022 = 21 + 28 + 31 + 30 + 31 + 30 + 31 + 31 + 30 + 31 + 15 = 309
    # k2: 1 Sep 2021 -> 10 Jan 2023 = 365 + 30 + 31 + 30 + 31 + 9 = 496
    # k3: 1 May 2019 -> 1 Feb 2020 = 31 + 30 + 31 + 31 + 30 + 31 + 30 + 31 + 31 = 276
    # k5: 1 May 2022 -> 1 Jan 2023 = 31 + 30 + 31 + 31 + 30 + 31 + 30 + 31 = 245
    assert adopted.figure("adoption_a1_days", "2024-03-31") == (1326, 4, 331.5)
    # The 3 years to 29 Feb 2024 start on 1 Mar 2021: k4 in (1 Jan -> 1 Jun 2020 = 31 + 29 + 31 + 30 + 31 = 152), k1 out.
    assert adopted.figure("adoption_a1_days", "2024-02-29") == (496 + 276 + 152 + 245, 4, 292.25)
    # The same 3-year figure on every basis.
    assert adopted.figure("adoption_a1_days", "2024-03-31", basis="ytd")[2] == 331.5


def test_a10_uses_the_move_to_the_foster_carer_who_adopted(adopted):
    # k2: moved to the adopting carer on 5 Jan 2022: 1 Sep 2021 -> 5 Jan 2022 = 30 + 31 + 30 + 31 + 4 = 126.
    # k3: recorded placed with the foster carer 1 Aug 2019: 31 + 30 + 31 = 92. k1 (309) and k5 (245) as A1.
    assert adopted.figure("adoption_a10_days", "2024-03-31") == (309 + 126 + 92 + 245, 4, 193.0)


def test_a2_placement_order_to_match(adopted):
    # k1: 1 Jun -> 1 Oct 2022 = 30 + 31 + 31 + 30 = 122; k2 matched 9 days before its order: 0;
    # k3: 1 Feb -> 1 Mar 2020 = 29 (leap year). k5 had no placement order; k6 was never placed.
    num, den, value = adopted.figure("adoption_a2_days", "2024-03-31")
    assert (num, den) == (151, 3)
    assert value == pytest.approx(151 / 3)


def test_a1_by_team_uses_the_allocation_on_the_adoption_date(adopted):
    frame = adopted.results(["adoption_a1_days"], "2024-03-31", breakdowns=("team",))
    by_team = dict(zip(frame.breakdown_value, frame.value, strict=True))
    assert by_team == {"T1": 309.0, "unallocated": (496 + 276 + 245) / 3}


@pytest.fixture(scope="module")
def waiting():
    w = Built()
    # w1: placement order since 15 Sep 2023, no match: 198 days waiting at 31 Mar 2024, overdue after 121 (14 Jan 2024).
    care(w, "w1", [("2023-06-01", "S", "C2", "w1a", "U6"), ("2023-09-15", "L", "E1", "w1a", "U6")])
    # w2: matched on the period end: no longer waiting. w3: matched two days after it: still waiting on 31 March.
    care(w, "w2", [("2023-06-01", "S", "C2", "w2a", "U6"), ("2024-02-01", "L", "E1", "w2a", "U6")])
    w.add("ssd_permanence", perm_person_id="w2", perm_cla_id="poc-w2", perm_matched_date="2024-03-31")
    care(w, "w3", [("2023-06-01", "S", "C2", "w3a", "U6"), ("2024-02-15", "L", "E1", "w3a", "U6")])
    w.add("ssd_permanence", perm_person_id="w3", perm_cla_id="poc-w3", perm_matched_date="2024-04-02")
    # w4: placed for adoption (A6) without a recorded match: not waiting.
    care(w, "w4", [("2023-06-01", "S", "E1", "w4a", "U6"), ("2024-03-01", "P", "E1", "w4b", "A6")])
    # w5: the order is only in the legal status history (episodes still say C2): waiting since 1 Jan 2024, 90 days.
    care(w, "w5", [("2023-06-01", "S", "C2", "w5a", "U6")])
    w.add("ssd_legal_status", lega_person_id="w5", lega_legal_status="E1", lega_legal_status_start_date="2024-01-01")
    # w6: decision that the child should no longer be placed for adoption on 1 Mar 2024.
    care(w, "w6", [("2023-06-01", "S", "E1", "w6a", "U6")])
    w.add("ssd_permanence", perm_person_id="w6", perm_cla_id="poc-w6", perm_decision_reversed_date="2024-03-01")
    # w7: adopted on 20 Mar 2024: no longer looked after.
    care(w, "w7", [("2023-06-01", "S", "E1", "w7a", "U6"), ("2023-09-01", "P", "E1", "w7b", "A6")], "2024-03-20", "E11")
    return w


def test_placement_orders_awaiting_match(waiting):
    # w1, w3 and w5.
    assert waiting.figure("placement_orders_awaiting_match", "2024-03-31") == (3, None, 3)
    # At 31 Jan 2024: w1, w5 (order 1 Jan), and also w4 (not yet placed) and w6 (decision not yet reversed);
    # w2's order (1 Feb) and w3's (15 Feb) come later.
    assert waiting.figure("placement_orders_awaiting_match", "2024-01-31")[0] == 4


def test_awaiting_match_exceptions_show_days_waiting(waiting):
    rows = waiting.exceptions("placement_orders_awaiting_match", "2024-03-31").set_index("person_id")
    assert sorted(rows.index) == ["w1", "w3", "w5"]
    # w1: due 15 Sep 2023 + 121 days = 14 Jan 2024; 31 Mar - 14 Jan = 17 + 29 + 31 = 77 days overdue.
    assert (rows.loc["w1", "status"], rows.loc["w1", "due_date"], rows.loc["w1", "days_overdue"]) == ("overdue", d("2024-01-14"), 77)
    assert rows.loc["w1", "reason"] == "waiting 198 days since the placement order"
    # w3: ordered 15 Feb 2024, 45 days; due 15 Jun 2024. w5: ordered 1 Jan 2024, 31 + 29 + 30 = 90 days; due 1 May 2024.
    assert (rows.loc["w3", "status"], rows.loc["w3", "due_date"]) == ("approaching", d("2024-06-15"))
    assert rows.loc["w5", "reason"] == "waiting 90 days since the placement order"
    assert rows.loc["w5", "start_date"] == d("2024-01-01")


# --- adoptions as a share of children ceasing care (counted as cla_ceased: once each, by the last time) ------------


def _periods(w: Built, pid: str, spells: list[tuple[str, str, str]]) -> None:
    """Several one-episode periods of care (start, end, REC) for one child, in foster care under a care order."""
    w.child(pid, dob="2012-01-01")
    for start, end, rec in spells:
        poc = f"poc-{pid}-{start}"
        w.add(
            "ssd_cla_episodes",
            clae_person_id=pid,
            clae_cla_id=poc,
            clae_cla_episode_start_date=start,
            clae_cla_episode_start_reason="S",
            clae_ext_legal_status="C2",
            clae_cla_episode_ceased_date=end,
            clae_cla_episode_ceased_reason=rec,
        )


def _ceasing_twice_903(folder: Path) -> Path:
    """The same three children as an SSDA903 return for 2023-24 (REC on the last episode of each period)."""
    year = folder / "2023-24"
    year.mkdir(parents=True)
    (year / "header.csv").write_text(
        "CHILD,SEX,DOB,ETHNIC,UPN,MOTHER,MC_DOB\nq1,2,01/01/2012,WBRI,,,\nq2,1,01/01/2012,WBRI,,,\nq3,2,01/01/2012,WBRI,,,\n"
    )
    (year / "episodes.csv").write_text(
        "CHILD,DECOM,RNE,LS,CIN,PLACE,PLACE_PROVIDER,DEC,REC,REASON_PLACE_CHANGE,HOME_POST,PL_POST,URN\n"
        "q1,10/01/2023,S,C2,N1,U6,PR1,15/06/2023,E4A,,,,\n"
        "q1,01/09/2023,S,E1,N1,U6,PR1,01/12/2023,X1,,,,\n"
        "q1,01/12/2023,P,E1,N1,A6,PR1,20/02/2024,E11,CARPL,,,\n"
        "q2,01/06/2022,S,E1,N1,A6,PR1,10/05/2023,E12,,,,\n"
        "q2,01/10/2023,S,C2,N1,U6,PR1,05/03/2024,E4A,,,,\n"
        "q3,01/02/2023,S,C2,N1,U3,PR1,15/01/2024,E45,,,,\n"
    )
    return folder


def _ceasing_twice_api(folder: Path) -> Path:
    """The same three children as DfE API records: one social care episode per period of care, each with the
    placement whose start and end reasons are the 903 RNE and REC (the API carries no legal status)."""

    def placement(ref: str, start: str, end: str, rec: str, kind: str = "U6") -> dict:
        return {
            "social_care_episode_id": ref,
            "referral_date": start,
            "child_looked_after_placements": [
                {
                    "child_looked_after_placement_id": f"{ref}-PL",
                    "start_date": start,
                    "start_reason": "S",
                    "placement_type": kind,
                    "end_date": end,
                    "end_reason": rec,
                }
            ],
        }

    def child(pid: str, episodes: list[dict]) -> dict:
        details = {"sex": "F", "date_of_birth": "2012-01-01", "ethnicity": "WBRI"}
        return {"la_code": "874", "Children": {"la_child_id": pid, "child_details": details, "social_care_episodes": episodes}}

    records = [
        child("q1", [placement("q1-1", "2023-01-10", "2023-06-15", "E4A"), placement("q1-2", "2023-09-01", "2024-02-20", "E11", "A6")]),
        child("q2", [placement("q2-1", "2022-06-01", "2023-05-10", "E12", "A6"), placement("q2-2", "2023-10-01", "2024-03-05", "E4A")]),
        child("q3", [placement("q3-1", "2023-02-01", "2024-01-15", "E45", "U3")]),
    ]
    path = folder / "records.json"
    path.write_text(json.dumps(records))
    return path


SSD, SSDA903, API = "ssd", "ssda903", "api-json"


@pytest.fixture(scope="module", params=[SSD, SSDA903, API])
def ceasing_twice(request, tmp_path_factory):
    """q1 left care on 15 Jun 2023 (returned home, E4A), came back and was adopted on 20 Feb 2024 (E11); q2 the reverse:
    adopted on 10 May 2023 (E12), back in care after the adoption broke down, returned home on 5 Mar 2024 (E4A); q3 left
    once, on a special guardianship order (E45) on 15 Jan 2024. Built from SSD rows, an SSDA903 return and API records."""
    w = Built()
    if request.param == SSD:
        _periods(w, "q1", [("2023-01-10", "2023-06-15", "E4A"), ("2023-09-01", "2024-02-20", "E11")])
        _periods(w, "q2", [("2022-06-01", "2023-05-10", "E12"), ("2023-10-01", "2024-03-05", "E4A")])
        _periods(w, "q3", [("2023-02-01", "2024-01-15", "E45")])
    elif request.param == SSDA903:
        run_load(w.con, "ssda903", [_ceasing_twice_903(tmp_path_factory.mktemp("903"))], ssda903.parse)
    else:
        run_load(w.con, "api-json", [_ceasing_twice_api(tmp_path_factory.mktemp("api"))], api_json.parse)
    return w


def test_adoptions_pct_counts_children_by_their_last_ceasing(ceasing_twice):
    w = ceasing_twice
    # Year 1 Apr 2023 - 31 Mar 2024: five periods of care ended, but three children ceased: q1 last by adoption (met),
    # q2 last by returning home (not met, although adopted in May), q3 by SGO. 1 of 3, not 2 of 5.
    num, den, value = w.figure("adoptions_pct", "2024-03-31", basis="year")
    assert (num, den) == (1, 3)
    assert value == pytest.approx(100 / 3)
    # The denominator is cla_ceased, whatever the window.
    assert w.figure("cla_ceased", "2024-03-31", basis="year")[0] == den
    # Each adoption is still an adoption: q1 (Feb 2024) and q2 (May 2023).
    assert w.figure("adoptions", "2024-03-31", basis="year")[0] == 2
    # Month by month each child ceases once: May 2023 q2 adopted, June 2023 q1 home, February 2024 q1 adopted,
    # March 2024 q2 home.
    assert w.figure("adoptions_pct", "2023-05-31") == (1, 1, 100.0)
    assert w.figure("adoptions_pct", "2023-06-30") == (0, 1, 0.0)
    assert w.figure("adoptions_pct", "2024-02-29") == (1, 1, 100.0)
    assert w.figure("adoptions_pct", "2024-03-31") == (0, 1, 0.0)
    # Rolling 12 months to 29 Feb 2024 (from 1 Mar 2023): q1 last ceased in February (adopted), q2 in May (adopted; its
    # return home is in March), q3 in January (SGO): 2 of 3.
    assert w.figure("adoptions_pct", "2024-02-29", basis="rolling12")[:2] == (2, 3)
