"""Opening the warehouse, creating its tables from the schema, and recording loads.

Meta tables (not part of the SSD model) are prefixed `cscperf_`: the calendar, loads,
quarantined input records and computed results.
"""

from __future__ import annotations

import datetime as dt
import uuid
from pathlib import Path

import duckdb
import pandas as pd

from cscperf.calendar import install_calendar
from cscperf.errors import UserError
from cscperf.files import make_private, private_umask
from cscperf.warehouse import results
from cscperf.warehouse.schema import PROVENANCE, RETURN_TABLES, TABLES, Table

DEFAULT_WAREHOUSE = Path("cscperf.duckdb")

META_DDL = """
CREATE TABLE IF NOT EXISTS cscperf_loads (
    load_id VARCHAR PRIMARY KEY,
    format VARCHAR NOT NULL,          -- synth, ssd, cin-xml, ssda903, annex-a, api-json
    sources VARCHAR,                  -- JSON list of {path, sha256}
    started_at TIMESTAMP NOT NULL,
    finished_at TIMESTAMP,
    status VARCHAR NOT NULL,          -- running, done, failed, undone
    summary VARCHAR                   -- JSON: per table read/loaded/rejected/warnings
);
CREATE TABLE IF NOT EXISTS cscperf_quarantine (
    load_id VARCHAR NOT NULL,
    source VARCHAR,                   -- file path
    location VARCHAR,                 -- row number or XML element path
    target_table VARCHAR,
    field VARCHAR,
    value VARCHAR,
    rule VARCHAR,                     -- the rule broken, in plain words
    raw_record VARCHAR                -- the rejected record as JSON
);
CREATE TABLE IF NOT EXISTS cscperf_dfe_issues (
    kind VARCHAR NOT NULL,            -- cin, 903
    year INTEGER NOT NULL,            -- the collection year, by the 31 March it ends on
    rule_set VARCHAR NOT NULL,        -- the validators' rule set, e.g. cin2024_25
    rule VARCHAR NOT NULL,            -- DfE's rule code
    rule_type VARCHAR NOT NULL,       -- error, query
    message VARCHAR,                  -- DfE's message
    child_id VARCHAR,                 -- the child (empty for a return-level rule)
    "table" VARCHAR,                  -- the return's table or module
    field VARCHAR,
    row_id VARCHAR,                   -- the row in that table of the written return
    checked_at TIMESTAMP NOT NULL
);
"""


def _ddl(t: Table) -> str:
    cols = [f'"{c.name}" {c.type}' for c in (*t.columns, *PROVENANCE)]
    return f'CREATE TABLE IF NOT EXISTS "{t.name}" ({", ".join(cols)})'


def meta_ddl(t: Table) -> str:
    """A meta table declared in the schema: its columns only (no provenance)."""
    columns = ", ".join(f'"{c.name}" {c.type}' for c in t.columns)
    return f'CREATE TABLE IF NOT EXISTS "{t.name}" ({columns})'


def create_schema(con: duckdb.DuckDBPyConnection) -> None:
    """Create every canonical and meta table that does not exist yet, and the calendar."""
    for t in TABLES:
        con.execute(_ddl(t))
    con.execute(META_DDL)
    for t in RETURN_TABLES:
        con.execute(meta_ddl(t))
    results.create(con)
    install_calendar(con)


def connect(path: str | Path = DEFAULT_WAREHOUSE, read_only: bool = False) -> duckdb.DuckDBPyConnection:
    """Open (creating if needed) a warehouse with the full schema in place.

    The warehouse holds child-level data: it is created mode 0600 (an older, wider file this user
    owns is tightened), and the process umask is narrowed so DuckDB's write-ahead log and spill
    files, which it creates itself whenever it writes, are private too. A file that cannot be
    opened (held by another process, not a DuckDB file, an unwritable place) is a UserError.
    """
    path = Path(path)
    if read_only:
        if not path.exists():
            raise UserError(f"no warehouse at {path}: run 'cscperf demo' or 'cscperf synth' first")
        return _open(path, read_only=True)
    private_umask()
    con = _open(path, read_only=False)
    if not str(path).startswith(":memory:"):  # an in-memory warehouse has no file
        make_private(path)
    create_schema(con)
    return con


def _open(path: Path, read_only: bool) -> duckdb.DuckDBPyConnection:
    try:
        return duckdb.connect(str(path), read_only=read_only)
    except duckdb.IOException as exc:
        raise _cannot_open(path, exc) from None


def _cannot_open(path: Path, exc: duckdb.Error) -> UserError:
    text = str(exc).removeprefix("IO Error: ").splitlines()[0]
    if "Conflicting lock" in text:
        holder = text.split("Conflicting lock is held in", 1)[1].split(". See also")[0].strip()
        return UserError(
            f"{path}: the warehouse is in use by another process ({holder}); "
            "try again when that load or computation has finished (a running dashboard lets go after a few idle seconds)"
        )
    return UserError(f"{path}: cannot open the warehouse ({text})")


def begin_load(con: duckdb.DuckDBPyConnection, fmt: str, sources: str = "[]") -> str:
    load_id = f"{fmt}-{dt.datetime.now():%Y%m%d%H%M%S}-{uuid.uuid4().hex[:8]}"
    con.execute(
        "INSERT INTO cscperf_loads VALUES (?, ?, ?, ?, NULL, 'running', NULL)",
        [load_id, fmt, sources, dt.datetime.now()],
    )
    return load_id


def finish_load(con: duckdb.DuckDBPyConnection, load_id: str, summary: str, status: str = "done") -> None:
    con.execute(
        "UPDATE cscperf_loads SET finished_at = ?, status = ?, summary = ? WHERE load_id = ?",
        [dt.datetime.now(), status, summary, load_id],
    )


def insert_frame(con: duckdb.DuckDBPyConnection, table: Table, frame: pd.DataFrame, load_id: str, source: str) -> int:
    """Append a frame to a canonical table; missing columns become NULL, unknown ones are an error."""
    unknown = set(frame.columns) - set(table.column_names)
    if unknown:
        raise ValueError(f"{table.name}: unknown columns {sorted(unknown)}")
    select = ", ".join(f'CAST("{c.name}" AS {c.type})' if c.name in frame.columns else f"CAST(NULL AS {c.type})" for c in table.columns)
    con.register("_incoming", frame)
    try:
        con.execute(f'INSERT INTO "{table.name}" SELECT {select}, ?, ? FROM _incoming', [load_id, source])
    finally:
        con.unregister("_incoming")
    return len(frame)
