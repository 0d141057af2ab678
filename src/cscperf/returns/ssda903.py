"""The SSDA903 return (children looked after) for one collection year, as DfE's guidance for that year asks.

Files are named `<table>_<YYYY>.csv` (header, episodes, reviews, uasc, missing, oc2, oc3, placed_for_adoption,
ad1, previous_permanence, sw_episodes) so several years sit in one folder and `cscperf load ssda903 DIR`
knows each file's year; `ssda903_<YYYY>.xml` holds the same records in DfE's XML layout (<EXPSSDA903>), and
loading the folder reads the return once, from the CSV files.

What each table holds for the year ending 31 March YYYY (1 April YYYY-1 to 31 March YYYY):
- episodes open at some point in the year (an episode still open at 31 March has no DEC); short breaks
  (legal status V3/V4) have no postcodes or URN; temporary placements (T*, Z1*) no provider;
- header, one row per child in the episodes or OC3: sex as the year's code list has it (1/2 until 2023-24,
  M/F/U from 2024-25), UPN from `ssd_linked_identifiers` (else the UPN-unknown reason), MOTHER (0/1) for girls
  looked after other than on short breaks;
- OC2: children looked after continuously for the 12 months to 31 March (not on short breaks);
- OC3: care leavers whose 17th to 21st birthday falls in the year and who had left care before it (rule 1016);
- AD1: children adopted in the year (episode ceased E11/E12), FOSTER_CARE 0/1;
- previous permanence: children who started to be looked after in the year (RNE S), as recorded;
- social worker episodes (from 2023-24) of the children looked after, by Social Work England number.

The files are child-level: written mode 0600 with formula-like text neutralised (`cscperf.files`), into a
temporary folder renamed into place, so a failure leaves nothing half-written.
"""

from __future__ import annotations

import datetime as dt
import shutil
import tempfile
from pathlib import Path

import duckdb
import pandas as pd
from lxml import etree

from cscperf.errors import NoRecords, UserError
from cscperf.files import open_private, output_folder, write_csv
from cscperf.ingest.ssda903 import KINDS, valid_codes
from cscperf.returns.written import WrittenReturn, year_bounds

FIRST_YEAR = 2000  # written in the 2017-18 layout for any earlier year (DfE's rules cover 2022-23 onwards)
SW_EPISODES_FROM = 2024  # social worker episodes were added to the return in 2023-24
SHORT_BREAKS = ("V3", "V4")
NO_PROVIDER = ("T0", "T1", "T2", "T3", "T4", "Z1", "Z11", "Z12", "Z13", "Z14")  # temporary placements (rule 213)
UPN_TYPE = "Unique Pupil Number"
TABLES = (
    "header",
    "episodes",
    "reviews",
    "uasc",
    "oc2",
    "oc3",
    "ad1",
    "placed_for_adoption",
    "previous_permanence",
    "missing",
    "sw_episodes",
)


def tables_for(year: int) -> tuple[str, ...]:
    """The tables of the year's return, in DfE's order."""
    return tuple(t for t in TABLES if t != "sw_episodes" or year >= SW_EPISODES_FROM)


def columns(table: str) -> list[str]:
    return KINDS[table][0]


def sex_code(year: int) -> dict[str, str]:
    """cscperf's M/F/U to the year's SEX codes: M/F/U from 2024-25 (rule 101), 1/2 before."""
    if "M" in (valid_codes("SEX", year) or set()):
        return {"M": "M", "F": "F", "U": "U"}
    return {"M": "1", "F": "2"}


def place_code(year: int) -> dict[str, str]:
    """Placement codes that the year's list replaces: supported accommodation, H5 until Ofsted registered it, is K3
    from the year K3 is listed (2024-25; DfE's rule 503D accepts an open H5 placement coming back as K3 that year)."""
    if "K3" in (valid_codes("PLACE", year) or set()):
        return {"H5": "K3"}
    return {}


