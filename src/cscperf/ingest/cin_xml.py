"""The DfE children in need (CIN) census XML, collection years 2017-2026, into the canonical model.

Each file is streamed with lxml (one `Child` element in memory at a time) and every child is
validated against the DfE XSD of the file's collection year. Schema failures are reported as
warnings naming the element path, field and rule; a record is quarantined only when it cannot be
loaded faithfully (its key date or another date is missing or not a real date, or it repeats a
record already in the same return). A file that is not well-formed XML is a `UserError`.

The census carries no referral, assessment or plan ids, so keys are derived from LAchildID and
dates (`synthetic_id`): the same child and referral returned in several years are one child and one
referral, and when several returns are loaded together the latest return wins for every value it
gives (values it leaves empty, such as an S47 it no longer reports, are kept from earlier returns).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from pathlib import Path

import pandas as pd
from lxml import etree

from cscperf.errors import UserError
from cscperf.ingest.core import Issue, Parsed
from cscperf.ingest.upn import FORMER_UPN_TYPE, UPN_TYPE
from cscperf.ingest.values import parse_date, refuse_doctype, xml_syntax_error

FIRST_YEAR, LAST_YEAR = 2017, 2026
SEX_FROM_GENDER = {"1": "M", "2": "F", "0": "U", "9": "I"}
YES = {"1", "true", "y", "yes"}
NO = {"0", "false", "n", "no"}

TABLE_ORDER = (
    "ssd_person",
    "ssd_linked_identifiers",
    "ssd_disability",
    "ssd_cin_episodes",
    "ssd_cin_assessments",
    "ssd_assessment_factors",
    "ssd_cin_plans",
    "ssd_s47_enquiry",
    "ssd_initial_cp_conference",
    "ssd_cp_plans",
    "ssd_cp_reviews",
)
PK = {
    "ssd_person": "pers_person_id",
    "ssd_linked_identifiers": "link_table_id",
    "ssd_disability": "disa_table_id",
    "ssd_cin_episodes": "cine_referral_id",
    "ssd_cin_assessments": "cina_assessment_id",
    "ssd_assessment_factors": "cinf_table_id",
    "ssd_cin_plans": "cinp_cin_plan_id",
    "ssd_s47_enquiry": "s47e_s47_enquiry_id",
    "ssd_initial_cp_conference": "icpc_icpc_id",
    "ssd_cp_plans": "cppl_cp_plan_id",
    "ssd_cp_reviews": "cppr_cp_review_id",
}


# the census element each table's records are read from (keys of Parsed.read: "<file> (<element>)")
ELEMENT_OF = {
    "ssd_person": "Child",
    "ssd_linked_identifiers": "UPN",
    "ssd_disability": "Disability",
    "ssd_cin_episodes": "CINdetails",
    "ssd_cin_assessments": "Assessments",
    "ssd_assessment_factors": "FactorsIdentifiedAtAssessment",
    "ssd_cin_plans": "CINPlanDates",
    "ssd_s47_enquiry": "Section47",
    "ssd_initial_cp_conference": "DateOfInitialCPC",
    "ssd_cp_plans": "ChildProtectionPlans",
    "ssd_cp_reviews": "CPPreviewDate",
}


def synthetic_id(kind: str, child: str, *dates: dt.date) -> str:
    """A stable key for a record the census gives no id: kind prefix + hash of child id and dates."""
    text = "|".join([kind, child, *(d.isoformat() for d in dates)])
    return f"{kind}-{hashlib.sha1(text.encode()).hexdigest()[:16]}"


def referral_id(child: str, referral_date: dt.date) -> str:
    return synthetic_id("REF", child, referral_date)


# ---------------------------------------------------------------- schema choice


def schema_path(year: int) -> Path:
    """The XSD shipped for a collection year (ending 31 March of `year`), clamped to 2017-2026."""
    year = min(max(year, FIRST_YEAR), LAST_YEAR)
    return Path(str(resources.files("cscperf.ingest") / "schemas" / "cin-census" / f"CIN_schema_{year}.xsd"))


@cache
def load_schema(year: int) -> etree.XMLSchema:
    return etree.XMLSchema(etree.parse(str(schema_path(year))))


XS = "{http://www.w3.org/2001/XMLSchema}"


@cache
def code_list(year: int, type_name: str) -> tuple[str, ...]:
    """The codes a year's XSD lists for a simple type (e.g. 'assessmentfactorstype'), leaving out those it keeps only
    for old data (annotated "Retained despite official schema change", such as factors 18A and 19A from 2022)."""
    doc = etree.parse(str(schema_path(year)))
    found = doc.find(f"{XS}simpleType[@name='{type_name}']")
    if found is None:
        raise ValueError(f"{schema_path(year).name} declares no simple type {type_name!r}")
    return tuple(
        e.get("value")
        for e in found.iter(f"{XS}enumeration")
        if "Retained despite" not in "".join(e.xpath("xs:annotation/xs:appinfo//text()", namespaces={"xs": XS[1:-1]}))
    )


@dataclass
class Header:
    la_code: str | None = None
    year: int | None = None
    reference_date: dt.date | None = None
    created: str = ""
    year_reason: str = ""


def _header(elem: etree._Element, source: str, warnings: list[Issue]) -> Header:
    text = {e.tag: (e.text or "").strip() for e in elem.iter() if isinstance(e.tag, str)}
    head = Header(la_code=text.get("LEA") or None, created=text.get("DateTime", ""))
    year_text, ref_text = text.get("Year", ""), text.get("ReferenceDate", "")
    ref = _iso_date(ref_text)
    head.reference_date = ref
    year = int(year_text) if re.fullmatch(r"\d{4}", year_text) else None
    if ref and year and ref.year != year:
        warnings.append(
            Issue(
                source,
                "/Message/Header/CollectionDetails",
                "ssd_person",
                "Year",
                year_text,
                f"Year disagrees with ReferenceDate {ref_text}; the ReferenceDate year {ref.year} was used",
            )
        )
    if ref:
        head.year, head.year_reason = ref.year, f"collection year {ref.year} from the header ReferenceDate"
    elif year:
        head.year, head.year_reason = year, f"collection year {year} from the header Year"
    if head.la_code and not re.fullmatch(r"\d{3}", head.la_code):
        warnings.append(Issue(source, "/Message/Header/Source/LEA", "ssd_person", "LEA", head.la_code, "LA code should be 3 digits"))
    return head


def _guess_year(child: etree._Element) -> tuple[int, str]:
    """No usable header: 'Sex' was introduced in 2025, 'GenderCurrent' is 2024 or earlier."""
    if child.find("ChildIdentifiers/Sex") is not None:
        return LAST_YEAR, "no collection year in the header; the child records use Sex, so the latest schema was used"
    return 2024, "no collection year in the header; the child records use GenderCurrent, so the 2024 schema was used"


# ---------------------------------------------------------------- values


def _iso_date(text: str) -> dt.date | None:
    try:
        return dt.date.fromisoformat(text[:10]) if text else None
    except ValueError:
        return None


def leaves(elem: etree._Element) -> dict[str, str]:
    """Text of an element's direct children by tag (first occurrence): one pass instead of a find() per field."""
    out: dict[str, str] = {}
    for child in elem:
        text = child.text
        if text is not None and child.tag not in out and isinstance(child.tag, str):
            out[child.tag] = text
    return out


