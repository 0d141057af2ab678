"""Front door, children in need and child protection journeys.

Referrals arrive for new children and, after an episode closes, some children are referred
again (the re-referral chain). Each referral runs referral -> assessment -> NFA / CIN plan /
section 47 -> initial conference -> CP plan -> step down, all as vectorised draws.
"""

from __future__ import annotations

import numpy as np

from cscperf.ingest.cin_xml import code_list
from cscperf.synth._util import (
    DAY,
    NAT,
    add_months,
    add_wd,
    age_at,
    choice,
    codes,
    days,
    flag,
    group_cumsum,
    group_offsets,
    pick,
    sub_wd,
    to_workday,
    within,
)
from cscperf.synth.context import Ctx

SOURCES = {
    "6": ("Police", 0.29),
    "2A": ("Schools", 0.19),
    "3A": ("Health services: GP", 0.04),
    "3B": ("Health services: health visitor", 0.04),
    "3C": ("Health services: school nurse", 0.01),
    "3E": ("Health services: A&E", 0.05),
    "5A": ("LA services: social care", 0.06),
    "5B": ("LA services: other internal", 0.05),
    "5D": ("LA services: early help", 0.03),
    "1A": ("Individual: family member", 0.07),
    "1B": ("Individual: relative", 0.02),
    "1D": ("Individual: self", 0.02),
    "4": ("Housing", 0.03),
    "7": ("Other legal agency", 0.04),
    "8": ("Other", 0.04),
    "9": ("Anonymous", 0.02),
}
NEEDS = {"N1": 0.55, "N2": 0.04, "N3": 0.04, "N4": 0.10, "N5": 0.15, "N6": 0.03, "N7": 0.01, "N8": 0.03, "N9": 0.05}
CP_CATEGORIES = {"NEG": 0.50, "EMO": 0.36, "PHY": 0.08, "SAB": 0.04, "MUL": 0.02}
NOT_SEEN = ["Family not at home", "Child refused to be seen", "Visit cancelled by family", "Child unwell", "Worker unavailable"]
REFERRAL_AGE = [0.12, 0.05, 0.05, 0.05, 0.05, 0.05, 0.05, 0.05, 0.05, 0.05, 0.06, 0.06, 0.06, 0.07, 0.07, 0.06, 0.04, 0.02]
CP_MEDIAN_DAYS, CP_SIGMA = 235.0, 0.6
S47_SHARE, ICPC_TO_PLAN = 0.24, 0.88
WARM_UP_YEARS = 3
# Open CIN cases at 31 March (Peterborough published 1,746-2,389 for 2023-2025): CIN plan lengths (median days,
# after an assessment or stepping down from a CP plan) and children given services without a plan.
CIN_PLAN_DAYS, CIN_STEP_DOWN_DAYS = 240, 170
SERVICES_SHARE, SERVICES_DAYS = 0.30, 150
# Referral source 5D (early help) and closure reason RC9 (referred to early help) are in the CIN census from
# 2022-23; before it such referrals were 5B (other internal) and such closures RC8 (no further action).
EARLY_HELP_CODES_FROM = np.datetime64("2022-04-01")
UNBORN_SHARE = 0.04


def random_dob(ctx: Ctx, on: np.ndarray, age_probs: list[float]) -> np.ndarray:
    """Dates of birth giving the drawn age (years) on the given dates."""
    age = choice(ctx.rng, on.size, age_probs)
    return on - days(age * 365.25 + ctx.rng.integers(0, 365, on.size)) - DAY


