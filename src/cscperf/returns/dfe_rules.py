"""DfE's validation rules for the CIN census and the SSDA903 return, from the library that implements them.

Data to Insight's validators (`csc-validator-be-cin`, `csc-validator-be-903`) implement DfE's published
rules for each collection year. They pin pandas 1.5 and numpy 1.24, so they live in their own pinned
environment (`make dfe-rules`, from `requirements-dfe-rules.lock`) and run as a subprocess:
`dfe_rules_runner.py` is executed by that environment's Python, and hands back one row per issue.

A missing environment, an unsupported year or a rule that crashes is a clear error, never a silent pass.
"""

from __future__ import annotations

import json
import os
import subprocess
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from cscperf.errors import UserError
from cscperf.returns import validator_defects
from cscperf.returns.written import WrittenReturn

RUNNER = Path(__file__).with_name("dfe_rules_runner.py")
REPO = Path(__file__).resolve().parents[3]
ENV_VARIABLE = "CSCPERF_DFE_RULES_VENV"
DEFAULT_VENV = REPO / ".venv-dfe-rules"
ISSUE_COLUMNS = ["kind", "rule", "rule_type", "message", "child_id", "table", "field", "row_id"]
# Rule sets shipped by the pinned validators, by the year the collection ends in (2025 = 2024-25).
RULE_SETS = {
    "cin": {2023: "cin2022_23", 2024: "cin2023_24", 2025: "cin2024_25", 2026: "cin2025_26", 2027: "cin2026_27"},
    "903": {2023: "lac2022_23", 2024: "lac2023_24", 2025: "lac2024_25", 2026: "lac2025_26", 2027: "lac2026_27"},
}
KIND_NAMES = {"cin": "CIN census", "903": "SSDA903"}
TIMEOUT_SECONDS = 1800


@dataclass
class DfeReport:
    """What DfE's rules found in one return."""

    kind: str  # cin | 903
    year: int
    rule_set: str
    issues: pd.DataFrame  # ISSUE_COLUMNS
    rules_run: int
    crashed: dict[str, str] = field(default_factory=dict)  # rule code -> the error it raised
    skipped: list[str] = field(default_factory=list)  # rules that need data not supplied (e.g. last year's return)
    version: str = ""  # the validator's
    compared_with: str = ""  # the previous year's return given to the rules that compare with it, in words

    @property
    def errors(self) -> pd.DataFrame:
        return self.issues[self.issues["rule_type"] == "error"]

    @property
    def defects(self) -> pd.DataFrame:
        """What the validator flags that DfE's rules accept (cscperf.returns.validator_defects)."""
        return self.issues[self.issues["rule_type"] == validator_defects.DEFECT]

    @property
    def queries(self) -> pd.DataFrame:
        return self.issues[self.issues["rule_type"] == "query"]

    def summary(self) -> str:
        name = KIND_NAMES[self.kind]
        children = self.issues["child_id"].replace("", pd.NA).dropna().nunique()
        line = (
            f"{name} {self.year - 1}-{self.year % 100:02d} ({self.rule_set}, {self.rules_run} rules): "
            f"{len(self.errors)} errors and {len(self.queries)} queries for {children} children"
        )
        if len(self.defects):
            line += f"; {len(self.defects)} more flagged by known defects of the validator (not errors: docs/returns.md)"
        if self.compared_with:
            line += f"; last year's return: {self.compared_with}"
        if self.skipped:
            wanting = "Ofsted's provider lists" if self.compared_with else "last year's return or Ofsted's provider lists"
            line += f"; {len(self.skipped)} rules skipped for want of data they need (e.g. {wanting})"
        return line


def venv() -> Path:
    return Path(os.environ.get(ENV_VARIABLE) or DEFAULT_VENV)


def validator_python() -> Path:
    """The validators' interpreter, or a UserError saying how to install it."""
    python = venv() / "bin" / "python"
    if not python.exists():
        raise UserError(
            f"DfE's validation rules are not installed (no {python}): run 'make dfe-rules' in the cscperf checkout, "
            f"or set {ENV_VARIABLE} to a virtual environment built from requirements-dfe-rules.lock"
        )
    return python


def rule_set(kind: str, year: int) -> str:
    sets = RULE_SETS[kind]
    if year not in sets:
        first, last = min(sets), max(sets)
        raise UserError(
            f"no DfE {KIND_NAMES[kind]} rule set for the year ending 31 March {year}: "
            f"the installed validators cover {first - 1}-{first % 100:02d} to {last - 1}-{last % 100:02d}"
        )
    return sets[year]


def files_to_check(written: WrittenReturn) -> list[Path]:
    """The files of a written return that DfE's reader takes: the CIN XML; the 903 CSV set (it refuses CSV and XML together)."""
    from cscperf.returns import ssda903

    return ssda903.csv_files(written) if written.kind == "ssda903" else list(written.files)


