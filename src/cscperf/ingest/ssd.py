"""Standard Safeguarding Dataset tables: a folder of CSV/Parquet files, or a database URL.

The warehouse uses SSD names, so an SSD extract needs no mapping: each `ssd_*` file or table is
matched to the canonical table of the same name (case-insensitive), its columns likewise.
Unknown tables and columns are warnings; the generic validation in `core` does the rest.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from cscperf.errors import UserError
from cscperf.ingest import values as V
from cscperf.ingest.core import Issue, Parsed, redact_url
from cscperf.warehouse import BY_NAME

SUFFIXES = (".csv", ".parquet")


def parse(paths: list[Path | str]) -> Parsed:
    parsed = Parsed(frames={})
    for p in paths:
        if isinstance(p, str) and "://" in p:
            _read_database(p, parsed)
        else:
            for f in _files(Path(p)):
                _add(parsed, f.stem, _read_file(f), str(f), "row", first_row=2 if f.suffix.lower() == ".csv" else 1)
    if not parsed.frames and not parsed.rejected:
        raise UserError(f"{', '.join(map(str, paths))}: no SSD tables found (expected files or tables named like ssd_person)")
    return parsed


def parse_tables(tables: dict[str, list[dict]], source: str) -> Parsed:
    """Rows given as objects keyed by column name, per table (the push API): read as a CSV file of the same table
    would be (values as text, columns matched case-insensitively), so the same validation and quarantine apply."""
    parsed = Parsed(frames={})
    for name, rows in tables.items():
        frame = pd.DataFrame.from_records(rows).astype(object)
        frame = frame.where(frame.notna(), "").map(lambda v: v if isinstance(v, str) else _text(v))
        _add(parsed, name, frame, f"{source}#{name}", "record", first_row=1)
    return parsed


def _text(value: object) -> str:
    """A JSON number as a CSV cell would hold it (whole numbers without '.0': a column with nulls is read as floats)."""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _files(path: Path) -> list[Path]:
    if path.is_dir():
        found = sorted(f for f in path.iterdir() if f.is_file() and f.suffix.lower() in SUFFIXES)
        if not found:
            raise UserError(f"{path}: no .csv or .parquet files in this folder")
        return found
    if not path.exists():
        raise UserError(f"{path}: file or folder not found")
    if path.suffix.lower() not in SUFFIXES:
        raise UserError(f"{path}: expected a .csv or .parquet file named after its SSD table")
    return [path]


def _read_file(path: Path) -> pd.DataFrame:
    if path.suffix.lower() == ".csv":
        return V.read_csv(path)
    try:
        return pd.read_parquet(path)
    except Exception as exc:  # noqa: BLE001 - any unreadable parquet is a user error
        raise UserError(f"{path}: not a readable Parquet file ({type(exc).__name__})") from None


def _add(parsed: Parsed, name: str, frame: pd.DataFrame, source: str, unit: str, first_row: int) -> None:
    """Match a file/table to its canonical table, warn on what cannot be used, queue the frame."""
    table = BY_NAME.get(name.strip().lower())
    parsed.read[source] = len(frame)
    if table is None:
        rule = "not a table of the warehouse model; ignored" if name.lower().startswith("ssd_") else "not an SSD table name; ignored"
        parsed.warnings.append(Issue(source, "table", name, "", name, rule))
        return
    frame = frame.rename(columns={c: str(c).strip().lower() for c in frame.columns})
    known = set(table.column_names)
    for col in frame.columns:
        if col not in known:
            parsed.warnings.append(Issue(source, "header", table.name, col, col, "column not in the warehouse model; ignored"))
    frame = frame[[c for c in frame.columns if c in known]].copy()
    frame["_source"] = source + f":{unit} " + pd.Series(range(first_row, first_row + len(frame)), index=frame.index).astype(str)
    if table.name in parsed.frames:
        frame = pd.concat([parsed.frames[table.name], frame], ignore_index=True)
    parsed.frames[table.name] = frame


def _read_database(url: str, parsed: Parsed) -> None:
    """Every ssd_* table of the database (any schema the URL's user sees by default)."""
    import sqlalchemy as sa

    shown = redact_url(url)
    try:
        engine = sa.create_engine(url)
    except Exception as exc:  # noqa: BLE001 - bad URL or missing driver
        raise UserError(f"{shown}: not a usable database URL ({type(exc).__name__}: {str(exc).splitlines()[0]})") from None
    try:
        with engine.connect() as conn:
            names = sa.inspect(conn).get_table_names()
            wanted = [n for n in names if n.lower().startswith("ssd_")]
            if not wanted:
                raise UserError(f"{shown}: no tables named ssd_* in this database")
            for name in sorted(wanted):
                frame = pd.read_sql_table(name, conn)
                _add(parsed, name, frame, f"{shown}#{name}", "row", first_row=1)
    except sa.exc.SQLAlchemyError as exc:
        raise UserError(f"{shown}: cannot read the database ({type(exc).__name__}: {str(exc).splitlines()[0]})") from None
    finally:
        engine.dispose()
