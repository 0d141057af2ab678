"""Ofsted Annex A workbooks (lists 1-11) into the canonical model.

Councils produce Annex A from many systems, so the reader is tolerant: sheets are found by the
list number in their name ("List 3", "list3 - referrals"), the header row is found among the first
rows, headers are matched ignoring case, spacing and punctuation ("Gender" or "Sex", "Child Unique
ID" or "Child ID"), coded answers may carry the Annex A enumerators ("a) Male", "q) 6: Police"),
and dates may be Excel dates, Excel serial numbers or text. Annex A has no record ids, so keys are
derived from the child id and dates, as for the CIN census; the same event in two lists (a referral
in lists 3 and 6) or in two monthly workbooks is one record.

List 11 (the authority's own adopters) loads into the permanency service's tables, one household per
family identifier (`_list11`): `ext_adopter` with agency OWN, the family's rows as its number of
adopters, the first row's ethnicity, the enquiry, stage 1 and 2 start and end, application, approval
and leaving dates, the leaving reason read back through `LEAVING_REASON` (a reason it has no code
for is kept as `ANNEX_A_<code>`) or, with an adoption order and no leaving date, ADOPTED; and
`ext_adoption_match`, a match per child placed (no child is named). A family loads whole or not at
all. Each adopter's sex and disability, the fostering-for-adoption answer (the writer derives it from
the matched children's records), a second adopter's ethnicity and adopter ids other than the
`<family>-1`, `-2` the writer gives are not held: a warning per column says how many values were
not kept.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import zipfile
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from cscperf.errors import UserError
from cscperf.ingest.core import Issue, Parsed
from cscperf.ingest.limits import MB, Limits, limits
from cscperf.ingest.values import clean_code, is_blank, parse_date

if TYPE_CHECKING:
    from openpyxl.worksheet._read_only import ReadOnlyWorksheet

MISSING = {"#n/a", "n/a", "#ref!", "#value!", "-", "not recorded"}
SEX = {"male": "M", "m": "M", "female": "F", "f": "F", "1": "M", "2": "F", "0": "U", "9": "I"}
SEX_UNKNOWN = ("not stated", "not recorded", "unknown", "u", "indeterminate", "other")
ABUSE = {
    "neglect": "NEG",
    "physical abuse": "PHY",
    "physical": "PHY",
    "emotional abuse": "EMO",
    "emotional": "EMO",
    "sexual abuse": "SAB",
    "sexual": "SAB",
}
IN_TOUCH = {"yes": "YES", "no": "NO", "died": "DIED", "refused": "REFU", "not required": "NREQ", "returned home": "RHOM"}

# Header aliases per field, compared after `norm` (lower case, letters and digits only); a header
# matches an alias when it starts with it, so long Annex A headers need only a distinctive start.
COMMON = {
    "child": ("childuniqueid", "childid", "uniquechildid", "childuniqueidentifier", "lachildid", "personid", "id"),
    "sex": ("gender", "sex"),
    "ethnicity": ("ethnicity",),
    "dob": ("dateofbirth", "dob", "birthdate"),
    "team": ("allocatedteam", "team"),
    "worker": ("allocatedworker", "worker", "allocatedsocialworker"),
}
LISTS: dict[int, dict[str, tuple[str, ...]]] = {
    1: {"date": ("dateofcontact", "contactdate"), "source": ("contactsource", "sourceofcontact")},
    2: {
        "start": ("assessmentstartdate", "earlyhelpstartdate"),
        "end": ("assessmentcompletiondate", "earlyhelpenddate"),
        "org": ("organisation",),
    },
    3: {"date": ("dateofreferral", "referraldate"), "source": ("referralsource", "sourceofreferral"), "nfa": ("referralnfa",)},
    4: {
        "start": ("continuousassessmentstartdate", "assessmentstartdate"),
        "seen": ("childseen",),
        "auth": (
            "continuousassessmentdateofauthorisation",
            "assessmentdateofauthorisation",
            "dateofauthorisation",
            "assessmentauthorisationdate",
        ),
        "support": ("wasthechildassessedasrequiring",),
    },
    5: {
        "start": ("strategydiscussion", "section47startdate", "s47startdate"),
        "unnecessary": ("wasaninitialchildprotectionconferencedeemedunnecessary", "icpcnotrequired"),
        "icpc": ("dateofinitialchildprotectionconference", "icpcdate"),
        "plan": ("didtheinitialchildprotectionconferenceresult", "icpcresultedinplan"),
    },
    6: {
        "start": ("cinstartdate",),
        "need": ("primaryneed", "categoryofneed"),
        "seen": ("datechildwaslastseen",),
        "end": ("cinclosuredate",),
        "reason": ("reasonforclosure",),
    },
    7: {
        "start": ("childprotectionplanstartdate", "cpplanstartdate", "cppstartdate"),
        "initial": ("initialcategoryofabuse",),
        "latest": ("latestcategoryofabuse",),
        "visit": ("dateofthelaststatutoryvisit", "dateoflaststatutoryvisit"),
        "alone": ("wasthechildseenalone",),
        "review": ("dateoflatestreviewconference",),
        "end": ("childprotectionplanenddate", "cpplanenddate", "cppenddate"),
        "previous": ("numberofpreviouschildprotectionplans",),
    },
    8: {
        "entered": ("datestartedtobelookedafter", "dateenteredcare"),
        "need": ("childscategoryofneed", "categoryofneed"),
        "ls_start": ("startdateofcurrentlegalstatus",),
        "legal": ("childslegalstatus", "legalstatus"),
        "review": ("dateoflateststatutoryreview",),
        "visit": ("dateoflastsocialworkvisit",),
        "iro": ("dateoflastirovisit",),
        "health": ("dateoflasthealthassessment",),
        "dental": ("dateoflastdentalcheck",),
        "ceased": ("dateceasedtobelookedafter",),
        "reason": ("reasonceasedtobelookedafter",),
        "pl_start": ("startdateofmostrecentplacement",),
        "pl_type": ("placementtype",),
        "provider": ("placementprovider",),
        "postcode": ("placementpostcode",),
        "urn": ("urnofplacement",),
    },
    9: {
        "pa": ("allocatedpersonaladvisor", "allocatedpersonaladviser"),
        "eligibility": ("eligibilitycategory",),
        "review": ("latestpathwayplanreviewdate",),
        "in_touch": ("laintouch",),
        "contact": ("latestdateofcontact",),
        "accom": ("typeofaccommodation",),
        "suitable": ("suitabilityofaccommodation",),
        "activity": ("activitystatus",),
    },
    10: {
        "entered": ("datethechildenteredcare",),
        "adm": ("dateofdecisionthatchildshouldbeplaced",),
        "po": ("dateofplacementorder",),
        "matched": ("dateofmatching",),
        "placed": ("dateplacedforadoption",),
        "order": ("dateofadoptionorder",),
        "reversed": ("dateofdecisionthatchildshouldnolonger",),
        "reversed_reason": ("reasonwhychildnolonger",),
        "ffa": ("datethechildwasplacedforfostering",),
    },
    11: {
        "adopter": ("individualadopteridentifier", "individualadopterid", "adopterid"),
        "family": ("familyidentifier", "familyid"),
        "disability": ("disability",),
        "ffa": ("istheprospectiveadopterfosteringforadoption", "fosteringforadoption"),
        "enquiry": ("dateenquiryreceived", "enquirydate"),
        "stage1_start": ("datestage1started",),
        "stage1_end": ("datestage1ended",),
        "stage2_start": ("datestage2started",),
        "stage2_end": ("datestage2ended",),
        "submitted": ("dateapplicationsubmitted",),
        "approved": ("dateapplicationapproved", "dateapproved"),
        "matched": ("dateadoptermatchedwithchild", "datematched"),
        "placed": ("datechildchildrenplacedwithadopter", "dateplaced"),
        "children_placed": ("noofchildrenplaced", "numberofchildrenplaced"),
        "order": ("dateofadoptionorder",),
        "left": ("dateofleavingadoptionprocess",),
        "left_reason": ("reasonforleavingadoptionprocess",),
    },
}
# The template Ofsted's Annex A lists follow (the layout of the shared sample workbook): each list's
# headers in order, with the field each one fills. The loader finds a column by its template header
# first (then by LISTS's aliases); the writer (`cscperf.returns.annex_a`) writes exactly these headers.
# A field the loader does not read (age, disability, counts) is written from the warehouse but not loaded.
TEMPLATE_VERSION = "Ofsted Annex A, 11 lists (layout of Annex_A_2024_Jan.xlsx)"
_PERSON = (("Child Unique ID", "child"), ("Gender", "sex"), ("Ethnicity", "ethnicity"), ("Date of Birth", "dob"), ("Age", "age"))
_DISABILITY = ("Does the Child have a Disability", "disability")
_STAFF = (("Allocated Team", "team"), ("Allocated Worker", "worker"))
TEMPLATE: dict[int, tuple[tuple[str, str], ...]] = {
    1: (*_PERSON, ("Date of Contact", "date"), ("Contact Source", "source")),
    2: (
        *_PERSON,
        ("Assessment start date", "start"),
        ("Assessment completion date", "end"),
        ("Organisation completing assessment", "org"),
    ),
    3: (
        *_PERSON,
        ("Date of Referral", "date"),
        ("Referral Source", "source"),
        ("Referral NFA?", "nfa"),
        ("Number of Referrals in Last 12 Months", "referrals_12m"),
        *_STAFF,
    ),
    4: (
        *_PERSON,
        _DISABILITY,
        ("Continuous Assessment Start Date", "start"),
        ("Child Seen During Continuous Assessment", "seen"),
        ("Continuous Assessment Date of Authorisation", "auth"),
        ("Was the child assessed as requiring LA children's social care support?", "support"),
        *_STAFF,
    ),
    5: (
        *_PERSON,
        _DISABILITY,
        ("Strategy discussion initiating Section 47 Enquiry Start Date", "start"),
        ("Was an Initial Child Protection Conference deemed unnecessary?", "unnecessary"),
        ("Date of Initial Child Protection Conference", "icpc"),
        ("Did the Initial Child Protection Conference Result in a Child Protection Plan", "plan"),
        ("Number of Section 47 Enquiries in the last 12 months", "s47_12m"),
        ("Number of ICPCs in the last 12 months", "icpc_12m"),
        *_STAFF,
    ),
    6: (
        *_PERSON,
        _DISABILITY,
        ("CIN Start Date", "start"),
        ("Primary Need Code", "need"),
        ("Date Child Was Last Seen", "seen"),
        ("CIN Closure Date", "end"),
        ("Reason for Closure", "reason"),
        ("Case Status", "status"),
        *_STAFF,
    ),
    7: (
        *_PERSON,
        _DISABILITY,
        ("Child Protection Plan Start Date", "start"),
        ("Initial Category of Abuse", "initial"),
        ("Latest Category of Abuse", "latest"),
        ("Date of the Last Statutory Visit", "visit"),
        ("Was the Child Seen Alone?", "alone"),
        ("Date of latest review conference", "review"),
        ("Child Protection Plan End Date", "end"),
        ("Subject to Emergency Protection Order or Protected Under Police Powers in Last Six Months (Y/N)", "epo"),
        ("Number of Previous Child Protection Plans", "previous"),
        *_STAFF,
    ),
    8: (
        *_PERSON,
        ("Unaccompanied Asylum Seeking Child (UASC) within the Last 12 Months (Y/N))", "uasc"),
        _DISABILITY,
        ("Date Started to be Looked After", "entered"),
        ("Child's Category of Need", "need"),
        ("Is this a second or subsequent period of being a Looked After Child within the last 12 months (Y/N)", "second_period"),
        ("Start date of current legal status", "ls_start"),
        ("Child's Legal Status", "legal"),
        ("Date of Latest Statutory Review", "review"),
        ("Date of Last Social Work Visit", "visit"),
        ("What is the permanence plan for this child?", "permanence_plan"),
        ("Date of Last IRO Visit / Contact to the Child", "iro"),
        ("Date of Last Health Assessment", "health"),
        ("Date of Last Dental Check", "dental"),
        ("Number of Placements in the Last 12 months", "placements_12m"),
        ("Date Ceased to be Looked After", "ceased"),
        ("Reason Ceased to be Looked After", "reason"),
        ("Start Date of Most Recent Placement", "pl_start"),
        ("Placement Type", "pl_type"),
        ("Placement Provider", "provider"),
        ("Placement postcode", "postcode"),
        ("URN of Placement", "urn"),
        ("Placement Location", "location"),
        ("LA of Placement", "placement_la"),
        ("Number of Episodes the Child has been \u2018Missing\u2019 from their Placement in the last 12 months", "missing_12m"),
        ("Number of Episodes the Child has been \u2018Absent\u2019 from their Placement in the last 12 months", "absent_12m"),
        ("Was the child offered a Return Interview after their last missing episode (Y/N)?", "ri_offered"),
        ("Did the child accept a Return Interview after their last missing episode (Y/N)?", "ri_accepted"),
        *_STAFF,
    ),
    9: (
        *_PERSON,
        ("Unaccompanied Asylum Seeking Child (UASC), or formerly UASC if 18 or over (Y/N)", "uasc"),
        _DISABILITY,
        *_STAFF,
        ("Allocated Personal Advisor", "pa"),
        ("Eligibility Category", "eligibility"),
        ("Latest Pathway Plan Review Date", "review"),
        ("LA in Touch", "in_touch"),
        ("Latest Date of Contact", "contact"),
        ("Type of Accommodation", "accom"),
        ("Suitability of Accommodation", "suitable"),
        ("Activity Status", "activity"),
    ),
    10: (
        ("Child Unique ID", "child"),
        ("Family identifier", "family"),
        ("Gender", "sex"),
        ("Ethnicity", "ethnicity"),
        ("Date of Birth", "dob"),
        ("Age of Child (Years)", "age"),
        _DISABILITY,
        ("Date the Child Entered Care", "entered"),
        ("Date of Decision that Child Should be Placed for Adoption", "adm"),
        ("Date of Placement Order", "po"),
        ("Date of Matching Child and Prospective Adopters", "matched"),
        ("Date Placed for Adoption", "placed"),
        ("Date of Adoption Order", "order"),
        ("Date of Decision that Child Should No Longer be Placed for Adoption", "reversed"),
        ("Reason Why Child No Longer Placed for Adoption", "reversed_reason"),
        ("Date the child was placed for fostering in FFA or concurrent planning placement", "ffa"),
    ),
    11: (
        ("Individual adopter identifier", "adopter"),
        ("Family identifier", "family"),
        ("Gender", "sex"),
        ("Ethnicity", "ethnicity"),
        ("Disability", "disability"),
        ("Is the (prospective) adopter fostering for adoption?", "ffa"),
        ("Date enquiry received", "enquiry"),
        ("Date Stage 1 started", "stage1_start"),
        ("Date Stage 1 ended", "stage1_end"),
        ("Date Stage 2 started", "stage2_start"),
        ("Date Stage 2 ended", "stage2_end"),
        ("Date application submitted", "submitted"),
        ("Date application approved", "approved"),
        ("Date adopter matched with child(ren)", "matched"),
        ("Date child/children placed with adopter(s)", "placed"),
        ("No. of children placed", "children_placed"),
        ("Date of Adoption Order", "order"),
        ("Date of leaving adoption process", "left"),
        ("Reason for leaving adoption process", "left_reason"),
    ),
}
# List 11's reason for leaving the adoption process, by the model's end reason (ext_adopter.adop_end_reason), for the
# writer and the loader both. Read back, 3 is NOT_APPROVED before an approval and APPROVAL_TERMINATED after one; a
# reason with no code here is kept as OTHER_LEAVING + the reason and written back as it came. An adoption
# (ADOPTED) is shown by its order date, not as leaving.
LEAVING_REASON = {"WITHDRAWN": 1, "NOT_APPROVED": 3, "APPROVAL_TERMINATED": 3}
OTHER_LEAVING = "ANNEX_A_"
LIST_NAMES = {
    1: "Contacts",
    2: "Early help",
    3: "Referrals",
    4: "Assessments",
    5: "Section 47 enquiries and ICPCs",
    6: "Children in need",
    7: "Child protection",
    8: "Children looked after",
    9: "Care leavers",
    10: "Adoption",
    11: "Adopters",
}
# Category of abuse as Annex A words it, by CIN census code (the loader's ABUSE read backwards).
ABUSE_TEXT = {"NEG": "Neglect", "PHY": "Physical abuse", "EMO": "Emotional abuse", "SAB": "Sexual abuse", "MUL": "Multiple"}
DATE_FIELDS = {
    "dob",
    "date",
    "start",
    "end",
    "auth",
    "icpc",
    "visit",
    "review",
    "entered",
    "ls_start",
    "iro",
    "health",
    "dental",
    "ceased",
    "pl_start",
    "contact",
}
DATE_FIELDS |= {"adm", "po", "matched", "placed", "order", "reversed", "ffa"}
REQUIRED_DATE = {1: "date", 2: "start", 3: "date", 4: "start", 5: "start", 6: "start", 7: "start", 8: "entered", 10: "entered"}


def norm(text: object) -> str:
    return re.sub(r"[^a-z0-9]", "", str(text).lower()) if text is not None else ""


def key(kind: str, *parts: object) -> str:
    text = "|".join([kind, *(p.isoformat() if isinstance(p, dt.date) else str(p) for p in parts)])
    return f"{kind}-{hashlib.sha1(text.encode()).hexdigest()[:16]}"


# ---------------------------------------------------------------- value cleaning


def answer(value: object) -> str | None:
    """The text of an answer without its Annex A enumerator ('b) Female' -> 'Female')."""
    if is_blank(value):
        return None
    text = str(value).replace("\xa0", " ").strip()
    if text.lower() in MISSING:
        return None
    return re.sub(r"^[a-z]{1,2}\)\s*", "", text, flags=re.I).strip() or None


def code(value: object) -> str | None:
    """The code part of a coded answer: 'q) 6: Police' -> '6', 'N1 - Abuse' -> 'N1', 'U6: Foster' -> 'U6'."""
    text = answer(value)
    if text is None:
        return None
    head = re.split(r"\s*:\s*|\s+-\s+", text, maxsplit=1)[0]
    return clean_code(head)


def description(value: object) -> str | None:
    text = answer(value)
    if text is None:
        return None
    parts = re.split(r"\s*:\s*|\s+-\s+", text, maxsplit=1)
    return parts[1] if len(parts) == 2 else None


def yes_no(value: object) -> str | None:
    text = (answer(value) or "").lower()
    if text in ("yes", "y", "true", "1"):
        return "Y"
    if text in ("no", "n", "false", "0"):
        return "N"
    return None


def sex(value: object) -> str | None:
    text = (answer(value) or "").lower()
    if not text:
        return None
    if text in SEX:
        return SEX[text]
    return "U" if text.startswith(SEX_UNKNOWN) else None


def child_id(value: object) -> str | None:
    if is_blank(value):
        return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = str(value).replace("\xa0", " ").strip()
    return None if not text or text.lower() in MISSING else text


# ---------------------------------------------------------------- collecting rows


@dataclass
class Rows:
    """Rows per table keyed by primary key; a second sighting fills gaps, a repeat in one list is rejected."""

    tables: dict[str, dict[str, dict]] = field(default_factory=dict)
    origin: dict[tuple[str, str], str] = field(default_factory=dict)

    def add(self, table: str, pk: str, row: dict, origin: str | None = None) -> bool:
        rows = self.tables.setdefault(table, {})
        if origin is not None and self.origin.get((table, pk)) == origin:
            return False
        if pk in rows:
            current = rows[pk]
            for k, v in row.items():
                if current.get(k) is None and v is not None:
                    current[k] = v
        else:
            rows[pk] = dict(row)
        if origin is not None:
            self.origin.setdefault((table, pk), origin)
        return True


@dataclass
class Sheet:
    path: Path
    name: str
    number: int
    columns: dict[str, int]
    rows: list[tuple[int, tuple]]


@dataclass
class Context:
    rows: Rows = field(default_factory=Rows)
    rejected: list[Issue] = field(default_factory=list)
    warnings: list[Issue] = field(default_factory=list)
    read: dict[str, int] = field(default_factory=dict)


class BadRow(Exception):
    def __init__(self, field: str, value: str, rule: str) -> None:
        super().__init__(rule)
        self.field, self.value, self.rule = field, value, rule


# ---------------------------------------------------------------- reading the workbook


# What openpyxl raises for a damaged workbook: a broken zip or CRC, bad compressed data, missing
# parts, malformed XML (its parsers' errors are SyntaxError subclasses), values it cannot read.
BAD_WORKBOOK = (zipfile.BadZipFile, zlib.error, KeyError, OSError, ValueError, TypeError, SyntaxError, EOFError)


def _open(path: Path, cap: Limits):  # noqa: ANN202 - openpyxl workbook
    import openpyxl

    if not path.exists():
        raise UserError(f"{path}: file not found")
    if path.is_dir():
        raise UserError(f"{path}: is a folder, expected an Annex A workbook (.xlsx)")
    if path.stat().st_size == 0:
        raise UserError(f"{path}: the file is empty")
    try:
        _check_unpacked_size(path, cap)
        return openpyxl.load_workbook(path, read_only=True, data_only=True)
    except BAD_WORKBOOK as exc:
        raise _unreadable(path, exc) from None


def _unreadable(path: Path, exc: Exception) -> UserError:
    return UserError(f"{path}: not a readable Excel workbook (.xlsx) ({type(exc).__name__}: {str(exc)[:80]})")


def _too_large(path: Path, what: str, limit: str, variable: str) -> UserError:
    return UserError(f"{path}: too large: {what} (the limit is {limit}; set {variable} to change it)")


def _check_unpacked_size(path: Path, cap: Limits) -> None:
    """Refuse a workbook whose parts unpack to more than the cap before openpyxl reads any (a zip bomb
    is a few kilobytes that unpack to gigabytes). Python's zip reader stops at each part's declared
    size, so the declared sizes summed here bound what is read."""
    with zipfile.ZipFile(path) as archive:
        unpacked = sum(info.file_size for info in archive.infolist())
    if unpacked > cap.workbook_bytes:
        what, limit = f"unpacks to {unpacked / MB:,.0f} MB", f"{cap.workbook_bytes / MB:,.0f} MB"
        raise _too_large(path, what, limit, "CSCPERF_MAX_WORKBOOK_MB")


@dataclass
class RowBudget:
    """Rows still allowed from one workbook (all its lists together)."""

    path: Path
    cap: Limits
    used: int = 0

    def take(self) -> None:
        self.used += 1
        if self.used > self.cap.workbook_rows:
            raise self.too_many_rows(f"more than {self.cap.workbook_rows:,} rows")

    def check_width(self, sheet: str, columns: int, how: str) -> None:
        if columns > self.cap.workbook_columns:
            what = f"sheet '{sheet}' {how} {columns:,} columns"
            raise _too_large(self.path, what, f"{self.cap.workbook_columns:,} columns", "CSCPERF_MAX_WORKBOOK_COLUMNS")

    def too_many_rows(self, what: str) -> UserError:
        return _too_large(self.path, what, f"{self.cap.workbook_rows:,} rows", "CSCPERF_MAX_WORKBOOK_ROWS")


def _sheet_rows(ws: ReadOnlyWorksheet, budget: RowBudget) -> Iterator[tuple]:
    """The sheet's rows, streamed and counted against the budget; a damaged sheet is a UserError.

    A sheet's declared size (its <dimension>) is checked first, so a workbook declaring a million
    rows or 16,384 columns is refused at once; then it is ignored, because openpyxl would pad every
    row to the declared width, and would silently stop at a declared last row smaller than the data.
    """
    declared_rows, declared_columns = ws.max_row or 0, ws.max_column or 0
    budget.check_width(ws.title, declared_columns, "declares")
    if budget.used + declared_rows > budget.cap.workbook_rows:
        what = f"sheet '{ws.title}' declares {declared_rows:,} rows"
        if budget.used:
            what += f", {budget.used + declared_rows:,} in the workbook so far"
        raise budget.too_many_rows(what)
    ws.reset_dimensions()
    rows = ws.iter_rows(values_only=True)
    while True:
        try:
            row = next(rows)
        except StopIteration:
            return
        except BAD_WORKBOOK as exc:
            raise _unreadable(budget.path, exc) from None
        budget.take()
        budget.check_width(ws.title, len(row), "has a row of")
        yield row


def _list_number(title: str) -> int | None:
    m = re.match(r"^\s*list\s*_?(\d{1,2})\b", title, flags=re.I) or re.match(r"^\s*l(\d{1,2})\b", title, flags=re.I)
    return int(m.group(1)) if m else None


def _header_row(rows: list[tuple]) -> int | None:
    """Index of the header row: the first of the top 10 with a child or adopter id heading."""
    for i, row in enumerate(rows[:10]):
        names = [norm(c) for c in row if c is not None]
        if any(n.startswith(("childuniqueid", "childid", "uniquechildid", "lachildid", "individualadopter", "personid")) for n in names):
            return i
    return None


def header_aliases(number: int) -> dict[str, tuple[str, ...]]:
    """Header aliases per field for a list: the template's own header first, then the tolerated variants."""
    wanted = {**COMMON, **LISTS.get(number, {})}
    template = {fieldname: norm(header) for header, fieldname in TEMPLATE.get(number, ())}
    return {f: (template[f], *a) if f in template else a for f, a in wanted.items()}


