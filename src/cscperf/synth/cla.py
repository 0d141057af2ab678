"""Children looked after: periods of care as SSDA903 episodes, and everything hanging off them.

Periods of care start over the 19 years before the end date (so children in care for years
are in the stock) and are kept when they touch the data window. Each period has an exit route
chosen by age (home, adoption, SGO, child arrangements, 18th birthday, other), a sequence of
placements and legal statuses, and from those its 903 episodes.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from cscperf import postcodes
from cscperf.synth import cin, places
from cscperf.synth._util import (
    NAT,
    add_months,
    add_wd,
    age_at,
    birthday,
    choice,
    codes,
    days,
    flag,
    group_cumsum,
    group_offsets,
    pick,
    to_workday,
)
from cscperf.synth.context import Ctx

HISTORY_YEARS = 19
FUTURE_YEARS = 2
ENTRY_AGE = [0.19, 0.045, 0.04, 0.035, 0.035, 0.032, 0.032, 0.032, 0.032, 0.032, 0.045, 0.05, 0.06, 0.07, 0.08, 0.08, 0.07, 0.04]
# Exit routes and their shares by age band at entry: under 1, 1-4, 5-9, 10-15, 16-17.
ROUTES = ("HOME", "ADOPT", "SGO", "CAO", "ADULT", "OTHER")
ROUTE_P = np.array(
    [
        [0.30, 0.34, 0.18, 0.05, 0.10, 0.03],
        [0.36, 0.20, 0.22, 0.07, 0.12, 0.03],
        [0.45, 0.02, 0.14, 0.05, 0.30, 0.04],
        [0.42, 0.00, 0.05, 0.03, 0.40, 0.10],
        [0.25, 0.00, 0.00, 0.00, 0.62, 0.13],
    ]
)
HOME, ADOPT, SGO, CAO, ADULT, OTHER = range(6)
LS = ["C1", "C2", "E1", "V2", "V3", "V4", "L1", "L2", "J1", "J2", "D1"]
C1, C2, E1, V2, V3, V4, L1, L2, J1, J2 = range(10)
PLACE = ["U1", "U3", "U4", "U6", "U5", "K2", "R1", "H5", "K3", "P1", "S1", "R3", "A3", "A4", "A5", "A6", "T3", "T4", "T1"]
P_IDX = {c: i for i, c in enumerate(PLACE)}
PROVIDERS = ["PR0", "PR1", "PR2", "PR3", "PR4", "PR5"]
CHANGE_REASONS = {
    "CARPL": 0.35,
    "CREQB": 0.15,
    "CREQO": 0.1,
    "CHILD": 0.08,
    "LAREQ": 0.1,
    "STAND": 0.03,
    "ALLEG": 0.02,
    "CLOSE": 0.03,
    "OTHER": 0.14,
}
SHORT_BREAK_RATE = 3.5  # children on agreed short breaks per 10,000
# Practice calibrated to published ranges (tests/synth/test_calibration.py). DfE "Children looked after in England
# including adoptions", reporting year 2024 (OC2 health outcomes): annual health assessments about 85-92 %, dental checks
# about 70-85 % since the pandemic. Reviews and visits in timescale are not national statistics; authorities' own
# reports put both at 85-95 %. Initial health assessments within 20 working days: about 30-50 % nationally.
REVIEW_LATE = (0.06, 0.045)  # share of first reviews, and of later ones, held late
IHA_IN_20WD = 0.42  # share of initial health assessments aimed within 20 working days (about 2 in 5 are on time)
RHA_DONE = 0.94  # share of review health assessments held
DENTAL_DONE = 0.81  # share of yearly dental checks held


def generate(ctx: Ctx) -> None:
    p = _periods(ctx)
    _referrals(ctx, p)
    ep = _episodes(ctx, p)
    _short_breaks(ctx)
    _reviews(ctx, p)
    _visits(ctx, p, ep)
    _health_education(ctx, p)
    _missing(ctx, p)
    _permanence(ctx, p, ep)
    _care_leavers(ctx, p)
    _other_903(ctx, p)


def _periods(ctx: Ctx) -> dict[str, np.ndarray]:
    """Entrants, their age, route and end date; kept when the period touches the data window."""
    rng, end = ctx.rng, ctx.end
    start_rate, stock_rate = ctx.per_la("cla_start_rate"), ctx.per_la("cla_rate")
    n = rng.poisson(start_rate * ctx.per_la("population") / 1e4 * (HISTORY_YEARS + FUTURE_YEARS))
    la = np.repeat(np.arange(len(ctx.auths)), n)
    # Children who will come into care after the end date are simulated too: their referral and
    # CP plan before entry are already in the data.
    span = (HISTORY_YEARS + FUTURE_YEARS) * 365
    start = end + days(FUTURE_YEARS * 365) - days(rng.integers(0, span, la.size))
    start = np.where(rng.random(la.size) < 0.85, to_workday(start), start)
    age = choice(rng, la.size, ENTRY_AGE)
    dob = start - days(age * 365.25 + rng.integers(1, 365, la.size))
    band = np.digitize(age, [1, 5, 10, 16])
    # Longer average stays where the published stock is high relative to starts.
    stay_scale = np.clip((stock_rate / start_rate - 0.55) / 2.08, 0.3, 2.0)
    probs = ROUTE_P[band].copy()
    probs[:, ADULT] *= stay_scale[la]
    route = (probs.cumsum(1) / probs.sum(1, keepdims=True) < rng.random(la.size)[:, None]).sum(1)
    eighteen = birthday(dob, 18)
    dur = np.select(
        [route == HOME, route == SGO, route == CAO, route == OTHER],
        [
            rng.lognormal(np.log(110), 1.2, la.size),
            rng.lognormal(np.log(520), 0.45, la.size),
            rng.lognormal(np.log(420), 0.5, la.size),
            rng.lognormal(np.log(200), 1.0, la.size),
        ],
        0,
    )
    # Adoption: placement order at the final hearing, match (A2), move in, adoption order.
    po = start + days(rng.integers(190, 340, la.size))
    match = po + days(rng.lognormal(np.log(135), 0.45, la.size))
    placed = match + days(rng.integers(7, 29, la.size))
    adopted = to_workday(placed + days(rng.integers(120, 300, la.size)))
    stop = np.where(route == ADOPT, adopted, start + days(np.maximum(dur, 1)))
    stop = np.where(route == ADULT, eighteen, stop)
    reach18 = stop >= eighteen
    route = np.where(reach18, ADULT, route)
    stop = np.minimum(stop, eighteen)
    keep = (stop >= ctx.data_start - days(4 * 365)) & (start - days(460) <= end)
    p = {"la": la, "start": start, "age": age, "dob": dob, "route": route, "stop": stop, "po": po, "match": match, "placed": placed}
    p = {k: v[keep] for k, v in p.items()}
    m = p["la"].size
    p["person"] = ctx.new_people(p["la"], p["dob"])
    p["cla_id"] = ctx.ids("cla", p["la"])
    p["closed"] = p["stop"] <= end
    p["need"] = choice(rng, m, [0.66, 0.03, 0.02, 0.06, 0.10, 0.02, 0.01, 0.10])
    p["by_carer"] = (p["route"] == ADOPT) & (rng.random(m) < 0.13)
    return p


def _rec(ctx: Ctx, p: dict[str, np.ndarray]) -> np.ndarray:
    """903 REC of the last episode, by route."""
    rng, m = ctx.rng, p["la"].size
    r = p["route"]
    e18 = np.where(p["age_at_stop"] >= 18, choice(rng, m, [0.2, 0.45, 0.1, 0.25]), choice(rng, m, [0, 0.7, 0.3, 0]))
    sgo_old = p["stop"] < np.datetime64("2014-04-01")
    return np.select(
        [r == HOME, r == ADOPT, (r == SGO) & sgo_old, r == SGO, r == CAO, r == ADULT],
        [
            choice(rng, m, [0.55, 0.15, 0.30]),  # E4A, E4B, E13
            3 + choice(rng, m, [0.3, 0.7]),  # E11, E12
            5 + choice(rng, m, [0.6, 0.4]),  # E43, E44
            7 + choice(rng, m, [0.45, 0.1, 0.4, 0.05]),  # E45-E48
            np.full(m, 11),  # E41
            12 + e18,  # E17, E5, E6, E8
        ],
        15 + choice(rng, m, [0.5, 0.25, 0.15, 0.1]),  # E8, E3, E14, E9
    )


REC = ["E4A", "E4B", "E13", "E11", "E12", "E43", "E44", "E45", "E46", "E47", "E48", "E41", "E17", "E5", "E6", "E8", "E3", "E14", "E9"]
X1 = len(REC)


def _referrals(ctx: Ctx, p: dict[str, np.ndarray]) -> None:
    """The referral behind each period of care; a third came through a CP plan ending on entry."""
    rng, m = ctx.rng, p["la"].size
    via_cp = rng.random(m) < 0.35
    lead = np.where(via_cp, rng.integers(100, 450, m), rng.integers(1, 90, m))
    ref = to_workday(p["start"] - days(lead))
    ref = np.maximum(ref, p["dob"])
    a_start = add_wd(ref, rng.integers(0, 3, m))
    a_auth = add_wd(ref, (8 + 37 * rng.beta(2.2, 1.1, m)).astype(int))
    s47_start = add_wd(ref, rng.integers(0, 4, m))
    icpc_date = add_wd(s47_start, rng.integers(6, 16, m))
    via_cp &= icpc_date < p["start"]
    close_reason = np.select([p["route"] == ADOPT, p["route"] == SGO, p["route"] == CAO], [0, 3, 2], 6)
    far = ctx.end + days(100000)
    r = {
        "la": p["la"],
        "referral_id": ctx.ids("referral", p["la"]),
        "person": p["person"],
        "dob": p["dob"],
        "ref": ref,
        "nfa_ref": np.zeros(m, bool),
        "assessed": np.ones(m, bool),
        "a_start": a_start,
        # Children who come into care within days are assessed by then (but not before the assessment starts).
        "a_auth": np.where(via_cp, a_auth, np.maximum(np.minimum(a_auth, np.maximum(p["start"], ref)), a_start)),
        "assess_nfa": np.zeros(m, bool),
        "s47": via_cp | (rng.random(m) < 0.3),
        "s47_start": s47_start,
        "s47_end": add_wd(s47_start, rng.integers(4, 6, m)),
        "icpc": via_cp,
        "icpc_date": icpc_date,
        "transfer_in": np.zeros(m, bool),
        "cp": via_cp,
        "cp_end": p["start"],
        "prev_plans": (rng.random(m) < 0.15).astype("int64"),
        "has_cp": via_cp.astype("int64"),
        "cin": np.zeros(m, bool),
        "cin_start": np.full(m, NAT),
        "cin_end": np.full(m, NAT),
        "close": np.where(p["closed"], p["stop"], far),
        "reason": close_reason,
        "eh_step": np.zeros(m, bool),
        "services": np.zeros(m, bool),
    }
    p["referral_id"] = r["referral_id"]
    cin.write(ctx, r)


def _placement_events(ctx: Ctx, p: dict[str, np.ndarray]) -> pd.DataFrame:
    """Start, moves, temporary moves and the adoptive placement, one row per new placement."""
    rng, m = ctx.rng, p["la"].size
    dur_y = (p["stop"] - p["start"]).astype(int) / 365.25
    teen = p["age"] >= 10
    # Moves cluster early in care; children who stay long mostly settle with one carer.
    lam = np.where(teen, 0.8, 0.45) * np.minimum(dur_y, 2) + 0.1 * np.maximum(dur_y - 2, 0) + 0.45 * np.minimum(dur_y, 1)
    moves = np.minimum(rng.poisson(lam), 25)
    own, _ = group_offsets(moves)
    is_adopt = p["route"] == ADOPT
    move_end = np.where(is_adopt, p["placed"], p["stop"])
    span = np.maximum((move_end - p["start"]).astype(int), 2)
    mdate = p["start"][own] + days(1 + rng.random(own.size) ** 2.2 * (span[own] - 1))
    frames = [
        pd.DataFrame({"i": np.arange(m), "date": p["start"], "kind": 0}),  # start
        pd.DataFrame({"i": own, "date": mdate, "kind": 1}),  # move to a new carer
    ]
    a = np.flatnonzero(is_adopt)
    frames.append(pd.DataFrame({"i": a, "date": p["placed"][a], "kind": np.where(p["by_carer"][a], 3, 2)}))
    t = np.flatnonzero(rng.random(m) < 0.06 * np.maximum(dur_y, 0.2))
    tdate = p["start"][t] + days(10 + rng.random(t.size) * np.maximum(span[t] - 25, 1))
    frames.append(pd.DataFrame({"i": t, "date": tdate, "kind": 4}))  # temporary move
    frames.append(pd.DataFrame({"i": t, "date": tdate + days(rng.integers(2, 8, t.size)), "kind": 5}))  # back to the carer
    settled = np.flatnonzero((dur_y > 1.5) & ~is_adopt & (rng.random(m) < 0.45))
    lt_date = p["start"][settled] + days(rng.integers(250, 500, settled.size))
    frames.append(pd.DataFrame({"i": settled, "date": lt_date, "kind": 6}))  # same carer becomes long-term
    ev = pd.concat(frames, ignore_index=True)
    ev = ev[ev["date"].values < p["stop"][ev["i"].values]]
    ev = ev.sort_values(["i", "date", "kind"], kind="stable").drop_duplicates(["i", "date"], keep="last")
    return _whole_temporary_moves(ev).reset_index(drop=True)


def _whole_temporary_moves(ev: pd.DataFrame) -> pd.DataFrame:
    """The events without temporary moves that do not end back with the carer before anything else happens: a move
    or the end of care inside the few days away would leave a temporary placement that never returns (903 rules 383,
    226, 376), so those temporary moves did not happen."""
    kind = ev["kind"].to_numpy()
    away = pd.Series(ev["date"].to_numpy()[kind == 4], index=ev["i"].to_numpy()[kind == 4])
    back = pd.Series(ev["date"].to_numpy()[kind == 5], index=ev["i"].to_numpy()[kind == 5])
    pair = pd.DataFrame({"away": away, "back": back}).dropna()  # one temporary move at most per child
    others = ev[~np.isin(kind, [4, 5])].join(pair, on="i", how="inner")
    clash = others.loc[(others["date"] >= others["away"]) & (others["date"] <= others["back"]), "i"].unique()
    whole = pair.index.difference(pd.Index(clash))
    return ev[~np.isin(kind, [4, 5]) | ev["i"].isin(whole).to_numpy()]


# Share of other foster placements (not connected-person U1/U3) with the authority's own carers; the rest are with
# agencies (PR4). The permanency specification's authority has about 100 children in agency foster placements.
IN_HOUSE_FOSTER = 0.62


def _place_types(ctx: Ctx, p: dict[str, np.ndarray], ev: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """Placement type and provider by age at the placement and the kind of move."""
    rng = ctx.rng
    i, kind = ev["i"].to_numpy(), ev["kind"].to_numpy()
    n = i.size
    age = age_at(p["dob"][i], ev["date"].to_numpy("datetime64[D]"))
    in_care_y = (ev["date"].to_numpy("datetime64[D]") - p["start"][i]).astype(int) / 365.25
    long_term = in_care_y > 1
    foster = np.where(
        long_term, np.where(rng.random(n) < 0.2, P_IDX["U1"], P_IDX["U4"]), np.where(rng.random(n) < 0.2, P_IDX["U3"], P_IDX["U6"])
    )
    young = np.where(rng.random(n) < 0.05, P_IDX["P1"], np.where(rng.random(n) < 0.02, P_IDX["R3"], foster))
    r = rng.random(n)
    mid = np.select([r < 0.12, r < 0.14, r < 0.18, r < 0.20], [P_IDX["K2"], P_IDX["R1"], P_IDX["P1"], P_IDX["S1"]], foster)
    # Supported accommodation is K3 in the 903 from 2024-25 (Ofsted registration began 28 October 2023; 2023-24 has no K3).
    semi = np.where(ev["date"].to_numpy("datetime64[D]") >= np.datetime64("2024-04-01"), P_IDX["K3"], P_IDX["H5"])
    old = np.select([r < 0.32, r < 0.42, r < 0.46], [semi, P_IDX["K2"], P_IDX["P1"]], foster)
    typ = np.select([age < 10, age < 16], [young, mid], old)
    consent = rng.random(n) < 0.1
    typ = np.select(
        [kind == 2, kind == 3, kind == 4],
        [
            np.where(consent, P_IDX["A4"], P_IDX["A6"]),
            np.where(consent, P_IDX["A3"], P_IDX["A5"]),
            P_IDX["T3"] + choice(rng, n, [0.5, 0.35, 0.15]),
        ],
        typ,
    )
    t = np.array(PLACE)[typ]
    prov = np.select(
        [
            t == "P1",
            np.isin(t, ["U1", "U3"]),
            np.char.startswith(t, "U"),
            np.isin(t, ["K2", "R1", "H5", "K3", "S1"]),
            np.char.startswith(t, "A"),
        ],
        [0, 1, np.where(rng.random(n) < IN_HOUSE_FOSTER, 1, 4), np.where(rng.random(n) < 0.2, 1, 4), np.where(rng.random(n) < 0.6, 1, 5)],
        1,
    )
    return typ, prov


def _legal_events(ctx: Ctx, p: dict[str, np.ndarray]) -> pd.DataFrame:
    """Initial legal status and its changes: interim -> full care order, s20 -> care order, placement order."""
    rng, m = ctx.rng, p["la"].size
    route, dur = p["route"], (p["stop"] - p["start"]).astype(int)
    teen = p["age"] >= 10
    r = rng.random(m)
    first = np.select([r < 0.5, r < 0.9, r < 0.95], [V2, C1, L2], np.where(teen & (route == OTHER), J1, L1))
    first = np.where(route == ADOPT, np.where(r < 0.85, C1, V2), first)
    first = np.where((route == HOME) & (r < 0.65), V2, first)
    rows = [pd.DataFrame({"i": np.arange(m), "date": p["start"], "ls": first})]
    emergency = np.isin(first, [L1, L2])
    after = np.where(rng.random(m) < 0.6, C1, V2)
    # Police protection lasts at most 72 hours (rule 361), an emergency protection order at most 8 days.
    after_date = p["start"] + days(np.where(first == L1, rng.integers(1, 4, m), rng.integers(1, 9, m)))
    rows.append(pd.DataFrame({"i": np.flatnonzero(emergency), "date": after_date[emergency], "ls": after[emergency]}))
    # s20 that turns into proceedings, then interim -> final care order.
    to_c1 = (first == V2) & (dur > 240) & (rng.random(m) < np.where(route == ADOPT, 1.0, 0.45))
    c1_date = p["start"] + days(rng.integers(40, 200, m))
    rows.append(pd.DataFrame({"i": np.flatnonzero(to_c1), "date": c1_date[to_c1], "ls": C1}))
    interim = (first == C1) | to_c1 | (emergency & (after == C1))
    c2_date = np.where(to_c1, c1_date, p["start"]) + days(rng.integers(150, 330, m))
    full = interim & (route != ADOPT)
    rows.append(pd.DataFrame({"i": np.flatnonzero(full), "date": c2_date[full], "ls": C2}))
    ad = np.flatnonzero(route == ADOPT)
    rows.append(pd.DataFrame({"i": ad, "date": p["po"][ad], "ls": E1}))
    ev = pd.concat(rows, ignore_index=True)
    ev = ev[(ev["date"].values < p["stop"][ev["i"].values]) | (ev["date"].values == p["start"][ev["i"].values])]
    return ev


def _episodes(ctx: Ctx, p: dict[str, np.ndarray]) -> pd.DataFrame:
    """Merge placement and legal-status changes into 903 episodes; write placements, episodes and legal status."""
    rng, end = ctx.rng, ctx.end
    p["age_at_stop"] = age_at(p["dob"], p["stop"])
    rec_last = _rec(ctx, p)
    pe = _placement_events(ctx, p)
    typ, prov = _place_types(ctx, p, pe)
    # A carer becomes long-term only after short-term foster care (or a return to it from a temporary move, settled
    # below): drop the others first, so that a temporary move looks back at the placement the child returns to.
    kind = pe["kind"].to_numpy()
    before = np.r_[0, np.arange(len(pe) - 1)]
    futile = (kind == 6) & (kind[before] != 5) & ~np.isin(typ[before], [P_IDX["U6"], P_IDX["U3"]])
    pe, typ, prov = pe[~futile].reset_index(drop=True), typ[~futile], prov[~futile]
    kind, i = pe["kind"].to_numpy(), pe["i"].to_numpy()
    # Back with the carer after a temporary move: copy the placement before the temporary one.
    back = np.flatnonzero(kind == 5)
    src = np.maximum(back - 2, 0)
    ok = (back >= 2) & (i[src] == i[back])
    typ[back[ok]], prov[back[ok]] = typ[src[ok]], prov[src[ok]]
    # A short-term foster placement that becomes long-term with the same carer (U6 -> U4, U3 -> U1).
    lt = np.flatnonzero(kind == 6)
    prev = np.maximum(lt - 1, 0)
    to_long = {P_IDX["U6"]: P_IDX["U4"], P_IDX["U3"]: P_IDX["U1"]}
    ok6 = (lt >= 1) & (i[prev] == i[lt]) & np.isin(typ[prev], list(to_long))
    typ[lt[ok6]] = np.where(typ[prev[ok6]] == P_IDX["U6"], P_IDX["U4"], P_IDX["U1"])
    prov[lt[ok6]] = prov[prev[ok6]]
    typ[back[ok]], prov[back[ok]] = typ[src[ok]], prov[src[ok]]  # again: the carer before may have become long-term
    drop = np.zeros(len(pe), bool)
    drop[back[~ok]] = True
    drop[lt[~ok6]] = True
    pe["typ"], pe["prov"] = typ, prov
    pe = pe[~drop].reset_index(drop=True)
    la = p["la"][pe["i"].to_numpy()]
    pe["pid"] = ctx.ids("placement", la)
    carer = np.where(pe["kind"].isin([3, 5, 6]).to_numpy(), -1, np.arange(len(pe)))
    pe["carer"] = pd.Series(carer).replace(-1, np.nan).groupby(pe["i"]).ffill().to_numpy()
    back = np.flatnonzero(pe["kind"].to_numpy() == 5)  # back after a temporary move: the carer from before it
    pe.loc[back, "carer"] = pe["carer"].to_numpy()[np.maximum(back - 2, 0)]
    # A special guardianship order to former foster carers (E45, E46) ends a foster placement (903 rule 516); from any
    # other placement it is made to other carers (E47, E48).
    last_typ = pd.Series(pe["typ"].to_numpy()).groupby(pe["i"].to_numpy()).last().reindex(np.arange(p["la"].size)).to_numpy()
    fostered = np.isin(last_typ, [k for code, k in P_IDX.items() if code.startswith("U")])
    rec_last = np.where(np.isin(rec_last, [REC.index("E45"), REC.index("E46")]) & ~fostered, rec_last + 2, rec_last)
    nxt_i = np.r_[pe["i"].to_numpy()[1:], -1]
    last = nxt_i != pe["i"].to_numpy()
    pstop = np.where(last, p["stop"][pe["i"].to_numpy()], np.r_[pe["date"].to_numpy("datetime64[D]")[1:], NAT])
    pe["pend"] = pstop
    le = _legal_events(ctx, p)
    _write_legal(ctx, p, le)
    # Episodes: every date with a placement or legal-status change.
    ev = pd.concat([pe[["i", "date"]].assign(place=True, ls=-1), le.assign(place=False)], ignore_index=True)
    ev = ev.groupby(["i", "date"], sort=True).agg(place=("place", "max"), ls=("ls", "max")).reset_index()
    ev["ls_cur"] = ev["ls"].replace(-1, np.nan).groupby(ev["i"]).ffill().fillna(V2).astype(int).to_numpy()
    ev["ls_changed"] = ev["ls"].to_numpy() >= 0
    # Link each episode to the placement current at its start.
    key_p = pe["i"].to_numpy() * 100000 + (pe["date"].to_numpy("datetime64[D]") - np.datetime64("1990-01-01")).astype(int)
    key_e = ev["i"].to_numpy() * 100000 + (ev["date"].to_numpy("datetime64[D]") - np.datetime64("1990-01-01")).astype(int)
    pos = np.searchsorted(key_p, key_e, side="right") - 1
    ev["pid"] = pe["pid"].to_numpy()[pos]
    same_carer = pe["kind"].isin([3, 6]).to_numpy()[pos] & ev["place"].to_numpy()
    i = ev["i"].to_numpy()
    first = np.r_[True, i[1:] != i[:-1]]
    is_last = np.r_[i[1:] != i[:-1], True]
    place, lsch = ev["place"].to_numpy(), ev["ls_changed"].to_numpy()
    rne = np.select([first, place & ~same_carer & lsch, place & ~same_carer, place & lsch, place], [0, 1, 2, 3, 4], 5)  # S B P U T L
    e_end = np.where(is_last, p["stop"][i], np.r_[ev["date"].to_numpy("datetime64[D]")[1:], NAT])
    closed = e_end <= end
    rec = np.where(is_last, np.where(closed, rec_last[i], -1), X1)
    keep = ev["date"].to_numpy("datetime64[D]") <= end
    eid = ctx.ids("episode", p["la"][i])
    ctx.frames.add(
        "ssd_cla_episodes",
        pd.DataFrame(
            {
                "clae_cla_episode_id": eid,
                "clae_person_id": p["person"][i],
                "clae_cla_episode_start_date": ev["date"].to_numpy("datetime64[D]"),
                "clae_cla_episode_start_reason": codes(["S", "B", "P", "U", "T", "L"], rne),
                "clae_cla_primary_need_code": codes(["N1", "N2", "N3", "N4", "N5", "N6", "N7", "N8"], p["need"][i]),
                "clae_cla_episode_ceased_date": np.where(closed, e_end, NAT),
                "clae_cla_episode_ceased_reason": codes([*REC, "X1"], np.where(closed, rec, -1)),
                "clae_cla_id": p["cla_id"][i],
                "clae_referral_id": p["referral_id"][i],
                "clae_cla_placement_id": ev["pid"].to_numpy(),
                "clae_entered_care_date": p["start"][i],
                "clae_cla_last_iro_contact_date": np.where(
                    closed, NAT, np.minimum(end, ev["date"].to_numpy("datetime64[D]") + days(rng.integers(20, 120, i.size)))
                ),
                "clae_ext_legal_status": codes(LS, ev["ls_cur"].to_numpy()),
            }
        )[keep],
    )
    # A child accommodated under s20 (V2) is never placed with parents (903 rule 378): those placements are with foster carers.
    s20 = np.isin(pe["pid"].to_numpy(), ev.loc[ev["ls_cur"].to_numpy() == V2, "pid"].to_numpy())
    at_home = (pe["typ"].to_numpy() == P_IDX["P1"]) & s20
    pe.loc[at_home, "typ"], pe.loc[at_home, "prov"] = P_IDX["U6"], 1
    back = np.flatnonzero(pe["kind"].to_numpy() == 5)  # and back after a temporary move to those carers (rule 383)
    pe.loc[back, ["typ", "prov"]] = pe.loc[back - 2, ["typ", "prov"]].to_numpy()
    _write_placements(ctx, p, pe)
    pe["ls"] = ev.groupby("pid", sort=False)["ls_cur"].first().reindex(pe["pid"]).to_numpy()  # legal status at its start
    p["rec"] = rec_last
    return pe


def _write_legal(ctx: Ctx, p: dict[str, np.ndarray], le: pd.DataFrame) -> None:
    le = le.sort_values(["i", "date"], kind="stable").drop_duplicates(["i", "date"], keep="last")
    i = le["i"].to_numpy()
    last = np.r_[i[1:] != i[:-1], True]
    stop = np.where(last, p["stop"][i], np.r_[le["date"].to_numpy("datetime64[D]")[1:], NAT])
    keep = le["date"].to_numpy("datetime64[D]") <= ctx.end
    ctx.frames.add(
        "ssd_legal_status",
        pd.DataFrame(
            {
                "lega_legal_status_id": ctx.ids("legal", p["la"][i]),
                "lega_person_id": p["person"][i],
                "lega_legal_status": codes(LS, le["ls"].to_numpy()),
                "lega_legal_status_start_date": le["date"].to_numpy("datetime64[D]"),
                "lega_legal_status_end_date": np.where(stop <= ctx.end, stop, NAT),
            }
        )[keep],
    )


def _write_placements(ctx: Ctx, p: dict[str, np.ndarray], pe: pd.DataFrame) -> None:
    rng, end = ctx.rng, ctx.end
    i = pe["i"].to_numpy()
    n = i.size
    typ = np.array(PLACE)[pe["typ"].to_numpy()]
    prov = pe["prov"].to_numpy()
    residential = np.isin(typ, ["K2", "R1", "H5", "K3", "S1", "R3"])
    carer = pe["carer"].to_numpy()
    carer = np.where(np.isnan(carer), np.arange(n), carer).astype("int64")
    urn = np.where(residential | np.char.startswith(typ, "A"), "SC" + pd.Series(900000 + carer % 90000).astype(str).to_numpy(), "XXXXXXX")
    # Placed with parents or temporarily away (T*): no Ofsted-registered provider, so no URN (903 rule 242).
    temporary = np.char.startswith(typ, "T")
    urn = np.where(temporary | np.isin(typ, ["P1", "R1"]), None, urn)  # no Ofsted URN for these (rule 222)
    person = p["person"][i]
    home = places.home_postcodes(ctx, person)
    # Own provision is in the authority (rule 1015); other authorities' and private provision often across a boundary.
    near = np.isin(prov, [2, 3]) | (np.isin(prov, [4, 5]) & (rng.random(n) < 0.55))
    # Supported accommodation (K3) in the authority: DfE's rule 241 as D2I implement it compares its authority with the
    # returning authority's (they have no Ofsted premises list to hand).
    near &= ~np.isin(typ, ["K3", "H5"])  # H5 is written as K3 from 2024-25
    post = np.where(prov == 0, home, places.sample(ctx, p["la"][i], near))
    post = pd.Series(post).groupby(carer).transform("first").to_numpy(object)  # back with a carer: same address
    clash = (post == home) & (prov != 0)  # only a child placed with parents lives at the home address (rule 392d)
    post[clash] = places.sample(ctx, p["la"][i][clash], near[clash])
    where = postcodes.lookup(pd.Series(post))
    pend = pe["pend"].to_numpy("datetime64[D]")
    moved_on = np.r_[i[1:] == i[:-1], False] & (pend <= end)
    kind = pe["kind"].to_numpy()
    nxt_kind = np.r_[kind[1:], 0]
    reason = pick(rng, CHANGE_REASONS, n)
    temporary_next = nxt_kind == 4  # no reason for a move into or within a temporary placement (rule 226)
    reason = pd.Categorical.from_codes(np.where(moved_on & (kind != 4) & ~temporary_next, reason.codes, -1), categories=reason.categories)
    reason = reason.add_categories(["PLACE"]) if "PLACE" not in reason.categories else reason
    reason[moved_on & np.isin(nxt_kind, [3, 6])] = "PLACE"
    keep = pe["date"].to_numpy("datetime64[D]") <= end
    ctx.frames.add(
        "ssd_cla_placement",
        pd.DataFrame(
            {
                "clap_cla_placement_id": pe["pid"].to_numpy(),
                "clap_cla_placement_start_date": pe["date"].to_numpy("datetime64[D]"),
                "clap_cla_placement_type": codes(PLACE, pe["typ"].to_numpy()),
                "clap_cla_placement_urn": urn,
                "clap_cla_placement_distance": postcodes.distance_miles(pd.Series(home), pd.Series(post)).to_numpy(),
                "clap_cla_id": p["cla_id"][i],
                "clap_cla_placement_provider": codes(PROVIDERS, np.where(temporary, -1, prov)),  # none for T* (rule 213)
                "clap_cla_placement_postcode": post,
                "clap_ext_placement_la": where["authority"].to_numpy(object),
                "clap_cla_placement_end_date": np.where(pend <= end, pend, NAT),
                "clap_cla_placement_change_reason": reason,
                "clap_person_id": p["person"][i],
            }
        )[keep],
    )


# Regulation 28 visits (the schedules in indicators/catalogue/e_looked_after.py, VISIT_SCHEDULES). Most placements
# with parents (P1: reg 19 before the first review, or an interim care order at home) and with a connected person on
# temporary approval (U3) are visited weekly until the first review, then at most 4 weeks apart; others at most 6
# weeks apart. Authorities report 85-95 % of children visited in timescale.
WEEKLY_VISIT_PLACES = ("P1", "U3")
WEEKLY_VISIT_SHARE = 0.95
USUAL_GAPS = (([21, 43], [43, 60], [60, 95]), [0.98, 0.014, 0.006])  # days: within 6 weeks, a few late
FOUR_WEEKLY_GAPS = (([14, 29], [29, 45], [45, 70]), [0.97, 0.02, 0.01])  # within 4 weeks, a few late


def _visits(ctx: Ctx, p: dict[str, np.ndarray], pe: pd.DataFrame) -> None:
    """Visits within a week of each placement, then at most six weeks apart (a few late); for most of the placements
    above, weekly until the first review (of the period, or 20 working days into a later placement), then four-weekly."""
    rng, end = ctx.rng, ctx.end
    i, start = pe["i"].to_numpy(), pe["date"].to_numpy("datetime64[D]")
    pend = pe["pend"].to_numpy("datetime64[D]")
    limit = np.where(pend <= end, pend, end)
    vis = (start <= end) & (limit >= ctx.data_start)
    first_review = p["first_review"][i]
    until = add_wd(start, 20)
    until = np.where(start <= first_review, np.maximum(until, first_review), until)
    tight = np.isin(np.array(PLACE)[pe["typ"].to_numpy()], WEEKLY_VISIT_PLACES) | (pe["ls"].to_numpy() == C1)
    tight &= rng.random(i.size) < WEEKLY_VISIT_SHARE
    until = np.where(tight, until, start)
    for group, (gaps, gap_p) in ((vis & tight, FOUR_WEEKLY_GAPS), (vis & ~tight, USUAL_GAPS)):
        cin.visits(
            ctx,
            "cla",
            p["person"][i][group],
            start[group],
            limit[group],
            p["dob"][i][group],
            p["cla_id"][i][group],
            gaps=gaps,
            gap_p=gap_p,
            not_seen=0.03,
            in_days=True,
            weekly_until=until[group],
            rearranged=True,
        )


def _short_breaks(ctx: Ctx) -> None:
    """Disabled children on an agreed series of short breaks (V3/V4): many one-to-three-night periods."""
    rng, end = ctx.rng, ctx.end
    n = np.maximum(rng.poisson(SHORT_BREAK_RATE * ctx.per_la("population") / 1e4), 1)
    la = np.repeat(np.arange(len(ctx.auths)), n)
    dob = ctx.data_start - days(rng.integers(4 * 365, 14 * 365, la.size))
    person = ctx.new_people(la, dob)
    span = int((end - ctx.data_start).astype(int))
    stays = (span // 30) + 1
    own, k = group_offsets(np.full(la.size, stays))
    start = to_workday(ctx.data_start + days(k * 30 + rng.integers(0, 25, own.size)))
    stays_ok = (start <= end) & (start < birthday(dob[own], 18))  # short breaks are for children (rule 352)
    own, start = own[stays_ok], start[stays_ok]
    stop = start + days(rng.integers(1, 4, own.size))
    m = own.size
    cla_id = ctx.ids("cla", la[own])
    pid = ctx.ids("placement", la[own])
    closed = stop <= end
    v4 = (person % 10 == 0)[own]
    ctx.frames.add(
        "ssd_cla_episodes",
        {
            "clae_cla_episode_id": ctx.ids("episode", la[own]),
            "clae_person_id": person[own],
            "clae_cla_episode_start_date": start,
            "clae_cla_episode_start_reason": codes(["S"], np.zeros(m, "int64")),
            "clae_cla_primary_need_code": codes(["N2"], np.zeros(m, "int64")),
            "clae_cla_episode_ceased_date": np.where(closed, stop, NAT),
            "clae_cla_episode_ceased_reason": codes(["E13"], np.where(closed, 0, -1)),
            "clae_cla_id": cla_id,
            "clae_cla_placement_id": pid,
            "clae_entered_care_date": start,
            "clae_ext_legal_status": codes(["V3", "V4"], v4.astype("int64")),
        },
    )
    ctx.frames.add(
        "ssd_cla_placement",
        {
            "clap_cla_placement_id": pid,
            "clap_cla_placement_start_date": start,
            "clap_cla_placement_type": codes(["K1", "U6", "K2"], np.full(m, 2)),
            "clap_cla_id": cla_id,  # short breaks (V3/V4) record no URN, postcode or distance (rules 214, 398)
            "clap_cla_placement_provider": codes(PROVIDERS, np.ones(m, "int64")),
            "clap_cla_placement_end_date": np.where(closed, stop, NAT),
            "clap_person_id": person[own],
        },
    )
    ctx.frames.add(
        "ssd_legal_status",
        {
            "lega_legal_status_id": ctx.ids("legal", la[own]),
            "lega_person_id": person[own],
            "lega_legal_status": codes(["V3", "V4"], v4.astype("int64")),
            "lega_legal_status_start_date": start,
            "lega_legal_status_end_date": np.where(closed, stop, NAT),
        },
    )
    ctx.frames.add(
        "ssd_disability", {"disa_person_id": person, "disa_disability_code": pick(rng, {"LD": 0.5, "AUT": 0.3, "MOB": 0.2}, person.size)}
    )
    # Each short-break stay starts a period of care, which DfE asks previous permanence for: none (Z1).
    ctx.frames.add(
        "ssd_cla_previous_permanence",
        {"lapp_table_id": ctx.ids("prev_perm", la), "lapp_person_id": person, "lapp_previous_permanence_option": "Z1"},
    )
    ctx.phases.add(person, np.full(person.size, ctx.data_start), np.full(person.size, NAT), "DC", np.full(person.size, -1))


def _reviews(ctx: Ctx, p: dict[str, np.ndarray]) -> None:
    """Reviews: first within 20 working days, second within 3 months, then every 6 months (a few late)."""
    rng, end = ctx.rng, ctx.end
    limit = np.minimum(p["stop"], end)
    n_max = np.maximum((limit - p["start"]).astype(int) // 150 + 3, 0).astype("int64")
    owner, k = group_offsets(n_max)
    late = rng.random(owner.size) < np.where(k == 0, REVIEW_LATE[0], REVIEW_LATE[1])
    date = np.empty(owner.size, dtype="datetime64[D]")
    due = np.empty(owner.size, dtype="datetime64[D]")
    prev = p["start"].copy()
    for j in range(int(n_max.max()) if n_max.size else 0):
        sel = k == j
        o = owner[sel]
        if j == 0:
            due[sel] = add_wd(prev[o], 20)
            date[sel] = add_wd(prev[o], np.where(late[sel], rng.integers(21, 35, o.size), rng.integers(8, 21, o.size)))
        else:
            due[sel] = add_months(prev[o], 3 if j == 1 else 6)
            date[sel] = to_workday(due[sel] + days(np.where(late[sel], rng.integers(1, 30, o.size), -rng.integers(3, 25, o.size))))
        prev[o] = date[sel]
    keep = date <= limit[owner]
    p["first_review"] = np.full(p["start"].size, NAT, dtype="datetime64[D]")
    p["first_review"][owner[keep & (k == 0)]] = date[keep & (k == 0)]
    o, date, due = owner[keep], date[keep], due[keep]
    young = age_at(p["dob"][o], date) < 4
    part = np.where(young, 0, 1 + choice(rng, o.size, [0.35, 0.1, 0.05, 0.1, 0.15, 0.15, 0.1]))
    ctx.frames.add(
        "ssd_cla_reviews",
        {
            "clar_cla_review_id": ctx.ids("cla_review", p["la"][o]),
            "clar_cla_id": p["cla_id"][o],
            "clar_cla_review_due_date": due,
            "clar_cla_review_date": date,
            "clar_cla_review_cancelled": flag(np.zeros(o.size, bool)),
            "clar_cla_review_participation": codes([f"PN{x}" for x in range(8)], part),
            "clar_ext_person_id": p["person"][o],
        },
    )
    ctx.phases.add(p["person"], p["start"], np.where(p["closed"], p["stop"], NAT), "CC", p["referral_id"])


def _yearly(ctx: Ctx, p: dict[str, np.ndarray], first: np.ndarray, every: np.ndarray, jitter: int) -> tuple[np.ndarray, np.ndarray]:
    """Repeating events per period from `first` every `every` days (+/- jitter) while in care; within the data window."""
    rng = ctx.rng
    limit = np.minimum(p["stop"], ctx.end)
    n_max = np.maximum((limit - first).astype(int) // np.maximum(every - jitter, 1) + 1, 0).astype("int64")
    owner, k = group_offsets(n_max)
    gap = np.where(k == 0, 0, every[owner] + rng.integers(-jitter, jitter + 1, owner.size))
    date = first[owner] + days(group_cumsum(gap, owner))
    keep = (date <= limit[owner]) & (date >= ctx.data_start)
    return owner[keep], date[keep]


def _health_education(ctx: Ctx, p: dict[str, np.ndarray]) -> None:
    rng, end = ctx.rng, ctx.end
    m = p["la"].size
    # Initial health assessment: about two in five within 20 working days; none for many who leave within days.
    iha_wd = np.where(rng.random(m) < IHA_IN_20WD, rng.integers(4, 21, m), rng.integers(21, 70, m))
    iha = add_wd(p["start"], iha_wd)
    has_iha = (iha < p["stop"]) & (iha <= end) & (iha >= ctx.data_start) & (rng.random(m) < 0.97)
    checks = [(np.flatnonzero(has_iha), iha[has_iha], 0)]
    first_rha = iha + days(np.where(age_at(p["dob"], iha) < 5, 182, 365))
    o, d = _yearly(ctx, p, first_rha, np.where(age_at(p["dob"], iha) < 5, 180, 355), 25)
    done = rng.random(o.size) < RHA_DONE
    checks.append((o[done], d[done], 1))
    o, d = _yearly(ctx, p, p["start"] + days(rng.integers(60, 300, m)), np.full(m, 340), 30)
    done = (rng.random(o.size) < DENTAL_DONE) & (age_at(p["dob"][o], d) >= 1)
    checks.append((o[done], d[done], 2))
    # Development checks (health surveillance) for under-fives, about every six months.
    o, d = _yearly(ctx, p, p["start"] + days(rng.integers(20, 120, m)), np.full(m, 180), 20)
    done = (age_at(p["dob"][o], d) < 5) & (rng.random(o.size) < 0.92)
    checks.append((o[done], d[done], 3))
    o = np.concatenate([c[0] for c in checks])
    d = np.concatenate([c[1] for c in checks])
    typ = np.concatenate([np.full(c[0].size, c[2]) for c in checks])
    ctx.frames.add(
        "ssd_cla_health",
        {
            "clah_health_check_id": ctx.ids("health", p["la"][o]),
            "clah_person_id": p["person"][o],
            "clah_health_check_type": codes(["IHA", "RHA", "DENTAL", "DEVELOPMENT"], typ),
            "clah_health_check_date": d,
            "clah_health_check_status": codes(["Completed", "Refused"], (rng.random(o.size) < 0.02).astype("int64")),
        },
    )
    o, d = _yearly(ctx, p, p["start"] + days(rng.integers(30, 200, m)), np.full(m, 365), 20)
    ctx.frames.add(
        "ssd_cla_immunisations",
        {
            "clai_person_id": p["person"][o],
            "clai_immunisations_status": flag(rng.random(o.size) < 0.89),
            "clai_immunisations_status_date": d,
        },
    )
    _offending_and_substances(ctx, p)
    # PEPs each term for school-age children.
    o, d = _yearly(ctx, p, p["start"] + days(rng.integers(10, 40, m)), np.full(m, 118), 15)
    age = age_at(p["dob"][o], d)
    school = (age >= 4) & (age <= 16) & (rng.random(o.size) < 0.97)
    ctx.frames.add(
        "ext_cla_pep",
        {"pepr_table_id": ctx.ids("pep", p["la"][o[school]]), "pepr_person_id": p["person"][o[school]], "pepr_pep_date": d[school]},
    )
    # SDQ once a year for 4-16 year olds in care a year or more, the first in the 12th month of care (a child in care
    # from 1 April is in the OC2 cohort on 31 March and needs one: rule 186), then at most 360 days apart.
    o, d = _yearly(ctx, p, p["start"] + days(364), np.full(m, 350), 10)
    age = age_at(p["dob"][o], d)
    ok = (age >= 4) & (age <= 16)
    score = np.clip(rng.normal(14, 6, o.size), 0, 40).astype(int).astype(str)
    ctx.frames.add(
        "ssd_sdq_scores",
        {
            "csdq_table_id": ctx.ids("sdq", p["la"][o]),
            "csdq_person_id": p["person"][o],
            "csdq_sdq_completed_date": d,
            "csdq_sdq_reason": codes(["SDQ1"], np.where(ok, -1, 0)),
            "csdq_sdq_score": np.where(ok, score, None),
        },
    )


# DfE "Children looked after in England" (OC2 outcomes, 2024): about 2 % of children looked after 12 months and aged
# 10 or over were convicted in the year; about 3 % had a substance misuse problem identified, most receiving an intervention.
CONVICTED_RATE = 0.02
SUBSTANCE_RATE = 0.03
INTERVENTION_RECEIVED = 0.6
INTERVENTION_OFFERED = 0.7  # of those who received none: offered and refused


def _offending_and_substances(ctx: Ctx, p: dict[str, np.ndarray]) -> None:
    """Convictions (aged 10+) and substance misuse identified (aged 11+): at most one of each a year per child."""
    rng = ctx.rng
    m = p["la"].size
    o, d = _yearly(ctx, p, p["start"] + days(rng.integers(30, 330, m)), np.full(m, 365), 60)
    age = age_at(p["dob"][o], d)
    con = np.flatnonzero((age >= 10) & (rng.random(o.size) < CONVICTED_RATE))
    ctx.frames.add(
        "ssd_cla_convictions",
        {
            "clac_cla_conviction_id": ctx.ids("conviction", p["la"][o[con]]),
            "clac_person_id": p["person"][o[con]],
            "clac_cla_conviction_date": d[con],
            "clac_cla_conviction_offence": pick(rng, {"Theft": 0.4, "Criminal damage": 0.3, "Assault": 0.3}, con.size),
        },
    )
    sub = np.flatnonzero((age >= 11) & (rng.random(o.size) < SUBSTANCE_RATE))
    received = rng.random(sub.size) < INTERVENTION_RECEIVED
    offered = ~received & (rng.random(sub.size) < INTERVENTION_OFFERED)
    ctx.frames.add(
        "ssd_cla_substance_misuse",
        {
            "clas_substance_misuse_id": ctx.ids("substance", p["la"][o[sub]]),
            "clas_person_id": p["person"][o[sub]],
            "clas_substance_misuse_date": d[sub],
            "clas_substance_misused": pick(rng, {"Cannabis": 0.6, "Alcohol": 0.3, "Other": 0.1}, sub.size),
            "clas_intervention_received": flag(received),
            "clas_ext_intervention_offered": np.where(received, None, np.where(offered, "Y", "N")),
        },
    )


def _missing(ctx: Ctx, p: dict[str, np.ndarray]) -> None:
    """Missing (M) and away (A) episodes for a minority of older children, several each."""
    rng = ctx.rng
    m = p["la"].size
    prone = (p["age"] >= 11) & (rng.random(m) < 0.3)
    every = np.where(prone, rng.integers(20, 120, m), 10**6)
    o, d = _yearly(ctx, p, p["start"] + days(rng.integers(5, 90, m)), every, 15)
    gone = (d < p["stop"][o]) & prone[o]  # missing from a placement while there, not on the day care ends (580)
    o, d = o[gone], d[gone]
    n = o.size
    typ = (rng.random(n) < 0.2).astype("int64")
    # Found before care ends (575, 577): a child still missing on the day care ends at 18 must leave care with E8 (580).
    back = np.maximum(d, np.minimum(d + days(rng.choice([0, 0, 1, 1, 2, 3, 5], n)), p["stop"][o] - days(1)))
    ok = back <= ctx.end
    offered = rng.random(n) < 0.9
    ctx.frames.add(
        "ssd_missing",
        {
            "miss_table_id": ctx.ids("missing", p["la"][o]),
            "miss_person_id": p["person"][o],
            "miss_missing_episode_start_date": d,
            "miss_missing_episode_type": codes(["M", "A"], typ),
            "miss_missing_episode_end_date": np.where(ok, back, NAT),
            "miss_missing_rhi_offered": flag(offered & ok),
            "miss_missing_rhi_accepted": flag(offered & ok & (rng.random(n) < 0.6)),
        },
    )


# Adopters: (number, sex, 903 legal status) and shares. L0 single; L11/L12 married different/same sex; L2 civil
# partners; L3/L4 unmarried different/same sex couple.
ADOPTERS = (
    (("1", "F1", "L0"), 0.09),
    (("1", "M1", "L0"), 0.02),
    (("2", "MF", "L11"), 0.62),
    (("2", "MF", "L3"), 0.14),
    (("2", "MM", "L12"), 0.03),
    (("2", "FF", "L12"), 0.03),
    (("2", "FF", "L2"), 0.03),
    (("2", "MM", "L4"), 0.02),
    (("2", "FF", "L4"), 0.02),
)


def _adopters(rng: np.random.Generator, n: int) -> dict[str, np.ndarray]:
    kind = choice(rng, n, [s for _, s in ADOPTERS])
    cols = np.array([a for a, _ in ADOPTERS], dtype=object)[kind]
    return {"perm_number_of_adopters": cols[:, 0], "perm_adopter_sex": cols[:, 1], "perm_adopter_legal_status": cols[:, 2]}


def _permanence(ctx: Ctx, p: dict[str, np.ndarray], pe: pd.DataFrame) -> None:
    """Adoption milestones (ADM -> placement order -> match -> placed -> order) and SGO/CAO orders."""
    rng, end = ctx.rng, ctx.end
    ad = np.flatnonzero((p["route"] == ADOPT) & (p["po"] - days(60) <= end))
    # The agency decision maker decides on adoption while the child is looked after, weeks before the placement order.
    adm = np.maximum(p["po"][ad] - days(rng.integers(30, 120, ad.size)), p["start"][ad] + days(14))
    po = np.where(p["po"][ad] <= end, p["po"][ad], NAT)
    match = np.where(p["match"][ad] <= end, p["match"][ad], NAT)
    placed = np.where(p["placed"][ad] <= end, p["placed"][ad], NAT)
    order = np.where(p["closed"][ad], p["stop"][ad], NAT)
    # Date originally placed with the foster carer who adopted: start of the placement before the adoptive one.
    by_carer = p["by_carer"][ad]
    carer_pl = pe[pe["kind"].isin([0, 1]).to_numpy()].groupby("i")["date"].max()
    foster_date = carer_pl.reindex(ad).to_numpy().astype("datetime64[D]")
    rows = {
        "perm_person_id": p["person"][ad],
        "perm_cla_id": p["cla_id"][ad],
        "perm_adm_decision_date": adm,
        "perm_placement_order_date": po,
        "perm_matched_date": match,
        "perm_placed_for_adoption_date": placed,
        "perm_adopted_by_carer_flag": flag(by_carer),
        "perm_placed_foster_carer_date": np.where(by_carer, foster_date, NAT),
        "perm_part_of_sibling_group": flag(rng.random(ad.size) < 0.3),
        "perm_permanence_order_date": order,
        "perm_permanence_order_type": codes(["Adoption order"], np.where(np.isnat(order), -1, 0)),
        **_adopters(rng, ad.size),
    }
    ctx.frames.add("ssd_permanence", {"perm_table_id": ctx.ids("permanence", p["la"][ad]), **rows})
    so = np.flatnonzero(np.isin(p["route"], [SGO, CAO]) & p["closed"])
    ctx.frames.add(
        "ssd_permanence",
        {
            "perm_table_id": ctx.ids("permanence", p["la"][so]),
            "perm_person_id": p["person"][so],
            "perm_cla_id": p["cla_id"][so],
            "perm_permanence_order_date": p["stop"][so],
            "perm_permanence_order_type": codes(
                ["Special guardianship order", "Child arrangements order"], (p["route"][so] == CAO).astype("int64")
            ),
        },
    )


ACCOM = {
    "D": 0.25,
    "E": 0.08,
    "U": 0.24,
    "B": 0.12,
    "Z": 0.12,
    "C": 0.03,
    "K": 0.04,
    "S": 0.01,
    "W": 0.01,
    "X": 0.03,
    "R": 0.02,
    "G": 0.01,
    "T": 0.02,
    "Y": 0.02,
}
ACTIV = {"F1": 0.06, "P1": 0.01, "F2": 0.25, "P2": 0.03, "F4": 0.05, "P4": 0.01, "F5": 0.12, "P5": 0.06, "G4": 0.08, "G5": 0.2, "G6": 0.05}
IN_TOUCH = {"YES": 0.91, "NO": 0.04, "REFU": 0.02, "NREQ": 0.02, "RHOM": 0.01}


def _care_leavers(ctx: Ctx, p: dict[str, np.ndarray]) -> None:
    """OC3-style records on each birthday 17-21 for young people who left care at 16 or older."""
    rng, end = ctx.rng, ctx.end
    eligible = p["closed"] & (p["age_at_stop"] >= 16) & ((p["stop"] - p["start"]).astype(int) >= 91) & (p["route"] != HOME)
    eligible &= p["rec"] != REC.index("E3")  # care transferred to another authority: its care leaver (903 rule 1011)
    e = np.flatnonzero(eligible)
    own, k = group_offsets(np.full(e.size, 5))
    i = e[own]
    bday = birthday(p["dob"][i], 17 + k)
    keep = (bday >= p["stop"][i]) & (bday <= end)  # leaving on the 18th birthday gives an age-18 record that day
    i, bday, k = i[keep], bday[keep], (17 + k)[keep]
    n = i.size
    touch = pick(rng, IN_TOUCH, n)
    letter = pick(rng, ACCOM, n)
    letters = np.asarray(letter).astype(str)
    letters = np.where((k == 17) & (letters == "Z"), "D", letters)
    suitable = np.where(np.isin(letters, ["W", "V"]), rng.random(n) < 0.1, rng.random(n) < 0.93)
    suitable &= ~np.isin(letters, ["S", "X"])  # DfE codes S and X only as unsuitable (S2, X2: rule 133)
    accom = np.char.add(letters, np.where(suitable, "1", "2"))
    known = np.asarray(touch).astype(str) == "YES"
    ctx.frames.add(
        "ssd_care_leavers",
        {
            "clea_table_id": ctx.ids("care_leaver", p["la"][i]),
            "clea_person_id": p["person"][i],
            "clea_care_leaver_eligibility": np.where(k == 17, "Relevant", "Former relevant"),
            "clea_care_leaver_in_touch": touch,
            "clea_care_leaver_latest_contact": np.where(known, bday - days(rng.integers(0, 60, n)), NAT),
            "clea_care_leaver_accommodation": np.where(known, accom, "0"),
            "clea_care_leaver_accom_suitable": np.where(known, np.where(suitable, "Y", "N"), None),
            "clea_care_leaver_activity": np.where(known, np.asarray(pick(rng, ACTIV, n)).astype(str), "0"),
            "clea_pathway_plan_review_date": bday
            - days(np.where(rng.random(n) < 0.85, rng.integers(0, 175, n), rng.integers(190, 400, n))),
            "clea_care_leaver_personal_advisor": codes([f"PA{x:02d}" for x in range(30)], rng.integers(0, 30, n)),
            "clea_ext_record_date": bday,
        },
    )
    ctx.phases.add(
        p["person"][e], p["stop"][e], np.where(birthday(p["dob"][e], 21) <= end, birthday(p["dob"][e], 21), NAT), "LC", p["referral_id"][e]
    )


def _other_903(ctx: Ctx, p: dict[str, np.ndarray]) -> None:
    """Previous permanence, UASC status, disability and mothers."""
    rng, end = ctx.rng, ctx.end
    m = p["la"].size
    begun = p["start"] <= end
    # Recorded for every period of care (DfE asks for it at each start; Z1: none, or not known).
    pp = np.flatnonzero(begun)
    opt = choice(rng, pp.size, [0.82, 0.04, 0.09, 0.05])
    when = pd.to_datetime(p["start"][pp] - days(rng.integers(365, 3000, pp.size))).strftime("%d/%m/%Y").to_numpy(object)
    ctx.frames.add(
        "ssd_cla_previous_permanence",
        {
            "lapp_table_id": ctx.ids("prev_perm", p["la"][pp]),
            "lapp_person_id": p["person"][pp],
            "lapp_previous_permanence_order_date": np.where(opt == 0, None, when),
            "lapp_previous_permanence_option": codes(["Z1", "P1", "P2", "P3"], opt),
            "lapp_previous_permanence_la": np.where(opt == 0, None, np.array([a.la_code for a in ctx.auths])[p["la"][pp]]),
        },
    )
    can = begun & (p["age"] >= 14) & np.isin(p["route"], [ADULT, OTHER])
    chosen = can & (rng.random(m) < 0.18)
    if can.any() and not chosen.any():  # even a small authority looks after an unaccompanied child or two
        chosen[np.flatnonzero(can)[0]] = True
    ua = np.flatnonzero(chosen)
    stop = birthday(p["dob"][ua], 18)
    ctx.frames.add(
        "ssd_immigration_status",
        {
            "immi_immigration_status_id": ctx.ids("immigration", p["la"][ua]),
            "immi_person_id": p["person"][ua],
            "immi_immigration_status": "UASC",
            "immi_immigration_status_start_date": p["start"][ua],
            "immi_immigration_status_end_date": np.where(stop <= end, stop, NAT),
        },
    )
    ctx.uasc = p["person"][ua]
