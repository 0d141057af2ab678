"""Teams, workers, establishment and the allocation of children to workers over time.

Each team has posts; each post is held by a sequence of workers (permanent for a few years,
agency for months) with vacancies between them. Teams are sized from the work the journeys
create, so caseloads come out around 15-22. A child is allocated to a worker in a team of the
kind that holds their current stage; workers change every several months and when a worker
leaves, and a few children wait unallocated.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from cscperf.synth._util import DAY, NAT, choice, codes, days, group_offsets, latest_before
from cscperf.synth.context import TEAM_KINDS, Ctx

TEAM_NAMES = {
    "FR": ("First Response", "FD", "Front Door"),
    "AS": ("Assessment", "AI", "Assessment and Intervention"),
    "FS": ("Family Support", "AI", "Assessment and Intervention"),
    "CP": ("Child Protection", "SG", "Safeguarding"),
    "CC": ("Children in Care", "CO", "Corporate Parenting"),
    "LC": ("Leaving Care", "CO", "Corporate Parenting"),
    "DC": ("Disability", "DS", "Children with Disabilities"),
    "AD": ("Adoption", "CO", "Corporate Parenting"),
    "FO": ("Fostering and Permanency", "CO", "Corporate Parenting"),  # the permanency service's (synth/permanency.py)
}
CASELOAD = {"FR": 0, "AS": 19.0, "FS": 20.0, "CP": 18.0, "CC": 18.0, "LC": 22.0, "DC": 18.0, "AD": 14.0}
POSTS_PER_TEAM = 8
# DfE's SSDA903 social worker change reasons (from 2023-24): the first worker of a stretch of work is FCONTA
# (first contact); a worker leaving the role is LEFTRL; other changes are management decisions, restructures,
# absence, the child's or their circumstances' change, or other.
FIRST_WORKER = "FCONTA"
TRANSFER = "TSPROC"
VACANT_TRIES = 5  # posts tried, beyond the first, for a child whose worker's post is vacant
MAX_HANDOVERS = 60  # the first worker of a new stage when the child moves straight on from another team
CHANGE_REASONS = {"MANAGE": 0.35, "ORGRST": 0.15, "ABSENC": 0.1, "CHCHAN": 0.15, "PCCHAN": 0.1, "OTHERS": 0.15}
# Records that name the team and worker responsible: (table, person, date, team column, worker column).
STAMPED = [
    ("ssd_cin_episodes", "cine_person_id", "cine_referral_date", "cine_referral_team", "cine_referral_worker_id"),
    ("ssd_cin_assessments", "cina_person_id", "cina_assessment_start_date", "cina_assessment_team", "cina_assessment_worker_id"),
    ("ssd_cin_plans", "cinp_person_id", "cinp_cin_plan_start_date", "cinp_cin_plan_team", "cinp_cin_plan_worker_id"),
    ("ssd_s47_enquiry", "s47e_person_id", "s47e_s47_start_date", "s47e_s47_completed_by_team", "s47e_s47_completed_by_worker_id"),
    ("ssd_initial_cp_conference", "icpc_person_id", "icpc_icpc_date", "icpc_icpc_team", "icpc_icpc_worker_id"),
    ("ssd_care_leavers", "clea_person_id", "clea_ext_record_date", "clea_care_leaver_allocated_team", "clea_care_leaver_worker_id"),
]


def generate(ctx: Ctx) -> None:
    phases = _phases(ctx)
    teams = _teams(ctx, phases)
    posts = _posts(ctx, teams)
    _allocate(ctx, phases, teams, posts)
    _stamp_workers(ctx)


def _phases(ctx: Ctx) -> pd.DataFrame:
    """All stretches of work, one at a time per child (a new stage ends the previous one)."""
    ph = ctx.phases
    f = pd.DataFrame(
        {
            "person": np.concatenate(ph.person),
            "start": np.concatenate(ph.start),
            "end": np.concatenate(ph.end),
            "kind": np.concatenate(ph.kind),
            "referral": np.concatenate(ph.referral),
        }
    )
    f = f[f["start"].to_numpy("datetime64[D]") <= ctx.end].sort_values(["person", "start", "kind"], kind="stable").reset_index(drop=True)
    person = f["person"].to_numpy()
    nxt_same = np.r_[person[1:] == person[:-1], False]
    nxt_start = np.r_[f["start"].to_numpy("datetime64[D]")[1:], NAT]
    end = f["end"].to_numpy("datetime64[D]")
    end = np.where(nxt_same & (np.isnat(end) | (nxt_start < end)), nxt_start, end)
    f["end"] = end
    f = f[np.isnat(end) | (end > f["start"].to_numpy("datetime64[D]"))].reset_index(drop=True)
    f["la"] = ctx.la_of(f["person"].to_numpy())
    return f


def _teams(ctx: Ctx, phases: pd.DataFrame) -> pd.DataFrame:
    """Teams per authority and kind, sized by the children open to each kind over the last year."""
    window0 = ctx.end - days(365)
    s = np.maximum(phases["start"].to_numpy("datetime64[D]"), window0)
    e = phases["end"].to_numpy("datetime64[D]")
    e = np.where(np.isnat(e), ctx.end, np.minimum(e, ctx.end))
    load_days = np.maximum((e - s).astype(int), 0)
    n_la, n_kind = len(ctx.auths), len(TEAM_KINDS)
    load = np.bincount(phases["la"].to_numpy() * n_kind + phases["kind"].to_numpy(), weights=load_days, minlength=n_la * n_kind) / 365
    rows = []
    for li, a in enumerate(ctx.auths):
        for ki, kind in enumerate(TEAM_KINDS):
            target = CASELOAD[kind]
            posts = max(2, int(np.ceil(load[li * n_kind + ki] / target * 1.08))) if target else max(3, int(a.population / 9000))
            n_teams = max(1, int(np.ceil(posts / POSTS_PER_TEAM)))
            rows += [{"li": li, "kind": ki, **team, "posts": int(np.ceil(posts / n_teams))} for team in team_rows(a.la_code, kind, n_teams)]
    teams = pd.DataFrame(rows)
    add_departments(ctx, teams, [ctx.auths[i].la_code for i in teams["li"]])
    # Establishment: budgeted posts, revised once during the window.
    mid = ctx.first_year_start + days(365 * (ctx.years // 2))
    extra = ctx.rng.integers(-1, 2, len(teams))
    posts = teams["posts"].to_numpy()
    ctx.frames.add(
        "ext_establishment",
        {
            "estb_table_id": np.r_[teams["team_id"] + "-E1", teams["team_id"] + "-E2"],
            "estb_team_id": np.r_[teams["team_id"], teams["team_id"]],
            "estb_start_date": np.r_[np.full(len(teams), ctx.data_start - days(365)), np.full(len(teams), mid)],
            "estb_end_date": np.r_[np.full(len(teams), mid - DAY), np.full(len(teams), NAT)],
            # Agency workers fill some budgeted posts and some posts are unfunded cover, so the establishment is below the posts.
            "estb_social_worker_fte": np.round(np.r_[posts, np.maximum(posts + extra, 1)] * 0.92, 1),
        },
    )
    return teams


def team_rows(la_code: str, kind: str, n_teams: int) -> list[dict[str, str]]:
    """An authority's teams of one kind (TEAM_NAMES): id, name and parent."""
    name, parent_code, parent = TEAM_NAMES[kind]
    return [
        {
            "team_id": f"{la_code}-{kind}{t + 1}",
            "name": f"{name} Team {t + 1}" if n_teams > 1 else f"{name} Team",
            "parent_id": f"{la_code}-{parent_code}",
            "parent": parent,
        }
        for t in range(n_teams)
    ]


