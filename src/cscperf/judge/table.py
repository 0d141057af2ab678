"""The judged table: one row per indicator at authority level, on its RAG basis, for one audience.

Every place that shows a judgement reads it from here or from the `Figure`s it is made of: the
dashboard's tiles and indicator pages, the report and its workbook, `cscperf judge` and
`GET /api/v1/figures`. For members the table is suppressed: a suppressed figure has no value,
numerator, denominator, RAG, direction or band (all empty), and `suppressed` is true. The `spc_*` columns
judge the month series (`Figure.spc`); for members, suppressed months are gaps in it.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import duckdb
import pandas as pd

from cscperf.errors import UserError
from cscperf.judge.assess import Figure, judge_rows, la_rows, months_back
from cscperf.judge.benchmarks import Benchmarks
from cscperf.judge.breaks import spc_breaks
from cscperf.judge.targets import Target, TargetBook
from cscperf.warehouse import results as stored

AUDIENCES = ("members", "management")
MONTHS = 24  # the figures read for one period end: its trend, and the month and year before it
# The judged table's columns, in order. Later columns (e.g. statistical process control) go at the end.
COLUMNS = [
    "indicator_id",
    "basis",
    "period_end",
    "value",
    "numerator",
    "denominator",
    "unit",
    "target",
    "rag",
    "direction_month",
    "direction_year",
    "england",
    "region",
    "sn_mean",
    "band",
    "suppressed",
    "spc_mean",
    "spc_lower",
    "spc_upper",
    "spc_variation",
    "spc_assurance",
]


def audience_of(role: str) -> str:
    """Members see the suppressed version; every other dashboard role (and an API token) management's."""
    return "members" if role == "member" else "management"


def target_cell(target: Target) -> float | str | None:
    """The target as a number, a band as the text 'low–high', or none."""
    if target.band is not None:
        return f"{target.band[0]:g}–{target.band[1]:g}"
    return target.target


def row(fig: Figure) -> dict[str, Any]:
    """One figure as a row of the judged table."""
    b = fig.benchmark
    return {
        "indicator_id": fig.id,
        "basis": fig.basis,
        "period_end": fig.period_end,
        "value": fig.value,
        "numerator": fig.numerator,
        "denominator": fig.denominator,
        "unit": fig.indicator.unit,
        "target": target_cell(fig.target),
        "rag": fig.rag,
        "direction_month": fig.vs_previous,
        "direction_year": fig.vs_last_year,
        "england": b.england.value if b.available else None,
        "region": b.region.value if b.available else None,
        "sn_mean": b.sn_mean if b.available else None,
        "band": fig.quartile,
        "suppressed": fig.suppressed,
        **spc_cells(fig),
    }


def spc_cells(fig: Figure) -> dict[str, Any]:
    """Statistical process control on the month series (cscperf.judge.spc): all null when too few months."""
    s = fig.spc
    return {
        "spc_mean": s.mean if s else None,
        "spc_lower": s.lower if s else None,
        "spc_upper": s.upper if s else None,
        "spc_variation": s.variation if s else None,
        "spc_assurance": s.assurance if s else None,
    }


def table(figures: list[Figure]) -> pd.DataFrame:
    return pd.DataFrame([row(f) for f in figures], columns=COLUMNS)


def json_rows(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """The table as JSON-ready records: dates as YYYY-MM-DD, missing values as null."""
    out = []
    for rec in frame.to_dict("records"):
        out.append({k: _json_value(v) for k, v in rec.items()})
    return out


def _json_value(v: Any) -> Any:
    if isinstance(v, dt.date):
        return v.isoformat()
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return None
    return v.item() if hasattr(v, "item") else v


@dataclass
class Judged:
    """Judged figures read from the warehouse for one period end and audience, with the rows they came from."""

    period_end: dt.date
    la_code: str
    audience: str
    book: TargetBook
    figures: list[Figure]
    rows: pd.DataFrame  # the authority's displayed rows for the audience (every basis), for other bases' series

    def figure(self, indicator_id: str) -> Figure | None:
        return next((f for f in self.figures if f.id == indicator_id), None)

    def rows_of(self, indicator_id: str) -> pd.DataFrame:
        return self.rows[self.rows["indicator_id"] == indicator_id]

    def table(self) -> pd.DataFrame:
        return table(self.figures)


def read(
    con: duckdb.DuckDBPyConnection,
    period_end: dt.date,
    audience: str,
    book: TargetBook,
    la_code: str | None = None,
    registry: Mapping[str, Any] | None = None,
) -> Judged:
    """Judge the stored figures at `period_end` (never computes: `cscperf compute` or the dashboard does)."""
    if audience not in AUDIENCES:
        raise UserError(f"--audience {audience}: expected one of {', '.join(AUDIENCES)}")
    code = la_code or stored.la_code(con)
    results = stored.read(con, since=months_back(period_end, MONTHS - 1), breakdown_value=code)
    results = results[results["period_end"] <= period_end]
    if code is None or not (results["period_end"] == period_end).any():
        raise UserError(
            f"--period-end {period_end}: no figures stored for that month end (run 'cscperf compute --period-end {period_end}')"
        )
    rows = la_rows(results, code, suppressed=audience == "members")
    registry = registry if registry is not None else book.registry
    figures = judge_rows(rows, period_end, code, book, Benchmarks.default(), registry, spc_breaks(con, registry))
    return Judged(period_end, code, audience, book, figures, rows)
