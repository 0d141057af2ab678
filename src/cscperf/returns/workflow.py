"""The year-end return workflow: prepare a versioned draft, explain its queries, sign it off.

    prepare(con, warehouse, kind, year, by)       write the return into <warehouse stem>.returns/<kind>-<year>-v<N>/,
                                                  run DfE's rules on it, compare it with last year's, store it all
                                                  (= write_draft, check_draft, store_draft)
    explain(con, return_id, rule, child, text, by)  the written explanation a query needs
    carry_explanations(con, return_id, earlier, by) an earlier version's explanations, where the query remains
    sign_off(con, return_id, user_name, role)     by a performance or admin user; refused while hard errors
                                                  remain, a query lacks an explanation or a rule could not run

A signed return is never changed again: explanations and sign-off apply to drafts only, and a new
`prepare` makes a new version. Files are checked against their SHA-256 whenever they are shown or
downloaded. The tables are declared in `warehouse.schema.RETURN_TABLES`; this module is the only one
that writes them. The CLI (`returns/cli.py`) and the dashboard write every step to the audit log.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import shutil
import tempfile
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType

import duckdb
import pandas as pd

from cscperf.errors import NoRecords, UserError
from cscperf.files import make_private, output_folder
from cscperf.returns import annex_a, cin_census, dfe_rules, ssda903
from cscperf.returns.written import WrittenReturn
from cscperf.warehouse.schema import TABLES
from cscperf.warehouse.transaction import transaction

KINDS = ("cin", "ssda903", "annex-a")
NAMES = {"cin": "CIN census", "ssda903": "SSDA903", "annex-a": "Annex A"}
WRITERS: dict[str, ModuleType] = {"cin": cin_census, "ssda903": ssda903, "annex-a": annex_a}
DFE_KIND = {"cin": "cin", "ssda903": "903"}  # Annex A is Ofsted's list: DfE publishes no rule set for it
SIGNING_ROLES = ("performance", "admin")
ISSUE_COLUMNS = ["rule", "rule_type", "message", "child_id", "table_name", "field", "row_id"]
SCHEMA_RULE = "schema"  # the rule code given to a file that breaks the return's XML schema

# (kind, files, year, authority's name, last year's 903 CSV set, which return that is in words) -> what DfE's rules found
Checker = Callable[[str, Sequence[Path], int, str, Sequence[Path], str], dfe_rules.DfeReport]
PREVIOUS_FOLDER = ".previous-year"  # inside a draft's staging folder: last year's 903, re-written for the rules; removed before storing


def year_label(year: int) -> str:
    return f"{year - 1}-{year % 100:02d}"


def returns_folder(warehouse: Path) -> Path:
    """Where prepared returns live: beside the warehouse, as its web store does (`<stem>.returns/`)."""
    warehouse = Path(warehouse)
    return warehouse.with_name(warehouse.stem + ".returns")


def return_id(kind: str, year: int, version: int) -> str:
    return f"{kind}-{year}-v{version}"


@dataclass
class Prepared:
    """One prepared version, as `show` and the dashboard present it."""

    return_id: str
    kind: str
    year: int
    version: int
    status: str
    folder: Path
    prepared_at: dt.datetime
    prepared_by: str
    rule_set: str
    checks_complete: bool
    check_note: str
    counts: dict[str, int]
    comparison: dict
    signed_at: dt.datetime | None = None
    signed_by: str | None = None
    issues: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=ISSUE_COLUMNS))

    @property
    def name(self) -> str:
        return f"{NAMES[self.kind]} {year_label(self.year)}, version {self.version}"

    @property
    def errors(self) -> pd.DataFrame:
        return self.issues[self.issues["rule_type"] == "error"]

    @property
    def queries(self) -> pd.DataFrame:
        return self.issues[self.issues["rule_type"] == "query"]


# --- prepare -------------------------------------------------------------------------------------
@dataclass
class Draft:
    """A return written into its staging folder, not yet checked or stored (see `prepare`)."""

    kind: str
    year: int
    root: Path  # the returns folder
    staging: Path
    written: WrittenReturn
    comparison: dict
    la_name: str  # the authority's name, for the SSDA903 rules
    previous: tuple[Path, ...] = ()  # last year's 903 CSV set, for the rules that compare with it
    previous_basis: str = ""  # which return that is, in words

    def discard(self) -> None:
        shutil.rmtree(self.staging, ignore_errors=True)


@dataclass(frozen=True)
class Checked:
    issues: pd.DataFrame  # ISSUE_COLUMNS
    rule_set: str
    complete: bool  # every rule ran
    note: str  # what was checked, in words


def prepare(
    con: duckdb.DuckDBPyConnection,
    warehouse: Path,
    kind: str,
    year: int,
    by: str,
    check: Checker | None = None,
    before_commit: Callable[[WrittenReturn, str], None] | None = None,
) -> Prepared:
    """Write `kind` for `year` as a new draft version, check it with DfE's rules and store it all.

    Three steps, which the CLI runs with the warehouse closed during the second (DfE's rules take a
    while, and the dashboard needs the file meanwhile): `write_draft`, `check_draft`, `store_draft`.
    Nothing is half-written: the files go to a hidden staging folder that becomes the version's folder
    only when its rows are committed; any failure removes it. `before_commit(written, return_id)` runs
    just before the commit (the CLI writes the audit row there, so no return exists without one).
    """
    draft = write_draft(con, warehouse, kind, year)
    try:
        return store_draft(con, draft, check_draft(draft, check), by, before_commit)
    except BaseException:
        draft.discard()
        raise


def write_draft(con: duckdb.DuckDBPyConnection, warehouse: Path, kind: str, year: int) -> Draft:
    """Write the return into a staging folder, with the comparison with last year's (needs the warehouse)."""
    writer = _writer(kind)
    check_fields(con)
    if kind in DFE_KIND:
        dfe_rules.rule_set(DFE_KIND[kind], year)  # an unsupported year stops before anything is written
    root = output_folder(returns_folder(warehouse)).resolve()  # stored absolute: read from any working folder
    staging = output_folder(root / f".{kind}-{year}.partial-{uuid.uuid4().hex[:8]}")
    try:
        written = writer.write(con, year, staging)
        if not written.children:
            raise UserError(
                f"no children for the {NAMES[kind]} {year_label(year)} (the year ending 31 March {year}): "
                "the warehouse holds no records for that year"
            )
        for path in written.files:
            make_private(path)
        if kind != "ssda903":
            return Draft(kind, year, root, staging, written, compare(con, writer, kind, year, written), "")
        la_name = dfe_rules._la_name(con)  # noqa: SLF001 - the one home of the authority's name for DfE's rules
        previous, basis = last_years_903(con, year, staging / PREVIOUS_FOLDER)
        return Draft(kind, year, root, staging, written, compare(con, writer, kind, year, written), la_name, tuple(previous), basis)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise


