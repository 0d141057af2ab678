"""Statistical process control on a monthly series: is a change signal or noise, and will the target be met?

The method is NHS England's "Making Data Count" (an XmR, or process behaviour, chart), as implemented by
NHSRplotthedots, applied to an indicator's month-basis figures only: rolling-12-month and year-to-date
figures share most of their months with their neighbours, so their points are not independent.

- Points: the last `MAX_POINTS` month ends up to the period end. A month with no figure (a gap, or a
  figure suppressed for members) is left out and not interpolated; a moving range is taken only between
  two consecutive months that both have a figure. Fewer than `MIN_POINTS` points: no SPC.
- Break in series (a definition or source change): limits come from the points after the latest break
  only (rebased); the points before it form a segment of their own with its own limits, for the chart.
- Limits: centre = mean of the points; natural process limits = mean ± 2.66 × mean moving range,
  floored at 0 (no figure in the catalogue is negative) and, for percentages, capped at 100.
- Special cause, judged on the latest point: (a) outside a limit (on a limit is inside); (b) shift: the
  latest point ends a run of 7+ points on one side of the mean (a point on the mean breaks the run);
  (c) trend: the latest point ends a run of 7+ points each strictly above (or below) the one before;
  (d) two of the last three points, the latest among them, beyond two-thirds of the way from the mean
  to the same limit. Where several apply, the signal is named in NHSRplotthedots' order of precedence:
  outside, trend, two of three, shift.
  NHSRplotthedots differs in one detail of (d): it also needs the third point on the same side of the
  mean, and does not count a point beyond the limit; both cases are caught by (a) on the latest point.
- Variation: `improvement` / `concern` by polarity and the side of the signal, `neither` for neutral
  (or range-judged) indicators, `common` with no special cause.
- Assurance against the target in force: `pass` when the whole band between the limits is on the good
  side of the target, `fail` when wholly on the bad side, `hit_and_miss` when the target is inside the
  band or on a limit; for a range target, `pass` when both limits lie inside it, `fail` when the band lies wholly
  outside it. `none` with no target.

Laney's P′ chart is offered for percentages whose monthly denominators vary a lot (`method="laney"`):
each month's limits widen or narrow with its own denominator, scaled by the between-month variation.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Sequence
from dataclasses import dataclass, field

# Making Data Count's constants: 2.66 = 3 / d2 (d2 = 1.128 for moving ranges of two points).
LIMIT_FACTOR = 2.66
D2 = 1.128
MIN_POINTS = 12
MAX_POINTS = 24
RUN_LENGTH = 7  # a shift or a trend needs this many points

COMMON, IMPROVEMENT, CONCERN, NEITHER = "common", "improvement", "concern", "neither"
PASS, FAIL, HIT_AND_MISS, NO_TARGET = "pass", "fail", "hit_and_miss", "none"
METHODS = ("xmr", "laney")


@dataclass(frozen=True)
class Point:
    """One month's figure. `value` None is a gap; numerator/denominator are needed for Laney's P′."""

    period_end: dt.date
    value: float | None
    numerator: float | None = None
    denominator: float | None = None


@dataclass(frozen=True)
class Segment:
    """The points between two breaks in series, with their own limits (None when too few points)."""

    points: tuple[Point, ...]
    mean: float | None
    lower: float | None  # the latest point's limits (Laney's vary by month)
    upper: float | None
    lower_by_point: tuple[float | None, ...] = ()
    upper_by_point: tuple[float | None, ...] = ()


@dataclass(frozen=True)
class Spc:
    """SPC for one indicator at one period end: the current segment's limits and the two icons."""

    mean: float
    lower: float
    upper: float
    points: int
    variation: str  # improvement | concern | neither | common
    assurance: str  # pass | fail | hit_and_miss | none
    signal: str | None  # outside | shift | trend | two_of_three, or None for common cause
    signal_side: str | None  # high | low: the side (or direction) of the signal
    method: str = "xmr"
    segments: tuple[Segment, ...] = field(default=(), repr=False)
    special_points: tuple[dt.date, ...] = ()  # points that are part of a signal, for the chart

    def sentence(self, polarity: str) -> str:
        """Plain English for commentary."""
        if self.variation == COMMON:
            return "Common-cause variation: no significant change."
        what = {
            "outside": "the latest figure is outside the process limits",
            "shift": f"the latest {RUN_LENGTH} or more figures are all on one side of the average",
            "trend": f"the figures have moved the same way {RUN_LENGTH} or more times in a row",
            "two_of_three": "two of the last three figures are close to a process limit",
        }[self.signal or "outside"]
        verdict = {IMPROVEMENT: "special-cause improvement", CONCERN: "special-cause concern"}.get(
            self.variation, "special-cause variation"
        )
        return f"{verdict.capitalize()}: {what} ({'higher' if self.signal_side == 'high' else 'lower'})."


