"""Small synthetic warehouses shared by the synth tests (built once per session)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import duckdb
import pytest

from cscperf.synth.generator import build_warehouse

END = dt.date(2025, 3, 31)


def build(path: Path, seed: int = 3, faults: float = 0.0, profile: str = "tiny", years: int = 2) -> Path:
    build_warehouse(path, profile=profile, years=years, seed=seed, end_date=END, faults=faults, progress=False)
    return path


@pytest.fixture(scope="session")
def tiny_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build(tmp_path_factory.mktemp("synth") / "tiny.duckdb")


@pytest.fixture()
def tiny(tiny_path: Path):
    con = duckdb.connect(str(tiny_path), read_only=True)
    yield con
    con.close()