def _q(con: duckdb.DuckDBPyConnection, sql: str, start: dt.date, end: dt.date) -> pd.DataFrame:
    params = [p for n, p in (("$1", start), ("$2", end)) if n in sql]
    if "$2" in sql and "$1" not in sql:
        sql = sql.replace("$2", "$1")
    return con.execute(sql, params).df()


EPISODES_SQL = f"""
WITH e AS (
  SELECT * FROM ssd_cla_episodes
  WHERE clae_cla_episode_start_date <= $2 AND (clae_cla_episode_ceased_date IS NULL OR clae_cla_episode_ceased_date >= $1)
), home AS (
  SELECT e.clae_cla_episode_id AS id, arg_max(a.addr_address_postcode, a.addr_address_start_date) AS postcode
  FROM e JOIN ssd_address a ON a.addr_person_id = e.clae_person_id
   AND coalesce(a.addr_address_start_date, DATE '1900-01-01') <= e.clae_cla_episode_start_date
  GROUP BY e.clae_cla_episode_id
)
SELECT e.clae_person_id AS CHILD, e.clae_cla_episode_start_date AS DECOM, e.clae_cla_episode_start_reason AS RNE,
       e.clae_ext_legal_status AS LS, e.clae_cla_primary_need_code AS CIN, p.clap_cla_placement_type AS PLACE,
       CASE WHEN p.clap_cla_placement_type NOT IN {NO_PROVIDER} THEN p.clap_cla_placement_provider END AS PLACE_PROVIDER,
       CASE WHEN e.clae_cla_episode_ceased_date <= $2 THEN e.clae_cla_episode_ceased_date END AS DEC,
       CASE WHEN e.clae_cla_episode_ceased_date <= $2 THEN e.clae_cla_episode_ceased_reason END AS REC,
       CASE WHEN e.clae_cla_episode_ceased_date <= $2 AND e.clae_cla_episode_ceased_date = p.clap_cla_placement_end_date
            THEN p.clap_cla_placement_change_reason END AS REASON_PLACE_CHANGE,
       CASE WHEN e.clae_ext_legal_status NOT IN {SHORT_BREAKS} THEN home.postcode END AS HOME_POST,
       CASE WHEN e.clae_ext_legal_status NOT IN {SHORT_BREAKS} THEN p.clap_cla_placement_postcode END AS PL_POST,
       CASE WHEN e.clae_ext_legal_status NOT IN {SHORT_BREAKS} THEN p.clap_cla_placement_urn END AS URN
FROM e LEFT JOIN ssd_cla_placement p ON p.clap_cla_placement_id = e.clae_cla_placement_id
LEFT JOIN home ON home.id = e.clae_cla_episode_id
ORDER BY CHILD, DECOM
"""


def collect(con: duckdb.DuckDBPyConnection, year: int) -> dict[str, pd.DataFrame]:
    """The year's 903 tables under 903 column names (dates as dates, codes as the year's codes)."""
    start, end = year_bounds(year)
    episodes = _q(con, EPISODES_SQL, start, end)
    con.register("_episodes", episodes)
    try:
        oc3 = _q(con, OC3_SQL, start, end)
        if episodes.empty and oc3.empty:
            label = f"{year - 1}-{year % 100:02d}"
            raise NoRecords(f"no SSDA903 return for {label}: the warehouse has no episode of care or care leaver between {start} and {end}")
        children = sorted(set(episodes["CHILD"]) | set(oc3["CHILD"]))
        con.register("_children", pd.DataFrame({"CHILD": children}, dtype=object))
        try:
            out = {"header": _header(con, year), "episodes": episodes}
            for name, sql in PER_CHILD.items():
                out[name] = _q(con, sql, start, end)
        finally:
            con.unregister("_children")
    finally:
        con.unregister("_episodes")
    dob = out["header"].set_index("CHILD")["DOB"]
    out["oc3"] = oc3.assign(DOB=oc3["CHILD"].map(dob))
    out["uasc"]["SEX"] = out["uasc"]["SEX"].map(sex_code(year))
    out["episodes"]["PLACE"] = out["episodes"]["PLACE"].replace(place_code(year))
    out["ad1"]["FOSTER_CARE"] = out["ad1"]["FOSTER_CARE"].map({"Y": "1", "N": "0"})
    return {t: out[t][columns(t)] for t in tables_for(year)}


