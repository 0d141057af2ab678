"""View models: turn stored results into what the pages show (tiles, series, breakdowns), cached per data fingerprint."""

from __future__ import annotations

import datetime as dt
import json
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import duckdb
import pandas as pd

from cscperf.calendar.workdays import add_months
from cscperf.web import data, judging

SERIES_MONTHS = 24
SPARK_MONTHS = 13
BASIS_LABELS = {"month": "month", "rolling12": "rolling 12 months", "ytd": "year to date", "year": "collection year"}


def registry() -> dict[str, Any]:
    from cscperf.indicators.registry import REGISTRY

    return REGISTRY


def areas() -> dict[str, str]:
    from cscperf.indicators.registry import AREAS

    return dict(AREAS)


def _num(v: Any) -> float | None:
    if v is None:
        return None
    try:
        f = float(v)
    except (TypeError, ValueError):
        return None
    return None if math.isnan(f) else f


@dataclass(frozen=True)
class Point:
    period_end: dt.date
    value: float | None
    numerator: float | None
    denominator: float | None


@dataclass(frozen=True)
class Tile:
    ind: Any
    basis: str
    current: Point | None
    previous: Point | None
    rag: str | None
    direction: str | None
    series: tuple[Point, ...]
    benchmark: judging.BenchmarkView | None
    target_text: str = ""  # the target (or band) in force at the period end, from the judge's target book

    def value_text(self, suppress: bool) -> str:
        p = self.current
        return "–" if p is None else judging.display(self.ind.unit, p.value, p.numerator, p.denominator, suppress)

    def hidden(self, suppress: bool) -> bool:
        p = self.current
        return suppress and p is not None and judging.suppressed(self.ind.unit, p.value, p.numerator, p.denominator)

    def rag_for(self, suppress: bool) -> str | None:
        """RAG, hidden from members when the figure is suppressed (red against a target of 0 would reveal it)."""
        return None if self.hidden(suppress) else self.rag

    def direction_for(self, suppress: bool) -> str | None:
        """Direction of travel, hidden from members when either month's figure is suppressed (it would hint at it)."""
        if suppress and any(
            p is not None and judging.suppressed(self.ind.unit, p.value, p.numerator, p.denominator) for p in (self.current, self.previous)
        ):
            return None
        return self.direction

    def spark_points(self, suppress: bool, width: int = 120, height: int = 28) -> str:
        """SVG polyline points; suppressed points are left out for roles that see suppressed figures."""
        pts = [
            p
            for p in self.series
            if p.value is not None and not (suppress and judging.suppressed(self.ind.unit, p.value, p.numerator, p.denominator))
        ]
        if len(pts) < 2:
            return ""
        values = [p.value for p in pts]
        lo, hi = min(values), max(values)  # type: ignore[type-var]
        span = (hi - lo) or 1.0  # type: ignore[operator]
        n = len(self.series) - 1 or 1
        index = {p.period_end: i for i, p in enumerate(self.series)}
        return " ".join(f"{index[p.period_end] * width / n:.1f},{height - 2 - (p.value - lo) / span * (height - 4):.1f}" for p in pts)  # type: ignore[operator]


@dataclass
class Overview:
    period_end: dt.date | None
    la_code: str | None
    la_name: str
    tiles: list[Tile] = field(default_factory=list)
    series: dict[tuple[str, str], list[Point]] = field(default_factory=dict)


def _series_map(frame: pd.DataFrame) -> dict[tuple[str, str], list[Point]]:
    out: dict[tuple[str, str], list[Point]] = {}
    for row in frame.itertuples(index=False):
        out.setdefault((row.indicator_id, row.basis), []).append(
            Point(pd.Timestamp(row.period_end).date(), _num(row.value), _num(row.numerator), _num(row.denominator))
        )
    return out