def _text(src: etree._Element | dict[str, str], path: str) -> str | None:
    if isinstance(src, dict):
        value = src.get(path)
    else:
        found = src.find(path)
        value = None if found is None else found.text
    if value is None:
        return None
    value = value.strip()
    return value or None


def _upper(value: str | None) -> str | None:
    """A code as stored (values from `_text` are already trimmed; XML has no '1.0' spreadsheet artefacts)."""
    return value.upper() if value else None


def _flag(value: str | None) -> str | None:
    if value is None:
        return None
    low = value.lower()
    return "Y" if low in YES else "N" if low in NO else None


class BadRecord(Exception):
    """A record that cannot be loaded: field name, value and rule."""

    def __init__(self, field: str, value: str, rule: str) -> None:
        super().__init__(rule)
        self.field, self.value, self.rule = field, value, rule


def _date(src: etree._Element | dict[str, str], path: str, required: bool = False) -> dt.date | None:
    value = _text(src, path)
    name = path.rsplit("/", 1)[-1]
    if value is None:
        if required:
            raise BadRecord(name, "", f"{name} is required and missing")
        return None
    try:
        parsed = _strict_date(value)
    except ValueError as exc:
        raise BadRecord(name, value[:40], str(exc)) from None
    return parsed


def _strict_date(value: str) -> dt.date:
    if len(value) == 10 and value[4] == "-":  # the census format: the C parser is far faster than the general one
        try:
            day = dt.date.fromisoformat(value)
        except ValueError:
            pass
        else:
            if 1900 <= day.year <= 2100:
                return day
    parsed = parse_date(value)
    if parsed is None:  # pragma: no cover - blanks are filtered before
        raise ValueError("date is empty")
    return parsed


