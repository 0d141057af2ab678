"""Ofsted's Annex A workbook: the child-level lists an authority sends at the start of an inspection.

Annex A has no collection year: it is asked for on the day an inspection is announced and each list
looks back from that date. `write_at(con, as_at, out_dir)` writes it for an explicit reference date;
`write(con, year, out_dir)`, the interface every return writer shares, uses 31 March of `year`.

Each list selects what Ofsted's guidance asks for within its look-back (six months unless stated):
contacts, referrals and section 47 enquiries that started in it (lists 1, 3, 5); early help,
assessments, children in need, child protection plans and periods of care open at any time in it
(lists 2, 4, 6, 7, 8; short breaks are not listed as looked after); each care leaver's latest record
with a contact in the last 12 months (list 9); children with an adoption decision whose adoption or
reversal is not more than 24 months old (list 10); the authority's own adoption agency's adopters with a
record open in the last 12 months, from the permanency service's tables (list 11: `ext_adopter`,
`ext_adoption_match`). Nothing recorded after the reference date is shown. Columns the model does not
hold are written blank; docs/returns.md lists them.

The layouts (sheet per list, headers in template order) are declared once, in `cscperf.ingest.annex_a`
(`TEMPLATE`), which also reads these workbooks back. Age is in whole years at the reference date; the
allocated team and worker are the child's allocation on that date (else the latest before it).
"""

from __future__ import annotations

import datetime as dt
import io
import os
from pathlib import Path

import duckdb
import pandas as pd
from dateutil.relativedelta import relativedelta

from cscperf.errors import UserError
from cscperf.files import cannot_write, neutralise, open_private, output_folder
from cscperf.ingest.annex_a import ABUSE_TEXT, LEAVING_REASON, LIST_NAMES, OTHER_LEAVING, REQUIRED_DATE, TEMPLATE, TEMPLATE_VERSION
from cscperf.returns.written import WrittenReturn

YES_NO = "CASE {0} WHEN 'Y' THEN 'Yes' WHEN 'N' THEN 'No' END"
SEX_TEXT = {"M": "a) Male", "F": "b) Female", "U": "c) Not stated/recorded", "I": "c) Not stated/recorded"}


def _upto(column: str) -> str:
    """A date as it stood on the reference date: blank if it had not happened yet."""
    return f"CASE WHEN {column} <= $as_at THEN {column} END"


# Emergency protection or police protection (903 legal statuses L1, L2) at any time in the six months (list 7).
EPO = """CASE WHEN EXISTS (SELECT 1 FROM ssd_legal_status l WHERE l.lega_person_id = {0} AND l.lega_legal_status IN ('L1', 'L2')
    AND l.lega_legal_status_start_date <= $as_at
    AND (l.lega_legal_status_end_date IS NULL OR l.lega_legal_status_end_date > $from6)) THEN 'Y' ELSE 'N' END"""


# The child's allocation on the reference date (or, failing that, the latest before it), for every list.
ALLOCATION = """
alloc AS (
    SELECT i.invo_person_id AS pid, d.dept_team_name AS team, w.prof_professional_name AS worker
    FROM ssd_involvements i
    LEFT JOIN ssd_department d ON d.dept_team_id = i.invo_professional_team
    LEFT JOIN ssd_professionals w ON w.prof_professional_id = i.invo_professional_id
    WHERE coalesce(i.invo_involvement_start_date, $as_at) <= $as_at
    QUALIFY row_number() OVER (
        PARTITION BY i.invo_person_id
        ORDER BY (i.invo_involvement_end_date IS NULL OR i.invo_involvement_end_date >= $as_at) DESC,
                 i.invo_involvement_start_date DESC NULLS LAST, i.invo_involvements_id
    ) = 1
)"""

