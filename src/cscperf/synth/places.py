"""Where children live and are placed: real postcodes of the authority and its neighbours.

Postcodes come from D2I's maintained lookup (`cscperf.postcodes`), so the placement's authority and
distance from home derived from them are those DfE's validator derives. A child's home postcode is a
function of the child and the seed, so every step (people, placements) agrees on it. An authority the two D2I
lookups do not connect (a few whose district codes changed, in the `england` profile) gets no postcodes.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np

from cscperf import postcodes
from cscperf.synth.context import Ctx
from cscperf.synth.profiles import Authority

NEIGHBOUR_KM = 40  # authorities whose centre is this close count as neighbours
OWN, NEAR = 0, 1


@lru_cache(maxsize=256)
def pools(ons_name: str) -> tuple[np.ndarray, np.ndarray]:
    """(own postcodes, neighbours' postcodes) of an authority named as in the ONS lookup."""
    code = postcodes.ons_code(ons_name)
    if code is None:
        raise ValueError(f"authority {ons_name!r} is not in D2I's authority lookup: it needs a postcode_area in its profile")
    near = postcodes.neighbours(code, NEIGHBOUR_KM)
    frame = postcodes.postcodes_of(near)
    own = frame.loc[frame["authority"] == code, "pcd"].to_numpy(object)
    others = frame.loc[frame["authority"] != code, "pcd"].to_numpy(object)
    return own, (others if others.size else own)


def _pool(auth: Authority, which: int) -> np.ndarray:
    return pools(auth.ons_name)[which]


def home_postcodes(ctx: Ctx, person: np.ndarray) -> np.ndarray:
    """Each child's home postcode in their authority: the same for a child whichever step asks."""
    person = np.asarray(person, dtype="int64")
    la = ctx.la_of(person)
    out = np.empty(person.size, dtype=object)
    for k, auth in enumerate(ctx.auths):
        own = _pool(auth, OWN)
        mine = la == k
        if own.size:
            out[mine] = own[_spread(person[mine], ctx.seed) % own.size]
    return out


def sample(ctx: Ctx, la: np.ndarray, near: np.ndarray) -> np.ndarray:
    """A random postcode per row: in the row's authority, or (where `near`) in a neighbouring one."""
    out = np.empty(la.size, dtype=object)
    for k, auth in enumerate(ctx.auths):
        for which in (OWN, NEAR):
            rows = np.flatnonzero((la == k) & (near == bool(which)))
            pool = _pool(auth, which)
            if pool.size:
                out[rows] = pool[ctx.rng.integers(0, pool.size, rows.size)]
    return out


def _spread(person: np.ndarray, seed: int) -> np.ndarray:
    """A well-mixed non-negative integer per child (SplitMix64 of id and seed)."""
    with np.errstate(over="ignore"):  # arithmetic modulo 2**64 is the point
        x = person.astype("uint64") + np.uint64(seed) * np.uint64(0x9E3779B97F4A7C15)
        x = (x ^ (x >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        x = (x ^ (x >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
        x = x ^ (x >> np.uint64(31))
    return (x >> np.uint64(1)).astype("int64")