def _header(con: duckdb.DuckDBPyConnection, year: int) -> pd.DataFrame:
    frame = con.execute(HEADER_SQL).df()
    frame["SEX"] = frame["SEX"].map(sex_code(year))
    return frame


HEADER_SQL = f"""
WITH upn AS (
  SELECT link_person_id AS id, arg_max(link_identifier_value, coalesce(link_valid_from_date, DATE '1900-01-01')) AS upn
  FROM ssd_linked_identifiers WHERE link_identifier_type = '{UPN_TYPE}' AND link_valid_to_date IS NULL GROUP BY 1
), looked_after AS (
  SELECT DISTINCT CHILD FROM _episodes WHERE LS NOT IN {SHORT_BREAKS}
)
SELECT pers_person_id AS CHILD, pers_sex AS SEX, pers_dob AS DOB, pers_ethnicity AS ETHNIC,
       coalesce(upn.upn, pers_upn_unknown) AS UPN,
       CASE WHEN pers_sex = 'F' AND pers_person_id IN (SELECT CHILD FROM looked_after)
            THEN CASE WHEN pers_is_mother = 'Y' THEN '1' ELSE '0' END END AS MOTHER,
       NULL AS MC_DOB
FROM ssd_person LEFT JOIN upn ON upn.id = pers_person_id
WHERE pers_person_id IN (SELECT CHILD FROM _children) ORDER BY CHILD
"""

# OC3: a care leaver's record for the birthday (17th-21st) in the year, if they had left care before it.
OC3_SQL = """
SELECT c.clea_person_id AS CHILD, c.clea_care_leaver_in_touch AS IN_TOUCH, c.clea_care_leaver_activity AS ACTIV,
       c.clea_care_leaver_accommodation AS ACCOM
FROM ssd_care_leavers c
WHERE c.clea_ext_record_date BETWEEN $1 AND $2
  AND NOT EXISTS (SELECT 1 FROM _episodes e WHERE e.CHILD = c.clea_person_id AND (e.DEC IS NULL OR e.DEC >= c.clea_ext_record_date))
ORDER BY CHILD
"""


def _child_sql(table: str, person: str, select: str, where: str = "TRUE", order: str = "CHILD") -> str:
    """Rows of `table` for the children in the return, with their DOB, under 903 column names."""
    return (
        f"SELECT {person} AS CHILD, pers_dob AS DOB, {select} FROM {table} LEFT JOIN ssd_person ON pers_person_id = {person} "
        f"WHERE {person} IN (SELECT CHILD FROM _children) AND {where} ORDER BY {order}"
    )