PERSON = """
SELECT r.*, p.pers_sex AS sex, p.pers_ethnicity AS ethnicity, p.pers_dob AS dob,
    CASE WHEN p.pers_dob IS NOT NULL THEN date_diff('year', p.pers_dob, $as_at)
        - CASE WHEN strftime($as_at, '%m%d') < strftime(p.pers_dob, '%m%d') THEN 1 ELSE 0 END END AS age,
    CASE WHEN EXISTS (SELECT 1 FROM ssd_disability s WHERE s.disa_person_id = r.child
                      AND coalesce(s.disa_disability_code, '') NOT IN ('', 'NONE')) THEN 'a) Yes' ELSE 'b) No' END AS disability,
    coalesce(a.team, r.own_team) AS team, coalesce(a.worker, r.own_worker) AS worker
FROM rows r
LEFT JOIN ssd_person p ON p.pers_person_id = r.child
LEFT JOIN alloc a ON a.pid = r.child
"""

LISTS_SQL: dict[int, str] = {
    1: """
SELECT cont_person_id AS child, cont_contact_date AS date,
    CASE WHEN cont_contact_source_desc IS NULL THEN cont_contact_source_code
         ELSE cont_contact_source_code || ': ' || cont_contact_source_desc END AS source
FROM ssd_contacts WHERE cont_contact_date > $from6 AND cont_contact_date <= $as_at""",
    2: """
SELECT earl_person_id AS child, earl_episode_start_date AS start, {end} AS "end", earl_episode_organisation AS org
FROM ssd_early_help_episodes
WHERE earl_episode_start_date <= $as_at AND (earl_episode_end_date IS NULL OR earl_episode_end_date > $from6)""".replace(
        "{end}", _upto("earl_episode_end_date")
    ),
    3: f"""
SELECT e.cine_person_id AS child, e.cine_referral_date AS date,
    CASE WHEN e.cine_referral_source_desc IS NULL THEN e.cine_referral_source_code
         ELSE e.cine_referral_source_code || ': ' || e.cine_referral_source_desc END AS source,
    {YES_NO.format("e.cine_referral_nfa")} AS nfa,
    (SELECT count(*) FROM ssd_cin_episodes o WHERE o.cine_person_id = e.cine_person_id
        AND o.cine_referral_date < e.cine_referral_date
        AND o.cine_referral_date >= e.cine_referral_date - INTERVAL 12 MONTH) AS referrals_12m
FROM ssd_cin_episodes e WHERE e.cine_referral_date > $from6 AND e.cine_referral_date <= $as_at""",
    4: f"""
SELECT cina_person_id AS child, cina_assessment_start_date AS start,
    {YES_NO.format("cina_assessment_child_seen")} AS seen, {_upto("cina_assessment_auth_date")} AS auth,
    CASE WHEN cina_assessment_auth_date <= $as_at THEN CASE cina_assessment_outcome_nfa WHEN 'Y' THEN 'No' WHEN 'N' THEN 'Yes' END END
        AS support
FROM ssd_cin_assessments
WHERE cina_assessment_start_date <= $as_at AND (cina_assessment_auth_date IS NULL OR cina_assessment_auth_date > $from6)""",
    5: f"""
SELECT s.s47e_person_id AS child, s.s47e_s47_start_date AS start, {YES_NO.format("s.s47e_s47_nfa")} AS unnecessary,
    c.icpc_icpc_date AS icpc, CASE WHEN c.icpc_icpc_date IS NOT NULL THEN {YES_NO.format("c.icpc_icpc_outcome_cp_flag")} END AS plan,
    (SELECT count(*) FROM ssd_s47_enquiry o WHERE o.s47e_person_id = s.s47e_person_id
        AND o.s47e_s47_start_date > $from12 AND o.s47e_s47_start_date <= $as_at) AS s47_12m,
    (SELECT count(*) FROM ssd_initial_cp_conference o WHERE o.icpc_person_id = s.s47e_person_id
        AND o.icpc_icpc_date > $from12 AND o.icpc_icpc_date <= $as_at) AS icpc_12m
FROM ssd_s47_enquiry s
LEFT JOIN (
    SELECT icpc_s47_enquiry_id, icpc_icpc_date, icpc_icpc_outcome_cp_flag FROM ssd_initial_cp_conference
    WHERE icpc_icpc_date <= $as_at
    QUALIFY row_number() OVER (PARTITION BY icpc_s47_enquiry_id ORDER BY icpc_icpc_date, icpc_icpc_id) = 1
) c ON c.icpc_s47_enquiry_id = s.s47e_s47_enquiry_id
WHERE s.s47e_s47_start_date > $from6 AND s.s47e_s47_start_date <= $as_at""",
    6: f"""
SELECT e.cine_person_id AS child, e.cine_referral_date AS start, e.cine_cin_primary_need_code AS need,
    (SELECT max(v.cinv_cin_visit_date) FROM ssd_cin_visits v WHERE v.cinv_person_id = e.cine_person_id
        AND v.cinv_cin_visit_seen = 'Y' AND v.cinv_cin_visit_date <= $as_at) AS seen,
    {_upto("e.cine_close_date")} AS "end", CASE WHEN e.cine_close_date <= $as_at THEN e.cine_close_reason END AS reason,
    CASE WHEN e.cine_close_date <= $as_at THEN 'Closed'
         WHEN EXISTS (SELECT 1 FROM ssd_cla_episodes l WHERE l.clae_person_id = e.cine_person_id
             AND l.clae_cla_episode_start_date <= $as_at
             AND (l.clae_cla_episode_ceased_date IS NULL OR l.clae_cla_episode_ceased_date > $as_at)) THEN 'Looked after'
         WHEN EXISTS (SELECT 1 FROM ssd_cp_plans c WHERE c.cppl_person_id = e.cine_person_id
             AND c.cppl_cp_plan_start_date <= $as_at
             AND (c.cppl_cp_plan_end_date IS NULL OR c.cppl_cp_plan_end_date > $as_at)) THEN 'Child protection plan'
         ELSE 'Child in need' END AS status
FROM ssd_cin_episodes e
WHERE e.cine_cin_primary_need_code IS NOT NULL AND e.cine_referral_nfa IS DISTINCT FROM 'Y'
  AND e.cine_referral_date <= $as_at AND (e.cine_close_date IS NULL OR e.cine_close_date > $from6)""",
    7: f"""
SELECT c.cppl_person_id AS child, c.cppl_cp_plan_start_date AS start,
    c.cppl_cp_plan_initial_category AS initial, c.cppl_cp_plan_latest_category AS latest,
    v.cppv_cp_visit_date AS visit, {YES_NO.format("v.cppv_cp_visit_seen_alone")} AS alone,
    (SELECT max(r.cppr_cp_review_date) FROM ssd_cp_reviews r WHERE r.cppr_cp_plan_id = c.cppl_cp_plan_id
        AND r.cppr_cp_review_date <= $as_at) AS review,
    {_upto("c.cppl_cp_plan_end_date")} AS "end",
    coalesce(c.cppl_ext_previous_plans, (SELECT count(*) FROM ssd_cp_plans o WHERE o.cppl_person_id = c.cppl_person_id
        AND o.cppl_cp_plan_start_date < c.cppl_cp_plan_start_date)) AS previous,
    {EPO.format("c.cppl_person_id")} AS epo
FROM ssd_cp_plans c
LEFT JOIN (
    SELECT cppv_cp_plan_id, cppv_cp_visit_date, cppv_cp_visit_seen_alone FROM ssd_cp_visits WHERE cppv_cp_visit_date <= $as_at
    QUALIFY row_number() OVER (PARTITION BY cppv_cp_plan_id ORDER BY cppv_cp_visit_date DESC, cppv_cp_visit_id) = 1
) v ON v.cppv_cp_plan_id = c.cppl_cp_plan_id
WHERE c.cppl_cp_plan_start_date <= $as_at AND (c.cppl_cp_plan_end_date IS NULL OR c.cppl_cp_plan_end_date > $from6)""",
    8: """
WITH periods AS (
    SELECT *, min(clae_cla_episode_start_date) OVER (PARTITION BY clae_cla_id) AS first_start
    FROM ssd_cla_episodes WHERE clae_cla_episode_start_date <= $as_at
    QUALIFY row_number() OVER (PARTITION BY clae_cla_id ORDER BY clae_cla_episode_start_date DESC, clae_cla_episode_id DESC) = 1
),
current AS (
    SELECT *, coalesce(clae_entered_care_date, first_start) AS entered,
        CASE WHEN clae_cla_episode_ceased_date <= $as_at AND clae_cla_episode_ceased_reason IS DISTINCT FROM 'X1'
             THEN clae_cla_episode_ceased_date END AS ceased
    FROM periods WHERE coalesce(clae_ext_legal_status, '') NOT IN ('V3', 'V4')
),
placed AS (
    SELECT * FROM ssd_cla_placement WHERE clap_cla_placement_start_date <= $as_at
    QUALIFY row_number() OVER (PARTITION BY clap_cla_id ORDER BY clap_cla_placement_start_date DESC, clap_cla_placement_id DESC) = 1
)
SELECT e.clae_person_id AS child, e.entered, e.clae_cla_primary_need_code AS need,
    (SELECT max(l.lega_legal_status_start_date) FROM ssd_legal_status l WHERE l.lega_person_id = e.clae_person_id
        AND l.lega_legal_status = e.clae_ext_legal_status AND l.lega_legal_status_start_date <= $as_at
        AND l.lega_legal_status_start_date >= e.entered) AS ls_start,
    e.clae_ext_legal_status AS legal,
    (SELECT max(r.clar_cla_review_date) FROM ssd_cla_reviews r WHERE r.clar_ext_person_id = e.clae_person_id
        AND r.clar_cla_review_date BETWEEN e.entered AND $as_at) AS review,
    (SELECT max(v.clav_cla_visit_date) FROM ssd_cla_visits v WHERE v.clav_person_id = e.clae_person_id
        AND v.clav_cla_visit_date BETWEEN e.entered AND $as_at) AS visit,
    CASE WHEN e.clae_cla_last_iro_contact_date <= $as_at THEN e.clae_cla_last_iro_contact_date END AS iro,
    (SELECT max(h.clah_health_check_date) FROM ssd_cla_health h WHERE h.clah_person_id = e.clae_person_id
        AND h.clah_health_check_type = 'RHA' AND h.clah_health_check_status = 'Completed'
        AND h.clah_health_check_date BETWEEN e.entered AND $as_at) AS health,
    (SELECT max(h.clah_health_check_date) FROM ssd_cla_health h WHERE h.clah_person_id = e.clae_person_id
        AND h.clah_health_check_type = 'DENTAL' AND h.clah_health_check_status = 'Completed'
        AND h.clah_health_check_date BETWEEN e.entered AND $as_at) AS dental,
    (SELECT count(*) FROM ssd_cla_placement o WHERE o.clap_person_id = e.clae_person_id
        AND o.clap_cla_placement_start_date > $from12 AND o.clap_cla_placement_start_date <= $as_at) AS placements_12m,
    e.ceased, CASE WHEN e.ceased IS NOT NULL THEN e.clae_cla_episode_ceased_reason END AS reason,
    p.clap_cla_placement_start_date AS pl_start, p.clap_cla_placement_type AS pl_type,
    p.clap_cla_placement_provider AS provider, p.clap_cla_placement_postcode AS postcode, p.clap_cla_placement_urn AS urn,
    (SELECT count(*) FROM ssd_missing m WHERE m.miss_person_id = e.clae_person_id AND m.miss_missing_episode_type = 'M'
        AND m.miss_missing_episode_start_date > $from12 AND m.miss_missing_episode_start_date <= $as_at) AS missing_12m,
    (SELECT count(*) FROM ssd_missing m WHERE m.miss_person_id = e.clae_person_id AND m.miss_missing_episode_type = 'A'
        AND m.miss_missing_episode_start_date > $from12 AND m.miss_missing_episode_start_date <= $as_at) AS absent_12m,
    CASE WHEN EXISTS (SELECT 1 FROM ssd_immigration_status u WHERE u.immi_person_id = e.clae_person_id
        AND u.immi_immigration_status = 'UASC' AND coalesce(u.immi_immigration_status_start_date, $as_at) <= $as_at
        AND (u.immi_immigration_status_end_date IS NULL OR u.immi_immigration_status_end_date > $from12)) THEN 'Y' ELSE 'N' END AS uasc,
    CASE WHEN EXISTS (SELECT 1 FROM ssd_cla_episodes o WHERE o.clae_person_id = e.clae_person_id AND o.clae_cla_id <> e.clae_cla_id
        AND coalesce(o.clae_ext_legal_status, '') NOT IN ('V3', 'V4') AND o.clae_cla_episode_ceased_reason IS DISTINCT FROM 'X1'
        AND o.clae_cla_episode_ceased_date > $from12 AND o.clae_cla_episode_ceased_date <= e.entered) THEN 'Y' ELSE 'N' END
        AS second_period,
    p.clap_ext_placement_la AS placement_la,
    CASE WHEN p.clap_ext_placement_la IS NULL OR $own_la IS NULL THEN NULL
         WHEN p.clap_ext_placement_la = $own_la THEN 'Inside LA boundary' ELSE 'Outside LA boundary' END AS location,
    r.miss_missing_rhi_offered AS ri_offered, r.miss_missing_rhi_accepted AS ri_accepted
FROM current e
LEFT JOIN placed p ON p.clap_cla_id = e.clae_cla_id
LEFT JOIN (
    SELECT miss_person_id, miss_missing_rhi_offered, miss_missing_rhi_accepted FROM ssd_missing
    WHERE miss_missing_episode_type = 'M' AND miss_missing_episode_start_date > $from12 AND miss_missing_episode_start_date <= $as_at
    QUALIFY row_number() OVER (PARTITION BY miss_person_id ORDER BY miss_missing_episode_start_date DESC, miss_table_id DESC) = 1
) r ON r.miss_person_id = e.clae_person_id
WHERE e.entered <= $as_at AND (e.ceased IS NULL OR e.ceased > $from6)""",
    9: """
SELECT c.clea_person_id AS child, c.clea_care_leaver_personal_advisor AS pa, c.clea_care_leaver_eligibility AS eligibility,
    CASE WHEN c.clea_pathway_plan_review_date <= $as_at THEN c.clea_pathway_plan_review_date END AS review,
    c.clea_care_leaver_in_touch AS in_touch, c.contact, c.clea_care_leaver_accommodation AS accom,
    CASE c.clea_care_leaver_accom_suitable WHEN 'Y' THEN 'Suitable' WHEN 'N' THEN 'Unsuitable' END AS suitable,
    c.clea_care_leaver_activity AS activity, d.dept_team_name AS own_team, w.prof_professional_name AS own_worker,
    CASE WHEN EXISTS (SELECT 1 FROM ssd_immigration_status u WHERE u.immi_person_id = c.clea_person_id
        AND u.immi_immigration_status = 'UASC' AND coalesce(u.immi_immigration_status_start_date, $as_at) <= $as_at)
        THEN 'Y' ELSE 'N' END AS uasc
FROM (
    SELECT *, coalesce(clea_care_leaver_latest_contact, clea_ext_record_date) AS contact FROM ssd_care_leavers
    WHERE coalesce(clea_care_leaver_latest_contact, clea_ext_record_date) BETWEEN $from12 + INTERVAL 1 DAY AND $as_at
    QUALIFY row_number() OVER (PARTITION BY clea_person_id ORDER BY contact DESC, clea_table_id DESC) = 1
) c
LEFT JOIN ssd_department d ON d.dept_team_id = c.clea_care_leaver_allocated_team
LEFT JOIN ssd_professionals w ON w.prof_professional_id = c.clea_care_leaver_worker_id""",
    10: f"""
WITH dated AS (
    SELECT p.*, {_upto("p.perm_permanence_order_date")} AS adopted, {_upto("p.perm_decision_reversed_date")} AS reversed
    FROM ssd_permanence p WHERE p.perm_adm_decision_date <= $as_at
)
SELECT p.perm_person_id AS child,
    (SELECT min(coalesce(e.clae_entered_care_date, e.clae_cla_episode_start_date)) FROM ssd_cla_episodes e
        WHERE e.clae_cla_id = p.perm_cla_id) AS entered,
    p.perm_adm_decision_date AS adm, {_upto("p.perm_placement_order_date")} AS po, {_upto("p.perm_matched_date")} AS matched,
    {_upto("p.perm_placed_for_adoption_date")} AS placed,
    CASE WHEN p.perm_permanence_order_type ILIKE 'adoption%' THEN p.adopted END AS "order",
    p.reversed, CASE WHEN p.reversed IS NOT NULL THEN p.perm_decision_reversed_reason END AS reversed_reason,
    {_upto("p.perm_placed_ffa_cp_date")} AS ffa,
    (SELECT min(g.sibg_group_id) FROM ext_sibling_group g WHERE g.sibg_person_id = p.perm_person_id) AS family
FROM dated p
WHERE coalesce(p.adopted, p.reversed) IS NULL OR coalesce(p.adopted, p.reversed) > $from24""",
}
# List 11: the authority's own adoption agency's prospective and approved adopters with an open record at any
# time in the 12 months (an enquiry, assessment, approval, wait, match or placement), one row per adopter. The
# model holds households: each adopter is the household id with their number in it, the household the family.
ADOPTERS_SQL = """
WITH a AS (
    SELECT * FROM ext_adopter
    WHERE adop_agency = 'OWN' AND adop_registration_date <= $as_at AND (adop_end_date IS NULL OR adop_end_date > $from12)
), matches AS (
    SELECT adma_adopter_id AS id,
        max(adma_matched_date) FILTER (WHERE adma_matched_date <= $as_at) AS matched,
        max(adma_placed_date) FILTER (WHERE adma_placed_date <= $as_at) AS placed,
        nullif(count(*) FILTER (WHERE adma_placed_date <= $as_at), 0) AS children_placed,
        max(adma_adoption_order_date) FILTER (WHERE adma_adoption_order_date <= $as_at) AS "order",
        bool_or(EXISTS (SELECT 1 FROM ssd_permanence p WHERE p.perm_person_id = adma_person_id
            AND p.perm_placed_ffa_cp_date <= $as_at)) AS ffa
    FROM ext_adoption_match WHERE adma_adopter_id IN (SELECT adop_adopter_id FROM a) GROUP BY 1
)
SELECT a.adop_adopter_id || '-' || n.n AS adopter, a.adop_adopter_id AS family, NULL::VARCHAR AS sex,
    CASE WHEN n.n = 1 THEN a.adop_ethnicity END AS ethnicity, NULL::VARCHAR AS disability,
    CASE WHEN m.ffa THEN 'Yes' ELSE 'No' END AS ffa,
    a.adop_registration_date AS enquiry, {stage1} AS stage1_start, {stage1_end} AS stage1_end, {stage2} AS stage2_start,
    {stage2_end} AS stage2_end, {submitted} AS submitted, {approved} AS approved,
    m.matched, m.placed, m.children_placed, m."order", {left} AS "left", CASE WHEN {left} IS NOT NULL THEN {reason} END AS left_reason
FROM a CROSS JOIN range(1, 3) AS n(n)
LEFT JOIN matches m ON m.id = a.adop_adopter_id
WHERE n.n <= coalesce(a.adop_number_of_adopters, 1)
ORDER BY family, adopter
""".format(
    stage1=_upto("a.adop_stage1_start_date"),
    stage1_end=_upto("a.adop_stage1_end_date"),
    stage2=_upto("a.adop_stage2_start_date"),
    stage2_end=_upto("a.adop_stage2_end_date"),
    submitted=_upto("a.adop_application_date"),
    approved=_upto("a.adop_approval_date"),
    # leaving the process by the date, for any reason but an adoption (shown by its order)
    left="(CASE WHEN a.adop_end_reason IS DISTINCT FROM 'ADOPTED' THEN {} END)".format(_upto("a.adop_end_date")),
    reason="CASE {} WHEN starts_with(a.adop_end_reason, '{}') THEN substr(a.adop_end_reason, {}) END".format(
        " ".join(f"WHEN a.adop_end_reason = '{k}' THEN '{v}'" for k, v in LEAVING_REASON.items()), OTHER_LEAVING, len(OTHER_LEAVING) + 1
    ),
)
# Coded answers written as Annex A words them, so a reader sees the meaning (the loader reads both).
TEXT_OF = {"sex": SEX_TEXT, "initial": ABUSE_TEXT, "latest": ABUSE_TEXT}