def run_rules(
    kind: str, files: Sequence[Path], year: int, la_name: str = "", previous: Sequence[Path] = (), compared_with: str = ""
) -> DfeReport:
    """Run DfE's rules for `year` on a return's files (the CIN XML; the 903 CSVs) and read back every issue.

    `previous`: the previous year's 903 CSV set, for the 903 rules that compare with last year's return (their
    `*_last` tables); without it those rules are skipped and the summary counts them. `compared_with` says in words
    which return `previous` is (or why there is none), so the report is whole when it is returned."""
    if kind not in RULE_SETS:
        raise ValueError(f"unknown return {kind!r}")
    rules = rule_set(kind, year)
    python = validator_python()
    with tempfile.TemporaryDirectory(prefix="cscperf-dfe-") as tmp:
        out = Path(tmp) / "issues.csv"
        cmd = [str(python), str(RUNNER), kind, *map(str, files), "--ruleset", rules, "--out", str(out)]
        if kind == "903":
            cmd += ["--collection-year", str(year), "--la-name", la_name]
            cmd += ["--previous", *map(str, previous)] if previous else []
        done = subprocess.run(cmd, capture_output=True, text=True, timeout=TIMEOUT_SECONDS, check=False)
        summary = _last_json_line(done.stdout)
        if done.returncode != 0 or "failed" in summary:
            reason = summary.get("failed") or (done.stderr.strip().splitlines() or ["no output"])[-1]
            raise UserError(f"DfE's {KIND_NAMES[kind]} rules ({rules}) could not run on {', '.join(p.name for p in files)}: {reason}")
        issues = pd.read_csv(out, dtype=str, keep_default_na=False)[ISSUE_COLUMNS]
    version = summary.get("version", "")
    if kind == "903":
        issues = validator_defects.mark(issues, year, validator_defects.read_tables(files, year), version)
    return DfeReport(kind, year, rules, issues, summary["rules"], summary["crashed"], summary["skipped"], version, compared_with)


def _last_json_line(stdout: str) -> dict:
    for line in reversed(stdout.strip().splitlines()):
        if line.startswith("{"):
            return json.loads(line)
    return {"failed": "the validator printed no summary"}


def crashed_message(report: DfeReport) -> str | None:
    """A rule that raised has not checked the return: say which, so nobody reads the silence as a pass."""
    if not report.crashed:
        return None
    rules = "; ".join(f"rule {code}: {error}" for code, error in sorted(report.crashed.items()))
    return f"{KIND_NAMES[report.kind]} {report.year}: {len(report.crashed)} DfE rules could not run on this return ({rules})"


def check_warehouse(con: object, year: int, kinds: Sequence[str] = ("cin", "903")) -> list[DfeReport]:
    """Write each return for `year` from the warehouse (whatever fed it) and run DfE's rules on it."""
    from cscperf.returns import cin_census, ssda903

    for kind in kinds:  # refuse an unsupported year before writing anything
        rule_set(kind, year)
    from cscperf.returns.workflow import last_years_903

    la_name = _la_name(con)
    reports = []
    with tempfile.TemporaryDirectory(prefix="cscperf-returns-") as tmp:
        for kind in kinds:
            if kind == "cin":
                files = list(cin_census.write(con, year, Path(tmp)).files)  # schema problems surface as DfE's rules too
                reports.append(run_rules(kind, files, year, la_name))
                continue
            files = files_to_check(ssda903.write(con, year, Path(tmp) / f"ssda903_{year}"))
            previous, basis = last_years_903(con, year, Path(tmp) / f"ssda903_{year - 1}")
            reports.append(run_rules(kind, files, year, la_name, previous, basis))
    return reports


def _la_name(con: object) -> str:
    row = con.execute("SELECT auth_la_name FROM ext_authority ORDER BY auth_la_code LIMIT 1").fetchone()  # type: ignore[attr-defined]
    if row is None or not row[0]:
        raise UserError("the warehouse names no authority (ext_authority): the SSDA903 rules need it to tell placements out of area")
    return str(row[0])


def store(con: object, reports: Sequence[DfeReport]) -> None:
    """Keep the issues found (replacing an earlier check of the same return and year), for the dashboard and sign-off."""
    for r in reports:
        frame = r.issues.assign(year=r.year, rule_set=r.rule_set)
        con.execute("DELETE FROM cscperf_dfe_issues WHERE kind = ? AND year = ?", [r.kind, r.year])  # type: ignore[attr-defined]
        con.register("_dfe_issues", frame)  # type: ignore[attr-defined]
        try:
            con.execute(  # type: ignore[attr-defined]
                'INSERT INTO cscperf_dfe_issues SELECT kind, year, rule_set, rule, rule_type, message, child_id, "table", field, '
                "row_id, current_timestamp FROM _dfe_issues"
            )
        finally:
            con.unregister("_dfe_issues")  # type: ignore[attr-defined]
