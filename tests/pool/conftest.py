"""Two synthetic authorities (different LA codes and seeds), their own results, and a pool of both."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from pathlib import Path

import pandas as pd
import pytest

from cscperf.indicators import compute, month_ends
from cscperf.pool import layout
from cscperf.pool.compute import figure_differences
from cscperf.pool.export import export_warehouse
from cscperf.pool.pseudonym import Pseudonymiser
from cscperf.synth import generator
from cscperf.synth.profiles import PROFILES, Profile
from cscperf.warehouse import connect

END = dt.date(2026, 3, 31)
ENDS = month_ends(END, 2)
BREAKDOWNS = ("la", "team", "worker")
KEY_A = b"a" * 16 + b"pool key one, for tests only"
KEY_B = b"b" * 16 + b"pool key two, for tests only"
AUTHORITIES = {"999": 3, "998": 4}  # LA code: seed


@pytest.fixture(scope="session")
def warehouses(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Two tiny authorities, each in its own warehouse."""
    root = tmp_path_factory.mktemp("pool-authorities")
    tiny = PROFILES["tiny"].authorities[0]
    other = replace(tiny, la_code="998", name="Othertown (synthetic)", referral_rate=560.0)
    paths = {}
    with pytest.MonkeyPatch.context() as mp:
        mp.setitem(generator.PROFILES, "tiny_998", Profile("tiny_998", "a second tiny authority", (other,)))
        for la, seed in AUTHORITIES.items():
            paths[la] = root / f"{la}.duckdb"
            profile = "tiny" if la == "999" else "tiny_998"
            generator.build_warehouse(paths[la], profile=profile, years=2, seed=seed, end_date=END, progress=False)
    return paths


def make_pool(warehouses: dict[str, Path], key: bytes, root: Path) -> Path:
    for path in warehouses.values():
        export_warehouse(path, key, root)
    return root


@pytest.fixture(scope="session")
def pool_a(warehouses: dict[str, Path], tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_pool(warehouses, KEY_A, tmp_path_factory.mktemp("pool-a"))


@pytest.fixture(scope="session")
def own_results(warehouses: dict[str, Path]) -> dict[str, pd.DataFrame]:
    """Each authority's catalogue computed on its own warehouse."""
    out = {}
    for la, path in warehouses.items():
        con = connect(path, read_only=True)
        try:
            out[la] = compute(con, ENDS, breakdowns=BREAKDOWNS, ids=layout.pooled_ids())
        finally:
            con.close()
    return out


def as_pooled(own: dict[str, pd.DataFrame], key: bytes) -> pd.DataFrame:
    """Own results with team and worker values as the pool names them. 'unallocated' is one value across the pool,
    so those rows are left out of comparisons with own results."""
    frames = []
    for la, frame in own.items():
        frame = frame[frame.breakdown_value != "unallocated"].copy()
        pseudo = Pseudonymiser(key, la)
        for kind in ("team", "worker"):
            rows = frame.breakdown == kind
            frame.loc[rows, "breakdown_value"] = [pseudo.value(kind, v) for v in frame.breakdown_value[rows]]
        frames.append(frame)
    return pd.concat(frames, ignore_index=True)


def assert_same_figures(expected: pd.DataFrame, actual: pd.DataFrame, unallocated: bool = False) -> None:
    """The same rows (by key) with the same numerator, denominator and value (with `unallocated`, the rows of
    children with no team or worker too: one value across the pool, so only comparable between pooled results)."""
    if not unallocated:
        expected = expected[expected.breakdown_value != "unallocated"]
        actual = actual[actual.breakdown_value != "unallocated"]
    differ = figure_differences(expected, actual)
    assert differ.empty, differ.head(10).to_string()
    assert len(expected) > 500