def file_name(as_at: dt.date) -> str:
    return f"annex_a_{as_at.isoformat()}.xlsx"


def lists(con: duckdb.DuckDBPyConnection, as_at: dt.date) -> dict[int, pd.DataFrame]:
    """Each list's rows (one column per template field), in template order, for the reference date."""
    params = {"as_at": as_at, "own_la": _own_la(con), **{f"from{m}": as_at - relativedelta(months=m) for m in (6, 12, 24)}}
    out = {}
    for number, sql in LISTS_SQL.items():
        if "own_team" not in sql:  # only care leavers carry their own team: elsewhere the allocation is the child's
            sql = f"SELECT *, NULL::VARCHAR AS own_team, NULL::VARCHAR AS own_worker FROM ({sql})"
        query = f"WITH rows AS ({sql}), {ALLOCATION.strip()} {PERSON}"
        frame = con.execute(query, {k: v for k, v in params.items() if f"${k}" in query}).df()
        fields = [f for _, f in TEMPLATE[number]]
        for f in fields:
            if f not in frame.columns:
                frame[f] = None  # a template column the model does not hold (e.g. UASC in list 8)
        for f, text in ((f, t) for f, t in TEXT_OF.items() if f in fields):
            frame[f] = frame[f].map(lambda v, t=text: t.get(v, v) if isinstance(v, str) else v)
        order = ["child", REQUIRED_DATE.get(number, "contact")]  # by child, then the date that places each row
        out[number] = frame[fields].sort_values(order, kind="stable").reset_index(drop=True)
    adopters = con.execute(ADOPTERS_SQL, {k: v for k, v in params.items() if f"${k}" in ADOPTERS_SQL}).df()
    adopters["left_reason"] = adopters["left_reason"].map(lambda v: int(v) if isinstance(v, str) and v.isdigit() else v)  # a code
    out[11] = adopters[[f for _, f in TEMPLATE[11]]]
    return out