# ---------------------------------------------------------------- one return


@dataclass
class Return:
    """The rows of one CIN census file, keyed by table then primary key."""

    path: Path
    header: Header
    order: int
    rows: dict[str, dict[str, dict]] = field(default_factory=lambda: {t: {} for t in TABLE_ORDER})
    read: dict[str, int] = field(default_factory=lambda: dict.fromkeys(TABLE_ORDER, 0))
    rejected: list[Issue] = field(default_factory=list)
    warnings: list[Issue] = field(default_factory=list)
    xsd: str = ""

    @property
    def sort_key(self) -> tuple:
        h = self.header
        return (h.year or 0, h.reference_date or dt.date.min, h.created, self.order)


def _iter_elements(path: Path) -> Iterator[etree._Element]:
    """Header and Child elements, streamed; malformed XML becomes a UserError naming file and line."""
    _check_root(path)
    context = etree.iterparse(str(path), events=("end",), tag=("Header", "Child"), **PARSER_OPTIONS)
    try:
        for _, elem in context:
            if elem.getparent() is not None:
                yield elem
    except etree.XMLSyntaxError as exc:
        raise xml_syntax_error(path, exc) from None


PARSER_OPTIONS = {"resolve_entities": False, "no_network": True, "load_dtd": False, "remove_comments": True, "remove_pis": True}


def _check_root(path: Path) -> None:
    """The root element must be <Message> (read from the first start event only)."""
    try:
        for _, elem in etree.iterparse(str(path), events=("start",), **PARSER_OPTIONS):
            refuse_doctype(elem, path, "CIN census")
            if elem.tag != "Message":
                raise UserError(f"{path}: line {elem.sourceline}: not a CIN census file (root element is <{elem.tag}>, expected <Message>)")
            return
    except etree.XMLSyntaxError as exc:
        raise xml_syntax_error(path, exc) from None
    raise UserError(f"{path}: line 1: not well-formed XML (no root element)")


def read_return(path: Path, order: int = 0) -> Return:
    """Parse and validate one CIN census file."""
    path = Path(path)
    if not path.exists():
        raise UserError(f"{path}: file not found")
    if path.is_dir():
        raise UserError(f"{path}: is a folder, expected a CIN census XML file")
    if path.stat().st_size == 0:
        raise UserError(f"{path}: line 1: the file is empty")
    ret = Return(path, Header(), order)
    source = str(path)
    wrapper = etree.Element("Message")
    holder = etree.SubElement(wrapper, "Children")
    schema: etree.XMLSchema | None = None
    children_seen: dict[str, int] = {}
    n = 0
    for elem in _iter_elements(path):
        if elem.tag == "Header":
            ret.header = _header(elem, source, ret.warnings)
            elem.clear()
            continue
        n += 1
        if schema is None:
            schema = _choose_schema(ret, elem)
        holder.append(elem)  # detach from the streamed tree so memory stays flat
        errors = [] if schema.validate(wrapper) else list(schema.error_log)
        _child(ret, elem, n, errors, children_seen)
        holder.remove(elem)
    if n == 0:
        raise UserError(f"{path}: no <Child> records found under /Message/Children")
    return ret


