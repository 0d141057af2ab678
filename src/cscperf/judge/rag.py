"""RAG rating and direction of travel for one figure."""

from __future__ import annotations

import math

from cscperf.judge.targets import Target

GREEN, AMBER, RED = "green", "amber", "red"
RAG_LETTER = {GREEN: "G", AMBER: "A", RED: "R", None: "–"}
# Direction of travel: "same" when the change is within this much (absolute, or relative to the earlier value).
SAME_ABSOLUTE = 0.05
SAME_RELATIVE = 0.01


def _missing(x: float | None) -> bool:
    return x is None or (isinstance(x, float) and math.isnan(x))


def presented(value: float, unit: str) -> float:
    """The figure as printed (one decimal place; counts whole): RAG judges what readers see."""
    return round(value) if unit == "count" else round(value, 1)


def rag(value: float | None, target: Target | None, polarity: str, unit: str = "percent") -> str | None:
    """Green, amber or red; None with no value or no target.

    high: at or above target green, within tolerance below it amber. low: the mirror image.
    A band (neutral indicators, or any indicator given one): inside green, within tolerance of
    either edge amber, else red. A neutral indicator with a single target is a band of one point.
    """
    if _missing(value) or target is None or not target.has_target:
        return None
    v = presented(float(value), unit)
    if target.band is not None or polarity == "neutral":
        lo, hi = target.band if target.band is not None else (target.target, target.target)
        if lo <= v <= hi:
            return GREEN
        edge = lo if v < lo else hi
        return AMBER if abs(v - edge) <= target.tolerance_at(edge) + 1e-9 else RED
    t = float(target.target)
    gap = t - v if polarity == "high" else v - t  # how far on the wrong side
    if gap <= 1e-9:
        return GREEN
    return AMBER if gap <= target.tolerance_at(t) + 1e-9 else RED


def direction(current: float | None, previous: float | None, polarity: str) -> str | None:
    """Direction of travel: better/worse/same by polarity; up/down/same for neutral; None if either is missing."""
    if _missing(current) or _missing(previous):
        return None
    diff = float(current) - float(previous)
    if abs(diff) <= max(SAME_ABSOLUTE, SAME_RELATIVE * abs(float(previous))):
        return "same"
    if polarity == "neutral":
        return "up" if diff > 0 else "down"
    return "better" if (diff > 0) == (polarity == "high") else "worse"
