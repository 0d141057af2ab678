"""One small hand-built warehouse for every report test: an authority, a few people, and 24 months of stored results."""

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from cscperf.indicators.registry import REGISTRY
from cscperf.judge.assess import months_back
from cscperf.warehouse import connect, results
from cscperf.warehouse.schema import RESULT_COLUMNS

PERIOD_END = dt.date(2026, 1, 31)
LA = "874"
PERSON_IDS = [f"PX{n:05d}" for n in (101, 202, 303)]


def hand_results(seed: int = 7, la: str = LA, period_end: dt.date = PERIOD_END) -> pd.DataFrame:
    """Deterministic figures in the contract's shape; every fifth count is small (1-5) to exercise suppression."""
    rng = np.random.default_rng(seed)
    rows = []
    for k, ind in enumerate(REGISTRY.values()):
        for m in range(24):
            end = months_back(period_end, 23 - m)
            for basis in ind.bases:
                small = (k + m) % 5 == 0
                if ind.unit == "count":
                    num, den = float(rng.integers(1, 6) if small else rng.integers(6, 400)), None
                    value = num
                elif ind.unit == "percent":
                    den = float(rng.integers(1, 6) if small and k % 2 else rng.integers(20, 300))
                    num = float(rng.integers(0, den + 1))
                    value = 100 * num / den
                elif ind.unit == "rate_per_10k":
                    num, den = float(rng.integers(50, 1500)), 41000.0
                    value = num / den * 10000
                else:
                    num, den = float(rng.integers(500, 9000)), float(rng.integers(20, 60))
                    value = num / den
                rows.append((ind.id, basis, end.replace(day=1), end, "la", la, num, den, value, ind.unit))
    return pd.DataFrame(rows, columns=RESULT_COLUMNS)


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory):
    path = tmp_path_factory.mktemp("wh") / "report.duckdb"
    con = connect(path)
    con.execute(
        "INSERT INTO ext_authority (auth_la_code, auth_la_name, auth_region_code, auth_region_name) VALUES (?, ?, ?, ?)",
        [LA, "Peterborough", "E12000006", "East of England"],
    )
    for pid in PERSON_IDS:
        con.execute("INSERT INTO ssd_person (pers_person_id, pers_ext_la_code) VALUES (?, ?)", [pid, LA])
    results.store(con, hand_results())
    yield con
    con.close()