def _choose_schema(ret: Return, first_child: etree._Element) -> etree.XMLSchema:
    year, reason = ret.header.year, ret.header.year_reason
    if year is None:
        year, reason = _guess_year(first_child)
    used = min(max(year, FIRST_YEAR), LAST_YEAR)
    if used != year:
        reason += f"; no schema for {year}, the nearest ({used}) was used"
    ret.xsd = schema_path(used).name
    ret.warnings.append(
        Issue(str(ret.path), "/Message/Header", "ssd_person", "Year", str(year), f"information: validated against {ret.xsd} ({reason})")
    )
    return load_schema(used)


# ---------------------------------------------------------------- XSD messages

_ENUM = re.compile(r"\[facet 'enumeration'\] The value '([^']*)' is not an element of the set")
_ATOMIC = re.compile(r"'([^']*)' is not a valid value of the atomic type '([^']*)'")
_PATTERN = re.compile(r"\[facet 'pattern'\] The value '([^']*)' is not accepted by the pattern")
_ELEMENT = re.compile(r"^Element '([^']+)'(?: \[[^\]]*\])?: ")
TABLE_OF = {
    "ChildIdentifiers": "ssd_person",
    "ChildCharacteristics": "ssd_person",
    "CINdetails": "ssd_cin_episodes",
    "Assessments": "ssd_cin_assessments",
    "CINPlanDates": "ssd_cin_plans",
    "Section47": "ssd_s47_enquiry",
    "ChildProtectionPlans": "ssd_cp_plans",
    "Reviews": "ssd_cp_reviews",
}


def _xsd_issue(source: str, child_path: str, err: etree._LogEntry, year_file: str) -> Issue:
    path = (err.path or "/Message/Children/Child").replace("/Message/Children/Child", child_path, 1)
    message = err.message or ""
    m = _ELEMENT.match(message)
    name = m.group(1) if m else path.rsplit("/", 1)[-1].split("[")[0]
    body = message[m.end() :] if m else message
    value = ""
    if e := _ENUM.search(body):
        value, body = e.group(1), f"'{e.group(1)}' is not a code allowed by {year_file}"
    elif a := _ATOMIC.search(body):
        value = a.group(1)
        body = "not a real date (expected YYYY-MM-DD)" if a.group(2) == "xs:date" else f"not a valid {a.group(2)}"
    elif p := _PATTERN.search(body):
        value, body = p.group(1), "does not have the required format"
    elif "This element is not expected" in body:
        body = body.replace("This element is not expected.", "element not expected here.").strip()
    table = next((TABLE_OF[part.split("[")[0]] for part in reversed(path.split("/")) if part.split("[")[0] in TABLE_OF), "ssd_person")
    return Issue(source, f"{path} (line {err.line})", table, name, value[:60], f"schema: {body.strip().rstrip('.')}")


# ---------------------------------------------------------------- mapping one child


def _child(ret: Return, elem: etree._Element, n: int, errors: list, seen: dict[str, int]) -> None:
    source = str(ret.path)
    cpath = f"/Message/Children/Child[{n}]"
    ret.read["ssd_person"] += 1
    child_id = _text(elem, "ChildIdentifiers/LAchildID")
    rejected_paths: list[str] = []
    if child_id is None:
        ret.rejected.append(
            Issue(
                source,
                f"{cpath}/ChildIdentifiers/LAchildID",
                "ssd_person",
                "LAchildID",
                "",
                "LAchildID is required and missing",
                _raw(elem),
            )
        )
        rejected_paths.append(cpath)
    elif child_id in seen:
        ret.rejected.append(
            Issue(
                source,
                f"{cpath} (line {elem.sourceline})",
                "ssd_person",
                "LAchildID",
                child_id,
                f"LAchildID already used by Child[{seen[child_id]}] in this return",
                _raw(elem),
            )
        )
        rejected_paths.append(cpath)
    else:
        seen[child_id] = n
        try:
            _person(ret, elem, child_id, f"{source}:{cpath}")
        except BadRecord as bad:
            ret.rejected.append(
                Issue(source, f"{cpath}/ChildIdentifiers/{bad.field}", "ssd_person", bad.field, bad.value, bad.rule, _raw(elem))
            )
            rejected_paths.append(cpath)
        else:
            for k, episode in enumerate(elem.findall("CINdetails"), start=1):
                _episode(ret, episode, child_id, f"{cpath}/CINdetails[{k}]", rejected_paths)
    for err in errors:
        issue = _xsd_issue(source, cpath, err, ret.xsd)
        if not any(_within(issue.location, p) for p in rejected_paths):
            ret.warnings.append(issue)