def add_departments(ctx: Ctx, teams: pd.DataFrame, la_codes: list[str]) -> None:
    """Teams (team_rows' columns) into ssd_department."""
    ctx.frames.add(
        "ssd_department",
        {
            "dept_team_id": teams["team_id"],
            "dept_team_name": teams["name"],
            "dept_team_parent_id": teams["parent_id"],
            "dept_team_parent_name": teams["parent"],
            "dept_ext_la_code": la_codes,
        },
    )


def _posts(ctx: Ctx, teams: pd.DataFrame) -> pd.DataFrame:
    """Who holds each post over time: tenures with vacancies between them."""
    rng = ctx.rng
    post_team = np.repeat(np.arange(len(teams)), teams["posts"].to_numpy())
    n = post_team.size
    t0 = ctx.data_start - days(5 * 365)
    cur = t0 - days(rng.integers(0, 3 * 365, n))
    parts = []
    live = np.ones(n, bool)
    while live.any():
        idx = np.flatnonzero(live)
        agency = rng.random(idx.size) < 0.45
        length = np.where(agency, rng.lognormal(np.log(400), 0.6, idx.size), rng.lognormal(np.log(4.2 * 365), 0.7, idx.size))
        start = cur[idx]
        stop = start + days(np.maximum(length, 30))
        parts.append(pd.DataFrame({"post": idx, "start": start, "stop": stop, "agency": agency}))
        cur[idx] = stop + days(rng.exponential(45, idx.size) + 1)
        live[idx] = cur[idx] <= ctx.end
    ten = pd.concat(parts, ignore_index=True).sort_values(["post", "start"], kind="stable").reset_index(drop=True)
    ten = ten[ten["start"].to_numpy("datetime64[D]") <= ctx.end].reset_index(drop=True)
    ten["team"] = post_team[ten["post"].to_numpy()]
    team = ten["team"].to_numpy()
    kinds = np.array(TEAM_KINDS)[teams["kind"].to_numpy()[team]]
    m = len(ten)
    ten["worker"] = ctx.ids("worker", teams["li"].to_numpy()[team])
    qualified = np.where(kinds == "LC", rng.random(m) < 0.2, np.where(kinds == "FS", rng.random(m) < 0.85, rng.random(m) < 0.97))
    ten["qualified"] = qualified
    grade = np.array(["Social Worker", "Senior Social Worker", "Advanced Practitioner"])[choice(rng, m, [0.6, 0.3, 0.1])]
    title = np.where(qualified, grade, np.where(kinds == "LC", "Personal Adviser", "Family Support Worker"))
    stop = ten["stop"].to_numpy("datetime64[D]")
    worker = ten["worker"].to_numpy()
    ctx.frames.add(
        "ssd_professionals",
        {
            "prof_professional_id": worker,
            "prof_staff_id": worker,
            "prof_professional_name": np.char.add(np.char.add(kinds, "-"), (worker % 10**6).astype(str)),
            "prof_social_worker_registration_no": np.where(qualified, np.char.add("SW", (100000 + worker % 900000).astype(str)), None),
            "prof_professional_job_title": title,
            "prof_professional_department": teams["parent"].to_numpy()[team],
            "prof_full_time_equivalency": np.where(rng.random(m) < 0.85, 1.0, rng.choice([0.6, 0.8], m)),
            "prof_agency_worker_flag": np.where(ten["agency"].to_numpy(), "Y", "N"),
            "prof_ext_team_id": teams["team_id"].to_numpy()[team],
            "prof_ext_qualified_flag": np.where(qualified, "Y", "N"),
            "prof_ext_start_date": ten["start"].to_numpy("datetime64[D]"),
            "prof_ext_end_date": np.where(stop <= ctx.end, stop, NAT),
        },
    )
    return ten