def check_draft(draft: Draft, check: Checker | None = None) -> Checked:
    """DfE's rules for the year on the draft's files (no warehouse needed). Schema problems are errors too."""
    written = draft.written
    schema = pd.DataFrame([{"rule": SCHEMA_RULE, "rule_type": "error", "message": p} for p in written.problems], columns=ISSUE_COLUMNS)
    if draft.kind not in DFE_KIND:
        note = f"{NAMES[draft.kind]} has no DfE rule set: DfE's validation rules were not run (only the file's own checks)"
        return Checked(schema.fillna(""), "", True, note)
    run = check or dfe_rules.run_rules
    report = run(DFE_KIND[draft.kind], dfe_rules.files_to_check(written), written.year, draft.la_name, draft.previous, draft.previous_basis)
    issues = report.issues.rename(columns={"table": "table_name"})[ISSUE_COLUMNS]
    note = report.summary()
    crashed = dfe_rules.crashed_message(report)
    if crashed:
        note += f". Check incomplete: {crashed}"
    return Checked(pd.concat([schema, issues], ignore_index=True).fillna(""), report.rule_set, not report.crashed, note)


def store_draft(
    con: duckdb.DuckDBPyConnection,
    draft: Draft,
    checked: Checked,
    by: str,
    before_commit: Callable[[WrittenReturn, str], None] | None = None,
) -> Prepared:
    """Store a checked draft as the next version (numbered now, so two prepares never share one) and move its
    folder into place, in one transaction."""
    version = _next_version(con, draft.kind, draft.year)
    rid = return_id(draft.kind, draft.year, version)
    final = draft.root / rid
    files = [(p.name, sha256(p), p.stat().st_size) for p in draft.written.files]
    shutil.rmtree(draft.staging / PREVIOUS_FOLDER, ignore_errors=True)  # checked with; not part of the version
    renamed = False
    try:
        with transaction(con):
            _insert(con, rid, draft, version, final, by, checked, files)
            if before_commit is not None:
                before_commit(draft.written, rid)
            if final.exists():
                raise UserError(f"{final}: a folder of that name is already there; move it away and prepare again")
            draft.staging.rename(final)
            renamed = True
    except BaseException:
        shutil.rmtree(final if renamed else draft.staging, ignore_errors=True)
        raise
    return get(con, rid)


