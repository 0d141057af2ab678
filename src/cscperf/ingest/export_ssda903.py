"""Write the SSDA903 (children looked after) CSV set for a collection year from the warehouse.

Files are named `<table>_<YYYY>.csv` (header, episodes, reviews, uasc, missing, oc2, oc3,
placed_for_adoption, ad1, previous_permanence, sw_episodes) so several years can sit in one folder
and `cscperf load ssda903 DIR` knows each file's year. The year ending 31 March YYYY holds every
episode open at some point from 1 April YYYY-1 (an episode still open at 31 March has no DEC),
the reviews, missing episodes and social worker episodes of those children in the year, OC3 rows
recorded in the year and adoption records of children in the return.

The files are child-level: written mode 0600 with formula-like text neutralised like every export
(`cscperf.files`). No valid 903 value begins with =, +, -, @, a tab or a carriage return (codes,
ids, postcodes and DD/MM/YYYY dates), so the codes DfE expects are never altered; a value that does
is invalid for DfE anyway and was flagged as a warning when it was loaded.
"""

from __future__ import annotations

from pathlib import Path

import duckdb
import pandas as pd

from cscperf.errors import UserError
from cscperf.files import output_folder, write_csv
from cscperf.returns.written import year_bounds

SEX_CODE = {"M": "1", "F": "2"}
FLAG_CODE = {"Y": "1", "N": "0"}


def _q(con: duckdb.DuckDBPyConnection, sql: str, params: list) -> pd.DataFrame:
    if params and "$1" not in sql:  # DuckDB wants every parameter used: pass only the year end
        sql, params = sql.replace("$2", "$1"), params[1:]
    return con.execute(sql, params).df()


def _dates(frame: pd.DataFrame) -> pd.DataFrame:
    """Dates as DD/MM/YYYY (the 903 convention), missing values as empty cells."""
    out = frame.copy()
    for col in out.columns:
        if pd.api.types.is_datetime64_any_dtype(out[col]):
            out[col] = out[col].dt.strftime("%d/%m/%Y")
    return out.astype(object).where(out.notna(), "")


EPISODES_SQL = """
WITH e AS (
  SELECT * FROM ssd_cla_episodes
  WHERE clae_cla_episode_start_date <= $2 AND (clae_cla_episode_ceased_date IS NULL OR clae_cla_episode_ceased_date >= $1)
)
SELECT e.clae_person_id AS CHILD, e.clae_cla_episode_start_date AS DECOM, e.clae_cla_episode_start_reason AS RNE,
       e.clae_ext_legal_status AS LS, e.clae_cla_primary_need_code AS CIN, p.clap_cla_placement_type AS PLACE,
       p.clap_cla_placement_provider AS PLACE_PROVIDER,
       CASE WHEN e.clae_cla_episode_ceased_date <= $2 THEN e.clae_cla_episode_ceased_date END AS DEC,
       CASE WHEN e.clae_cla_episode_ceased_date <= $2 THEN e.clae_cla_episode_ceased_reason END AS REC,
       CASE WHEN e.clae_cla_episode_ceased_date <= $2 AND e.clae_cla_episode_ceased_date = p.clap_cla_placement_end_date
            THEN p.clap_cla_placement_change_reason END AS REASON_PLACE_CHANGE,
       NULL AS HOME_POST, p.clap_cla_placement_postcode AS PL_POST, p.clap_cla_placement_urn AS URN
FROM e LEFT JOIN ssd_cla_placement p ON p.clap_cla_placement_id = e.clae_cla_placement_id
ORDER BY CHILD, DECOM
"""


def collect(con: duckdb.DuckDBPyConnection, year: int) -> dict[str, pd.DataFrame]:
    """The 903 tables of one collection year, with 903 column names."""
    start, end = year_bounds(year)
    p = [start, end]
    episodes = _q(con, EPISODES_SQL, p)
    oc3 = _q(
        con,
        "SELECT clea_person_id AS CHILD, clea_care_leaver_in_touch AS IN_TOUCH, clea_care_leaver_activity AS ACTIV, "
        "clea_care_leaver_accommodation AS ACCOM FROM ssd_care_leavers WHERE clea_ext_record_date BETWEEN $1 AND $2 ORDER BY CHILD",
        p,
    )
    con.register("_children", pd.DataFrame({"CHILD": sorted(set(episodes["CHILD"]) | set(oc3["CHILD"]))}, dtype=object))
    try:
        out = _per_child(con, p)
    finally:
        con.unregister("_children")
    dob = out["header"].set_index("CHILD")["DOB"]
    out["episodes"], out["oc3"] = episodes, oc3
    for name in ("oc3",):
        out[name].insert(1, "DOB", out[name]["CHILD"].map(dob))
    return out


def _child_sql(table: str, person: str, select: str, where: str = "TRUE", order: str = "CHILD") -> str:
    """Rows of `table` for the children in the return, with their DOB, under 903 column names."""
    return (
        f"SELECT {person} AS CHILD, pers_dob AS DOB, {select} FROM {table} LEFT JOIN ssd_person ON pers_person_id = {person} "
        f"WHERE {person} IN (SELECT CHILD FROM _children) AND {where} ORDER BY {order}"
    )


