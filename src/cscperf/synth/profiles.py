"""Profiles: which authorities a synthetic warehouse holds, their size and their rates.

Rates are per 10,000 children aged 0-17 per year. The default authority is calibrated to the
published figures for Peterborough (LA 874); `england` takes every authority's name, region,
population and headline rates from `data/authorities.csv`, built from the DfE/ONS files in
shared/data/benchmarks/published (see data/README.md).
"""

from __future__ import annotations

import csv
from dataclasses import dataclass, replace
from functools import lru_cache
from pathlib import Path

AUTHORITIES_FILE = Path(__file__).with_name("data") / "authorities.csv"
# Authorities formed after D2I's 2021 authority lookup, by the authority whose area (and postcodes) they took.
PREDECESSOR = {"Cumberland": "Cumbria", "Westmorland and Furness": "Cumbria"}


@dataclass(frozen=True)
class Authority:
    la_code: str
    name: str
    region_code: str
    region_name: str
    population: int  # children aged 0-17 at the last mid-year before the end date
    referral_rate: float  # referrals per 10,000 a year
    cla_rate: float  # looked after at 31 March per 10,000
    cla_start_rate: float  # starting to be looked after per 10,000 a year
    cp_rate: float  # on a CP plan at 31 March per 10,000
    postcode_area: str = ""  # authority (ONS name) whose real postcodes it uses, if not its own name

    @property
    def ons_name(self) -> str:
        return self.postcode_area or self.name


@dataclass(frozen=True)
class Profile:
    name: str
    description: str
    authorities: tuple[Authority, ...]
    chunk: int = 1  # authorities generated (and inserted) together
    burn_in_years: int = 2  # history simulated before the first collection year

    @property
    def population(self) -> int:
        return sum(a.population for a in self.authorities)


@lru_cache(maxsize=1)
def published_authorities() -> dict[str, Authority]:
    with AUTHORITIES_FILE.open(encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    return {
        r["la_code"]: Authority(
            r["la_code"],
            r["la_name"],
            r["region_code"],
            r["region_name"],
            int(r["population"]),
            float(r["referral_rate"]),
            float(r["cla_rate"]),
            float(r["cla_start_rate"]),
            float(r["cp_rate"]),
            PREDECESSOR.get(r["la_name"], ""),
        )
        for r in rows
    }


def _peterborough() -> Authority:
    base = published_authorities()["874"]
    # Calibrated to the published 2021-2025 series (~3,700 referrals, ~220 on plans, 1,750-2,400 children in
    # need at 31 March) and to the council's looked-after target band (325-360): about 355-385 looked after,
    # between that band and the published 354-422 (2022-2025).
    return replace(base, population=57_600, referral_rate=655.0, cla_rate=60.0, cla_start_rate=28.5, cp_rate=39.0)


def _large() -> Authority:
    base = published_authorities()["330"]
    return replace(base, population=290_000)


def _tiny() -> Authority:
    # Addresses are Rutland's real postcodes (a small East Midlands unitary), so placement authorities and distances are real.
    return Authority("999", "Tinytown (synthetic)", "E12000006", "East of England", 6_000, 655.0, 69.0, 28.5, 39.0, "Rutland")


def _build() -> dict[str, Profile]:
    return {
        "peterborough": Profile("peterborough", "Peterborough-sized unitary authority (LA 874)", (_peterborough(),)),
        "large": Profile("large", "Birmingham-sized authority (LA 330)", (_large(),)),
        "england": Profile(
            "england",
            "All English authorities, each with its own code, region, population and rates",
            tuple(published_authorities().values()),
            chunk=12,
            burn_in_years=1,  # one year of history is enough for re-referrals and plan stocks
        ),
        "tiny": Profile("tiny", "A small authority for fast tests", (_tiny(),)),
        # DfE's rules check the LA code inside each UPN and the authority's name, which Tinytown's 999 is not.
        "rutland": Profile("rutland", "The smallest real authority (LA 857): fast tests of DfE's rules", (published_authorities()["857"],)),
    }


PROFILES: dict[str, Profile] = _build()


def in_region(profile: Profile, region: str) -> Profile | None:
    """The profile's authorities in one region, named by its ONS code or name (any case); None if it has none there."""
    wanted = region.strip().casefold()
    auths = tuple(a for a in profile.authorities if wanted in (a.region_code.casefold(), a.region_name.casefold()))
    if not auths:
        return None
    return replace(profile, name=f"{profile.name} ({auths[0].region_name})", authorities=auths)


def regions(profile: Profile) -> list[str]:
    """The regions a profile's authorities are in, by name."""
    return sorted({a.region_name for a in profile.authorities})