def _writer(kind: str) -> ModuleType:
    if kind not in KINDS:
        raise UserError(f"return '{kind}': choose one of {', '.join(KINDS)}")
    return WRITERS[kind]


def check_fields(con: duckdb.DuckDBPyConnection) -> None:
    """Every column the model declares is in the warehouse: a warehouse made by an older cscperf may lack
    fields the returns read (UPN, postcodes, ...). Name them rather than fail half-way through a writer."""
    present = set(con.execute("SELECT table_name, column_name FROM information_schema.columns").fetchall())
    missing = [f"{t.name}.{c.name}" for t in TABLES for c in t.columns if (t.name, c.name) not in present]
    if missing:
        shown = ", ".join(missing[:5]) + (f" and {len(missing) - 5} more" if len(missing) > 5 else "")
        raise UserError(
            f"the warehouse lacks fields the returns need: {shown} (it was made by an older cscperf); "
            "load the data into a new warehouse, then prepare the return again"
        )


def _next_version(con: duckdb.DuckDBPyConnection, kind: str, year: int) -> int:
    row = con.execute("SELECT max(version) FROM cscperf_returns WHERE kind = ? AND year = ?", [kind, year]).fetchone()
    return int(row[0] or 0) + 1 if row else 1


def _insert(
    con: duckdb.DuckDBPyConnection,
    rid: str,
    draft: Draft,
    version: int,
    folder: Path,
    by: str,
    checked: Checked,
    files: list[tuple[str, str, int]],
) -> None:
    written = draft.written
    con.execute(
        "INSERT INTO cscperf_returns (return_id, kind, year, version, status, folder, prepared_at, prepared_by, rule_set, "
        "checks_complete, check_note, counts, comparison) VALUES (?, ?, ?, ?, 'draft', ?, ?, ?, ?, ?, ?, ?, ?)",
        [rid, draft.kind, draft.year, version, str(folder), dt.datetime.now(), by, checked.rule_set, "Y" if checked.complete else "N",
         checked.note, json.dumps(written.counts), json.dumps(draft.comparison)],
    )  # fmt: skip
    con.executemany("INSERT INTO cscperf_return_files VALUES (?, ?, ?, ?)", [[rid, *f] for f in files])
    children = pd.DataFrame({"return_id": rid, "child_id": sorted(written.children)})
    frame = checked.issues.assign(return_id=rid)[["return_id", *ISSUE_COLUMNS]]
    for name, rows in (("cscperf_return_children", children), ("cscperf_return_issues", frame)):
        con.register("_rows", rows)
        try:
            con.execute(f"INSERT INTO {name} SELECT * FROM _rows")
        finally:
            con.unregister("_rows")


def sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


# --- last year's SSDA903 return, for DfE's rules that compare with it ----------------------------
def last_years_903(con: duckdb.DuckDBPyConnection, year: int, out_dir: Path) -> tuple[list[Path], str]:
    """The previous year's SSDA903 CSV set for the 903 rules that compare with last year (`Header_last`, ...),
    and which return it is, in words.

    The signed-off version of that year, if there is one: it is what was submitted, so what DfE compares with
    (its files checked against their SHA-256). Otherwise that year written afresh from the warehouse into
    `out_dir`; a draft never signed was not submitted, so it is not used. With no records for that year (this is the
    warehouse's first year) there is nothing to compare with: the rules are skipped and the basis says so. A previous
    year that has records but cannot be written is a UserError naming the year and why: the check would be incomplete.
    The files end with the episodes before that year (`ssda903.write_history`), which the rules runner keeps apart."""
    before = year - 1
    label = f"{NAMES['ssda903']} {year_label(before)}"
    row = con.execute(
        "SELECT return_id FROM cscperf_returns WHERE kind = 'ssda903' AND year = ? AND status = 'signed' ORDER BY version DESC LIMIT 1",
        [before],
    ).fetchone()
    if row is not None:
        names = files(con, row[0])["file_name"]
        found, basis = [file_path(con, row[0], n) for n in names if n.endswith(".csv")], f"the signed {label} return {row[0]}"
    else:
        try:
            found = dfe_rules.files_to_check(ssda903.write(con, before, out_dir))
        except NoRecords:  # said in the check's note, and the rules are counted as skipped
            return [], f"none: the warehouse holds no {label} records (this is its first year of data)"
        except UserError as exc:
            raise UserError(f"last year's {label} return, for DfE's rules that compare with it, could not be written: {exc}") from None
        basis = f"the {label} return re-written from the warehouse (none was signed off)"
    # DfE holds every earlier return; the rules on a child's care history (1001, 1002) get the episodes before that year too
    return [*found, ssda903.write_history(con, before, out_dir)], basis + ", with the earlier episodes from the warehouse"


# --- the comparison with last year ---------------------------------------------------------------
def compare(con: duckdb.DuckDBPyConnection, writer: ModuleType, kind: str, year: int, written: WrittenReturn) -> dict:
    """Key counts with their change and the children added and dropped since the previous year's return:
    the latest signed (else latest) prepared version for that year, or that year re-written from the warehouse."""
    before = year - 1
    previous = _previous_prepared(con, kind, before)
    if previous is not None:
        rid, counts, children = previous
        basis = f"the prepared {NAMES[kind]} {year_label(before)} return {rid}"
    else:
        rid = None
        counts, children, basis = _rewrite(con, writer, kind, before)
    now = set(written.children)
    return {
        "basis": basis,
        "previous": rid,
        "counts": [
            {
                "name": n,
                "previous": counts.get(n),
                "now": written.counts.get(n),
                "change": None if counts.get(n) is None or written.counts.get(n) is None else written.counts[n] - counts[n],
            }
            for n in dict.fromkeys([*written.counts, *counts])
        ],  # fmt: skip
        "added": sorted(now - children) if children else [],
        "dropped": sorted(children - now),
    }


def _previous_prepared(con: duckdb.DuckDBPyConnection, kind: str, year: int) -> tuple[str, dict, set[str]] | None:
    row = con.execute(
        "SELECT return_id, counts FROM cscperf_returns WHERE kind = ? AND year = ? ORDER BY status = 'signed' DESC, version DESC LIMIT 1",
        [kind, year],
    ).fetchone()
    if row is None:
        return None
    children = {r[0] for r in con.execute("SELECT child_id FROM cscperf_return_children WHERE return_id = ?", [row[0]]).fetchall()}
    return row[0], json.loads(row[1] or "{}"), children


