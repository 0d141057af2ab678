"""The automatic factual sentence beside each chart, and period wording."""

from __future__ import annotations

import datetime as dt

import pandas as pd

from cscperf.judge.assess import Figure
from cscperf.judge.spc import COMMON, Spc
from cscperf.judge.suppression import SUPPRESSED, format_value
from cscperf.judge.suppression import target_text as format_target

# A year to date is suppressed when a month of 1 to 5 is in it: "a small number is suppressed" would mislead.
SUPPRESSED_NOTE = "c: suppressed, as a number from 1 to 5 could be worked out from it"


BASIS_PHRASE = {
    "month": "in {m}",
    "rolling12": "in the 12 months to {m}",
    "ytd": "in the year to date ({fy_start} to {m})",
    "year": "in the collection year to {m}",
    "quarter": "in the quarter to {m}",
}
RAG_WORD = {"green": "green", "amber": "amber", "red": "red"}


def month_name(d: dt.date) -> str:
    return f"{d:%B %Y}"


def fy_start(d: dt.date) -> dt.date:
    return dt.date(d.year if d.month >= 4 else d.year - 1, 4, 1)


def period_phrase(basis: str, end: dt.date) -> str:
    return BASIS_PHRASE.get(basis, "in {m}").format(m=month_name(end), fy_start=f"{fy_start(end):%B %Y}")


def fmt(value: float | None, unit: str) -> str:
    return format_value(value, unit)


def target_text(fig: Figure) -> str:
    return format_target(fig.target, fig.indicator.unit)


def movement(fig: Figure) -> str:
    if fig.vs_previous is None:
        return ""
    if fig.vs_previous == "same":
        return f"about the same as in {month_name(fig.previous_end)} ({fig.previous_display})"
    up = fig.value is not None and fig.previous is not None and fig.value > fig.previous
    judged = f" ({fig.vs_previous})" if fig.vs_previous in ("better", "worse") else ""
    return f"{'up' if up else 'down'} from {fig.previous_display} in {month_name(fig.previous_end)}{judged}"


def spc_limits_text(spc: Spc, unit: str) -> str:
    """E.g. 'process mean 12.5%, limits 2.4% to 22.6%' (the current segment's; Laney's are the latest month's)."""
    return f"process mean {fmt(spc.mean, unit)}, limits {fmt(spc.lower, unit)} to {fmt(spc.upper, unit)}"


def spc_gap_note(fig: Figure) -> str:
    """Under a member's chart: suppressed months are gaps, in the chart and in its process limits."""
    if fig.spc is None or not fig.series["suppressed"].any():
        return ""
    return "Months suppressed (c) are gaps: left out of the chart and of the process mean and limits."


def sentence(fig: Figure, sn_method: str = "mean") -> str:
    """E.g. 'Child protection visits in timescale: 93.8% in January 2026 against a target of 98.0% (amber); up from
    91.2% in December 2025 (better); statistical neighbours 2024-25: 89.0%.'

    With statistical process control on the month series, its verdict closes the sentence; with common-cause variation it
    replaces the month-on-month movement, which is then noise ('Common-cause variation: no significant change.')."""
    ind = fig.indicator
    if fig.suppressed:
        head = f"{ind.name}: not shown {period_phrase(fig.basis, fig.period_end)} ({SUPPRESSED_NOTE})"
    elif fig.value is None:
        return f"{ind.name}: no figure {period_phrase(fig.basis, fig.period_end)} (nothing to count, or no data loaded)."
    else:
        head = f"{ind.name}: {fig.display} {period_phrase(fig.basis, fig.period_end)}"
    parts = [head + (f" against a target of {target_text(fig)} ({RAG_WORD[fig.rag]})" if fig.rag else "")]
    common = fig.spc is not None and fig.spc.variation == COMMON
    if not fig.suppressed and not common and (mv := movement(fig)):
        parts.append(mv)
    if not fig.suppressed and fig.vs_last_year is not None:
        parts.append(f"{fig.last_year_display} a year earlier")
    b = fig.benchmark
    if b.available:
        sn = b.sn(sn_method)
        if sn is not None:
            parts.append(f"statistical neighbours {b.year_label}: {fmt(sn, ind.unit)}")
        if b.england.value is not None:
            parts.append(f"England {fmt(b.england.value, ind.unit)}")
    spc = f" {fig.spc.sentence(ind.polarity)}" if fig.spc is not None and not fig.suppressed else ""
    return "; ".join(parts) + "." + spc


def _shown(row: pd.Series) -> bool:
    return not bool(row["suppressed"]) and row["value"] is not None and not pd.isna(row["value"])


def _row_target(row: pd.Series, unit: str) -> str:
    if not pd.isna(row["band_lo"]) and not pd.isna(row["band_hi"]):
        return f"{format_value(row['band_lo'], unit)} to {format_value(row['band_hi'], unit)}"
    return "" if pd.isna(row["target"]) else format_value(row["target"], unit)


def chart_summary(name: str, unit: str, series: pd.DataFrame, basis: str) -> str:
    """The text alternative of a trend chart (WCAG 1.1.1), for the dashboard and both report packs: what it shows,
    the latest value against its target, and the trend from the first month shown. E.g. 'Line chart of Visits in
    timescale, 3 months from January 2024 to March 2024. Latest, March 2024: 45.0% against a target of 98.0% (red).
    Down from 50.0% in January 2024.'"""
    rows = series[series["basis"] == basis].sort_values("period_end")
    if rows.empty:
        return f"No figures to chart for {name}."
    first_end, last_end = rows["period_end"].iloc[0], rows["period_end"].iloc[-1]
    months = f"{len(rows)} month{'s' if len(rows) != 1 else ''} from {month_name(first_end)} to {month_name(last_end)}"
    last = rows.iloc[-1]
    if bool(last["suppressed"]):
        latest = f"{SUPPRESSED} (a small number, from 1 to 5, is suppressed)"
    else:
        latest = str(last["value_display"])
        target = _row_target(last, unit)
        latest += f" against a target of {target}" if target else ""
        latest += f" ({RAG_WORD[last['rag']]})" if last["rag"] in RAG_WORD else ""
    out = f"Line chart of {name}, {months}. Latest, {month_name(last_end)}: {latest}."
    shown = rows[[_shown(r) for _, r in rows.iterrows()]]
    if len(shown) >= 2:
        start, end = shown.iloc[0], shown.iloc[-1]
        move = "Up from" if end["value"] > start["value"] else "Down from" if end["value"] < start["value"] else "The same as"
        out += f" {move} {start['value_display']} in {month_name(start['period_end'])}."
    return out
