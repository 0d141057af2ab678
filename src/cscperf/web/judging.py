"""Adapter to the judge stage (RAG, direction of travel, benchmarks, suppression) for the dashboard.

The dashboard judges with `cscperf.judge` (the target book, RAG, direction, benchmarks) so it agrees
with the report; the simple rules here are only a fallback for an indicator the judge cannot place,
so a page never fails on a missing piece. Suppression for members is primary (counts 1-5 as `c`,
percentages and rates whose numerator or denominator is 1-5 as `c`); members see authority-level
figures only, so there are no breakdown totals from which a suppressed cell could be derived.
"""

from __future__ import annotations

import datetime as dt
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


def rag(ind: Any, value: Any, on: dt.date | None = None) -> str | None:
    """'green' | 'amber' | 'red' | None, by the judge's rules and the target in force at `on`."""
    book = targets()
    if book is not None:
        try:
            from cscperf.judge.rag import rag as judge_rag

            target = book.at(ind.id, on) if on else book.registry_target(ind.id)
            return judge_rag(_number(value), target, ind.polarity, ind.unit)
        except Exception:  # an indicator the target book does not know yet: the simple rule below
            pass
    return _simple_rag(ind, value)


def target_for(ind: Any, on: dt.date | None) -> Any:
    """The judge's Target in force (None when the judge is not available)."""
    book = targets()
    if book is None:
        return None
    try:
        return book.at(ind.id, on) if on else book.registry_target(ind.id)
    except Exception:
        return None


def _simple_rag(ind: Any, value: Any) -> str | None:
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
    """'better' | 'worse' | 'same', or 'up' | 'down' | 'same' for neutral polarity; None without both values."""
    try:
        from cscperf.judge.rag import direction as judge_direction

        return judge_direction(_number(current), _number(previous), ind.polarity)
    except ImportError:
        pass
    a, b = _number(previous), _number(current)
    if a is None or b is None:
        return None
    if math.isclose(a, b, abs_tol=1e-9):
        return "same"
    up = b > a
    if ind.polarity == "neutral":
        return "up" if up else "down"
    return "better" if up == (ind.polarity == "high") else "worse"


@cache
def targets() -> Any:
    """The judge's target book (config/targets.yaml over the registry defaults), loaded once per process."""
    try:
        from cscperf.judge.targets import load_targets

        return load_targets()
    except Exception:
        return None


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
