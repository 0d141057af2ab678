"""The CIN census return (XML) for one collection year, as DfE's guidance for that year asks for it.

The census year ending 31 March YYYY holds every child with a CIN episode (referral) open at some point
from 1 April YYYY-1 to 31 March YYYY; a referral with no further action only when it was made in the
year. For each episode it holds the assessments, CIN plans and CP plans active in the year (reviews held
in it), the section 47 enquiries started in the year or whose initial conference was held in it, and a
conference only when held in the year (under its Section47, or at CINdetails level when no S47 led to it:
validation rule 2884). Dates after 31 March are not yet known: a child born later has only the expected
date of birth, a later closure, authorisation or death is left out. The UPN (or former UPN) is the one
valid on 31 March; assessment factors go with an assessment completed in the year.

Element order and codes follow that year's XSD (GenderCurrent up to 2024, Sex from 2025; CINPlanDates
from 2022), and the file is validated against it after writing. The file is written whole or not at all.
Loading several years' returns back (`cscperf load cin-xml`) rebuilds the same history.
"""

from __future__ import annotations

import datetime as dt
import json
import os
from collections import defaultdict
from pathlib import Path

import duckdb
import pandas as pd
from lxml import etree

from cscperf import __version__
from cscperf.errors import NoRecords, UserError
from cscperf.files import cannot_write, make_folder, open_private, output_folder
from cscperf.ingest.cin_xml import FIRST_YEAR, LAST_YEAR, load_schema, schema_path
from cscperf.ingest.upn import FORMER_UPN_TYPE, UPN_TYPE
from cscperf.returns.written import WrittenReturn, year_bounds

GENDER_FROM_SEX = {"M": "1", "F": "2", "U": "0", "I": "9"}
SEX_2025 = {"M": "M", "F": "F", "U": "U", "I": "U"}


def file_name(year: int) -> str:
    return f"cin_census_{year}.xml"


def write(con: duckdb.DuckDBPyConnection, year: int, out_dir: Path, la_code: str | None = None) -> WrittenReturn:
    """Write the year's CIN census XML into `out_dir`, validated against that year's DfE schema."""
    tree = build(con, year, la_code)
    path = output_folder(Path(out_dir)) / file_name(year)
    count, problems = write_cin_xml(tree, year, path)
    return WrittenReturn("cin", year, (path,), frozenset(children(tree)), {"children": count, **counts(tree)}, tuple(problems))


def counts(tree: etree._Element) -> dict[str, int]:
    """Key counts of a built return, for the workflow's year-on-year comparison."""
    return {
        "referrals": len(tree.findall("Children/Child/CINdetails")),
        "assessments": len(tree.findall("Children/Child/CINdetails/Assessments")),
        "section47": len(tree.findall("Children/Child/CINdetails/Section47")),
        "cp_plans": len(tree.findall("Children/Child/CINdetails/ChildProtectionPlans")),
    }


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


def _linked(table: str, ref_col: str, start: str, end: str, refs: str) -> str:
    """Rows of `table` linked to an episode in the year and active in it (started by 31 March, not ended before 1 April)."""
    return f"SELECT * FROM {table} WHERE {ref_col} IN {refs} AND {_active(start, end)} ORDER BY {start}"


