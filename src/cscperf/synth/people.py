"""Person rows for every child the journeys created: sex, ethnicity, disability, nationality."""

from __future__ import annotations

import numpy as np
import pandas as pd

from cscperf.synth import places
from cscperf.synth._util import codes, days, pick
from cscperf.synth.context import Ctx

# A mix like the East of England's children known to social care (CIN census ethnicity codes).
ETHNICITY = {
    "WBRI": 0.60, "WOTH": 0.12, "WIRI": 0.005, "WROM": 0.01, "WIRT": 0.003,
    "MWBC": 0.03, "MWBA": 0.01, "MWAS": 0.01, "MOTH": 0.02,
    "AIND": 0.015, "APKN": 0.06, "ABAN": 0.005, "AOTH": 0.015,
    "BCRB": 0.005, "BAFR": 0.025, "BOTH": 0.005,
    "CHNE": 0.003, "OOTH": 0.015, "REFU": 0.005, "NOBT": 0.032,
}  # fmt: skip
DISABILITY = {
    "AUT": 0.3,
    "BEH": 0.15,
    "COMM": 0.1,
    "LD": 0.15,
    "MOB": 0.06,
    "HAND": 0.04,
    "HEAR": 0.04,
    "VIS": 0.03,
    "CON": 0.05,
    "DDA": 0.04,
    "PC": 0.04,
}
NATIONALITY = {"Afghanistan": 0.3, "Sudan": 0.2, "Eritrea": 0.2, "Iran": 0.1, "Vietnam": 0.1, "Albania": 0.1}


def write(ctx: Ctx) -> int:
    rng = ctx.rng
    ids, la, dob, unborn = ctx.people()
    # Children due to come into care after the end date may not be born yet: they have no records.
    # Children referred before birth keep their record; until born they have only an expected date.
    keep = (dob <= ctx.end) | unborn
    ids, la, dob, unborn = ids[keep], la[keep], dob[keep], unborn[keep]
    n = ids.size
    sex = np.where(rng.random(n) < 0.515, 0, 1)
    # Sex unknown only for children never looked after: the authority knows a looked-after child's sex (903 rule 232).
    looked_after = np.isin(ids, ctx.frames.get("ssd_cla_episodes").get("clae_person_id", pd.Series(dtype="int64")).to_numpy())
    sex = np.where((rng.random(n) < 0.003) & ~looked_after, 2, sex)
    uasc = np.isin(ids, ctx.uasc) if ctx.uasc is not None else np.zeros(n, bool)
    sex = np.where(uasc, np.where(rng.random(n) < 0.92, 0, 1), sex)
    nationality = pick(rng, NATIONALITY, n)
    ctx.frames.add(
        "ssd_person",
        {
            "pers_person_id": ids,
            "pers_sex": codes(["M", "F", "U"], sex),
            "pers_gender": codes(["1", "2", "0"], sex),
            "pers_ethnicity": pick(rng, ETHNICITY, n),
            "pers_dob": np.where(dob <= ctx.end, dob, np.datetime64("NaT")),
            "pers_expected_dob": np.where(unborn, dob - days(rng.integers(-10, 11, n)), np.datetime64("NaT")),
            "pers_upn_unknown": codes(["UN1", "UN2", "UN3", "UN5"], np.where(rng.random(n) < 0.02, rng.integers(0, 4, n), -1)),
            "pers_send_flag": codes(["N", "Y"], (rng.random(n) < 0.16).astype("int64")),
            "pers_nationality": np.where(uasc, np.asarray(nationality).astype(str), None),
            "pers_ext_la_code": np.array([a.la_code for a in ctx.auths])[la],
        },
    )
    housed = ~uasc  # an unaccompanied asylum-seeking child has no family home here (903 rule 406: no distance)
    ctx.frames.add(
        "ssd_address",
        {
            "addr_table_id": ctx.ids("address", la[housed]),
            "addr_person_id": ids[housed],
            "addr_address_type": "HOME",
            "addr_address_start_date": np.where(dob <= ctx.end, dob, np.datetime64("NaT"))[housed],
            "addr_address_postcode": places.home_postcodes(ctx, ids[housed]),
        },
    )
    disabled = np.flatnonzero(rng.random(n) < 0.07)
    ctx.frames.add("ssd_disability", {"disa_person_id": ids[disabled], "disa_disability_code": pick(rng, DISABILITY, disabled.size)})
    return n