def xmr_limits(values: Sequence[float], consecutive: Sequence[bool] | None = None) -> tuple[float, float, float]:
    """(mean, lower, upper) with no floor or cap. `consecutive[i]` says point i follows point i-1 with no gap."""
    if len(values) < 2:
        raise ValueError("an XmR chart needs at least two points")
    consecutive = consecutive if consecutive is not None else [True] * len(values)
    ranges = [abs(values[i] - values[i - 1]) for i in range(1, len(values)) if consecutive[i]]
    if not ranges:
        raise ValueError("an XmR chart needs at least two consecutive months")
    mean = sum(values) / len(values)
    spread = LIMIT_FACTOR * sum(ranges) / len(ranges)
    return mean, mean - spread, mean + spread


def laney_limits(numerators: Sequence[float], denominators: Sequence[float]) -> tuple[float, list[float], list[float]]:
    """Laney P′ for proportions (0-1): (p̄, lower by point, upper by point), with no floor or cap."""
    if len(numerators) < 2 or any(n <= 0 for n in denominators):
        raise ValueError("a P′ chart needs at least two points, each with a positive denominator")
    p_bar = sum(numerators) / sum(denominators)
    if p_bar in (0.0, 1.0):  # no binomial variation at all: the limits sit on the mean
        return p_bar, [p_bar] * len(numerators), [p_bar] * len(numerators)
    sigma = [math.sqrt(p_bar * (1 - p_bar) / n) for n in denominators]
    z = [(k / n - p_bar) / s for k, n, s in zip(numerators, denominators, sigma, strict=True)]
    sigma_z = sum(abs(z[i] - z[i - 1]) for i in range(1, len(z))) / (len(z) - 1) / D2
    return p_bar, [p_bar - 3 * s * sigma_z for s in sigma], [p_bar + 3 * s * sigma_z for s in sigma]


def _bounded(x: float, unit: str) -> float:
    x = max(x, 0.0)
    return min(x, 100.0) if unit == "percent" else x


def _run_on_one_side(values: Sequence[float], mean: float) -> int:
    """How many points, ending with the latest, lie strictly on the latest point's side of the mean."""
    side = _sign(values[-1] - mean)
    if side == 0:
        return 0
    run = 0
    for v in reversed(values):
        if _sign(v - mean) != side:
            break
        run += 1
    return run


def _trend_length(values: Sequence[float]) -> tuple[int, int]:
    """(points in the run ending with the latest in which each is strictly above / below the one before, direction)."""
    if len(values) < 2:
        return len(values), 0
    direction = _sign(values[-1] - values[-2])
    if direction == 0:
        return 1, 0
    run = 2
    for i in range(len(values) - 2, 0, -1):
        if _sign(values[i] - values[i - 1]) != direction:
            break
        run += 1
    return run, direction


def _sign(x: float) -> int:
    return (x > 1e-12) - (x < -1e-12)


def _beyond_two_thirds(v: float, mean: float, lower: float, upper: float) -> int:
    """+1 / -1 when a point lies beyond two-thirds of the way from the mean to the upper / lower limit."""
    if v > mean + 2 * (upper - mean) / 3 + 1e-12:
        return 1
    if v < mean - 2 * (mean - lower) / 3 - 1e-12:
        return -1
    return 0


def special_cause(values: Sequence[float], mean: float, lower: float, upper: float) -> tuple[str | None, int, int]:
    """The first rule the latest point breaks, in Making Data Count's order: (rule, side +1/-1, points in the signal)."""
    latest = values[-1]
    if latest > upper + 1e-12 or latest < lower - 1e-12:
        return "outside", 1 if latest > upper else -1, 1
    trend, direction = _trend_length(values)
    if trend >= RUN_LENGTH:
        return "trend", direction, trend
    last3 = [_beyond_two_thirds(v, mean, lower, upper) for v in values[-3:]]
    side = last3[-1]
    if side != 0 and sum(1 for s in last3 if s == side) >= 2:
        return "two_of_three", side, 3
    run = _run_on_one_side(values, mean)
    if run >= RUN_LENGTH:
        return "shift", _sign(values[-1] - mean), run
    return None, 0, 0


def variation_icon(signal: str | None, side: int, polarity: str, range_judged: bool = False) -> str:
    if signal is None:
        return COMMON
    if polarity == "neutral" or range_judged:
        return NEITHER
    return IMPROVEMENT if (side > 0) == (polarity == "high") else CONCERN


def assurance_icon(lower: float, upper: float, polarity: str, target: float | None = None, band: tuple[float, float] | None = None) -> str:
    """Will the process consistently meet its target? A target exactly on a limit is hit and miss (as NHSRplotthedots)."""
    if band is not None:
        lo, hi = band
        if lo <= lower and upper <= hi:
            return PASS
        if upper < lo or lower > hi:
            return FAIL
        return HIT_AND_MISS
    if target is None or polarity == "neutral":
        return NO_TARGET
    if target < lower:
        return PASS if polarity == "high" else FAIL
    if target > upper:
        return FAIL if polarity == "high" else PASS
    return HIT_AND_MISS