PER_CHILD = {
    "reviews": (
        "ssd_cla_reviews",
        "clar_ext_person_id",
        "clar_cla_review_date AS REVIEW, clar_cla_review_participation AS REVIEW_CODE",
        "clar_cla_review_date BETWEEN $1 AND $2",
        "CHILD, REVIEW",
    ),
    "missing": (
        "ssd_missing",
        "miss_person_id",
        "miss_missing_episode_type AS MISSING, miss_missing_episode_start_date AS MIS_START, miss_missing_episode_end_date AS MIS_END",
        "miss_missing_episode_start_date BETWEEN $1 AND $2",
        "CHILD, MIS_START",
    ),
    "placed_for_adoption": (
        "ssd_permanence",
        "perm_person_id",
        "perm_adm_decision_date AS DATE_PLACED, perm_decision_reversed_date AS DATE_PLACED_CEASED, "
        "perm_decision_reversed_reason AS REASON_PLACED_CEASED",
        "perm_adm_decision_date <= $2",
        "CHILD, DATE_PLACED",
    ),
    "ad1": (
        "ssd_permanence",
        "perm_person_id",
        "perm_adm_decision_date AS DATE_INT, perm_matched_date AS DATE_MATCH, perm_adopted_by_carer_flag AS FOSTER_CARE, "
        "perm_number_of_adopters AS NB_ADOPTR, perm_adopter_sex AS SEX_ADOPTR, perm_adopter_legal_status AS LS_ADOPTR",
        "perm_permanence_order_date BETWEEN $1 AND $2 AND perm_matched_date IS NOT NULL",
        "CHILD",
    ),
    "previous_permanence": (
        "ssd_cla_previous_permanence",
        "lapp_person_id",
        "lapp_previous_permanence_option AS PREV_PERM, lapp_previous_permanence_la AS LA_PERM, "
        "lapp_previous_permanence_order_date AS DATE_PERM",
        "TRUE",
        "CHILD",
    ),
    "sw_episodes": (
        "ssd_involvements",
        "invo_person_id",
        "invo_professional_id AS SW_ID, invo_involvement_start_date AS SW_DECOM, "
        "CASE WHEN invo_involvement_end_date <= $2 THEN invo_involvement_end_date END AS SW_DEC, invo_worker_change_reason AS SW_REASON",
        "invo_involvement_start_date <= $2 AND (invo_involvement_end_date IS NULL OR invo_involvement_end_date >= $1) "
        "AND invo_professional_id IS NOT NULL",
        "CHILD, SW_DECOM",
    ),
}


def _per_child(con: duckdb.DuckDBPyConnection, p: list) -> dict[str, pd.DataFrame]:
    people = "SELECT * FROM ssd_person WHERE pers_person_id IN (SELECT CHILD FROM _children) ORDER BY pers_person_id"
    uasc = (
        "SELECT immi_person_id AS CHILD, pers_sex AS SEX, pers_dob AS DOB, immi_immigration_status_end_date AS DUC "
        "FROM ssd_immigration_status JOIN ssd_person ON pers_person_id = immi_person_id "
        "WHERE immi_person_id IN (SELECT CHILD FROM _children) ORDER BY CHILD"
    )
    out = {"header": _header(_q(con, people, [])), "uasc": _q(con, uasc, [])}
    for name, spec in PER_CHILD.items():
        sql = _child_sql(*spec)
        out[name] = _q(con, sql, p if "$" in sql else [])
    out["uasc"]["SEX"] = out["uasc"]["SEX"].map(SEX_CODE)
    return out


def _header(people: pd.DataFrame) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "CHILD": people["pers_person_id"],
            "SEX": people["pers_sex"].map(SEX_CODE),
            "DOB": people["pers_dob"],
            "ETHNIC": people["pers_ethnicity"],
            "UPN": people["pers_upn_unknown"],
            "MOTHER": people["pers_is_mother"].map(FLAG_CODE),
            "MC_DOB": None,
        }
    )


def export_ssda903(con: duckdb.DuckDBPyConnection, year: int, out_dir: Path) -> dict[str, int]:
    """Write the CSV set for `year` into `out_dir`; returns rows written per file."""
    return write_ssda903(prepare(con, year, out_dir), year, out_dir)


def prepare(con: duckdb.DuckDBPyConnection, year: int, out_dir: Path) -> dict[str, pd.DataFrame]:
    """Check the request and collect the year's tables (`write_ssda903` writes them)."""
    out_dir = Path(out_dir)
    if out_dir.exists() and not out_dir.is_dir():
        raise UserError(f"{out_dir}: exists and is not a folder")
    if not 2000 <= year <= 2100:
        raise UserError(f"--year {year}: not a collection year")
    return collect(con, year)


def children(tables: dict[str, pd.DataFrame]) -> set[str]:
    """Every child id in the return's tables."""
    return {str(c) for frame in tables.values() if "CHILD" in frame.columns for c in frame["CHILD"].dropna()}


def write_ssda903(tables: dict[str, pd.DataFrame], year: int, out_dir: Path) -> dict[str, int]:
    """Write collected tables as `<table>_<year>.csv` files; returns rows written per file."""
    out_dir = output_folder(out_dir)
    written = {}
    for name, frame in tables.items():
        path = out_dir / f"{name}_{year}.csv"
        write_csv(_dates(frame), path)
        written[path.name] = len(frame)
    return written