def _columns(number: int, header: tuple) -> dict[str, int]:
    wanted = header_aliases(number)
    found: dict[str, int] = {}
    names = [norm(h) for h in header]
    for fieldname, aliases in wanted.items():
        for alias in aliases:
            hit = next((i for i, n in enumerate(names) if n == alias), None)
            if hit is None and len(alias) > 4:
                hit = next((i for i, n in enumerate(names) if n.startswith(alias) and i not in found.values()), None)
            if hit is not None:
                found[fieldname] = hit
                break
    return found


def read_sheets(path: Path, ctx: Context, cap: Limits | None = None) -> list[Sheet]:
    cap = cap or limits()
    wb = _open(path, cap)
    budget = RowBudget(path, cap)
    sheets = []
    try:
        for ws in wb.worksheets:
            number = _list_number(ws.title)
            if number is None or not 1 <= number <= 11:
                ctx.warnings.append(
                    Issue(
                        str(path),
                        f"sheet '{ws.title}'",
                        "",
                        "sheet",
                        ws.title,
                        "not an Annex A list (expected a sheet named 'List 1' to 'List 11'); skipped",
                    )
                )
                continue
            rows = list(_sheet_rows(ws, budget))
            head = _header_row(rows)
            if head is None:
                if any(any(not is_blank(c) for c in r) for r in rows):
                    raise UserError(
                        f"{path}: sheet '{ws.title}': no header row with a child id column (e.g. 'Child Unique ID') in the first 10 rows"
                    )
                continue
            body = [(head + 2 + i, r) for i, r in enumerate(rows[head + 1 :]) if any(not is_blank(c) for c in r)]
            sheets.append(Sheet(path, ws.title, number, _columns(number, rows[head]), body))
    finally:
        wb.close()
    return sheets


