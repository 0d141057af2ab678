"""`cscperf report` and `cscperf targets`."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import click

from cscperf.errors import UserError
from cscperf.judge.cli import parse_date, targets_option
from cscperf.warehouse.options import warehouse_option as shared_warehouse_option

_warehouse = shared_warehouse_option()
_targets = targets_option
_date = parse_date


@click.command()
@_warehouse
@click.option("--period-end", required=True, help="Month end the report is for (YYYY-MM-DD).")
@click.option(
    "--audience",
    type=click.Choice(["members", "management", "permanency"]),
    required=True,
    help="members: suppressed aggregates only; permanency: the permanency service's scorecard and detailed report.",
)
@click.option("--commentary", type=click.Path(path_type=Path, dir_okay=False), help="Markdown (## indicator_id) or YAML commentary.")
@_targets
@click.option("--la-code", help="Authority to report on (default: the warehouse's authority).")
@click.option(
    "--sn-average", type=click.Choice(["mean", "median"]), default="mean", show_default=True, help="Statistical-neighbour average."
)
@click.option("--out", "out_dir", type=click.Path(path_type=Path, file_okay=False), required=True, help="Output folder.")
def report(
    warehouse: Path,
    period_end: str,
    audience: str,
    commentary: Path | None,
    targets_file: Path | None,
    la_code: str | None,
    sn_average: str,
    out_dir: Path,
) -> None:
    """Write the monthly performance report: report.html, report.pdf and report.xlsx.

    Results are read from the warehouse; months not yet computed are computed first.
    """
    from cscperf.report.build import write_report
    from cscperf.warehouse import connect

    end = _date(period_end, "--period-end")
    if not warehouse.exists():
        raise UserError(f"{warehouse}: no warehouse here (run 'cscperf demo' or 'cscperf load' first)")
    con = connect(warehouse)
    try:
        paths = write_report(con, end, audience, out_dir, commentary, targets_file, la_code, sn_average)
    finally:
        con.close()
    for kind, path in paths.items():
        click.echo(f"{kind:5} {path}")


@click.command()
@_targets
@click.option("--on", "on_date", help="Date the targets are in force (default: today).")
def targets(targets_file: Path | None, on_date: str | None) -> None:
    """Show the effective targets: value or band, amber tolerance, RAG basis and where each comes from."""
    from rich.console import Console
    from rich.table import Table

    from cscperf.indicators.registry import REGISTRY
    from cscperf.judge.targets import load_targets

    day = _date(on_date, "--on") if on_date else dt.date.today()
    book = load_targets(targets_file)
    table = Table(title=f"Targets in force on {day:%d %B %Y}")
    for col in ("indicator", "polarity", "target", "amber tolerance", "basis", "from", "source"):
        table.add_column(col)
    for t in book.table(day):
        ind = REGISTRY[t.indicator_id]
        tol = f"±{t.tolerance:g}" if t.tolerance_kind == "absolute" else f"±{t.tolerance:.0%} of target"
        src = "registry" if t.source == "registry" else Path(t.source).name
        start = f"{t.effective_from:%Y-%m-%d}" if t.effective_from else ""
        table.add_row(t.indicator_id, ind.polarity, t.describe(lambda v: f"{v:g}"), tol if t.has_target else "", t.basis, start, src)
    Console(width=160).print(table)
