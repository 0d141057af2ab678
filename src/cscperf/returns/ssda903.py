"""The SSDA903 return (children looked after) for one collection year."""

from __future__ import annotations

from pathlib import Path

import duckdb

from cscperf.ingest.export_ssda903 import children, prepare, write_ssda903
from cscperf.returns.written import WrittenReturn


def write(con: duckdb.DuckDBPyConnection, year: int, out_dir: Path) -> WrittenReturn:
    """Write the year's SSDA903 CSV set into `out_dir`."""
    tables = prepare(con, year, out_dir)
    written = write_ssda903(tables, year, out_dir)
    files = tuple(Path(out_dir) / name for name in written)
    counts = {name.removesuffix(f"_{year}.csv"): rows for name, rows in written.items()}
    return WrittenReturn("ssda903", year, files, frozenset(children(tables)), counts)
