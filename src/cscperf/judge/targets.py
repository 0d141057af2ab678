"""Targets: the documented `config/targets.yaml`, merged over the registry's defaults.

Every indicator has a default target (or none) in the registry. The targets file overrides it per
indicator with one or more dated entries, so a target can change at the start of a year without
rewriting history: a figure for a period is judged against the entry in force at its period end.
See docs/judge.md for the file format.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import yaml

from cscperf.errors import UserError
from cscperf.judge.spc import METHODS

REPO_TARGETS = Path(__file__).resolve().parents[3] / "config" / "targets.yaml"
PACKAGE_TARGETS = Path(__file__).resolve().parent / "targets.yaml"
_ENTRY_KEYS = {"from", "to", "target", "band", "tolerance", "tolerance_relative", "basis", "note", "spc_method"}
# Amber tolerance when neither the file nor an entry gives one: 5 points for percentages, else 10 % of the target.
DEFAULT_TOLERANCE = {"percent": ("absolute", 5.0)}
DEFAULT_OTHER = ("relative", 0.10)


@dataclass(frozen=True)
class Target:
    """The target in force for one indicator over a date range."""

    indicator_id: str
    target: float | None
    band: tuple[float, float] | None
    tolerance: float
    tolerance_kind: str  # "absolute" | "relative"
    basis: str
    effective_from: dt.date | None = None
    effective_to: dt.date | None = None
    source: str = "registry"  # "registry" or the targets file
    note: str = ""
    spc_method: str = "xmr"  # statistical process control: xmr (default) or laney (P′, percentages only)

    @property
    def has_target(self) -> bool:
        return self.target is not None or self.band is not None

    def tolerance_at(self, reference: float) -> float:
        """Amber tolerance in the indicator's unit, for a target or band edge `reference`."""
        return self.tolerance if self.tolerance_kind == "absolute" else abs(reference) * self.tolerance

    def describe(self, fmt: Any = str) -> str:
        if self.band is not None:
            return f"{fmt(self.band[0])}–{fmt(self.band[1])}"
        return fmt(self.target) if self.target is not None else "–"


class _Loader(yaml.SafeLoader):
    """Safe YAML without implicit dates, so a bad date reaches our own check (and its clear message)."""


