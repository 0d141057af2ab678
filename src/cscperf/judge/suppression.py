"""DfE-style suppression for anything shown to members or published (statutory-definitions.md §4).

Primary: a count from 1 to 5 is shown as `c` (0 is a true zero and is shown). A percentage or rate
is `c` when its numerator or denominator is suppressed; an average when its denominator is.
Secondary: within one breakdown (e.g. all teams for one indicator, basis and month), whose cells add
up to a published total, a single suppressed cell could be worked out by subtraction, so the next
smallest non-zero cell is suppressed too. Internal management views are not suppressed.
"""

from __future__ import annotations

import math

import pandas as pd

from cscperf.judge.targets import Target

SUPPRESSED = "c"
MISSING = "–"
SMALL_MIN, SMALL_MAX = 1, 5
GROUP = ["indicator_id", "basis", "period_end", "breakdown"]


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


def _hide(frame: pd.DataFrame, column: str) -> pd.Series:
    """Primary suppression of one count column, then secondary within each breakdown (not `la`, the total)."""
    cells = pd.to_numeric(frame[column], errors="coerce")
    hidden = cells.map(is_small).astype(bool)
    parts = frame["breakdown"] != "la"
    if parts.any():
        keys = [k for k in GROUP if k in frame.columns]
        for _, idx in frame[parts].groupby(keys, dropna=False).groups.items():
            hidden.loc[idx] = _secondary(cells.loc[idx], hidden.loc[idx])
    return hidden


def suppress(frame: pd.DataFrame) -> pd.DataFrame:
    """Add display strings to a results frame: value_display, numerator_display, denominator_display, suppressed.

    Counts carry their figure in `numerator`; percentages, rates and averages are hidden when
    their numerator (percentages, rates) or denominator is.
    """
    out = frame.copy()
    if out.empty:
        return out.assign(value_display=[], numerator_display=[], denominator_display=[], suppressed=[])
    num_hidden = _hide(out, "numerator")
    den_hidden = _hide(out, "denominator")
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
