"""The one set of chart specs: Vega-Lite, shared by the report (rendered offline by vl-convert) and the dashboard.

`indicator_chart` takes plain data (no warehouse access), so the dashboard can build the same chart
from its own query and embed the spec with its vendored Vega-Lite.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any

import pandas as pd

from cscperf.judge.benchmarks import Benchmark
from cscperf.judge.breaks import SeriesBreak
from cscperf.judge.spc import Spc
from cscperf.judge.suppression import format_value

# GOV.UK design-system colours: readable on white; RAG is also carried by letter and point shape.
RAG_COLOURS = {"green": "#00703c", "amber": "#f47738", "red": "#d4351c"}
RAG_SHAPES = {"green": "circle", "amber": "triangle-up", "red": "square"}
INK, MUTED, TARGET, BENCH, BREAK = "#0b0c0c", "#8a8f94", "#1d70b8", "#4c2c92", "#505a5f"
SPC_LINE, SPC_SPECIAL = "#505a5f", "#b58840"  # process mean and limits; the ring round a special-cause month
FONT = "DejaVu Sans"
BASIS_LABEL = {"month": "Month", "rolling12": "Rolling 12 months", "ytd": "Year to date", "year": "Collection year", "quarter": "Quarter"}
UNIT_AXIS = {"percent": "%", "rate_per_10k": "per 10,000", "count": "number", "days": "days", "average": "average", "net": "net change"}


@dataclass(frozen=True)
class Marker:
    """A benchmark drawn as a horizontal reference line with a label (England, statistical neighbours)."""

    label: str
    value: float


def benchmark_markers(benchmark: Benchmark, unit: str, sn_method: str = "mean") -> list[Marker]:
    """England and statistical-neighbour reference lines, where published."""
    if not benchmark.available:
        return []
    out = []
    if benchmark.england.value is not None:
        out.append(Marker(f"England {format_value(benchmark.england.value, unit)}", benchmark.england.value))
    sn = benchmark.sn(sn_method)
    if sn is not None:
        out.append(Marker(f"SN {format_value(sn, unit)}", sn))
    return out


# The columns a trend chart reads from a judged series (any others are left out of the spec: Vega parses every one).
COLUMNS = ["period_end", "basis", "value", "rag", "target", "band_lo", "band_hi"]
SCHEMA = "https://vega.github.io/schema/vega-lite/v6.4.1.json"  # the version vendored for the dashboard
Spec = dict[str, Any]


class _Datasets:
    """The chart's data as named top-level datasets (as Altair wrote them), each frame serialised once."""

    def __init__(self) -> None:
        self.named: dict[str, list[dict[str, Any]]] = {}

    def add(self, frame: pd.DataFrame) -> dict[str, str]:
        name = f"data-{len(self.named)}"
        out = frame.copy()
        for col in out.columns:  # dates as ISO text, as Vega parses them
            if pd.api.types.is_datetime64_any_dtype(out[col]):
                out[col] = out[col].dt.strftime("%Y-%m-%dT%H:%M:%S")
        # NaN as null; every value a plain JSON one, at full precision (to_json would round to 10 digits).
        records = out.astype(object).where(out.notna(), None).to_dict("records")
        self.named[name] = json.loads(json.dumps(records, default=_plain))
        return {"name": name}


def _plain(value: Any) -> Any:
    """numpy scalars and dates in a chart's data as JSON values."""
    if hasattr(value, "item"):
        return value.item()
    if isinstance(value, dt.date):
        return value.isoformat()
    raise TypeError(f"cannot chart a {type(value).__name__}")


def _x() -> dict[str, Any]:
    axis = {"format": "%b %y", "grid": False, "labelAngle": 0, "tickCount": 8}
    return {"field": "period_end", "timeUnit": "yearmonth", "type": "temporal", "title": None, "axis": axis}


def _layer(data: dict[str, str], mark: dict[str, Any], encoding: dict[str, Any], filter_basis: str | None = None) -> dict[str, Any]:
    layer: dict[str, Any] = {"data": data, "mark": mark, "encoding": encoding}
    if filter_basis is not None:
        layer["transform"] = [{"filter": f"(datum.basis === '{filter_basis}')"}]
    return layer