def _own_la(con: duckdb.DuckDBPyConnection) -> str | None:
    """The authority's ONS code (as placements' authorities are held), from D2I's lookup by its name; None when
    the warehouse names no authority or the lookup does not know it (then list 8's placement location is blank)."""
    from cscperf.postcodes import ons_code

    row = con.execute("SELECT auth_la_name FROM ext_authority ORDER BY auth_la_code LIMIT 1").fetchone()
    return ons_code(row[0]) if row and row[0] else None


def write_at(con: duckdb.DuckDBPyConnection, as_at: dt.date, out_dir: Path) -> WrittenReturn:
    """Write the Annex A workbook as it stood on `as_at` into `out_dir` (0600; written whole or not at all)."""
    frames = selected(con, as_at)
    path = output_folder(Path(out_dir)) / file_name(as_at)
    save(frames, path)
    children = frozenset(children_in(frames))
    counts = {f"list_{n}": len(f) for n, f in frames.items()} | {"children": len(children)}
    return WrittenReturn("annex-a", as_at.year if as_at.month <= 3 else as_at.year + 1, (path,), children, counts)


def selected(con: duckdb.DuckDBPyConnection, as_at: dt.date) -> dict[int, pd.DataFrame]:
    """The lists for `as_at`, or a UserError when every list is empty (a date the warehouse does not cover)."""
    frames = lists(con, as_at)
    if all(f.empty for f in frames.values()):
        raise UserError(f"Annex A at {as_at}: the warehouse has no records in any list's look-back (nothing to write)")
    return frames