# ---------------------------------------------------------------- mapping lists


def parse_annex_a(paths: list[Path]) -> Parsed:
    """Parse one or more Annex A workbooks; the same record in a later workbook fills the gaps the earlier left."""
    if not paths:
        raise UserError("no Annex A workbooks given")
    ctx = Context()
    for path in paths:
        for sheet in read_sheets(Path(path), ctx):
            _sheet(sheet, ctx)
    _link_referrals(ctx.rows)
    frames = {t: pd.DataFrame(list(rows.values())) for t, rows in ctx.rows.tables.items() if rows}
    return Parsed(frames=frames, rejected=ctx.rejected, warnings=ctx.warnings, read=ctx.read)


def _sheet(sheet: Sheet, ctx: Context) -> None:
    src = str(sheet.path)
    if sheet.number == 11:
        _list11(sheet, ctx)
        return
    if "child" not in sheet.columns:
        raise UserError(f"{src}: sheet '{sheet.name}': no child id column (expected 'Child Unique ID' or 'Child ID')")
    table = MAPPERS[sheet.number][0]
    name = f"{sheet.path} (List {sheet.number})"
    ctx.read[name] = ctx.read.get(name, 0) + len(sheet.rows)
    for number, values in sheet.rows:
        record = {f: values[i] if i < len(values) else None for f, i in sheet.columns.items()}
        location = f"sheet '{sheet.name}' row {number}"
        try:
            clean = _clean(record, sheet.number)
            # A repeat is one within this workbook's list: a later (monthly) workbook's same record fills gaps.
            MAPPERS[sheet.number][1](clean, ctx, f"{src}:{location}", f"{src} List {sheet.number}")
        except BadRow as bad:
            raw = _raw({k: v for k, v in record.items() if k != "worker"})
            ctx.rejected.append(Issue(src, location, table, bad.field, bad.value, bad.rule, raw))


