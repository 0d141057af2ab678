"""Benchmarks from published statistics: England, region, statistical neighbours, quartile band.

The published values ship in `cscperf/data/benchmarks/` (built by `build_benchmarks` from the
DfE files, see SOURCES.md); `mapping.yaml` says which published measure benchmarks which
indicator, or why none does. Suppression symbols are kept as missing values with a reason.
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

DATA_DIR = Path(__file__).resolve().parent.parent / "data" / "benchmarks"

# GSS/DfE symbols (statutory-definitions.md §4): never zero, always missing with a reason.
SYMBOLS = {
    "c": "suppressed (small number)",
    "x": "not available",
    "z": "not applicable",
    "k": "rounds to zero",
    "low": "rounds to zero",
    ":": "not available",
    "": "not published",
}


@dataclass(frozen=True)
class Published:
    """One published cell: a number, or no number and the reason why."""

    value: float | None
    reason: str | None = None
    raw: str = ""

    @property
    def ok(self) -> bool:
        return self.value is not None


def parse_published(raw: object) -> Published:
    """Read a published value; suppression symbols become missing values with their reason."""
    if raw is None or (isinstance(raw, float) and np.isnan(raw)):
        return Published(None, SYMBOLS[""], "")
    text = str(raw).strip()
    if text.lower() in SYMBOLS:
        return Published(None, SYMBOLS[text.lower()], text)
    try:
        return Published(float(text), None, text)
    except ValueError:
        return Published(None, f"unreadable value {text!r}", text)


@dataclass(frozen=True)
class Benchmark:
    """The comparison figures for one indicator and authority, from the latest published year."""

    indicator_id: str
    reason: str | None = None  # why there is no benchmark at all (no published measure, no data)
    year: int | None = None
    year_label: str = ""
    la: Published = Published(None)
    england: Published = Published(None)
    region: Published = Published(None)
    region_name: str = ""
    sn_mean: float | None = None
    sn_median: float | None = None
    sn_count: int = 0
    quartile: str | None = None  # band A-D of the authority's own published value
    note: str | None = None
    la_values: tuple[float, ...] = field(default=(), repr=False)  # every LA's value, for banding our own figure

    @property
    def available(self) -> bool:
        return self.reason is None

    def sn(self, method: str = "mean") -> float | None:
        return self.sn_median if method == "median" else self.sn_mean

    def band(self, value: float | None, polarity: str) -> str | None:
        """Quartile band A-D a value would take among the published LA values."""
        return quartile_band(value, self.la_values, polarity)


def quartile_band(value: float | None, la_values: tuple[float, ...] | list[float], polarity: str) -> str | None:
    """LAIT quartile band: quartiles of LA values by R's type-7 quantile; A is the best quarter.

    High polarity: A at or above the 75th percentile ... D below the 25th. Low polarity: A at or
    below the 25th percentile ... D above the 75th. No band without a polarity or a value.
    """
    if value is None or polarity not in ("high", "low") or len(la_values) == 0:
        return None
    q25, q50, q75 = np.quantile(np.asarray(la_values, dtype=float), [0.25, 0.5, 0.75])  # numpy 'linear' = R type 7
    if polarity == "high":
        return "A" if value >= q75 else "B" if value >= q50 else "C" if value >= q25 else "D"
    return "A" if value <= q25 else "B" if value <= q50 else "C" if value <= q75 else "D"


def sn_average(values: list[Published], method: str = "mean") -> tuple[float | None, int]:
    """Average of the neighbours' values leaving out missing ones (LAIT mean; DfE dashboard median)."""
    nums = [v.value for v in values if v.value is not None]
    if not nums:
        return None, 0
    avg = statistics.median(nums) if method == "median" else statistics.fmean(nums)
    return avg, len(nums)


def year_label(year: int, year_type: str) -> str:
    return f"Sep {year}" if year_type == "september" else f"{year - 1}-{str(year)[2:]}"


