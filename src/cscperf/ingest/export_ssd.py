"""Export the warehouse as SSD-shaped CSVs: one file per canonical table, named after the table.

The files carry the model's columns (no provenance columns) in schema order, dates as
YYYY-MM-DD, empty cells for missing values, so `cscperf load ssd DIR` reads them back unchanged.
"""

from __future__ import annotations

from pathlib import Path

import duckdb

from cscperf.errors import UserError
from cscperf.warehouse.schema import TABLES


def export_ssd(con: duckdb.DuckDBPyConnection, out_dir: Path, include_empty: bool = True) -> dict[str, int]:
    """Write `<table>.csv` for every ssd_/ext_ table into `out_dir`; returns rows written per table."""
    out_dir = Path(out_dir)
    if out_dir.exists() and not out_dir.is_dir():
        raise UserError(f"{out_dir}: exists and is not a folder")
    out_dir.mkdir(parents=True, exist_ok=True)
    written: dict[str, int] = {}
    for table in TABLES:
        count = con.execute(f'SELECT count(*) FROM "{table.name}"').fetchone()[0]
        if not count and not include_empty:
            continue
        cols = ", ".join(f'"{c}"' for c in table.column_names)
        order = ", ".join(f'"{c}"' for c in (table.primary_key or table.column_names))
        target = out_dir / f"{table.name}.csv"
        query = f'SELECT {cols} FROM "{table.name}" ORDER BY {order}'
        con.execute(f"COPY ({query}) TO '{_sql_path(target)}' (HEADER, DELIMITER ',', DATEFORMAT '%Y-%m-%d')")
        written[table.name] = int(count)
    return written


def _sql_path(path: Path) -> str:
    return str(path).replace("'", "''")
