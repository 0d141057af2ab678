"""The pool read by DuckDB: an in-memory database whose canonical tables are views over the pool's Parquet.

Columns that never leave an authority (pseudonym.py: `drop`) read as NULL, so a view has exactly the columns of the
warehouse's table and every definition compiles as on a warehouse; the test that DuckDB on the pool agrees with
each authority's own warehouse shows no figure reads them.
"""

from __future__ import annotations

import os
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


def memory_limit() -> str:
    """DuckDB's memory limit on a pool, from CSCPERF_POOL_DUCKDB_MEMORY (default 12GB): a national pool's cohorts can
    outgrow memory, and DuckDB's own default (80 % of the machine) leaves nothing for anyone else."""
    return os.environ.get("CSCPERF_POOL_DUCKDB_MEMORY", "12GB")


def connect_pool(root: Path, spill: Path | None = None) -> duckdb.DuckDBPyConnection:
    """An in-memory DuckDB connection reading the pool at `root` as if it were one warehouse. Beyond the memory limit
    DuckDB writes what it holds to `spill` (a private folder: it is child data), or fails if there is none."""
    root = Path(root).resolve()
    layout.check_pool(root)
    con = duckdb.connect(":memory:", config={"memory_limit": memory_limit()})
    con.execute("SET temp_directory = ?", [str(spill) if spill is not None else ""])
    install_calendar(con)
    for table in layout.POOLED:
        con.execute(_view_sql(root, table))
    return con
