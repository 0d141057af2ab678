"""View models: the judge's figures as the pages show them (tiles, series, breakdowns), cached per data fingerprint.

The dashboard does not judge anything itself: value, basis, target, RAG, direction of travel,
benchmarks and suppression all come from `cscperf.judge` (the same `Figure`s the report prints and
`GET /api/v1/figures` returns).
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import duckdb
import pandas as pd

from cscperf.judge import assess
from cscperf.judge import table as judged_table
from cscperf.judge.assess import Figure
from cscperf.judge.spc import COMMON, assurance_text, variation_text
from cscperf.judge.suppression import display, target_text
from cscperf.judge.targets import TargetBook
from cscperf.report import charts
from cscperf.report.text import spc_gap_note, spc_limits_text
from cscperf.warehouse import results
from cscperf.web import data

SPARK_MONTHS = 13
BASIS_LABELS = {"month": "month", "rolling12": "rolling 12 months", "ytd": "year to date", "year": "collection year", "quarter": "quarter"}
CHART_COLUMNS = charts.COLUMNS


def registry() -> dict[str, Any]:
    from cscperf.indicators.registry import REGISTRY

    return REGISTRY


def areas() -> dict[str, str]:
    from cscperf.indicators.registry import AREAS

    return dict(AREAS)


@dataclass(frozen=True)
class Tile:
    """One judged figure as a tile (and the head of its indicator page)."""

    fig: Figure

    @property
    def ind(self) -> Any:
        return self.fig.indicator

    @property
    def target_text(self) -> str:
        return target_text(self.fig.target, self.ind.unit)

    @property
    def shown(self) -> bool:
        """A figure (or a suppressed one) exists at the period end."""
        return self.fig.value is not None or self.fig.suppressed

    @property
    def variation(self) -> str:
        """Statistical process control's variation icon as words and an arrow (cscperf.judge.spc)."""
        return variation_text(self.fig.spc)

    @property
    def assurance(self) -> str:
        return assurance_text(self.fig.spc)

    @property
    def spc_limits(self) -> str:
        return spc_limits_text(self.fig.spc, self.ind.unit) if self.fig.spc is not None else ""

    @property
    def spc_note(self) -> str:
        """For members: suppressed months are gaps in the chart and its limits."""
        return spc_gap_note(self.fig)

    @property
    def changed(self) -> bool:
        """A special cause on the month series: what the 'only what changed' view keeps."""
        return self.fig.spc is not None and self.fig.spc.variation != COMMON

    def spark_points(self, width: int = 120, height: int = 28) -> str:
        """SVG polyline points of the judged basis over the last 13 months; suppressed months (no value) are gaps."""
        s = self.fig.series
        s = s[(s["basis"] == self.fig.basis) & (s["period_end"] > assess.months_back(self.fig.period_end, SPARK_MONTHS))]
        pts = [(d, float(v)) for d, v in zip(s["period_end"], s["value"], strict=True) if v is not None and not pd.isna(v)]
        if len(pts) < 2:
            return ""
        values = [v for _, v in pts]
        lo, span = min(values), (max(values) - min(values)) or 1.0
        index = {d: i for i, d in enumerate(s["period_end"])}
        n = len(s) - 1 or 1
        return " ".join(f"{index[d] * width / n:.1f},{height - 2 - (v - lo) / span * (height - 4):.1f}" for d, v in pts)


@dataclass
class Overview:
    period_end: dt.date | None
    la_code: str | None
    la_name: str
    judged: judged_table.Judged | None = None
    tiles: list[Tile] = field(default_factory=list)

    def tile(self, indicator_id: str) -> Tile | None:
        return next((t for t in self.tiles if t.ind.id == indicator_id), None)


def overview(cur: duckdb.DuckDBPyConnection, book: TargetBook, audience: str) -> Overview:
    """Every indicator judged at the latest stored period end, for one audience."""
    period = results.latest_period(cur)
    code = results.la_code(cur) if period else None
    ov = Overview(period, code, data.la_name(cur, code))
    if period is None:
        return ov
    ov.judged = judged_table.read(cur, period, audience, book, code, registry())
    ov.tiles = [Tile(f) for f in ov.judged.figures]
    return ov


def shown_tiles(ov: Overview, area: str = "", changed: bool = False) -> list[Tile]:
    """The home page's tiles: of one area (or all), and with `changed` only those with a special cause."""
    return [t for t in ov.tiles if (not area or t.ind.area == area) and (not changed or t.changed)]


def series(ov: Overview, ind: Any, basis: str) -> pd.DataFrame:
    """The judged series of an indicator on the month and `basis` (the judge's series when `basis` is the judged one)."""
    assert ov.judged is not None
    tile = ov.tile(ind.id)
    if tile is not None and tile.fig.basis == basis:
        return tile.fig.series
    return assess.series(ov.judged.rows_of(ind.id), ind, ov.judged.book, sorted({"month", basis}))


@dataclass(frozen=True)
class BreakdownRow:
    key: str
    label: str
    value: float | None
    value_text: str
    numerator_text: str
    denominator_text: str
    rag: str | None


def breakdown(cur: duckdb.DuckDBPyConnection, ind: Any, basis: str, period: dt.date, kind: str, book: TargetBook) -> list[BreakdownRow]:
    """Team or worker figures (management views only: unsuppressed), RAG-rated on the judged basis."""
    frame = results.read(cur, breakdown=kind, indicator_id=ind.id, basis=basis, period_ends=[period])
    if frame.empty:
        return []
    frame = display(frame, suppressed=False)
    names = data.team_names(cur) if kind == "team" else _worker_names(cur) if kind == "worker" else {}
    rows = []
    for r in frame.itertuples(index=False):
        key = str(r.breakdown_value)
        value = None if pd.isna(r.value) else float(r.value)
        rag = assess.rag_at(ind, book, basis, period, value)
        den = r.denominator_display if not pd.isna(r.denominator) else ""
        rows.append(BreakdownRow(key, names.get(key, key), value, r.value_display, r.numerator_display, den, rag))
    return rows


def _worker_names(cur: duckdb.DuckDBPyConnection) -> dict[str, str]:
    w = data.workers(cur)
    return dict(zip(w.worker_id.astype(str), w.worker_name.astype(str), strict=True))


def trend_spec(ind: Any, frame: pd.DataFrame, basis: str, fig: Figure | None, breaks: Sequence[Any] = ()) -> dict[str, Any]:
    """The report's trend chart (cscperf.report.charts) from the judged series, with breaks in series: the same spec
    the scrutiny report draws."""
    markers = charts.benchmark_markers(fig.benchmark, ind.unit) if fig is not None else []
    spc = fig.spc if fig is not None else None
    return charts.indicator_chart(
        frame.reindex(columns=CHART_COLUMNS), ind.unit, basis, markers, width=900, height=240, breaks=breaks, spc=spc
    )


def bars_spec(ind: Any, rows: list[BreakdownRow], title: str) -> dict[str, Any]:
    values = [{"label": r.label, "value": r.value, "rag": r.rag or "none"} for r in rows if r.value is not None]
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
    titles = {"percent": "%", "rate_per_10k": "per 10,000 children", "days": "days", "average": "average", "count": "number"}
    return (titles | {"net": "net change"}).get(unit, unit)