def _rewrite(con: duckdb.DuckDBPyConnection, writer: ModuleType, kind: str, year: int) -> tuple[dict, set[str], str]:
    """The previous year written afresh from the warehouse into a scratch folder (then removed)."""
    label = f"{NAMES[kind]} {year_label(year)}"
    with tempfile.TemporaryDirectory(prefix="cscperf-previous-") as tmp:
        try:
            before = writer.write(con, year, Path(tmp))
        except NoRecords as exc:  # shown as the comparison's basis, so the reader sees why there is none
            return {}, set(), f"no comparison: the {label} return could not be written from the warehouse ({exc})"
        # any other error in last year's data stops the preparation: a comparison quietly dropped would hide it
    if not before.children:
        return {}, set(), f"no comparison: the warehouse holds no {label} records and no {label} return was prepared"
    return dict(before.counts), set(before.children), f"the {label} return re-written from the warehouse (none was prepared)"


# --- reading -------------------------------------------------------------------------------------
RETURN_SELECT = (
    "SELECT return_id, kind, year, version, status, folder, prepared_at, prepared_by, coalesce(rule_set, ''), "
    "checks_complete = 'Y', coalesce(check_note, ''), counts, comparison, signed_at, signed_by FROM cscperf_returns"
)


def _from_row(row: tuple) -> Prepared:
    return Prepared(
        row[0], row[1], int(row[2]), int(row[3]), row[4], Path(row[5]), row[6], row[7], row[8], bool(row[9]), row[10],
        json.loads(row[11] or "{}"), json.loads(row[12] or "{}"), row[13], row[14],
    )  # fmt: skip


def get(con: duckdb.DuckDBPyConnection, rid: str) -> Prepared:
    """One prepared version with its issues; an unknown id is a UserError naming it."""
    row = con.execute(f"{RETURN_SELECT} WHERE return_id = ?", [rid]).fetchone()
    if row is None:
        raise UserError(f"no prepared return '{rid}' (see 'cscperf returns list')")
    found = _from_row(row)
    found.issues = issues(con, rid)
    return found


def all_returns(con: duckdb.DuckDBPyConnection) -> list[Prepared]:
    """Every prepared version, newest year and version first (without issues: see `issue_summary`)."""
    rows = con.execute(f"{RETURN_SELECT} ORDER BY year DESC, kind, version DESC").fetchall()
    return [_from_row(r) for r in rows]


def latest(con: duckdb.DuckDBPyConnection) -> list[Prepared]:
    """The latest version of each return and year (what workers fix before year end)."""
    seen: set[tuple[str, int]] = set()
    out = []
    for r in all_returns(con):
        if (r.kind, r.year) not in seen:
            seen.add((r.kind, r.year))
            out.append(r)
    return out


def issues(con: duckdb.DuckDBPyConnection, rid: str) -> pd.DataFrame:
    return con.execute(
        f"SELECT {', '.join(ISSUE_COLUMNS)} FROM cscperf_return_issues WHERE return_id = ? ORDER BY rule_type, rule, child_id, row_id",
        [rid],
    ).df()


def issue_summary(con: duckdb.DuckDBPyConnection, rid: str) -> pd.DataFrame:
    """Per rule: error or query, DfE's message, issues, children, and (queries) children still unexplained."""
    unexplained = unexplained_queries(con, rid)
    frame = con.execute(
        "SELECT rule, rule_type, any_value(message) AS message, count(*) AS issues, count(DISTINCT nullif(child_id, '')) AS children "
        "FROM cscperf_return_issues WHERE return_id = ? GROUP BY rule, rule_type ORDER BY rule_type, issues DESC, rule",
        [rid],
    ).df()
    waiting = unexplained.groupby("rule").size() if len(unexplained) else pd.Series(dtype=int)
    frame["unexplained"] = [int(waiting.get(r, 0)) if t == "query" else 0 for r, t in zip(frame["rule"], frame["rule_type"], strict=True)]
    return frame


