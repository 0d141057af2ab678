"""`cscperf synth`: fill a warehouse with a synthetic local authority."""

from __future__ import annotations

import datetime as dt
import os
from functools import partial
from pathlib import Path

import click

from cscperf.errors import UserError
from cscperf.warehouse.options import warehouse_option

FAULTS_HELP = "Share of records given faults of kinds DfE's rules catch (each recorded in ext_synth_faults)."


def _default_end_date() -> dt.date:
    """The last 31 March on or before today: synthetic years run to a collection year end."""
    today = dt.date.today()
    year = today.year if (today.month, today.day) >= (3, 31) else today.year - 1
    return dt.date(year, 3, 31)


@click.command()
@click.option("--profile", default="peterborough", show_default=True, help="peterborough (default), large, england, tiny or rutland.")
@click.option("--region", default=None, help="Only the profile's authorities in this region (ONS code or name, e.g. 'North East').")
@click.option("--years", default=5, show_default=True, type=click.IntRange(1, 20), help="Years of history.")
@click.option("--seed", default=1, show_default=True, type=int, help="Random seed (same seed, same warehouse).")
@click.option("--end-date", type=click.DateTime(["%Y-%m-%d"]), default=None, help="Last day of data [default: last 31 March].")
@click.option("--faults", default=0.0, show_default=True, type=click.FloatRange(0, 0.5), help=FAULTS_HELP)
@warehouse_option("DuckDB warehouse file (replaced).")
@click.option("--pool", type=click.Path(path_type=Path, file_okay=False), default=None, help="Write to this pool instead of a warehouse.")
@click.option("--key-file", type=click.Path(path_type=Path, dir_okay=False), default=None, help="The pool's key (with --pool).")
@click.option(
    "--jobs",
    type=click.IntRange(1, None),
    default=os.cpu_count() or 1,
    show_default="the number of CPUs",
    help="With --pool: chunks of authorities generated at once, each in its own process (same pool whatever the number).",
)
def synth(
    profile: str,
    region: str | None,
    years: int,
    seed: int,
    end_date: dt.datetime | None,
    faults: float,
    warehouse: Path,
    pool: Path | None,
    key_file: Path | None,
    jobs: int,
) -> None:
    """Build a synthetic local authority: journeys from contact to care leaver (or, with --pool, a pool of them)."""
    from cscperf.synth.generator import build_chunks, build_warehouse, chosen_profile

    chosen_profile(profile, years, faults, region)  # every argument checked before a pool folder is made
    end = end_date.date() if end_date else _default_end_date()
    if (pool is None) != (key_file is None):
        raise UserError("--pool and --key-file go together")
    if pool is not None and key_file is not None:
        from cscperf.pool.export import open_pool, record_exports, write_partitions
        from cscperf.pool.pseudonym import read_key

        key = read_key(key_file)
        root = open_pool(pool, key)
        # Workers write their own authorities' partitions; only this process writes the manifest.
        summary = build_chunks(
            profile=profile,
            years=years,
            seed=seed,
            end_date=end,
            faults=faults,
            jobs=jobs,
            region=region,
            with_permanency=False,  # the permanency service's own tables stay out of the pool (pool.layout.POOLED)
            chunk_done=partial(write_partitions, key=key, root=root),
            collect=partial(record_exports, root, key),
        )
    else:
        summary = build_warehouse(warehouse, profile=profile, years=years, seed=seed, end_date=end, faults=faults, region=region)
    click.echo(summary.describe())