def _within(location: str, record_path: str) -> bool:
    # libxml2 omits [1] for an only child: normalise both sides before comparing
    path = re.sub(r"\[1\]", "", location.split(" ")[0])
    record = re.sub(r"\[1\]", "", record_path)
    return path == record or path.startswith(record + "/")


def _raw(elem: etree._Element) -> dict:
    """A flat copy of the record for quarantine (codes, ids and dates only; the census has no names)."""
    raw: dict[str, str] = {}
    for e in elem.iter():
        if isinstance(e.tag, str) and len(e) == 0 and e.text and e.text.strip():
            key = e.tag if e.tag not in raw else f"{e.tag}_{sum(k.startswith(e.tag) for k in raw) + 1}"
            raw[key] = e.text.strip()[:200]
    return raw


def _person(ret: Return, elem: etree._Element, child_id: str, src: str) -> None:
    ids = elem.find("ChildIdentifiers")
    ids = ids if ids is not None else etree.Element("ChildIdentifiers")
    ids = leaves(ids)
    gender = _upper(_text(ids, "GenderCurrent"))
    sex = _upper(_text(ids, "Sex"))
    if sex in SEX_FROM_GENDER:  # some systems put the old numeric codes in <Sex>
        gender, sex = sex, None
    row = {
        "pers_person_id": child_id,
        "pers_sex": sex or SEX_FROM_GENDER.get(gender or ""),
        "pers_gender": gender,
        "pers_ethnicity": _upper(_text(elem, "ChildCharacteristics/Ethnicity")),
        "pers_dob": _date(ids, "PersonBirthDate"),
        "pers_expected_dob": _date(ids, "ExpectedPersonBirthDate"),
        "pers_death_date": _date(ids, "PersonDeathDate"),
        "pers_upn_unknown": _upper(_text(ids, "UPNunknown")),
        "pers_ext_la_code": ret.header.la_code,
        "_source": src,
    }
    ret.rows["ssd_person"][child_id] = row
    for tag, kind in (("UPN", UPN_TYPE), ("FormerUPN", FORMER_UPN_TYPE)):
        value = _upper(_text(ids, tag))
        if value is not None:  # one of each per child: a later return's value replaces an earlier one's
            ret.read["ssd_linked_identifiers"] += 1
            key = f"{child_id}:{tag}"
            ret.rows["ssd_linked_identifiers"][key] = {
                "link_table_id": key,
                "link_person_id": child_id,
                "link_identifier_type": kind,
                "link_identifier_value": value,
                "_source": f"{src}/ChildIdentifiers/{tag}",
            }
    for k, dis in enumerate(elem.findall("ChildCharacteristics/Disabilities/Disability"), start=1):
        code = (dis.text or "").strip().upper() or None  # not clean_code: NONE is a real code here
        ret.read["ssd_disability"] += 1
        if code is None:
            continue
        key = f"{child_id}:{code}"
        if key in ret.rows["ssd_disability"]:
            where = f"{src.rsplit(':', 1)[-1]}/ChildCharacteristics/Disabilities/Disability[{k}]"
            ret.warnings.append(
                Issue(
                    str(ret.path),
                    where,
                    "ssd_disability",
                    "Disability",
                    code,
                    "the same disability code is repeated for this child; kept once",
                )
            )
            continue
        ret.rows["ssd_disability"][key] = {
            "disa_table_id": key,
            "disa_person_id": child_id,
            "disa_disability_code": code,
            "_source": f"{src}/ChildCharacteristics/Disabilities/Disability[{k}]",
        }


def _reject(ret: Return, table: str, path: str, elem: etree._Element, bad: BadRecord, rejected_paths: list[str]) -> None:
    ret.rejected.append(
        Issue(str(ret.path), f"{path}/{bad.field} (line {elem.sourceline})", table, bad.field, bad.value, bad.rule, _raw(elem))
    )
    rejected_paths.append(path)


