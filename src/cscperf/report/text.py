"""The automatic factual sentence beside each chart, and period wording."""

from __future__ import annotations

import datetime as dt

from cscperf.judge.assess import Figure
from cscperf.judge.spc import COMMON, Spc
from cscperf.judge.suppression import format_value
from cscperf.judge.suppression import target_text as format_target

# A year to date is suppressed when a month of 1 to 5 is in it: "a small number is suppressed" would mislead.
SUPPRESSED_NOTE = "c: suppressed, as a number from 1 to 5 could be worked out from it"


BASIS_PHRASE = {
    "month": "in {m}",
    "rolling12": "in the 12 months to {m}",
    "ytd": "in the year to date ({fy_start} to {m})",
    "year": "in the collection year to {m}",
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
