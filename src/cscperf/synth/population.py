"""The child population (ONS-style mid-year estimates by age and sex) and the authority list."""

from __future__ import annotations

import numpy as np
import pandas as pd

from cscperf.synth.profiles import Authority

GROWTH = 0.009  # yearly growth of the 0-17 population, as in the published 2019-2024 series
MALE_SHARE = 0.512


def population_frame(rng: np.random.Generator, auths: tuple[Authority, ...], first_year: int, last_year: int) -> pd.DataFrame:
    """Births, ageing and net migration by cohort; each year's total matches the authority's trend."""
    years = np.arange(first_year, last_year + 1)
    frames = []
    for a in auths:
        birth_years = np.arange(first_year - 17, last_year + 1)
        cohort = np.cumprod(1 + rng.normal(0.004, 0.015, birth_years.size))
        ages = np.arange(18)
        idx = years[:, None] - ages[None, :] - birth_years[0]
        counts = cohort[idx] * (1 + 0.003 * ages[None, :])  # a little net in-migration with age
        target = a.population * (1 + GROWTH) ** (years - last_year)
        counts = _whole(counts / counts.sum(axis=1, keepdims=True) * target[:, None], np.rint(target).astype("int64"))
        male = np.rint(counts * MALE_SHARE).astype("int64")
        female = counts - male
        for sex, arr in (("M", male), ("F", female)):
            frames.append(
                pd.DataFrame(
                    {
                        "popn_la_code": a.la_code,
                        "popn_year": np.repeat(years, 18),
                        "popn_age": np.tile(ages, years.size),
                        "popn_sex": sex,
                        "popn_count": arr.ravel(),
                    }
                )
            )
    return pd.concat(frames, ignore_index=True)


def _whole(counts: np.ndarray, totals: np.ndarray) -> np.ndarray:
    """Round each row to whole children keeping the row total exact (largest remainders get the extra ones)."""
    base = np.floor(counts).astype("int64")
    short = totals - base.sum(axis=1)
    rank = np.argsort(np.argsort(-(counts - base), axis=1, kind="stable"), axis=1, kind="stable")
    return base + (rank < short[:, None]).astype("int64")


def authority_frame(auths: tuple[Authority, ...]) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "auth_la_code": [a.la_code for a in auths],
            "auth_la_name": [a.name for a in auths],
            "auth_region_code": [a.region_code for a in auths],
            "auth_region_name": [a.region_name for a in auths],
        }
    )