def overview(cur: duckdb.DuckDBPyConnection) -> Overview:
    period = data.latest_period(cur)
    code = data.la_code(cur) if period else None
    ov = Overview(period, code, data.la_name(cur, code))
    if period is None:
        return ov
    frame = data.la_results(cur, add_months(period, -SERIES_MONTHS))
    if code:
        frame = frame[frame.breakdown_value == code]
    ov.series = _series_map(frame)
    for ind in registry().values():
        ov.tiles.append(_tile(ind, ov.series.get((ind.id, ind.rag_basis), []), period, code))
    return ov


def _tile(ind: Any, series: list[Point], period: dt.date, code: str | None) -> Tile:
    by_end = {p.period_end: p for p in series}
    current = by_end.get(period)
    prev_end = period.replace(day=1) - dt.timedelta(days=1)
    previous = by_end.get(prev_end)
    spark = tuple(p for p in series if p.period_end > add_months(period, -SPARK_MONTHS))
    return Tile(
        ind=ind,
        basis=ind.rag_basis,
        current=current,
        previous=previous,
        rag=judging.rag(ind, current.value if current else None, period),
        direction=judging.direction(ind, previous.value if previous else None, current.value if current else None),
        series=spark,
        benchmark=judging.benchmark(ind.id, code, ind.polarity) if code else None,
        target_text=target_text(ind, period),
    )


def target_text(ind: Any, on: dt.date | None) -> str:
    """'90%', '325–360' or '' (none), as the judge's target book has it at `on` (registry default as fallback)."""
    t = judging.target_for(ind, on)
    target, band = (t.target, t.band) if t is not None else (ind.target, ind.target_band)
    suffix = "%" if ind.unit == "percent" else ""
    if band:
        return f"{band[0]:g}–{band[1]:g}{suffix}"
    return f"{target:g}{suffix}" if target is not None else ""


@dataclass(frozen=True)
class BreakdownRow:
    key: str
    label: str
    point: Point
    rag: str | None


def breakdown(
    cur: duckdb.DuckDBPyConnection, ind: Any, basis: str, period: dt.date, kind: str, only: set[str] | None = None
) -> list[BreakdownRow]:
    frame = data.breakdown_results(cur, ind.id, basis, period, kind)
    names = data.team_names(cur) if kind == "team" else dict(zip(*_worker_names(cur), strict=True)) if kind == "worker" else {}
    rows = []
    for r in frame.itertuples(index=False):
        key = str(r.breakdown_value)
        if only is not None and key not in only:
            continue
        point = Point(period, _num(r.value), _num(r.numerator), _num(r.denominator))
        rows.append(BreakdownRow(key, names.get(key, key), point, judging.rag(ind, point.value, period)))
    return rows


def _worker_names(cur: duckdb.DuckDBPyConnection) -> tuple[list[str], list[str]]:
    w = data.workers(cur)
    return list(w.worker_id.astype(str)), list(w.worker_name.astype(str))


def any_suppressed(ind: Any, series: dict[tuple[str, str], list[Point]], basis: str) -> bool:
    return any(
        judging.suppressed(ind.unit, p.value, p.numerator, p.denominator) for b in {"month", basis} for p in series.get((ind.id, b), [])
    )


def trend_spec(
    ind: Any, series: dict[tuple[str, str], list[Point]], basis: str, suppress: bool, bench: Any, breaks: Sequence[Any] = ()
) -> dict[str, Any]:
    """The report's trend chart (cscperf.report.charts): the monthly figure, the chosen basis with RAG points,
    the target in force each month, benchmark markers and breaks in series; the same spec the scrutiny report draws."""
    rows = []
    for b in dict.fromkeys(("month", basis)):
        for p in series.get((ind.id, b), []):
            hidden = suppress and judging.suppressed(ind.unit, p.value, p.numerator, p.denominator)
            target = judging.target_for(ind, p.period_end)
            band = getattr(target, "band", None) if target is not None else ind.target_band
            rows.append(
                {
                    "period_end": p.period_end,
                    "basis": b,
                    "value": None if hidden else p.value,
                    "rag": judging.rag(ind, p.value, p.period_end) if b == basis and not hidden else None,
                    "target": getattr(target, "target", None) if target is not None else ind.target,
                    "band_lo": band[0] if band else None,
                    "band_hi": band[1] if band else None,
                }
            )
    try:
        from cscperf.report.charts import Marker, indicator_chart

        markers = []
        if bench is not None and bench.england is not None:
            markers.append(Marker(f"England {bench.england:,.1f}", bench.england))
        if bench is not None and bench.neighbours is not None:
            markers.append(Marker(f"Neighbours {bench.neighbours:,.1f}", bench.neighbours))
        frame = pd.DataFrame(rows, columns=["period_end", "basis", "value", "rag", "target", "band_lo", "band_hi"])
        return indicator_chart(frame, ind.unit, basis, markers, width=900, height=240, breaks=breaks).to_dict(validate=False)
    except ImportError:
        return series_spec(ind, series.get((ind.id, basis), []), basis, suppress)