def _duplicate(ret: Return, table: str, key: str, path: str, elem: etree._Element, what: str, rejected_paths: list[str]) -> bool:
    if key in ret.rows[table]:
        first = ret.rows[table][key]["_source"].rsplit(":", 1)[-1]
        ret.rejected.append(
            Issue(
                str(ret.path),
                f"{path} (line {elem.sourceline})",
                table,
                what,
                "",
                f"repeats {first} ({what} already in this return)",
                _raw(elem),
            )
        )
        rejected_paths.append(path)
        return True
    return False


def _episode(ret: Return, ep: etree._Element, child: str, path: str, rejected_paths: list[str]) -> None:
    ret.read["ssd_cin_episodes"] += 1
    src = f"{ret.path}:{path}"
    epf = leaves(ep)
    try:
        ref_date = _date(epf, "CINreferralDate", required=True)
        close = _date(epf, "CINclosureDate")
        icpc_date = _date(epf, "DateOfInitialCPC")
    except BadRecord as bad:
        _reject(ret, "ssd_cin_episodes", path, ep, bad, rejected_paths)
        return
    assert ref_date is not None
    ref = referral_id(child, ref_date)
    if _duplicate(ret, "ssd_cin_episodes", ref, path, ep, "CINreferralDate", rejected_paths):
        return
    ret.rows["ssd_cin_episodes"][ref] = {
        "cine_referral_id": ref,
        "cine_person_id": child,
        "cine_referral_date": ref_date,
        "cine_cin_primary_need_code": _upper(_text(epf, "PrimaryNeedCode")),
        "cine_referral_source_code": _upper(_text(epf, "ReferralSource")),
        "cine_referral_nfa": _flag(_text(epf, "ReferralNFA")),
        "cine_close_reason": _upper(_text(epf, "ReasonForClosure")),
        "cine_close_date": close,
        "_source": src,
    }
    ctx = (child, ref, rejected_paths)
    for k, a in enumerate(ep.findall("Assessments"), start=1):
        _assessment(ret, a, ctx, f"{path}/Assessments[{k}]")
    for k, p in enumerate(ep.findall("CINPlanDates"), start=1):
        _cin_plan(ret, p, ctx, f"{path}/CINPlanDates[{k}]")
    icpcs = [icpc for k, s in enumerate(ep.findall("Section47"), start=1) if (icpc := _s47(ret, s, ctx, f"{path}/Section47[{k}]"))]
    plans = [_cp_plan(ret, c, ctx, f"{path}/ChildProtectionPlans[{k}]") for k, c in enumerate(ep.findall("ChildProtectionPlans"), start=1)]
    if icpc_date is not None and icpc_date not in {i["icpc_icpc_date"] for i in icpcs}:
        icpcs.append(_icpc(ret, child, ref, None, icpc_date, None, f"{src}/DateOfInitialCPC"))
    _link_icpc_plans(icpcs, [p for p in plans if p])


def _dated_record(
    ret: Return, el: etree._Element, ctx: tuple, path: str, table: str, id_prefix: str, start_field: str, end_field: str
) -> tuple[str, dt.date, dt.date | None] | None:
    """Read a record keyed by its start date (an assessment, a CIN plan): its derived key and dates, or None when
    it is rejected (bad date) or repeats a record already read."""
    child, _ref, rejected_paths = ctx
    ret.read[table] += 1
    fields = leaves(el)
    try:
        start = _date(fields, start_field, required=True)
        end = _date(fields, end_field)
    except BadRecord as bad:
        _reject(ret, table, path, el, bad, rejected_paths)
        return None
    assert start is not None
    key = synthetic_id(id_prefix, child, start)
    if _duplicate(ret, table, key, path, el, start_field, rejected_paths):
        return None
    return key, start, end


