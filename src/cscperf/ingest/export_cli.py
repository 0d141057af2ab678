"""`cscperf export`: write the warehouse out as SSD CSVs, a CIN census XML, the SSDA903 CSV set or Ofsted's Annex A.

Other stages add their own exports to the same group from their own modules:

    from cscperf.ingest.export_cli import export

    @export.command("exceptions")
    def exceptions(...): ...

(or `export.add_command(command)`); the group is registered once in `cscperf.cli`.

Every export here is child-level: it is recorded in the audit log (`cscperf audit`: the OS user,
the command and file, the children in it) before the files are written, and the files are
created mode 0600 with formula-like text neutralised (`cscperf.files`).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import click

from cscperf.errors import UserError
from cscperf.warehouse.options import warehouse_option as shared_warehouse_option

warehouse_option = shared_warehouse_option()
year_option = click.option("--year", type=int, required=True, help="Collection year, named by the 31 March it ends on (2024 = 2023-24).")


def _open(warehouse: Path):  # noqa: ANN202 - duckdb connection
    from cscperf.warehouse import connect

    if not warehouse.exists():
        raise UserError(f"no warehouse at {warehouse}: run 'cscperf demo' or 'cscperf load ...' first")
    return connect(warehouse, read_only=True)


@click.group()
def export() -> None:
    """Export data from the warehouse (SSD CSVs, CIN census XML, SSDA903 CSVs, ...)."""


@export.command("ssd")
@click.option("--out", "out", type=click.Path(path_type=Path, file_okay=False), required=True, help="Folder for the CSV files and the XML.")
@click.option("--skip-empty", is_flag=True, help="Do not write files for empty tables.")
@warehouse_option
def export_ssd_cmd(out: Path, skip_empty: bool, warehouse: Path) -> None:
    """One CSV per ssd_/ext_ table, in the SSD layout (`cscperf load ssd DIR` reads them back)."""
    from cscperf.ingest.export_ssd import children, export_ssd
    from cscperf.web.store import audit_cli_export

    con = _open(warehouse)
    try:
        audit_cli_export(warehouse, "export ssd", out, children(con))
        written = export_ssd(con, out, include_empty=not skip_empty)
    finally:
        con.close()
    click.echo(f"wrote {len(written)} tables ({sum(written.values())} rows) to {out}")


@export.command("cin-xml")
@year_option
@click.option("--out", "out", type=click.Path(path_type=Path, dir_okay=False), required=True, help="XML file to write.")
@click.option("--la-code", default=None, help="LA code for the header (default: from the warehouse).")
@warehouse_option
def export_cin_cmd(year: int, out: Path, la_code: str | None, warehouse: Path) -> None:
    """A CIN census return for the year ending 31 March YEAR, validated against that year's DfE XSD."""
    from cscperf.returns.cin_census import build, children, schema_path, write_cin_xml
    from cscperf.web.store import audit_cli_export

    con = _open(warehouse)
    try:
        tree = build(con, year, la_code)
    finally:
        con.close()
    audit_cli_export(warehouse, f"export cin-xml --year {year}", out, children(tree))
    count, problems = write_cin_xml(tree, year, out)
    xsd = schema_path(year).name
    if problems:
        shown = "; ".join(problems[:5])
        raise UserError(f"{out}: written, but {len(problems)} schema problems against {xsd} (fix the data and export again): {shown}")
    click.echo(f"wrote {count} children to {out} (valid against {xsd})")


@export.command("ssda903")
@year_option
@click.option("--out", "out", type=click.Path(path_type=Path, file_okay=False), required=True, help="Folder for the CSV files and the XML.")
@warehouse_option
def export_903_cmd(year: int, out: Path, warehouse: Path) -> None:
    """The SSDA903 return for the year ending 31 March YEAR: CSV set (<table>_<YEAR>.csv) and ssda903_<YEAR>.xml."""
    from cscperf.returns.ssda903 import children, prepare, write_files
    from cscperf.web.store import audit_cli_export

    con = _open(warehouse)
    try:
        tables = prepare(con, year)
    finally:
        con.close()
    audit_cli_export(warehouse, f"export ssda903 --year {year}", out, children(tables))
    written = write_files(tables, year, out)
    click.echo(f"wrote {len(written)} files to {out}: " + ", ".join(f"{k} ({v})" for k, v in written.items()))


@export.command("annex-a")
@click.option("--as-at", "as_at", type=click.DateTime(["%Y-%m-%d"]), required=True, help="The inspection's reference date (YYYY-MM-DD).")
@click.option("--out", "out", type=click.Path(path_type=Path, dir_okay=False), required=True, help="Workbook to write (.xlsx).")
@warehouse_option
def export_annex_a_cmd(as_at: dt.datetime, out: Path, warehouse: Path) -> None:
    """Ofsted's Annex A workbook (every list, each with its look-back) as it stood on the date AS-AT."""
    from cscperf.returns.annex_a import children_in, save, selected
    from cscperf.web.store import audit_cli_export

    con = _open(warehouse)
    try:
        frames = selected(con, as_at.date())
    finally:
        con.close()
    audit_cli_export(warehouse, f"export annex-a --as-at {as_at.date()}", out, children_in(frames))
    save(frames, out)
    counts = ", ".join(f"list {n} ({len(f)})" for n, f in frames.items())
    click.echo(f"wrote Annex A at {as_at.date()} to {out}: {counts}")
