"""D. Children in need."""

from __future__ import annotations

import datetime as dt

import ibis
import ibis.expr.types as ir

from cscperf.indicators.catalogue.a_front_door import cin_episodes
from cscperf.indicators.catalogue.c_child_protection import cp_plans
from cscperf.indicators.exceptions import exception_rows, with_status
from cscperf.indicators.model import (
    Model,
    months_after,
    months_before,
    one_period,
    open_at_period_end,
    overdue_visits,
    shared_at_period_ends,
    visits_in_timescale,
)
from cscperf.indicators.registry import Indicator, count, rate, share

SOURCE = "statutory-definitions.md §2.1; CIN census guide (case status)"
SRC_OPEN = f"{SOURCE}; LAIT 290 (NFA referrals are not children in need)"
NFA_NOTE = (
    "A referral flagged no further action (cine_referral_nfa = Y: CIN census ReferralNFA, API "
    "referral_no_further_action_flag, Annex A list 3 'Referral NFA?') is not an episode of need, so it is not counted "
    "even while it has no closure date; the same child with another, non-NFA episode open counts once for that episode."
)
STATUS_ORDER = ("looked after", "child protection plan", "child in need plan", "other")


def cin_plans(m: Model) -> ir.Table:
    p = m.table("ssd_cin_plans")
    return p.select(
        plan_id=p.cinp_cin_plan_id,
        person_id=p.cinp_person_id,
        plan_start=p.cinp_cin_plan_start_date,
        plan_end=p.cinp_cin_plan_end_date,
    )


@shared_at_period_ends
def open_cin_with_status(m: Model, periods: ir.Table) -> ir.Table:
    """Open CIN episodes (not NFA referrals) at each period end with the child's status, in the CIN census order."""
    rows = open_at_period_end(cin_episodes(m), periods, "referral_date", "close_date")
    # The child's first status in STATUS_ORDER: each stock gives its rank, and the lowest wins.
    stocks = (
        m.cla_open_at(periods),
        open_at_period_end(cp_plans(m), periods, "plan_start", "plan_end"),
        open_at_period_end(cin_plans(m), periods, "plan_start", "plan_end"),
    )
    ranks = ibis.union(*(t.select(_pe="period_end", _pid="person_id", _rank=ibis.literal(i)) for i, t in enumerate(stocks)))
    ranks = ranks.group_by(["_pe", "_pid"]).aggregate(_rank=ranks._rank.min())
    j = rows.left_join(ranks, (rows.period_end == ranks._pe) & (rows.person_id == ranks._pid))
    status = ibis.cases(*((j._rank == i, name) for i, name in enumerate(STATUS_ORDER[:3])), else_=STATUS_ORDER[3])
    return j.select("basis", "period_start", "period_end", "person_id", "referral_id", "referral_date", "ref_date", status=status)


def _open_12m(m: Model, periods: ir.Table) -> ir.Table:
    rows = open_cin_with_status(m, periods)
    return rows.filter(rows.status.isin(STATUS_ORDER[2:]) & (rows.referral_date <= months_before(rows.period_end, 12)))


def _open_12m_list(m: Model, period_end: dt.date) -> ir.Table:
    periods = one_period(period_end, period_end)
    r = _open_12m(m, periods)
    due = months_after(r.referral_date, 12)
    return r.select(**exception_rows(r.person_id, r.referral_id, r.referral_date, r.referral_date, due, ibis.literal("overdue"), r.status))


def cin_visits(m: Model) -> ir.Table:
    v = m.table("ssd_cin_visits")
    return v.select(
        v_person_id=v.cinv_person_id,
        visit_date=v.cinv_cin_visit_date,
        seen=v.cinv_cin_visit_seen == "Y",
        reason=v.cinv_ext_not_seen_reason,
    )


def _visits_in_time(m: Model, periods: ir.Table) -> ir.Table:
    return visits_in_timescale(m, periods, cin_plans(m), cin_visits(m), m.settings.cin_visit_interval_wd)


def _visits_overdue(m: Model, period_end: dt.date) -> ir.Table:
    k = overdue_visits(m, period_end, cin_plans(m), cin_visits(m), m.settings.cin_visit_interval_wd)
    k = with_status(m, k, "due", period_end, 3)
    return k.select(**exception_rows(k.person_id, k.plan_id, k.plan_start, k.last_seen, k.due, k.status, k.reason))


INDICATORS = [
    Indicator(
        id="cin_open",
        name="Children in need (open cases)",
        area="D",
        unit="count",
        polarity="neutral",
        snapshot=True,
        measure=count(open_cin_with_status, distinct_children=True),
        breakdowns=("la", "team", "worker", "age_band", "sex", "ethnicity_group", "disability", "status"),
        rule="Children with an open CIN episode at the period end (referral date on or before it, no closure date or one "
        "after it), not counting referrals that ended in no further action. Status (one each, in this order): looked "
        "after, child protection plan, child in need plan, other (assessment or in progress).",
        source=SRC_OPEN,
        notes=NFA_NOTE,
    ),
    Indicator(
        id="cin_open_rate",
        name="Children in need per 10,000 children",
        area="D",
        unit="rate_per_10k",
        polarity="neutral",
        snapshot=True,
        measure=rate("cin_open"),
        variant_of="cin_open",
        rule="Children with an open CIN episode (not an NFA referral) at the period end per 10,000 children aged 0-17.",
        source=SRC_OPEN,
        notes=NFA_NOTE,
    ),
    Indicator(
        id="cin_open_12m_plus",
        name="Child in need cases open 12 months or more",
        area="D",
        unit="count",
        polarity="low",
        snapshot=True,
        measure=count(_open_12m),
        exceptions=_open_12m_list,
        rule="Open CIN episodes (status child in need plan or other; not NFA referrals) with referral date 12 months or "
        "more before the period end.",
        source=SRC_OPEN,
        notes=NFA_NOTE,
    ),
    Indicator(
        id="cin_visits_in_timescale_pct",
        name="Child in need visits in timescale",
        area="D",
        unit="percent",
        polarity="high",
        target=90.0,
        snapshot=True,
        measure=share(_visits_in_time, distinct_children=True),
        exceptions=_visits_overdue,
        numerator="Children seen on a visit within the interval before the period end",
        denominator="Children on a CIN plan at the period end whose plan started at least one visit interval before it",
        rule="As child protection visits, for children on a child in need plan; interval configurable, default 20 working days.",
        source=SOURCE,
        notes="Visit interval is a setting (cin_visit_interval_wd, default 20 working days).",
    ),
]
