"""What the pages read from the warehouse besides figures: names, loads, caseloads, a child's timeline.

Figures are read through `cscperf.warehouse.results` and judged by `cscperf.judge` (see views.py).
Exception lists come from the indicator engine and are cached per data fingerprint by the caller.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import duckdb
import pandas as pd


def has_table(cur: duckdb.DuckDBPyConnection, name: str) -> bool:
    row = cur.execute("SELECT count(*) FROM information_schema.tables WHERE table_name = ?", [name]).fetchone()
    return bool(row and row[0])


def la_name(cur: duckdb.DuckDBPyConnection, code: str | None) -> str:
    if code and has_table(cur, "ext_authority"):
        row = cur.execute("SELECT auth_la_name FROM ext_authority WHERE auth_la_code = ?", [code]).fetchone()
        if row and row[0]:
            return str(row[0])
    return code or "the authority"


def team_names(cur: duckdb.DuckDBPyConnection) -> dict[str, str]:
    rows = cur.execute("SELECT dept_team_id, coalesce(dept_team_name, dept_team_id) FROM ssd_department ORDER BY 1").fetchall()
    return {str(r[0]): str(r[1]) for r in rows}


# Workers with their team: the permanency service's staff (ext_service_staff, e.g. supervising social workers of foster
# carers) are workers too, unless ssd_professionals holds them (its name then wins).
WORKERS_SQL = (
    "SELECT prof_professional_id AS worker_id, coalesce(prof_professional_name, prof_professional_id) AS worker_name, "
    "prof_ext_team_id AS team_id FROM ssd_professionals "
    "UNION ALL SELECT sstf_staff_id, coalesce(sstf_staff_name, sstf_staff_id), sstf_team FROM ext_service_staff s "
    "WHERE NOT EXISTS (SELECT 1 FROM ssd_professionals p WHERE p.prof_professional_id = s.sstf_staff_id)"
)


def workers(cur: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """Workers with their team (WORKERS_SQL): worker_id, worker_name, team_id."""
    return cur.execute(f"{WORKERS_SQL} ORDER BY 1").df()


def last_load(cur: duckdb.DuckDBPyConnection) -> dict[str, Any] | None:
    row = cur.execute(
        "SELECT load_id, format, finished_at FROM cscperf_loads WHERE status = 'done' ORDER BY finished_at DESC LIMIT 1"
    ).fetchone()
    return {"load_id": row[0], "format": row[1], "finished_at": row[2]} if row else None


def loads(cur: duckdb.DuckDBPyConnection, limit: int = 50) -> pd.DataFrame:
    return cur.execute(
        "SELECT load_id, format, started_at, finished_at, status, summary FROM cscperf_loads ORDER BY started_at DESC LIMIT ?",
        [limit],
    ).df()


# --- allocations -------------------------------------------------------------------------------
# An allocation is current on date $d when it started on or before $d and has no end or ends after $d
# (docs/data-model.md, as the indicator model's `allocated_at`): caseloads and who may see a child use it.
ALLOCATION_OPEN_SQL = "i.invo_involvement_start_date <= $d AND (i.invo_involvement_end_date IS NULL OR i.invo_involvement_end_date > $d)"

# --- caseloads ---------------------------------------------------------------------------------
CASELOAD_SQL = f"""
WITH open_alloc AS (
    SELECT DISTINCT i.invo_person_id AS person_id, i.invo_professional_id AS worker_id
    FROM ssd_involvements i
    WHERE {ALLOCATION_OPEN_SQL}
      AND i.invo_professional_id IS NOT NULL
),
in_post AS (
    SELECT * FROM ssd_professionals p
    WHERE (p.prof_ext_start_date IS NULL OR p.prof_ext_start_date <= $d)
      AND (p.prof_ext_end_date IS NULL OR p.prof_ext_end_date > $d)
),
team_children AS (  -- a child allocated to two workers of a team is one child of the team
    SELECT p.prof_ext_team_id AS team_id, count(DISTINCT o.person_id) AS children
    FROM in_post p JOIN open_alloc o ON o.worker_id = p.prof_professional_id
    GROUP BY ALL
)
SELECT p.prof_ext_team_id AS team_id, p.prof_professional_id AS worker_id,
       coalesce(p.prof_professional_name, p.prof_professional_id) AS worker_name,
       coalesce(p.prof_professional_job_title, '') AS job_title,
       coalesce(p.prof_agency_worker_flag, 'N') AS agency,
       count(DISTINCT o.person_id) AS caseload,
       coalesce(tc.children, 0) AS team_children
