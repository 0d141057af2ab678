"""The pool read by DuckDB: an in-memory database whose canonical tables are views over the pool's Parquet.

Columns that never leave an authority (pseudonym.py: `drop`) read as NULL, so a view has exactly the columns of the
warehouse's table and every definition compiles as on a warehouse; the test that DuckDB on the pool agrees with
each authority's own warehouse shows no figure reads them.
"""

from __future__ import annotations

from pathlib import Path

import duckdb

from cscperf.calendar import install_calendar
from cscperf.pool import layout
from cscperf.pool.pseudonym import treatment
from cscperf.warehouse.schema import PROVENANCE, Table


def _view_sql(root: Path, table: Table) -> str:
    cols = [
        f'CAST(NULL AS {c.type}) AS "{c.name}"' if treatment(c.name) == "drop" else f'CAST("{c.name}" AS {c.type}) AS "{c.name}"'
        for c in table.columns
    ]
    # The provenance columns too, empty: compiled SQL (cached by indicator, not by schema) selects every column,
    # so a view must have exactly a warehouse table's columns for the same SQL to serve both.
    cols += [f'CAST(NULL AS {c.type}) AS "{c.name}"' for c in PROVENANCE]
    glob = layout.table_glob(root, table.name).replace("'", "''")
    source = f"read_parquet('{glob}', hive_partitioning = false, union_by_name = true)"
    return f'CREATE VIEW "{table.name}" AS SELECT {", ".join(cols)} FROM {source}'


def connect_pool(root: Path) -> duckdb.DuckDBPyConnection:
    """An in-memory DuckDB connection reading the pool at `root` as if it were one warehouse."""
    root = Path(root).resolve()
    layout.check_pool(root)
    con = duckdb.connect(":memory:")
    install_calendar(con)
    for table in layout.POOLED:
        con.execute(_view_sql(root, table))
    return con
