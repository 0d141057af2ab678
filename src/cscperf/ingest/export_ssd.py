"""Export the warehouse as SSD-shaped CSVs: one file per canonical table, named after the table.

The files carry the model's columns (no provenance columns) in schema order, dates as
YYYY-MM-DD, empty cells for missing values, so `cscperf load ssd DIR` reads them back unchanged.
They are child-level: written mode 0600, with formula-like text neutralised (`cscperf.files`);
such a value reads back with its leading apostrophe.
"""

from __future__ import annotations

from pathlib import Path

import duckdb

from cscperf.files import output_folder, write_csv
from cscperf.warehouse.schema import TABLES


def export_ssd(con: duckdb.DuckDBPyConnection, out_dir: Path, include_empty: bool = True) -> dict[str, int]:
    """Write `<table>.csv` for every ssd_/ext_ table into `out_dir`; returns rows written per table."""
    out_dir = output_folder(out_dir)
    written: dict[str, int] = {}
    for table in TABLES:
        count = con.execute(f'SELECT count(*) FROM "{table.name}"').fetchone()[0]
        if not count and not include_empty:
            continue
        cols = ", ".join(f'"{c}"' for c in table.column_names)
        order = ", ".join(f'"{c}"' for c in (table.primary_key or table.column_names))
        frame = con.execute(f'SELECT {cols} FROM "{table.name}" ORDER BY {order}').df()
        write_csv(frame, out_dir / f"{table.name}.csv", date_format="%Y-%m-%d")
        written[table.name] = int(count)
    return written


def children(con: duckdb.DuckDBPyConnection) -> set[str]:
    """Every child id in the tables an SSD export writes (any column named *person_id)."""
    selects = [
        f'SELECT CAST("{col}" AS VARCHAR) FROM "{table.name}" WHERE "{col}" IS NOT NULL'
        for table in TABLES
        for col in table.column_names
        if col.endswith("person_id")
    ]
    return {row[0] for row in con.execute(" UNION ".join(selects)).fetchall()}
