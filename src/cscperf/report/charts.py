"""The one set of chart specs: Altair/Vega-Lite, shared by the report (rendered offline by vl-convert) and the dashboard.

`indicator_chart` takes plain data (no warehouse access), so the dashboard can build the same chart
from its own query and embed `chart.to_dict()` with its vendored Vega-Lite.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache

import altair as alt
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


def indicator_chart(
    series: pd.DataFrame,
    unit: str,
    rag_basis: str,
    markers: Sequence[Marker] = (),
    width: int = 520,
    height: int = 120,
    breaks: Sequence[SeriesBreak] = (),
    spc: Spc | None = None,
) -> alt.LayerChart:
    """A trend chart for one indicator.

    `series` has columns period_end (date), basis, value (None where suppressed), rag (of the RAG-basis
    points), target, band_lo, band_hi (the target in force each month). Draws the monthly figure (thin
    grey), the RAG-basis line (bold, points coloured and shaped by RAG), the target as a dashed step
    line or a shaded band, and benchmark markers as dotted reference lines. With `spc` (on the month series): the
    process mean (thin solid) and limits (long dashes) per segment between breaks, and a ring round each month
    that is part of a special-cause signal.
    """
    data = series.copy()
    data["period_end"] = pd.to_datetime(data["period_end"])
    data["value"] = pd.to_numeric(data["value"], errors="coerce")
    data["series"] = data["basis"].map(BASIS_LABEL)
    data["rag"] = data["rag"].fillna("none")
    x = alt.X("yearmonth(period_end):T", title=None, axis=alt.Axis(format="%b %y", labelAngle=0, tickCount=8, grid=False))
    y_title = UNIT_AXIS.get(unit, "")
    y = alt.Y("value:Q", title=y_title, scale=alt.Scale(zero=unit == "count", nice=True))
    tip = [alt.Tooltip("yearmonth(period_end):T", title="Month"), alt.Tooltip("series:N"), alt.Tooltip("value:Q", format=",.1f")]
    base = alt.Chart(data)
    layers: list[alt.Chart] = []

    band = data.dropna(subset=["band_lo", "band_hi"])
    if not band.empty:
        layers.append(
            alt.Chart(band).mark_area(color=TARGET, opacity=0.12, interpolate="step-after").encode(x=x, y="band_lo:Q", y2="band_hi:Q")
        )
    tgt = data[data["basis"] == rag_basis].dropna(subset=["target"])
    if not tgt.empty:
        layers.append(
            alt.Chart(tgt).mark_line(color=TARGET, strokeDash=[6, 3], strokeWidth=1.5, interpolate="step-after").encode(x=x, y="target:Q")
        )
    if rag_basis != "month":
        layers.append(base.transform_filter(alt.datum.basis == "month").mark_line(color=MUTED, strokeWidth=1).encode(x=x, y=y, tooltip=tip))
    main = base.transform_filter(alt.datum.basis == rag_basis)
    layers.append(main.mark_line(color=INK, strokeWidth=2).encode(x=x, y=y, tooltip=tip))
    rag_scale = alt.Scale(domain=[*RAG_COLOURS, "none"], range=[*RAG_COLOURS.values(), INK])
    shape_scale = alt.Scale(domain=[*RAG_SHAPES, "none"], range=[*RAG_SHAPES.values(), "circle"])
    layers.append(
        main.mark_point(filled=True, size=38, opacity=1).encode(
            x=x,
            y=y,
            color=alt.Color("rag:N", scale=rag_scale, legend=None),
            shape=alt.Shape("rag:N", scale=shape_scale, legend=None),
            tooltip=[*tip, alt.Tooltip("rag:N", title="RAG")],
        )
    )
    if markers:
        # Labels sit outside the plot on the right; the higher one above its line, the lower below, so close values stay legible.
        ordered = sorted(markers, key=lambda m: m.value, reverse=True)
        ref = pd.DataFrame([{"label": m.label, "value": m.value, "pos": "bottom" if i == 0 else "top"} for i, m in enumerate(ordered)])
        layers.append(alt.Chart(ref).mark_rule(color=BENCH, strokeDash=[2, 2], strokeWidth=1.2).encode(y="value:Q"))
        for pos in ("bottom", "top"):
            part = ref[ref["pos"] == pos]
            if not part.empty:
                text = alt.Chart(part).mark_text(align="left", baseline=pos, dx=4, fontSize=9, color=BENCH)
                layers.append(text.encode(y="value:Q", x=alt.value(width), text="label:N"))
    if breaks:
        layers.extend(_break_layers(breaks, x))
    if spc is not None:
        layers.extend(_spc_layers(spc, x, y))
    return (
        alt.layer(*layers)
        .properties(width=width, height=height, padding={"left": 4, "top": 6, "bottom": 4, "right": 16 if markers else 86})
        .configure(font=FONT)
        .configure_view(strokeWidth=0)
        .configure_axis(labelFontSize=9, titleFontSize=9, labelColor=INK, titleColor=INK, gridColor="#e5e6e7", domainColor=MUTED)
    )


def _break_layers(breaks: Sequence[SeriesBreak], x: alt.X) -> list[alt.Chart]:
    """A solid rule at the month of each break, with its short label along the top edge."""
    frame = pd.DataFrame(
        {
            "period_end": pd.to_datetime([b.period_end for b in breaks]),
            "label": [b.label for b in breaks],
            "caveat": [b.caveat for b in breaks],
        }
    )
    rule = alt.Chart(frame).mark_rule(color=BREAK, strokeWidth=1.5).encode(x=x, tooltip=[alt.Tooltip("caveat:N", title="Break in series")])
    text = alt.Chart(frame).mark_text(align="left", baseline="top", dx=3, dy=1, fontSize=8, color=BREAK)
    return [rule, text.encode(x=x, y=alt.value(0), text="label:N")]


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


def _spc_layers(result: Spc, x: alt.X, y: alt.Y) -> list[alt.Chart]:
    """Mean and process limits (a line per segment, so none crosses a break) and rings on special-cause months."""
    frame = spc_frame(result)
    limits = alt.Chart(frame).transform_fold(["lower", "upper"], as_=["limit", "level"])
    tip = [alt.Tooltip("segment:N", title="Segment"), alt.Tooltip("mean:Q", title="Process mean", format=",.1f")]
    layers = [
        alt.Chart(frame)
        .mark_line(color=SPC_LINE, strokeWidth=1, interpolate="step-after")
        .encode(x=x, y="mean:Q", detail="segment:N", tooltip=tip),
        limits.mark_line(color=SPC_LINE, strokeWidth=1, strokeDash=[8, 3], interpolate="step-after").encode(
            x=x,
            y="level:Q",
            detail=alt.Detail(["segment:N", "limit:N"]),
            tooltip=[alt.Tooltip("level:Q", title="Process limit", format=",.1f")],
        ),
    ]
    special = frame[frame["special"]]
    if not special.empty:
        ring = alt.Chart(special).mark_point(shape="circle", filled=False, size=150, strokeWidth=2, color=SPC_SPECIAL)
        layers.append(ring.encode(x=x, y=y, tooltip=[alt.Tooltip("yearmonth(period_end):T", title="Special cause")]))
    return layers


@cache
def _fonts_registered() -> bool:
    import vl_convert as vlc

    vlc.register_font_directory("/usr/share/fonts/truetype/dejavu")
    return True


def to_svg(chart: alt.TopLevelMixin) -> str:
    """Render offline to SVG (vl-convert bundles Vega; no browser, no network)."""
    import vl_convert as vlc

    _fonts_registered()
    return vlc.vegalite_to_svg(chart.to_dict())


def to_png(chart: alt.TopLevelMixin, scale: float = 2.0) -> bytes:
    import vl_convert as vlc

    _fonts_registered()
    return vlc.vegalite_to_png(chart.to_dict(), scale=scale)


def months_axis(period_end: dt.date, months: int = 24) -> list[dt.date]:
    """The month ends shown on a trend chart, oldest first."""
    from cscperf.judge.assess import months_back

    return [months_back(period_end, n) for n in range(months - 1, -1, -1)]