def _clean(record: dict, number: int) -> dict:
    out: dict = {}
    for name, value in record.items():
        if name in DATE_FIELDS:
            try:
                out[name] = parse_date(answer(value) if isinstance(value, str) else value)
            except ValueError as exc:
                raise BadRow(name, str(value)[:40], str(exc)) from None
        else:
            out[name] = value
    out["child"] = child_id(record.get("child"))
    if out["child"] is None:
        raise BadRow("child", "", "child id is required and missing")
    need = REQUIRED_DATE.get(number)
    if need and out.get(need) is None:
        raise BadRow(need, "", f"{need.replace('_', ' ')} date is required and missing")
    return out


def _person(r: dict, ctx: Context, src: str) -> str:
    pid = r["child"]
    if not is_blank(r.get("sex")) and sex(r.get("sex")) is None:
        ctx.warnings.append(
            Issue(
                *src.rsplit(":", 1),
                "ssd_person",
                "sex",
                str(r["sex"])[:40],
                "not a recognised sex/gender (Male, Female, Not stated); left empty",
            )
        )
    ctx.rows.add(
        "ssd_person",
        pid,
        {
            "pers_person_id": pid,
            "pers_sex": sex(r.get("sex")),
            "pers_ethnicity": code(r.get("ethnicity")),
            "pers_dob": r.get("dob"),
            "_source": src,
        },
    )
    return pid