PER_CHILD = {
    "reviews": _child_sql(
        "ssd_cla_reviews",
        "clar_ext_person_id",
        "clar_cla_review_date AS REVIEW, clar_cla_review_participation AS REVIEW_CODE",
        "clar_cla_review_date BETWEEN $1 AND $2",
        "CHILD, REVIEW",
    ),
    "uasc": (
        # DfE's guidance: while the child is still unaccompanied, DUC is their 18th birthday, when the status ends (205B)
        "SELECT immi_person_id AS CHILD, pers_sex AS SEX, pers_dob AS DOB, "
        "coalesce(immi_immigration_status_end_date, CAST(pers_dob + INTERVAL 18 YEAR AS DATE)) AS DUC "
        "FROM ssd_immigration_status JOIN ssd_person ON pers_person_id = immi_person_id "
        "WHERE immi_person_id IN (SELECT CHILD FROM _children) "
        "AND (immi_immigration_status_end_date IS NULL OR immi_immigration_status_end_date >= $1) ORDER BY CHILD"
    ),
    "missing": _child_sql(
        "ssd_missing",
        "miss_person_id",
        "miss_missing_episode_type AS MISSING, miss_missing_episode_start_date AS MIS_START, "
        "CASE WHEN miss_missing_episode_end_date <= $2 THEN miss_missing_episode_end_date END AS MIS_END",  # rule 571
        # open at some point in the year: one that began in March and ended in April is in both years' returns
        "miss_missing_episode_start_date <= $2 AND (miss_missing_episode_end_date IS NULL OR miss_missing_episode_end_date >= $1)",
        "CHILD, MIS_START",
    ),
    "placed_for_adoption": _child_sql(
        "ssd_permanence",
        "perm_person_id",
        "perm_adm_decision_date AS DATE_PLACED, perm_decision_reversed_date AS DATE_PLACED_CEASED, "
        "perm_decision_reversed_reason AS REASON_PLACED_CEASED",
        "perm_adm_decision_date <= $2",
        "CHILD, DATE_PLACED",
    ),
    "ad1": _child_sql(
        "ssd_permanence",
        "perm_person_id",
        "perm_adm_decision_date AS DATE_INT, perm_matched_date AS DATE_MATCH, perm_adopted_by_carer_flag AS FOSTER_CARE, "
        "perm_number_of_adopters AS NB_ADOPTR, perm_adopter_sex AS SEX_ADOPTR, perm_adopter_legal_status AS LS_ADOPTR",
        "perm_person_id IN (SELECT CHILD FROM _episodes WHERE DEC BETWEEN $1 AND $2 AND REC IN ('E11', 'E12')) "
        "AND perm_permanence_order_date BETWEEN $1 AND $2",
        "CHILD",
    ),
    # Children who started to be looked after in the year: their previous permanence as recorded (latest row).
    "previous_permanence": _child_sql(
        "(SELECT * FROM ssd_cla_previous_permanence "
        "QUALIFY row_number() OVER (PARTITION BY lapp_person_id ORDER BY lapp_table_id DESC) = 1)",
        "lapp_person_id",
        "lapp_previous_permanence_option AS PREV_PERM, lapp_previous_permanence_la AS LA_PERM, "
        "lapp_previous_permanence_order_date AS DATE_PERM",
        "lapp_person_id IN (SELECT CHILD FROM _episodes WHERE RNE = 'S' AND DECOM BETWEEN $1 AND $2)",
    ),
}

