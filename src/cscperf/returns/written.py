"""What writing one statutory return produced: the shared result of every return writer.

Each return has one writer module in this package (`cin_census`, `ssda903`, `annex_a`) exposing

    write(con, year, out_dir) -> WrittenReturn

which selects that collection year's population from the warehouse and writes the return's files into
`out_dir`. `year` names the 31 March the collection year ends on (2025 = 2024-25). The `cscperf export`
commands, `cscperf validate --year` and the return workflow (`cscperf returns prepare`) all call it.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path


@dataclass(frozen=True)
class WrittenReturn:
    kind: str  # "cin", "ssda903" or "annex-a"
    year: int
    files: tuple[Path, ...]
    children: frozenset[str]  # every child id in the return (for the audit log and the year-on-year comparison)
    counts: dict[str, int] = field(default_factory=dict)  # key counts by name, e.g. {"children": 1234, "episodes": 1500}
    problems: tuple[str, ...] = ()  # schema problems found while writing (empty when the files are valid)


def year_bounds(year: int) -> tuple[dt.date, dt.date]:
    """First and last day of the collection year ending 31 March `year`."""
    return dt.date(year - 1, 4, 1), dt.date(year, 3, 31)