FROM in_post p
LEFT JOIN open_alloc o ON o.worker_id = p.prof_professional_id
LEFT JOIN team_children tc ON tc.team_id IS NOT DISTINCT FROM p.prof_ext_team_id
GROUP BY ALL
ORDER BY team_id, caseload DESC, worker_id
"""


def caseloads(cur: duckdb.DuckDBPyConnection, on: dt.date) -> pd.DataFrame:
    """Workers in post on a date with the number of children allocated to them then (`caseload`), and the
    number of different children allocated to their team's workers (`team_children`)."""
    return cur.execute(CASELOAD_SQL, {"d": on}).df()


# --- a child's timeline ------------------------------------------------------------------------
# (table, date column, event label, detail SQL expression, person column)
TIMELINE_SOURCES: tuple[tuple[str, str, str, str, str], ...] = (
    ("ssd_contacts", "cont_contact_date", "Contact", "coalesce(cont_ext_outcome, 'awaiting decision')", "cont_person_id"),
    ("ssd_early_help_episodes", "earl_episode_start_date", "Early help started", "coalesce(earl_episode_reason, '')", "earl_person_id"),
    ("ssd_cin_episodes", "cine_referral_date", "Referral", "'need ' || coalesce(cine_cin_primary_need_code, '?')", "cine_person_id"),
    ("ssd_cin_episodes", "cine_close_date", "Case closed", "coalesce(cine_close_reason, '')", "cine_person_id"),
    ("ssd_cin_assessments", "cina_assessment_start_date", "Assessment started", "''", "cina_person_id"),
    ("ssd_cin_assessments", "cina_assessment_auth_date", "Assessment completed", "''", "cina_person_id"),
    ("ssd_cin_plans", "cinp_cin_plan_start_date", "CIN plan started", "''", "cinp_person_id"),
    ("ssd_cin_plans", "cinp_cin_plan_end_date", "CIN plan ended", "''", "cinp_person_id"),
    ("ssd_cin_visits", "cinv_cin_visit_date", "CIN visit", "_seen(cinv_cin_visit_seen, cinv_ext_not_seen_reason)", "cinv_person_id"),
    ("ssd_s47_enquiry", "s47e_s47_start_date", "Section 47 enquiry", "''", "s47e_person_id"),
    ("ssd_initial_cp_conference", "icpc_icpc_date", "Initial conference", "''", "icpc_person_id"),
    ("ssd_cp_plans", "cppl_cp_plan_start_date", "CP plan started", "coalesce(cppl_cp_plan_initial_category, '')", "cppl_person_id"),
    ("ssd_cp_plans", "cppl_cp_plan_end_date", "CP plan ended", "''", "cppl_person_id"),
    ("ssd_cp_reviews", "cppr_cp_review_date", "CP review", "''", "cppr_person_id"),
    ("ssd_cp_visits", "cppv_cp_visit_date", "CP visit", "_seen(cppv_cp_visit_seen, cppv_ext_not_seen_reason)", "cppv_person_id"),
    (
        "ssd_cla_episodes",
        "clae_cla_episode_start_date",
        "Looked-after episode",
        "'reason ' || coalesce(clae_cla_episode_start_reason, '?') || ', legal status ' || coalesce(clae_ext_legal_status, '?')",
        "clae_person_id",
    ),
    (
        "ssd_cla_episodes",
        "clae_cla_episode_ceased_date",
        "Episode ended",
        "coalesce(clae_cla_episode_ceased_reason, '')",
        "clae_person_id",
    ),
    ("ssd_cla_placement", "clap_cla_placement_start_date", "Placement", "coalesce(clap_cla_placement_type, '')", "clap_person_id"),
    ("ssd_cla_reviews", "clar_cla_review_date", "Looked-after review", "''", "clar_ext_person_id"),
    (
        "ssd_cla_visits",
        "clav_cla_visit_date",
        "Looked-after visit",
        "_seen(clav_cla_visit_seen, clav_ext_not_seen_reason)",
        "clav_person_id",
    ),
    ("ssd_cla_health", "clah_health_check_date", "Health check", "coalesce(clah_health_check_type, '')", "clah_person_id"),
    ("ssd_missing", "miss_missing_episode_start_date", "Missing episode", "coalesce(miss_missing_episode_type, '')", "miss_person_id"),
    ("ssd_involvements", "invo_involvement_start_date", "Allocated", "coalesce(invo_professional_id, '')", "invo_person_id"),
)