@cache
def load_mapping(path: Path | None = None) -> dict[str, dict]:
    with open(path or DATA_DIR / "mapping.yaml", encoding="utf-8") as fh:
        return yaml.safe_load(fh)


class Benchmarks:
    """Published benchmark values, looked up by indicator and LA code."""

    def __init__(self, published: pd.DataFrame, authorities: pd.DataFrame, mapping: dict[str, dict]) -> None:
        self.published = published.astype({"year": int, "code": str, "value": str})
        self.authorities = authorities.set_index("la_code")
        self.mapping = mapping
        self._by_id = {k: g for k, g in self.published.groupby("indicator_id")}
        self._memo: dict[tuple, Benchmark] = {}  # the published data never change while loaded

    @classmethod
    @cache
    def default(cls) -> Benchmarks:
        pub = pd.read_csv(DATA_DIR / "published.csv", dtype=str, keep_default_na=False)
        auth = pd.read_csv(DATA_DIR / "authorities.csv", dtype=str, keep_default_na=False)
        return cls(pub, auth, load_mapping())

    def region_of(self, la_code: str) -> str:
        return str(self.authorities.at[la_code, "region"]) if la_code in self.authorities.index else ""

    def la_name(self, la_code: str) -> str:
        return str(self.authorities.at[la_code, "la_name"]) if la_code in self.authorities.index else la_code

    def neighbours(self, la_code: str) -> list[str]:
        if la_code not in self.authorities.index:
            return []
        row = self.authorities.loc[la_code]
        return [str(row[f"sn{i}"]).zfill(3) for i in range(1, 11) if str(row[f"sn{i}"])]

    def get(self, indicator_id: str, la_code: str, polarity: str = "neutral", year: int | None = None) -> Benchmark:
        """The benchmark for an indicator: the latest published year unless `year` is given."""
        key = (indicator_id, la_code, polarity, year)
        if key not in self._memo:
            self._memo[key] = self._get(indicator_id, la_code, polarity, year)
        return self._memo[key]

    def _get(self, indicator_id: str, la_code: str, polarity: str, year: int | None) -> Benchmark:
        entry = self.mapping.get(indicator_id)
        if entry is None:
            return Benchmark(indicator_id, reason="not in the benchmark mapping")
        if entry.get("published") is None:
            return Benchmark(indicator_id, reason=entry.get("reason") or "no published measure")
        rows = self._by_id.get(indicator_id)
        if rows is None or rows.empty:
            return Benchmark(indicator_id, reason="no published values shipped")
        year = year or int(rows["year"].max())
        rows = rows[rows["year"] == year]
        return self._benchmark(indicator_id, entry["published"], rows, la_code, polarity, year)

    def _benchmark(self, indicator_id: str, spec: dict, rows: pd.DataFrame, la_code: str, polarity: str, year: int) -> Benchmark:
        cells = {(lvl, code): parse_published(v) for lvl, code, v in zip(rows["level"], rows["code"], rows["value"], strict=True)}
        region = self.region_of(la_code)
        sn_vals = [cells.get(("la", c), Published(None, SYMBOLS[""])) for c in self.neighbours(la_code)]
        mean, n = sn_average(sn_vals, "mean")
        median, _ = sn_average(sn_vals, "median")
        la_values = tuple(p.value for (lvl, _), p in cells.items() if lvl == "la" and p.value is not None)
        own = cells.get(("la", la_code), Published(None, SYMBOLS[""]))
        return Benchmark(
            indicator_id,
            year=year,
            year_label=year_label(year, spec.get("year_type", "financial")),
            la=own,
            england=cells.get(("england", "E92000001"), Published(None, SYMBOLS[""])),
            region=cells.get(("region", region), Published(None, SYMBOLS[""])),
            region_name=region,
            sn_mean=mean,
            sn_median=median,
            sn_count=n,
            quartile=quartile_band(own.value, la_values, polarity),
            note=spec.get("note"),
            la_values=la_values,
        )