def _holder(ten: pd.DataFrame, post: np.ndarray, when: np.ndarray) -> np.ndarray:
    """Row in `ten` of the tenure holding each post at each date (-1 if vacant)."""
    base = np.datetime64("1970-01-01")
    key_t = ten["post"].to_numpy() * 100000 + (ten["start"].to_numpy("datetime64[D]") - base).astype(int)
    key_q = post * 100000 + (when - base).astype(int)
    pos = np.searchsorted(key_t, key_q, side="right") - 1
    ok = (
        (pos >= 0)
        & (ten["post"].to_numpy()[np.maximum(pos, 0)] == post)
        & (ten["stop"].to_numpy("datetime64[D]")[np.maximum(pos, 0)] > when)
    )
    return np.where(ok, pos, -1)


def _allocate(ctx: Ctx, phases: pd.DataFrame, teams: pd.DataFrame, ten: pd.DataFrame) -> None:
    """Split each stretch of work into allocations to workers; a worker who leaves hands the child on."""
    rng, end = ctx.rng, ctx.end
    ph_end = phases["end"].to_numpy("datetime64[D]")
    limit = np.where(np.isnat(ph_end), end + DAY, ph_end)
    start = phases["start"].to_numpy("datetime64[D]") + days(
        np.where(phases["kind"].to_numpy() == TEAM_KINDS.index("AS"), rng.integers(0, 3, len(phases)), 0)
    )
    span = np.maximum((limit - start).astype(int), 1)
    n_seg = np.minimum(1 + rng.poisson(span / 900), 40)
    own, k = group_offsets(n_seg)
    frac = np.where(k == 0, 0.0, rng.random(own.size))
    # Segment boundaries: sorted random points within each phase.
    order = np.lexsort((frac, own))
    frac = frac[order]
    seg_start = start[own] + days(frac * span[own])
    seg_stop = np.r_[seg_start[1:], NAT]
    last = np.r_[own[1:] != own[:-1], True]
    seg_stop = np.where(last, limit[own], seg_stop)
    # Team (stable per child and kind) and post.
    team_first = np.r_[0, np.cumsum(teams.groupby(["li", "kind"], sort=True).size().to_numpy())[:-1]]
    n_team = teams.groupby(["li", "kind"], sort=True).size().to_numpy()
    n_kind = len(TEAM_KINDS)
    key = phases["la"].to_numpy()[own] * n_kind + phases["kind"].to_numpy()[own]
    # Map (li, kind) to the position of its first team (teams rows are ordered by li then kind).
    grp = teams.groupby(["li", "kind"], sort=True).size().index
    gkey = np.array([li * n_kind + ki for li, ki in grp])
    g = np.searchsorted(gkey, key)
    team = team_first[g] + phases["person"].to_numpy()[own] % n_team[g]
    post_first = np.r_[0, np.cumsum(teams["posts"].to_numpy())[:-1]]
    rows = []
    s, e, o, tm = seg_start, seg_stop, own, team
    changed = np.r_[False, own[1:] == own[:-1]]
    # A stage that began before anyone now on record was in the team's posts waits for the first of them, not a day
    # at a time (which ran out of handovers and left a child in care for years with nobody allocated: SW12STG2).
    first_in_post = pd.Series(ten["start"].to_numpy("datetime64[D]")).groupby(ten["team"].to_numpy()).min()
    team_opens = first_in_post.reindex(np.arange(len(teams))).to_numpy("datetime64[D]")
    # Hand the child on until the stage ends: every worker who leaves is followed by another (DfE's 903 expects an
    # unbroken chain of social workers while looked after: SW11a, SW12).
    for _ in range(MAX_HANDOVERS):
        if not s.size:
            break
        post = post_first[tm] + rng.integers(0, teams["posts"].to_numpy()[tm])
        h = _holder(ten, post, s)
        for _ in range(VACANT_TRIES):  # the manager tries others in the team before the child waits a day
            h = np.where(h < 0, _holder(ten, post_first[tm] + rng.integers(0, teams["posts"].to_numpy()[tm]), s), h)
        ok = h >= 0
        w_stop = ten["stop"].to_numpy("datetime64[D]")[np.maximum(h, 0)]
        cut = ok & (w_stop < e)
        stop = np.where(cut, w_stop, e)
        rows.append(pd.DataFrame({"o": o[ok], "start": s[ok], "stop": stop[ok], "worker": h[ok], "team": tm[ok], "changed": changed[ok]}))
        # The child moves on to a new worker the day the last one leaves (a manager reallocates the caseload: DfE
        # expects an unbroken chain, SW11a/SW17); where every post tried is vacant the manager finds another the
        # next day.
        s = np.where(cut, w_stop, np.maximum(s + days(1), team_opens[tm]))
        keep = (cut | ~ok) & (s < e)
        s, e, o, tm, changed = s[keep], e[keep], o[keep], tm[keep], np.where(cut, 2, changed)[keep]
    a = pd.concat(rows, ignore_index=True)
    a = a[(a["start"].to_numpy("datetime64[D]") <= end) & (a["stop"].to_numpy("datetime64[D]") > a["start"].to_numpy("datetime64[D]"))]
    a = _without_slivers(a, ten)
    o = a["o"].to_numpy()
    stop = a["stop"].to_numpy("datetime64[D]")
    n = len(a)
    changed = a["changed"].to_numpy().astype("int64")  # 0 first worker, 1 changed, 2 the last worker left
    other = choice(rng, n, list(CHANGE_REASONS.values())) + 3
    reason = np.select([changed == 0, changed == 2], [0, 1], other)
    # A stage that follows straight on from another (within a week) is a transfer, not a first contact.
    person = phases["person"].to_numpy()[o]
    start = a["start"].to_numpy("datetime64[D]")
    order = np.lexsort((start, person))
    prev_end = latest_before(stop[order], person[order])  # latest end of earlier allocations
    ongoing = ~np.isnat(prev_end) & (start[order] <= prev_end + days(7))
    reason[order[ongoing & (changed[order] == 0)]] = 2
    _caseloads(ctx, ten["worker"].to_numpy()[a["worker"].to_numpy()], a["start"].to_numpy("datetime64[D]"), stop)
    ctx.frames.add(
        "ssd_involvements",
        {
            "invo_involvements_id": ctx.ids("involvement", ctx.la_of(person)),
            "invo_professional_id": ten["worker"].to_numpy()[a["worker"].to_numpy()],
            "invo_professional_role_id": "Allocated Case Worker",
            "invo_professional_team": teams["team_id"].to_numpy()[a["team"].to_numpy()],
            "invo_involvement_start_date": a["start"].to_numpy("datetime64[D]"),
            "invo_involvement_end_date": np.where(stop <= end, stop, NAT),
            "invo_worker_change_reason": codes([FIRST_WORKER, "LEFTRL", TRANSFER, *CHANGE_REASONS], reason),
            "invo_person_id": person,
            "invo_referral_id": phases["referral"].to_numpy()[o],
        },
    )


