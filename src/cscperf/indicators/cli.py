"""`cscperf compute`, `cscperf indicators` and `cscperf export exceptions`."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import click
import pandas as pd
from click.core import ParameterSource

from cscperf.errors import UserError
from cscperf.warehouse.options import warehouse_option as shared_warehouse_option

warehouse_option = shared_warehouse_option()


def _csv_list(value: str | None, allowed: tuple[str, ...] | None, what: str) -> tuple[str, ...] | None:
    if value is None:
        return None
    items = tuple(v.strip() for v in value.split(",") if v.strip())
    if allowed is not None:
        unknown = [v for v in items if v not in allowed]
        if unknown:
            raise UserError(f"unknown {what}: {', '.join(unknown)} (choose from {', '.join(allowed)})")
    return items


def _period_end(value: dt.datetime) -> dt.date:
    from cscperf.calendar import FIRST_DATE, LAST_DATE

    day = value.date()
    if not FIRST_DATE <= day <= LAST_DATE:
        raise UserError(f"--period-end {day} is outside the supported calendar ({FIRST_DATE} to {LAST_DATE})")
    return day


def _check_out(out: Path | None) -> None:
    """Refuse a bad --out name before any work is done."""
    if out is not None and out.suffix not in (".csv", ".parquet"):
        raise UserError(f"--out {out}: use a .csv or .parquet file name")


def _write(frame: pd.DataFrame, out: Path) -> None:
    """CSV (formula-like text neutralised) or Parquet, mode 0600."""
    from cscperf.files import write_csv, write_parquet

    _check_out(out)
    if out.suffix == ".parquet":
        write_parquet(frame, out)
    else:
        write_csv(frame, out)


def _open(warehouse: Path, read_only: bool):  # noqa: ANN202 - duckdb connection
    from cscperf.warehouse import connect

    if not warehouse.exists():
        raise UserError(f"no warehouse at {warehouse}: run 'cscperf demo' or 'cscperf synth' first")
    return connect(warehouse, read_only=read_only)


@click.command()
@click.option("--period-end", type=click.DateTime(["%Y-%m-%d"]), required=True, help="Last period end (a month end).")
@click.option("--months", type=click.IntRange(1, 120), default=1, show_default=True, help="Month ends to compute, back from --period-end.")
@click.option("--bases", default=None, help="Comma-separated bases [default: month,rolling12,ytd,year,quarter].")
@click.option("--breakdowns", default="la,team,worker", show_default=True, help="Comma-separated breakdowns.")
@click.option("--ids", default=None, help="Comma-separated indicator ids [default: all].")
@click.option("--out", type=click.Path(path_type=Path, dir_okay=False), default=None, help="Write results to FILE.csv or FILE.parquet.")
@click.option("--no-store", is_flag=True, help="Do not store the results in the warehouse.")
@click.option("--engine", type=click.Choice(["duckdb", "spark"]), default="duckdb", show_default=True, help="spark needs --source.")
@click.option("--source", type=click.Path(path_type=Path, file_okay=False), default=None, help="A pool folder (cscperf pool export).")
@click.option("--spark-master", default=None, help="Spark master URL [default: local mode].")
@warehouse_option
def compute(
    period_end: dt.datetime,
    months: int,
    bases: str | None,
    breakdowns: str,
    ids: str | None,
    out: Path | None,
    no_store: bool,
    engine: str,
    source: Path | None,
    spark_master: str | None,
    warehouse: Path,
) -> None:
    """Compute the indicator catalogue for a run of month ends (from the warehouse, or a pool with --source)."""
    from cscperf.indicators import REGISTRY, month_ends, store_results
    from cscperf.indicators import compute as run
    from cscperf.indicators.registry import BASES

    end = _period_end(period_end)
    _check_out(out)
    chosen_bases = _csv_list(bases, BASES, "basis") or BASES
    chosen_ids = _csv_list(ids, tuple(REGISTRY), "indicator id")
    chosen_breakdowns = _csv_list(breakdowns, None, "breakdown") or ("la",)
    if source is None and (engine != "duckdb" or spark_master):
        raise UserError("--engine spark and --spark-master compute from a pool: give its folder with --source")
    if source is not None and not no_store and click.get_current_context().get_parameter_source("warehouse") is ParameterSource.DEFAULT:
        raise UserError("--source: say where pooled results go with --warehouse (not an authority's own), or use --no-store")
    if source is not None:
        from cscperf.pool.compute import compute_pool
        from cscperf.warehouse import connect

        frame = compute_pool(source, engine, month_ends(end, months), chosen_bases, chosen_breakdowns, chosen_ids, spark_master)
        if not no_store:  # pooled results go to a (new or existing) warehouse, for judging
            con = connect(warehouse)
            try:
                store_results(con, frame)
            finally:
                con.close()
    else:
        con = _open(warehouse, read_only=no_store)
        try:
            frame = run(con, month_ends(end, months), bases=chosen_bases, breakdowns=chosen_breakdowns, ids=chosen_ids)
            if not no_store:
                store_results(con, frame)
        finally:
            con.close()
    if out is not None:
        _write(frame, out)
    figures = len(frame)
    where = f" to {out}" if out else ""
    stored = "" if no_store else f" and stored them in {warehouse}"
    click.echo(f"computed {figures} figures for {frame.indicator_id.nunique()} indicators{where}{stored}")


@click.command("indicators")
@click.option("--area", default=None, help="Only this area (A-H).")
@click.option("--format", "fmt", type=click.Choice(["table", "csv"]), default="table", show_default=True)
def indicators(area: str | None, fmt: str) -> None:
    """List the indicator registry."""
    from cscperf.indicators import REGISTRY

    rows = [
        {
            "id": i.id,
            "area": i.area,
            "name": i.name,
            "unit": i.unit,
            "polarity": i.polarity,
            "target": i.target if i.target is not None else (f"{i.target_band[0]}-{i.target_band[1]}" if i.target_band else ""),
            "bases": ",".join(i.bases),
            "exceptions": "yes" if i.practice else "",
        }
        for i in REGISTRY.values()
        if area is None or i.area == area.upper()
    ]
    frame = pd.DataFrame(rows)
    if fmt == "csv":
        click.echo(frame.to_csv(index=False), nl=False)
    else:
        click.echo(frame.to_string(index=False))


@click.command("exceptions")
@click.option("--indicator", required=True, help="A practice (⚑) indicator id.")
@click.option("--period-end", type=click.DateTime(["%Y-%m-%d"]), required=True)
@click.option("--out", type=click.Path(path_type=Path, dir_okay=False), required=True, help="FILE.csv")
@warehouse_option
def export_exceptions(indicator: str, period_end: dt.datetime, out: Path, warehouse: Path) -> None:
    """Write the child-level rows behind a practice indicator (child ids: handle as personal data).

    The export is recorded in the audit log (`cscperf audit`) before the file is written.
    """
    from cscperf.indicators import exceptions
    from cscperf.web.store import audit_cli_export

    _check_out(out)
    con = _open(warehouse, read_only=True)
    try:
        frame = exceptions(con, indicator, _period_end(period_end))
    finally:
        con.close()
    command = f"export exceptions --indicator {indicator} --period-end {period_end:%Y-%m-%d}"
    audit_cli_export(warehouse, command, out, frame.person_id.dropna())
    _write(frame, out)
    click.echo(f"wrote {len(frame)} rows to {out}")