# A referral with no further action belongs to the year it was made in (rule 8569Q); other episodes to every
# year they were open in.
EPISODES = (
    f"FROM ssd_cin_episodes WHERE {_active('cine_referral_date', 'cine_close_date')} "
    "AND (cine_referral_nfa IS DISTINCT FROM 'Y' OR cine_referral_date >= $1)"
)
REFS = f"(SELECT cine_referral_id {EPISODES})"
ICPC_IN_YEAR = "icpc_icpc_date BETWEEN $1 AND $2"
# An S47 started in the year, or one started earlier whose conference was held in it (rules 8715, 8740).
S47 = (
    f"SELECT * FROM ssd_s47_enquiry WHERE s47e_referral_id IN {REFS} AND (s47e_s47_start_date BETWEEN $1 AND $2 OR "
    f"s47e_s47_enquiry_id IN (SELECT icpc_s47_enquiry_id FROM ssd_initial_cp_conference WHERE {ICPC_IN_YEAR})) "
    "ORDER BY s47e_s47_start_date"
)
# The identifier valid on 31 March; the latest when several are.
IDENTIFIERS = (
    "SELECT link_person_id, link_identifier_type, link_identifier_value FROM ssd_linked_identifiers "
    f"WHERE link_identifier_type IN ('{UPN_TYPE}', '{FORMER_UPN_TYPE}') AND link_person_id IN (SELECT cine_person_id {EPISODES}) "
    "AND coalesce(link_valid_from_date, $1) <= $2 AND (link_valid_to_date IS NULL OR link_valid_to_date > $2) "
    "ORDER BY link_person_id, link_identifier_type, link_valid_from_date NULLS FIRST, link_table_id"
)