# OC2: children looked after continuously for the 12 months to 31 March: in care at the start of the year, no period
# starting or ending (other than on 31 March) in it, no short breaks. What happened in the year, from the health,
# immunisation, SDQ, conviction and substance misuse records; no record of a conviction or a problem means none.
OC2_SQL = f"""
WITH cohort AS (
  SELECT CHILD FROM _episodes GROUP BY CHILD
  HAVING NOT bool_or(coalesce((RNE = 'S' AND DECOM > $1) OR (REC <> 'X1' AND DEC >= $1 AND DEC < $2) OR LS IN {SHORT_BREAKS}, FALSE))
), c AS (
  SELECT CHILD, pers_dob AS DOB, date_sub('year', pers_dob, $1) AS age_start, date_sub('year', pers_dob, $2) AS age_end
  FROM cohort JOIN ssd_person ON pers_person_id = CHILD
), checks AS (
  SELECT clah_person_id AS id, bool_or(clah_health_check_type IN ('IHA', 'RHA')) AS assessed,
         bool_or(clah_health_check_type = 'DENTAL') AS teeth, bool_or(clah_health_check_type = 'DEVELOPMENT') AS development
  FROM ssd_cla_health WHERE clah_health_check_date BETWEEN $1 AND $2 AND clah_health_check_status = 'Completed' GROUP BY 1
), imm AS (
  SELECT clai_person_id AS id, arg_max(clai_immunisations_status, clai_immunisations_status_date) AS status
  FROM ssd_cla_immunisations WHERE clai_immunisations_status_date <= $2 GROUP BY 1
), sdq AS (
  SELECT csdq_person_id AS id, arg_max(csdq_sdq_score, csdq_sdq_completed_date) AS score,
         arg_max(csdq_sdq_reason, csdq_sdq_completed_date) AS reason
  FROM ssd_sdq_scores WHERE csdq_sdq_completed_date BETWEEN $1 AND $2 GROUP BY 1
), convicted AS (
  SELECT DISTINCT clac_person_id AS id FROM ssd_cla_convictions WHERE clac_cla_conviction_date BETWEEN $1 AND $2
), substance AS (
  SELECT clas_person_id AS id, bool_or(clas_intervention_received = 'Y') AS received,
         bool_or(clas_ext_intervention_offered = 'Y') AS offered
  FROM ssd_cla_substance_misuse WHERE clas_substance_misuse_date BETWEEN $1 AND $2 GROUP BY 1
)
SELECT c.CHILD, c.DOB,
       CASE WHEN {{sdq_scope}} THEN sdq.score END AS SDQ_SCORE,
       CASE WHEN {{sdq_scope}} AND sdq.score IS NULL THEN sdq.reason END AS SDQ_REASON,
       CASE WHEN c.age_end >= 10 THEN CASE WHEN convicted.id IS NULL THEN '0' ELSE '1' END END AS CONVICTED,
       CASE WHEN c.age_end < 5 THEN CASE WHEN coalesce(checks.development, FALSE) THEN '1' ELSE '0' END END AS HEALTH_CHECK,
       CASE WHEN imm.status = 'Y' THEN '1' ELSE '0' END AS IMMUNISATIONS,
       CASE WHEN coalesce(checks.teeth, FALSE) THEN '1' ELSE '0' END AS TEETH_CHECK,
       CASE WHEN coalesce(checks.assessed, FALSE) THEN '1' ELSE '0' END AS HEALTH_ASSESSMENT,
       CASE WHEN substance.id IS NULL THEN '0' ELSE '1' END AS SUBSTANCE_MISUSE,
       CASE WHEN substance.id IS NOT NULL THEN CASE WHEN substance.received THEN '1' ELSE '0' END END AS INTERVENTION_RECEIVED,
       CASE WHEN substance.id IS NOT NULL AND NOT substance.received THEN CASE WHEN substance.offered THEN '1' ELSE '0' END END
         AS INTERVENTION_OFFERED
FROM c LEFT JOIN checks ON checks.id = c.CHILD LEFT JOIN imm ON imm.id = c.CHILD LEFT JOIN sdq ON sdq.id = c.CHILD
LEFT JOIN convicted ON convicted.id = c.CHILD LEFT JOIN substance ON substance.id = c.CHILD
ORDER BY c.CHILD
""".replace("{sdq_scope}", "c.age_end >= 4 AND c.age_start <= 16")  # 4 to 17 at some point in the year (186, 188, 189, 197B)

