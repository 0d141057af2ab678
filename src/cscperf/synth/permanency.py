"""The permanency service of the synthetic authority: fostering households, recruitment, adopters, special guardianship,
family group conferences, private fostering, service responsibility and the service's staff.

Generated from the children already generated, so the two agree: every in-house foster placement (903 U1-U6 with
provider PR1) is with a household (connected-person placements U1/U3 each with their own family-and-friends household,
other carers from a pool), matches come from ssd_permanence, special guardianship from the orders made. Calibrated to
the specification's background figures for the default profile (spec/permanency.md; tests/synth/test_permanency.py):
about 140 active fostering households, about 90 % of them white British, about 30 special guardianship orders a year.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd

from cscperf.synth._util import DAY, NAT, add_months, add_wd, birthday, codes, days, flag, group_offsets, pick
from cscperf.synth.context import Ctx
from cscperf.synth.workforce import POSTS_PER_TEAM, add_departments, team_rows

HOUSEHOLD_ETHNICITY = {"WBRI": 0.90, "WOTH": 0.03, "MWBC": 0.02, "APKN": 0.02, "BAFR": 0.015, "BCRB": 0.01, "AIND": 0.005}
CAPACITY = (0.1, 0.3, 0.4, 0.2)  # general households approved for 1, 2, 3, 4 places
CHILDREN_PER_HOUSEHOLD = 2.4  # general (not connected) in-house carers: children placed per active household
HOUSEHOLD_YEARS = 8.0  # mean years a general household stays approved
POOL_HISTORY_YEARS = 12  # households approved this long before the first placement are in the pool
OTHER_SGO_RATE = 2.0  # SGO/CAO orders a year per 10,000 children for children not looked after (kinship in proceedings)
PRIVATE_FOSTERING_RATE = 1.0  # private fostering notifications a year per 10,000 children
FGC_RATE = 10.0  # family group conferences a year per 10,000 children
STAFF = {"SOCIAL_WORKER": 20, "SUPPORT_WORKER": 10, "OTHER": 5}  # posts of the service per 57,600 children
STAFF_CODES = ("SSW", "FSW", "PST")  # names for the roles above: supervising social worker, support worker, other staff
STAFF_YEARS = 5.0  # mean tenure
SGO_ON_TIME = 0.8  # SGO/CAO assessments completed by their due date
OTHER_AGENCIES = ("873", "935", "VAA1", "RAA1")  # adopters' agencies / other authorities (codes, not names)
# Staying put: about half of the young people who turn 18 in foster care stay with their carers (DfE, children looked
# after in England, staying put tables: 55-60 % at 18), for a year or two (20 % are still there at 20).
STAYING_PUT = 0.55
STAYING_PUT_YEARS = 1.5  # mean length, to the 21st birthday at most
# Key stage results of children looked after (DfE, outcomes for children in need including children looked after,
# 2023: 32 % reached the expected standard in reading, writing and maths at KS2; Progress 8 -1.18, Attainment 8 about 19).
KS2_EXPECTED = 0.32
PROGRESS8 = (-1.18, 1.1)  # mean, standard deviation
ATTAINMENT8 = (19.0, 12.0)
NOT_IN_EDUCATION = 0.03  # children looked after of school age recorded at a PEP as not in education
ON_TARGET = 0.65  # recorded at a PEP as on target with its attainment forecasts
# Recording lags in days (T4, T5): visits mostly within 72 hours, placement changes mostly within 24 hours.
VISIT_LAG = {0: 0.45, 1: 0.25, 2: 0.12, 3: 0.08, 5: 0.06, 10: 0.04}
PLACEMENT_LAG = {0: 0.6, 1: 0.25, 2: 0.06, 3: 0.04, 6: 0.05}
INTERVENTION_RATE = 0.15  # physical interventions a year per child the service is responsible for (T7)
NOTICE_28_DAYS = 0.8  # in-house placement moves with 28 days' notice or more (T8); 0.12 shorter, 0.08 exempt
# Pathway plans of eligible children still looked after (Care Leavers (England) Regulations 2010: a needs assessment and
# plan for children looked after 13 weeks from 14 and still looked after at 16): most written around the 16th birthday;
# the spec's T13 asks for one by 15, which about a third of those looked after at 15 have. Reviewed about every 6
# months, a few late.
PATHWAY_BY_15 = 0.35
PATHWAY_REVIEW_DAYS = (150, 183)
PATHWAY_LATE = (0.25, 190, 330)  # share of reviews late, and their gap in days
PATHWAY_MAX_PLANS = 8  # the plan and its reviews before 18: 2 years of 6-monthly reviews, with room


def generate(main: Ctx) -> None:
    # A stream of its own, so the service leaves every other table exactly as it was without it.
    ctx = dataclasses.replace(main, rng=np.random.default_rng(main.rng.bit_generator.seed_seq.spawn(1)[0]))
    placements = _in_house_foster(ctx)
    for la in range(len(ctx.auths)):
        mine = placements[placements["la"] == la]
        staff = _staff(ctx, la)
        households = _households(ctx, la, mine)
        enquiry = _recruitment(ctx, la, households)
        supervisors = _supervisors(ctx, households, staff)
        _household_records(ctx, la, households, enquiry, supervisors)
        _responsibility(ctx, la, mine)
        _adopters(ctx, la)
    _special_guardianship(ctx)
    _family_group_conferences(ctx)
    _private_fostering(ctx)
    _life_story(ctx)
    _sibling_groups(ctx)
    _adoption_support(ctx)
    _staying_put(ctx)
    _education(ctx)
    _attainment(ctx)
    _record_entries(ctx)
    _physical_interventions(ctx)
    _placement_notices(ctx)
    _adopter_assessments(ctx)


def sid(prefix: str, n: np.ndarray) -> np.ndarray:
    """Text ids for ids other tables refer to (the generator's integer-id prefixes are per column)."""
    return np.char.add(prefix, np.asarray(n, dtype="int64").astype(str)).astype(object)


def _in_house_foster(ctx: Ctx) -> pd.DataFrame:
    """In-house foster placements with their carer spell: a placement whose episode starts with RNE T or U keeps the
    carer of the placement before it (903), so they are one spell with one household."""
    pl = ctx.frames.get("ssd_cla_placement")
    ep = ctx.frames.get("ssd_cla_episodes")
    rne = ep.groupby("clae_cla_placement_id")["clae_cla_episode_start_reason"].first()
    pl = pl.assign(rne=rne.reindex(pl["clap_cla_placement_id"]).astype(object).to_numpy())
    pl = pl.sort_values(["clap_person_id", "clap_cla_placement_start_date"], kind="stable").reset_index(drop=True)
    typ = pl["clap_cla_placement_type"].astype(str).to_numpy()
    foster = np.char.startswith(typ.astype(str), "U") & (pl["clap_cla_placement_provider"].astype(str).to_numpy() == "PR1")
    person = pl["clap_person_id"].to_numpy()
    same_child = np.r_[False, person[1:] == person[:-1]]
    prev_foster = np.r_[False, foster[:-1]]
    keeps_carer = same_child & prev_foster & foster & np.isin(pl["rne"].to_numpy(), ["T", "U"])
    pl["spell"] = np.cumsum(~keeps_carer)
    pl = pl[foster].copy()
    pl["la"] = ctx.la_of(pl["clap_person_id"].to_numpy())
    pl["connected"] = np.isin(typ[foster], ["U1", "U3"])
    return pl


def _spells(pl: pd.DataFrame) -> pd.DataFrame:
    g = pl.groupby("spell")
    ends = pl["clap_cla_placement_end_date"].to_numpy("datetime64[D]")
    open_ = pd.Series(np.isnat(ends), index=pl.index).groupby(pl["spell"]).any()
    s = pd.DataFrame(
        {
            "start": g["clap_cla_placement_start_date"].min().to_numpy("datetime64[D]"),
            "end": g["clap_cla_placement_end_date"].max().to_numpy("datetime64[D]"),
            "connected": g["connected"].first().to_numpy(),
        },
        index=g.size().index,
    )
    s.loc[open_.to_numpy(), "end"] = NAT
    return s


def _households(ctx: Ctx, la: int, pl: pd.DataFrame) -> pd.DataFrame:
    """Households, and each spell's household written to ext_cla_placement_carer."""
    rng, end = ctx.rng, ctx.end
    spells = _spells(pl)
    s_start, s_end = spells["start"].to_numpy("datetime64[D]"), spells["end"].to_numpy("datetime64[D]")
    conn = spells["connected"].to_numpy()
    # Connected-person carers: one family-and-friends household per spell (approved as the child moves in).
    c = np.flatnonzero(conn)
    # General carers: a pool with a steady state of open spells / CHILDREN_PER_HOUSEHOLD households approved.
    g = np.flatnonzero(~conn)
    open_at_end = int((np.isnat(s_end[g]) | (s_end[g] > end)).sum())
    first = s_start[g].min() if g.size else end
    t0 = first - days(POOL_HISTORY_YEARS * 365)
    span_y = (end - t0).astype(int) / 365.25
    target = max(open_at_end / CHILDREN_PER_HOUSEHOLD, 1.0)
    rate = target / (HOUSEHOLD_YEARS * (1 - np.exp(-span_y / HOUSEHOLD_YEARS)))
    n = rng.poisson(rate * span_y)
    approve = np.sort(t0 + days(rng.random(n) * span_y * 365.25))
    life = days(np.maximum(rng.exponential(HOUSEHOLD_YEARS * 365.25, n), 180))
    dereg = approve + life
    capacity = 1 + choice3(rng, n, CAPACITY)
    home, approve, dereg, capacity = _place_with_carers(rng, s_start[g], s_end[g], approve, dereg, capacity, end)
    n = approve.size
    # Connected households after the pool.
    approve = np.r_[approve, s_start[c]]
    dereg = np.r_[dereg, np.where(np.isnat(s_end[c]), NAT, s_end[c] + days(rng.integers(0, 90, c.size)))]
    spell_home = np.empty(len(spells), dtype="int64")
    spell_home[g], spell_home[c] = home, n + np.arange(c.size)
    total = n + c.size
    # A household stays approved while it has a child placed.
    last_end = pd.Series(np.where(np.isnat(s_end), end + DAY * 36500, s_end)).groupby(spell_home).max()
    held = np.full(total, np.datetime64("1900-01-01"), dtype="datetime64[D]")
    held[last_end.index.to_numpy()] = last_end.to_numpy("datetime64[D]")
    dereg = np.where(np.isnat(dereg), dereg, np.maximum(dereg, held + days(rng.integers(0, 120, total))))
    dereg = np.where(dereg > end, NAT, dereg)
    h = pd.DataFrame(
        {
            "approve": approve,
            "dereg": dereg,
            "connected": np.r_[np.zeros(n, bool), np.ones(c.size, bool)],
            "places": np.r_[capacity, np.ones(c.size, "int64")],
        }
    )
    h = h[h["approve"] <= end]
    ids = ctx.ids("household", np.full(len(h), la))
    h["id"] = sid("FH", ids)
    idmap = pd.Series(h["id"].to_numpy(), index=h.index)
    pl_home = spell_home[spells.index.get_indexer(pl["spell"])]
    ctx.frames.add(
        "ext_cla_placement_carer",
        {
            "plca_placement_id": sid("PL", pl["clap_cla_placement_id"].to_numpy()),
            "plca_household_id": idmap.reindex(pl_home).to_numpy(),
            "plca_placement_unplanned": flag(
                ~pl["clap_cla_placement_end_date"].isna().to_numpy()
                & pl["clap_cla_placement_change_reason"].astype(str).isin(["CREQB", "CREQO", "ALLEG", "STAND", "CHILD", "CLOSE"]).to_numpy()
            ),
        },
    )
    return h.reset_index(drop=True)


def _place_with_carers(
    rng: np.random.Generator,
    start: np.ndarray,
    stop: np.ndarray,
    approve: np.ndarray,
    dereg: np.ndarray,
    capacity: np.ndarray,
    end: np.datetime64,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Each spell, in start order, with a household approved then, not de-registered and with a free place (drawn at
    random); when none has one, a new household approved for it. Returns the spell's household and the households."""
    far = np.datetime64("9999-12-31")
    room = approve.size + start.size
    approve = np.r_[approve, np.full(start.size, NAT)]
    dereg = np.r_[np.where(np.isnat(dereg), far, dereg), np.full(start.size, far)]
    capacity = np.r_[capacity, 1 + choice3(rng, start.size, CAPACITY)]
    busy = np.full((room, int(capacity.max())), np.datetime64("1900-01-01"), dtype="datetime64[D]")
    for k in range(busy.shape[1]):  # places a household does not have are never free
        busy[capacity <= k, k] = far
    n = room - start.size
    home = np.empty(start.size, dtype="int64")
    stop = np.where(np.isnat(stop), far, stop)
    for i in np.argsort(start, kind="stable"):
        t = start[i]
        free = (approve[:n] <= t) & (dereg[:n] > t) & (busy[:n].min(axis=1) <= t)
        cands = np.flatnonzero(free)
        if cands.size:
            j = cands[rng.integers(0, cands.size)]
        else:
            j, n = n, n + 1
            approve[j] = t - days(rng.integers(0, 60))
            dereg[j] = t + days(max(rng.exponential(HOUSEHOLD_YEARS * 365.25), 180))
        home[i] = j
        busy[j, busy[j].argmin()] = stop[i]
    dereg = np.where(dereg[:n] == far, NAT, dereg[:n])
    return home, approve[:n], dereg, capacity[:n]


@dataclasses.dataclass
class Supervision:
    """Households' supervising social workers over time: one row per spell (household index, worker, from), in
    household then date order; `worker`/`team` are the staff's ids and teams."""

    household: np.ndarray
    worker: np.ndarray
    since: np.ndarray
    ids: np.ndarray
    teams: np.ndarray

    def at(self, household: np.ndarray, day: np.ndarray) -> np.ndarray:
        """The index of the worker supervising each household on each day (on or after its first spell)."""
        offset = np.datetime64("1800-01-01")
        key = self.household * 100_000 + (self.since - offset).astype(int)
        spell = np.searchsorted(key, household * 100_000 + (day - offset).astype(int), side="right") - 1
        return self.worker[spell]

    def last(self, n: int) -> tuple[np.ndarray, np.ndarray]:
        """Each household's latest supervising social worker and team (none for a household de-registered before the
        data window)."""
        latest = np.r_[self.household[1:] != self.household[:-1], True]
        worker, team = np.full(n, None, dtype=object), np.full(n, None, dtype=object)
        worker[self.household[latest]] = self.ids[self.worker[latest]]
        team[self.household[latest]] = self.teams[self.worker[latest]]
        return worker, team


def _supervisors(ctx: Ctx, h: pd.DataFrame, staff: pd.DataFrame) -> Supervision:
    """Each household's supervising social worker from approval (or the data window's start): one of the service's
    social workers in post, drawn at random, and another in post when they leave."""
    rng, end = ctx.rng, ctx.end
    sw = staff[staff["sstf_role"] == "SOCIAL_WORKER"]
    s_start = sw["sstf_staff_start_date"].to_numpy("datetime64[D]")
    far = np.datetime64("9999-12-31")
    s_end = sw["sstf_staff_end_date"].to_numpy("datetime64[D]")
    s_end = np.where(np.isnat(s_end), far, s_end)
    start = np.maximum(h["approve"].to_numpy("datetime64[D]"), ctx.data_start)
    dereg = h["dereg"].to_numpy("datetime64[D]")
    stop = np.where(np.isnat(dereg), end, np.minimum(dereg, end))
    household, worker, since = [], [], []
    for i in np.flatnonzero(start <= stop):  # households de-registered before the data window have none recorded
        t = start[i]
        while True:
            in_post = np.flatnonzero((s_start <= t) & (s_end > t))
            j = in_post[rng.integers(0, in_post.size)] if in_post.size else int(np.argmin(np.where(s_start > t, s_start, far)))
            household.append(i)
            worker.append(j)
            since.append(t)
            t = s_end[j]
            if t >= stop[i]:
                break
    return Supervision(
        np.asarray(household, "int64"),
        np.asarray(worker, "int64"),
        np.asarray(since, "datetime64[D]"),
        sw["sstf_staff_id"].to_numpy(),
        sw["sstf_team"].to_numpy(),
    )


def _household_records(ctx: Ctx, la: int, h: pd.DataFrame, enquiry: pd.Series, sup: Supervision) -> None:
    rng, end, start_data = ctx.rng, ctx.end, ctx.data_start
    n = len(h)
    conn = h["connected"].to_numpy()
    approve, dereg = h["approve"].to_numpy("datetime64[D]"), h["dereg"].to_numpy("datetime64[D]")
    kind = np.where(conn, 1, np.where(rng.random(n) < 0.06, 2, 0))
    eth = pick(rng, HOUSEHOLD_ETHNICITY, n)
    reason = np.where(np.isnat(dereg), -1, np.where(conn, 0, np.asarray(choice3(rng, n, [0.7, 0.2, 0.1]))))
    supervisor, supervising_team = sup.last(n)
    ctx.frames.add(
        "ext_fostering_household",
        {
            "fohh_household_id": h["id"].to_numpy(),
            "fohh_la_code": ctx.auths[la].la_code,
            "fohh_household_type": codes(["INHOUSE", "CONNECTED", "FORMER_AGENCY"], kind),
            "fohh_ethnicity": eth,
            "fohh_enquiry_id": enquiry.reindex(range(n)).to_numpy(),
            "fohh_approval_date": approve,
            "fohh_deregistration_date": dereg,
            "fohh_deregistration_reason": codes(["RESIGNED", "TERMINATED", "TRANSFERRED"], reason),
            "fohh_payment_level": pick(rng, {"L1": 0.4, "L2": 0.4, "L3": 0.2}, n),
            "fohh_worker_id": supervisor,
            "fohh_team": supervising_team,
        },
    )
    couple = rng.random(n) < 0.6
    carers = np.r_[np.arange(n), np.flatnonzero(couple)]
    ctx.frames.add(
        "ext_foster_carer",
        {
            "foca_carer_id": sid("FC", ctx.ids("carer", np.full(carers.size, la))),
            "foca_household_id": h["id"].to_numpy()[carers],
            "foca_sex": codes(["F", "M"], np.r_[np.where(rng.random(n) < 0.85, 0, 1), np.ones(couple.sum(), "int64")]),
            "foca_ethnicity": np.asarray(eth).astype(str)[carers],
            "foca_start_date": approve[carers],
            "foca_end_date": dereg[carers],
        },
    )
    _approvals(ctx, la, h, conn)
    # Places: one block at approval (the general household's capacity), and for some an extra place later.
    places = h["places"].to_numpy()
    extra = np.flatnonzero(~conn & (rng.random(n) < 0.15))
    extra_start = approve[extra] + days(rng.integers(365, 2000, extra.size))
    later = (extra_start <= end) & (np.isnat(dereg[extra]) | (extra_start < dereg[extra]))
    extra, extra_start = extra[later], extra_start[later]
    ctx.frames.add(
        "ext_fostering_places",
        {
            "fopl_places_id": sid("FP", ctx.ids("places", np.full(n + extra.size, la))),
            "fopl_household_id": h["id"].to_numpy()[np.r_[np.arange(n), extra]],
            "fopl_places": np.r_[places, np.ones(extra.size, "int64")],
            "fopl_age_from": 0,
            "fopl_age_to": 17,
            "fopl_places_start_date": np.r_[approve, extra_start],
            "fopl_places_end_date": np.r_[dereg, dereg[extra]],
        },
    )
    _reviews_and_visits(ctx, la, h, sup)
    # Allegations and complaints: about 0.08 and 0.05 per household-year in the data window.
    live_from = np.maximum(approve, start_data)
    live_to = np.where(np.isnat(dereg), end, dereg)
    years = np.maximum((live_to - live_from).astype(int), 0) / 365.25
    for table, rate in (("ext_fostering_allegation", 0.08), ("ext_fostering_complaint", 0.05)):
        k = rng.poisson(rate * years)
        own, _ = group_offsets(k)
        when = live_from[own] + days(rng.random(own.size) * (live_to[own] - live_from[own]).astype(int))
        if table == "ext_fostering_allegation":
            late = rng.random(own.size) < 0.1
            ctx.frames.add(
                table,
                {
                    "foal_allegation_id": sid("AL", ctx.ids("allegation", np.full(own.size, la))),
                    "foal_household_id": h["id"].to_numpy()[own],
                    "foal_allegation_date": when,
                    "foal_council_notified_date": when + days(np.where(late, rng.integers(4, 10, own.size), rng.integers(0, 3, own.size))),
                    "foal_lado_notified": flag(rng.random(own.size) < 0.5),
                    "foal_outcome": pick(
                        rng, {"UNSUBSTANTIATED": 0.5, "SUBSTANTIATED": 0.15, "UNFOUNDED": 0.3, "MALICIOUS": 0.05}, own.size
                    ),
                },
            )
        else:
            ctx.frames.add(
                table,
                {
                    "foco_complaint_id": sid("CO", ctx.ids("complaint", np.full(own.size, la))),
                    "foco_household_id": h["id"].to_numpy()[own],
                    "foco_complaint_date": when,
                    "foco_complainant": pick(rng, {"CARER": 0.5, "PARENT": 0.3, "CHILD": 0.1, "OTHER": 0.1}, own.size),
                },
            )


def choice3(rng: np.random.Generator, n: int, probs: list[float]) -> np.ndarray:
    p = np.asarray(probs) / sum(probs)
    return np.searchsorted(np.cumsum(p), rng.random(n), side="right").clip(0, len(p) - 1)


APPROVAL_TYPES = ("PERMANENT", "SHORT_TERM", "EMERGENCY", "FAMILY_FRIEND", "PARENT_CHILD", "REMAND", "SHORT_BREAK", "SUPPORTED_LODGINGS")
GENERAL_TYPE_SHARE = (0.45, 0.9, 0.2, 0.0, 0.06, 0.04, 0.1, 0.03)  # share of general households holding each type


def _approvals(ctx: Ctx, la: int, h: pd.DataFrame, conn: np.ndarray) -> None:
    rng, n = ctx.rng, len(h)
    holds = rng.random((n, len(APPROVAL_TYPES))) < np.array(GENERAL_TYPE_SHARE)
    holds[~conn, 1] |= ~holds[~conn].any(axis=1)  # every general household holds at least one type
    holds[conn] = False
    holds[conn, APPROVAL_TYPES.index("FAMILY_FRIEND")] = True
    hh, typ = np.nonzero(holds)
    ctx.frames.add(
        "ext_fostering_approval",
        {
            "foap_approval_id": sid("FA", ctx.ids("approval", np.full(hh.size, la))),
            "foap_household_id": h["id"].to_numpy()[hh],
            "foap_approval_type": codes(APPROVAL_TYPES, typ),
            "foap_approval_start_date": h["approve"].to_numpy("datetime64[D]")[hh],
            "foap_approval_end_date": h["dereg"].to_numpy("datetime64[D]")[hh],
        },
    )


def _reviews_and_visits(ctx: Ctx, la: int, h: pd.DataFrame, sup: Supervision) -> None:
    """Annual reviews (a few late) and supervisory visits about every 6 weeks (a few gaps longer), in the data window;
    the first review after approval and a tenth of the others are heard at panel."""
    rng, end = ctx.rng, ctx.end
    approve, dereg = h["approve"].to_numpy("datetime64[D]"), h["dereg"].to_numpy("datetime64[D]")
    stop = np.where(np.isnat(dereg), end, np.minimum(dereg, end))
    n_rev = np.maximum(((stop - approve).astype(int) // 365), 0)
    own, k = group_offsets(n_rev)
    late = rng.random(own.size) < 0.08
    rdate = (
        add_months(approve[own], 12 * (k + 1))
        - days(rng.integers(0, 30, own.size))
        + days(np.where(late, rng.integers(31, 90, own.size), 0))
    )
    keep = (rdate <= stop[own]) & (rdate >= ctx.data_start)
    own, k, rdate = own[keep], k[keep], rdate[keep]
    rid = sid("FR", ctx.ids("review", np.full(own.size, la)))
    ctx.frames.add("ext_fostering_review", {"fore_review_id": rid, "fore_household_id": h["id"].to_numpy()[own], "fore_review_date": rdate})
    at_panel = (k == 0) | (rng.random(own.size) < 0.1)
    differs = rng.random(own.size) < 0.03
    panel = rdate + days(rng.integers(14, 45, own.size))
    at_panel &= panel <= end
    ctx.frames.add(
        "ext_fostering_panel",
        {
            "fopa_item_id": sid("PN", ctx.ids("panel", np.full(int(at_panel.sum()), la))),
            "fopa_item_type": "REVIEW",
            "fopa_household_id": h["id"].to_numpy()[own][at_panel],
            "fopa_review_id": rid[at_panel],
            "fopa_panel_date": panel[at_panel],
            "fopa_panel_recommendation": "CONTINUE",
            "fopa_adm_decision_date": np.minimum(panel[at_panel] + days(rng.integers(3, 10, int(at_panel.sum()))), end),
            "fopa_adm_decision": np.where(differs[at_panel], "CONTINUE_WITH_CHANGES", "CONTINUE"),
        },
    )
    first = np.maximum(approve, ctx.data_start)
    n_vis = ((stop - first).astype(int) // 30 + 2).clip(0)
    own, k = group_offsets(n_vis)
    gaps = np.where(rng.random(own.size) < 0.95, rng.integers(21, 43, own.size), rng.integers(43, 80, own.size))
    cum = pd.Series(gaps).groupby(own).cumsum().to_numpy()
    vdate = first[own] + days(cum - gaps * (k == 0) + rng.integers(0, 20, own.size) * (k == 0))  # the first after approval
    keep = vdate <= stop[own]
    own, vdate = own[keep], vdate[keep]
    ctx.frames.add(
        "ext_fostering_visit",
        {
            "fovi_visit_id": sid("FV", ctx.ids("fvisit", np.full(own.size, la))),
            "fovi_household_id": h["id"].to_numpy()[own],
            "fovi_visit_date": vdate,
            "fovi_unannounced": flag(rng.random(own.size) < 0.1),
            "fovi_worker_id": sup.ids[sup.at(own, vdate)],
        },
    )


def _recruitment(ctx: Ctx, la: int, h: pd.DataFrame) -> pd.Series:
    """Enquiries: each general household approved in the window came from one; about 8 more enquiries per approval
    went no further (most after the initial visit), were stopped or not approved, or are still open."""
    rng, end = ctx.rng, ctx.end
    new = np.flatnonzero(~h["connected"].to_numpy() & (h["approve"].to_numpy("datetime64[D]") >= ctx.data_start + days(200)))
    approve = h["approve"].to_numpy("datetime64[D]")[new]
    m = new.size
    assess_end = approve - days(rng.integers(10, 30, m))
    stage2 = assess_end - days(rng.integers(90, 150, m))
    stage1 = stage2 - days(rng.integers(45, 90, m))
    visit = stage1 - days(rng.integers(7, 30, m))
    enquiry = visit - days(rng.integers(3, 21, m))
    k = rng.poisson(8 * m)
    e2 = ctx.data_start + days(rng.random(k) * (end - ctx.data_start).astype(int))
    fate = choice3(rng, k, [0.75, 0.15, 0.05, 0.05])  # withdrew by the initial visit, stopped in assessment, not approved, open
    v2 = e2 + days(rng.integers(5, 30, k))
    visit2 = np.where((fate > 0) | (rng.random(k) < 0.6), v2, NAT)
    s1 = np.where(fate > 0, v2 + days(rng.integers(7, 40, k)), NAT)
    s2 = np.where(fate == 2, s1 + days(rng.integers(45, 90, k)), NAT)
    ended = np.select(
        [fate == 0, fate == 1, fate == 2],
        [
            np.where(np.isnat(visit2), e2, visit2) + days(rng.integers(5, 30, k)),
            s1 + days(rng.integers(20, 120, k)),
            s2 + days(rng.integers(60, 200, k)),
        ],
        NAT,
    )
    visit2, s1, s2, ended = (np.where(x <= end, x, NAT) for x in (visit2, s1, s2, ended))
    outcome = np.where(np.isnat(ended), -1, np.select([fate == 0, fate == 1], [2, 3], 1))
    ids = sid("FE", ctx.ids("enquiry", np.full(m + k, la)))
    ctx.frames.add(
        "ext_fostering_enquiry",
        {
            "foen_enquiry_id": ids,
            "foen_enquiry_date": np.r_[enquiry, e2],
            "foen_ethnicity": pick(rng, HOUSEHOLD_ETHNICITY, m + k),
            "foen_initial_visit_date": np.r_[visit, visit2],
            "foen_assessment_start_date": np.r_[stage1, s1],
            "foen_stage2_start_date": np.r_[stage2, s2],
            "foen_assessment_end_date": np.r_[assess_end, ended],
            "foen_outcome": codes(["APPROVED", "NOT_APPROVED", "WITHDRAWN", "STOPPED"], np.r_[np.zeros(m, "int64"), outcome]),
        },
    )
    hh = h["id"].to_numpy()[new]
    ctx.frames.add(
        "ext_fostering_panel",
        {
            "fopa_item_id": sid("PN", ctx.ids("panel", np.full(m, la))),
            "fopa_item_type": "APPROVAL",
            "fopa_household_id": hh,
            "fopa_enquiry_id": ids[:m],
            "fopa_panel_date": assess_end,
            "fopa_panel_recommendation": "APPROVE",
            "fopa_adm_decision_date": approve,
            "fopa_adm_decision": "APPROVE",
        },
    )
    return pd.Series(ids[:m], index=new)


def _responsibility(ctx: Ctx, la: int, pl: pd.DataFrame) -> None:
    """The permanency service is responsible for children matched to long-term general in-house carers (903 U4 with
    PR1), from the ADM's agreement to the end of that carer spell, and for those who turn 18 there until they are 21."""
    rng, end = ctx.rng, ctx.end
    lt = pl[(pl["clap_cla_placement_type"].astype(str) == "U4").to_numpy()]
    g = lt.groupby("spell")
    person = g["clap_person_id"].first()
    start = g["clap_cla_placement_start_date"].min().to_numpy("datetime64[D]") + days(rng.integers(0, 30, len(person)))
    spell_end = pl.groupby("spell")["clap_cla_placement_end_date"].max().reindex(person.index).to_numpy("datetime64[D]")
    still_open = pl.groupby("spell")["clap_cla_placement_end_date"].apply(lambda s: s.isna().any()).reindex(person.index).to_numpy()
    spell_end = np.where(still_open, NAT, spell_end)
    dob = _dobs(ctx, person.to_numpy())
    eighteen = birthday(dob, 18)
    aged_out = ~np.isnat(spell_end) & (spell_end >= eighteen - days(1))
    stop = np.where(aged_out, birthday(dob, 21), spell_end)
    stop = np.where(stop > end, NAT, stop)
    keep = (start <= end) & (np.isnat(stop) | (stop > start))
    reason = np.where(np.isnat(stop), -1, np.where(aged_out, 3, np.where(rng.random(len(person)) < 0.5, 1, 0)))
    ctx.frames.add(
        "ext_service_responsibility",
        pd.DataFrame(
            {
                "serv_table_id": sid("SR", ctx.ids("responsibility", np.full(len(person), la))),
                "serv_person_id": person.to_numpy(),
                "serv_service": "PERMANENCY",
                "serv_responsibility_start_date": start,
                "serv_responsibility_end_date": stop,
                "serv_end_reason": codes(["UNPLANNED_END", "PLACEMENT_CHANGE", "LEFT_CARE", "AGED_OUT", "OTHER"], reason),
            }
        )[keep],
    )
    matched = start[keep]
    ctx.frames.add(
        "ext_fostering_panel",
        {
            "fopa_item_id": sid("PN", ctx.ids("panel", np.full(matched.size, la))),
            "fopa_item_type": "PERMANENT_MATCH",
            "fopa_person_id": person.to_numpy()[keep],
            "fopa_panel_date": matched - days(rng.integers(7, 21, matched.size)),
            "fopa_panel_recommendation": "MATCH",
            "fopa_adm_decision_date": matched,
            "fopa_adm_decision": "MATCH",
        },
    )


def _dobs(ctx: Ctx, person: np.ndarray) -> np.ndarray:
    ids, _, dob, _ = ctx.people()
    order = np.argsort(ids)
    return dob[order][np.searchsorted(ids[order], person)]


def _adopters(ctx: Ctx, la: int) -> None:
    """Adopters for every match in ssd_permanence (a quarter from other agencies: inter-agency placements), adopters
    approved for other authorities' children, adopters still waiting or who withdrew, and registrations that went no
    further than stage 1 or 2."""
    rng, end, start_data = ctx.rng, ctx.end, ctx.data_start
    perm = ctx.frames.get("ssd_permanence")
    perm = perm[~perm["perm_matched_date"].isna().to_numpy() & (ctx.la_of(perm["perm_person_id"].to_numpy()) == la)]
    matched = perm["perm_matched_date"].to_numpy("datetime64[D]")
    m = matched.size
    own_agency = rng.random(m) < 0.75
    approval = matched - days(rng.lognormal(np.log(120), 0.6, m))
    # Own adopters for other authorities' children, and own adopters waiting or withdrawing.
    years = (end - start_data).astype(int) / 365.25
    x = rng.poisson(0.35 * max(m, 1) / max(years + 4, 1) * years)
    x_approval = start_data + days(rng.random(x) * (end - start_data).astype(int))
    fate = choice3(rng, x, [0.55, 0.2, 0.25])  # matched with another authority's child, withdrew, still waiting
    x_match = np.where(fate == 0, x_approval + days(rng.lognormal(np.log(150), 0.5, x)), NAT)
    x_match = np.where(x_match <= end, x_match, NAT)
    x_end = np.where(fate == 1, x_approval + days(rng.integers(200, 600, x)), NAT)
    x_end = np.where(x_end <= end, x_end, NAT)
    n = m + x
    appr = np.r_[approval, x_approval]
    stage2 = appr - days(rng.integers(100, 160, n))
    stage1 = stage2 - days(rng.integers(45, 75, n))
    reg = stage1 - days(rng.integers(7, 45, n))
    ids = sid("AD", ctx.ids("adopter", np.full(n, la)))
    agency = np.where(np.r_[own_agency, np.ones(x, bool)], "OWN", np.array(OTHER_AGENCIES)[rng.integers(0, len(OTHER_AGENCIES), n)])
    order = np.r_[perm["perm_permanence_order_date"].to_numpy("datetime64[D]"), np.full(x, NAT)]
    placed = np.r_[perm["perm_placed_for_adoption_date"].to_numpy("datetime64[D]"), x_match + days(rng.integers(10, 30, x))]
    placed = np.where(placed <= end, placed, NAT)
    x_order = placed[m:] + days(rng.integers(150, 300, x))
    order[m:] = np.where(x_order <= end, x_order, NAT)
    ended = np.r_[order[:m], np.where(np.isnat(x_end), order[m:], x_end)]
    waited = ~np.isnat(appr) & np.isnat(np.r_[matched, x_match]) & (appr + days(365) <= end)
    reviewed = np.where(waited, appr + days(365 + rng.integers(0, 30, n)), NAT)
    ctx.frames.add(
        "ext_adopter",
        {
            "adop_adopter_id": ids,
            "adop_agency": agency,
            "adop_ethnicity": pick(rng, HOUSEHOLD_ETHNICITY, n),
            "adop_number_of_adopters": np.where(rng.random(n) < 0.85, 2, 1),
            "adop_registration_date": reg,
            "adop_enquiry_response_date": reg + days(np.where(rng.random(n) < 0.9, 0, rng.integers(1, 5, n))),
            "adop_stage1_start_date": stage1,
            "adop_stage2_start_date": stage2,
            "adop_approval_date": appr,
            "adop_end_date": np.where(ended <= end, ended, NAT),
            "adop_end_reason": codes(
                ["ADOPTED", "WITHDRAWN"],
                np.where(np.isnat(ended) | (ended > end), -1, np.r_[np.zeros(m, "int64"), (fate == 1).astype("int64")]),
            ),
            "adop_review_date": np.where(reviewed <= end, reviewed, NAT),
        },
    )
    has_match = np.r_[np.ones(m, bool), ~np.isnat(x_match)]
    k = np.flatnonzero(has_match)
    mdate = np.r_[matched, x_match][k]
    ctx.frames.add(
        "ext_adoption_match",
        {
            "adma_match_id": sid("AM", ctx.ids("match", np.full(k.size, la))),
            "adma_adopter_id": ids[k],
            "adma_person_id": np.r_[perm["perm_person_id"].to_numpy(), -np.ones(x, "int64")][k],
            "adma_child_la_code": np.r_[np.full(m, ctx.auths[la].la_code), np.array(OTHER_AGENCIES[:2])[rng.integers(0, 2, x)]][k],
            "adma_panel_date": mdate - days(rng.integers(3, 14, k.size)),
            "adma_matched_date": mdate,
            "adma_placed_date": placed[k],
            "adma_adoption_order_date": order[k],
        },
    )
    # Registrations that went no further: about twice the approvals.
    r = rng.poisson(2 * n / max(years + 4, 1) * years)
    rreg = start_data + days(rng.random(r) * (end - start_data).astype(int))
    rs1 = rreg + days(rng.integers(7, 45, r))
    rs2 = np.where(rng.random(r) < 0.3, rs1 + days(rng.integers(45, 75, r)), NAT)
    rend = np.where(np.isnat(rs2), rs1 + days(rng.integers(20, 60, r)), rs2 + days(rng.integers(30, 150, r)))
    rs1, rs2 = np.where(rs1 <= end, rs1, NAT), np.where(rs2 <= end, rs2, NAT)
    rend = np.where(rend <= end, rend, NAT)
    ctx.frames.add(
        "ext_adopter",
        {
            "adop_adopter_id": sid("AD", ctx.ids("adopter", np.full(r, la))),
            "adop_agency": "OWN",
            "adop_ethnicity": pick(rng, HOUSEHOLD_ETHNICITY, r),
            "adop_number_of_adopters": np.where(rng.random(r) < 0.8, 2, 1),
            "adop_registration_date": rreg,
            "adop_enquiry_response_date": rreg + days(np.where(rng.random(r) < 0.9, 0, rng.integers(1, 5, r))),
            "adop_stage1_start_date": rs1,
            "adop_stage2_start_date": rs2,
            "adop_end_date": rend,
            "adop_end_reason": codes(["WITHDRAWN", "NOT_APPROVED"], np.where(np.isnat(rend), -1, (rng.random(r) < 0.15).astype("int64"))),
        },
    )


def _adopter_assessments(ctx: Ctx) -> None:
    """When each adopter household's stage 1 ended, its application was submitted and stage 2 ended (Annex A list 11):
    stage 1 ends up to a fortnight before stage 2 starts, the application follows within a week, and stage 2 ends one
    to four weeks before approval (or before a decision not to approve). Last, on a stream of its own, so every other
    table is as it was without it."""
    a = ctx.frames.get("ext_adopter")
    if a.empty:
        return
    rng = np.random.default_rng(ctx.rng.bit_generator.seed_seq.spawn(1)[0])
    n = len(a)
    stage1 = a["adop_stage1_start_date"].to_numpy("datetime64[D]")
    stage2 = a["adop_stage2_start_date"].to_numpy("datetime64[D]")
    approved = a["adop_approval_date"].to_numpy("datetime64[D]")
    refused = np.where(a["adop_end_reason"].to_numpy() == "NOT_APPROVED", a["adop_end_date"].to_numpy("datetime64[D]"), NAT)
    stage1_end = np.maximum(stage2 - days(rng.integers(0, 15, n)), stage1)
    applied = np.minimum(stage1_end + days(rng.integers(0, 8, n)), stage2)
    decided = np.where(np.isnat(approved), refused, approved)
    stage2_end = np.maximum(decided - days(rng.integers(7, 29, n)), stage2)
    frame = a.assign(adop_stage1_end_date=stage1_end, adop_application_date=applied, adop_stage2_end_date=stage2_end)
    ctx.frames.parts["ext_adopter"] = [frame]


def _staff(ctx: Ctx, la: int) -> pd.DataFrame:
    """Posts of the service filled in turn: tenures about STAFF_YEARS long, three in four leavers voluntary; the posts
    shared among the service's teams (ssd_department), one team for every POSTS_PER_TEAM social workers."""
    rng, end, start_data = ctx.rng, ctx.end, ctx.data_start
    scale = ctx.auths[la].population / 57_600
    role = np.concatenate([np.full(max(int(round(k * scale)), 1), ri) for ri, k in enumerate(STAFF.values())])
    per_post = 12
    own, _ = group_offsets(np.full(role.size, per_post))
    tenure = days(np.maximum(rng.exponential(STAFF_YEARS * 365.25, own.size), 60))
    cum = pd.Series(tenure.astype(int)).groupby(own).cumsum().to_numpy()
    first = start_data - days(rng.integers(0, int(STAFF_YEARS * 365), role.size))
    s = first[own] + days(cum - tenure.astype(int))
    e = s + tenure
    keep = (s <= end) & (e >= start_data)
    own, s, e = own[keep], s[keep], e[keep]
    e = np.where(e <= end, e, NAT)
    code = ctx.auths[la].la_code
    teams = pd.DataFrame(team_rows(code, "FO", max(1, int(np.ceil((role == 0).sum() / POSTS_PER_TEAM)))))
    add_departments(ctx, teams, [code] * len(teams))
    staff_ids = ctx.ids("pstaff", np.full(own.size, la))
    names = np.char.add(np.array(STAFF_CODES)[role[own]], np.char.add("-", (staff_ids % 10**6).astype(str)))  # e.g. SSW-24
    ctx.frames.add(
        "ext_service_staff",
        {
            "sstf_staff_id": sid("PS", staff_ids),
            "sstf_staff_name": names.astype(object),
            "sstf_service": "PERMANENCY",
            "sstf_role": codes(list(STAFF), role[own]),
            "sstf_fte": np.where(rng.random(own.size) < 0.8, 1.0, 0.6),
            "sstf_staff_start_date": s,
            "sstf_staff_end_date": e,
            "sstf_leaving_reason": codes(
                ["VOLUNTARY", "NON_VOLUNTARY"], np.where(np.isnat(e), -1, (rng.random(own.size) < 0.25).astype("int64"))
            ),
            "sstf_team": teams["team_id"].to_numpy()[own % len(teams)],
        },
    )
    staff = ctx.frames.parts["ext_service_staff"][-1]
    _supervision_and_absence(ctx, la, staff)
    return staff


def _supervision_and_absence(ctx: Ctx, la: int, staff: pd.DataFrame) -> None:
    """Supervision about every 4 weeks (some gaps longer); about 1.5 spells of sickness a year of 1-10 working days."""
    rng, end = ctx.rng, ctx.end
    s = np.maximum(staff["sstf_staff_start_date"].to_numpy("datetime64[D]"), ctx.data_start)
    e = staff["sstf_staff_end_date"].to_numpy("datetime64[D]")
    e = np.where(np.isnat(e), end, e)
    span = np.maximum((e - s).astype(int), 0)
    own, _ = group_offsets(span // 25 + 1)
    gaps = np.where(rng.random(own.size) < 0.9, rng.integers(20, 29, own.size), rng.integers(29, 50, own.size))
    when = s[own] + days(pd.Series(gaps).groupby(own).cumsum().to_numpy())
    keep = when <= e[own]
    ctx.frames.add(
        "ext_staff_supervision",
        {
            "stsu_table_id": sid("SU", ctx.ids("supervision", np.full(int(keep.sum()), la))),
            "stsu_staff_id": staff["sstf_staff_id"].to_numpy()[own[keep]],
            "stsu_supervision_date": when[keep],
        },
    )
    own, _ = group_offsets(rng.poisson(1.5 * span / 365.25))
    first = s[own] + days(rng.random(own.size) * span[own])
    lost = rng.integers(1, 11, own.size)
    last = add_wd(first, lost - 1)
    keep = last <= end
    ctx.frames.add(
        "ext_staff_absence",
        {
            "stab_table_id": sid("SB", ctx.ids("absence", np.full(int(keep.sum()), la))),
            "stab_staff_id": staff["sstf_staff_id"].to_numpy()[own[keep]],
            "stab_absence_start_date": first[keep],
            "stab_absence_end_date": last[keep],
            "stab_days_lost": lost[keep].astype(float),
        },
    )


def _special_guardianship(ctx: Ctx) -> None:
    """Assessments for every SGO/CAO made for a looked-after child (ssd_permanence), for orders for children not looked
    after (kinship carers in proceedings) and for assessments that led to no order; contacts and support after."""
    rng, end, start_data = ctx.rng, ctx.end, ctx.data_start
    perm = ctx.frames.get("ssd_permanence")
    typ = perm["perm_permanence_order_type"].astype(str).to_numpy()
    lac = perm[np.isin(typ, ["Special guardianship order", "Child arrangements order"])]
    lac_type = np.where(lac["perm_permanence_order_type"].astype(str).to_numpy() == "Child arrangements order", 1, 0)
    years = (end - start_data).astype(int) / 365.25
    pops = ctx.per_la("population")
    ref = _referrals(ctx, OTHER_SGO_RATE * pops / 1e4 * years, rng)
    o_person = ref["cine_person_id"].to_numpy()
    o_order = ref["cine_referral_date"].to_numpy("datetime64[D]") + days(rng.integers(150, 400, o_person.size))
    keep = (o_order <= end) & (o_order < birthday(_dobs(ctx, o_person), 18))
    o_person, o_order = o_person[keep], o_order[keep]
    la = ctx.la_of(o_person)
    person = np.r_[lac["perm_person_id"].to_numpy(), o_person]
    order = np.r_[lac["perm_permanence_order_date"].to_numpy("datetime64[D]"), o_order]
    otype = np.r_[lac_type, np.where(rng.random(la.size) < 0.3, 1, 0)]
    n = person.size
    lac_la = ctx.la_of(person)
    presented = order - days(rng.integers(20, 60, n))
    # Due at the court's date or 16 weeks from the start, whichever is sooner; about four in five on time (T3).
    court_days = rng.integers(70, 130, n)
    due_days = np.minimum(court_days, 112)
    took = np.where(rng.random(n) < SGO_ON_TIME, due_days * rng.uniform(0.7, 1.0, n), due_days + rng.integers(5, 40, n))
    completed = presented - days(rng.integers(2, 15, n))
    start = completed - days(took)
    court_due = start + days(court_days)
    accepted = rng.random(n) < 0.92
    aid = sid("SA", ctx.ids("sgo_assessment", lac_la))
    # Assessments that led to no order (negative assessments; the court accepted most of them too), and open ones.
    q = rng.poisson(0.25 * n)
    q_person = person[rng.integers(0, max(n, 1), q)] if n else np.array([], "int64")
    q_start = start_data + days(rng.random(q) * (end - start_data).astype(int))
    q_done = q_start + days(rng.integers(60, 130, q))
    q_pres = q_done + days(rng.integers(2, 15, q))
    q_la = ctx.la_of(q_person)
    ctx.frames.add(
        "ext_sgo_assessment",
        {
            "sgoa_assessment_id": np.r_[aid, sid("SA", ctx.ids("sgo_assessment", q_la))],
            "sgoa_person_id": np.r_[person, q_person],
            "sgoa_order_type": codes(["SGO", "CAO"], np.r_[otype, np.zeros(q, "int64")]),
            "sgoa_assessment_start_date": np.r_[start, q_start],
            "sgoa_court_due_date": np.r_[court_due, q_start + days(rng.integers(70, 130, q))],
            "sgoa_completed_date": np.r_[completed, np.where(q_done <= end, q_done, NAT)],
            "sgoa_presented_date": np.r_[presented, np.where(q_pres <= end, q_pres, NAT)],
            "sgoa_carer_id": np.r_[_foster_carers_of(ctx, person), np.full(q, None, dtype=object)],
            "sgoa_recommendation_accepted": codes(
                ["N", "Y"], np.r_[accepted, np.where(q_pres <= end, rng.random(q) < 0.85, -1)].astype("int64")
            ),
        },
    )
    oid = sid("SG", ctx.ids("sgo_order", lac_la))
    unplanned = np.where(rng.random(n) < 0.04, order + days(rng.integers(60, 1500, n)), NAT)
    ctx.frames.add(
        "ext_sgo_order",
        {
            "sgoo_order_id": oid,
            "sgoo_person_id": person,
            "sgoo_order_type": codes(["SGO", "CAO"], otype),
            "sgoo_order_date": order,
            "sgoo_support_plan_date": order - days(rng.integers(0, 30, n)),
            "sgoo_unplanned_end_date": np.where(unplanned <= end, unplanned, NAT),
            "sgoo_assessment_id": aid,
        },
    )
    # Contacts: most carers kept in touch with about twice a year after the order; a third get post-order support.
    in_touch = rng.random(n) < 0.85
    yrs = np.maximum((end - np.maximum(order, start_data)).astype(int), 0) / 365.25
    c = rng.poisson(2 * yrs * in_touch)
    own, _ = group_offsets(c)
    span = (end - np.maximum(order, start_data)).astype(int)
    when = np.maximum(order, start_data)[own] + days(rng.random(own.size) * span[own])
    ctx.frames.add(
        "ext_sgo_contact",
        {
            "sgoc_contact_id": sid("SC", ctx.ids("sgo_contact", lac_la[own])),
            "sgoc_order_id": oid[own],
            "sgoc_contact_date": when,
            "sgoc_post_order_support": flag(rng.random(own.size) < 0.3),
        },
    )


def _foster_carers_of(ctx: Ctx, person: np.ndarray) -> np.ndarray:
    """A carer of the household of each child's latest in-house foster placement (None where there was none): the
    foster carers assessed as the child's permanent carers (special guardians)."""
    pl = ctx.frames.get("ssd_cla_placement")
    pl = pd.DataFrame(
        {
            "pid": sid("PL", pl["clap_cla_placement_id"].to_numpy()),
            "person": pl["clap_person_id"].to_numpy(),
            "start": pl["clap_cla_placement_start_date"],
        }
    )
    link = ctx.frames.get("ext_cla_placement_carer").rename(columns={"plca_placement_id": "pid", "plca_household_id": "hh"})
    carers = ctx.frames.get("ext_foster_carer").drop_duplicates("foca_household_id").set_index("foca_household_id")["foca_carer_id"]
    last = pl.merge(link[["pid", "hh"]], on="pid").sort_values("start").drop_duplicates("person", keep="last").set_index("person")["hh"]
    return last.reindex(person).map(carers).to_numpy(dtype=object)


def _family_group_conferences(ctx: Ctx) -> None:
    """Conferences for a sample of referrals: the plan circulated within 5 working days for most; outcomes recorded
    6 and 12 months after once that time has passed."""
    rng, end, start_data = ctx.rng, ctx.end, ctx.data_start
    ref = ctx.frames.get("ssd_cin_episodes")
    ref = ref[(ref["cine_referral_date"].to_numpy("datetime64[D]") >= start_data)]
    years = (end - start_data).astype(int) / 365.25
    want = rng.poisson(FGC_RATE * ctx.per_la("population").sum() / 1e4 * years)
    pick_rows = ref.iloc[rng.choice(len(ref), size=min(want, len(ref)), replace=False)] if len(ref) else ref
    n = len(pick_rows)
    referral = pick_rows["cine_referral_date"].to_numpy("datetime64[D]") + days(rng.integers(5, 60, n))
    conference = referral + days(rng.integers(20, 60, n))
    circulated = add_wd(conference, np.where(rng.random(n) < 0.85, rng.integers(1, 6, n), rng.integers(6, 15, n)))
    outcome = {"AT_HOME": 0.6, "WITH_FAMILY": 0.25, "LOOKED_AFTER": 0.1, "OTHER": 0.05}
    six, twelve = pick(rng, outcome, n), pick(rng, outcome, n)
    ok = conference <= end
    frame = pd.DataFrame(
        {
            "fgcc_fgc_id": sid("FG", ctx.ids("fgc", ctx.la_of(pick_rows["cine_person_id"].to_numpy()))),
            "fgcc_person_id": pick_rows["cine_person_id"].to_numpy(),
            "fgcc_referral_date": referral,
            "fgcc_conference_date": conference,
            "fgcc_plan_circulated_date": np.where(circulated <= end, circulated, NAT),
            "fgcc_outcome_6m": pd.Categorical(np.where(add_months(conference, 6) <= end, np.asarray(six).astype(str), None)),
            "fgcc_outcome_12m": pd.Categorical(np.where(add_months(conference, 12) <= end, np.asarray(twelve).astype(str), None)),
        }
    )
    ctx.frames.add("ext_family_group_conference", frame[ok & (referral <= end)])


def _private_fostering(ctx: Ctx) -> None:
    """Notifications of private fostering (children new to the data): a visit within 7 working days for most."""
    rng, end, start_data = ctx.rng, ctx.end, ctx.data_start
    years = (end - start_data).astype(int) / 365.25
    ref = _referrals(ctx, PRIVATE_FOSTERING_RATE * ctx.per_la("population") / 1e4 * years, rng)
    person = ref["cine_person_id"].to_numpy()
    note = ref["cine_referral_date"].to_numpy("datetime64[D]")
    la = ctx.la_of(person)
    n = la.size
    visit = add_wd(note, np.where(rng.random(n) < 0.8, rng.integers(1, 8, n), rng.integers(8, 20, n)))
    assessed = visit + days(rng.integers(20, 50, n))
    start = note - days(rng.integers(0, 30, n))
    stop = note + days(rng.lognormal(np.log(200), 0.8, n))
    ctx.frames.add(
        "ext_private_fostering",
        {
            "prfo_arrangement_id": sid("PF", ctx.ids("private_fostering", la)),
            "prfo_person_id": person,
            "prfo_notification_date": note,
            "prfo_visit_date": np.where(visit <= end, visit, NAT),
            "prfo_assessment_completed_date": np.where(assessed <= end, assessed, NAT),
            "prfo_arrangement_start_date": start,
            "prfo_arrangement_end_date": np.where(stop <= end, stop, NAT),
        },
    )


def _referrals(ctx: Ctx, expected: np.ndarray, rng: np.random.Generator) -> pd.DataFrame:
    """About `expected` (per authority) distinct children's referrals in the data window, drawn at random."""
    ref = ctx.frames.get("ssd_cin_episodes")
    ref = ref[ref["cine_referral_date"].to_numpy("datetime64[D]") >= ctx.data_start].drop_duplicates("cine_person_id")
    la = ctx.la_of(ref["cine_person_id"].to_numpy())
    parts = []
    for i, want in enumerate(rng.poisson(expected)):
        mine = np.flatnonzero(la == i)
        parts.append(mine[rng.choice(mine.size, size=min(int(want), mine.size), replace=False)])
    return ref.iloc[np.concatenate(parts)] if parts else ref.iloc[:0]


def _life_story(ctx: Ctx) -> None:
    """Life story books for most children placed for adoption (within months), later life letters around the order."""
    rng, end = ctx.rng, ctx.end
    perm = ctx.frames.get("ssd_permanence")
    placed = perm["perm_placed_for_adoption_date"].to_numpy("datetime64[D]") if len(perm) else np.array([], "datetime64[D]")
    rows = perm[~np.isnat(placed)]
    placed = placed[~np.isnat(placed)]
    n = placed.size
    order = rows["perm_permanence_order_date"].to_numpy("datetime64[D]")
    book = np.where(rng.random(n) < 0.85, placed + days(rng.integers(20, 200, n)), NAT)
    letter = np.where(~np.isnat(order) & (rng.random(n) < 0.8), order + days(rng.integers(-60, 60, n)), NAT)
    ctx.frames.add(
        "ext_life_story",
        pd.DataFrame(
            {
                "lstw_person_id": rows["perm_person_id"].to_numpy(),
                "lstw_life_story_book_date": np.where(book <= end, book, NAT),
                "lstw_later_life_letter_date": np.where(letter <= end, letter, NAT),
            }
        ).drop_duplicates("lstw_person_id"),
    )


def _sibling_groups(ctx: Ctx) -> None:
    """Children of one authority who came into care on the same day form a sibling group (2-4 children); about two
    thirds are placed together, the others apart for their assessed needs or, for some, a shortfall of carers."""
    rng = ctx.rng
    ep = ctx.frames.get("ssd_cla_episodes")
    first = ep.sort_values("clae_cla_episode_start_date").drop_duplicates("clae_cla_id")
    first = first[first["clae_cla_episode_start_date"].to_numpy("datetime64[D]") >= ctx.data_start]
    la = ctx.la_of(first["clae_person_id"].to_numpy())
    key = pd.Series(la * 100000 + (first["clae_cla_episode_start_date"].to_numpy("datetime64[D]").astype("int64")), index=first.index)
    size = key.map(key.value_counts())
    grouped = first[(size >= 2).to_numpy() & (size <= 4).to_numpy()].assign(key=key).drop_duplicates("clae_person_id")
    grouped = grouped[grouped.groupby("key")["key"].transform("size") >= 2]
    gid = grouped["key"].rank(method="dense").astype("int64").to_numpy()
    together = pd.Series(rng.random(gid.size) < 0.65).groupby(gid).transform("first").to_numpy()
    n = gid.size
    ctx.frames.add(
        "ext_sibling_group",
        {
            "sibg_table_id": sid("SI", ctx.ids("sibling", ctx.la_of(grouped["clae_person_id"].to_numpy()))),
            "sibg_group_id": sid("SG", grouped["key"].to_numpy()),
            "sibg_person_id": grouped["clae_person_id"].to_numpy(),
            "sibg_placed_date": grouped["clae_cla_episode_start_date"].to_numpy("datetime64[D]"),
            "sibg_placed_together": flag(together),
            "sibg_apart_reason": codes(
                ["ASSESSED_NEEDS", "RESOURCE_SHORTFALL"], np.where(together, -1, (rng.random(n) < 0.35).astype("int64"))
            ),
        },
    )


def _adoption_support(ctx: Ctx) -> None:
    """Adoption support, access to records and letterbox referrals: about 7 a year per 10,000 children."""
    rng, end, start_data = ctx.rng, ctx.end, ctx.data_start
    years = (end - start_data).astype(int) / 365.25
    la = np.repeat(np.arange(len(ctx.auths)), rng.poisson(7 * ctx.per_la("population") / 1e4 * years))
    n = la.size
    ref = start_data + days(rng.random(n) * (end - start_data).astype(int))
    begun = np.where(rng.random(n) < 0.9, ref + days(rng.integers(0, 90, n)), NAT)
    begun = np.where(begun <= end, begun, NAT)
    closed = begun + days(rng.integers(30, 300, n))
    ctx.frames.add(
        "ext_adoption_support",
        {
            "adsr_referral_id": sid("AS", ctx.ids("adoption_support", la)),
            "adsr_kind": pick(rng, {"SUPPORT": 0.6, "ACCESS_TO_RECORDS": 0.25, "LETTERBOX": 0.15}, n),
            "adsr_referral_date": ref,
            "adsr_service_start_date": begun,
            "adsr_service_end_date": np.where(closed <= end, closed, NAT),
        },
    )


def _staying_put(ctx: Ctx) -> None:
    """Young people who turn 18 while the service is responsible for them (in a long-term in-house foster placement)
    stay put with those carers (STAYING_PUT), from the 18th birthday until at most the day before the 21st. On a stream
    of its own, so the service's other tables are as they were without it."""
    rng = np.random.default_rng(ctx.rng.bit_generator.seed_seq.spawn(1)[0])
    r = ctx.frames.get("ext_service_responsibility")
    if r.empty:
        return
    person = r["serv_person_id"].to_numpy()
    dob = _dobs(ctx, person)
    eighteen = birthday(dob, 18)
    start = r["serv_responsibility_start_date"].to_numpy("datetime64[D]")
    stop = r["serv_responsibility_end_date"].to_numpy("datetime64[D]")
    aged_out = (start < eighteen) & (eighteen <= ctx.end) & (np.isnat(stop) | (stop > eighteen))
    stays = np.flatnonzero(aged_out & (rng.random(len(r)) < STAYING_PUT))
    begin = eighteen[stays]
    until = np.minimum(begin + days(rng.exponential(STAYING_PUT_YEARS * 365.25, stays.size)), birthday(dob[stays], 21) - DAY)
    until = np.where(until > ctx.end, NAT, until)
    ctx.frames.add(
        "ext_staying_put",
        {
            "stpu_arrangement_id": sid("SP", ctx.ids("staying_put", ctx.la_of(person[stays]))),
            "stpu_person_id": person[stays],
            "stpu_household_id": _last_household(ctx).reindex(person[stays]).to_numpy(),
            "stpu_start_date": begin,
            "stpu_end_date": until,
        },
    )


def _last_household(ctx: Ctx) -> pd.Series:
    """Each child's household of their latest in-house foster placement (ext_cla_placement_carer), by person."""
    pc = ctx.frames.get("ext_cla_placement_carer")
    pl = ctx.frames.get("ssd_cla_placement")
    homes = pd.Series(pc["plca_household_id"].to_numpy(), index=pc["plca_placement_id"].to_numpy())
    pl = pl.assign(_key=sid("PL", pl["clap_cla_placement_id"].to_numpy()))
    pl = pl[pl["_key"].isin(homes.index)]
    pl = pl.assign(_hh=homes.reindex(pl["_key"]).to_numpy()).sort_values("clap_cla_placement_start_date", kind="stable")
    return pl.groupby("clap_person_id")["_hh"].last()


def _education(ctx: Ctx) -> None:
    """A record at each personal education plan (ext_cla_pep): in education (all but NOT_IN_EDUCATION) and on target
    with the plan's forecasts (ON_TARGET). On a stream of its own, like staying put."""
    rng = np.random.default_rng(ctx.rng.bit_generator.seed_seq.spawn(1)[0])
    pep = ctx.frames.get("ext_cla_pep")
    if pep.empty:
        return
    person = pep["pepr_person_id"].to_numpy()
    n = len(pep)
    ctx.frames.add(
        "ext_cla_education",
        {
            "cled_table_id": sid("ED", ctx.ids("education", ctx.la_of(person))),
            "cled_person_id": person,
            "cled_record_date": pep["pepr_pep_date"].to_numpy("datetime64[D]"),
            "cled_in_education": flag(rng.random(n) >= NOT_IN_EDUCATION),
            "cled_on_target": flag(rng.random(n) < ON_TARGET),
        },
    )


def _lags(rng: np.random.Generator, table: dict[int, float], n: int) -> np.ndarray:
    return days(np.asarray(list(table))[choice3(rng, n, list(table.values()))])


def _record_entries(ctx: Ctx) -> None:
    """When each looked-after visit and placement was entered (T4, T5): the event date plus a lag (VISIT_LAG,
    PLACEMENT_LAG), never after the data's end. On a stream of its own."""
    rng = np.random.default_rng(ctx.rng.bit_generator.seed_seq.spawn(1)[0])
    v, pl = ctx.frames.get("ssd_cla_visits"), ctx.frames.get("ssd_cla_placement")
    parts = [
        (
            "ssd_cla_visits",
            sid("CLAV", v["clav_cla_visit_id"].to_numpy()),
            v["clav_person_id"].to_numpy(),
            v["clav_cla_visit_date"],
            VISIT_LAG,
        ),
        (
            "ssd_cla_placement",
            sid("PL", pl["clap_cla_placement_id"].to_numpy()),
            pl["clap_person_id"].to_numpy(),
            pl["clap_cla_placement_start_date"],
            PLACEMENT_LAG,
        ),
    ]
    for table, record, person, when, lags in parts:
        when = when.to_numpy("datetime64[D]")
        ok = ~np.isnat(when)
        entered = np.minimum(when[ok] + _lags(rng, lags, int(ok.sum())), ctx.end)
        ctx.frames.add(
            "ext_record_entry",
            {
                "reen_table_id": sid("RE", ctx.ids("record_entry", ctx.la_of(person[ok]))),
                "reen_table": table,
                "reen_record_id": record[ok],
                "reen_person_id": person[ok],
                "reen_entered_date": entered,
            },
        )


def _physical_interventions(ctx: Ctx) -> None:
    """Physical interventions (T7) while the service is responsible for a child (INTERVENTION_RATE), with the household
    of the child's latest in-house placement; most notified in writing on the next working day. Own stream."""
    rng = np.random.default_rng(ctx.rng.bit_generator.seed_seq.spawn(1)[0])
    r = ctx.frames.get("ext_service_responsibility")
    if r.empty:
        return
    start = r["serv_responsibility_start_date"].to_numpy("datetime64[D]")
    stop = r["serv_responsibility_end_date"].to_numpy("datetime64[D]")
    stop = np.where(np.isnat(stop), ctx.end, np.minimum(stop, ctx.end))
    span = np.maximum((stop - start).astype("int64"), 0)
    n = rng.poisson(INTERVENTION_RATE * span / 365.25)
    row = np.repeat(np.arange(len(r)), n)
    when = start[row] + days(np.floor(rng.random(row.size) * span[row]))
    person = r["serv_person_id"].to_numpy()[row]
    late = rng.random(row.size) < 0.15
    told = add_wd(when, np.where(late, rng.integers(2, 6, row.size), 1))
    ctx.frames.add(
        "ext_physical_intervention",
        {
            "phin_intervention_id": sid("PI", ctx.ids("intervention", ctx.la_of(person))),
            "phin_person_id": person,
            "phin_household_id": _last_household(ctx).reindex(person).to_numpy(),
            "phin_incident_date": when,
            "phin_notified_date": np.where(told > ctx.end, NAT, told),
        },
    )


def _placement_notices(ctx: Ctx) -> None:
    """Notice of each move out of an in-house foster placement to another placement (T8): NOTICE_28_DAYS with 28-60
    days, 12 % shorter, 8 % without notice for a serious risk. Own stream."""
    rng = np.random.default_rng(ctx.rng.bit_generator.seed_seq.spawn(1)[0])
    pc = ctx.frames.get("ext_cla_placement_carer")
    pl = ctx.frames.get("ssd_cla_placement")
    if pc.empty:
        return
    pl = pl.assign(_key=sid("PL", pl["clap_cla_placement_id"].to_numpy()))
    starts = set(zip(pl["clap_person_id"].to_numpy(), pl["clap_cla_placement_start_date"].to_numpy("datetime64[D]"), strict=True))
    ended = pl[pl["_key"].isin(set(pc["plca_placement_id"])) & pl["clap_cla_placement_end_date"].notna()]
    end = ended["clap_cla_placement_end_date"].to_numpy("datetime64[D]")
    moved = np.array([(p, e) in starts for p, e in zip(ended["clap_person_id"].to_numpy(), end, strict=True)], dtype=bool)
    key, end = ended["_key"].to_numpy()[moved], end[moved]
    kind = choice3(rng, key.size, [NOTICE_28_DAYS, 0.12, 0.08])
    notice = end - days(np.where(kind == 0, rng.integers(28, 61, key.size), rng.integers(1, 28, key.size)))
    ctx.frames.add(
        "ext_placement_notice",
        {
            "plno_placement_id": key,
            "plno_notice_date": np.where(kind == 2, NAT, notice),
            "plno_exempt_reason": codes(["SAFEGUARDING", "OFFENDING"], np.where(kind == 2, rng.integers(0, 2, key.size), -1)),
        },
    )


def _attainment(ctx: Ctx) -> None:
    """Key stage 2 (year 6, results in July) and key stage 4 (year 11, results in August) results for children looked
    after on the results day (KS2_EXPECTED, PROGRESS8, ATTAINMENT8). On a stream of its own."""
    rng = np.random.default_rng(ctx.rng.bit_generator.seed_seq.spawn(1)[0])
    ep = ctx.frames.get("ssd_cla_episodes")
    if ep.empty:
        return
    person = np.unique(ep["clae_person_id"].to_numpy())
    born = _dobs(ctx, person)
    autumn_born = (born.astype("datetime64[M]").astype("int64") % 12) >= 8  # September-December: a school year later
    year = born.astype("datetime64[Y]").astype("int64") + 1970 + autumn_born
    stages = [("KS2", year + 11, "07-10"), ("KS4", year + 16, "08-22")]
    for stage, when_year, month_day in stages:
        when = np.array([f"{y}-{month_day}" for y in when_year], dtype="datetime64[D]")
        ok = (when <= ctx.end) & (when >= ctx.data_start)
        looked_after = _looked_after_on(ep, person[ok], when[ok])
        who, day = person[ok][looked_after], when[ok][looked_after]
        n = who.size
        ks4 = stage == "KS4"
        ctx.frames.add(
            "ext_cla_attainment",
            {
                "clat_table_id": sid("AT", ctx.ids("attainment", ctx.la_of(who))),
                "clat_person_id": who,
                "clat_key_stage": stage,
                "clat_result_date": day,
                "clat_ks2_expected_rwm": codes(["N", "Y"], np.where(ks4, -1, (rng.random(n) < KS2_EXPECTED).astype("int64"))),
                "clat_progress8": np.where(ks4, np.round(rng.normal(*PROGRESS8, n), 2), np.nan),
                "clat_attainment8": np.where(ks4, np.round(np.clip(rng.normal(*ATTAINMENT8, n), 0, 90), 1), np.nan),
            },
        )


def _looked_after_on(ep: pd.DataFrame, person: np.ndarray, day: np.ndarray) -> np.ndarray:
    """Whether each person had a looked-after episode open on their day."""
    frame = pd.DataFrame({"p": person, "d": day, "i": np.arange(person.size)})
    e = ep[["clae_person_id", "clae_cla_episode_start_date", "clae_cla_episode_ceased_date"]]
    j = frame.merge(e, left_on="p", right_on="clae_person_id")
    start = j["clae_cla_episode_start_date"].to_numpy("datetime64[D]")
    stop = j["clae_cla_episode_ceased_date"].to_numpy("datetime64[D]")
    d = j["d"].to_numpy("datetime64[D]")
    covered = (start <= d) & (np.isnat(stop) | (stop > d))
    out = np.zeros(person.size, dtype=bool)
    out[j["i"].to_numpy()[covered]] = True
    return out


# The pathway plans' random stream: a fixed child of the chunk's seed (not the next spawn), so they are the same whether
# or not the permanency service is generated (a pool leaves the service out but keeps pathway plans, which G reads).
PATHWAY_STREAM = 2**20 + 1


def pathway_plans(ctx: Ctx) -> None:
    """Pathway plans of young people still looked after (PATHWAY_*): the first for a period of care open on the 15th
    birthday by then (PATHWAY_BY_15) or else about the 16th, 13 weeks or more into care for those who came in later;
    reviews about every 6 months while still looked after and under 18. On a stream of its own (PATHWAY_STREAM)."""
    seeds = ctx.rng.bit_generator.seed_seq
    rng = np.random.default_rng(np.random.SeedSequence(seeds.entropy, spawn_key=(*seeds.spawn_key, PATHWAY_STREAM)))
    ep = ctx.frames.get("ssd_cla_episodes")
    ep = ep[~ep["clae_ext_legal_status"].astype(str).isin(["V3", "V4"])]
    g = ep.groupby("clae_cla_id")
    person = g["clae_person_id"].first().to_numpy()
    start = g["clae_cla_episode_start_date"].min().to_numpy("datetime64[D]")
    stop = g["clae_cla_episode_ceased_date"].max().to_numpy("datetime64[D]")
    still_open = ep["clae_cla_episode_ceased_date"].isna().groupby(ep["clae_cla_id"]).any().to_numpy()  # an episode not ended
    stop = np.where(still_open, NAT, stop)
    dob = _dobs(ctx, person)
    b15, b16, b18 = birthday(dob, 15), birthday(dob, 16), birthday(dob, 18)
    by15 = (start <= b15) & (rng.random(person.size) < PATHWAY_BY_15)
    later = np.maximum(b16 + days(rng.integers(-60, 61, person.size)), start + days(rng.integers(91, 150, person.size)))
    first = np.where(by15, np.maximum(b15 - days(rng.integers(0, 90, person.size)), start + DAY), later)
    last = np.minimum(np.where(np.isnat(stop), ctx.end + DAY, stop), np.minimum(b18, ctx.end + DAY))
    own, k = group_offsets(np.full(person.size, PATHWAY_MAX_PLANS))
    late = rng.random(own.size) < PATHWAY_LATE[0]
    gap = np.where(late, rng.integers(PATHWAY_LATE[1], PATHWAY_LATE[2], own.size), rng.integers(*PATHWAY_REVIEW_DAYS, own.size))
    gap = np.where(k == 0, 0, gap)
    when = first[own] + days(pd.Series(gap).groupby(own).cumsum().to_numpy())
    keep = (when > start[own]) & (when < last[own])
    own, k, when = own[keep], k[keep], when[keep]
    ctx.frames.add(
        "ext_pathway_plan",
        {
            "papl_plan_id": sid("PP", ctx.ids("pathway_plan", ctx.la_of(person[own]))),
            "papl_person_id": person[own],
            "papl_plan_date": when,
            "papl_plan_type": np.where(k == 0, "PLAN", "REVIEW"),
        },
    )
