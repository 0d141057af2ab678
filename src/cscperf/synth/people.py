"""Person rows for every child the journeys created: sex, ethnicity, disability, nationality, UPN."""

from __future__ import annotations

import numpy as np
import pandas as pd

from cscperf.ingest.upn import FORMER_UPN_TYPE, UPN_TYPE, make_upns
from cscperf.synth import places
from cscperf.synth._util import NAT, choice, codes, days, pick
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
    unknown = _upn_unknown(rng, dob, ctx.end, uasc, _arrived_in_last_week(ctx, ids))
    ctx.frames.add(
        "ssd_person",
        {
            "pers_person_id": ids,
            "pers_sex": codes(["M", "F", "U"], sex),
            "pers_gender": codes(["1", "2", "0"], sex),
            "pers_ethnicity": pick(rng, ETHNICITY, n),
            "pers_dob": np.where(dob <= ctx.end, dob, np.datetime64("NaT")),
            "pers_expected_dob": np.where(unborn, dob - days(rng.integers(-10, 11, n)), np.datetime64("NaT")),
            "pers_upn_unknown": unknown,
            "pers_send_flag": codes(["N", "Y"], (rng.random(n) < 0.16).astype("int64")),
            "pers_nationality": np.where(uasc, np.asarray(nationality).astype(str), None),
            "pers_ext_la_code": np.array([a.la_code for a in ctx.auths])[la],
        },
    )
    _upns(ctx, ids[unknown.codes < 0], la[unknown.codes < 0], dob[unknown.codes < 0])
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
    _disabilities(ctx, ids)
    return n


DISABLED, SECOND_DISABILITY, RECORDED_NONE = 0.07, 0.25, 0.5


def _disabilities(ctx: Ctx, ids: np.ndarray) -> None:
    """Disability codes: a second one for some disabled children, and NONE recorded for half the others."""
    rng, n = ctx.rng, ids.size
    disabled = rng.random(n) < DISABLED
    first = np.asarray(pick(rng, DISABILITY, n)).astype(str)
    second = np.asarray(pick(rng, DISABILITY, n)).astype(str)
    two = disabled & (rng.random(n) < SECOND_DISABILITY) & (second != first)
    known = ctx.frames.get("ssd_disability")  # disabled children the care steps recorded (short breaks)
    recorded = np.isin(ids, known["disa_person_id"].to_numpy()) if len(known) else np.zeros(n, bool)
    none = ~disabled & ~recorded & (rng.random(n) < RECORDED_NONE)
    person = np.r_[ids[disabled], ids[two], ids[none]]
    code = np.r_[first[disabled], second[two], np.full(int(none.sum()), "NONE")]
    ctx.frames.add("ssd_disability", {"disa_person_id": person, "disa_disability_code": code})


# Why a child of school age has no UPN (DfE's UN codes): never in school in England, educated at home, or the
# sources collating UPNs hold none; shares of children known to social care. An unaccompanied asylum-seeking
# child is often not yet in school (UN4). A child not yet in school has no UPN (UN1).
NO_UPN = {"UN2": 0.006, "UN3": 0.006, "UN5": 0.012}
UASC_NO_UPN = 0.6
FORMER_UPN_SHARE = 0.015  # children given a new UPN (e.g. a temporary one replaced, or after adoption)
SCHOOLS = 60  # establishments allocating UPNs in each authority


def school_entry(dob: np.ndarray) -> np.ndarray:
    """1 September after the 4th birthday: when a child starts school (reception) and is given a UPN."""
    months = dob.astype("datetime64[M]").astype("int64")  # since January 1970
    entry_year = months // 12 + np.where(months % 12 >= 8, 5, 4)  # born September or later: a year later
    return (entry_year * 12 + 8).astype("datetime64[M]").astype("datetime64[D]")


def _arrived_in_last_week(ctx: Ctx, ids: np.ndarray) -> np.ndarray:
    """Children whose status as unaccompanied asylum seekers began in the week before the end date."""
    status = ctx.frames.get("ssd_immigration_status")
    if status.empty:
        return np.zeros(ids.size, bool)
    since = status["immi_immigration_status_start_date"].to_numpy("datetime64[D]")
    recent = status["immi_person_id"].to_numpy()[since > ctx.end - days(7)]
    return np.isin(ids, recent)


