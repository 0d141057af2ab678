"""`cscperf load`, `cscperf loads` (list, undo) and `cscperf validate`."""

from __future__ import annotations

import json
from pathlib import Path

import click

from cscperf.errors import UserError
from cscperf.warehouse.options import warehouse_option as shared_warehouse_option

warehouse_option = shared_warehouse_option()


def _open(warehouse: Path, must_exist: bool = False):  # noqa: ANN202 - duckdb connection
    from cscperf.warehouse import connect

    if must_exist and not warehouse.exists():
        raise UserError(f"no warehouse at {warehouse}: load something first (cscperf load ...)")
    return connect(warehouse)  # a file it cannot open is a UserError


@click.command()
@click.argument("fmt", metavar="FORMAT")
@click.argument("paths", nargs=-1, required=True, metavar="PATH...")
@click.option("--force", is_flag=True, help="Load even if the same files were loaded before.")
@warehouse_option
def load(fmt: str, paths: tuple[str, ...], force: bool, warehouse: Path) -> None:
    """Load files (or, for ssd, a database URL) of FORMAT into the warehouse.

    FORMAT is one of ssd, ssda903, api-json, cin-xml, annex-a. Everything is loaded in one
    transaction: either every valid record is stored, or (on an error) nothing changes.
    Rejected records go to the quarantine with the file, row or element, field and rule.
    """
    from cscperf.ingest import parser_for
    from cscperf.ingest.core import run_load

    parse = parser_for(fmt)
    inputs: list[Path | str] = [p if "://" in p else Path(p) for p in paths]
    con = _open(warehouse)
    try:
        summary = run_load(con, fmt, inputs, parse, force=force)
    finally:
        con.close()
    click.echo(summary.describe())


@click.group(invoke_without_command=True)
@warehouse_option
@click.pass_context
def loads(ctx: click.Context, warehouse: Path) -> None:
    """List past loads; `cscperf loads undo LOAD_ID` removes one."""
    ctx.obj = {"warehouse": warehouse}
    if ctx.invoked_subcommand is not None:
        return
    from cscperf.ingest.core import list_loads

    con = _open(warehouse, must_exist=True)
    try:
        frame = list_loads(con)
    finally:
        con.close()
    if frame.empty:
        click.echo("no loads yet")
        return
    click.echo(f"{'load id':<44}{'format':<10}{'status':<8}{'started':<21}{'files':>6}{'loaded':>10}{'rejected':>10}")
    for row in frame.itertuples():
        summary = _json(row.summary)
        tables = summary.get("tables", {})
        loaded = sum(t.get("loaded", 0) for t in tables.values()) if isinstance(tables, dict) else 0
        started = f"{row.started_at:%Y-%m-%d %H:%M:%S}"
        files = len(_json(row.sources) or [])
        click.echo(f"{row.load_id:<44}{row.format:<10}{row.status:<8}{started:<21}{files:>6}{loaded:>10}{summary.get('rejected', 0):>10}")


def _json(text: object) -> dict | list:
    try:
        return json.loads(text) if isinstance(text, str) else {}
    except ValueError:
        return {}


@loads.command()
@click.argument("load_id")
@click.pass_context
def undo(ctx: click.Context, load_id: str) -> None:
    """Remove LOAD_ID's rows and quarantine entries and restore the rows it replaced.

    Only the most recent load touching a table can be undone; undo later loads first.
    """
    from cscperf.ingest.core import undo_load

    con = _open(ctx.obj["warehouse"], must_exist=True)
    try:
        removed = undo_load(con, load_id)
    finally:
        con.close()
    detail = ", ".join(f"{t} {n}" for t, n in sorted(removed.items())) or "no rows"
    click.echo(f"undid {load_id}: removed {detail}; rows it replaced are restored")


@click.command()
@click.option("--out", type=click.Path(path_type=Path, dir_okay=False), help="Also write the problems to this CSV file.")
@click.option("--limit", default=50, show_default=True, help="Rows to print (the CSV has them all).")
@click.option(
    "--year",
    type=int,
    default=None,
    help="Also run DfE's validation rules on the CIN census and SSDA903 returns for the year ending 31 March YEAR.",
)
@click.option(
    "--returns",
    "kinds",
    default="cin,903",
    show_default=True,
    help="With --year: which returns to check (cin, 903).",
)
@click.option("--dfe-out", type=click.Path(path_type=Path, dir_okay=False), help="With --year: write DfE's issues to this CSV file.")
@warehouse_option
def validate(out: Path | None, limit: int, year: int | None, kinds: str, dfe_out: Path | None, warehouse: Path) -> None:
    """Report data-quality problems in what is loaded: rule, table, record id, person id, detail.

    With --year, also write that year's statutory returns from the warehouse (whatever the data came
    from) and run DfE's own validation rules on them (Data to Insight's validators, installed by
    'make dfe-rules'); every issue is stored in the warehouse with the child and record it concerns.
    """
    from cscperf.ingest.validate import describe, run_checks

    wanted = _return_kinds(kinds) if year is not None else []
    con = _open(warehouse, must_exist=True)
    try:
        problems = run_checks(con)
        reports = _dfe_rules(con, year, wanted) if year is not None else []
    finally:
        con.close()
    click.echo(describe(problems, limit))
    if out is not None:  # child-level (person ids and values): audited, then written 0600
        from cscperf.files import write_csv
        from cscperf.web.store import audit_cli_export

        audit_cli_export(warehouse, "validate", out, problems["person_id"].dropna())
        write_csv(problems, out)
        click.echo(f"wrote {len(problems)} problems to {out}")
    _report_dfe(reports, dfe_out, warehouse)


def _return_kinds(kinds: str) -> list[str]:
    wanted = [k.strip() for k in kinds.split(",") if k.strip()]
    unknown = sorted(set(wanted) - {"cin", "903"})
    if unknown or not wanted:
        raise UserError(f"--returns: {', '.join(unknown) or 'nothing given'}: choose from cin, 903")
    return wanted


def _dfe_rules(con, year: int, kinds: list[str]) -> list:  # noqa: ANN001 - duckdb connection
    from cscperf.returns.dfe_rules import check_warehouse, store

    reports = check_warehouse(con, year, kinds)
    store(con, reports)
    return reports


def _report_dfe(reports: list, dfe_out: Path | None, warehouse: Path) -> None:
    import pandas as pd

    from cscperf.returns.dfe_rules import crashed_message

    for r in reports:
        click.echo(r.summary())
        counts = r.issues.groupby(["rule", "rule_type", "message"]).size().sort_values(ascending=False)
        for (rule, kind, message), n in counts.head(15).items():
            click.echo(f"  {n:>6}  {rule:<10} {kind:<6} {str(message)[:100]}")
    if dfe_out is not None and reports:  # child-level: audited, then written 0600
        from cscperf.files import write_csv
        from cscperf.web.store import audit_cli_export

        issues = pd.concat([r.issues.assign(year=r.year) for r in reports], ignore_index=True)
        audit_cli_export(warehouse, "validate --year", dfe_out, issues["child_id"].replace("", pd.NA).dropna().unique())
        write_csv(issues, dfe_out)
        click.echo(f"wrote DfE's issues to {dfe_out}")
    crashes = [m for m in (crashed_message(r) for r in reports) if m]
    if crashes:
        raise UserError("; ".join(crashes) + ": the issues found by the other rules are stored, but the check is incomplete")