SLIVER = np.timedelta64(7, "D")  # an allocation shorter than a week within a stage is a recording slip


def _without_slivers(a: pd.DataFrame, ten: pd.DataFrame) -> pd.DataFrame:
    """Allocations without one-off slips: a worker 'changing' to themselves is one allocation, and a stay of under a
    week inside a stage goes to the worker who follows, if in post by then (DfE's 903 rule SW09STG2 rejects social
    worker episodes of a day or two)."""
    a = a.sort_values(["o", "start"], kind="stable").reset_index(drop=True)
    t_start = ten["start"].to_numpy("datetime64[D]")
    for _ in range(MAX_HANDOVERS):
        start, stop = a["start"].to_numpy("datetime64[D]"), a["stop"].to_numpy("datetime64[D]")
        worker, o = a["worker"].to_numpy(), a["o"].to_numpy()
        nxt = np.r_[o[1:] == o[:-1], False]  # the next row is the same stage of work
        nxt_worker = np.r_[worker[1:], -1]
        same = nxt & (nxt_worker == worker)
        short = nxt & (stop - start < SLIVER) & (t_start[np.maximum(nxt_worker, 0)] <= start)
        fold = same | short
        fold &= ~np.r_[False, fold[:-1]]  # one fold per pair per pass; chains take several passes
        if not fold.any():
            return a
        into = np.flatnonzero(fold) + 1
        a.loc[into, "start"] = a.loc[into - 1, "start"].to_numpy()
        a.loc[into, "changed"] = a.loc[into - 1, "changed"].to_numpy()
        a = a.drop(index=into - 1).reset_index(drop=True)
    return a


