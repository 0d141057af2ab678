"""The CIN census return (XML) for one collection year."""

from __future__ import annotations

from pathlib import Path

import duckdb

from cscperf.files import output_folder
from cscperf.ingest.export_cin_xml import build, children, write_cin_xml
from cscperf.returns.written import WrittenReturn


def file_name(year: int) -> str:
    return f"cin_census_{year}.xml"


def write(con: duckdb.DuckDBPyConnection, year: int, out_dir: Path, la_code: str | None = None) -> WrittenReturn:
    """Write the year's CIN census XML into `out_dir`, validated against that year's DfE schema."""
    tree = build(con, year, la_code)
    path = output_folder(Path(out_dir)) / file_name(year)
    count, problems = write_cin_xml(tree, year, path)
    return WrittenReturn("cin", year, (path,), frozenset(children(tree)), {"children": count}, tuple(problems))
