"""A small hand-built warehouse for the dashboard tests: two teams, four children, known figures.

Period end 2024-03-31. Team A (T1, worker W1) holds C1 and C2; team B (T2, worker W2) holds C3; C4 is
unallocated. C1 and C3 are on child protection plans whose statutory visits are overdue:
C1 last seen 2024-02-01 (10th working day after: 2024-02-15, so 45 days overdue at 31 March);
C3 last seen 2024-02-20 (due 2024-03-05, 26 days overdue), with a later visit on 2024-03-01 where
the child was not seen ("family not at home").

Figures are written straight into cscperf_results (the dashboard only reads them), with values
chosen to exercise suppression and RAG: cp_plans_open = 2 (C1 and C3; a count of 1-5, shown as 'c' to members),
referrals = 12, assessments_45wd_pct = 8/10 = 80 % (target 90 %: red), cp_visits 0/2 = 0 %.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd

from cscperf.warehouse import BY_NAME, begin_load, connect, finish_load, insert_frame

PERIOD_END = dt.date(2024, 3, 31)
LA = "999"
D = dt.date


def _insert(con, table: str, rows: list[dict], load_id: str) -> None:
    insert_frame(con, BY_NAME[table], pd.DataFrame(rows), load_id, "test-fixture")


def build(path: Path, results: bool = True) -> Path:
    con = connect(path)
    load_id = begin_load(con, "ssd")
    _insert(con, "ext_authority", [{"auth_la_code": LA, "auth_la_name": "Testshire"}], load_id)
    _insert(
        con,
        "ssd_department",
        [
            {"dept_team_id": "T1", "dept_team_name": "Team A", "dept_ext_la_code": LA},
            {"dept_team_id": "T2", "dept_team_name": "Team B", "dept_ext_la_code": LA},
        ],
        load_id,
    )
    _insert(
        con,
        "ssd_professionals",
        [
            {
                "prof_professional_id": "W1",
                "prof_professional_name": "SW-A1",
                "prof_ext_team_id": "T1",
                "prof_ext_qualified_flag": "Y",
                "prof_ext_start_date": D(2020, 1, 1),
            },
            {
                "prof_professional_id": "W2",
                "prof_professional_name": "SW-B1",
                "prof_ext_team_id": "T2",
                "prof_ext_qualified_flag": "Y",
                "prof_ext_start_date": D(2020, 1, 1),
            },
        ],
        load_id,
    )
    _insert(
        con,
        "ssd_person",
        [
            {"pers_person_id": f"C{i}", "pers_sex": sex, "pers_dob": dob, "pers_ext_la_code": LA}
            for i, sex, dob in ((1, "F", D(2015, 5, 1)), (2, "M", D(2012, 9, 30)), (3, "F", D(2019, 1, 15)), (4, "M", D(2010, 7, 7)))
        ],
        load_id,
    )
    _insert(
        con,
        "ssd_cin_episodes",
        [{"cine_referral_id": f"R{i}", "cine_person_id": f"C{i}", "cine_referral_date": D(2024, 1, 2)} for i in range(1, 5)],
        load_id,
    )
    _insert(
        con,
        "ssd_involvements",
        [
            {
                "invo_involvements_id": f"I{i}",
                "invo_professional_id": w,
                "invo_professional_team": t,
                "invo_person_id": f"C{i}",
                "invo_referral_id": f"R{i}",
                "invo_involvement_start_date": D(2024, 1, 2),
            }
            for i, w, t in ((1, "W1", "T1"), (2, "W1", "T1"), (3, "W2", "T2"))
        ],
        load_id,
    )
    _insert(
        con,
        "ssd_cp_plans",
        [
            {"cppl_cp_plan_id": f"P{i}", "cppl_referral_id": f"R{i}", "cppl_person_id": f"C{i}", "cppl_cp_plan_start_date": D(2024, 1, 10)}
            for i in (1, 3)
        ],
        load_id,
    )
    _insert(
        con,
        "ssd_cp_visits",
        [
            {
                "cppv_cp_visit_id": "V1",
                "cppv_person_id": "C1",
                "cppv_cp_plan_id": "P1",
                "cppv_cp_visit_date": D(2024, 2, 1),
                "cppv_cp_visit_seen": "Y",
            },
            {
                "cppv_cp_visit_id": "V2",
                "cppv_person_id": "C3",
                "cppv_cp_plan_id": "P3",
                "cppv_cp_visit_date": D(2024, 2, 20),
                "cppv_cp_visit_seen": "Y",
            },
            {
                "cppv_cp_visit_id": "V3",
                "cppv_person_id": "C3",
                "cppv_cp_plan_id": "P3",
                "cppv_cp_visit_date": D(2024, 3, 1),
                "cppv_cp_visit_seen": "N",
                "cppv_ext_not_seen_reason": "family not at home",
            },
        ],
        load_id,
    )
    finish_load(con, load_id, "{}")
    if results:
        _results(con)
    con.close()
    return path


def result_rows() -> list[dict]:
    feb, mar = D(2024, 2, 29), D(2024, 3, 31)
    rows = []

    def add(ind, basis, end, bd, bv, num, den, value, unit):
        start = end.replace(day=1) if basis == "month" else D(2023, 4, 1)
        rows.append(
            dict(
                indicator_id=ind,
                basis=basis,
                period_start=start,
                period_end=end,
                breakdown=bd,
                breakdown_value=bv,
                numerator=num,
                denominator=den,
                value=value,
                unit=unit,
            )
        )

    for end in (feb, mar):
        add("cp_plans_open", "month", end, "la", LA, 2, None, 2, "count")
    for end, n in ((feb, 15), (mar, 12)):
        add("referrals", "month", end, "la", LA, n, None, n, "count")
    for end, (num, den) in ((feb, (9, 10)), (mar, (8, 10))):
        add("assessments_45wd_pct", "ytd", end, "la", LA, num, den, 100 * num / den, "percent")
        add("assessments_45wd_pct", "month", end, "la", LA, num, den, 100 * num / den, "percent")
    add("assessments_45wd_pct", "ytd", mar, "team", "T1", 6, 7, 100 * 6 / 7, "percent")
    add("assessments_45wd_pct", "ytd", mar, "team", "T2", 2, 3, 100 * 2 / 3, "percent")
    add("assessments_45wd_pct", "ytd", mar, "worker", "W1", 6, 7, 100 * 6 / 7, "percent")
    add("assessments_45wd_pct", "ytd", mar, "worker", "W2", 2, 3, 100 * 2 / 3, "percent")
    for end in (feb, mar):
        add("cp_visits_in_timescale_pct", "month", end, "la", LA, 0, 2, 0.0, "percent")
    add("cp_visits_in_timescale_pct", "month", mar, "team", "T1", 0, 1, 0.0, "percent")
    add("cp_visits_in_timescale_pct", "month", mar, "team", "T2", 0, 1, 0.0, "percent")
    add("unallocated_cases", "month", mar, "la", LA, 1, None, 1, "count")
    return rows


def _results(con) -> None:
    from cscperf.indicators.engine import store_results

    store_results(con, pd.DataFrame(result_rows()))


# --- prepared returns (the Returns page) -------------------------------------------------------------
# The 2023-24 CIN census of this warehouse holds C1-C4 (referrals of 2 January 2024). What DfE's rules report
# is chosen here, so the pages' figures are known: rule 8715 (error) for C1 (team A); query 8770Q for C3
# (team B) and C4 (unallocated); the return-level query 2887Q. 1 error, 3 queries, 3 unexplained.
RETURN_ISSUES = [
    {
        "rule": "8715",
        "rule_type": "error",
        "message": "Date of ICPC must fall within the census year",
        "child_id": "C1",
        "field": "DateOfInitialCPC",
    },
    {"rule": "8770Q", "rule_type": "query", "message": "UPN is missing", "child_id": "C3", "field": "UPN"},
    {"rule": "8770Q", "rule_type": "query", "message": "UPN is missing", "child_id": "C4", "field": "UPN"},
    {"rule": "2887Q", "rule_type": "query", "message": "Less than 8 disability codes have been used", "child_id": ""},
]


def prepare_returns(path: Path, issues: list[dict] = RETURN_ISSUES) -> str:
    """Prepare the 2023-24 CIN census as a draft (cin-2024-v1 the first time) on which DfE's rules find `issues`; its id."""
    from cscperf.returns import workflow
    from cscperf.returns.dfe_rules import ISSUE_COLUMNS, DfeReport

    frame = pd.DataFrame([{"kind": "cin", "table": "CINdetails", "row_id": str(n), **i} for n, i in enumerate(issues)])
    frame = frame.reindex(columns=ISSUE_COLUMNS).astype(object).fillna("")  # columns no issue names are empty text

    def check(kind, files, year, la_name, previous=(), compared_with="") -> DfeReport:
        return DfeReport("cin", year, "cin2023_24", frame, 105)

    con = connect(path)
    try:
        return workflow.prepare(con, path, "cin", 2024, "tester", check=check).return_id
    finally:
        con.close()


