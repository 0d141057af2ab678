"""`cscperf demo`: the main job on the synthetic authority, end to end."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import click

from cscperf.synth.cli import _default_end_date
from cscperf.warehouse.options import warehouse_option


@click.command()
@warehouse_option("DuckDB warehouse file (replaced).")
@click.option(
    "--out",
    type=click.Path(path_type=Path, file_okay=False),
    default=Path("demo-output"),
    show_default=True,
    help="Folder for results and reports.",
)
@click.option("--seed", default=1, show_default=True, type=int)
def demo(warehouse: Path, out: Path, seed: int) -> None:
    """Build the default synthetic authority and show what was made and where."""
    from cscperf.synth.generator import build_warehouse

    end = _default_end_date()
    out.mkdir(parents=True, exist_ok=True)
    click.echo(f"Building the synthetic authority 'peterborough' (5 years to {end}) in {warehouse} ...")
    summary = build_warehouse(warehouse, profile="peterborough", years=5, seed=seed, end_date=end)
    click.echo(summary.describe())
    _compute(warehouse, end, out)
    _write_reports(warehouse, end, out)
    _print_dashboard(warehouse)


def _compute(warehouse: Path, end: dt.date, out: Path) -> None:
    """24 month ends of the whole catalogue, on every basis, by authority, team and worker."""
    from cscperf.files import write_csv
    from cscperf.indicators import compute, month_ends, store_results
    from cscperf.warehouse import connect

    click.echo(f"Computing the indicator catalogue for the 24 months to {end} ...")
    con = connect(warehouse)
    try:
        results = compute(con, month_ends(end, 24))
        store_results(con, results)
    finally:
        con.close()
    write_csv(results, out / "results.csv")
    click.echo(f"Results: {len(results):,} figures for {results.indicator_id.nunique()} indicators in {out / 'results.csv'}")


def _write_reports(warehouse: Path, end: dt.date, out: Path) -> None:
    """The members' and management packs for the latest complete month (computing any results still missing)."""
    from cscperf.report.build import write_report
    from cscperf.warehouse import connect

    con = connect(warehouse)
    try:
        for audience in ("members", "management", "permanency"):
            paths = write_report(con, end, audience, out / f"report-{audience}")
            click.echo(f"{audience.capitalize()} report for {end:%B %Y}: {paths['pdf']} (also {paths['html'].name}, {paths['xlsx'].name})")
    finally:
        con.close()


def _print_dashboard(warehouse: Path) -> None:
    """Demo only: one login per role with a random password, printed once, and how to start the dashboard."""
    from cscperf.web.cli import create_demo_users

    click.echo("\nDashboard: cscperf serve --warehouse " + str(warehouse) + "   then open http://127.0.0.1:8000/")
    click.echo("Demo logins (random passwords, shown only now; a new demo replaces them):")
    for name, role, password in create_demo_users(warehouse):
        click.echo(f"  {name:<18} {role:<12} {password}")