def _no_upn_reason(rng: np.random.Generator, uasc: np.ndarray, new_here: np.ndarray) -> np.ndarray:
    """Index into NO_UPN's reasons (or 3 for UN4, -1 for a UPN) for each child of school age. An asylum-seeking child
    without one is new to the authority (UN4) only in the first week; after that they have never been in a school in
    England (UN2: most arrive at 15-17 and go to college), as DfE's rule 210 expects."""
    n = uasc.size
    draw = choice(rng, n, [*NO_UPN.values(), 1 - sum(NO_UPN.values())])
    reason = np.where(draw < len(NO_UPN), draw, -1)
    never_in_school = np.where(new_here, len(NO_UPN), list(NO_UPN).index("UN2"))
    return np.where(uasc & (rng.random(n) < UASC_NO_UPN), never_in_school, reason)


def _upn_unknown(rng: np.random.Generator, dob: np.ndarray, end: np.datetime64, uasc: np.ndarray, new_here: np.ndarray) -> pd.Categorical:
    """The reason a child has no UPN on the end date (empty for a child with one)."""
    reasons = [*NO_UPN, "UN4"]
    in_school = ~np.isnat(dob) & (school_entry(np.where(np.isnat(dob), end, dob)) <= end)
    idx = np.where(in_school, _no_upn_reason(rng, uasc, new_here), len(reasons))  # not yet in school (or unborn): UN1
    return codes([*reasons, "UN1"], idx)


def _upns(ctx: Ctx, ids: np.ndarray, la: np.ndarray, dob: np.ndarray) -> None:
    """A UPN from school entry for the children given (in school, no UPN-unknown reason); a few replaced one."""
    rng = ctx.rng
    who, entry = np.arange(ids.size), school_entry(dob)
    la_codes = np.array([a.la_code for a in ctx.auths])[la[who]]
    current = _allocate(rng, la_codes, entry, 2000)
    replaced = rng.random(who.size) < FORMER_UPN_SHARE
    when = entry + days(rng.integers(30, 1500, who.size))
    replaced &= when <= ctx.end
    former = _allocate(rng, la_codes[replaced], entry[replaced], 3000)
    r = np.flatnonzero(replaced)
    person = np.r_[ids[who], ids[who][r], ids[who][r]]
    kind = np.r_[np.zeros(who.size, "int64"), np.zeros(r.size, "int64"), np.ones(r.size, "int64")]
    value = np.r_[current, former, former]
    # the first UPN was current from school entry until replaced, then is the former UPN; the new one from then
    start = np.r_[np.where(replaced, when, entry), entry[r], when[r]]
    stop = np.r_[np.full(who.size, NAT), when[r], np.full(r.size, NAT)]
    ctx.frames.add(
        "ssd_linked_identifiers",
        {
            "link_table_id": ctx.ids("linked_identifier", ctx.la_of(person)),
            "link_person_id": person,
            "link_identifier_type": codes([UPN_TYPE, FORMER_UPN_TYPE], kind),
            "link_identifier_value": value,
            "link_valid_from_date": start,
            "link_valid_to_date": stop,
        },
    )


def _allocate(rng: np.random.Generator, la_codes: np.ndarray, entry: np.ndarray, first_school: int) -> np.ndarray:
    """Distinct UPNs: a school of the authority, the year of entry and a serial counting within both."""
    school = first_school + rng.integers(1, SCHOOLS + 1, la_codes.size)
    year = entry.astype("datetime64[Y]").astype(int) + 1970
    key = la_codes.astype("int64") * 10**8 + school * 10**4 + year
    order = np.argsort(key, kind="stable")
    k = key[order]
    first = np.maximum.accumulate(np.where(np.r_[True, k[1:] != k[:-1]], np.arange(k.size), 0))
    serial = np.empty(k.size, "int64")
    serial[order] = np.arange(k.size) - first  # position within its school and year
    if serial.size and serial.max() >= 1000:
        raise ValueError("more than 1,000 UPNs for one school and year: raise SCHOOLS")
    return make_upns(la_codes, school, year, serial)
