"""Shared fixtures for the ingest tests: a fresh warehouse and snapshots of its canonical tables."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from cscperf.warehouse import TABLES, connect

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"


@pytest.fixture
def con(tmp_path):
    connection = connect(tmp_path / "w.duckdb")
    yield connection
    connection.close()


def table_rows(con, table: str, provenance: bool = False) -> list[tuple]:
    """Every row of a table, sorted, optionally without the provenance columns."""
    cols = [c.name for c in next(t for t in TABLES if t.name == table).columns]
    if provenance:
        cols += ["_load_id", "_source"]
    quoted = ", ".join(f'"{c}"' for c in cols)
    return sorted(con.execute(f'SELECT {quoted} FROM "{table}"').fetchall(), key=repr)


def snapshot(con, provenance: bool = True) -> dict[str, str]:
    """A hash of each canonical table's contents (and the quarantine), for exact before/after comparisons."""
    out = {t.name: hashlib.sha256(repr(table_rows(con, t.name, provenance)).encode()).hexdigest() for t in TABLES}
    quarantine = sorted(con.execute("SELECT * FROM cscperf_quarantine").fetchall(), key=repr)
    out["cscperf_quarantine"] = hashlib.sha256(repr(quarantine).encode()).hexdigest()
    return out