_Loader.yaml_implicit_resolvers = {
    k: [(tag, rx) for tag, rx in v if tag != "tag:yaml.org,2002:timestamp"] for k, v in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def _fail(path: Path | str, indicator: str | None, field: str | None, message: str) -> UserError:
    where = ", ".join(p for p in (str(path), f"indicator {indicator}" if indicator else "", f"field {field}" if field else "") if p)
    return UserError(f"{where}: {message}")


class TargetBook:
    """Targets for every indicator, by date."""

    def __init__(self, registry: Mapping[str, Any], entries: dict[str, list[Target]], defaults: dict[str, tuple[str, float]]) -> None:
        self.registry = registry
        self.entries = entries
        self.defaults = defaults

    def default_tolerance(self, unit: str) -> tuple[str, float]:
        return self.defaults.get(unit) or self.defaults.get("other") or DEFAULT_OTHER

    def registry_target(self, indicator_id: str) -> Target:
        ind = self.registry[indicator_id]
        kind, tol = self.default_tolerance(ind.unit)
        band = tuple(ind.target_band) if ind.target_band else None
        return Target(indicator_id, ind.target, band, tol, kind, ind.rag_basis, spc_method=ind.spc_method)

    def at(self, indicator_id: str, on: dt.date) -> Target:
        """The target in force at `on`: the file's entry covering that date, else the registry default."""
        for t in reversed(self.entries.get(indicator_id, [])):
            if (t.effective_from is None or t.effective_from <= on) and (t.effective_to is None or on <= t.effective_to):
                return t
        return self.registry_target(indicator_id)

    def table(self, on: dt.date) -> list[Target]:
        return [self.at(i, on) for i in self.registry]


def _number(path: Path, ind: str, field: str, value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise _fail(path, ind, field, f"expected a number, got {value!r}")
    return float(value)


def _date(path: Path, ind: str, field: str, value: Any) -> dt.date | None:
    if value is None or isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError:
        raise _fail(path, ind, field, f"expected a date YYYY-MM-DD, got {value!r}") from None


def _parse_entry(path: Path, ind: Any, raw: Any, defaults: dict[str, tuple[str, float]]) -> Target:
    iid = ind.id
    if not isinstance(raw, dict):
        raise _fail(path, iid, None, "each entry must be a mapping (target, band, tolerance, basis, from, to)")
    unknown = set(raw) - _ENTRY_KEYS
    if unknown:
        raise _fail(path, iid, sorted(unknown)[0], f"unknown field; expected one of {', '.join(sorted(_ENTRY_KEYS))}")
    target = _number(path, iid, "target", raw["target"]) if raw.get("target") is not None else None
    band = None
    if raw.get("band") is not None:
        b = raw["band"]
        if not isinstance(b, list) or len(b) != 2:
            raise _fail(path, iid, "band", f"expected [low, high], got {b!r}")
        band = (_number(path, iid, "band", b[0]), _number(path, iid, "band", b[1]))
        if band[0] > band[1]:
            raise _fail(path, iid, "band", f"low {band[0]} is above high {band[1]}")
    if "target" not in raw and "band" not in raw:
        target = ind.target
        band = tuple(ind.target_band) if ind.target_band else None
    if "tolerance" in raw and "tolerance_relative" in raw:
        raise _fail(path, iid, "tolerance", "give tolerance (absolute) or tolerance_relative, not both")
    if "tolerance" in raw:
        kind, tol = "absolute", _number(path, iid, "tolerance", raw["tolerance"])
    elif "tolerance_relative" in raw:
        kind, tol = "relative", _number(path, iid, "tolerance_relative", raw["tolerance_relative"])
    else:
        kind, tol = defaults.get(ind.unit) or defaults.get("other") or DEFAULT_OTHER
    if tol < 0:
        raise _fail(path, iid, "tolerance", "must not be negative")
    basis = raw.get("basis", ind.rag_basis)
    if basis not in ind.bases:  # a basis the indicator is computed on (quarter only where an entry is quarterly)
        raise _fail(path, iid, "basis", f"expected one of {', '.join(ind.bases)}, got {basis!r}")
    start, end = _date(path, iid, "from", raw.get("from")), _date(path, iid, "to", raw.get("to"))
    if start and end and end < start:
        raise _fail(path, iid, "to", f"{end} is before from {start}")
    method = _spc_method(path, ind, raw.get("spc_method", ind.spc_method))
    return Target(iid, target, band, tol, kind, basis, start, end, str(path), str(raw.get("note", "")), method)


def _spc_method(path: Path, ind: Any, method: Any) -> str:
    """XmR for any figure; Laney's P′ needs a numerator and denominator, so percentages only."""
    if method not in METHODS:
        raise _fail(path, ind.id, "spc_method", f"expected one of {', '.join(METHODS)}, got {method!r}")
    if method == "laney" and ind.unit != "percent":
        raise _fail(path, ind.id, "spc_method", f"laney is for percentages only (this indicator is {ind.unit})")
    return str(method)


def _close_ranges(path: Path, iid: str, entries: list[Target]) -> list[Target]:
    """Order entries by start, end each where the next begins, and reject overlaps."""
    entries = sorted(entries, key=lambda t: t.effective_from or dt.date.min)
    out: list[Target] = []
    for i, t in enumerate(entries):
        nxt = entries[i + 1] if i + 1 < len(entries) else None
        if nxt is not None:
            nstart = nxt.effective_from or dt.date.min
            if (t.effective_from or dt.date.min) == nstart or (t.effective_to is not None and t.effective_to >= nstart):
                raise _fail(
                    path, iid, "from", f"effective dates overlap ({t.effective_from or 'start'} and {nxt.effective_from or 'start'})"
                )
            if t.effective_to is None:
                t = replace(t, effective_to=nstart - dt.timedelta(days=1))
        out.append(t)
    return out


def _parse_defaults(path: Path, raw: Any) -> dict[str, tuple[str, float]]:
    defaults: dict[str, tuple[str, float]] = {**DEFAULT_TOLERANCE, "other": DEFAULT_OTHER}
    for unit, spec in (raw or {}).items():
        if not isinstance(spec, dict) or len(spec) != 1 or next(iter(spec)) not in ("tolerance", "tolerance_relative"):
            raise _fail(path, None, f"defaults.{unit}", "expected {tolerance: N} or {tolerance_relative: N}")
        key, val = next(iter(spec.items()))
        defaults[unit] = ("absolute" if key == "tolerance" else "relative", _number(path, None, f"defaults.{unit}", val))
    return defaults


def targets_path(path: str | Path | None = None) -> Path | None:
    """The targets file in use: `path`, else the repository's config/targets.yaml, else the packaged copy, else none."""
    if path is not None:
        return Path(path)
    return next((p for p in (REPO_TARGETS, PACKAGE_TARGETS) if p.exists()), None)


def load_targets(path: str | Path | None = None, registry: Mapping[str, Any] | None = None) -> TargetBook:
    """Read a targets file (default: the repository's config/targets.yaml, else the packaged copy)."""
    if registry is None:
        from cscperf.indicators.registry import REGISTRY as registry  # noqa: N811 - late import keeps judge light
    path = targets_path(path)
    if path is None:
        return TargetBook(registry, {}, {**DEFAULT_TOLERANCE, "other": DEFAULT_OTHER})
    try:
        doc = yaml.load(path.read_text(encoding="utf-8"), Loader=_Loader) or {}  # noqa: S506 - a SafeLoader
    except FileNotFoundError:
        raise UserError(f"{path}: targets file not found") from None
    except yaml.YAMLError as exc:
        raise UserError(f"{path}: not valid YAML ({exc.__class__.__name__})") from None
    if not isinstance(doc, dict) or not set(doc) <= {"defaults", "indicators"}:
        raise _fail(path, None, None, "expected top-level keys 'defaults' and 'indicators'")
    defaults = _parse_defaults(path, doc.get("defaults"))
    entries: dict[str, list[Target]] = {}
    for iid, raw in (doc.get("indicators") or {}).items():
        if iid not in registry:
            raise _fail(path, str(iid), None, "unknown indicator id")
        raws = raw if isinstance(raw, list) else [raw]
        parsed = [_parse_entry(path, registry[iid], r, defaults) for r in raws]
        entries[iid] = _close_ranges(path, iid, parsed)
    return TargetBook(registry, entries, defaults)