def _segments(points: Sequence[Point], breaks: Sequence[dt.date]) -> list[list[Point]]:
    """Split at each break: a break dated D starts a new segment with the first month after D."""
    out: list[list[Point]] = [[]]
    cuts = sorted(breaks)
    for p in points:
        while cuts and p.period_end > cuts[0]:
            cuts.pop(0)
            if out[-1]:
                out.append([])
        out[-1].append(p)
    return out


def _segment(points: list[Point], unit: str, method: str) -> Segment:
    present = [p for p in points if p.value is not None]
    if len(present) < MIN_POINTS:
        return Segment(tuple(points), None, None, None)
    if method == "laney":
        p_bar, lows, highs = laney_limits([p.numerator or 0.0 for p in present], [p.denominator or 0.0 for p in present])
        lows_b = tuple(_bounded(100 * x, unit) for x in lows)
        highs_b = tuple(_bounded(100 * x, unit) for x in highs)
        return Segment(tuple(points), 100 * p_bar, lows_b[-1], highs_b[-1], lows_b, highs_b)
    index = {p.period_end: i for i, p in enumerate(points)}
    consecutive = [i > 0 and index[present[i].period_end] == index[present[i - 1].period_end] + 1 for i in range(len(present))]
    if not any(consecutive):  # every other month a gap (e.g. suppressed for members): no moving range, no limits
        return Segment(tuple(points), None, None, None)
    mean, lower, upper = xmr_limits([p.value for p in present], consecutive)  # type: ignore[misc]
    lo, hi = _bounded(lower, unit), _bounded(upper, unit)
    return Segment(tuple(points), mean, lo, hi, (lo,) * len(present), (hi,) * len(present))


def spc(
    points: Sequence[Point],
    polarity: str,
    unit: str,
    target: float | None = None,
    band: tuple[float, float] | None = None,
    breaks: Sequence[dt.date] = (),
    method: str = "xmr",
) -> Spc | None:
    """SPC at the latest point of a month-basis series (oldest first); None when it cannot be judged.

    None when the latest month has no figure, or the segment since the latest break has fewer than
    MIN_POINTS figures. Only the last MAX_POINTS month ends are used.
    """
    if method not in METHODS:
        raise ValueError(f"unknown SPC method {method!r}: use one of {', '.join(METHODS)}")
    if method == "laney" and unit != "percent":
        raise ValueError("Laney's P′ chart is for percentages only")
    window = list(points)[-MAX_POINTS:]
    if not window or window[-1].value is None:
        return None
    segments = [_segment(s, unit, method) for s in _segments(window, breaks)]
    current = segments[-1]
    if current.mean is None:
        return None
    present = [p for p in current.points if p.value is not None]
    values = [float(p.value) for p in present]  # type: ignore[arg-type]
    lower, upper = current.lower, current.upper
    assert lower is not None and upper is not None
    signal, side, length = special_cause(values, current.mean, lower, upper)
    return Spc(
        mean=current.mean,
        lower=lower,
        upper=upper,
        points=len(values),
        variation=variation_icon(signal, side, polarity, range_judged=band is not None),
        assurance=assurance_icon(lower, upper, polarity, target, band),
        signal=signal,
        signal_side=None if signal is None else ("high" if side > 0 else "low"),
        method=method,
        segments=tuple(segments),
        special_points=_signal_points(present, signal, side, length, current.mean, lower, upper),
    )


def _signal_points(
    present: list[Point], signal: str | None, side: int, length: int, mean: float, lower: float, upper: float
) -> tuple[dt.date, ...]:
    """The months that make up the signal, for marking on the chart."""
    if signal is None:
        return ()
    if signal == "two_of_three":
        return tuple(p.period_end for p in present[-3:] if _beyond_two_thirds(float(p.value), mean, lower, upper) == side)  # type: ignore[arg-type]
    return tuple(p.period_end for p in present[len(present) - length :])


# --- the icons as text: a word and a shape, never colour alone (report, dashboard) ------------------------------
VARIATION_WORD = {IMPROVEMENT: "Improvement", CONCERN: "Concern", NEITHER: "Special cause", COMMON: "Common cause"}
ASSURANCE_WORD = {PASS: "✓ Pass", FAIL: "✗ Fail", HIT_AND_MISS: "≈ Hit and miss", NO_TARGET: "No target"}
NO_SPC = "–"  # too few months (or no latest figure) to judge


def variation_text(result: Spc | None) -> str:
    """E.g. 'Improvement ↑' (the arrow: the side of the signal), 'Concern ↓', 'Common cause ∼'."""
    if result is None:
        return NO_SPC
    if result.variation == COMMON:
        return f"{VARIATION_WORD[COMMON]} ∼"
    return f"{VARIATION_WORD[result.variation]} {'↑' if result.signal_side == 'high' else '↓'}"


def assurance_text(result: Spc | None) -> str:
    return NO_SPC if result is None else ASSURANCE_WORD[result.assurance]
