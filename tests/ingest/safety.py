"""Helpers for the hardening tests: the real CLI entry point in-process, and a child renamed across tables."""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass

import duckdb

from cscperf.cli import run
from cscperf.warehouse import TABLES


@dataclass
class Result:
    code: int
    out: str
    err: str


def run_cli(capsys, monkeypatch, *args: str) -> Result:
    """`cscperf ARGS` through `cscperf.cli:run` (the installed entry point), with its exit code and output.

    `run` narrows the process umask; it is put back so other tests see the usual one.
    """
    monkeypatch.setattr(sys, "argv", ["cscperf", *map(str, args)])
    umask = os.umask(0o022)
    os.umask(umask)
    capsys.readouterr()
    try:
        run()
        code = 0
    except SystemExit as exc:
        code = int(exc.code or 0)
    finally:
        os.umask(umask)
    captured = capsys.readouterr()
    return Result(code, captured.out, captured.err)


def rename_child(con: duckdb.DuckDBPyConnection, old: str, new: str) -> None:
    """Give a child a new id in every table that holds it (how a hostile id would arrive from a source)."""
    for table in TABLES:
        for col in table.column_names:
            if col.endswith("person_id"):
                con.execute(f'UPDATE "{table.name}" SET "{col}" = ? WHERE "{col}" = ?', [new, old])
