"""`cscperf pool`: make a pool key, add an authority's warehouse to the pool."""

from __future__ import annotations

import datetime as dt
import secrets
from pathlib import Path

import click

from cscperf.errors import UserError
from cscperf.warehouse.options import warehouse_option


@click.group()
def pool() -> None:
    """A pseudonymised pool of several authorities' data (see docs/pool.md)."""


@pool.command("keygen")
@click.option("--out", type=click.Path(path_type=Path, dir_okay=False), required=True, help="Key file to create (mode 0600).")
def keygen(out: Path) -> None:
    """Make a new pool key (256 random bits). Its custodian gives it to each authority in the pool, never with the data."""
    from cscperf.files import open_private

    if out.exists():
        raise UserError(f"{out}: exists; a pool keeps its key (a new key changes every pseudonym)")
    with open_private(out) as fh:
        fh.write(secrets.token_hex(32) + "\n")
    click.echo(f"wrote a new pool key to {out}")


@pool.command("export")
@click.option("--key-file", type=click.Path(path_type=Path, dir_okay=False), required=True, help="The pool's key.")
@click.option("--out", type=click.Path(path_type=Path, file_okay=False), required=True, help="The pool folder.")
@warehouse_option()
def export(key_file: Path, out: Path, warehouse: Path) -> None:
    """Add the warehouse's authority (or each of its authorities) to the pool, replacing an earlier export: ids
    pseudonymised, free text dropped."""
    from cscperf.pool.export import export_warehouse
    from cscperf.pool.pseudonym import read_key

    for done in export_warehouse(warehouse, read_key(key_file), out):
        verb = "replaced" if done.replaced else "added"
        click.echo(f"{verb} authority {done.la_code} in {out}: {sum(done.rows.values()):,} rows in {len(done.rows)} tables")


@pool.command("benchmarks")
@click.option("--source", type=click.Path(path_type=Path, file_okay=False), required=True, help="The pool folder (for regions).")
@click.option(
    "--results",
    type=click.Path(path_type=Path, dir_okay=False, exists=True),
    required=True,
    help="Pooled results (compute --source POOL --out FILE.parquet|.csv).",
)
@click.option("--period-end", type=click.DateTime(["%Y-%m-%d"]), required=True, help="The month end to benchmark.")
@click.option("--out", type=click.Path(path_type=Path, dir_okay=False), required=True, help="Benchmark table (CSV).")
def benchmarks(source: Path, results: Path, period_end: dt.datetime, out: Path) -> None:
    """England and regional pooled figures, means, medians and quartiles, per indicator and basis (for judge)."""
    import pandas as pd

    from cscperf.files import write_csv
    from cscperf.pool.benchmarks import pool_regions, pooled_benchmarks

    if results.suffix not in (".parquet", ".csv"):
        raise UserError(f"--results {results}: use the .parquet or .csv file compute wrote")
    frame = pd.read_parquet(results) if results.suffix == ".parquet" else pd.read_csv(results, dtype={"breakdown_value": str})
    table = pooled_benchmarks(frame, pool_regions(source), period_end.date())
    write_csv(table, out)
    click.echo(f"wrote pooled benchmarks for {table.indicator_id.nunique()} indicators, {table.code.nunique()} areas to {out}")