# Social worker episodes while looked after (not on short breaks): a chain of allocations within each period of
# care that touches the year. A worker allocated before the child started to be looked after (the period's RNE S
# episode) is reported from that day; an
# episode ends (SW_DEC) when the allocation ends within the period, not when care ends (the last worker of a period
# that ended stays the child's episode). SW_ID is the Social Work England number; without one, 'XX' and the worker id.
SW_EPISODES_SQL = f"""
WITH periods AS (
  SELECT clae_person_id AS id, min(clae_cla_episode_start_date) AS pstart,
         min(clae_cla_episode_start_date) FILTER (WHERE clae_cla_episode_start_reason = 'S') AS entered,
         CASE WHEN bool_or(clae_cla_episode_ceased_date IS NULL OR clae_cla_episode_ceased_date > $2) THEN NULL
              ELSE max(clae_cla_episode_ceased_date) END AS pend
  FROM ssd_cla_episodes WHERE clae_ext_legal_status NOT IN {SHORT_BREAKS} AND clae_person_id IN (SELECT CHILD FROM _children)
  GROUP BY clae_person_id, clae_cla_id
  HAVING min(clae_cla_episode_start_date) <= $2 AND (pend IS NULL OR pend >= $1)
)
SELECT invo_person_id AS CHILD, pers_dob AS DOB,
       coalesce(prof_social_worker_registration_no,
                CASE WHEN starts_with(invo_professional_id, 'XX') THEN invo_professional_id ELSE 'XX' || invo_professional_id END) AS SW_ID,
       greatest(invo_involvement_start_date, entered) AS SW_DECOM,
       CASE WHEN invo_involvement_end_date <= least(coalesce(pend - 1, $2), $2) THEN invo_involvement_end_date END AS SW_DEC,
       invo_worker_change_reason AS SW_REASON
FROM ssd_involvements JOIN periods ON periods.id = invo_person_id
LEFT JOIN ssd_professionals ON prof_professional_id = invo_professional_id
LEFT JOIN ssd_person ON pers_person_id = invo_person_id
WHERE invo_professional_id IS NOT NULL AND (pend IS NULL OR invo_involvement_start_date < pend)
  AND invo_involvement_start_date <= $2
  AND (invo_involvement_end_date IS NULL OR (invo_involvement_end_date > pstart AND invo_involvement_end_date >= $1))
ORDER BY CHILD, SW_DECOM
"""
PER_CHILD["oc2"] = OC2_SQL
PER_CHILD["sw_episodes"] = SW_EPISODES_SQL


def children(tables: dict[str, pd.DataFrame]) -> set[str]:
    """Every child id in the return's tables."""
    return {str(c) for frame in tables.values() if "CHILD" in frame.columns for c in frame["CHILD"].dropna()}


def _text(frame: pd.DataFrame) -> pd.DataFrame:
    """Dates as DD/MM/YYYY (the 903 convention), everything else as text, missing values as empty cells."""
    out = frame.copy()
    for col in out.columns:
        if pd.api.types.is_datetime64_any_dtype(out[col]):
            out[col] = out[col].dt.strftime("%d/%m/%Y")
        elif len(out) and out[col].map(lambda v: isinstance(v, dt.date)).any():
            out[col] = out[col].map(lambda v: v.strftime("%d/%m/%Y") if isinstance(v, dt.date) else v)
    return out.astype(object).where(out.notna(), "")


def prepare(con: duckdb.DuckDBPyConnection, year: int) -> dict[str, pd.DataFrame]:
    """Check the request and collect the year's tables as text, ready to write."""
    if not FIRST_YEAR <= year <= 2100:
        raise UserError(f"--year {year}: not a collection year")
    return {name: _text(frame) for name, frame in collect(con, year).items()}


def write_files(tables: dict[str, pd.DataFrame], year: int, out_dir: Path) -> dict[str, int]:
    """Write the CSV set and the XML into `out_dir` via a temporary folder; returns rows per file."""
    out_dir = output_folder(Path(out_dir))
    with tempfile.TemporaryDirectory(prefix=".ssda903-", dir=out_dir) as tmp:
        written = {}
        for name, frame in tables.items():
            path = Path(tmp) / f"{name}_{year}.csv"
            write_csv(frame, path)
            written[path.name] = len(frame)
        xml = Path(tmp) / f"ssda903_{year}.xml"
        write_xml(tables, xml)
        written[xml.name] = len(tables["header"])
        for name in written:
            shutil.move(str(Path(tmp) / name), out_dir / name)
    return written


