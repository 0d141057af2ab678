"""Adapter to the judge stage (RAG, direction of travel, benchmarks, suppression) for the dashboard.

The dashboard uses `cscperf.judge` where it provides a function and falls back to the simple rules
below (documented in docs/dashboard.md) where it does not, so pages never fail on a missing piece.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import cache
from typing import Any

SUPPRESSED = "c"
# Amber tolerance: within this distance of the target (percentage points for %, else a share of the target).
AMBER_POINTS = 5.0
AMBER_SHARE = 0.10


def _number(value: Any) -> float | None:
    if value is None:
        return None
    try:
        f = float(value)
    except (TypeError, ValueError):
        return None
    return None if math.isnan(f) else f


def rag(ind: Any, value: Any) -> str | None:
    """'green' | 'amber' | 'red' | None (no value, or nothing to judge against)."""
    judged = _judge_call("rag", ind, value)
    if judged is not _MISSING:
        return judged
    v = _number(value)
    if v is None:
        return None
    band = getattr(ind, "target_band", None)
    target = getattr(ind, "target", None)
    tolerance = AMBER_POINTS if ind.unit == "percent" else None
    if band:
        lo, hi = band
        if lo <= v <= hi:
            return "green"
        gap = lo - v if v < lo else v - hi
        return "amber" if gap <= (tolerance or AMBER_SHARE * (hi - lo or hi)) else "red"
    if target is None or ind.polarity == "neutral":
        return None
    shortfall = (target - v) if ind.polarity == "high" else (v - target)
    if shortfall <= 0:
        return "green"
    return "amber" if shortfall <= (tolerance if tolerance is not None else max(AMBER_SHARE * abs(target), 1.0)) else "red"


def direction(ind: Any, previous: Any, current: Any) -> str | None:
    """'improving' | 'worsening' | 'same' | 'up' | 'down' (neutral polarity) | None."""
    a, b = _number(previous), _number(current)
    if a is None or b is None:
        return None
    if math.isclose(a, b, abs_tol=1e-9):
        return "same"
    up = b > a
    if ind.polarity == "neutral":
        return "up" if up else "down"
    return "improving" if up == (ind.polarity == "high") else "worsening"


def is_small(n: Any) -> bool:
    v = _number(n)
    return v is not None and 1 <= v <= 5


def suppressed(unit: str, value: Any, numerator: Any, denominator: Any) -> bool:
    """DfE-style primary suppression: counts 1-5, and %/rates whose numerator or denominator is 1-5."""
    if unit == "count":
        return is_small(value)
    if unit in ("percent", "rate_per_10k"):
        return is_small(numerator) or is_small(denominator)
    if unit in ("average", "days"):
        return is_small(denominator)
    return False


def fmt(unit: str, value: Any) -> str:
    v = _number(value)
    if v is None:
        return "–"
    if unit == "percent":
        return f"{v:.1f}%"
    if unit in ("rate_per_10k", "average", "days"):
        return f"{v:,.1f}"
    return f"{v:,.0f}"


def display(unit: str, value: Any, numerator: Any, denominator: Any, suppress: bool) -> str:
    if suppress and suppressed(unit, value, numerator, denominator):
        return SUPPRESSED
    return fmt(unit, value)


@dataclass(frozen=True)
class BenchmarkView:
    year_label: str = ""
    england: float | None = None
    region: float | None = None
    neighbours: float | None = None
    note: str = ""


@cache
def benchmark(indicator_id: str, la_code: str, polarity: str) -> BenchmarkView | None:
    try:
        from cscperf.judge.benchmarks import Benchmarks

        b = Benchmarks.default().get(indicator_id, la_code, polarity)
    except Exception:  # the judge's data may not be present yet; benchmarks are optional on a page
        return None
    if not b.available:
        return BenchmarkView(note=b.reason or "")
    return BenchmarkView(b.year_label, b.england.value, b.region.value, b.sn_mean, b.note or "")


_MISSING = object()


def _judge_call(name: str, *args: Any) -> Any:
    """Call cscperf.judge.<name> when the judge stage provides it; _MISSING otherwise."""
    fn = _judge_function(name)
    if fn is None:
        return _MISSING
    try:
        return fn(*args)
    except Exception:
        return _MISSING


@cache
def _judge_function(name: str) -> Any:
    try:
        import cscperf.judge as judge
    except Exception:
        return None
    fn = getattr(judge, name, None)
    return fn if callable(fn) else None