def unexplained_queries(con: duckdb.DuckDBPyConnection, rid: str) -> pd.DataFrame:
    """Each (rule, child) with a query and no explanation, neither for that child nor for the whole rule."""
    return con.execute(
        """
        SELECT DISTINCT i.rule, i.child_id FROM cscperf_return_issues i
        WHERE i.return_id = $r AND i.rule_type = 'query' AND NOT EXISTS (
            SELECT 1 FROM cscperf_return_explanations e
            WHERE e.return_id = i.return_id AND e.rule = i.rule AND (e.child_id = '' OR e.child_id = i.child_id))
        ORDER BY i.rule, i.child_id
        """,
        {"r": rid},
    ).df()


def explanations(con: duckdb.DuckDBPyConnection, rid: str) -> pd.DataFrame:
    return con.execute(
        "SELECT rule, child_id, explanation, written_at, written_by, coalesce(carried_from, '') AS carried_from "
        "FROM cscperf_return_explanations "
        "WHERE return_id = ? ORDER BY rule, child_id",
        [rid],
    ).df()


# Issues of the latest version of each return and year: what is still to fix before year end.
LATEST_ISSUES_SQL = """
    WITH newest AS (SELECT kind, year, max(version) AS version FROM cscperf_returns GROUP BY ALL)
    SELECT r.return_id, r.kind, r.year, r.status, r.prepared_at, i.rule, i.rule_type, i.message, i.child_id, i.table_name, i.field,
           i.row_id
    FROM cscperf_return_issues i JOIN cscperf_returns r USING (return_id) JOIN newest n USING (kind, year, version)
"""
LATEST_ORDER = " ORDER BY r.year DESC, r.kind, i.child_id, i.rule_type, i.rule, i.row_id"