def write(con: duckdb.DuckDBPyConnection, year: int, out_dir: Path) -> WrittenReturn:
    """Write the year's SSDA903 return (CSV set and XML) into `out_dir`."""
    tables = prepare(con, year)
    written = write_files(tables, year, out_dir)
    files = tuple(Path(out_dir) / name for name in written)
    counts = {name.removesuffix(f"_{year}.csv"): rows for name, rows in written.items() if name.endswith(".csv")}
    return WrittenReturn("ssda903", year, files, frozenset(children(tables)), counts)


HISTORY_PREFIX = "episodes_before_"  # the episodes before a year's return, for the rules that need a child's care history


def write_history(con: duckdb.DuckDBPyConnection, year: int, out_dir: Path) -> Path:
    """Every episode that started before the year ending 31 March `year`, as 903 episode rows (DEC blank while
    still open then), in `out_dir`/episodes_before_<year>.csv: the care history DfE holds from earlier returns."""
    start, _ = year_bounds(year)
    episodes = _text(_q(con, EPISODES_SQL, dt.date(1900, 1, 1), start - dt.timedelta(days=1)))
    path = output_folder(Path(out_dir)) / f"{HISTORY_PREFIX}{year}.csv"
    write_csv(episodes[columns("episodes")], path)
    return path


def csv_files(written: WrittenReturn) -> list[Path]:
    return [p for p in written.files if p.suffix == ".csv"]


# --- XML ------------------------------------------------------------------------------------------
# DfE's layout: <EXPSSDA903><CHILD><HEADER>header, UASC, OC3, AD1 fields and nested AREVIEW, AMISSING,
# AD_PLACED, PERMANENCE, OC2, SW_EPISODE</HEADER><EPISODE>...</EPISODE>...</CHILD>...</EXPSSDA903>
NESTED = (
    ("reviews", "AREVIEW"),
    ("missing", "AMISSING"),
    ("placed_for_adoption", "AD_PLACED"),
    ("previous_permanence", "PERMANENCE"),
    ("oc2", "OC2"),
    ("sw_episodes", "SW_EPISODE"),
)
FLAT = ("uasc", "oc3", "ad1")  # one row per child, written as header fields


def write_xml(tables: dict[str, pd.DataFrame], path: Path) -> None:
    root = etree.Element("EXPSSDA903")
    by_child = {name: _rows_by_child(frame) for name, frame in tables.items()}
    for head in tables["header"].to_dict("records"):
        cid = head["CHILD"]
        child = etree.SubElement(root, "CHILD")
        header = etree.SubElement(child, "HEADER")
        fields = {"CHILDID": cid, **{k: v for k, v in head.items() if k != "CHILD"}}
        for name in FLAT:
            for row in by_child.get(name, {}).get(cid, [])[:1]:
                fields |= {k: v for k, v in row.items() if k not in ("CHILD", "DOB", "SEX")}
                if name == "uasc":
                    fields["UASC"] = "1"
        _leaves(header, fields)
        for name, tag in NESTED:
            for row in by_child.get(name, {}).get(cid, []):
                _leaves(etree.SubElement(header, tag), {k: v for k, v in row.items() if k not in ("CHILD", "DOB")})
        for row in by_child["episodes"].get(cid, []):
            row = {("PL" if k == "PLACE" else k): v for k, v in row.items() if k != "CHILD"}
            _leaves(etree.SubElement(child, "EPISODE"), row)
    with open_private(path, binary=True) as fh:
        fh.write(etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True))


def _rows_by_child(frame: pd.DataFrame) -> dict[str, list[dict]]:
    out: dict[str, list[dict]] = {}
    for row in frame.to_dict("records"):
        out.setdefault(row["CHILD"], []).append(row)
    return out


def _leaves(parent: etree._Element, fields: dict) -> None:
    for key, value in fields.items():
        etree.SubElement(parent, key).text = str(value) if value not in ("", None) else None
