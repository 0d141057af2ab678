"""DfE-style suppression for anything shown to members or published (statutory-definitions.md §4).

Primary: a count from 1 to 5 is shown as `c` (0 is a true zero and is shown). A percentage or rate
is `c` when its numerator or denominator is suppressed; an average when its denominator is.
Secondary: within one breakdown (e.g. all teams for one indicator, basis and month), whose cells add
up to a published total, a single suppressed cell could be worked out by subtraction, so the next
smallest non-zero cell is suppressed too.
Across bases and periods: a flow's year-to-date, rolling-12 and year figures are made of its months, so a
suppressed month could be worked out from them (consecutive year-to-date figures, rolling-12 figures a month
apart, or year to date minus the other months). Such a figure is suppressed whenever one of its months is
suppressed or not known here; no figure shown then contains a suppressed month (docs/judge.md).
Internal management views are not suppressed.
"""

from __future__ import annotations

import datetime as dt
import math
from bisect import bisect_left
from collections.abc import Mapping
from functools import cache
from typing import Any

import pandas as pd

from cscperf.calendar import add_months
from cscperf.judge.targets import Target

SUPPRESSED = "c"
MISSING = "–"
SMALL_MIN, SMALL_MAX = 1, 5
GROUP = ["indicator_id", "basis", "period_end", "breakdown"]
SERIES = ["breakdown", "breakdown_value"]  # one area's figures of one indicator, over bases and periods
SPANS = ("ytd", "rolling12", "year", "quarter")  # bases whose window is several months
FLOW_KINDS = ("count", "share")


def is_small(x: object) -> bool:
    """A count that primary suppression hides (1 to 5 inclusive)."""
    return x is not None and not (isinstance(x, float) and math.isnan(x)) and SMALL_MIN <= float(x) <= SMALL_MAX


def format_value(value: object, unit: str) -> str:
    """A figure as printed: counts whole with thousands separators, percentages and rates to 1 dp."""
    if value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NA:
        return MISSING
    v = float(value)
    if unit == "count":
        return f"{round(v):,}"
    if unit == "percent":
        return f"{v:,.1f}%"
    return f"{v:,.1f}"


def target_text(target: Target, unit: str) -> str:
    """A target as printed: '90.0%', '35.0 to 45.0', or '' when none is set."""
    if target.band is not None:
        return f"{format_value(target.band[0], unit)} to {format_value(target.band[1], unit)}"
    return format_value(target.target, unit) if target.target is not None else ""


def _secondary(cells: pd.Series, hidden: pd.Series) -> pd.Series:
    """Within one group: if exactly one cell is hidden, hide the next smallest non-zero cell as well."""
    if hidden.sum() != 1:
        return hidden
    candidates = cells[~hidden & (cells > 0)]
    if candidates.empty:
        return hidden
    hidden = hidden.copy()
    hidden[candidates.idxmin()] = True
    return hidden


def month_sources(registry: Mapping[str, Any] | None = None) -> dict[str, str]:
    """Flows (indicator id -> the id whose monthly figures its longer windows are made of).

    A flow counts events or children in its window (a count or a share, not a snapshot): its figure for a
    year to date, rolling 12 months or year is made of its months'. A rate of a flow is made of the months
    of the count it divides, whose monthly figures it shares.
    """
    if registry is None:
        from cscperf.indicators.registry import REGISTRY as registry  # noqa: N811 - late import keeps judge light

    def flow(ind: Any) -> bool:
        return not ind.snapshot and ind.measure.kind in FLOW_KINDS

    out = {i.id: i.id for i in registry.values() if flow(i)}
    for ind in registry.values():
        if ind.measure.kind == "rate" and ind.measure.of in out:
            out[ind.id] = ind.measure.of
    return out


@cache
def _registry_sources() -> dict[str, str]:
    return month_sources()


@cache
def window_months(basis: str, period_end: dt.date) -> tuple[dt.date, ...]:
    """The month ends a figure's window covers (the engine's windows: cscperf.indicators.engine.period_start)."""
    from cscperf.indicators.engine import period_start  # late import keeps judge light

    start = period_start(basis, period_end) or period_end.replace(day=1)
    ends = []
    while start <= period_end:
        start = add_months(start, 1)
        ends.append(start - dt.timedelta(days=1))
    return tuple(ends)


