"""Postcode lookups (D2I's maintained postcode and authority lists): authority and distance, worked by hand."""

from __future__ import annotations

import pandas as pd

from cscperf import postcodes


def test_lookup_gives_the_upper_tier_authority_and_grid_reference():
    found = postcodes.lookup(pd.Series(["PE1 1AA", "le15 6hp", None, "ZZ9 9ZZ", "CF10 1AA"]))
    assert list(found["authority"].iloc[:2]) == ["E06000031", "E06000017"]  # Peterborough, Rutland
    assert (found.loc[0, "e"], found.loc[0, "n"]) == (518685.0, 298943.0)
    assert found["authority"].iloc[2:4].isna().all()  # blank and unknown postcodes: nothing
    assert found.loc[4, "authority"] == "WAL"  # Cardiff: DfE's code for Wales


def test_distance_is_dfes_straight_line_in_miles():
    # PE1 1AA (518685, 298943) to LE15 6HP (486331, 308601): sqrt(32354^2 + 9658^2) = 33,764.7 m / 1,609.3 = 20.98
    got = postcodes.distance_miles(pd.Series(["PE1 1AA", "PE1 1AA"]), pd.Series(["LE15 6HP", None]))
    assert got.iloc[0] == 21.0 and pd.isna(got.iloc[1])


def test_tidy_and_authority_names():
    assert list(postcodes.tidy(pd.Series(["le156hp", "PE1  1AA"]))) == ["LE15 6HP", "PE1 1AA"]
    assert postcodes.ons_code("peterborough") == "E06000031" and postcodes.ons_code("Atlantis") is None
    assert postcodes.neighbours("E06000017", 40)[0] == "E06000017"  # itself first