def _referral_dates(ctx: Ctx, n: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """New referrals spread over the data window (fewer in August and late December)."""
    la = np.repeat(np.arange(n.size), n)
    first = ctx.data_start - days(round(WARM_UP_YEARS * 365.25))
    span = int((ctx.end - first).astype(int)) + 1
    d = first + days(ctx.rng.integers(0, span, la.size))
    quiet = ((d.astype("datetime64[M]").astype(int) % 12) == 7) & (ctx.rng.random(la.size) < 0.25)
    d = np.where(quiet, d + days(ctx.rng.integers(10, 40, la.size)), d)
    d = to_workday(d)
    keep = d <= ctx.end
    return la[keep], d[keep]


def generate(ctx: Ctx) -> dict[str, np.ndarray]:
    """All referral episodes and their stages; returns the referral table as arrays for later steps."""
    rng = ctx.rng
    years = float((ctx.end - ctx.data_start).astype(int)) / 365.25
    pop = ctx.per_la("population")
    new_rate = ctx.per_la("referral_rate") * 0.60  # first referrals; re-referrals make up the rest
    # Arrivals start WARM_UP_YEARS before the data so re-referral chains are in a steady state.
    la, ref = _referral_dates(ctx, rng.poisson(new_rate * pop / 1e4 * (years + WARM_UP_YEARS)))
    dob = random_dob(ctx, ref, REFERRAL_AGE)
    # A few referrals are about unborn babies (pre-birth assessments); they are born weeks later.
    unborn = rng.random(ref.size) < UNBORN_SHARE
    dob = np.where(unborn, ref + days(rng.integers(14, 150, ref.size)), dob)
    person = ctx.new_people(la, dob, unborn)
    # CP plan starts needed for the CP stock: stock = starts x mean duration.
    mean_years = CP_MEDIAN_DAYS * np.exp(CP_SIGMA**2 / 2) / 365.25
    p_icpc = 0.92 * (ctx.per_la("cp_rate") / mean_years) / (ctx.per_la("referral_rate") * 0.92 * S47_SHARE * ICPC_TO_PLAN)
    parts: list[dict[str, np.ndarray]] = []
    prev_plans = np.zeros(person.size, dtype="int64")
    while person.size:
        gen = _episode(ctx, la, person, dob, ref, np.clip(p_icpc, 0.1, 0.9), prev_plans)
        parts.append(gen)
        again = (gen["close"] <= ctx.end) & (rng.random(person.size) < gen["p_again"])
        nxt = to_workday(gen["close"] + days(7 + rng.exponential(240, person.size)))
        again &= (nxt <= ctx.end) & (age_at(dob, nxt) < 18)
        la, person, dob, ref = la[again], person[again], dob[again], nxt[again]
        prev_plans = (prev_plans + gen["has_cp"])[again]
    out = {k: np.concatenate([p[k] for p in parts]) for k in parts[0]}
    keep = (out["ref"] >= ctx.data_start) | (out["close"] >= ctx.data_start)
    return {k: v[keep] for k, v in out.items()}


def _episode(
    ctx: Ctx, la: np.ndarray, person: np.ndarray, dob: np.ndarray, ref: np.ndarray, p_icpc: np.ndarray, prev_plans: np.ndarray
) -> dict[str, np.ndarray]:
    """One referral per child: its stages, dates and closure."""
    rng, n = ctx.rng, person.size
    rid = ctx.ids("referral", la)
    transfer_in = rng.random(n) < 0.006
    nfa_ref = ~transfer_in & (rng.random(n) < 0.09)
    assessed = ~nfa_ref
    # Assessment: authorised around 45 working days after the referral; some late, some still open.
    a_start = add_wd(ref, choice(rng, n, [0.5, 0.3, 0.15, 0.05]))
    late = rng.random(n) < 0.12
    a_wd = np.where(late, 46 + rng.exponential(12, n), 8 + 37 * rng.beta(2.2, 1.1, n)).astype(int)
    a_auth = add_wd(ref, a_wd)
    # Section 47 and initial conference.
    s47 = assessed & ~transfer_in & (rng.random(n) < S47_SHARE)
    # an S47 enquiry runs within the assessment: it does not start before it (rule 2991Q)
    s47_start = np.maximum(add_wd(ref, choice(rng, n, [0.35, 0.25, 0.15, 0.1, 0.05, 0.05, 0.05])), a_start)
    icpc_wd = np.where(rng.random(n) < 0.9, rng.integers(6, 16, n), rng.integers(16, 31, n))
    icpc = (s47 & (rng.random(n) < p_icpc[la])) | transfer_in
    icpc_date = np.where(transfer_in, add_wd(ref, rng.integers(5, 15, n)), add_wd(s47_start, icpc_wd))
    s47_end = add_wd(s47_start, np.where(icpc, np.minimum(icpc_wd - 1, rng.integers(4, 12, n)), rng.integers(5, 20, n)))
    cp = icpc & (rng.random(n) < ICPC_TO_PLAN)
    cp_end = icpc_date + days(rng.lognormal(np.log(CP_MEDIAN_DAYS), CP_SIGMA, n))
    cp_end = to_workday(cp_end)
    # CIN plans: after an assessment (no CP) or as a step down when a CP plan ends.
    cin_after_assess = assessed & ~cp & (rng.random(n) < 0.30)
    cin_step_down = cp & (rng.random(n) < 0.55)
    cin = cin_after_assess | cin_step_down
    cin_start = np.where(cin_step_down, cp_end, a_auth)
    cin_end = to_workday(cin_start + days(rng.lognormal(np.log(np.where(cin_step_down, CIN_STEP_DOWN_DAYS, CIN_PLAN_DAYS)), 0.7, n)))
    # Close: the end of the last stage, a few days later.
    last = np.where(nfa_ref, add_wd(ref, rng.integers(0, 4, n)), a_auth)
    last = np.where(s47, np.maximum(last, s47_end), last)
    last = np.where(icpc, np.maximum(last, icpc_date), last)  # a conference with no plan is activity too (rule 8565)
    last = np.where(cp, np.maximum(last, cp_end), last)
    last = np.where(cin, np.maximum(last, cin_end), last)
    close = last + days(np.where(cp | cin, 0, rng.integers(0, 8, n)))
    # closed after assessment (RC8/RC9) only with no other activity: a transfer-in conference is some (rule 2990)
    assess_nfa = assessed & ~s47 & ~cin & ~cp & ~icpc
    eh_step = assess_nfa & (rng.random(n) < 0.22)
    # Some children assessed as in need get services without a plan (the census's "other" open cases): open for months.
    services = assess_nfa & ~eh_step & (rng.random(n) < SERVICES_SHARE)
    close = np.where(services, to_workday(a_auth + days(rng.lognormal(np.log(SERVICES_DAYS), 0.6, n))), close)
    assess_nfa &= ~services
    close = np.where(assess_nfa, a_auth, close)  # closed when the assessment is signed off (rules 8825Q, 8873Q)
    # RC8 and RC9 say an assessment was completed (rule 8825Q): a referral with no further action closes RC7.
    reason = np.select([assess_nfa & ~eh_step, eh_step, rng.random(n) < 0.04], [7, 8, 4], 6)  # RC8, RC9, RC5, RC7
    p_again = np.select([nfa_ref, assess_nfa, cp], [0.46, 0.40, 0.30], 0.33)
    return {
        "la": la,
        "referral_id": rid,
        "person": person,
        "dob": dob,
        "ref": ref,
        "nfa_ref": nfa_ref,
        "assessed": assessed,
        "a_start": a_start,
        "a_auth": a_auth,
        "assess_nfa": assess_nfa,
        "s47": s47,
        "s47_start": s47_start,
        "s47_end": s47_end,
        "icpc": icpc,
        "icpc_date": icpc_date,
        "transfer_in": transfer_in,
        "cp": cp,
        "cp_end": cp_end,
        "prev_plans": prev_plans + (rng.random(n) < 0.22),
        "has_cp": cp.astype("int64"),
        "cin": cin,
        "cin_start": cin_start,
        "cin_end": cin_end,
        "close": close,
        "reason": reason,
        "eh_step": eh_step,
        "services": services,
        "p_again": p_again,
    }


def write(ctx: Ctx, r: dict[str, np.ndarray]) -> None:
    """Turn referral episodes into rows of every CIN/CP table (truncating at the end date)."""
    end = ctx.end
    happened = r["ref"] <= end
    r = {k: v[happened] for k, v in r.items()}
    _referrals(ctx, r)
    _assessments(ctx, r)
    _protection(ctx, r)
    _cin_plans(ctx, r)


def _open(d: np.ndarray, end: np.datetime64) -> np.ndarray:
    """Dates after the end date are not yet known."""
    return np.where(d <= end, d, NAT)


def _referrals(ctx: Ctx, r: dict[str, np.ndarray]) -> None:
    rng, n = ctx.rng, r["person"].size
    src = choice(rng, n, [v[1] for v in SOURCES.values()])
    closed = r["close"] <= ctx.end
    reasons = ["RC1", "RC2", "RC3", "RC4", "RC5", "RC6", "RC7", "RC8", "RC9"]
    source_codes = list(SOURCES)
    src = np.where((r["ref"] < EARLY_HELP_CODES_FROM) & (src == source_codes.index("5D")), source_codes.index("5B"), src)
    reason = np.where((r["close"] < EARLY_HELP_CODES_FROM) & (r["reason"] == reasons.index("RC9")), reasons.index("RC8"), r["reason"])
    outcome = np.select(
        [r["nfa_ref"], r["cp"], r["s47"], r["cin"]],
        ['{"nfa":true}', '{"s47":true,"cp_plan":true}', '{"s47":true}', '{"cin_plan":true}'],
        '{"assessment":true}',
    )
    ctx.frames.add(
        "ssd_cin_episodes",
        {
            "cine_referral_id": r["referral_id"],
            "cine_person_id": r["person"],
            "cine_referral_date": r["ref"],
            "cine_cin_primary_need_code": pick(rng, NEEDS, n),
            "cine_referral_source_code": codes(list(SOURCES), src),
            "cine_referral_source_desc": codes([v[0] for v in SOURCES.values()], src),
            "cine_referral_outcome_json": outcome,
            "cine_referral_nfa": flag(r["nfa_ref"]),
            "cine_close_reason": codes(reasons, np.where(closed, reason, -1)),
            "cine_close_date": _open(r["close"], ctx.end),
        },
    )
    first_phase_end = np.where(r["assessed"], r["a_auth"], r["close"])
    ctx.phases.add(r["person"], r["ref"], _open(first_phase_end, ctx.end), "AS", r["referral_id"])
    svc = r["services"] & (r["a_auth"] <= ctx.end)  # services without a plan: held by a family support team
    ctx.phases.add(r["person"][svc], r["a_auth"][svc], _open(r["close"][svc], ctx.end), "FS", r["referral_id"][svc])
    _contacts(ctx, r)


def _contacts(ctx: Ctx, r: dict[str, np.ndarray]) -> None:
    """A contact behind every referral, and more contacts that end in early help, advice or NFA."""
    rng, end = ctx.rng, ctx.end
    n_ref = r["person"].size
    back = choice(rng, n_ref, [0.6, 0.3, 0.07, 0.03])
    ref_contact = sub_wd(r["ref"], back)
    # Other contacts: some about children already known, most about children seen only at the front door.
    n_other = int(n_ref * 1.55)
    known = rng.random(n_other) < 0.35
    k_idx = rng.integers(0, n_ref, n_other)
    k_date = r["ref"][k_idx] + days(rng.integers(-400, 400, n_other))
    span = int((end - ctx.data_start).astype(int)) + 1
    new_date = ctx.data_start + days(rng.integers(0, span, n_other))
    c_date = to_workday(np.where(known, k_date, new_date))
    keep = (c_date >= ctx.data_start) & (c_date <= end)
    known &= keep
    la_new = rng.integers(0, len(ctx.auths), n_other)
    if len(ctx.auths) > 1:  # spread new children across authorities by referral volume
        w = np.bincount(ctx.la_of(r["person"]), minlength=len(ctx.auths)).astype(float)
        la_new = choice(rng, n_other, w)
    new = keep & ~known
    new_people = ctx.new_people(la_new[new], random_dob(ctx, c_date[new], [1 / 18] * 18))
    person = np.zeros(n_other, dtype="int64")
    person[known] = r["person"][k_idx[known]]
    person[new] = new_people
    dob_ok = known & (age_at(r["dob"][k_idx], c_date) < 18) & (c_date > r["dob"][k_idx])
    keep &= dob_ok | new
    person, c_date = person[keep], c_date[keep]
    lag = choice(rng, person.size, [0.58, 0.32, 0.05, 0.03, 0.02])
    decided = add_wd(c_date, lag)
    outcome = choice(rng, person.size, [0.28, 0.37, 0.35]) + 1  # EARLY_HELP, NFA, INFO_ADVICE
    all_person = np.r_[r["person"], person]
    all_date = np.r_[ref_contact, c_date]
    all_decided = np.r_[r["ref"], decided]
    all_outcome = np.r_[np.zeros(n_ref, dtype="int64"), outcome]
    undecided = all_decided > end
    all_outcome = np.where(undecided, -1, all_outcome)
    labels = ["REFERRAL", "EARLY_HELP", "NFA", "INFO_ADVICE"]
    src = choice(rng, all_person.size, [v[1] for v in SOURCES.values()])
    la = ctx.la_of(all_person)
    ctx.frames.add(
        "ssd_contacts",
        {
            "cont_contact_id": ctx.ids("contact", la),
            "cont_person_id": all_person,
            "cont_contact_date": all_date,
            "cont_contact_source_code": codes(list(SOURCES), src),
            "cont_contact_source_desc": codes([v[0] for v in SOURCES.values()], src),
            "cont_contact_outcome_json": codes([f'{{"outcome":"{x}"}}' for x in labels], all_outcome),
            "cont_ext_decision_date": np.where(undecided, NAT, all_decided),
            "cont_ext_outcome": codes(labels, all_outcome),
        },
    )
    eh = (all_outcome == 1) & (rng.random(all_person.size) < 0.75)
    step = r["eh_step"] & (r["close"] <= end)
    _early_help(ctx, np.r_[all_person[eh], r["person"][step]], np.r_[all_decided[eh], r["close"][step]])


def _early_help(ctx: Ctx, person: np.ndarray, after: np.ndarray) -> None:
    rng, n = ctx.rng, person.size
    start = to_workday(after + days(rng.integers(0, 12, n)))
    keep = start <= ctx.end
    person, start, n = person[keep], start[keep], int(keep.sum())
    stop = start + days(rng.lognormal(np.log(160), 0.6, n))
    reason = pick(
        rng, {"Family support": 0.35, "Parenting": 0.2, "School attendance": 0.15, "Emotional wellbeing": 0.15, "Domestic abuse": 0.15}, n
    )
    end_reason = codes(
        ["Needs met", "Stepped up to social care", "Family disengaged", "Moved away"], choice(rng, n, [0.7, 0.12, 0.12, 0.06])
    )
    org = pick(rng, {"Family Hub North": 0.35, "Family Hub Central": 0.35, "Family Hub South": 0.3}, n)
    la = ctx.la_of(person)
    ctx.frames.add(
        "ssd_early_help_episodes",
        {
            "earl_episode_id": ctx.ids("eh", la),
            "earl_person_id": person,
            "earl_episode_start_date": start,
            "earl_episode_end_date": _open(stop, ctx.end),
            "earl_episode_reason": reason,
            "earl_episode_end_reason": within(stop <= ctx.end, end_reason),
            "earl_episode_organisation": org,
            "earl_episode_worker_id": codes([f"EHW{i:03d}" for i in range(40)], rng.integers(0, 40, n)),
        },
    )


def _assessments(ctx: Ctx, r: dict[str, np.ndarray]) -> None:
    rng, end = ctx.rng, ctx.end
    m = r["assessed"] & (r["a_start"] <= end)
    n = int(m.sum())
    auth = _open(r["a_auth"][m], end)
    done = ~np.isnat(auth)
    nfa = r["assess_nfa"][m]
    outcome = np.select([nfa, r["s47"][m], r["cin"][m]], ['{"nfa":true}', '{"s47":true}', '{"cin_plan":true}'], '{"other":true}')
    assessment_ids = ctx.ids("assessment", ctx.la_of(r["person"][m]))
    ctx.frames.add(
        "ssd_cin_assessments",
        {
            "cina_assessment_id": assessment_ids,
            "cina_person_id": r["person"][m],
            "cina_referral_id": r["referral_id"][m],
            "cina_assessment_start_date": r["a_start"][m],
            "cina_assessment_child_seen": flag(rng.random(n) < 0.96),
            "cina_assessment_auth_date": auth,
            "cina_assessment_outcome_json": np.where(done, outcome, None),
            "cina_assessment_outcome_nfa": within(done, flag(nfa)),
        },
    )
    _factors(ctx, assessment_ids[done], auth[done], nfa[done], ctx.la_of(r["person"][m][done]))


# Share of completed assessments identifying each factor (CIN census: domestic abuse and parental mental health
# lead). Codes a year's schema does not list are left out: 18B/18C and 19B/19C replaced 18A and 19A in 2021-22.
FACTORS = {
    "3B": 0.30, "4B": 0.29, "3A": 0.27, "17A": 0.21, "4A": 0.19, "16A": 0.17, "2B": 0.14, "1B": 0.12,
    "20": 0.10, "18C": 0.09, "18A": 0.10, "14A": 0.08, "5B": 0.06, "6B": 0.05, "19C": 0.04, "19A": 0.05,
    "6A": 0.04, "5A": 0.04, "15A": 0.05, "10A": 0.04, "2A": 0.04, "11A": 0.03, "24A": 0.03, "3C": 0.04,
    "4C": 0.02, "2C": 0.02, "18B": 0.02, "19B": 0.02, "13A": 0.02, "1A": 0.02, "1C": 0.01, "9A": 0.01,
    "7A": 0.01, "12A": 0.005, "22A": 0.003, "23A": 0.003, "8F": 0.002,
}  # fmt: skip
NO_FACTORS_SHARE = 0.25  # assessments ending in no further action that found none ("21")


def _factors(ctx: Ctx, assessment: np.ndarray, auth: np.ndarray, nfa: np.ndarray, la: np.ndarray) -> None:
    """Factors identified at each completed assessment, from the code list of the year it was completed in."""
    rng, n = ctx.rng, assessment.size
    names = list(FACTORS)
    found = rng.random((n, len(names))) < np.array(list(FACTORS.values()))
    year = auth.astype("datetime64[M]").astype(int) // 12 + 1970 + (auth.astype("datetime64[M]").astype(int) % 12 >= 3)
    for y in np.unique(year):
        listed = np.isin(names, code_list(int(y), "assessmentfactorstype"))
        found[year == y] &= listed
    none = ~found.any(axis=1)
    found[none, names.index("20")] = True  # something was identified: "other"
    no_factors = nfa & (rng.random(n) < NO_FACTORS_SHARE)
    # Each distinct set of factors written once (there are far fewer sets than assessments).
    sets, which = np.unique(np.packbits(found, axis=1), axis=0, return_inverse=True)
    unpacked = np.unpackbits(sets, axis=1, count=len(names)).astype(bool)
    text = np.array(['["' + '","'.join(c for c, f in zip(names, row, strict=True) if f) + '"]' for row in unpacked], dtype=object)
    text = text[which.ravel()] if n else np.array([], dtype=object)
    text[no_factors] = '["21"]'
    ctx.frames.add(
        "ssd_assessment_factors",
        {"cinf_table_id": ctx.ids("assessment_factors", la), "cinf_assessment_id": assessment, "cinf_assessment_factors_json": text},
    )


def _protection(ctx: Ctx, r: dict[str, np.ndarray]) -> None:
    end = ctx.end
    m = r["s47"] & (r["s47_start"] <= end)
    s47_ids = np.full(r["person"].size, -1, dtype="int64")
    s47_ids[m] = ctx.ids("s47", ctx.la_of(r["person"][m]))
    s_end = _open(r["s47_end"][m], end)
    s_nfa = ~r["icpc"][m] & ~np.isnat(s_end)
    ctx.frames.add(
        "ssd_s47_enquiry",
        {
            "s47e_s47_enquiry_id": s47_ids[m],
            "s47e_referral_id": r["referral_id"][m],
            "s47e_person_id": r["person"][m],
            "s47e_s47_start_date": r["s47_start"][m],
            "s47e_s47_end_date": s_end,
            "s47e_s47_nfa": within(~np.isnat(s_end), flag(s_nfa)),
            "s47e_s47_outcome_json": np.where(np.isnat(s_end), None, np.where(s_nfa, '{"icpc":false}', '{"icpc":true}')),
        },
    )
    c = r["icpc"] & (r["icpc_date"] <= end)
    la = ctx.la_of(r["person"][c])
    icpc_ids = ctx.ids("icpc", la)
    has_plan = r["cp"][c]
    plan_ids = np.where(has_plan, ctx.ids("cp_plan", la), -1)
    target = add_wd(np.where(r["transfer_in"][c], r["ref"][c], r["s47_start"][c]), 15)
    ctx.frames.add(
        "ssd_initial_cp_conference",
        {
            "icpc_icpc_id": icpc_ids,
            "icpc_icpc_meeting_id": icpc_ids,
            "icpc_s47_enquiry_id": s47_ids[c],
            "icpc_person_id": r["person"][c],
            "icpc_cp_plan_id": plan_ids,
            "icpc_referral_id": r["referral_id"][c],
            "icpc_icpc_transfer_in": flag(r["transfer_in"][c]),
            "icpc_icpc_target_date": target,
            "icpc_icpc_date": r["icpc_date"][c],
            "icpc_icpc_outcome_cp_flag": flag(has_plan),
            "icpc_icpc_outcome_json": np.where(has_plan, '{"cp_plan":true}', '{"cp_plan":false}'),
        },
    )
    p = has_plan
    cp_plans(
        ctx,
        plan_ids[p],
        r["person"][c][p],
        r["referral_id"][c][p],
        icpc_ids[p],
        r["icpc_date"][c][p],
        r["cp_end"][c][p],
        r["prev_plans"][c][p],
        r["dob"][c][p],
    )


def cp_plans(
    ctx: Ctx,
    plan_id: np.ndarray,
    person: np.ndarray,
    referral: np.ndarray,
    icpc: np.ndarray,
    start: np.ndarray,
    stop: np.ndarray,
    prev: np.ndarray,
    dob: np.ndarray,
) -> None:
    """CP plans with their review conferences and statutory visits."""
    rng, end, n = ctx.rng, ctx.end, person.size
    cat = choice(rng, n, list(CP_CATEGORIES.values()))
    latest = np.where(rng.random(n) < 0.9, cat, choice(rng, n, list(CP_CATEGORIES.values())))
    stop = _open(stop, end)
    ctx.frames.add(
        "ssd_cp_plans",
        {
            "cppl_cp_plan_id": plan_id,
            "cppl_referral_id": referral,
            "cppl_icpc_id": icpc,
            "cppl_person_id": person,
            "cppl_cp_plan_start_date": start,
            "cppl_cp_plan_end_date": stop,
            "cppl_cp_plan_initial_category": codes(list(CP_CATEGORIES), cat),
            "cppl_cp_plan_ola": flag(np.zeros(n, bool)),
            "cppl_cp_plan_latest_category": codes(list(CP_CATEGORIES), latest),
            "cppl_ext_previous_plans": prev,
        },
    )
    ctx.phases.add(person, start, stop, "CP", referral)
    limit = np.where(np.isnat(stop), end, stop)
    _cp_reviews(ctx, plan_id, person, start, limit, ~np.isnat(stop))
    visits(ctx, "cp", person, start, limit, dob, plan_id, gaps=([5, 11], [11, 15], [15, 26]), gap_p=[0.9, 0.08, 0.02], not_seen=0.03)


def _cp_reviews(ctx: Ctx, plan: np.ndarray, person: np.ndarray, start: np.ndarray, limit: np.ndarray, ended: np.ndarray) -> None:
    """First review within 3 months, then every 6 months (a few late); a closing review on the end date."""
    rng = ctx.rng
    n_max = (((limit - start).astype(int)) // 150 + 2).astype("int64")
    owner, k = group_offsets(n_max)
    late = rng.random(owner.size) < np.where(k == 0, 0.07, 0.05)
    offset = np.where(late, rng.integers(1, 35, owner.size), -rng.integers(0, 21, owner.size))
    # Due dates chain from the actual previous review: due_k = review_{k-1} + 6 months.
    months = np.where(k == 0, 3, 6)
    review = np.empty(owner.size, dtype="datetime64[D]")
    due = np.empty(owner.size, dtype="datetime64[D]")
    prev = start.copy()
    for j in range(int(n_max.max()) if n_max.size else 0):
        sel = k == j
        o = owner[sel]
        due[sel] = add_months(prev[o], months[sel])
        review[sel] = to_workday(due[sel] + days(offset[sel]))
        prev[o] = review[sel]
    keep = review < limit[owner]
    rows = {"o": owner[keep], "due": due[keep], "date": review[keep], "cont": np.ones(int(keep.sum()), bool)}
    # The conference that ended the plan.
    e = np.flatnonzero(ended)
    last = np.full(plan.size, NAT)
    lastv = last.view("int64")
    np.maximum.at(lastv, rows["o"], rows["date"].view("int64"))
    last_or_start = np.where(np.isnat(last), start, last)
    final_due = add_months(last_or_start, np.where(np.isnat(last), 3, 6))
    o = np.r_[rows["o"], e]
    ctx_due = np.r_[rows["due"], final_due[e]]
    date = np.r_[rows["date"], limit[e]]
    cont = np.r_[rows["cont"], np.zeros(e.size, bool)]
    la = ctx.la_of(person[o])
    ids = ctx.ids("cp_review", la)
    ctx.frames.add(
        "ssd_cp_reviews",
        {
            "cppr_cp_review_id": ids,
            "cppr_person_id": person[o],
            "cppr_cp_plan_id": plan[o],
            "cppr_cp_review_due": ctx_due,
            "cppr_cp_review_date": date,
            "cppr_cp_review_meeting_id": ids,
            "cppr_cp_review_outcome_continue_cp": flag(cont),
            "cppr_cp_review_quorate": flag(rng.random(o.size) < 0.95),
            "cppr_cp_review_participation": pick(rng, {"Attended": 0.3, "Views conveyed": 0.45, "Did not attend": 0.25}, o.size),
        },
    )


def visits(
    ctx: Ctx,
    kind: str,
    person: np.ndarray,
    start: np.ndarray,
    limit: np.ndarray,
    dob: np.ndarray,
    parent: np.ndarray,
    gaps: tuple[list[int], ...],
    gap_p: list[float],
    not_seen: float,
    in_days: bool = False,
    weekly_until: np.ndarray | None = None,
    rearranged: bool = False,
) -> None:
    """Statutory visits from start to limit at working-day (or calendar-day) gaps; a few not seen, with a reason.

    `weekly_until` (calendar days only): visits at most 7 days apart until one falls on or after that date, then the
    usual gaps. `rearranged`: a visit where the child was not seen is followed by one where they were, 1-4 days later, so the
    schedule holds."""
    rng = ctx.rng
    lo = min(g[0] for g in gaps)
    span = (limit - start).astype(int)
    n_max = np.maximum(span // (lo if in_days else max(lo - 1, 1) * 7 // 5 + 1) + 2, 1).astype("int64")
    if weekly_until is not None:
        assert in_days, "weekly visits are scheduled in calendar days"
        weekly_span = (weekly_until - start).astype(int)
        n_max += np.maximum(weekly_span // 4 + 1, 0)
    owner, k = group_offsets(n_max)
    which = choice(rng, owner.size, gap_p)
    bounds = np.array(gaps)
    gap = rng.integers(bounds[which, 0], bounds[which, 1])
    gap = np.where(k == 0, rng.integers(1, 6, owner.size), gap)  # first visit within a week of the start
    if weekly_until is not None:
        weekly = np.where(k == 0, gap, rng.integers(4, 8, owner.size))
        before = group_cumsum(weekly, owner) - weekly  # days from the start to the previous visit
        gap = np.where(before < weekly_span[owner], weekly, gap)  # a prefix of each schedule, as `before` only grows
    cum = group_cumsum(gap, owner)
    date = start[owner] + days(cum) if in_days else add_wd(start[owner], cum)
    keep = (date <= limit[owner]) & (date <= ctx.end)
    owner, date = owner[keep], date[keep]
    seen = rng.random(owner.size) >= not_seen
    if rearranged:
        # The scheduled visit happened; the attempt 1-4 days before it, where the child was not seen, is added.
        o2 = owner[~seen]
        d2 = date[~seen] - days(rng.integers(1, 5, o2.size))
        ok = d2 > start[o2]
        owner, date, seen = np.r_[owner, o2[ok]], np.r_[date, d2[ok]], np.r_[np.ones(seen.size, bool), np.zeros(int(ok.sum()), bool)]
    n = owner.size
    older = age_at(dob[owner], date) >= 4
    la = ctx.la_of(person[owner])
    reason = codes(NOT_SEEN, np.where(seen, -1, rng.integers(0, len(NOT_SEEN), n)))
    alone = flag(seen & older & (rng.random(n) < 0.75))
    if kind == "cp":
        ctx.frames.add(
            "ssd_cp_visits",
            {
                "cppv_cp_visit_id": ctx.ids("cp_visit", la),
                "cppv_person_id": person[owner],
                "cppv_cp_plan_id": parent[owner],
                "cppv_cp_visit_date": date,
                "cppv_cp_visit_seen": flag(seen),
                "cppv_cp_visit_seen_alone": alone,
                "cppv_cp_visit_bedroom": flag(seen & (rng.random(n) < 0.6)),
                "cppv_ext_not_seen_reason": reason,
            },
        )
    elif kind == "cin":
        ctx.frames.add(
            "ssd_cin_visits",
            {
                "cinv_cin_visit_id": ctx.ids("cin_visit", la),
                "cinv_person_id": person[owner],
                "cinv_cin_visit_date": date,
                "cinv_cin_visit_seen": flag(seen),
                "cinv_cin_visit_seen_alone": alone,
                "cinv_cin_visit_bedroom": flag(seen & (rng.random(n) < 0.5)),
                "cinv_ext_not_seen_reason": reason,
            },
        )
    else:
        ctx.frames.add(
            "ssd_cla_visits",
            {
                "clav_cla_visit_id": ctx.ids("cla_visit", la),
                "clav_cla_id": parent[owner],
                "clav_person_id": person[owner],
                "clav_cla_visit_date": date,
                "clav_cla_visit_seen": flag(seen),
                "clav_cla_visit_seen_alone": alone,
                "clav_ext_not_seen_reason": reason,
            },
        )


def _cin_plans(ctx: Ctx, r: dict[str, np.ndarray]) -> None:
    end = ctx.end
    m = r["cin"] & (r["cin_start"] <= end)
    person = r["person"][m]
    stop = _open(r["cin_end"][m], end)
    ids = ctx.ids("cin_plan", ctx.la_of(person))
    ctx.frames.add(
        "ssd_cin_plans",
        {
            "cinp_cin_plan_id": ids,
            "cinp_referral_id": r["referral_id"][m],
            "cinp_person_id": person,
            "cinp_cin_plan_start_date": r["cin_start"][m],
            "cinp_cin_plan_end_date": stop,
        },
    )
    ctx.phases.add(person, r["cin_start"][m], stop, "FS", r["referral_id"][m])
    limit = np.where(np.isnat(stop), end, stop)
    visits(
        ctx,
        "cin",
        person,
        r["cin_start"][m],
        limit,
        r["dob"][m],
        ids,
        gaps=([10, 21], [21, 31], [31, 45]),
        gap_p=[0.86, 0.11, 0.03],
        not_seen=0.04,
    )