def latest_issues(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """Every child's issues in the latest version of each return and year (managers' lists filter it to their teams)."""
    return con.execute(LATEST_ISSUES_SQL + " WHERE i.child_id <> ''" + LATEST_ORDER).df()


# One child's issues from both checks: the latest prepared version of each return and year, and the last
# `cscperf validate --year` of each (dfe_rules.store keeps one check per return and year). Same columns for both.
CHILD_PREPARED_SQL = f"""
    SELECT return_id AS source, kind, year, prepared_at AS checked_at, rule, rule_type, message, table_name, field, row_id
    FROM ({LATEST_ISSUES_SQL}) WHERE child_id = $child
"""
CHILD_VALIDATED_SQL = """
    SELECT 'cscperf validate' AS source, CASE kind WHEN '903' THEN 'ssda903' ELSE kind END AS kind, year, checked_at, rule, rule_type,
           message, "table" AS table_name, field, row_id
    FROM cscperf_dfe_issues WHERE child_id = $child
"""
CHILD_ISSUE_COLUMNS = ["source", "kind", "year", "checked_at", "rule", "rule_type", "message", "table_name", "field", "row_id"]


def child_issues(con: duckdb.DuckDBPyConnection, child_id: str) -> pd.DataFrame:
    """A child's validation issues (the child's page): DfE's rules on the latest prepared version of each return and
    year, and those `cscperf validate --year` stored, newest year first, errors before queries. A warehouse made
    before either check has no table for it, and so no issues from it."""
    held = {r[0] for r in con.execute("SELECT table_name FROM information_schema.tables").fetchall()}
    parts = [sql for sql, table in ((CHILD_PREPARED_SQL, "cscperf_returns"), (CHILD_VALIDATED_SQL, "cscperf_dfe_issues")) if table in held]
    if not parts:
        return pd.DataFrame(columns=CHILD_ISSUE_COLUMNS)
    order = " ORDER BY year DESC, kind, source, rule_type, rule, table_name, row_id"
    return con.execute(" UNION ALL ".join(parts) + order, {"child": child_id}).df()


def rule_rows(con: duckdb.DuckDBPyConnection, rid: str, rule: str) -> pd.DataFrame:
    """One rule's rows in a version, each with the explanation that covers it (for a query), for the drill-down."""
    return con.execute(
        """
        SELECT i.child_id, i.rule_type, i.table_name, i.field, i.row_id,
               coalesce(c.explanation, r.explanation, '') AS explanation
        FROM cscperf_return_issues i
        LEFT JOIN cscperf_return_explanations c ON c.return_id = i.return_id AND c.rule = i.rule AND c.child_id = i.child_id
        LEFT JOIN cscperf_return_explanations r ON r.return_id = i.return_id AND r.rule = i.rule AND r.child_id = ''
        WHERE i.return_id = ? AND i.rule = ? ORDER BY i.child_id, i.row_id
        """,
        [rid, rule],
    ).df()


def verify_files(con: duckdb.DuckDBPyConnection, rid: str) -> list[str]:
    """Problems with a version's files (missing, or changed since they were prepared); empty when intact."""
    found = get(con, rid)
    problems = []
    for name, digest in con.execute("SELECT file_name, sha256 FROM cscperf_return_files WHERE return_id = ? ORDER BY 1", [rid]).fetchall():
        path = found.folder / name
        if not path.is_file():
            problems.append(f"{path}: missing")
        elif sha256(path) != digest:
            problems.append(f"{path}: changed since it was prepared (SHA-256 differs)")
    return problems


def files(con: duckdb.DuckDBPyConnection, rid: str) -> pd.DataFrame:
    return con.execute("SELECT file_name, sha256, bytes FROM cscperf_return_files WHERE return_id = ? ORDER BY 1", [rid]).df()


def file_path(con: duckdb.DuckDBPyConnection, rid: str, name: str) -> Path:
    """A version's file, checked against its SHA-256: a changed or missing file is a UserError, never served."""
    found = get(con, rid)
    row = con.execute("SELECT sha256 FROM cscperf_return_files WHERE return_id = ? AND file_name = ?", [rid, name]).fetchone()
    if row is None:
        raise UserError(f"return {rid} has no file '{name}'")
    path = found.folder / name
    if not path.is_file() or sha256(path) != row[0]:
        raise UserError(f"{path}: missing or changed since return {rid} was prepared (SHA-256 differs); prepare the return again")
    return path


def children(con: duckdb.DuckDBPyConnection, rid: str) -> list[str]:
    return [r[0] for r in con.execute("SELECT child_id FROM cscperf_return_children WHERE return_id = ? ORDER BY 1", [rid]).fetchall()]


# --- explain and sign off ------------------------------------------------------------------------
def _draft(con: duckdb.DuckDBPyConnection, rid: str, doing: str) -> Prepared:
    found = get(con, rid)
    if found.status != "draft":
        raise UserError(
            f"return {rid} was signed off by {found.signed_by} on {found.signed_at:%d %b %Y %H:%M} and cannot change: "
            f"prepare a new version to {doing}"
        )
    return found


def explain(con: duckdb.DuckDBPyConnection, rid: str, rule: str, child: str, text: str, by: str) -> int:
    """Record the explanation of query `rule` (for one child, or with `child` empty for every child of the
    return); replaces an earlier one. Returns how many of the return's query rows it covers."""
    found = _draft(con, rid, "change its explanations")
    text = text.strip()
    if not text:
        raise UserError("--text: write the explanation DfE will read")
    rows = found.issues[found.issues["rule"] == rule]
    if rows.empty:
        raise UserError(f"return {rid} has no issue for rule {rule}")
    if (rows["rule_type"] != "query").all():
        raise UserError(f"rule {rule} is an error in return {rid}: errors must be fixed, not explained")
    rows = rows[rows["rule_type"] == "query"]
    if child:
        rows = rows[rows["child_id"] == child]
        if rows.empty:
            raise UserError(f"return {rid} has no query {rule} for child {child}")
    with transaction(con):
        con.execute("DELETE FROM cscperf_return_explanations WHERE return_id = ? AND rule = ? AND child_id = ?", [rid, rule, child])
        con.execute(
            "INSERT INTO cscperf_return_explanations VALUES (?, ?, ?, ?, ?, ?, '')", [rid, rule, child, text, dt.datetime.now(), by]
        )
    return len(rows)


def carry_explanations(con: duckdb.DuckDBPyConnection, rid: str, source: str, by: str) -> int:
    """Copy to draft `rid` the explanations of an earlier version of the same return and year whose query is
    still there (same rule; same child, or any child for a rule-wide one), without replacing any `rid` has.
    Each copy names its source. Returns how many were copied."""
    target = _draft(con, rid, "change its explanations")
    earlier = get(con, source)
    if (earlier.kind, earlier.year) != (target.kind, target.year) or earlier.version >= target.version:
        raise UserError(
            f"--from {source}: explanations are carried from an earlier version of the same return ({target.kind}, {target.year})"
        )
    with transaction(con):
        done = con.execute(
            """
            INSERT INTO cscperf_return_explanations
            SELECT $t, e.rule, e.child_id, e.explanation, $now, $by, $s FROM cscperf_return_explanations e
            WHERE e.return_id = $s
              AND EXISTS (SELECT 1 FROM cscperf_return_issues i WHERE i.return_id = $t AND i.rule_type = 'query' AND i.rule = e.rule
                          AND (e.child_id = '' OR i.child_id = e.child_id))
              AND NOT EXISTS (SELECT 1 FROM cscperf_return_explanations x
                              WHERE x.return_id = $t AND x.rule = e.rule AND x.child_id = e.child_id)
            """,
            {"t": rid, "s": source, "now": dt.datetime.now(), "by": by},
        ).fetchone()
    return int(done[0]) if done else 0


def sign_off_refusals(con: duckdb.DuckDBPyConnection, rid: str) -> list[str]:
    """Why return `rid` cannot be signed off now (empty when it can)."""
    found = _draft(con, rid, "sign it off")
    reasons = []
    newer = con.execute("SELECT max(version) FROM cscperf_returns WHERE kind = ? AND year = ?", [found.kind, found.year]).fetchone()
    if newer and newer[0] > found.version:
        reasons.append(f"a newer version ({return_id(found.kind, found.year, newer[0])}) has been prepared")
    if not found.checks_complete:
        reasons.append(f"DfE's rules did not all run on it, so the check is incomplete ({found.check_note})")
    if len(found.errors):
        rules = ", ".join(sorted(set(found.errors["rule"]))[:10])
        reasons.append(f"{len(found.errors)} hard errors remain (rules {rules})")
    waiting = unexplained_queries(con, rid)
    if len(waiting):
        rules = ", ".join(sorted(set(waiting["rule"]))[:10])
        reasons.append(f"{len(waiting)} queries have no written explanation (rules {rules}; see 'cscperf returns explain')")
    reasons += verify_files(con, rid)
    return reasons


def sign_off(
    con: duckdb.DuckDBPyConnection, rid: str, user_name: str, role: str, before_commit: Callable[[], None] | None = None
) -> Prepared:
    """Sign a draft off as `user_name` (a dashboard user whose role is performance or admin); `before_commit`
    runs inside the transaction (the CLI's audit row), so no signature exists without it."""
    if role not in SIGNING_ROLES:
        raise UserError(f"user '{user_name}' has role {role}: returns are signed off by performance or admin users")
    reasons = sign_off_refusals(con, rid)
    if reasons:
        raise UserError(f"return {rid} cannot be signed off: " + "; ".join(reasons))
    with transaction(con):
        con.execute(
            "UPDATE cscperf_returns SET status = 'signed', signed_at = ?, signed_by = ? WHERE return_id = ? AND status = 'draft'",
            [dt.datetime.now(), user_name, rid],
        )
        if before_commit is not None:
            before_commit()
    return get(con, rid)
