"""The load transaction shared by every input format.

A parser turns input files into canonical frames plus rejected records (`Parsed`); `run_load`
then, inside ONE DuckDB transaction: records the load in `cscperf_loads`, validates every frame
against `cscperf.warehouse.schema` (required fields, types, dates, start <= end, duplicate keys),
moves failures to `cscperf_quarantine`, and upserts the valid rows by primary key with
`_load_id`/`_source` provenance. Any error rolls the whole load back.

Rows that a load replaces or deletes are kept in `cscperf_replaced__<table>` (with the load that
replaced them in `_replaced_by`), so `undo_load` can put the warehouse back exactly as it was.
Undo is allowed only for the most recent load that touched each of its tables: undoing loads
newest-first always restores the earlier state; undoing one in the middle of a chain would
leave rows whose history has been overwritten, so it is refused with the load to undo first.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import pandas as pd

from cscperf.errors import UserError
from cscperf.files import FORMULA_RULE, formula_like_mask
from cscperf.ingest import values as V
from cscperf.warehouse import BY_NAME, TABLES, Table, begin_load, finish_load
from cscperf.warehouse.transaction import transaction

ARCHIVE_PREFIX = "cscperf_replaced__"
MAX_ISSUES_SHOWN = 20


@dataclass
class Issue:
    """A rejected record or a warning, in words a performance officer understands."""

    source: str
    location: str
    table: str
    field: str
    value: str
    rule: str
    raw: dict | None = None

    def line(self) -> str:
        return f"{self.source} {self.location}: {self.table}.{self.field} = {self.value!r}: {self.rule}"


@dataclass
class Delete:
    """Rows to remove before upserting: `column` of `table` in `values` (API purge).

    With `via` = (table, id column, key column), `column` holds ids of that table's rows whose key column is in
    `values`: rows keyed by another record rather than the child (assessment factors) go with the child's records.
    """

    table: str
    column: str
    values: list[str]
    via: tuple[str, str, str] | None = None


@dataclass
class Parsed:
    frames: dict[str, pd.DataFrame]
    rejected: list[Issue] = field(default_factory=list)
    warnings: list[Issue] = field(default_factory=list)
    read: dict[str, int] = field(default_factory=dict)
    deletes: list[Delete] = field(default_factory=list)


@dataclass
class TableCounts:
    read: int = 0
    loaded: int = 0
    rejected: int = 0
    warnings: int = 0
    replaced: int = 0
    deleted: int = 0


@dataclass
class LoadSummary:
    load_id: str
    fmt: str
    status: str = "done"  # done, noop
    tables: dict[str, TableCounts] = field(default_factory=dict)
    read: dict[str, int] = field(default_factory=dict)
    rejected: list[Issue] = field(default_factory=list)
    warnings: list[Issue] = field(default_factory=list)
    same_as: str | None = None

    def counts(self, table: str) -> TableCounts:
        return self.tables.setdefault(table, TableCounts())

    def add(self, part: LoadSummary) -> None:
        """Fold another part of the same load (a run of pushed records) into this summary."""
        for name, c in part.tables.items():
            t = self.counts(name)
            for k, v in vars(c).items():
                setattr(t, k, getattr(t, k) + v)
        for k, v in part.read.items():
            self.read[k] = self.read.get(k, 0) + v
        self.rejected.extend(part.rejected)
        self.warnings.extend(part.warnings)

    def to_json(self) -> str:
        return json.dumps(
            {
                "tables": {k: vars(v) for k, v in sorted(self.tables.items())},
                "read": self.read,
                "rejected": len(self.rejected),
                "warnings": len(self.warnings),
            }
        )

    def describe(self) -> str:
        if self.status == "noop":
            return f"nothing to do: the same {self.fmt} input was already loaded as {self.same_as} (use --force to load it again)"
        lines = [f"load {self.load_id} ({self.fmt}): {sum(self.read.values())} records read from {len(self.read)} inputs"]
        lines.append(f"  {'table':<32}{'read':>9}{'loaded':>9}{'rejected':>9}{'warnings':>9}{'replaced':>9}{'deleted':>9}")
        for name, c in sorted(self.tables.items()):
            lines.append(f"  {name:<32}{c.read:>9}{c.loaded:>9}{c.rejected:>9}{c.warnings:>9}{c.replaced:>9}{c.deleted:>9}")
        for title, issues in (("rejected", self.rejected), ("warnings", self.warnings)):
            if issues:
                lines.append(f"{title} ({len(issues)}, first {min(len(issues), MAX_ISSUES_SHOWN)} shown; all in cscperf_quarantine):")
                lines.extend(f"  {i.line()}" for i in issues[:MAX_ISSUES_SHOWN])
        return "\n".join(lines)


# --- sources and hashing -------------------------------------------------------------------


def _is_url(path: Path | str) -> bool:
    return isinstance(path, str) and "://" in path


def redact_url(url: str) -> str:
    """A database URL without its password, fit for the loads table."""
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    try:
        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError:  # not a URL SQLAlchemy reads (the loader then says so): still never show what precedes "@"
        return url.split("@")[-1]


def hash_sources(paths: Sequence[Path | str]) -> list[dict]:
    """[{path, sha256}] for every file (folders: every file inside, sorted); URLs are not hashed."""
    out = []
    for p in paths:
        if _is_url(p):
            out.append({"path": redact_url(str(p)), "sha256": None})
            continue
        p = Path(p)
        if not p.exists():
            raise UserError(f"{p}: file or folder not found")
        files = sorted(f for f in p.rglob("*") if f.is_file()) if p.is_dir() else [p]
        for f in files:
            digest = hashlib.sha256()
            with f.open("rb") as fh:
                for chunk in iter(lambda fh=fh: fh.read(1 << 20), b""):
                    digest.update(chunk)
            out.append({"path": str(f), "sha256": digest.hexdigest()})
    return out


def _previous_identical_load(con: duckdb.DuckDBPyConnection, fmt: str, sources: list[dict]) -> str | None:
    if not sources or any(s["sha256"] is None for s in sources):
        return None
    wanted = sorted(s["sha256"] for s in sources)
    rows = con.execute(
        "SELECT load_id, sources FROM cscperf_loads WHERE format = ? AND status = 'done' ORDER BY started_at DESC", [fmt]
    ).fetchall()
    for load_id, text in rows:
        try:
            if sorted(s.get("sha256") or "" for s in json.loads(text or "[]")) == wanted:
                return load_id
        except (ValueError, AttributeError):
            continue
    return None


# --- the transaction -----------------------------------------------------------------------


def start_load(con: duckdb.DuckDBPyConnection, fmt: str, sources: list[dict] | None = None) -> str:
    """Record a running load (call inside `transaction`) and return its id."""
    return begin_load(con, fmt, json.dumps(sources or []))


def end_load(con: duckdb.DuckDBPyConnection, summary: LoadSummary) -> None:
    finish_load(con, summary.load_id, summary.to_json(), "done")


def run_load(
    con: duckdb.DuckDBPyConnection,
    fmt: str,
    paths: Sequence[Path | str],
    parse: Callable[[list[Path]], Parsed],
    force: bool = False,
) -> LoadSummary:
    """Parse the inputs and load them in one transaction; a repeat of a loaded input is a no-op."""
    sources = hash_sources(paths)
    return load_sources(con, fmt, sources, lambda: parse([p if _is_url(p) else Path(p) for p in paths]), force)  # type: ignore[misc]


def load_sources(
    con: duckdb.DuckDBPyConnection, fmt: str, sources: list[dict], parse: Callable[[], Parsed], force: bool = False
) -> LoadSummary:
    """Load parsed inputs described by `sources` ({path, sha256}) in one transaction; when every source's hash matches
    an earlier load of the same format, nothing is done (files from `run_load`, pushed tables from the API)."""
    if not force and (same := _previous_identical_load(con, fmt, sources)):
        return LoadSummary(load_id="", fmt=fmt, status="noop", same_as=same)
    parsed = parse()
    try:
        with transaction(con):
            load_id = start_load(con, fmt, sources)
            summary = apply_parsed(con, load_id, fmt, parsed)
            end_load(con, summary)
    except Exception:
        _record_failure(con, fmt, sources)
        raise
    return summary


def _record_failure(con: duckdb.DuckDBPyConnection, fmt: str, sources: list[dict]) -> None:
    """After a rollback, note the failed attempt (no data) so `cscperf loads` shows it."""
    with contextlib.suppress(duckdb.Error):
        load_id = begin_load(con, fmt, json.dumps(sources))
        finish_load(con, load_id, json.dumps({"error": "load failed and was rolled back; nothing was changed"}), "failed")


def apply_parsed(con: duckdb.DuckDBPyConnection, load_id: str, fmt: str, parsed: Parsed) -> LoadSummary:
    """Validate and write one parser's output under `load_id` (inside the caller's transaction)."""
    summary = LoadSummary(load_id=load_id, fmt=fmt, read=dict(parsed.read))
    summary.rejected.extend(parsed.rejected)
    summary.warnings.extend(parsed.warnings)
    for issue in parsed.rejected:
        c = summary.counts(issue.table)
        c.rejected += 1
        c.read += 1
    for issue in parsed.warnings:
        summary.counts(issue.table).warnings += 1
    for delete in _grouped(parsed.deletes):
        summary.counts(delete.table).deleted += _delete_rows(con, load_id, delete)
    for name, frame in parsed.frames.items():
        if name not in BY_NAME:
            raise ValueError(f"parser produced unknown table {name}")
        clean, rejected, warnings = validate_frame(BY_NAME[name], frame)
        c = summary.counts(name)
        c.read += len(frame)
        c.rejected += _count_records(rejected)
        c.warnings += len(warnings)
        summary.rejected.extend(rejected)
        summary.warnings.extend(warnings)
        replaced, loaded = upsert(con, BY_NAME[name], clean, load_id)
        c.replaced += replaced
        c.loaded += loaded
    quarantine(con, load_id, summary.rejected, summary.warnings)
    return summary


def _grouped(deletes: list[Delete]) -> list[Delete]:
    """One delete per (table, column) with all their values: a statement per child made a push of 1,000 take minutes."""
    out: dict[tuple, Delete] = {}
    for d in deletes:
        out.setdefault((d.table, d.column, d.via), Delete(d.table, d.column, [], d.via)).values.extend(d.values)
    return list(out.values())


def _count_records(issues: list[Issue]) -> int:
    return len({(i.source, i.location) for i in issues})


# --- generic validation --------------------------------------------------------------------


# (start, end) pairs whose names do not follow the start/end pattern.
NAMED_PAIRS = {
    "ssd_cin_episodes": [("cine_referral_date", "cine_close_date")],
    "ssd_cin_assessments": [("cina_assessment_start_date", "cina_assessment_auth_date")],
}


def date_pairs(table: Table) -> list[tuple[str, str]]:
    """(start, end) date columns of a table: `*start*`/`*end*` or `*ceased*` with the same stem, plus NAMED_PAIRS."""
    dates = [c.name for c in table.columns if c.type == "DATE"]
    pairs = list(NAMED_PAIRS.get(table.name, []))
    for start in (d for d in dates if "start" in d):
        for end_word in ("end", "ceased"):
            end = start.replace("start", end_word)
            if end in dates:
                pairs.append((start, end))
    return pairs


def split_source(text: object, default: str = "") -> tuple[str, str]:
    """'<file>:row 17' -> ('<file>', 'row 17')."""
    if V.is_blank(text):
        return default, ""
    head, sep, tail = str(text).rpartition(":")
    return (head, tail) if sep else (str(text), "")


# Columns where NONE is a code list's value: the CIN census disability code for a child with no disability.
NONE_IS_A_CODE = {"disa_disability_code"}


def validate_frame(table: Table, frame: pd.DataFrame) -> tuple[pd.DataFrame, list[Issue], list[Issue]]:
    """(valid rows typed to the schema, rejected-record issues, warnings). Vectorised by column."""
    frame = frame.reset_index(drop=True)
    sources = frame["_source"] if "_source" in frame.columns else pd.Series([f"{table.name}:row {i + 1}" for i in range(len(frame))])
    warnings = [
        Issue(split_source(sources.iloc[0])[0] if len(frame) else "", "header", table.name, col, col, "column not in the model; ignored")
        for col in frame.columns
        if col not in table.column_names and col != "_source"
    ]
    out = pd.DataFrame(index=frame.index)
    problems: list[tuple[pd.Series, str, str]] = []  # (bad mask, field, rule)
    for col in table.columns:
        if col.name not in frame.columns:
            out[col.name] = None
            continue
        out[col.name], bad, rule = _coerce(frame[col.name], col.type)
        if col.name in NONE_IS_A_CODE:  # a code, not the placeholder 'none' that other text columns blank
            said = frame[col.name].astype("string").str.strip().str.upper().eq("NONE").fillna(False).to_numpy(bool)
            out.loc[said, col.name] = "NONE"
        if bad is not None and bad.any():
            problems.append((bad, col.name, rule))
    warnings.extend(_formula_warnings(table, frame, sources, out))
    for col in table.columns:
        if col.required:
            problems.append((out[col.name].isna(), col.name, "required field is empty"))
    for start, end in date_pairs(table):
        problems.append(((out[end] < out[start]).fillna(False), end, f"end date is before the start date ({start})"))
    rejected_mask = pd.Series(False, index=frame.index)
    issues: list[Issue] = []
    for mask, fieldname, rule in problems:
        if mask.any():
            issues.extend(_issues(table, frame, sources, mask, fieldname, rule))
            rejected_mask |= mask
    keep = out[~rejected_mask]
    key = list(table.primary_key)
    if key:
        dup = keep.duplicated(subset=key, keep="last")
        if dup.any():
            mask = pd.Series(False, index=frame.index)
            mask[dup[dup].index] = True
            rule = "the same id appears again later in this load; the later record was kept"
            issues.extend(_issues(table, frame, sources, mask, key[0], rule))
            keep = keep[~dup]
    keep = keep.copy()
    keep["_source"] = sources[keep.index].astype(str).to_numpy() if len(keep) else []
    return keep.reset_index(drop=True), issues, warnings


def _formula_warnings(table: Table, frame: pd.DataFrame, sources: pd.Series, out: pd.DataFrame) -> list[Issue]:
    """Text a spreadsheet would run as a formula (`=HYPERLINK(...)` as a child id): loaded, but flagged,
    since every export neutralises it and no statutory code begins that way."""
    issues: list[Issue] = []
    for col in table.columns:
        if col.type == "VARCHAR" and col.name in frame.columns:
            mask = formula_like_mask(out[col.name])
            if mask.any():
                issues.extend(_issues(table, frame, sources, mask, col.name, FORMULA_RULE))
    return issues


def _coerce(values: pd.Series, type_: str) -> tuple[pd.Series, pd.Series | None, str]:
    """(typed values, mask of values that could not be typed, rule)."""
    if type_ == "DATE":
        parsed, bad = V.parse_date_series(values)
        return parsed, bad, V.DATE_RULE
    if type_ in ("DOUBLE", "INTEGER"):
        text = V.clean_text_series(values) if not pd.api.types.is_numeric_dtype(values) else values
        number = pd.to_numeric(text, errors="coerce")
        bad = text.notna() & number.isna()
        if type_ == "INTEGER":
            fractional = number.notna() & (number % 1 != 0)
            return number.where(~fractional).astype("Float64"), (bad | fractional).astype(bool), "not a whole number"
        return number.astype("Float64"), bad.astype(bool), "not a number"
    text = V.clean_text_series(values)
    return text.astype(object).where(text.notna(), None), None, ""


def _issues(table: Table, frame: pd.DataFrame, sources: pd.Series, mask: pd.Series, fieldname: str, rule: str) -> list[Issue]:
    rows = frame[mask.to_numpy()]
    out = []
    for idx, raw in zip(rows.index, rows.to_dict("records"), strict=True):
        source, location = split_source(sources.iloc[idx])
        value = raw.get(fieldname)
        out.append(Issue(source, location, table.name, fieldname, "" if V.is_blank(value) else str(value), rule, raw))
    return out


# --- writing -------------------------------------------------------------------------------


def _archive_name(table: str) -> str:
    return f'"{ARCHIVE_PREFIX}{table}"'


def _ensure_archive(con: duckdb.DuckDBPyConnection, table: Table) -> str:
    name = _archive_name(table.name)
    con.execute(f'CREATE TABLE IF NOT EXISTS {name} AS SELECT *, CAST(NULL AS VARCHAR) AS _replaced_by FROM "{table.name}" LIMIT 0')
    return name


def _match(table: Table, left: str, right: str) -> str:
    """SQL condition: rows of `left` and `right` have the same key (all columns when there is no primary key)."""
    cols = table.primary_key or tuple(table.column_names)
    op = "=" if table.primary_key else "IS NOT DISTINCT FROM"
    return " AND ".join(f'{left}."{c}" {op} {right}."{c}"' for c in cols)


def upsert(con: duckdb.DuckDBPyConnection, table: Table, frame: pd.DataFrame, load_id: str) -> tuple[int, int]:
    """Replace rows with the same key (archiving them for undo) and insert the frame: (replaced, inserted)."""
    if frame.empty:
        return 0, 0
    typed = ", ".join(f'CAST("{c.name}" AS {c.type}) AS "{c.name}"' for c in table.columns)
    con.register("_incoming_frame", frame)
    try:
        con.execute(f'CREATE OR REPLACE TEMP TABLE _incoming AS SELECT {typed}, CAST("_source" AS VARCHAR) AS _source FROM _incoming_frame')
    finally:
        con.unregister("_incoming_frame")
    archive = _ensure_archive(con, table)
    match = f"EXISTS (SELECT 1 FROM _incoming i WHERE {_match(table, 'i', 't')})"
    replaced = con.execute(f'INSERT INTO {archive} SELECT t.*, ? FROM "{table.name}" t WHERE {match}', [load_id]).fetchone()[0]
    if replaced:
        con.execute(f'DELETE FROM "{table.name}" t WHERE {match}')
    cols = ", ".join(f'"{c}"' for c in table.column_names)
    inserted = con.execute(f'INSERT INTO "{table.name}" SELECT {cols}, ?, _source FROM _incoming', [load_id]).fetchone()[0]
    con.execute("DROP TABLE _incoming")
    return int(replaced), int(inserted)


def _delete_rows(con: duckdb.DuckDBPyConnection, load_id: str, delete: Delete) -> int:
    if not delete.values:
        return 0
    table = BY_NAME[delete.table]
    archive = _ensure_archive(con, table)
    con.register("_delete_keys", pd.DataFrame({"k": [str(v) for v in delete.values]}))
    try:
        keys = "SELECT k FROM _delete_keys"
        if delete.via:
            other, id_column, key_column = delete.via
            keys = f'SELECT CAST("{id_column}" AS VARCHAR) FROM "{other}" WHERE CAST("{key_column}" AS VARCHAR) IN ({keys})'
        cond = f'CAST(t."{delete.column}" AS VARCHAR) IN ({keys})'
        con.execute(f'INSERT INTO {archive} SELECT t.*, ? FROM "{table.name}" t WHERE {cond}', [load_id])
        return int(con.execute(f'DELETE FROM "{table.name}" t WHERE {cond}').fetchone()[0])
    finally:
        con.unregister("_delete_keys")


def quarantine(con: duckdb.DuckDBPyConnection, load_id: str, rejected: list[Issue], warnings: list[Issue]) -> None:
    """Rejected records (rule as given) and warnings (rule prefixed 'warning: ') into cscperf_quarantine."""
    rows = [
        (load_id, i.source, i.location, i.table, i.field, i.value, ("warning: " if warning else "") + i.rule, _raw_json(i.raw))
        for issues, warning in ((rejected, False), (warnings, True))
        for i in issues
    ]
    if rows:  # one insert from a frame: executemany is far too slow for tens of thousands of warnings
        cols = ["load_id", "source", "location", "target_table", "field", "value", "rule", "raw_record"]
        con.register("_quarantine_rows", pd.DataFrame(rows, columns=cols, dtype=object))
        try:
            con.execute(f"INSERT INTO cscperf_quarantine SELECT {', '.join(f'CAST({c} AS VARCHAR)' for c in cols)} FROM _quarantine_rows")
        finally:
            con.unregister("_quarantine_rows")


def _raw_json(raw: dict | None) -> str | None:
    if raw is None:
        return None
    return json.dumps({k: (None if V.is_blank(v) else str(v)) for k, v in raw.items()})


# --- listing and undoing loads -------------------------------------------------------------


def list_loads(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    return con.execute(
        "SELECT load_id, format, status, started_at, finished_at, sources, summary FROM cscperf_loads ORDER BY started_at, load_id"
    ).df()


def _archives(con: duckdb.DuckDBPyConnection) -> set[str]:
    names = con.execute("SELECT table_name FROM information_schema.tables WHERE table_name LIKE 'cscperf_replaced__%'").fetchall()
    return {n[0].removeprefix(ARCHIVE_PREFIX) for n in names}


def touched_tables(con: duckdb.DuckDBPyConnection, load_id: str) -> set[str]:
    """Tables a load wrote rows to, or replaced/deleted rows in (found from the data itself)."""
    archives = _archives(con)
    out = set()
    for t in TABLES:
        hit = con.execute(f'SELECT 1 FROM "{t.name}" WHERE _load_id = ? LIMIT 1', [load_id]).fetchone()
        if not hit and t.name in archives:
            sql = f"SELECT 1 FROM {_archive_name(t.name)} WHERE _replaced_by = ? OR _load_id = ? LIMIT 1"
            hit = con.execute(sql, [load_id, load_id]).fetchone()
        if hit:
            out.add(t.name)
    return out


def undo_load(con: duckdb.DuckDBPyConnection, load_id: str) -> dict[str, int]:
    """Remove a load's rows and quarantine entries and restore the rows it replaced; {table: rows removed}."""
    row = con.execute("SELECT status, started_at FROM cscperf_loads WHERE load_id = ?", [load_id]).fetchone()
    if row is None:
        raise UserError(f"no load with id {load_id} (see 'cscperf loads')")
    status, started = row
    if status != "done":
        raise UserError(f"load {load_id} is {status}: only a completed load can be undone")
    mine = touched_tables(con, load_id)
    later = con.execute(
        "SELECT load_id FROM cscperf_loads WHERE status = 'done' AND load_id <> ? AND (started_at > ? OR (started_at = ? AND load_id > ?))"
        " ORDER BY started_at DESC",
        [load_id, started, started, load_id],
    ).fetchall()
    for (other,) in later:
        overlap = mine & touched_tables(con, other)
        if overlap:
            raise UserError(f"load {other} came later and changed {', '.join(sorted(overlap))}: undo it first")
    archives = _archives(con)
    removed: dict[str, int] = {}
    with transaction(con):
        for name in sorted(mine):
            removed[name] = int(con.execute(f'DELETE FROM "{name}" WHERE _load_id = ?', [load_id]).fetchone()[0])
            if name in archives:
                cols = ", ".join(f'"{c}"' for c in (*BY_NAME[name].column_names, "_load_id", "_source"))
                con.execute(f'INSERT INTO "{name}" SELECT {cols} FROM {_archive_name(name)} WHERE _replaced_by = ?', [load_id])
                con.execute(f"DELETE FROM {_archive_name(name)} WHERE _replaced_by = ?", [load_id])
        con.execute("DELETE FROM cscperf_quarantine WHERE load_id = ?", [load_id])
        con.execute("UPDATE cscperf_loads SET status = 'undone', finished_at = ? WHERE load_id = ?", [dt.datetime.now(), load_id])
    return removed
