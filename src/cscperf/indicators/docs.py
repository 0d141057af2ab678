"""Render docs/indicators.md from the registry (a test fails when the file is stale)."""

from __future__ import annotations

from pathlib import Path

from cscperf.indicators.model import Settings
from cscperf.indicators.registry import AREAS, REGISTRY, Indicator
from cscperf.indicators.versions import HISTORY_PATH, DefinitionChange, definition_history, definition_versions

DOC_PATH = Path(__file__).resolve().parents[3] / "docs" / "indicators.md"

INTRO = """# Indicator catalogue

Generated from the registry (`src/cscperf/indicators/catalogue/`) by `python -m cscperf.indicators.docs`;
a test fails when this file is stale. `cscperf indicators` lists the same entries.

Conventions for every indicator: periods (`month`, `rolling12`, `ytd`, `year`; `quarter` where an entry is
quarterly, figured only at 30 June, 30 September, 31 December and 31 March), working days (`wd(a, b)`
counts working days d with a < d <= b, England and Wales bank holidays), calendar months clamped to month
end, rates per 10,000 children aged 0-17, percentages with no value when the denominator is 0. Practice
indicators (marked ⚑) also give the child-level exception list behind the figure (`cscperf export exceptions`).

Settings (configurable conventions) and their defaults: {settings}.
"""


def _target(ind: Indicator) -> str:
    if ind.target_band:
        return f"band {ind.target_band[0]:g}-{ind.target_band[1]:g}"
    return "" if ind.target is None else f"{ind.target:g}"


def _entry(ind: Indicator, version: str) -> str:
    flag = " ⚑" if ind.practice else ""
    lines = [
        f"### `{ind.id}`{flag}: {ind.name}",
        "",
        f"- **Unit**: {ind.unit}; **polarity**: {ind.polarity}; **default target**: {_target(ind) or 'none'}"
        f" (RAG judged on `{ind.rag_basis}`)",
        f"- **Bases**: {', '.join(ind.bases)}{' (snapshot at the period end)' if ind.snapshot else ''}",
        f"- **Breakdowns**: {', '.join(ind.breakdowns)}",
        f"- **Rule**: {ind.rule}",
    ]
    if ind.numerator:
        lines.append(f"- **Numerator**: {ind.numerator}")
    if ind.denominator:
        lines.append(f"- **Denominator**: {ind.denominator}")
    if ind.variant_of:
        lines.append(f"- **Variant of**: `{ind.variant_of}`")
    if ind.notes:
        lines.append(f"- **Conventions**: {ind.notes}")
    lines.append(f"- **Source**: {ind.source}")
    lines.append(f"- **Definition version**: `{version}`")
    return "\n".join(lines) + "\n"


CHANGES_INTRO = """## Definition changes

Every figure `cscperf compute` stores carries its indicator's definition version: a hash of the registry
entry's computing parts and the SQL of its whole-authority figure (not its wording, nor the run's dates).
Where a stored series mixes versions, or a load changes the source system of a table the indicator reads,
charts in the report and on the dashboard mark a break in series with a caveat. Each version, with the
date it was recorded and what changed, is in `src/cscperf/indicators/{history}` (a test fails when an
indicator's current version is missing from it). Newest first:

| Indicator | Version | Recorded | What changed |
| --- | --- | --- | --- |
"""


def _changes(history: list[DefinitionChange]) -> str:
    rows = sorted(history, key=lambda c: (-c.date.toordinal(), c.indicator_id))
    lines = [f"| `{c.indicator_id}` | `{c.version}` | {c.date.isoformat()} | {c.change} |" for c in rows]
    return CHANGES_INTRO.format(history=HISTORY_PATH.name) + "\n".join(lines) + "\n"


def render() -> str:
    settings = ", ".join(f"`{k}` = {v}" for k, v in vars(Settings()).items())
    versions = definition_versions()
    parts = [INTRO.format(settings=settings)]
    for letter, title in AREAS.items():
        entries = [i for i in REGISTRY.values() if i.area == letter]
        if entries:
            parts.append(f"## {letter}. {title}\n")
            parts.extend(_entry(i, versions[i.id]) for i in entries)
    parts.append(_changes(definition_history()))
    return "\n".join(parts)


if __name__ == "__main__":
    DOC_PATH.write_text(render())
    print(f"wrote {DOC_PATH}")