# --- the permanency service (area P) ----------------------------------------------------------------------------
# Two fostering households and two adopters, at the same period end (31 March 2024):
# H1 (team A, worker W1): last annual review 2022-06-01, next due 2023-06-01: overdue 304 days; last supervisory
#   visit 2024-01-10, next due 42 days later, 2024-02-21: overdue 39 days. An allegation about C1 (2024-02-05).
# H2 (team B, worker W2): review 2023-09-01 (next due 2024-09-01: not listed); visit 2024-02-01, due 2024-03-14:
#   overdue 17 days. So the review list holds H1; the visit list H1 and H2.
# A1 (the authority's own): approved 2022-12-01, no child placed: a year passed on 2023-12-01, overdue 121 days.
# A2 (own): approved 2023-06-01, C4 placed with them 2023-11-01: on no list.
# C2 (team A), 11, looked after since 2022-01-10 with the service responsible, has no health assessment, dental check
#   or SDQ recorded: on standard T14's list three times, each due from the start of its care (811 days overdue).
# Figures: the two carers' lists (1 and 2), the adopters' (1), children looked after 370 and 368 at the last two
# month ends, so the volume trigger (365, two month ends) is met: 2.
PERM_PERIOD_END = PERIOD_END


def build_permanency(path: Path) -> Path:
    build(path)
    con = connect(path)
    load_id = begin_load(con, "ssd")
    households = [
        ("H1", "T1", "W1", D(2020, 1, 6), [D(2022, 6, 1)], [D(2024, 1, 10)]),
        ("H2", "T2", "W2", D(2021, 5, 1), [D(2023, 9, 1)], [D(2024, 2, 1)]),
    ]
    _insert(
        con,
        "ext_fostering_household",
        [
            {
                "fohh_household_id": h,
                "fohh_la_code": LA,
                "fohh_household_type": "INHOUSE",
                "fohh_ethnicity": "WBRI",
                "fohh_approval_date": approved,
                "fohh_worker_id": w,
                "fohh_team": t,
            }
            for h, t, w, approved, _, _ in households
        ],
        load_id,
    )
    _insert(
        con,
        "ext_foster_carer",
        [{"foca_carer_id": f"FC{h}", "foca_household_id": h, "foca_sex": "F", "foca_start_date": a} for h, _, _, a, _, _ in households],
        load_id,
    )
    _insert(
        con,
        "ext_fostering_review",
        [
            {"fore_review_id": f"RV{h}{i}", "fore_household_id": h, "fore_review_date": d}
            for h, *_, rv, _ in households
            for i, d in enumerate(rv)
        ],
        load_id,
    )
    _insert(
        con,
        "ext_fostering_visit",
        [
            {"fovi_visit_id": f"VS{h}{i}", "fovi_household_id": h, "fovi_visit_date": d, "fovi_unannounced": "N"}
            for h, *_, vs in households
            for i, d in enumerate(vs)
        ],
        load_id,
    )
    _insert(
        con,
        "ext_fostering_allegation",
        [
            {
                "foal_allegation_id": "AL1",
                "foal_household_id": "H1",
                "foal_person_id": "C1",
                "foal_allegation_date": D(2024, 2, 5),
                "foal_council_notified_date": D(2024, 2, 6),
                "foal_outcome": "UNFOUNDED",
            }
        ],
        load_id,
    )
    _insert(
        con,
        "ext_adopter",
        [
            {
                "adop_adopter_id": a,
                "adop_agency": "OWN",
                "adop_number_of_adopters": 2,
                "adop_registration_date": reg,
                "adop_approval_date": ap,
            }
            for a, reg, ap in (("A1", D(2022, 3, 1), D(2022, 12, 1)), ("A2", D(2022, 9, 1), D(2023, 6, 1)))
        ],
        load_id,
    )
    _insert(
        con,
        "ext_adoption_match",
        [
            {
                "adma_match_id": "M1",
                "adma_adopter_id": "A2",
                "adma_person_id": "C4",
                "adma_child_la_code": LA,
                "adma_matched_date": D(2023, 10, 1),
                "adma_placed_date": D(2023, 11, 1),
            }
        ],
        load_id,
    )
    _insert(
        con,
        "ssd_cla_episodes",
        [
            {
                "clae_cla_episode_id": "E2",
                "clae_person_id": "C2",
                "clae_cla_id": "POC2",
                "clae_cla_episode_start_date": D(2022, 1, 10),
                "clae_cla_episode_start_reason": "S",
                "clae_ext_legal_status": "C2",
                "clae_cla_placement_id": "PL2",
            }
        ],
        load_id,
    )
    _insert(
        con,
        "ssd_cla_placement",
        [{"clap_cla_placement_id": "PL2", "clap_person_id": "C2", "clap_cla_id": "POC2", "clap_cla_placement_type": "U4",
          "clap_cla_placement_provider": "PR1", "clap_cla_placement_start_date": D(2022, 1, 10)}],
        load_id,
    )  # fmt: skip
    _insert(
        con,
        "ext_service_responsibility",
        [{"serv_table_id": "S2", "serv_person_id": "C2", "serv_service": "PERMANENCY", "serv_responsibility_start_date": D(2022, 1, 10)}],
        load_id,
    )
    finish_load(con, load_id, "{}")
    from cscperf.indicators.engine import store_results

    store_results(con, pd.DataFrame(permanency_result_rows()))
    con.close()
    return path