def _caseloads(ctx: Ctx, worker: np.ndarray, start: np.ndarray, stop: np.ndarray) -> None:
    """Cases each worker held on the last 30 September (the workforce census date); empty if not in post then."""
    year = ctx.end_date.year if ctx.end_date.month >= 10 else ctx.end_date.year - 1
    census = np.datetime64(f"{year}-09-30")
    frame = ctx.frames.parts["ssd_professionals"][-1]
    ids = frame["prof_professional_id"].to_numpy()
    held = pd.Series(worker[(start <= census) & (stop > census)]).value_counts()
    count = held.reindex(ids, fill_value=0).to_numpy()
    left = frame["prof_ext_end_date"].to_numpy("datetime64[D]")
    in_post = (frame["prof_ext_start_date"].to_numpy("datetime64[D]") <= census) & (np.isnat(left) | (left > census))
    frame["prof_professional_caseload"] = pd.array(np.where(in_post, count, 0), dtype="Int64")
    frame.loc[~in_post, "prof_professional_caseload"] = pd.NA


def _stamp_workers(ctx: Ctx) -> None:
    """Name on each record the team and worker allocated to the child a few days after its date."""
    inv = ctx.frames.parts["ssd_involvements"][-1]
    base = np.datetime64("1970-01-01")
    start = inv["invo_involvement_start_date"].to_numpy("datetime64[D]")
    stop = inv["invo_involvement_end_date"].to_numpy("datetime64[D]")
    key = inv["invo_person_id"].to_numpy() * 100000 + (start - base).astype("int64")
    order = np.argsort(key, kind="stable")
    key = key[order]
    for table, person, date, team_col, worker_col in STAMPED:
        for frame in ctx.frames.parts.get(table, []):
            when = frame[date].to_numpy("datetime64[D]") + days(3)
            q = frame[person].to_numpy() * 100000 + (when - base).astype("int64")
            pos = order[np.maximum(np.searchsorted(key, q, side="right") - 1, 0)]
            ok = (inv["invo_person_id"].to_numpy()[pos] == frame[person].to_numpy()) & ~np.isnat(when)
            ok &= np.isnat(stop[pos]) | (stop[pos] > when)
            frame[team_col] = np.where(ok, inv["invo_professional_team"].to_numpy()[pos], None)
            frame[worker_col] = np.where(ok, inv["invo_professional_id"].to_numpy()[pos], -1)
