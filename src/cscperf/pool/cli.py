"""`cscperf pool`: make a pool key, add an authority's warehouse to the pool."""

from __future__ import annotations

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
    """Add this authority's warehouse to the pool (replacing its earlier export): ids pseudonymised, free text dropped."""
    from cscperf.pool.export import export_warehouse
    from cscperf.pool.pseudonym import read_key

    done = export_warehouse(warehouse, read_key(key_file), out)
    verb = "replaced" if done.replaced else "added"
    click.echo(f"{verb} authority {done.la_code} in {out}: {sum(done.rows.values()):,} rows in {len(done.rows)} tables")