def _assessment(ret: Return, a: etree._Element, ctx: tuple, path: str) -> None:
    child, ref, _ = ctx
    read = _dated_record(ret, a, ctx, path, "ssd_cin_assessments", "ASM", "AssessmentActualStartDate", "AssessmentAuthorisationDate")
    if read is None:
        return
    key, start, auth = read
    ret.rows["ssd_cin_assessments"][key] = {
        "cina_assessment_id": key,
        "cina_person_id": child,
        "cina_referral_id": ref,
        "cina_assessment_start_date": start,
        "cina_assessment_auth_date": auth,
        "_source": f"{ret.path}:{path}",
    }
    factors = [(f.text or "").strip().upper() for f in a.findall("FactorsIdentifiedAtAssessment/AssessmentFactors")]
    if factors := [f for f in factors if f]:
        ret.read["ssd_assessment_factors"] += 1
        ret.rows["ssd_assessment_factors"][key] = {
            "cinf_table_id": key,
            "cinf_assessment_id": key,
            "cinf_assessment_factors_json": json.dumps(factors, separators=(",", ":")),
            "_source": f"{ret.path}:{path}/FactorsIdentifiedAtAssessment",
        }


def _cin_plan(ret: Return, p: etree._Element, ctx: tuple, path: str) -> None:
    child, ref, _ = ctx
    read = _dated_record(ret, p, ctx, path, "ssd_cin_plans", "CINP", "CINPlanStartDate", "CINPlanEndDate")
    if read is None:
        return
    key, start, end = read
    ret.rows["ssd_cin_plans"][key] = {
        "cinp_cin_plan_id": key,
        "cinp_referral_id": ref,
        "cinp_person_id": child,
        "cinp_cin_plan_start_date": start,
        "cinp_cin_plan_end_date": end,
        "_source": f"{ret.path}:{path}",
    }


def _s47(ret: Return, s: etree._Element, ctx: tuple, path: str) -> dict | None:
    """Map a Section47; returns the ICPC row it led to (if any) so the episode does not repeat it."""
    child, ref, rejected_paths = ctx
    ret.read["ssd_s47_enquiry"] += 1
    sf = leaves(s)
    try:
        start = _date(sf, "S47ActualStartDate", required=True)
        target = _date(sf, "InitialCPCtarget")
        icpc_date = _date(sf, "DateOfInitialCPC")
    except BadRecord as bad:
        _reject(ret, "ssd_s47_enquiry", path, s, bad, rejected_paths)
        return None
    assert start is not None
    key = synthetic_id("S47", child, start)
    if _duplicate(ret, "ssd_s47_enquiry", key, path, s, "S47ActualStartDate", rejected_paths):
        return None
    src = f"{ret.path}:{path}"
    ret.rows["ssd_s47_enquiry"][key] = {
        "s47e_s47_enquiry_id": key,
        "s47e_referral_id": ref,
        "s47e_person_id": child,
        "s47e_s47_start_date": start,
        "s47e_s47_nfa": _flag(_text(sf, "ICPCnotRequired")),
        "_source": src,
    }
    if icpc_date is None:
        return None
    return _icpc(ret, child, ref, key, icpc_date, target, f"{src}/DateOfInitialCPC")


def _icpc(ret: Return, child: str, ref: str, s47: str | None, date: dt.date, target: dt.date | None, src: str) -> dict:
    key = synthetic_id("ICPC", child, date)
    ret.read["ssd_initial_cp_conference"] += 1
    row = ret.rows["ssd_initial_cp_conference"][key] = {
        "icpc_icpc_id": key,
        "icpc_s47_enquiry_id": s47,
        "icpc_person_id": child,
        "icpc_referral_id": ref,
        "icpc_icpc_target_date": target,
        "icpc_icpc_date": date,
        "icpc_icpc_outcome_cp_flag": "N",
        "_source": src,
    }
    return row


def _transfer_in(icpc: dict) -> str:
    """Y for a conference no return records under a Section47: a CINdetails-level DateOfInitialCPC with no S47 of the
    episode holding the same date. The census records a conference there only when no S47 in the episode led to it,
    e.g. a child on a plan transferring in from another authority (CIN census guide; validation rule 2884: a conference
    is recorded at S47 or CINdetails level, not both); DfE times those separately from the 15-working-day measure."""
    return "N" if icpc.get("icpc_s47_enquiry_id") else "Y"