def _staff(
    r: dict, ctx: Context, src: str, start: dt.date | None, end: dt.date | None, referral: str | None = None
) -> tuple[str | None, str | None]:
    """Team and worker of a row into ssd_department/ssd_professionals/ssd_involvements: (team id, worker id)."""
    team = answer(r.get("team"))
    worker = answer(r.get("worker"))
    team_id = team[:100] if team else None
    worker_id = key("W", worker) if worker else None
    if team_id:
        ctx.rows.add("ssd_department", team_id, {"dept_team_id": team_id, "dept_team_name": team, "_source": src})
    if worker_id:
        ctx.rows.add(
            "ssd_professionals",
            worker_id,
            {"prof_professional_id": worker_id, "prof_professional_name": worker, "prof_ext_team_id": team_id, "_source": src},
        )
    if team_id or worker_id:
        inv = key("INV", r["child"], worker_id or "", team_id or "", start or "")
        row = {
            "invo_involvements_id": inv,
            "invo_professional_id": worker_id,
            "invo_professional_role_id": "Allocated Case Worker",
            "invo_professional_team": team_id,
            "invo_involvement_start_date": start,
            "invo_involvement_end_date": end,
            "invo_person_id": r["child"],
            "invo_referral_id": referral,
            "_source": src,
        }
        ctx.rows.add("ssd_involvements", inv, row)
    return team_id, worker_id


def _add(ctx: Context, table: str, pk: str, row: dict, origin: str, src: str, what: str) -> None:
    if not ctx.rows.add(table, pk, row, origin):
        ctx.rejected.append(
            Issue(*src.rsplit(":", 1), table, what, "", f"the same child and {what} appear earlier in this list; kept the first", None)
        )


def _list1(r: dict, ctx: Context, src: str, origin: str) -> None:
    pid = _person(r, ctx, src)
    pk = key("CON", pid, r["date"], code(r.get("source")) or "")
    row = {
        "cont_contact_id": pk,
        "cont_person_id": pid,
        "cont_contact_date": r["date"],
        "cont_contact_source_code": code(r.get("source")),
        "cont_contact_source_desc": description(r.get("source")),
        "_source": src,
    }
    _add(ctx, "ssd_contacts", pk, row, origin, src, "contact date and source")


def _list2(r: dict, ctx: Context, src: str, origin: str) -> None:
    pid = _person(r, ctx, src)
    pk = key("EH", pid, r["start"])
    row = {
        "earl_episode_id": pk,
        "earl_person_id": pid,
        "earl_episode_start_date": r["start"],
        "earl_episode_end_date": r.get("end"),
        "earl_episode_organisation": answer(r.get("org")),
        "_source": src,
    }
    _add(ctx, "ssd_early_help_episodes", pk, row, origin, src, "early help start date")


def _list3(r: dict, ctx: Context, src: str, origin: str) -> None:
    pid = _person(r, ctx, src)
    pk = key("REF", pid, r["date"])
    team, worker = _staff(r, ctx, src, r["date"], None, pk)
    row = {
        "cine_referral_id": pk,
        "cine_person_id": pid,
        "cine_referral_date": r["date"],
        "cine_referral_source_code": code(r.get("source")),
        "cine_referral_source_desc": description(r.get("source")),
        "cine_referral_nfa": yes_no(r.get("nfa")),
        "cine_referral_team": team,
        "cine_referral_worker_id": worker,
        "_source": src,
    }
    _add(ctx, "ssd_cin_episodes", pk, row, origin, src, "referral date")


def _list4(r: dict, ctx: Context, src: str, origin: str) -> None:
    pid = _person(r, ctx, src)
    pk = key("ASM", pid, r["start"])
    team, worker = _staff(r, ctx, src, r["start"], r.get("auth"))
    support = yes_no(r.get("support"))
    row = {
        "cina_assessment_id": pk,
        "cina_person_id": pid,
        "cina_assessment_start_date": r["start"],
        "cina_assessment_child_seen": yes_no(r.get("seen")),
        "cina_assessment_auth_date": r.get("auth"),
        "cina_assessment_outcome_nfa": {"Y": "N", "N": "Y"}.get(support or ""),
        "cina_assessment_team": team,
        "cina_assessment_worker_id": worker,
        "_source": src,
    }
    _add(ctx, "ssd_cin_assessments", pk, row, origin, src, "assessment start date")


def _list5(r: dict, ctx: Context, src: str, origin: str) -> None:
    pid = _person(r, ctx, src)
    pk = key("S47", pid, r["start"])
    team, worker = _staff(r, ctx, src, r["start"], r.get("icpc"))
    row = {
        "s47e_s47_enquiry_id": pk,
        "s47e_person_id": pid,
        "s47e_s47_start_date": r["start"],
        "s47e_s47_nfa": yes_no(r.get("unnecessary")),
        "s47e_s47_completed_by_team": team,
        "s47e_s47_completed_by_worker_id": worker,
        "_source": src,
    }
    _add(ctx, "ssd_s47_enquiry", pk, row, origin, src, "S47 start date")
    if r.get("icpc"):
        icpc = key("ICPC", pid, r["icpc"])
        plan = yes_no(r.get("plan"))
        ctx.rows.add(
            "ssd_initial_cp_conference",
            icpc,
            {
                "icpc_icpc_id": icpc,
                "icpc_s47_enquiry_id": pk,
                "icpc_person_id": pid,
                "icpc_icpc_date": r["icpc"],
                "icpc_icpc_outcome_cp_flag": plan,
                "icpc_cp_plan_id": None,  # linked after every list is read (_link_referrals)
                "icpc_icpc_team": team,
                "icpc_icpc_worker_id": worker,
                "_source": src,
            },
        )