def _across_periods(frame: pd.DataFrame, hidden: pd.Series, sources: Mapping[str, str]) -> pd.Series:
    """Hide every longer-window figure of a flow that contains a hidden month, or a month not in the frame.

    A month whose row is missing inside the frame's months has no figure anywhere (nothing to hide); a month
    before the frame's first month is unknown here, so figures reaching back to it are hidden.
    """
    ids = frame["indicator_id"].tolist()
    if not any(i in sources for i in ids):
        return hidden
    ends = pd.to_datetime(frame["period_end"]).dt.date.tolist()
    known_from = min(ends)
    areas = list(zip(*(frame[k].tolist() for k in SERIES if k in frame.columns), strict=True)) or [()] * len(ids)
    bases, was = frame["basis"].tolist(), hidden.tolist()
    hidden_months: dict[tuple, list[dt.date]] = {}  # (indicator id, area) -> its hidden month ends
    for i, basis in enumerate(bases):
        if basis == "month":
            hidden_months.setdefault((ids[i], *areas[i]), [])
            if was[i]:
                hidden_months[ids[i], *areas[i]].append(ends[i])
    for found in hidden_months.values():
        found.sort()
    now = list(was)
    for i, basis in enumerate(bases):
        if basis in SPANS and ids[i] in sources and not now[i]:
            # No monthly figures for the series at all: its months are unknown here, so nothing proves it safe.
            found = hidden_months.get((sources[ids[i]], *areas[i]))
            first = window_months(basis, ends[i])[0]
            now[i] = found is None or first < known_from or _any_between(found, first, ends[i])
    return pd.Series(now, index=hidden.index, dtype=bool)


def _any_between(sorted_ends: list[dt.date], first: dt.date, last: dt.date) -> bool:
    at = bisect_left(sorted_ends, first)
    return at < len(sorted_ends) and sorted_ends[at] <= last


def _hide(frame: pd.DataFrame, column: str, sources: Mapping[str, str]) -> pd.Series:
    """Primary suppression of one count column, secondary within each breakdown (not `la`, the total), then
    across bases and periods."""
    cells = pd.to_numeric(frame[column], errors="coerce")
    hidden = cells.map(is_small).astype(bool)
    parts = frame["breakdown"] != "la"
    if parts.any():
        keys = [k for k in GROUP if k in frame.columns]
        for _, idx in frame[parts].groupby(keys, dropna=False).groups.items():
            hidden.loc[idx] = _secondary(cells.loc[idx], hidden.loc[idx])
    return _across_periods(frame, hidden, sources)


def suppress(frame: pd.DataFrame, sources: Mapping[str, str] | None = None) -> pd.DataFrame:
    """Add display strings to a results frame: value_display, numerator_display, denominator_display, suppressed.

    Counts carry their figure in `numerator`; percentages, rates and averages are hidden when
    their numerator (percentages, rates) or denominator is. `sources` names the flows (`month_sources`;
    by default the registry's).
    """
    out = frame.copy()
    if out.empty:
        return out.assign(value_display=[], numerator_display=[], denominator_display=[], suppressed=[])
    sources = _registry_sources() if sources is None else sources
    num_hidden = _hide(out, "numerator", sources)
    den_hidden = _hide(out, "denominator", sources)
    unit = out["unit"]
    by_num = unit.isin(["count", "percent", "rate_per_10k"])
    # A rate's denominator is the population: never small, but the rule is the same.
    hidden = (num_hidden & by_num) | (den_hidden & (unit != "count"))
    out["suppressed"] = hidden.astype(bool)
    out["value_display"] = [SUPPRESSED if h else format_value(v, u) for h, v, u in zip(hidden, out["value"], unit, strict=True)]
    out["numerator_display"] = [
        SUPPRESSED if (h or nh) else format_value(n, "count") for h, nh, n in zip(hidden, num_hidden, out["numerator"], strict=True)
    ]
    out["denominator_display"] = [
        SUPPRESSED if dh else format_value(d, "count") for dh, d in zip(den_hidden, out["denominator"], strict=True)
    ]
    return out


def display(frame: pd.DataFrame, suppressed: bool = True) -> pd.DataFrame:
    """Display strings for members (suppressed) or management (every figure shown)."""
    if suppressed:
        return suppress(frame)
    out = frame.copy()
    out["suppressed"] = False
    out["value_display"] = [format_value(v, u) for v, u in zip(out["value"], out["unit"], strict=True)]
    out["numerator_display"] = [format_value(n, "count") for n in out["numerator"]]
    out["denominator_display"] = [format_value(d, "count") for d in out["denominator"]]
    return out
