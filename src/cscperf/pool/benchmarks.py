"""Benchmarks from pooled results: every authority's figure on cscperf's own definitions, for the current month.

`pooled_benchmarks` makes one table: per indicator and basis, each authority's figure (level `la`) and, for England
(every authority in the pool) and each region, the pooled figure (numerators and denominators summed, so it is the
figure for the combined population, as DfE's national figures are), the mean, median and quartiles of the
authorities' figures, and how many there are. `PooledBenchmarks` reads that table for `judge`, which can show it
instead of or beside the published benchmarks (`judge --benchmarks pooled|both`), labelled as pooled.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pandas as pd

from cscperf.errors import UserError
from cscperf.indicators.engine import figure_value
from cscperf.indicators.registry import REGISTRY
from cscperf.judge.benchmarks import DATA_DIR, Benchmark, Published, quartile_band, sn_average

ENGLAND = "E92000001"
BENCHMARK_COLUMNS = [
    "indicator_id",
    "basis",
    "period_end",
    "level",
    "code",
    "region",
    "authorities",
    "value",
    "mean",
    "median",
    "q25",
    "q75",
]


def _pooled(group: pd.DataFrame) -> pd.Series:
    ind = REGISTRY[group.name[0]]
    values = group.value.dropna().to_numpy(dtype=float)
    if ind.measure.kind == "max":  # the longest of the longest
        pooled = group.numerator.max()
    else:
        num, den = pd.Series([group.numerator.sum(min_count=1)]), pd.Series([group.denominator.sum(min_count=1)])
        pooled = figure_value(ind.unit, ind.measure.kind, num, den).iloc[0]
    q25, q50, q75 = np.quantile(values, [0.25, 0.5, 0.75]) if len(values) else (np.nan,) * 3  # numpy linear = R type 7
    mean = values.mean() if len(values) else np.nan
    return pd.Series({"authorities": len(values), "value": pooled, "mean": mean, "median": q50, "q25": q25, "q75": q75})


def pooled_benchmarks(results: pd.DataFrame, regions: dict[str, str], period_end: dt.date) -> pd.DataFrame:
    """The benchmark table at `period_end` from pooled result rows (the `la` breakdown, one per authority)."""
    la = results[(results.breakdown == "la") & (pd.to_datetime(results.period_end).dt.date == period_end)].copy()
    if la.empty:
        raise UserError(f"--period-end {period_end}: the pooled results have no authority figures for that month end")
    la["code"] = la.breakdown_value.astype(str)
    la["region"] = la.code.map(regions).fillna("")
    own = la.assign(level="la", authorities=1, mean=np.nan, median=np.nan, q25=np.nan, q75=np.nan)
    frames = [own]
    for level, by in (("england", None), ("region", "region")):
        keys = ["indicator_id", "basis"] + ([by] if by else [])
        rows = la[la.region != ""] if by else la
        agg = rows.groupby(keys, sort=True)[["numerator", "denominator", "value"]].apply(_pooled).reset_index()
        frames.append(agg.assign(level=level, code=agg[by] if by else ENGLAND, region=agg[by] if by else ""))
    out = pd.concat(frames, ignore_index=True).assign(period_end=period_end)
    return out[BENCHMARK_COLUMNS].sort_values(["indicator_id", "basis", "level", "code"], ignore_index=True)


def pool_regions(source: Path) -> dict[str, str]:
    """Each pooled authority's region name, from the authorities' own ext_authority rows."""
    import duckdb

    from cscperf.pool import layout

    layout.check_pool(Path(source))
    glob = layout.table_glob(Path(source).resolve(), "ext_authority").replace("'", "''")
    with duckdb.connect() as con:
        rows = con.execute(f"SELECT DISTINCT auth_la_code, auth_region_name FROM read_parquet('{glob}')").fetchall()
    return {str(code): name or "" for code, name in rows}


class PooledBenchmarks:
    """Benchmarks for `judge` from a pooled benchmark table; statistical neighbours from the shipped list."""

    def __init__(self, table: pd.DataFrame, neighbours: dict[str, list[str]] | None = None) -> None:
        self.table = table.astype({"code": str}).assign(region=table.region.fillna(""))
        self.neighbours = neighbours if neighbours is not None else shipped_neighbours()
        self._by_key = {k: g for k, g in self.table.groupby(["indicator_id", "basis"])}

    @classmethod
    def read(cls, path: Path) -> PooledBenchmarks:
        try:
            table = pd.read_csv(path, dtype={"code": str, "level": str, "region": str}, keep_default_na=False, na_values=[""])
        except (OSError, ValueError) as exc:
            raise UserError(f"{path}: cannot read the pooled benchmarks ({exc})") from None
        missing = set(BENCHMARK_COLUMNS) - set(table.columns)
        if missing:
            raise UserError(f"{path}: not a pooled benchmark table (no {', '.join(sorted(missing))} column)")
        return cls(table)

    def get(self, indicator_id: str, la_code: str, polarity: str, basis: str) -> Benchmark:
        rows = self._by_key.get((indicator_id, basis))
        if rows is None:
            return Benchmark(indicator_id, reason="no pooled figures")
        la = rows[rows.level == "la"]
        values = dict(zip(la.code, la.value, strict=True))
        own = _published(values.get(la_code))
        cell = {(lvl, code): v for lvl, code, v in zip(rows.level, rows.code, rows.value, strict=True)}
        region = str(la.region[la.code == la_code].iloc[0]) if la_code in values else ""
        sn = [_published(values.get(c)) for c in self.neighbours.get(la_code, []) if c in values]
        mean, n = sn_average(sn, "mean")
        median, _ = sn_average(sn, "median")
        la_values = tuple(float(v) for v in la.value.dropna())
        period_end = str(rows.period_end.iloc[0])
        return Benchmark(
            indicator_id,
            year=int(period_end[:4]),
            year_label=f"pooled, {basis} to {period_end}",
            la=own,
            england=_published(cell.get(("england", ENGLAND))),
            region=_published(cell.get(("region", region))),
            region_name=region,
            sn_mean=mean,
            sn_median=median,
            sn_count=n,
            quartile=quartile_band(own.value, la_values, polarity),
            note=f"pooled from {len(la_values)} authorities on cscperf's definitions",
            la_values=la_values,
        )


def _published(value: object) -> Published:
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return Published(None, "not in the pool")
    return Published(float(value))


def shipped_neighbours() -> dict[str, list[str]]:
    auth = pd.read_csv(DATA_DIR / "authorities.csv", dtype=str, keep_default_na=False)
    cols = [f"sn{i}" for i in range(1, 11)]
    return {row.la_code: [str(row[c]).zfill(3) for c in cols if row[c]] for _, row in auth.iterrows()}


POOLED_COLUMNS = ("england", "region", "sn_mean", "band")


def with_pooled(frame: pd.DataFrame, figures: list, la_code: str, pooled: PooledBenchmarks, mode: str) -> pd.DataFrame:
    """The judged table with pooled benchmarks: `pooled` in place of the published ones, `both` beside them (as
    pool_england, pool_region, pool_sn_mean, pool_band); `benchmark_source` says which the columns hold."""
    cells = []
    for fig in figures:  # judge.assess.Figure, in the table's order
        b = pooled.get(fig.id, la_code, fig.indicator.polarity, fig.basis)
        ok = b.available
        cells.append(
            {
                "england": b.england.value if ok else None,
                "region": b.region.value if ok else None,
                "sn_mean": b.sn_mean if ok else None,
                "band": b.band(fig.value, fig.indicator.polarity) if ok else None,
            }
        )
    pooled_cells = pd.DataFrame(cells, columns=list(POOLED_COLUMNS), index=frame.index)
    if mode == "pooled":
        return frame.assign(**{c: pooled_cells[c] for c in POOLED_COLUMNS}, benchmark_source="pooled")
    return frame.assign(**{f"pool_{c}": pooled_cells[c] for c in POOLED_COLUMNS}, benchmark_source="published; pool_* pooled")
