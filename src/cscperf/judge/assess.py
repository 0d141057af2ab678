"""Judge every indicator at one period end: value, target, RAG, direction of travel, benchmarks.

Input is a results frame in the contract's shape (whole-authority `la` rows are enough). The same
judgements feed the report, its Excel workbook and the dashboard.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from cscperf.judge.benchmarks import Benchmark, Benchmarks
from cscperf.judge.rag import direction, rag
from cscperf.judge.spc import MAX_POINTS, Point, Spc, spc
from cscperf.judge.suppression import SUPPRESSED, display
from cscperf.judge.targets import Target, TargetBook


def month_end(d: dt.date) -> dt.date:
    nxt = dt.date(d.year + (d.month == 12), d.month % 12 + 1, 1)
    return nxt - dt.timedelta(days=1)


def months_back(period_end: dt.date, n: int) -> dt.date:
    """The month end n months before a month end."""
    y, m = divmod(period_end.year * 12 + period_end.month - 1 - n, 12)
    return month_end(dt.date(y, m + 1, 1))


@dataclass
class Figure:
    """One indicator judged at one period end (for one audience: suppressed or not)."""

    indicator: Any  # registry Indicator
    period_end: dt.date
    basis: str
    value: float | None
    display: str
    suppressed: bool
    numerator: float | None
    denominator: float | None
    target: Target
    rag: str | None
    previous: float | None
    previous_display: str
    previous_end: dt.date
    last_year: float | None
    last_year_display: str
    last_year_end: dt.date
    vs_previous: str | None
    vs_last_year: str | None
    benchmark: Benchmark
    quartile: str | None  # band our figure would take among the latest published LA values
    series: pd.DataFrame = field(repr=False)  # period_end, basis, value, display, suppressed, rag, target, band_lo, band_hi
    spc: Spc | None = None  # statistical process control on the month-basis series (None: too few months)

    @property
    def id(self) -> str:
        return self.indicator.id


def _la_rows(results: pd.DataFrame, la_code: str | None) -> pd.DataFrame:
    rows = results[results["breakdown"] == "la"]
    if la_code is not None:
        rows = rows[rows["breakdown_value"].astype(str) == str(la_code)]
    rows = rows.copy()
    rows["period_end"] = pd.to_datetime(rows["period_end"]).dt.date
    return rows


def _index(rows: pd.DataFrame) -> dict[tuple[str, dt.date], dict]:
    """Rows by (basis, period_end), as plain dicts: far cheaper than repeated boolean masks."""
    return {(r["basis"], r["period_end"]): r for r in rows.to_dict("records")}


def _num(x: object) -> float | None:
    return None if x is None or pd.isna(x) else float(x)


SERIES_COLUMNS = [
    "period_end",
    "basis",
    "value",
    "value_display",
    "numerator_display",
    "denominator_display",
    "suppressed",
    "rag",
    "target",
    "band_lo",
    "band_hi",
]


def rag_at(ind: Any, book: TargetBook, basis: str, on: dt.date, value: float | None) -> str | None:
    """RAG of one figure (any breakdown): against the target in force at `on`, and only on the basis that target judges."""
    return _rag_on(ind, book.at(ind.id, on), basis, value)


def _rag_on(ind: Any, target: Target, basis: str, value: float | None) -> str | None:
    return rag(value, target, ind.polarity, ind.unit) if basis == target.basis else None


def series(rows: pd.DataFrame, ind: Any, book: TargetBook, bases: list[str]) -> pd.DataFrame:
    """An indicator's displayed `la` rows on some bases, by period, with the target in force and RAG on the judged basis.

    Suppressed figures keep no value (a member's chart or table can never show one).
    """
    rows = rows[rows["basis"].isin(bases)].sort_values(["basis", "period_end"])
    if rows.empty:
        return pd.DataFrame(columns=SERIES_COLUMNS)
    cols = {c: rows[c].tolist() for c in ("period_end", "basis", "value_display", "numerator_display", "denominator_display")}
    hidden = [bool(h) for h in rows["suppressed"]]
    values = [None if h else _num(v) for v, h in zip(rows["value"].tolist(), hidden, strict=True)]
    targets = [book.at(ind.id, d) for d in cols["period_end"]]
    return pd.DataFrame(
        {
            **cols,
            "value": values,
            "suppressed": hidden,
            "rag": [_rag_on(ind, t, b, v) for t, b, v in zip(targets, cols["basis"], values, strict=True)],
            "target": [t.target for t in targets],
            "band_lo": [t.band[0] if t.band else None for t in targets],
            "band_hi": [t.band[1] if t.band else None for t in targets],
        },
        columns=SERIES_COLUMNS,
    )


def shown_count(row: dict | None, column: str) -> float | None:
    """A numerator or denominator as the audience may see it: none when it, or the figure built on it, is suppressed."""
    if row is None or row["suppressed"] or row[f"{column}_display"] == SUPPRESSED:
        return None
    return _num(row[column])


def month_spc(ind: Any, rows: pd.DataFrame, period_end: dt.date, book: TargetBook, breaks: Sequence[dt.date] = ()) -> Spc | None:
    """SPC on the month-basis figures of the last MAX_POINTS month ends, against the target in force at `period_end`.

    Month basis only: rolling and year-to-date figures share months with their neighbours, so are not independent.
    A month the audience may not see (suppressed for members) is a gap, left out of the limits as of the chart; so is
    a month whose numerator or denominator is hidden when Laney's P′ (which needs both) is the method.
    """
    target = book.at(ind.id, period_end)
    ends = [months_back(period_end, n) for n in range(MAX_POINTS - 1, -1, -1)]
    index = _index(rows[(rows["basis"] == "month") & rows["period_end"].isin(ends)])
    points = [_spc_point(index.get(("month", d)), d, target.spc_method) for d in ends]
    return spc(points, ind.polarity, ind.unit, target.target, target.band, breaks, target.spc_method)


def _spc_point(row: dict | None, end: dt.date, method: str) -> Point:
    if row is None or row["suppressed"]:
        return Point(end, None)
    num, den = shown_count(row, "numerator"), shown_count(row, "denominator")
    value = _num(row["value"])
    if method == "laney" and (num is None or not den):
        value = None
    return Point(end, value, num, den)


def judge_indicator(
    ind: Any,
    rows: pd.DataFrame,
    period_end: dt.date,
    book: TargetBook,
    benchmarks: Benchmarks,
    la_code: str,
    breaks: Sequence[dt.date] = (),
) -> Figure:
    """Judge one indicator from its `la` rows (already carrying display strings); `breaks`: its month series' breaks."""
    target = book.at(ind.id, period_end)
    have = set(rows["basis"])
    basis = target.basis if target.basis in have else ("month" if "month" in have else target.basis)
    prev_end, ly_end = months_back(period_end, 1), months_back(period_end, 12)
    index = _index(rows[(rows["basis"] == basis) & rows["period_end"].isin([period_end, prev_end, ly_end])])
    cur, prev, ly = (index.get((basis, d)) for d in (period_end, prev_end, ly_end))

    def val(r: dict | None) -> float | None:
        return None if r is None or r["suppressed"] else _num(r["value"])

    def shown(r: dict | None) -> str:
        return "–" if r is None else str(r["value_display"])

    bench = benchmarks.get(ind.id, la_code, ind.polarity)
    value = val(cur)
    return Figure(
        indicator=ind,
        period_end=period_end,
        basis=basis,
        value=value,
        display=shown(cur),
        suppressed=bool(cur is not None and cur["suppressed"]),
        numerator=shown_count(cur, "numerator"),
        denominator=shown_count(cur, "denominator"),
        target=target,
        rag=rag(value, target, ind.polarity, ind.unit),
        previous=val(prev),
        previous_display=shown(prev),
        previous_end=prev_end,
        last_year=val(ly),
        last_year_display=shown(ly),
        last_year_end=ly_end,
        vs_previous=direction(value, val(prev), ind.polarity),
        vs_last_year=direction(value, val(ly), ind.polarity),
        benchmark=bench,
        quartile=bench.band(value, ind.polarity) if bench.available else None,
        series=series(rows, ind, book, sorted({"month", basis})),
        spc=month_spc(ind, rows, period_end, book, breaks),
    )


def la_rows(results: pd.DataFrame, la_code: str | None, suppressed: bool) -> pd.DataFrame:
    """The authority's rows with display strings for the audience (suppressed=True for members)."""
    rows = _la_rows(results, la_code)
    if rows.empty:
        return rows.assign(value_display=[], numerator_display=[], denominator_display=[], suppressed=[])
    return display(rows, suppressed=suppressed)


def judge(
    results: pd.DataFrame,
    period_end: dt.date,
    la_code: str,
    book: TargetBook,
    benchmarks: Benchmarks | None = None,
    registry: Mapping[str, Any] | None = None,
    suppressed: bool = False,
    breaks: Mapping[str, Sequence[dt.date]] | None = None,
) -> list[Figure]:
    """Judge every registry indicator at `period_end` (catalogue order); suppressed=True for members.

    `breaks`: each indicator's breaks in its month series, for SPC (`cscperf.judge.breaks.spc_breaks`)."""
    return judge_rows(la_rows(results, la_code, suppressed), period_end, la_code, book, benchmarks, registry, breaks)


def judge_rows(
    rows: pd.DataFrame,
    period_end: dt.date,
    la_code: str,
    book: TargetBook,
    benchmarks: Benchmarks | None = None,
    registry: Mapping[str, Any] | None = None,
    breaks: Mapping[str, Sequence[dt.date]] | None = None,
) -> list[Figure]:
    """`judge` from the authority's rows already displayed for the audience (`la_rows`)."""
    registry = registry if registry is not None else book.registry
    benchmarks = benchmarks or Benchmarks.default()
    by_id = dict(tuple(rows.groupby("indicator_id"))) if not rows.empty else {}
    empty = rows.iloc[0:0]
    breaks = breaks or {}
    return [
        judge_indicator(ind, by_id.get(iid, empty), period_end, book, benchmarks, la_code, breaks.get(iid, ()))
        for iid, ind in registry.items()
    ]