def _list6(r: dict, ctx: Context, src: str, origin: str) -> None:
    pid = _person(r, ctx, src)
    pk = key("REF", pid, r["start"])
    need = code(r.get("need"))
    if need is not None and not re.fullmatch(r"N\d", need):
        ctx.warnings.append(
            Issue(*src.rsplit(":", 1), "ssd_cin_episodes", "need", need[:20], "primary need is not a CIN census code N0-N9; kept as given")
        )
    team, worker = _staff(r, ctx, src, r["start"], r.get("end"), pk)
    row = {
        "cine_referral_id": pk,
        "cine_person_id": pid,
        "cine_referral_date": r["start"],
        "cine_cin_primary_need_code": need,
        "cine_close_date": r.get("end"),
        "cine_close_reason": code(r.get("reason")),
        "cine_referral_team": team,
        "cine_referral_worker_id": worker,
        "_source": src,
    }
    _add(ctx, "ssd_cin_episodes", pk, row, origin, src, "CIN start date")
    if r.get("seen"):
        visit = key("CINV", pid, r["seen"])
        ctx.rows.add(
            "ssd_cin_visits",
            visit,
            {
                "cinv_cin_visit_id": visit,
                "cinv_person_id": pid,
                "cinv_cin_visit_date": r["seen"],
                "cinv_cin_visit_seen": "Y",
                "_source": src,
            },
        )


def _abuse(value: object) -> str | None:
    text = answer(value)
    if text is None:
        return None
    return ABUSE.get(text.lower()) or ("MUL" if text.lower().startswith("mult") else clean_code(text))


def _list7(r: dict, ctx: Context, src: str, origin: str) -> None:
    pid = _person(r, ctx, src)
    pk = key("CPP", pid, r["start"])
    _staff(r, ctx, src, r["start"], r.get("end"))
    previous = r.get("previous")
    row = {
        "cppl_cp_plan_id": pk,
        "cppl_person_id": pid,
        "cppl_cp_plan_start_date": r["start"],
        "cppl_cp_plan_end_date": r.get("end"),
        "cppl_cp_plan_initial_category": _abuse(r.get("initial")),
        "cppl_cp_plan_latest_category": _abuse(r.get("latest")),
        "cppl_ext_previous_plans": int(previous) if isinstance(previous, int | float) and float(previous).is_integer() else None,
        "_source": src,
    }
    _add(ctx, "ssd_cp_plans", pk, row, origin, src, "plan start date")
    if r.get("visit"):
        visit = key("CPV", pid, r["visit"])
        row = {"cppv_cp_visit_id": visit, "cppv_person_id": pid, "cppv_cp_plan_id": pk, "cppv_cp_visit_date": r["visit"]}
        ctx.rows.add(
            "ssd_cp_visits", visit, {**row, "cppv_cp_visit_seen": "Y", "cppv_cp_visit_seen_alone": yes_no(r.get("alone")), "_source": src}
        )
    if r.get("review"):
        review = key("CPR", pid, r["start"], r["review"])
        row = {
            "cppr_cp_review_id": review,
            "cppr_person_id": pid,
            "cppr_cp_plan_id": pk,
            "cppr_cp_review_date": r["review"],
            "_source": src,
        }
        ctx.rows.add("ssd_cp_reviews", review, row)


def _list8(r: dict, ctx: Context, src: str, origin: str) -> None:
    pid = _person(r, ctx, src)
    cla = key("CLA", pid, r["entered"])
    _staff(r, ctx, src, r["entered"], r.get("ceased"))
    placement = key("PL", pid, r["pl_start"]) if r.get("pl_start") else None
    episode_start = max(d for d in (r["entered"], r.get("ls_start"), r.get("pl_start")) if d)
    episode = key("EP", pid, episode_start)
    row = {
        "clae_cla_episode_id": episode,
        "clae_person_id": pid,
        "clae_cla_episode_start_date": episode_start,
        "clae_cla_primary_need_code": code(r.get("need")),
        "clae_cla_episode_ceased_date": r.get("ceased"),
        "clae_cla_episode_ceased_reason": code(r.get("reason")),
        "clae_cla_id": cla,
        "clae_cla_placement_id": placement,
        "clae_entered_care_date": r["entered"],
        "clae_cla_last_iro_contact_date": r.get("iro"),
        "clae_ext_legal_status": code(r.get("legal")),
        "_source": src,
    }
    _add(ctx, "ssd_cla_episodes", episode, row, origin, src, "date started to be looked after")
    if placement:
        ctx.rows.add(
            "ssd_cla_placement",
            placement,
            {
                "clap_cla_placement_id": placement,
                "clap_cla_placement_start_date": r["pl_start"],
                "clap_cla_placement_type": code(r.get("pl_type")),
                "clap_cla_placement_urn": answer(r.get("urn")),
                "clap_cla_id": cla,
                "clap_cla_placement_provider": code(r.get("provider")),
                "clap_cla_placement_postcode": answer(r.get("postcode")),
                "clap_cla_placement_end_date": r.get("ceased"),
                "clap_person_id": pid,
                "_source": src,
            },
        )
    if r.get("legal"):
        ls = key("LS", pid, r.get("ls_start") or r["entered"])
        row = {
            "lega_legal_status_id": ls,
            "lega_person_id": pid,
            "lega_legal_status": code(r["legal"]),
            "lega_legal_status_start_date": r.get("ls_start"),
            "_source": src,
        }
        ctx.rows.add("ssd_legal_status", ls, row)
    _cla_events(r, ctx, src, pid, cla)


def _cla_events(r: dict, ctx: Context, src: str, pid: str, cla: str) -> None:
    if r.get("review"):
        pk = key("CLAR", pid, r["review"])
        ctx.rows.add(
            "ssd_cla_reviews",
            pk,
            {"clar_cla_review_id": pk, "clar_cla_id": cla, "clar_cla_review_date": r["review"], "clar_ext_person_id": pid, "_source": src},
        )
    if r.get("visit"):
        pk = key("CLAV", pid, r["visit"])
        ctx.rows.add(
            "ssd_cla_visits",
            pk,
            {"clav_cla_visit_id": pk, "clav_cla_id": cla, "clav_person_id": pid, "clav_cla_visit_date": r["visit"], "_source": src},
        )
    for fieldname, kind in (("health", "RHA"), ("dental", "DENTAL")):
        if r.get(fieldname):
            pk = key("HC", pid, kind, r[fieldname])
            row = {
                "clah_health_check_id": pk,
                "clah_person_id": pid,
                "clah_health_check_type": kind,
                "clah_health_check_date": r[fieldname],
            }
            ctx.rows.add("ssd_cla_health", pk, {**row, "clah_health_check_status": "Completed", "_source": src})


