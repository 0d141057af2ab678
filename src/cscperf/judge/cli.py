"""`cscperf judge`: the judged table (one row per indicator) as CSV, for Excel and Power BI."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import click

from cscperf.errors import UserError
from cscperf.warehouse.options import warehouse_option

targets_option = click.option(
    "--targets", "targets_file", type=click.Path(path_type=Path, dir_okay=False), help="Targets file (default: config/targets.yaml)."
)


def parse_date(value: str, option: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise UserError(f"{option} {value!r}: expected a date YYYY-MM-DD") from None


@click.command("judge")
@warehouse_option()
@click.option("--period-end", required=True, help="Month end to judge (YYYY-MM-DD); its figures must be computed.")
@click.option(
    "--audience",
    type=click.Choice(["members", "management"]),
    default="management",
    show_default=True,
    help="members: suppressed (small numbers and what is built on them left empty).",
)
@targets_option
@click.option("--la-code", help="Authority (default: the one the stored figures are for).")
@click.option("--out", "out_file", type=click.Path(path_type=Path, dir_okay=False), required=True, help="CSV file to write.")
@click.option(
    "--benchmarks",
    "bench_mode",
    type=click.Choice(["published", "pooled", "both"]),
    default="published",
    show_default=True,
    help="Published benchmarks, pooled ones (needs --pooled-benchmarks) in their place, or both (pool_* columns).",
)
@click.option(
    "--pooled-benchmarks",
    type=click.Path(path_type=Path, dir_okay=False, exists=True),
    default=None,
    help="A pooled benchmark table (cscperf pool benchmarks).",
)
def judge(
    warehouse: Path,
    period_end: str,
    audience: str,
    targets_file: Path | None,
    la_code: str | None,
    out_file: Path,
    bench_mode: str,
    pooled_benchmarks: Path | None,
) -> None:
    """Write the judged table: value, target, RAG, direction of travel, benchmarks and suppression per indicator.

    The same rows as the dashboard, the report and GET /api/v1/figures (see docs/judge.md).
    """
    import duckdb

    from cscperf.judge import table
    from cscperf.judge.targets import load_targets

    end = parse_date(period_end, "--period-end")
    if (bench_mode == "published") != (pooled_benchmarks is None):
        raise UserError("--benchmarks pooled or both goes with --pooled-benchmarks FILE (and only they do)")
    book = load_targets(targets_file)
    if not warehouse.exists():
        raise UserError(f"{warehouse}: no warehouse here (run 'cscperf demo' or 'cscperf load' first)")
    try:
        con = duckdb.connect(str(warehouse), read_only=True)
    except duckdb.IOException as exc:
        raise UserError(f"{warehouse}: cannot open the warehouse ({exc})") from None
    try:
        judged = table.read(con, end, audience, book, la_code)
    finally:
        con.close()
    frame = judged.table()
    if pooled_benchmarks is not None:
        from cscperf.pool.benchmarks import PooledBenchmarks, with_pooled

        frame = with_pooled(frame, judged.figures, judged.la_code, PooledBenchmarks.read(pooled_benchmarks), bench_mode)
    frame.to_csv(out_file, index=False)
    click.echo(f"{len(frame)} indicators judged at {end} ({audience}) in {out_file}")
