"""Data-quality checks over what is loaded (`cscperf validate`).

Each check is one SQL query returning rows of (rule, table, record_id, person_id, detail), so the
checks run inside DuckDB whatever the size of the warehouse.
"""

from __future__ import annotations

import duckdb
import pandas as pd

from cscperf.ingest.core import date_pairs
from cscperf.ingest.ssda903 import code_lists
from cscperf.ingest.upn import FORMER_UPN_TYPE, UPN_TYPE
from cscperf.ingest.upn import problem as upn_problem
from cscperf.warehouse import BY_NAME, TABLES

COLUMNS = ["rule", "table", "record_id", "person_id", "detail"]
OPEN_END = "DATE '9999-12-31'"


def _person(table: str) -> str:
    cols = BY_NAME[table].column_names
    return next((c for c in cols if c.endswith("person_id")), "NULL")


def _id(table: str) -> str:
    t = BY_NAME[table]
    return t.primary_key[0] if t.primary_key else t.column_names[0]


def _end_before_start() -> list[str]:
    out = []
    for t in TABLES:
        for start, end in date_pairs(t):
            out.append(
                f"SELECT 'end before start', '{t.name}', CAST({_id(t.name)} AS VARCHAR), CAST({_person(t.name)} AS VARCHAR), "
                f"'{end} ' || {end} || ' is before {start} ' || {start} FROM {t.name} WHERE {end} < {start}"
            )
    return out


def _overlaps(table: str, start: str, end: str, label: str) -> str:
    pid, key = _person(table), _id(table)
    return (
        f"SELECT 'overlapping {label}', '{table}', a.{key}, a.{pid}, 'overlaps ' || b.{key} || ' (' || b.{start} || ' to ' || "
        f"coalesce(CAST(b.{end} AS VARCHAR), 'open') || ')' FROM {table} a JOIN {table} b ON a.{pid} = b.{pid} AND a.{key} < b.{key} "
        f"AND a.{start} < coalesce(b.{end}, {OPEN_END}) AND b.{start} < coalesce(a.{end}, {OPEN_END})"
    )


def _unallocated() -> str:
    return (
        "SELECT 'open case with no allocated worker', 'ssd_cin_episodes', cine_referral_id, cine_person_id, "
        "'referral ' || cine_referral_date || ' is open and no worker is allocated today' FROM ssd_cin_episodes e "
        "WHERE cine_close_date IS NULL AND NOT EXISTS (SELECT 1 FROM ssd_involvements i WHERE i.invo_person_id = e.cine_person_id "
        "AND i.invo_involvement_start_date <= current_date AND coalesce(i.invo_involvement_end_date, current_date) >= current_date)"
    )


def _visits_closed(visits: str, vid: str, vperson: str, vdate: str, cases: str, cperson: str, cstart: str, cend: str, label: str) -> str:
    return (
        f"SELECT 'visit when no {label} was open', '{visits}', v.{vid}, v.{vperson}, 'visit on ' || v.{vdate} FROM {visits} v "
        f"WHERE v.{vdate} IS NOT NULL AND NOT EXISTS (SELECT 1 FROM {cases} c WHERE c.{cperson} = v.{vperson} "
        f"AND c.{cstart} <= v.{vdate} AND coalesce(c.{cend}, {OPEN_END}) >= v.{vdate})"
    )


# The date that places each record in time: without it no return, list or indicator can use the record
# (DfE's rules never see it, since the returns select records by these dates).
REQUIRED_DATES = {
    "ssd_contacts": "cont_contact_date",
    "ssd_early_help_episodes": "earl_episode_start_date",
    "ssd_cin_episodes": "cine_referral_date",
    "ssd_cin_assessments": "cina_assessment_start_date",
    "ssd_cin_plans": "cinp_cin_plan_start_date",
    "ssd_cin_visits": "cinv_cin_visit_date",
    "ssd_s47_enquiry": "s47e_s47_start_date",
    "ssd_cp_plans": "cppl_cp_plan_start_date",
    "ssd_cp_visits": "cppv_cp_visit_date",
    "ssd_cla_episodes": "clae_cla_episode_start_date",
    "ssd_cla_placement": "clap_cla_placement_start_date",
    "ssd_cla_visits": "clav_cla_visit_date",
    "ssd_missing": "miss_missing_episode_start_date",
}