def _seen_sql(seen: str, reason: str) -> str:
    return f"CASE WHEN {seen} = 'Y' THEN 'seen' ELSE 'not seen' || coalesce(': ' || {reason}, '') END"


def _timeline_sql() -> str:
    parts = []
    for order, (table, date_col, label, detail, person_col) in enumerate(TIMELINE_SOURCES):
        if detail.startswith("_seen("):
            seen, reason = detail[len("_seen(") : -1].split(", ")
            detail = _seen_sql(seen, reason)
        parts.append(
            f"SELECT {date_col} AS event_date, {order} AS ord, '{label}' AS event, {detail} AS detail "
            f"FROM {table} WHERE {person_col} = $p AND {date_col} IS NOT NULL"
        )
    return " UNION ALL ".join(parts) + " ORDER BY event_date DESC, ord DESC"


TIMELINE_SQL = _timeline_sql()


@dataclass(frozen=True)
class Child:
    person_id: str
    sex: str
    dob: dt.date | None
    teams: tuple[str, ...]


def child(cur: duckdb.DuckDBPyConnection, person_id: str, on: dt.date) -> Child | None:
    row = cur.execute("SELECT pers_person_id, pers_sex, pers_dob FROM ssd_person WHERE pers_person_id = ?", [person_id]).fetchone()
    if row is None:
        return None
    return Child(str(row[0]), row[1] or "", row[2], child_teams(cur, person_id, on))


def child_teams(cur: duckdb.DuckDBPyConnection, person_id: str, on: dt.date) -> tuple[str, ...]:
    """The teams a child is allocated to on a date (latest-starting first); none for a closed or unallocated child.

    A manager sees a child only through these teams, so an allocation that ended, even the child's last one,
    gives no access (docs/dashboard.md, "Roles and access rules")."""
    rows = cur.execute(
        f"SELECT {ALLOCATED_TEAM} AS team_id {ALLOCATED_FROM} AND i.invo_person_id = $p "
        "ORDER BY i.invo_involvement_start_date DESC, team_id",
        {"d": on, "p": person_id},
    ).fetchall()
    return tuple(dict.fromkeys(str(r[0]) for r in rows if r[0]))


# A child's team on a date: the team of each allocation open then (the allocation's team, else its worker's).
ALLOCATED_TEAM = "coalesce(i.invo_professional_team, p.prof_ext_team_id)"
ALLOCATED_FROM = (
    f"FROM ssd_involvements i LEFT JOIN ssd_professionals p ON p.prof_professional_id = i.invo_professional_id WHERE {ALLOCATION_OPEN_SQL}"
)


def allocated_teams(cur: duckdb.DuckDBPyConnection, on: dt.date) -> pd.DataFrame:
    """Every (person_id, team_id) allocation open on a date: by the rule of `child_teams`, for lists of many children."""
    return cur.execute(
        f"SELECT DISTINCT i.invo_person_id AS person_id, {ALLOCATED_TEAM} AS team_id {ALLOCATED_FROM} AND {ALLOCATED_TEAM} IS NOT NULL",
        {"d": on},
    ).df()


def timeline(cur: duckdb.DuckDBPyConnection, person_id: str) -> pd.DataFrame:
    return cur.execute(TIMELINE_SQL, {"p": person_id}).df()


