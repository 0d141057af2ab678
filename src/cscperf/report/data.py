"""What the report reads from the warehouse: the authority, stored results (computed when missing)."""

from __future__ import annotations

import datetime as dt

import duckdb
import pandas as pd

from cscperf.errors import UserError
from cscperf.judge.assess import months_back
from cscperf.judge.benchmarks import Benchmarks
from cscperf.warehouse import results

MONTHS = 24


def _has_table(con: duckdb.DuckDBPyConnection, name: str) -> bool:
    return bool(con.execute("SELECT count(*) FROM information_schema.tables WHERE table_name = ?", [name]).fetchone()[0])


def authority(con: duckdb.DuckDBPyConnection, la_code: str | None = None) -> tuple[str, str]:
    """The LA code and name the report is for: `la_code` if given, else the warehouse's (only or first) authority."""
    codes: list[tuple[str, str | None]] = []
    if _has_table(con, "ext_authority"):
        codes = [(str(c), n) for c, n in con.execute("SELECT auth_la_code, auth_la_name FROM ext_authority ORDER BY 1").fetchall()]
    if not codes:
        rows = con.execute(
            "SELECT pers_ext_la_code, count(*) FROM ssd_person WHERE pers_ext_la_code IS NOT NULL GROUP BY 1 ORDER BY 2 DESC"
        ).fetchall()
        codes = [(str(c), None) for c, _ in rows]
    if la_code is not None:
        known = dict(codes)
        if codes and la_code not in known:
            raise UserError(f"--la-code {la_code}: not in the warehouse (it holds {', '.join(sorted(known))})")
        return la_code, known.get(la_code) or Benchmarks.default().la_name(la_code)
    if not codes:
        raise UserError("the warehouse holds no authority (ext_authority and ssd_person are empty): load data first")
    code, name = codes[0]
    return code, name or Benchmarks.default().la_name(code)


def report_months(period_end: dt.date, months: int = MONTHS) -> list[dt.date]:
    return [months_back(period_end, n) for n in range(months - 1, -1, -1)]


def ensure_results(con: duckdb.DuckDBPyConnection, period_end: dt.date, months: int = MONTHS, ids: list[str] | None = None) -> pd.DataFrame:
    """Whole-authority results for the report's months, computing and storing any month not yet computed.

    Only the `la` breakdown is computed here (all the report shows); `cscperf compute` fills the rest. With `ids`, only
    those indicators are checked and computed (a pack of one area).
    """
    from cscperf.indicators import REGISTRY, compute, store_results

    ends = report_months(period_end, months)
    have = results.read(con, period_ends=ends)
    mine = have if ids is None else have[have["indicator_id"].isin(ids)]
    done = set(mine["period_end"])
    missing = [d for d in ends if d not in done or not _complete(mine, d, len(ids if ids is not None else REGISTRY))]
    if missing:
        store_results(con, compute(con, missing, breakdowns=("la",), ids=ids))
        have = results.read(con, period_ends=ends)
    return have


def _complete(have: pd.DataFrame, end: dt.date, n_ids: int) -> bool:
    """A month counts as computed when results hold most indicator ids for it (some legitimately have none)."""
    ids = have.loc[have["period_end"] == end, "indicator_id"].nunique()
    return ids >= n_ids // 2