def _missing_dates() -> list[str]:
    return [
        f"SELECT 'missing required date', '{table}', CAST({_id(table)} AS VARCHAR), CAST({_person(table)} AS VARCHAR), "
        f"'{column} is empty' FROM {table} WHERE {column} IS NULL"
        for table, column in REQUIRED_DATES.items()
    ]


def _duplicate_ids() -> list[str]:
    """Records sharing an id: a second copy of a record double-counts it everywhere."""
    out = []
    for t in TABLES:
        if len(t.primary_key) == 1:
            key, pid = t.primary_key[0], _person(t.name)
            out.append(
                f"SELECT 'duplicate record id', '{t.name}', CAST({key} AS VARCHAR), CAST(any_value({pid}) AS VARCHAR), "
                f"'{key} appears ' || count(*) || ' times' FROM {t.name} WHERE {key} IS NOT NULL GROUP BY {key} HAVING count(*) > 1"
            )
    return out


CODE_CHECKS = [  # (table, column, 903 field, date column deciding the collection year)
    ("ssd_cla_episodes", "clae_cla_episode_start_reason", "RNE", "clae_cla_episode_start_date"),
    ("ssd_cla_episodes", "clae_cla_episode_ceased_reason", "REC", "clae_cla_episode_start_date"),
    ("ssd_cla_episodes", "clae_ext_legal_status", "LS", "clae_cla_episode_start_date"),
    ("ssd_cla_placement", "clap_cla_placement_type", "PLACE", "clap_cla_placement_start_date"),
    ("ssd_cla_placement", "clap_cla_placement_provider", "PLACE_PROVIDER", "clap_cla_placement_start_date"),
    ("ssd_cla_reviews", "clar_cla_review_participation", "REVIEW_CODE", "clar_cla_review_date"),
    ("ssd_missing", "miss_missing_episode_type", "MISSING", "miss_missing_episode_start_date"),
]


def _codes_frame() -> pd.DataFrame:
    rows = [
        (field, v["from"], v["to"] if v["to"] is not None else 9999, str(code))
        for field, versions in code_lists().items()
        for v in versions
        for code in v["codes"]
    ]
    return pd.DataFrame(rows, columns=["field", "year_from", "year_to", "code"])


def _unknown_codes(table: str, column: str, field: str, date: str) -> str:
    year = f"(year({date}) + CASE WHEN month({date}) >= 4 THEN 1 ELSE 0 END)"
    return (
        f"SELECT 'unknown code', '{table}', CAST({_id(table)} AS VARCHAR), {_person(table)}, "
        f"'{column} = ' || {column} || ' is not a {field} code for ' || ({year} - 1) || '-' || right(CAST({year} AS VARCHAR), 2) "
        f"FROM {table} t WHERE {column} IS NOT NULL AND {date} IS NOT NULL AND NOT EXISTS (SELECT 1 FROM _codes c "
        f"WHERE c.field = '{field}' AND c.code = t.{column} AND {year} BETWEEN c.year_from AND c.year_to)"
    )


def _orphans() -> list[str]:
    out = []
    for t in TABLES:
        for col, target in t.foreign_keys.items():
            ttable, tcol = target.split(".")
            out.append(
                f"SELECT 'orphaned reference', '{t.name}', CAST({_id(t.name)} AS VARCHAR), CAST({_person(t.name)} AS VARCHAR), "
                f"'{col} = ' || {col} || ' not found in {ttable}' FROM {t.name} s WHERE {col} IS NOT NULL "
                f"AND NOT EXISTS (SELECT 1 FROM {ttable} r WHERE r.{tcol} = s.{col})"
            )
    return out