def indicator_chart(
    series: pd.DataFrame,
    unit: str,
    rag_basis: str,
    markers: Sequence[Marker] = (),
    width: int = 520,
    height: int = 120,
    breaks: Sequence[SeriesBreak] = (),
    spc: Spc | None = None,
) -> Spec:
    """A trend chart for one indicator, as a Vega-Lite spec (a plain dict: building it through Altair's objects took
    longer than rendering it).

    `series` has columns period_end (date), basis, value (None where suppressed), rag (of the RAG-basis
    points), target, band_lo, band_hi (the target in force each month). Draws the monthly figure (thin
    grey), the RAG-basis line (bold, points coloured and shaped by RAG), the target as a dashed step
    line or a shaded band, and benchmark markers as dotted reference lines. With `spc` (on the month series): the
    process mean (thin solid) and limits (long dashes) per segment between breaks, and a ring round each month
    that is part of a special-cause signal.
    """
    data = series.reindex(columns=COLUMNS)
    data["period_end"] = pd.to_datetime(data["period_end"])
    data["value"] = pd.to_numeric(data["value"], errors="coerce")
    data["series"] = data["basis"].map(BASIS_LABEL)
    data["rag"] = data["rag"].astype(object).where(data["rag"].notna(), "none")
    sets = _Datasets()
    x = _x()
    y = {"field": "value", "type": "quantitative", "title": UNIT_AXIS.get(unit, ""), "scale": {"zero": unit == "count", "nice": True}}
    tip = [
        {"field": "period_end", "timeUnit": "yearmonth", "type": "temporal", "title": "Month"},
        {"field": "series", "type": "nominal"},
        {"field": "value", "type": "quantitative", "format": ",.1f"},
    ]
    layers: list[dict[str, Any]] = []
    band = data.dropna(subset=["band_lo", "band_hi"])
    if not band.empty:
        mark = {"type": "area", "color": TARGET, "opacity": 0.12, "interpolate": "step-after"}
        enc = {"x": x, "y": {"field": "band_lo", "type": "quantitative"}, "y2": {"field": "band_hi"}}
        layers.append(_layer(sets.add(band), mark, enc))
    tgt = data[data["basis"] == rag_basis].dropna(subset=["target"])
    if not tgt.empty:
        mark = {"type": "line", "color": TARGET, "strokeDash": [6, 3], "strokeWidth": 1.5, "interpolate": "step-after"}
        layers.append(_layer(sets.add(tgt), mark, {"x": x, "y": {"field": "target", "type": "quantitative"}}))
    base = sets.add(data)
    if rag_basis != "month":
        layers.append(_layer(base, {"type": "line", "color": MUTED, "strokeWidth": 1}, {"x": x, "y": y, "tooltip": tip}, "month"))
    layers.append(_layer(base, {"type": "line", "color": INK, "strokeWidth": 2}, {"x": x, "y": y, "tooltip": tip}, rag_basis))
    layers.append(_layer(base, {"type": "point", "filled": True, "size": 38, "opacity": 1}, _rag_encoding(x, y, tip), rag_basis))
    if markers:
        layers.extend(_marker_layers(sets, markers, width))
    if breaks:
        layers.extend(_break_layers(sets, breaks, x))
    if spc is not None:
        layers.extend(_spc_layers(sets, spc, x, y))
    axis = {"labelFontSize": 9, "titleFontSize": 9, "labelColor": INK, "titleColor": INK, "gridColor": "#e5e6e7", "domainColor": MUTED}
    return {
        "$schema": SCHEMA,
        "config": {"font": FONT, "view": {"continuousWidth": 300, "continuousHeight": 300, "strokeWidth": 0}, "axis": axis},
        "width": width,
        "height": height,
        "padding": {"left": 4, "top": 6, "bottom": 4, "right": 16 if markers else 86},
        "layer": layers,
        "datasets": sets.named,
    }


def _rag_encoding(x: dict[str, Any], y: dict[str, Any], tip: list[dict[str, Any]]) -> dict[str, Any]:
    """The RAG-basis points: colour and shape both carry the RAG (not colour alone)."""
    colours = {"domain": [*RAG_COLOURS, "none"], "range": [*RAG_COLOURS.values(), INK]}
    shapes = {"domain": [*RAG_SHAPES, "none"], "range": [*RAG_SHAPES.values(), "circle"]}
    return {
        "x": x,
        "y": y,
        "color": {"field": "rag", "type": "nominal", "scale": colours, "legend": None},
        "shape": {"field": "rag", "type": "nominal", "scale": shapes, "legend": None},
        "tooltip": [*tip, {"field": "rag", "type": "nominal", "title": "RAG"}],
    }


def _marker_layers(sets: _Datasets, markers: Sequence[Marker], width: int) -> list[dict[str, Any]]:
    """Benchmarks as dotted rules, labelled outside the plot on the right; the higher label above its line, the lower
    below, so close values stay legible."""
    ordered = sorted(markers, key=lambda m: m.value, reverse=True)
    ref = pd.DataFrame([{"label": m.label, "value": m.value, "pos": "bottom" if i == 0 else "top"} for i, m in enumerate(ordered)])
    value = {"field": "value", "type": "quantitative"}
    layers = [_layer(sets.add(ref), {"type": "rule", "color": BENCH, "strokeDash": [2, 2], "strokeWidth": 1.2}, {"y": value})]
    for pos in ("bottom", "top"):
        part = ref[ref["pos"] == pos]
        if not part.empty:
            mark = {"type": "text", "align": "left", "baseline": pos, "dx": 4, "fontSize": 9, "color": BENCH}
            enc = {"y": value, "x": {"value": width}, "text": {"field": "label", "type": "nominal"}}
            layers.append(_layer(sets.add(part), mark, enc))
    return layers