def _list9(r: dict, ctx: Context, src: str, origin: str) -> None:
    pid = _person(r, ctx, src)
    team, worker = _staff(r, ctx, src, None, None)
    pk = key("CL", pid, r.get("contact") or "")
    suitable = (answer(r.get("suitable")) or "").lower()
    row = {
        "clea_table_id": pk,
        "clea_person_id": pid,
        "clea_care_leaver_eligibility": answer(r.get("eligibility")),
        "clea_care_leaver_in_touch": IN_TOUCH.get((answer(r.get("in_touch")) or "").lower(), code(r.get("in_touch"))),
        "clea_care_leaver_latest_contact": r.get("contact"),
        "clea_care_leaver_accommodation": code(r.get("accom")),
        "clea_care_leaver_accom_suitable": "Y" if suitable.startswith("suitable") else "N" if suitable.startswith("unsuitable") else None,
        "clea_care_leaver_activity": code(r.get("activity")),
        "clea_pathway_plan_review_date": r.get("review"),
        "clea_care_leaver_personal_advisor": answer(r.get("pa")),
        "clea_care_leaver_allocated_team": team,
        "clea_care_leaver_worker_id": worker,
        "clea_ext_record_date": r.get("contact"),
        "_source": src,
    }
    _add(ctx, "ssd_care_leavers", pk, row, origin, src, "latest date of contact")


def _list10(r: dict, ctx: Context, src: str, origin: str) -> None:
    pid = _person(r, ctx, src)
    pk = key("PERM", pid, r["entered"])
    row = {
        "perm_table_id": pk,
        "perm_person_id": pid,
        "perm_cla_id": key("CLA", pid, r["entered"]),
        "perm_adm_decision_date": r.get("adm"),
        "perm_placement_order_date": r.get("po"),
        "perm_matched_date": r.get("matched"),
        "perm_placed_for_adoption_date": r.get("placed"),
        "perm_permanence_order_date": r.get("order"),
        "perm_permanence_order_type": "Adoption" if r.get("order") else None,
        "perm_decision_reversed_date": r.get("reversed"),
        "perm_decision_reversed_reason": code(r.get("reversed_reason")),
        "perm_placed_ffa_cp_date": r.get("ffa"),
        "_source": src,
    }
    _add(ctx, "ssd_permanence", pk, row, origin, src, "date entered care")


# ---------------------------------------------------------------- list 11: the authority's own adopters

# List 11's dates, and the fields every row of a family must agree on (the household's: one record).
ADOPTER_DATES = (
    "enquiry", "stage1_start", "stage1_end", "submitted", "stage2_start", "stage2_end", "approved", "matched", "placed", "order", "left"
)  # fmt: skip
HOUSEHOLD_FIELDS = (*ADOPTER_DATES, "children_placed", "left_reason")
# What list 11 asks that the model does not hold, and why; a load says how many values of each it did not keep.
LIST11_NOT_HELD = {
    "sex": "adopters are held by household, without each adopter's sex",
    "disability": "adopters are held by household, without each adopter's disability",
    "ffa": "written from the matched children's fostering for adoption dates (ssd_permanence), and list 11 names no child",
}
SECOND_ETHNICITY = "only the first adopter's ethnicity is held, as the household's"
ADOPTER_IDS = "adopters are held by household and written back as <family identifier>-1 and -2"


def _header11(fieldname: str) -> str:
    return next(h for h, f in TEMPLATE[11] if f == fieldname)


def _count(value: object) -> int | None:
    """'No. of children placed' as a whole number, or BadRow."""
    if is_blank(value) or answer(value) is None:
        return None
    text = str(value).strip()
    number = value if isinstance(value, int | float) else float(text) if re.fullmatch(r"\d+(\.0+)?", text) else None
    if number is None or number < 0 or not float(number).is_integer():
        raise BadRow("children_placed", text[:40], "not a whole number of children")
    return int(number)


def _adopter_row(record: dict) -> dict:
    """One list 11 row cleaned: ids, dates, count and reason; BadRow when a value cannot be read or is missing."""
    out: dict = {}
    for name in ADOPTER_DATES:
        value = record.get(name)
        try:
            out[name] = parse_date(answer(value) if isinstance(value, str) else value)
        except ValueError as exc:
            raise BadRow(name, str(value)[:40], str(exc)) from None
    for name, what in (("adopter", "individual adopter identifier"), ("family", "family identifier")):
        out[name] = child_id(record.get(name))
        if out[name] is None:
            raise BadRow(name, "", f"{what} is required and missing")
    if out["enquiry"] is None:
        raise BadRow("enquiry", "", "date enquiry received is required and missing")
    out["children_placed"] = _count(record.get("children_placed"))
    out["left_reason"] = code(record.get("left_reason"))
    out["ethnicity"] = code(record.get("ethnicity"))
    return out


def _check_household(rows: list[tuple[int, dict, dict]]) -> None:
    """A family's rows as one household: they agree on its dates, which follow the enquiry and each stage's start,
    with at most two adopters, children placed only with a placement date, a reason only with a leaving date."""
    numbers = ", ".join(str(n) for n, _, _ in rows)
    if len(rows) > 2:
        raise BadRow("family", rows[0][2]["family"], f"the family has {len(rows)} adopters (rows {numbers}); a household holds one or two")
    for name in HOUSEHOLD_FIELDS:
        seen = {c[name] for _, _, c in rows}
        if len(seen) > 1:
            shown = " / ".join(sorted(str(v) for v in seen))[:80]
            raise BadRow(name, shown, f"the family's rows {numbers} disagree on '{_header11(name)}' (a household's record is one)")
    first = rows[0][2]
    for name in ADOPTER_DATES[1:]:
        if first[name] is not None and first[name] < first["enquiry"]:
            rule = f"'{_header11(name)}' is before the date enquiry received ({first['enquiry']})"
            raise BadRow(name, first[name].isoformat(), rule)
    for start, end in (("stage1_start", "stage1_end"), ("stage2_start", "stage2_end")):
        if first[start] is not None and first[end] is not None and first[end] < first[start]:
            raise BadRow(end, first[end].isoformat(), f"'{_header11(end)}' is before '{_header11(start)}' ({first[start]})")
    placed, count = first["placed"], first["children_placed"]
    if count and placed is None:
        raise BadRow("children_placed", str(count), "children placed without a date child/children placed with adopter(s)")
    if count == 0 and placed is not None:
        raise BadRow("children_placed", "0", "no children placed, but a date child/children placed with adopter(s)")
    if first["left_reason"] is not None and first["left"] is None:
        raise BadRow("left_reason", first["left_reason"], "a reason for leaving the adoption process without the date of leaving")


def _end_reason(r: dict) -> tuple[dt.date | None, str | None]:
    """(adop_end_date, adop_end_reason): the leaving date with Annex A's reason read back as the writer maps it (3 is
    NOT_APPROVED before an approval, APPROVAL_TERMINATED after), any other reason kept as OTHER_LEAVING + it; else
    the adoption order (ADOPTED)."""
    if r["left"] is not None:
        given = r["left_reason"]
        reasons = [k for k, v in LEAVING_REASON.items() if str(v) == given]
        if len(reasons) > 1:
            reasons = ["APPROVAL_TERMINATED" if r["approved"] is not None and r["approved"] <= r["left"] else "NOT_APPROVED"]
        return r["left"], reasons[0] if reasons else (f"{OTHER_LEAVING}{given}" if given else None)
    if r["order"] is not None:
        return r["order"], "ADOPTED"
    return None, None


