"""The `--warehouse` option every command shares (default ./cscperf.duckdb, or CSCPERF_WAREHOUSE)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from cscperf.warehouse.store import DEFAULT_WAREHOUSE


def warehouse_option(help_text: str = "DuckDB warehouse file.") -> Callable[[Any], Any]:
    return click.option(
        "--warehouse",
        type=click.Path(path_type=Path, dir_okay=False),
        default=DEFAULT_WAREHOUSE,
        envvar="CSCPERF_WAREHOUSE",
        show_default=True,
        help=help_text,
    )