# --- the permanency service's records (households and adopters) ------------------------------------
# Where each kind of exception list row (cscperf.indicators.exceptions.list_unit) has its page.
UNIT_PATHS = {"child": "/children", "household": "/households", "adopter": "/adopters"}


@dataclass(frozen=True)
class Record:
    """A household's or adopter's page: facts (label, value) and sections (title, column names, rows)."""

    record_id: str
    team: str | None
    facts: tuple[tuple[str, Any], ...]
    sections: tuple[tuple[str, tuple[str, ...], list[tuple]], ...]

    def children(self) -> list[str]:
        """The child ids the page shows (audited with the record)."""
        ids = []
        for _, columns, rows in self.sections:
            if "child" in columns:
                i = columns.index("child")
                ids += [str(r[i]) for r in rows if r[i] is not None]
        return ids


# (title, SQL with $id) per section of a household's page; a column named "child" links to the child's page.
HOUSEHOLD_SECTIONS: tuple[tuple[str, str], ...] = (
    (
        "Carers",
        'SELECT foca_carer_id AS carer, foca_sex AS sex, foca_ethnicity AS ethnicity, foca_start_date AS "from", '
        'foca_end_date AS "to" FROM ext_foster_carer WHERE foca_household_id = $id ORDER BY 4, 1',
    ),
    (
        "Approvals",
        'SELECT foap_approval_type AS "approved for", foap_approval_start_date AS "from", foap_approval_end_date AS "to" '
        "FROM ext_fostering_approval WHERE foap_household_id = $id ORDER BY 2 DESC, 1",
    ),
    (
        "Places",
        'SELECT fopl_places AS places, fopl_age_from AS "ages from", fopl_age_to AS "ages to", fopl_places_start_date AS "from", '
        'fopl_places_end_date AS "to" FROM ext_fostering_places WHERE fopl_household_id = $id ORDER BY 4 DESC',
    ),
    (
        "Annual reviews",
        'SELECT fore_review_date AS "review date" FROM ext_fostering_review WHERE fore_household_id = $id ORDER BY 1 DESC',
    ),
    (
        "Supervisory visits",
        'SELECT fovi_visit_date AS "visit date", fovi_worker_id AS worker, fovi_unannounced AS unannounced '
        "FROM ext_fostering_visit WHERE fovi_household_id = $id ORDER BY 1 DESC",
    ),
    (
        "Allegations",
        'SELECT foal_allegation_date AS received, foal_council_notified_date AS "council notified", foal_lado_notified AS "LADO", '
        "foal_outcome AS outcome, foal_person_id AS child FROM ext_fostering_allegation WHERE foal_household_id = $id ORDER BY 1 DESC",
    ),
    (
        "Complaints",
        "SELECT foco_complaint_date AS received, foco_complainant AS complainant FROM ext_fostering_complaint "
        "WHERE foco_household_id = $id ORDER BY 1 DESC",
    ),
    (
        "Panel and decisions",
        "SELECT fopa_item_type AS item, fopa_panel_date AS panel, fopa_panel_recommendation AS recommendation, fopa_adm_decision_date AS "
        '"ADM decision", fopa_adm_decision AS decision FROM ext_fostering_panel WHERE fopa_household_id = $id ORDER BY 2 DESC',
    ),
    (
        "Children placed",
        'SELECT p.clap_person_id AS child, p.clap_cla_placement_start_date AS "from", p.clap_cla_placement_end_date AS "to", '
        'p.clap_cla_placement_type AS placement, c.plca_placement_unplanned AS "ended unplanned" FROM ext_cla_placement_carer c '
        "JOIN ssd_cla_placement p ON p.clap_cla_placement_id = c.plca_placement_id WHERE c.plca_household_id = $id ORDER BY 2 DESC",
    ),
)

