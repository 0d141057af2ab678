"""Write a DfE CIN census XML return for a collection year from the warehouse.

The census year ending 31 March YYYY holds every child with a CIN episode (referral) open at some
point from 1 April YYYY-1 to 31 March YYYY, and, for each episode, the assessments, CIN plans,
section 47 enquiries and CP plans active in that year (started on or before 31 March and not
ended before 1 April). Element order and codes follow that year's XSD (GenderCurrent up to 2024,
Sex from 2025; CINPlanDates from 2022), and the file is validated against it after writing.
Loading several years' exports back (`cscperf load cin-xml`) rebuilds the same history.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from pathlib import Path

import duckdb
import pandas as pd
from lxml import etree

from cscperf import __version__
from cscperf.errors import UserError
from cscperf.files import open_private
from cscperf.ingest.cin_xml import FIRST_YEAR, LAST_YEAR, load_schema, schema_path

GENDER_FROM_SEX = {"M": "1", "F": "2", "U": "0", "I": "9"}
SEX_2025 = {"M": "M", "F": "F", "U": "U", "I": "U"}


def year_bounds(year: int) -> tuple[dt.date, dt.date]:
    return dt.date(year - 1, 4, 1), dt.date(year, 3, 31)


def _frame(con: duckdb.DuckDBPyConnection, sql: str, params: list) -> pd.DataFrame:
    return con.execute(sql, params).df()


def _by(frame: pd.DataFrame, column: str) -> dict[str, list[dict]]:
    out: dict[str, list[dict]] = defaultdict(list)
    for row in frame.to_dict("records"):
        out[row[column]].append(row)
    return out


def _d(value: object) -> str | None:
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return None
    return pd.Timestamp(value).date().isoformat()


def _s(value: object) -> str | None:
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return None
    text = str(value).strip()
    return text or None


def _sub(parent: etree._Element, tag: str, text: str | None) -> None:
    if text is not None:
        etree.SubElement(parent, tag).text = text


def _active(start: str, end: str) -> str:
    return f"{start} <= $2 AND ({end} IS NULL OR {end} >= $1)"


def _linked(table: str, ref_col: str, start: str, end: str | None, refs: str) -> str:
    """Rows of `table` linked to an episode in the year and active in it (started by 31 March, not ended before 1 April)."""
    active = _active(start, end) if end else f"{start} <= $2"
    return f"SELECT * FROM {table} WHERE {ref_col} IN {refs} AND {active} ORDER BY {start}"


def collect(con: duckdb.DuckDBPyConnection, year: int) -> dict[str, pd.DataFrame]:
    """The rows of one census year, table by table."""
    start, end = year_bounds(year)
    p = [start, end]
    open_in_year = f"FROM ssd_cin_episodes WHERE {_active('cine_referral_date', 'cine_close_date')}"
    refs = f"(SELECT cine_referral_id {open_in_year})"
    people = f"SELECT * FROM ssd_person WHERE pers_person_id IN (SELECT cine_person_id {open_in_year}) ORDER BY pers_person_id"
    return {
        "episodes": _frame(con, f"SELECT * {open_in_year} ORDER BY cine_referral_date", p),
        "people": _frame(con, people, p),
        "disability": _frame(con, "SELECT * FROM ssd_disability ORDER BY disa_person_id, disa_disability_code", []),
        "assessments": _frame(
            con, _linked("ssd_cin_assessments", "cina_referral_id", "cina_assessment_start_date", "cina_assessment_auth_date", refs), p
        ),
        "plans": _frame(con, _linked("ssd_cin_plans", "cinp_referral_id", "cinp_cin_plan_start_date", "cinp_cin_plan_end_date", refs), p),
        "s47": _frame(con, _linked("ssd_s47_enquiry", "s47e_referral_id", "s47e_s47_start_date", None, refs), p),
        "icpc": _frame(con, "SELECT * FROM ssd_initial_cp_conference WHERE icpc_icpc_date <= $1 ORDER BY icpc_icpc_date", [end]),
        "cpp": _frame(con, _linked("ssd_cp_plans", "cppl_referral_id", "cppl_cp_plan_start_date", "cppl_cp_plan_end_date", refs), p),
        "reviews": _frame(con, "SELECT * FROM ssd_cp_reviews WHERE cppr_cp_review_date <= $1 ORDER BY cppr_cp_review_date", [end]),
        "previous": _frame(
            con, "SELECT cppl_cp_plan_id, cppl_person_id, cppl_cp_plan_start_date FROM ssd_cp_plans ORDER BY cppl_cp_plan_start_date", []
        ),
    }


def _la_code(con: duckdb.DuckDBPyConnection, people: pd.DataFrame, la_code: str | None) -> str:
    if la_code:
        return la_code
    codes = people["pers_ext_la_code"].dropna() if "pers_ext_la_code" in people else pd.Series(dtype=str)
    if len(codes):
        return str(codes.mode().iloc[0])
    row = con.execute("SELECT auth_la_code FROM ext_authority ORDER BY auth_la_code LIMIT 1").fetchone()
    if row:
        return str(row[0])
    raise UserError("no LA code in the warehouse (ssd_person.pers_ext_la_code or ext_authority): give one with --la-code")


def build(con: duckdb.DuckDBPyConnection, year: int, la_code: str | None = None, now: dt.datetime | None = None) -> etree._Element:
    """The census return for `year` as an lxml tree."""
    if not FIRST_YEAR <= year <= LAST_YEAR:
        raise UserError(f"--year {year}: the CIN census schemas cover collection years {FIRST_YEAR} to {LAST_YEAR}")
    data = collect(con, year)
    if data["episodes"].empty:  # the schema needs at least one Child
        raise UserError(
            f"no child in need episodes open in {year - 1}-{str(year)[2:]} in the warehouse: nothing to export for --year {year}"
        )
    msg = etree.Element("Message")
    header = etree.SubElement(msg, "Header")
    details = etree.SubElement(header, "CollectionDetails")
    _sub(details, "Collection", "CIN")
    _sub(details, "Year", str(year))
    _sub(details, "ReferenceDate", f"{year}-03-31")
    source = etree.SubElement(header, "Source")
    _sub(source, "SourceLevel", "L")
    _sub(source, "LEA", _la_code(con, data["people"], la_code))
    _sub(source, "SoftwareCode", "cscperf")
    _sub(source, "Release", __version__)
    _sub(source, "SerialNo", "001")
    _sub(source, "DateTime", (now or dt.datetime.now()).replace(microsecond=0).isoformat())
    children = etree.SubElement(msg, "Children")
    index = {name: _by(data[name], col) for name, col in _INDEX.items()}
    previous = _previous_counts(data["previous"])
    episodes = _by(data["episodes"], "cine_person_id")
    for person in data["people"].to_dict("records"):
        _child(children, person, year, episodes[person["pers_person_id"]], index, previous)
    return msg


_INDEX = {
    "disability": "disa_person_id",
    "assessments": "cina_referral_id",
    "plans": "cinp_referral_id",
    "s47": "s47e_referral_id",
    "icpc": "icpc_referral_id",
    "cpp": "cppl_referral_id",
    "reviews": "cppr_cp_plan_id",
}


def _previous_counts(plans: pd.DataFrame) -> dict[str, int]:
    """Number of earlier plans the child had, for plans whose NumberOfPreviousCPP is not recorded."""
    out: dict[str, int] = {}
    for _, group in plans.groupby("cppl_person_id", sort=False):
        for k, plan_id in enumerate(group["cppl_cp_plan_id"]):
            out[plan_id] = k
    return out


def _child(parent: etree._Element, person: dict, year: int, episodes: list[dict], index: dict, previous: dict[str, int]) -> None:
    child = etree.SubElement(parent, "Child")
    ids = etree.SubElement(child, "ChildIdentifiers")
    _sub(ids, "LAchildID", _s(person["pers_person_id"]))
    _sub(ids, "UPNunknown", _s(person.get("pers_upn_unknown")))
    _sub(ids, "PersonBirthDate", _d(person.get("pers_dob")))
    _sub(ids, "ExpectedPersonBirthDate", _d(person.get("pers_expected_dob")))
    sex = _s(person.get("pers_sex")) or "U"
    if year >= 2025:
        _sub(ids, "Sex", SEX_2025.get(sex, "U"))
    else:
        _sub(ids, "GenderCurrent", _s(person.get("pers_gender")) or GENDER_FROM_SEX.get(sex, "0"))
    _sub(ids, "PersonDeathDate", _d(person.get("pers_death_date")))
    chars = etree.SubElement(child, "ChildCharacteristics")
    _sub(chars, "Ethnicity", _s(person.get("pers_ethnicity")) or "NOBT")
    codes = [_s(d["disa_disability_code"]) for d in index["disability"].get(person["pers_person_id"], [])]
    if codes := [c for c in codes if c]:
        dis = etree.SubElement(chars, "Disabilities")
        for code in codes:
            _sub(dis, "Disability", code)
    for ep in episodes:
        _episode(child, ep, year, index, previous)


def _episode(parent: etree._Element, ep: dict, year: int, index: dict, previous: dict[str, int]) -> None:
    ref = ep["cine_referral_id"]
    el = etree.SubElement(parent, "CINdetails")
    _sub(el, "CINreferralDate", _d(ep["cine_referral_date"]))
    _sub(el, "ReferralSource", _s(ep.get("cine_referral_source_code")) or "10")
    _sub(el, "PrimaryNeedCode", _s(ep.get("cine_cin_primary_need_code")))
    _, year_end = year_bounds(year)
    close = _d(ep.get("cine_close_date"))
    if close and close <= year_end.isoformat():
        _sub(el, "CINclosureDate", close)
        _sub(el, "ReasonForClosure", _s(ep.get("cine_close_reason")))
    icpcs = index["icpc"].get(ref, [])
    # A conference goes under the Section47 that led to it or, with none in the episode (a transfer-in), here: never
    # both (CIN census validation rule 2884), so a loader can tell the two apart.
    s47_ids = {_s(s["s47e_s47_enquiry_id"]) for s in index["s47"].get(ref, [])}
    without_s47 = [i for i in icpcs if _s(i.get("icpc_s47_enquiry_id")) not in s47_ids]
    _sub(el, "DateOfInitialCPC", _d(without_s47[0]["icpc_icpc_date"]) if without_s47 else None)
    for a in index["assessments"].get(ref, []):
        asm = etree.SubElement(el, "Assessments")
        _sub(asm, "AssessmentActualStartDate", _d(a["cina_assessment_start_date"]))
        auth = _d(a.get("cina_assessment_auth_date"))
        _sub(asm, "AssessmentAuthorisationDate", auth if auth and auth <= year_end.isoformat() else None)
    if year >= 2022:
        for p in index["plans"].get(ref, []):
            plan = etree.SubElement(el, "CINPlanDates")
            _sub(plan, "CINPlanStartDate", _d(p["cinp_cin_plan_start_date"]))
            plan_end = _d(p.get("cinp_cin_plan_end_date"))
            _sub(plan, "CINPlanEndDate", plan_end if plan_end and plan_end <= year_end.isoformat() else None)
    by_s47 = {i["icpc_s47_enquiry_id"]: i for i in icpcs if _s(i.get("icpc_s47_enquiry_id"))}
    for s in index["s47"].get(ref, []):
        _s47(el, s, by_s47.get(s["s47e_s47_enquiry_id"]))
    _sub(el, "ReferralNFA", "1" if _s(ep.get("cine_referral_nfa")) == "Y" else "0")
    for c in index["cpp"].get(ref, []):
        _cp_plan(el, c, year_end, index, previous)


def _s47(parent: etree._Element, s: dict, icpc: dict | None) -> None:
    el = etree.SubElement(parent, "Section47")
    _sub(el, "S47ActualStartDate", _d(s["s47e_s47_start_date"]))
    if icpc is not None:
        _sub(el, "InitialCPCtarget", _d(icpc.get("icpc_icpc_target_date")))
        _sub(el, "DateOfInitialCPC", _d(icpc.get("icpc_icpc_date")))
    _sub(el, "ICPCnotRequired", "1" if _s(s.get("s47e_s47_nfa")) == "Y" else "0")


def _cp_plan(parent: etree._Element, c: dict, year_end: dt.date, index: dict, previous: dict[str, int]) -> None:
    el = etree.SubElement(parent, "ChildProtectionPlans")
    _sub(el, "CPPstartDate", _d(c["cppl_cp_plan_start_date"]))
    end = _d(c.get("cppl_cp_plan_end_date"))
    _sub(el, "CPPendDate", end if end and end <= year_end.isoformat() else None)
    _sub(el, "InitialCategoryOfAbuse", _s(c.get("cppl_cp_plan_initial_category")) or "MUL")
    _sub(el, "LatestCategoryOfAbuse", _s(c.get("cppl_cp_plan_latest_category")) or _s(c.get("cppl_cp_plan_initial_category")) or "MUL")
    recorded = c.get("cppl_ext_previous_plans")
    count = previous.get(c["cppl_cp_plan_id"], 0) if recorded is None or pd.isna(recorded) else int(recorded)
    _sub(el, "NumberOfPreviousCPP", str(count))
    dates = [_d(r["cppr_cp_review_date"]) for r in index["reviews"].get(c["cppl_cp_plan_id"], [])]
    if dates := [d for d in dates if d]:
        reviews = etree.SubElement(el, "Reviews")
        for d in dates:
            _sub(reviews, "CPPreviewDate", d)


def export_cin_xml(con: duckdb.DuckDBPyConnection, year: int, out: Path, la_code: str | None = None) -> tuple[int, list[str]]:
    """Write the return to `out`; (children written, schema problems — empty when the file is valid)."""
    return write_cin_xml(build(con, year, la_code), year, out)


def children(tree: etree._Element) -> list[str]:
    """The LAchildID of every child in a built return."""
    return [c.findtext("ChildIdentifiers/LAchildID") or "" for c in tree.iterfind("Children/Child")]


def write_cin_xml(tree: etree._Element, year: int, out: Path) -> tuple[int, list[str]]:
    """Write a built return to `out` and validate it; (children written, schema problems)."""
    with open_private(Path(out), binary=True) as fh:  # child-level: mode 0600
        etree.ElementTree(tree).write(fh, xml_declaration=True, encoding="UTF-8", pretty_print=True)
    schema = load_schema(year)
    problems = [] if schema.validate(tree) else [f"line {e.line}: {e.path}: {e.message}" for e in schema.error_log]
    return len(tree.find("Children")), problems


__all__ = ["build", "children", "export_cin_xml", "schema_path", "write_cin_xml", "year_bounds"]
