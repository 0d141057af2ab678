"""The `cscperf` command line. Each stage contributes its commands from its own `cli` module."""

from __future__ import annotations

import sys

import click

from cscperf import __version__
from cscperf.errors import UserError


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="cscperf")
def main() -> None:
    """cscperf: children's social care performance information.

    Ingest case-recording data, store it in a canonical warehouse, compute the indicator
    catalogue, judge it against targets and benchmarks, and deliver it as a dashboard,
    a scrutiny report and exports.
    """


def _register_commands() -> None:
    # Imported here so each stage owns its commands and the group stays small.
    from cscperf.demo import demo
    from cscperf.indicators.cli import compute, export_exceptions, indicators
    from cscperf.ingest.cli import load, loads, validate
    from cscperf.ingest.export_cli import export
    from cscperf.judge.cli import judge
    from cscperf.pool.cli import pool
    from cscperf.report.cli import report, targets
    from cscperf.returns.cli import returns
    from cscperf.synth.cli import synth
    from cscperf.web.cli import audit, serve, users

    for command in (demo, synth, load, loads, validate, export, judge, report, targets):
        main.add_command(command)
    for command in (serve, users, audit, returns):
        main.add_command(command)
    for command in (compute, indicators, pool):
        main.add_command(command)
    export.add_command(export_exceptions)


_register_commands()


def run() -> None:
    """Entry point: user errors become one clear line and a non-zero exit.

    Every file the command creates (warehouse, its write-ahead log, exports, reports) is private
    to the user running it: the commands handle child-level data.
    """
    from cscperf.files import private_umask

    private_umask()
    try:
        main(standalone_mode=False)
    except UserError as exc:
        click.secho(f"error: {exc}", fg="red", err=True)
        sys.exit(exc.exit_code)
    except click.exceptions.Abort:
        click.echo("aborted", err=True)
        sys.exit(130)
    except click.ClickException as exc:
        exc.show()
        sys.exit(exc.exit_code)
    except click.exceptions.Exit as exc:
        sys.exit(exc.exit_code)