def _break_layers(sets: _Datasets, breaks: Sequence[SeriesBreak], x: dict[str, Any]) -> list[dict[str, Any]]:
    """A solid rule at the month of each break, with its short label along the top edge."""
    frame = pd.DataFrame(
        {
            "period_end": pd.to_datetime([b.period_end for b in breaks]),
            "label": [b.label for b in breaks],
            "caveat": [b.caveat for b in breaks],
        }
    )
    data = sets.add(frame)
    rule = _layer(
        data,
        {"type": "rule", "color": BREAK, "strokeWidth": 1.5},
        {"x": x, "tooltip": [{"field": "caveat", "type": "nominal", "title": "Break in series"}]},
    )
    mark = {"type": "text", "align": "left", "baseline": "top", "dx": 3, "dy": 1, "fontSize": 8, "color": BREAK}
    text = _layer(data, mark, {"x": x, "y": {"value": 0}, "text": {"field": "label", "type": "nominal"}})
    return [rule, text]


def spc_frame(result: Spc) -> pd.DataFrame:
    """One row per charted month of each segment with limits: period_end, segment, mean, lower, upper, special."""
    rows = []
    special = set(result.special_points)
    for i, seg in enumerate(result.segments):
        if seg.mean is None:  # a segment before a break with too few months has no limits to draw
            continue
        present = [p for p in seg.points if p.value is not None]
        for p, lo, hi in zip(present, seg.lower_by_point, seg.upper_by_point, strict=True):
            rows.append(
                {
                    "period_end": p.period_end,
                    "segment": i,
                    "mean": seg.mean,
                    "lower": lo,
                    "upper": hi,
                    "value": p.value,
                    "special": p.period_end in special,
                }
            )
    frame = pd.DataFrame(rows, columns=["period_end", "segment", "mean", "lower", "upper", "value", "special"])
    frame["period_end"] = pd.to_datetime(frame["period_end"])
    return frame


def _spc_layers(sets: _Datasets, result: Spc, x: dict[str, Any], y: dict[str, Any]) -> list[dict[str, Any]]:
    """Mean and process limits (a line per segment, so none crosses a break) and rings on special-cause months."""
    frame = spc_frame(result)
    data = sets.add(frame)
    tip = [
        {"field": "segment", "type": "nominal", "title": "Segment"},
        {"field": "mean", "type": "quantitative", "title": "Process mean", "format": ",.1f"},
    ]
    line = {"type": "line", "color": SPC_LINE, "strokeWidth": 1, "interpolate": "step-after"}
    mean = _layer(
        data,
        line,
        {"x": x, "y": {"field": "mean", "type": "quantitative"}, "detail": {"field": "segment", "type": "nominal"}, "tooltip": tip},
    )
    limits = _layer(
        data,
        {**line, "strokeDash": [8, 3]},
        {
            "x": x,
            "y": {"field": "level", "type": "quantitative"},
            "detail": [{"field": "segment", "type": "nominal"}, {"field": "limit", "type": "nominal"}],
            "tooltip": [{"field": "level", "type": "quantitative", "title": "Process limit", "format": ",.1f"}],
        },
    )
    limits["transform"] = [{"fold": ["lower", "upper"], "as": ["limit", "level"]}]
    layers = [mean, limits]
    special = frame[frame["special"]]
    if not special.empty:
        ring = {"type": "point", "shape": "circle", "filled": False, "size": 150, "strokeWidth": 2, "color": SPC_SPECIAL}
        tip_ring = [{"field": "period_end", "timeUnit": "yearmonth", "type": "temporal", "title": "Special cause"}]
        layers.append(_layer(sets.add(special), ring, {"x": x, "y": y, "tooltip": tip_ring}))
    return layers


@cache
def _fonts_registered() -> bool:
    import vl_convert as vlc

    vlc.register_font_directory("/usr/share/fonts/truetype/dejavu")
    return True


def to_svg(spec: Spec) -> str:
    """Render offline to SVG (vl-convert bundles Vega; no browser, no network)."""
    import vl_convert as vlc

    _fonts_registered()
    return vlc.vegalite_to_svg(spec)


def to_png(spec: Spec, scale: float = 2.0) -> bytes:
    import vl_convert as vlc

    _fonts_registered()
    return vlc.vegalite_to_png(spec, scale=scale)


def months_axis(period_end: dt.date, months: int = 24) -> list[dt.date]:
    """The month ends shown on a trend chart, oldest first."""
    from cscperf.judge.assess import months_back

    return [months_back(period_end, n) for n in range(months - 1, -1, -1)]