def permanency_result_rows() -> list[dict]:
    rows = []
    for end, (reviews, visits, adopters, cla, trigger) in ((D(2024, 2, 29), (1, 1, 1, 368, 1)), (PERIOD_END, (1, 2, 1, 370, 2))):
        for ind, value in (
            ("perm_carers_no_annual_review", reviews),
            ("perm_carers_not_visited_6_weeks", visits),
            ("perm_adopters_no_placement_1_year", adopters),
            ("cla_open", cla),
            ("perm_cla_volume_trigger", trigger),
        ):
            rows.append(
                dict(
                    indicator_id=ind,
                    basis="month",
                    period_start=end.replace(day=1),
                    period_end=end,
                    breakdown="la",
                    breakdown_value=LA,
                    numerator=value,
                    denominator=None,
                    value=value,
                    unit="count",
                )
            )
    return rows


# What `cscperf validate --year 2024` stored (DfE's rules on the returns written from the warehouse, no workflow):
# SSDA903 error 103 for C1 (team A) and C3 (team B), and a return-level CIN query that names no child.
VALIDATED_ISSUES = [
    {"kind": "903", "rule": "103", "rule_type": "error", "message": "The ethnicity code is either not valid or has not been entered.",
     "child_id": "C1", "table": "Header", "field": "ETHNIC", "row_id": "0"},
    {"kind": "903", "rule": "103", "rule_type": "error", "message": "The ethnicity code is either not valid or has not been entered.",
     "child_id": "C3", "table": "Header", "field": "ETHNIC", "row_id": "2"},
    {"kind": "cin", "rule": "2887Q", "rule_type": "query", "message": "Less than 8 disability codes have been used", "child_id": ""},
]  # fmt: skip


def store_validated(path: Path, issues: list[dict] = VALIDATED_ISSUES) -> None:
    """Store `issues` as `cscperf validate --year 2024` does (one DfE report per return)."""
    from cscperf.returns.dfe_rules import ISSUE_COLUMNS, DfeReport, store

    frame = pd.DataFrame(issues).reindex(columns=ISSUE_COLUMNS).fillna("")
    reports = [DfeReport(kind, 2024, f"{'lac' if kind == '903' else 'cin'}2023_24", rows, 100) for kind, rows in frame.groupby("kind")]
    con = connect(path)
    try:
        store(con, reports)
    finally:
        con.close()