ADOPTER_SECTIONS: tuple[tuple[str, str], ...] = (
    (
        "Matches and placements",
        'SELECT adma_person_id AS child, adma_child_la_code AS "child\'s authority", adma_panel_date AS panel, adma_matched_date AS '
        'matched, adma_placed_date AS placed, adma_adoption_order_date AS "adoption order", adma_disruption_date AS disrupted, '
        'adma_breakdown_date AS "broke down" FROM ext_adoption_match WHERE adma_adopter_id = $id ORDER BY 4 DESC NULLS LAST',
    ),
)

# An adopter's journey: (stage, column of ext_adopter), in order.
ADOPTER_STAGES: tuple[tuple[str, str], ...] = (
    ("Registration of interest", "adop_registration_date"),
    ("Enquiry responded to", "adop_enquiry_response_date"),
    ("Stage 1 started", "adop_stage1_start_date"),
    ("Stage 1 ended", "adop_stage1_end_date"),
    ("Application submitted", "adop_application_date"),
    ("Stage 2 started", "adop_stage2_start_date"),
    ("Stage 2 ended", "adop_stage2_end_date"),
    ("Approved", "adop_approval_date"),
    ("Manager's review (a year approved, no placement)", "adop_review_date"),
    ("Left the service", "adop_end_date"),
)


def _sections(cur: duckdb.DuckDBPyConnection, specs: tuple[tuple[str, str], ...], record_id: str) -> tuple:
    out = []
    for title, sql in specs:
        res = cur.execute(sql, {"id": record_id})
        out.append((title, tuple(d[0] for d in res.description), res.fetchall()))
    return tuple(out)


def household(cur: duckdb.DuckDBPyConnection, household_id: str) -> Record | None:
    row = cur.execute(
        "SELECT h.fohh_household_type, h.fohh_ethnicity, h.fohh_approval_date, h.fohh_deregistration_date, "
        "h.fohh_deregistration_reason, h.fohh_payment_level, "
        "coalesce(w.worker_name, h.fohh_worker_id), "
        "coalesce(d.dept_team_name, h.fohh_team), h.fohh_team FROM ext_fostering_household h "
        f"LEFT JOIN ({WORKERS_SQL}) w ON w.worker_id = h.fohh_worker_id "
        "LEFT JOIN ssd_department d ON d.dept_team_id = h.fohh_team WHERE h.fohh_household_id = ?",
        [household_id],
    ).fetchone()
    if row is None:
        return None
    kind, ethnicity, approved, dereg, reason, level, worker, team_name, team = row
    facts = (
        ("Household type", kind),
        ("Main carer's ethnicity", ethnicity),
        ("Approved", approved),
        ("De-registered", f"{dereg} ({reason or 'no reason recorded'})" if dereg else None),
        ("Payment level", level),
        ("Supervising social worker", worker),
        ("Team", team_name),
    )
    return Record(household_id, team, facts, _sections(cur, HOUSEHOLD_SECTIONS, household_id))


def adopter(cur: duckdb.DuckDBPyConnection, adopter_id: str, on: dt.date) -> Record | None:
    stages = ", ".join(col for _, col in ADOPTER_STAGES)
    sql = f"SELECT adop_agency, adop_number_of_adopters, adop_ethnicity, adop_end_reason, {stages} FROM ext_adopter"
    row = cur.execute(sql + " WHERE adop_adopter_id = ?", [adopter_id]).fetchone()
    if row is None:
        return None
    agency, number, ethnicity, end_reason, *dates = row
    on_stage = dict(zip((col for _, col in ADOPTER_STAGES), dates, strict=True))
    approved, ended = on_stage["adop_approval_date"], on_stage["adop_end_date"]
    waiting = (on - approved).days if approved and approved <= on and (ended is None or ended > on) else None
    facts = (
        ("Agency", "the authority's own" if agency == "OWN" else agency),
        ("Adopters", number),
        ("First applicant's ethnicity", ethnicity),
        ("Ended because", end_reason),
        (f"Days approved at {on:%d %b %Y}", waiting),
    )
    journey = ("Journey", ("stage", "date"), [(stage, d) for (stage, _), d in zip(ADOPTER_STAGES, dates, strict=True)])
    return Record(adopter_id, None, facts, (journey, *_sections(cur, ADOPTER_SECTIONS, adopter_id)))