def _cp_plan(ret: Return, c: etree._Element, ctx: tuple, path: str) -> dict | None:
    child, ref, rejected_paths = ctx
    ret.read["ssd_cp_plans"] += 1
    cf = leaves(c)
    try:
        start = _date(cf, "CPPstartDate", required=True)
        end = _date(cf, "CPPendDate")
        reviews = [(k, _date(r, ".")) for k, r in enumerate(c.findall("Reviews/CPPreviewDate"), start=1)]
    except BadRecord as bad:
        _reject(ret, "ssd_cp_plans", path, c, bad, rejected_paths)
        return None
    assert start is not None
    key = synthetic_id("CPP", child, start)
    if _duplicate(ret, "ssd_cp_plans", key, path, c, "CPPstartDate", rejected_paths):
        return None
    previous = _text(cf, "NumberOfPreviousCPP")
    row = {
        "cppl_cp_plan_id": key,
        "cppl_referral_id": ref,
        "cppl_person_id": child,
        "cppl_cp_plan_start_date": start,
        "cppl_cp_plan_end_date": end,
        "cppl_cp_plan_initial_category": _upper(_text(cf, "InitialCategoryOfAbuse")),
        "cppl_cp_plan_latest_category": _upper(_text(cf, "LatestCategoryOfAbuse")),
        "cppl_ext_previous_plans": int(previous) if previous and previous.isdigit() else None,
        "_source": f"{ret.path}:{path}",
    }
    ret.rows["ssd_cp_plans"][key] = row
    for k, date in reviews:
        ret.read["ssd_cp_reviews"] += 1
        if date is None:
            continue
        rkey = synthetic_id("CPR", child, start, date)
        ret.rows["ssd_cp_reviews"][rkey] = {
            "cppr_cp_review_id": rkey,
            "cppr_person_id": child,
            "cppr_cp_plan_id": key,
            "cppr_cp_review_date": date,
            "_source": f"{ret.path}:{path}/Reviews/CPPreviewDate[{k}]",
        }
    return row


def _link_icpc_plans(icpcs: list[dict], plans: list[dict]) -> None:
    """An ICPC and a plan of the same referral starting on the conference date belong together."""
    by_start = {p["cppl_cp_plan_start_date"]: p for p in plans}
    for icpc in icpcs:
        plan = by_start.get(icpc["icpc_icpc_date"])
        if plan is not None:
            icpc["icpc_cp_plan_id"] = plan["cppl_cp_plan_id"]
            icpc["icpc_icpc_outcome_cp_flag"] = "Y"
            plan["cppl_icpc_id"] = icpc["icpc_icpc_id"]


# ---------------------------------------------------------------- several returns


def parse_cin_xml(paths: list[Path]) -> Parsed:
    """Parse one or more CIN census returns into canonical frames; later returns win."""
    if not paths:
        raise UserError("no CIN census files given")
    returns = sorted((read_return(Path(p), i) for i, p in enumerate(paths)), key=lambda r: r.sort_key)
    merged: dict[str, dict[str, dict]] = {t: {} for t in TABLE_ORDER}
    read: dict[str, int] = {}
    rejected: list[Issue] = []
    warnings: list[Issue] = []
    for ret in returns:
        for table, rows in ret.rows.items():
            superseded = len(rows.keys() & merged[table].keys())
            if superseded:
                warnings.append(
                    Issue(
                        str(ret.path),
                        "(whole file)",
                        table,
                        PK[table],
                        str(superseded),
                        f"information: {superseded} records also in an earlier return; this later return's values were kept"
                        " (earlier values fill its gaps)",
                    )
                )
            target = merged[table]
            for pk, row in rows.items():
                # the later return wins for every value it gives; values it leaves empty are kept
                target[pk] = {**target[pk], **{k: v for k, v in row.items() if v is not None}} if pk in target else row
        for table, count in ret.read.items():
            if count:
                read[f"{ret.path} ({ELEMENT_OF[table]})"] = count
        rejected += ret.rejected
        warnings += ret.warnings
    for icpc in merged["ssd_initial_cp_conference"].values():
        # a later return may no longer hold the plan: the flag follows the merged link
        icpc["icpc_icpc_outcome_cp_flag"] = "Y" if icpc.get("icpc_cp_plan_id") else "N"
        icpc["icpc_icpc_transfer_in"] = _transfer_in(icpc)
    frames = {t: pd.DataFrame(list(rows.values())) for t, rows in merged.items() if rows}
    return Parsed(frames=frames, rejected=rejected, warnings=warnings, read=read)