def _household(rows: list[tuple[int, dict, dict]], ctx: Context, path: str, location: str) -> None:
    """One ext_adopter row for the family (the household), and one ext_adoption_match row per child placed; `location`
    is the family's first row."""
    src = f"{path}:{location}"
    r = rows[0][2]
    family = r["family"]
    end, reason = _end_reason(r)
    household = {
        "adop_adopter_id": family,
        "adop_agency": "OWN",  # list 11 is the authority's own adoption agency's adopters
        "adop_ethnicity": r["ethnicity"],
        "adop_number_of_adopters": len(rows),
        "adop_registration_date": r["enquiry"],
        "adop_stage1_start_date": r["stage1_start"],
        "adop_stage1_end_date": r["stage1_end"],
        "adop_application_date": r["submitted"],
        "adop_stage2_start_date": r["stage2_start"],
        "adop_stage2_end_date": r["stage2_end"],
        "adop_approval_date": r["approved"],
        "adop_end_date": end,
        "adop_end_reason": reason,
        "_source": src,
    }
    ctx.rows.add("ext_adopter", family, household)
    matched = r["children_placed"] or (1 if r["matched"] or r["placed"] or r["order"] else 0)
    if r["children_placed"] is None and r["placed"] is not None:
        ctx.warnings.append(
            Issue(path, location, "ext_adoption_match", "children_placed", "", "no. of children placed is blank; one child assumed")
        )
    for k in range(1, matched + 1):
        pk = key("ADMA", family, k)
        row = {"adma_match_id": pk, "adma_adopter_id": family, "adma_person_id": None, "adma_matched_date": r["matched"]}
        row |= {"adma_placed_date": r["placed"], "adma_adoption_order_date": r["order"], "_source": src}
        ctx.rows.add("ext_adoption_match", pk, row)


def _list11(sheet: Sheet, ctx: Context) -> None:
    """List 11 into ext_adopter and ext_adoption_match, a family (household) whole or not at all (see `_household`)."""
    src = str(sheet.path)
    for needed in ("adopter", "family"):
        if needed not in sheet.columns:
            raise UserError(f"{src}: sheet '{sheet.name}': no '{_header11(needed)}' column")
    name = f"{sheet.path} (List 11)"
    ctx.read[name] = ctx.read.get(name, 0) + len(sheet.rows)
    families: dict[str, list[tuple[int, dict, dict]]] = {}
    failed: dict[str, int] = {}  # family -> the row rejected first
    records = [(n, {f: values[i] if i < len(values) else None for f, i in sheet.columns.items()}) for n, values in sheet.rows]
    for number, record in records:
        location = f"sheet '{sheet.name}' row {number}"
        try:
            clean = _adopter_row(record)
        except BadRow as bad:
            ctx.rejected.append(Issue(src, location, "ext_adopter", bad.field, bad.value, bad.rule, _raw(record)))
            if (family := child_id(record.get("family"))) is not None:
                failed.setdefault(family, number)
            continue
        rows = families.setdefault(clean["family"], [])
        if any(c["adopter"] == clean["adopter"] for _, _, c in rows):
            rule = "the same adopter appears earlier in this list; kept the first"
            ctx.rejected.append(Issue(src, location, "ext_adopter", "adopter", clean["adopter"], rule, _raw(record)))
            continue
        rows.append((number, record, clean))
    for family, rows in families.items():
        try:
            if family in failed:
                rule = f"row {failed[family]} of this family was rejected: a household is loaded whole or not at all"
                raise BadRow("family", family, rule)
            _check_household(rows)
        except BadRow as bad:
            for number, record, _ in rows:
                location = f"sheet '{sheet.name}' row {number}"
                ctx.rejected.append(Issue(src, location, "ext_adopter", bad.field, bad.value, bad.rule, _raw(record)))
            continue
        _household(rows, ctx, src, f"sheet '{sheet.name}' row {rows[0][0]}")
    _not_held(sheet, [r for _, r in records], ctx)


def _raw(record: dict) -> dict:
    return {k: (v.isoformat() if isinstance(v, dt.date) else v) for k, v in record.items()}


def _not_held(sheet: Sheet, records: list[dict], ctx: Context) -> None:
    """A warning per list 11 column whose values the model does not keep, with how many non-blank values were not kept."""
    counts = {f: sum(answer(r.get(f)) is not None for r in records) for f in LIST11_NOT_HELD}
    why = dict(LIST11_NOT_HELD)
    by_family: dict[str, list[dict]] = {}
    for r in records:
        by_family.setdefault(child_id(r.get("family")) or "", []).append(r)
    counts["ethnicity"] = sum(answer(r.get("ethnicity")) is not None for rows in by_family.values() for r in rows[1:])
    why["ethnicity"] = SECOND_ETHNICITY
    counts["adopter"] = sum(
        child_id(r.get("adopter")) not in {f"{family}-{k}" for k in range(1, len(rows) + 1)}
        for family, rows in by_family.items()
        for r in rows
        if child_id(r.get("adopter")) is not None
    )
    why["adopter"] = ADOPTER_IDS
    for fieldname, count in counts.items():
        if count and fieldname in sheet.columns:
            rule = f"not held in the warehouse model ({why[fieldname]}); {count} non-blank values not kept"
            ctx.warnings.append(Issue(str(sheet.path), f"sheet '{sheet.name}'", "ext_adopter", _header11(fieldname), str(count), rule))


MAPPERS: dict[int, tuple[str, Callable[[dict, Context, str, str], None]]] = {
    1: ("ssd_contacts", _list1),
    2: ("ssd_early_help_episodes", _list2),
    3: ("ssd_cin_episodes", _list3),
    4: ("ssd_cin_assessments", _list4),
    5: ("ssd_s47_enquiry", _list5),
    6: ("ssd_cin_episodes", _list6),
    7: ("ssd_cp_plans", _list7),
    8: ("ssd_cla_episodes", _list8),
    9: ("ssd_care_leavers", _list9),
    10: ("ssd_permanence", _list10),
}


def _link_referrals(rows: Rows) -> None:
    """Annex A lists are separate: attach assessments, S47s, conferences and plans to the child's latest referral
    on or before them, and a conference that resulted in a plan to the list 7 plan starting on its date."""
    plans = rows.tables.get("ssd_cp_plans", {})
    for icpc in rows.tables.get("ssd_initial_cp_conference", {}).values():
        plan = plans.get(key("CPP", icpc["icpc_person_id"], icpc["icpc_icpc_date"]))
        if plan is not None and icpc["icpc_icpc_outcome_cp_flag"] == "Y":
            icpc["icpc_cp_plan_id"], plan["cppl_icpc_id"] = plan["cppl_cp_plan_id"], icpc["icpc_icpc_id"]
    referrals: dict[str, list[tuple[dt.date, str]]] = {}
    for ref in rows.tables.get("ssd_cin_episodes", {}).values():
        referrals.setdefault(ref["cine_person_id"], []).append((ref["cine_referral_date"], ref["cine_referral_id"]))
    for table, person, start, column in (
        ("ssd_cin_assessments", "cina_person_id", "cina_assessment_start_date", "cina_referral_id"),
        ("ssd_s47_enquiry", "s47e_person_id", "s47e_s47_start_date", "s47e_referral_id"),
        ("ssd_cp_plans", "cppl_person_id", "cppl_cp_plan_start_date", "cppl_referral_id"),
        ("ssd_initial_cp_conference", "icpc_person_id", "icpc_icpc_date", "icpc_referral_id"),
    ):
        for row in rows.tables.get(table, {}).values():
            earlier = [(d, r) for d, r in referrals.get(row[person], []) if d <= row[start]]
            if earlier and row.get(column) is None:
                row[column] = max(earlier)[1]