def queries() -> list[str]:
    return [
        *_end_before_start(),
        _overlaps("ssd_cp_plans", "cppl_cp_plan_start_date", "cppl_cp_plan_end_date", "child protection plans"),
        _overlaps("ssd_cla_episodes", "clae_cla_episode_start_date", "clae_cla_episode_ceased_date", "looked-after episodes"),
        _unallocated(),
        _visits_closed(
            "ssd_cin_visits",
            "cinv_cin_visit_id",
            "cinv_person_id",
            "cinv_cin_visit_date",
            "ssd_cin_episodes",
            "cine_person_id",
            "cine_referral_date",
            "cine_close_date",
            "referral",
        ),  # fmt: skip
        _visits_closed(
            "ssd_cp_visits",
            "cppv_cp_visit_id",
            "cppv_person_id",
            "cppv_cp_visit_date",
            "ssd_cp_plans",
            "cppl_person_id",
            "cppl_cp_plan_start_date",
            "cppl_cp_plan_end_date",
            "child protection plan",
        ),  # fmt: skip
        _visits_closed(
            "ssd_cla_visits",
            "clav_cla_visit_id",
            "clav_person_id",
            "clav_cla_visit_date",
            "ssd_cla_episodes",
            "clae_person_id",
            "clae_cla_episode_start_date",
            "clae_cla_episode_ceased_date",
            "looked-after episode",
        ),  # fmt: skip
        *(_unknown_codes(*c) for c in CODE_CHECKS),
        *_orphans(),
        *_missing_dates(),
        *_duplicate_ids(),
    ]


def _upns(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """UPNs (current or former) that DfE's format or check letter refuses."""
    rows = con.execute(
        "SELECT link_table_id, link_person_id, link_identifier_type, link_identifier_value FROM ssd_linked_identifiers "
        f"WHERE link_identifier_type IN ('{UPN_TYPE}', '{FORMER_UPN_TYPE}') AND link_identifier_value IS NOT NULL"
    ).fetchall()
    bad = [
        ("invalid UPN", "ssd_linked_identifiers", row_id, person, f"{kind} {value}: {why}")
        for row_id, person, kind, value, why in ((*r, upn_problem(r[3])) for r in rows)
        if why
    ]
    return pd.DataFrame(bad, columns=COLUMNS)


def run_checks(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """Every problem found, one row each, ordered by rule, table and record."""
    con.register("_codes", _codes_frame())
    try:
        frames = [con.execute(q).df().set_axis(COLUMNS, axis=1) for q in queries()]
    finally:
        con.unregister("_codes")
    frames.append(_upns(con))
    frames = [f for f in frames if not f.empty]
    if not frames:
        return pd.DataFrame(columns=COLUMNS)
    return pd.concat(frames, ignore_index=True).sort_values(["rule", "table", "record_id"], kind="stable").reset_index(drop=True)


def describe(problems: pd.DataFrame, limit: int = 50) -> str:
    if problems.empty:
        return "no data-quality problems found"
    counts = problems.groupby(["rule", "table"]).size()
    lines = [f"{len(problems)} data-quality problems:"]
    lines += [f"  {n:>7}  {rule} ({table})" for (rule, table), n in counts.items()]
    lines.append(f"\n{'rule':<38}{'table':<24}{'record id':<28}{'person id':<14}detail")
    for r in problems.head(limit).itertuples(index=False):
        lines.append(f"{r.rule:<38}{r.table:<24}{str(r.record_id):<28}{str(r.person_id):<14}{r.detail}")
    if len(problems) > limit:
        lines.append(f"... and {len(problems) - limit} more (use --out FILE.csv for all)")
    return "\n".join(lines)
