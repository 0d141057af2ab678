"""Build the trimmed benchmark files shipped in the package from the published DfE statistics.

Run once when new statistics are published (the output is committed; nothing is fetched at run time):

    .venv/bin/python -m cscperf.judge.build_benchmarks /work/shared/data/benchmarks/published

It reads `mapping.yaml`, keeps the mapped measures for England, regions and LAs in the most recent
`YEARS_KEPT` years (values as published, suppression symbols included), and writes `published.csv`;
and writes `authorities.csv` (LA code, name, region, 2025 statistical neighbours).
"""

from __future__ import annotations

import sys
from pathlib import Path

import pandas as pd

from cscperf.judge.benchmarks import DATA_DIR, load_mapping

YEARS_KEPT = 3
# LAIT labels regions slightly differently from explore-education-statistics.
_REGION_ALIASES = {
    "yorkshire and the humber": "Yorkshire and The Humber",
    "london (inner)": "Inner London",
    "london (outer)": "Outer London",
}
_LAIT_ENGLAND = 970


def _ees_rows(frame: pd.DataFrame, column: str) -> pd.DataFrame:
    level = frame["geographic_level"].map({"National": "england", "Regional": "region", "Local authority": "la"})
    code = frame["old_la_code"].where(level == "la", frame["region_name"].where(level == "region", "E92000001"))
    return pd.DataFrame({"year": frame["time_period"].str[:4], "level": level, "code": code, "value": frame[column]})


def _lait_rows(frame: pd.DataFrame, column: str) -> pd.DataFrame:
    number = pd.to_numeric(frame["LA Number"], errors="coerce").astype("Int64")
    level = pd.Series("la", index=frame.index).mask(number >= 980, "region").mask(number == _LAIT_ENGLAND, "england")
    names = frame["LA and Regions"].map(lambda n: _REGION_ALIASES.get(str(n).lower(), n))
    code = number.astype(str).where(level == "la", names.where(level == "region", "E92000001"))
    # LAIT writes every missing or suppressed value as '-', losing the reason.
    value = frame[column].replace("-", "x").map(_tidy_number)
    return pd.DataFrame({"year": frame["Years"].str[:4], "level": level, "code": code, "value": value})


def _tidy_number(text: str) -> str:
    """LAIT stores some figures with float noise ('4.4000000000000004'); keep the published digits."""
    try:
        return f"{float(text):.10g}"
    except ValueError:
        return text


def _read(source_dir: Path, spec: dict, cache: dict[str, pd.DataFrame]) -> pd.DataFrame:
    name = spec["file"]
    if name not in cache:
        path = source_dir / name
        cache[name] = (
            pd.read_parquet(path).astype(str) if name.endswith(".parquet") else pd.read_csv(path, dtype=str, keep_default_na=False)
        )
        cache[name].columns = [c.lstrip("\ufeff") for c in cache[name].columns]
    frame = cache[name]
    for col, val in (spec.get("filter") or {}).items():
        frame = frame[frame[col] == str(val)]
    return frame


def build_published(source_dir: Path) -> pd.DataFrame:
    """One row per (indicator_id, year, level, code) with the value exactly as published."""
    cache: dict[str, pd.DataFrame] = {}
    parts = []
    for indicator_id, entry in load_mapping().items():
        spec = entry["published"]
        if spec is None:
            continue
        frame = _read(source_dir, spec, cache)
        rows = _ees_rows(frame, spec["column"]) if spec["format"] == "ees" else _lait_rows(frame, spec["column"])
        rows = rows[rows["year"].str.fullmatch(r"\d{4}")]
        keep = sorted(rows["year"].unique())[-YEARS_KEPT:]
        rows = rows[rows["year"].isin(keep)].drop_duplicates(["year", "level", "code"])
        parts.append(rows.assign(indicator_id=indicator_id))
    out = pd.concat(parts)[["indicator_id", "year", "level", "code", "value"]]
    return out.sort_values(["indicator_id", "year", "level", "code"]).reset_index(drop=True)


def build_authorities(source_dir: Path) -> pd.DataFrame:
    """LA code, name, region (EES naming) and the ten 2025 statistical neighbours."""
    codes = pd.read_excel(source_dir / "la_code_list.xlsx", dtype=str)
    region = codes["Region"].replace({"Inner London": "London", "Outer London": "London"})
    out = pd.DataFrame({"la_code": codes["LA Number"].str.zfill(3), "la_name": codes["LA Name"], "region": region})
    sn = pd.read_csv(source_dir / "sn_model_2025_wide.csv", dtype=str, encoding="utf-8-sig")
    sn = sn[["old_la_code"] + [f"SN_{i}" for i in range(1, 11)]].rename(columns={"old_la_code": "la_code"})
    sn.columns = ["la_code"] + [f"sn{i}" for i in range(1, 11)]
    return out.merge(sn, on="la_code", how="left").sort_values("la_code").reset_index(drop=True)


def main(source_dir: str) -> None:
    src = Path(source_dir)
    build_published(src).to_csv(DATA_DIR / "published.csv", index=False)
    build_authorities(src).to_csv(DATA_DIR / "authorities.csv", index=False)
    print(f"wrote {DATA_DIR / 'published.csv'} and {DATA_DIR / 'authorities.csv'}")


if __name__ == "__main__":
    main(sys.argv[1])