def children_in(frames: dict[int, pd.DataFrame]) -> set[str]:
    return {str(c) for n, f in frames.items() if "child" in f.columns for c in f["child"].dropna()}


def write(con: duckdb.DuckDBPyConnection, year: int, out_dir: Path) -> WrittenReturn:
    """The shared return interface: Annex A as at 31 March of `year` (the end of the collection year)."""
    return write_at(con, dt.date(year, 3, 31), out_dir)


def save(frames: dict[int, pd.DataFrame], path: Path) -> None:
    """The workbook is built in memory, written beside `path` and renamed over it, so a failure leaves no half file."""
    data = workbook_bytes(frames)
    partial = path.with_name(f".{path.name}.partial")
    try:
        with open_private(partial, binary=True) as fh:
            fh.write(data)
        os.replace(partial, path)
    except OSError as exc:
        raise cannot_write(path, exc) from None
    finally:
        partial.unlink(missing_ok=True)


def workbook_bytes(frames: dict[int, pd.DataFrame]) -> bytes:
    """The workbook: a sheet per list, its header row and rows as a named Excel table (screen readers
    announce the table and its column headers); text is written as text, never as a formula."""
    import xlsxwriter

    buffer = io.BytesIO()
    wb = xlsxwriter.Workbook(buffer, {"in_memory": True, "strings_to_formulas": False, "strings_to_numbers": False})
    wb.set_properties({"title": TEMPLATE_VERSION})
    head = wb.add_format({"bold": True, "text_wrap": True})
    date = wb.add_format({"num_format": "dd/mm/yyyy"})
    for number, columns in TEMPLATE.items():
        ws = wb.add_worksheet(f"List {number}")
        headers = [header for header, _ in columns]
        frame = frames[number]
        for c, header in enumerate(headers):
            ws.write_string(0, c, header, head)
            ws.set_column(c, c, min(max(12, len(header) * 0.6), 40))
        for r, row in enumerate(frame.itertuples(index=False), start=1):
            for c, value in enumerate(row):
                _write(ws, r, c, _cell(value), date)
        if len(frame):
            name = f"List{number}_{LIST_NAMES[number].split()[0]}"
            table = {"name": name, "columns": [{"header": h, "header_format": head} for h in headers], "style": "Table Style Light 1"}
            ws.add_table(0, 0, len(frame), len(headers) - 1, table)
        ws.freeze_panes(1, 1)
    wb.close()
    return buffer.getvalue()


def _write(ws: object, row: int, col: int, value: object, date: object) -> None:
    if value is None:
        return
    if isinstance(value, dt.date):
        ws.write_datetime(row, col, dt.datetime.combine(value, dt.time()), date)  # type: ignore[attr-defined]
    elif isinstance(value, str):
        ws.write_string(row, col, str(value))  # type: ignore[attr-defined]
    else:
        ws.write_number(row, col, value)  # type: ignore[attr-defined]


def _cell(value: object) -> object:
    """A value as the sheet holds it: dates as dates, numbers as numbers, text neutralised (never a formula)."""
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return None
    if isinstance(value, pd.Timestamp):
        return value.date()
    if isinstance(value, dt.datetime):
        return value.date()
    if hasattr(value, "item"):  # numpy scalars
        return value.item()
    return neutralise(value) if isinstance(value, str) else value