def series_spec(ind: Any, points: list[Point], basis: str, suppress: bool) -> dict[str, Any]:
    """A plain Vega-Lite trend (fallback when the report's chart module is not installed)."""
    values = [
        {"period_end": p.period_end.isoformat(), "value": p.value}
        for p in points
        if p.value is not None and not (suppress and judging.suppressed(ind.unit, p.value, p.numerator, p.denominator))
    ]
    layers: list[dict[str, Any]] = [
        {
            "mark": {"type": "line", "point": True, "color": "#1d70b8"},
            "encoding": {
                "x": {"field": "period_end", "type": "temporal", "title": None, "axis": {"format": "%b %y"}},
                "y": {"field": "value", "type": "quantitative", "title": _unit_title(ind.unit)},
            },
        }
    ]
    if ind.target is not None:
        layers.append(
            {
                "data": {"values": [{"target": ind.target}]},
                "mark": {"type": "rule", "color": "#d4351c", "strokeDash": [6, 4]},
                "encoding": {"y": {"field": "target", "type": "quantitative"}},
            }
        )
    return {
        "$schema": "https://vega.github.io/schema/vega-lite/v6.json",
        "width": "container",
        "height": 240,
        "data": {"values": values},
        "layer": layers,
    }


def bars_spec(ind: Any, rows: list[BreakdownRow], title: str) -> dict[str, Any]:
    values = [{"label": r.label, "value": r.point.value, "rag": r.rag or "none"} for r in rows if r.point.value is not None]
    return {
        "$schema": "https://vega.github.io/schema/vega-lite/v6.json",
        "width": "container",
        "height": {"step": 22},
        "title": title,
        "data": {"values": values},
        "mark": "bar",
        "encoding": {
            "y": {"field": "label", "type": "nominal", "sort": "-x", "title": None},
            "x": {"field": "value", "type": "quantitative", "title": _unit_title(ind.unit)},
            "color": {
                "field": "rag",
                "type": "nominal",
                "legend": None,
                "scale": {"domain": ["green", "amber", "red", "none"], "range": ["#00703c", "#f47738", "#d4351c", "#505a5f"]},
            },
            "tooltip": [{"field": "label", "type": "nominal"}, {"field": "value", "type": "quantitative", "format": ",.1f"}],
        },
    }


# In a <script> block the HTML parser reacts to '<!--', '<script' and '</script' before JSON is read, so
# every '<' (and '>' and '&', as Jinja's |tojson does) is written as a JSON escape the parser ignores.
_SCRIPT_SAFE = str.maketrans({"<": "\\u003c", ">": "\\u003e", "&": "\\u0026"})


def spec_json(spec: dict[str, Any]) -> str:
    """JSON for a <script type="application/json"> block: no '<', '>' or '&', so data can never end or re-open the tag."""
    return json.dumps(spec, default=str).translate(_SCRIPT_SAFE)


def _unit_title(unit: str) -> str:
    return {"percent": "%", "rate_per_10k": "per 10,000 children", "days": "days", "average": "average", "count": "number"}.get(unit, unit)