def collect(con: duckdb.DuckDBPyConnection, year: int) -> dict[str, pd.DataFrame]:
    """The rows of one census year, table by table."""
    start, end = year_bounds(year)
    p = [start, end]
    people = f"SELECT * FROM ssd_person WHERE pers_person_id IN (SELECT cine_person_id {EPISODES}) ORDER BY pers_person_id"
    assessments = _linked("ssd_cin_assessments", "cina_referral_id", "cina_assessment_start_date", "cina_assessment_auth_date", REFS)
    factors = (
        "SELECT cinf_assessment_id, cinf_assessment_factors_json FROM ssd_assessment_factors WHERE cinf_assessment_id IN "
        f"(SELECT cina_assessment_id FROM ({assessments})) ORDER BY cinf_table_id"
    )
    cpp = _linked("ssd_cp_plans", "cppl_referral_id", "cppl_cp_plan_start_date", "cppl_cp_plan_end_date", REFS)
    return {
        "episodes": _frame(con, f"SELECT * {EPISODES} ORDER BY cine_referral_date", p),
        "people": _frame(con, people, p),
        "identifiers": _frame(con, IDENTIFIERS, p),
        "disability": _frame(con, "SELECT * FROM ssd_disability ORDER BY disa_person_id, disa_disability_code", []),
        "assessments": _frame(con, assessments, p),
        "factors": _frame(con, factors, p),
        "plans": _frame(con, _linked("ssd_cin_plans", "cinp_referral_id", "cinp_cin_plan_start_date", "cinp_cin_plan_end_date", REFS), p),
        "s47": _frame(con, S47, p),
        "icpc": _frame(con, f"SELECT * FROM ssd_initial_cp_conference WHERE {ICPC_IN_YEAR} ORDER BY icpc_icpc_date", p),
        "cpp": _frame(con, cpp, p),
        "reviews": _frame(con, "SELECT * FROM ssd_cp_reviews WHERE cppr_cp_review_date BETWEEN $1 AND $2 ORDER BY cppr_cp_review_date", p),
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
    if not FIRST_YEAR <= year <= LAST_YEAR:  # before the first schema there is no census to write, so no records
        error = NoRecords if year < FIRST_YEAR else UserError
        raise error(f"--year {year}: the CIN census schemas cover collection years {FIRST_YEAR} to {LAST_YEAR}")
    data = collect(con, year)
    if data["episodes"].empty:  # the schema needs at least one Child
        raise NoRecords(
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
    index["upn"] = _identifiers(data["identifiers"])
    previous = _previous_counts(data["previous"])
    episodes = _by(data["episodes"], "cine_person_id")
    for person in data["people"].to_dict("records"):
        _child(children, person, year, episodes[person["pers_person_id"]], index, previous)
    return msg


_INDEX = {
    "disability": "disa_person_id",
    "assessments": "cina_referral_id",
    "factors": "cinf_assessment_id",
    "plans": "cinp_referral_id",
    "s47": "s47e_referral_id",
    "icpc": "icpc_referral_id",
    "cpp": "cppl_referral_id",
    "reviews": "cppr_cp_plan_id",
}


def _identifiers(frame: pd.DataFrame) -> dict[tuple[str, str], str]:
    """(person, identifier type) -> the value valid on 31 March (rows come latest last)."""
    return {(r["link_person_id"], r["link_identifier_type"]): r["link_identifier_value"] for r in frame.to_dict("records")}


def _previous_counts(plans: pd.DataFrame) -> dict[str, int]:
    """Number of earlier plans the child had, for plans whose NumberOfPreviousCPP is not recorded."""
    out: dict[str, int] = {}
    for _, group in plans.groupby("cppl_person_id", sort=False):
        for k, plan_id in enumerate(group["cppl_cp_plan_id"]):
            out[plan_id] = k
    return out


def _known(value: object, year_end: dt.date) -> str | None:
    """A date as the return knows it: one after 31 March has not happened yet."""
    date = _d(value)
    return date if date and date <= year_end.isoformat() else None


def _child(parent: etree._Element, person: dict, year: int, episodes: list[dict], index: dict, previous: dict[str, int]) -> None:
    _, year_end = year_bounds(year)
    pid = person["pers_person_id"]
    child = etree.SubElement(parent, "Child")
    ids = etree.SubElement(child, "ChildIdentifiers")
    _sub(ids, "LAchildID", _s(pid))
    upn = _s(index["upn"].get((pid, UPN_TYPE)))
    _sub(ids, "UPN", upn)
    _sub(ids, "FormerUPN", _s(index["upn"].get((pid, FORMER_UPN_TYPE))))
    _sub(ids, "UPNunknown", None if upn else _s(person.get("pers_upn_unknown")))
    # One of the two dates (rule 8525Q): a child born after 31 March is still expected on it.
    born = _known(person.get("pers_dob"), year_end)
    expected = None if born else _d(person.get("pers_expected_dob"))
    _sub(ids, "PersonBirthDate", born)
    _sub(ids, "ExpectedPersonBirthDate", expected)
    unborn = expected is not None  # sex not yet known (rule 8750)
    sex = _s(person.get("pers_sex")) or "U"
    if year >= 2025:
        _sub(ids, "Sex", "U" if unborn else SEX_2025.get(sex, "U"))
    else:
        _sub(ids, "GenderCurrent", "0" if unborn else _s(person.get("pers_gender")) or GENDER_FROM_SEX.get(sex, "0"))
    _sub(ids, "PersonDeathDate", _known(person.get("pers_death_date"), year_end))
    chars = etree.SubElement(child, "ChildCharacteristics")
    _sub(chars, "Ethnicity", _s(person.get("pers_ethnicity")) or "NOBT")
    codes = [_s(d["disa_disability_code"]) for d in index["disability"].get(pid, [])]
    if codes := [c for c in codes if c]:
        dis = etree.SubElement(chars, "Disabilities")
        for code in codes:
            _sub(dis, "Disability", code)
    for ep in episodes:
        _episode(child, ep, year, index, previous)


def _episode(parent: etree._Element, ep: dict, year: int, index: dict, previous: dict[str, int]) -> None:
    ref = ep["cine_referral_id"]
    _, year_end = year_bounds(year)
    el = etree.SubElement(parent, "CINdetails")
    _sub(el, "CINreferralDate", _d(ep["cine_referral_date"]))
    _sub(el, "ReferralSource", _s(ep.get("cine_referral_source_code")) or "10")
    _sub(el, "PrimaryNeedCode", _s(ep.get("cine_cin_primary_need_code")))
    close = _known(ep.get("cine_close_date"), year_end)
    if close:
        _sub(el, "CINclosureDate", close)
        _sub(el, "ReasonForClosure", _s(ep.get("cine_close_reason")))
    icpcs = index["icpc"].get(ref, [])
    # A conference goes under the Section47 that led to it or, with none in the episode (a transfer-in), here: never
    # both (CIN census validation rule 2884), so a loader can tell the two apart.
    s47_ids = {_s(s["s47e_s47_enquiry_id"]) for s in index["s47"].get(ref, [])}
    without_s47 = [i for i in icpcs if _s(i.get("icpc_s47_enquiry_id")) not in s47_ids]
    _sub(el, "DateOfInitialCPC", _d(without_s47[0]["icpc_icpc_date"]) if without_s47 else None)
    for a in index["assessments"].get(ref, []):
        _assessment(el, a, year_end, index)
    if year >= 2022:
        for p in index["plans"].get(ref, []):
            plan = etree.SubElement(el, "CINPlanDates")
            _sub(plan, "CINPlanStartDate", _d(p["cinp_cin_plan_start_date"]))
            _sub(plan, "CINPlanEndDate", _known(p.get("cinp_cin_plan_end_date"), year_end))
    by_s47 = {i["icpc_s47_enquiry_id"]: i for i in icpcs if _s(i.get("icpc_s47_enquiry_id"))}
    for s in index["s47"].get(ref, []):
        _s47(el, s, by_s47.get(s["s47e_s47_enquiry_id"]))
    _sub(el, "ReferralNFA", "1" if _s(ep.get("cine_referral_nfa")) == "Y" else "0")
    for c in index["cpp"].get(ref, []):
        _cp_plan(el, c, year_end, index, previous)


def _assessment(parent: etree._Element, a: dict, year_end: dt.date, index: dict) -> None:
    asm = etree.SubElement(parent, "Assessments")
    _sub(asm, "AssessmentActualStartDate", _d(a["cina_assessment_start_date"]))
    auth = _known(a.get("cina_assessment_auth_date"), year_end)
    _sub(asm, "AssessmentAuthorisationDate", auth)
    if auth is None:  # factors are identified when the assessment is completed
        return
    codes = [c for row in index["factors"].get(a["cina_assessment_id"], []) for c in factor_codes(row["cinf_assessment_factors_json"])]
    if codes:
        factors = etree.SubElement(asm, "FactorsIdentifiedAtAssessment")
        for code in dict.fromkeys(codes):  # once each (rule 8898)
            _sub(factors, "AssessmentFactors", code)


def factor_codes(text: object) -> list[str]:
    """The codes of an `ssd_assessment_factors` JSON list (e.g. '["2A","3A"]')."""
    value = _s(text)
    if value is None:
        return []
    codes = json.loads(value)
    if not isinstance(codes, list):
        raise UserError(f"ssd_assessment_factors: {value[:60]!r} is not a JSON list of factor codes")
    return [str(c).strip().upper() for c in codes if str(c).strip()]


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
    _sub(el, "CPPendDate", _known(c.get("cppl_cp_plan_end_date"), year_end))
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
    """Write a built return to `out` whole (a temporary file renamed over it) and validate it; (children, schema problems)."""
    out = Path(out)
    make_folder(out.parent, out)  # a folder that cannot be made is named with the file asked for
    partial = out.with_name(f".{out.name}.partial")
    try:
        with open_private(partial, binary=True) as fh:  # child-level: mode 0600
            etree.ElementTree(tree).write(fh, xml_declaration=True, encoding="UTF-8", pretty_print=True)
        os.replace(partial, out)
    except OSError as exc:
        raise cannot_write(out, exc) from None
    finally:
        partial.unlink(missing_ok=True)
    schema = load_schema(year)
    problems = [] if schema.validate(tree) else [f"line {e.line}: {e.path}: {e.message}" for e in schema.error_log]
    return len(tree.find("Children")), problems


__all__ = ["build", "children", "export_cin_xml", "schema_path", "write", "write_cin_xml", "year_bounds"]
