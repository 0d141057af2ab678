"""C. Child protection."""

from __future__ import annotations

import datetime as dt

import ibis
import ibis.expr.types as ir

from cscperf.indicators.exceptions import exception_rows, with_status
from cscperf.indicators.model import (
    Model,
    as_date,
    events_in_period,
    late_in_lookback,
    lookback_start,
    months_after,
    months_before,
    open_at_period_end,
    overdue_visits,
    visits_in_timescale,
)
from cscperf.indicators.registry import Indicator, count, rate, share

SRC_S47 = "statutory-definitions.md §2.3; CIN census COLLECT report 'ICPC working days summary'"
SRC_CPP = "statutory-definitions.md §2.4; Working Together to Safeguard Children"
NO_CONFERENCE_END = (
    "An enquiry whose outcome was that no conference was needed (s47e_s47_nfa = Y) and that has no end date ends on its "
    "start date: the CIN census (ICPCnotRequired) and Annex A list 5 ('ICPC deemed unnecessary') record the outcome but "
    "no end. The rule is applied where ssd_s47_enquiry is read (c_child_protection.s47), so every source gets it."
)


def s47(m: Model) -> ir.Table:
    """S47 enquiries. `s47_end` is the recorded end or, for an enquiry whose outcome was that no conference was needed
    (nfa = Y) and that has no end date, its start: the CIN census (ICPCnotRequired) and Annex A list 5 ('ICPC deemed
    unnecessary') record that outcome but no end date, and without one the enquiry would never end. The rule lives here,
    not in the loaders, so every source gets it and the warehouse keeps what the source said."""
    s = m.table("ssd_s47_enquiry")
    no_conference = s.s47e_s47_nfa == "Y"
    return s.select(
        s47_id=s.s47e_s47_enquiry_id,
        person_id=s.s47e_person_id,
        referral_id=s.s47e_referral_id,
        s47_start=s.s47e_s47_start_date,
        s47_end=ibis.coalesce(s.s47e_s47_end_date, ibis.cases((no_conference, s.s47e_s47_start_date), else_=ibis.null("date"))),
        nfa=s.s47e_s47_nfa,
    )


def icpcs(m: Model) -> ir.Table:
    c = m.table("ssd_initial_cp_conference")
    return c.select(
        icpc_id=c.icpc_icpc_id,
        person_id=c.icpc_person_id,
        icpc_s47_id=c.icpc_s47_enquiry_id,
        icpc_referral_id=c.icpc_referral_id,
        icpc_date=c.icpc_icpc_date,
        transfer_in=c.icpc_icpc_transfer_in == "Y",
    )


def icpcs_after_s47(m: Model) -> ir.Table:
    """ICPCs (not transfer-in) with the S47 they follow: the linked enquiry, or else the latest enquiry of the
    same referral that started on or before the conference. (Two equality joins rather than one join on an OR,
    which no engine can hash.)"""
    c = icpcs(m)
    c = c.filter(c.transfer_in.isnull() | ~c.transfer_in)
    s = s47(m).rename(s_person="person_id")
    by_id = c.join(s, (c.icpc_s47_id == s.s47_id) & (s.s47_start <= c.icpc_date))
    unlinked = c.filter(c.icpc_s47_id.isnull())
    by_referral = unlinked.join(
        s, (unlinked.icpc_referral_id == s.referral_id) & (unlinked.person_id == s.s_person) & (s.s47_start <= unlinked.icpc_date)
    )
    j = ibis.union(by_id, by_referral)
    rank = ibis.row_number().over(group_by=j.icpc_id, order_by=ibis.desc(j.s47_start))
    j = j.mutate(_rank=rank)
    return j.filter(j._rank == 0).drop("_rank")


def cp_plans(m: Model) -> ir.Table:
    p = m.table("ssd_cp_plans")
    return p.select(
        plan_id=p.cppl_cp_plan_id,
        person_id=p.cppl_person_id,
        plan_start=p.cppl_cp_plan_start_date,
        plan_end=p.cppl_cp_plan_end_date,
        previous_plans=p.cppl_ext_previous_plans,
    )


def _s47_started(m: Model, periods: ir.Table) -> ir.Table:
    return events_in_period(s47(m), periods, "s47_start")


def _s47_to_icpc(m: Model, periods: ir.Table) -> ir.Table:
    s = s47(m)
    c = icpcs_after_s47(m).select(_s47="s47_id", _icpc_date="icpc_date")
    first_icpc = c.group_by("_s47").aggregate(icpc_date=c._icpc_date.min())
    j = s.left_join(first_icpc, s.s47_id == first_icpc._s47).drop("_s47")
    # Ended: at the conference, or at the end date (the start when none is recorded, see s47) when the outcome was that
    # no conference was needed. An enquiry closed with a conference still to come has not ended.
    no_conference = j.s47_end.notnull() & (j.nfa == "Y")
    j = j.mutate(
        ended=ibis.coalesce(j.icpc_date, ibis.cases((no_conference, j.s47_end), else_=ibis.null("date"))), met=j.icpc_date.notnull()
    )
    return events_in_period(j.filter(j.ended.notnull()), periods, "ended")


def _icpc_15wd(m: Model, periods: ir.Table) -> ir.Table:
    c = m.with_wd(icpcs_after_s47(m), "s47_start", "icpc_date", "wd_taken")
    return events_in_period(c.mutate(met=c.wd_taken <= 15), periods, "icpc_date")


def _s47_awaiting_icpc(m: Model, period_end: dt.date) -> ir.Table:
    """S47 enquiries open at the period end with no conference yet: due on the 15th working day."""
    end = ibis.literal(period_end)
    s = s47(m)
    held = icpcs(m).filter(lambda c: c.icpc_date <= end).select("icpc_s47_id")
    s = s.filter((s.s47_start <= end) & (s.s47_end.isnull() | (s.s47_end > end)) & ~s.s47_id.isin(held.icpc_s47_id))
    s = with_status(m, m.with_wd_due(s, "s47_start", 15, "due"), "due", period_end, 5)
    return s.select(**exception_rows(s.person_id, s.s47_id, s.s47_start, s.s47_start, s.due, s.status))


def _icpc_to_plan(m: Model, periods: ir.Table) -> ir.Table:
    c = icpcs(m)
    p = cp_plans(m)
    with_plan = c.join(p, (c.person_id == p.person_id) & (p.plan_start == c.icpc_date), how="semi").select("icpc_id")
    return events_in_period(c.mutate(met=c.icpc_id.isin(with_plan.icpc_id)), periods, "icpc_date")


def _plans_open(m: Model, periods: ir.Table) -> ir.Table:
    return open_at_period_end(cp_plans(m), periods, "plan_start", "plan_end")


def _plans_started(m: Model, periods: ir.Table) -> ir.Table:
    return events_in_period(cp_plans(m), periods, "plan_start")


def _previous_plan_flags(m: Model) -> ir.Table:
    """Plans with `met` = any earlier plan (data or NumberOfPreviousCPP) and `met_2y` = one ended within 2 years."""
    p = cp_plans(m)
    e = p.select(_pid="person_id", _pstart="plan_start", _pend="plan_end", _pplan="plan_id")
    j = p.left_join(e, (p.person_id == e._pid) & (e._pstart < p.plan_start) & (e._pplan != p.plan_id))
    within_2y = e._pend.notnull() & (e._pend <= j.plan_start) & (j.plan_start.delta(j._pend, unit="day") <= 730)
    g = j.group_by(["plan_id", "person_id", "plan_start", "plan_end", "previous_plans"]).aggregate(
        earlier=j._pplan.count(), earlier_2y=within_2y.cast("int64").sum()
    )
    return g.mutate(met=(g.earlier > 0) | (g.previous_plans.fill_null(0) > 0), met_2y=g.earlier_2y.fill_null(0) > 0)


def _second_or_subsequent(m: Model, periods: ir.Table) -> ir.Table:
    return events_in_period(_previous_plan_flags(m), periods, "plan_start")


def _repeat_2y(m: Model, periods: ir.Table) -> ir.Table:
    p = _previous_plan_flags(m)
    return events_in_period(p.mutate(met=p.met_2y), periods, "plan_start")


def _ended_2y_plus(m: Model, periods: ir.Table) -> ir.Table:
    p = cp_plans(m)
    p = p.filter(p.plan_end.notnull())
    p = p.mutate(met=p.plan_end.delta(p.plan_start, unit="day") >= 729)
    return events_in_period(p, periods, "plan_end")


def _open_2y_plus(m: Model, periods: ir.Table) -> ir.Table:
    rows = _plans_open(m, periods)
    return rows.mutate(met=rows.period_end.delta(rows.plan_start, unit="day") >= 729)


def _long_plans(m: Model, period_end: dt.date) -> ir.Table:
    """Open plans at 2 years (overdue) and those reaching 12 months or 9 months (approaching milestones)."""
    end = ibis.literal(period_end)
    p = cp_plans(m)
    p = p.filter((p.plan_start <= end) & (p.plan_end.isnull() | (p.plan_end > end)))
    days = end.delta(p.plan_start, unit="day")
    status = ibis.cases((days >= 729, "overdue"), (p.plan_start <= months_before(end, 9), "approaching"), else_=ibis.null("string"))
    reason = ibis.cases(
        (days >= 729, "on a plan for 2 years or more"),
        (p.plan_start <= months_before(end, 12), "12 months: legal planning meeting due"),
        else_="9 months: senior manager review due",
    )
    due = as_date(p.plan_start + ibis.interval(days=729))
    return p.select(**exception_rows(p.person_id, p.plan_id, p.plan_start, p.plan_start, due, status, reason))


def cp_reviews(m: Model) -> ir.Table:
    r = m.table("ssd_cp_reviews")
    return r.select(r_plan_id=r.cppr_cp_plan_id, review_date=r.cppr_cp_review_date)


def _review_history(m: Model, periods: ir.Table) -> ir.Table:
    """Per plan open at each period end (started 3+ months before): whether any review missed a deadline (first within
    3 months of the start, later ones within 6 months of the previous) falling in the look-back, and the last review."""
    rows = _plans_open(m, periods)
    rows = rows.filter(rows.plan_start <= months_before(rows.period_end, 3))
    rows = rows.mutate(_lookback_from=lookback_start(m, rows.period_end))
    r = cp_reviews(m)
    j = rows.left_join(r, (rows.plan_id == r.r_plan_id) & (r.review_date <= rows.period_end) & (r.review_date >= rows.plan_start))
    order = ibis.window(group_by=[j.period_end, j.plan_id], order_by=j.review_date)
    prev = j.review_date.lag().over(order)
    limit = ibis.cases((prev.isnull(), months_after(j.plan_start, 3)), else_=months_after(prev, 6))
    j = j.mutate(late=late_in_lookback(j.review_date.notnull() & (j.review_date > limit), limit, j._lookback_from))
    keys = ["basis", "period_start", "period_end", "person_id", "plan_id", "plan_start", "ref_date"]
    return j.group_by(keys).aggregate(any_late=j.late.cast("int64").sum() > 0, last_review=j.review_date.max())


def _reviews_in_time(m: Model, periods: ir.Table) -> ir.Table:
    h = _review_history(m, periods)
    current_limit = ibis.cases((h.last_review.isnull(), months_after(h.plan_start, 3)), else_=months_after(h.last_review, 6))
    return h.mutate(met=~h.any_late & (h.period_end <= current_limit))


def _reviews_due(m: Model, period_end: dt.date) -> ir.Table:
    end = ibis.literal(period_end)
    p = cp_plans(m)
    p = p.filter((p.plan_start <= end) & (p.plan_end.isnull() | (p.plan_end > end)))
    r = cp_reviews(m).filter(lambda r: r.review_date <= end)
    j = p.left_join(r, p.plan_id == r.r_plan_id)
    g = j.group_by(["person_id", "plan_id", "plan_start"]).aggregate(last_review=j.review_date.max())
    due = ibis.cases((g.last_review.isnull(), months_after(g.plan_start, 3)), else_=months_after(g.last_review, 6))
    g = with_status(m, g.mutate(due=due.cast("date")), "due", period_end, 10)
    return g.select(**exception_rows(g.person_id, g.plan_id, g.plan_start, g.last_review, g.due, g.status))


def cp_visits(m: Model) -> ir.Table:
    v = m.table("ssd_cp_visits")
    return v.select(
        v_person_id=v.cppv_person_id,
        visit_date=v.cppv_cp_visit_date,
        seen=v.cppv_cp_visit_seen == "Y",
        reason=v.cppv_ext_not_seen_reason,
    )


def _visits_in_time(m: Model, periods: ir.Table) -> ir.Table:
    return visits_in_timescale(m, periods, cp_plans(m), cp_visits(m), m.settings.cp_visit_interval_wd)


def _visits_overdue(m: Model, period_end: dt.date) -> ir.Table:
    k = overdue_visits(m, period_end, cp_plans(m), cp_visits(m), m.settings.cp_visit_interval_wd)
    k = with_status(m, k, "due", period_end, 2)
    return k.select(**exception_rows(k.person_id, k.plan_id, k.plan_start, k.last_seen, k.due, k.status, k.reason))


INDICATORS = [
    Indicator(
        id="s47_enquiries",
        additive=True,
        name="Section 47 enquiries started",
        area="C",
        unit="count",
        polarity="neutral",
        measure=count(_s47_started),
        rule="S47 enquiries with a start (strategy discussion) date in the period.",
        source=SRC_S47,
    ),
    Indicator(
        id="s47_enquiries_rate",
        name="Section 47 enquiries per 10,000 children",
        area="C",
        unit="rate_per_10k",
        polarity="neutral",
        measure=rate("s47_enquiries"),
        bases=("rolling12", "year"),
        rag_basis="rolling12",
        variant_of="s47_enquiries",
        rule="S47 enquiries started in the 12 months to the period end per 10,000 children aged 0-17.",
        source=SRC_S47,
    ),
    Indicator(
        id="s47_to_icpc_pct",
        additive=True,
        name="Section 47 enquiries leading to an initial conference",
        area="C",
        unit="percent",
        polarity="neutral",
        measure=share(_s47_to_icpc),
        numerator="S47 enquiries with an initial conference",
        denominator="S47 enquiries that ended in the period (an ICPC date, or an end with no conference)",
        rule="Of S47 enquiries that ended in the period (an ICPC date, or an outcome of no conference), those with an ICPC.",
        source=SRC_S47,
        notes=NO_CONFERENCE_END,
    ),
    Indicator(
        id="icpc_15wd_pct",
        additive=True,
        name="Initial conferences within 15 working days",
        area="C",
        unit="percent",
        polarity="high",
        target=90.0,
        measure=share(_icpc_15wd),
        exceptions=_s47_awaiting_icpc,
        numerator="ICPCs held within 15 working days of the S47 start",
        denominator="ICPCs held in the period that follow an S47 in the same episode (transfer-in conferences excluded)",
        rule="Of ICPCs held in the period that follow an S47 in the same episode and are not before it, those with "
        "wd(S47 start, ICPC date) <= 15. Transfer-in conferences are excluded. Exceptions: open S47 enquiries without "
        "a conference, due on their 15th working day (one whose outcome was no conference and that has no end date "
        "ended on its start, as in s47_to_icpc_pct).",
        source=SRC_S47 + "; CIN census validation rule 2884",
        notes="Transfer-in conferences are those with icpc_icpc_transfer_in = Y, as SSD records it. The CIN census has no "
        "such flag and records a conference at CINdetails level only when no S47 of the episode led to it (e.g. a child "
        "on a plan transferring in; rule 2884: never at both levels): its loader sets Y for a CINdetails-level "
        "DateOfInitialCPC that no Section47 of the episode holds, N for one under a Section47. DfE reports transfer-in "
        "conference timeliness separately (COLLECT 'Transfer-in ICPC working days summary'); they still count as "
        "conferences held (icpc_to_cp_plan_pct). A conference with no S47 id that is not a transfer-in follows the latest "
        "S47 of its referral that started on or before it.",
    ),
    Indicator(
        id="icpc_to_cp_plan_pct",
        additive=True,
        name="Initial conferences resulting in a plan",
        area="C",
        unit="percent",
        polarity="neutral",
        measure=share(_icpc_to_plan),
        numerator="ICPCs followed by a CP plan starting on the conference date",
        denominator="ICPCs held in the period",
        rule="Of ICPCs in the period, those followed by a CP plan starting on the conference date.",
        source=SRC_S47,
    ),
    Indicator(
        id="cp_plans_open",
        name="Children subject to a child protection plan",
        area="C",
        unit="count",
        polarity="neutral",
        snapshot=True,
        measure=count(_plans_open, distinct_children=True),
        rule="Children with a plan with start <= period end and (no end or end > period end); a child with two "
        "overlapping plans counts once.",
        source=SRC_CPP,
    ),
    Indicator(
        id="cp_plans_open_rate",
        name="Children subject to a child protection plan per 10,000 children",
        area="C",
        unit="rate_per_10k",
        polarity="neutral",
        target_band=(35.0, 45.0),
        snapshot=True,
        measure=rate("cp_plans_open"),
        variant_of="cp_plans_open",
        rule="Children on a plan at the period end per 10,000 children aged 0-17.",
        source=SRC_CPP,
    ),
    Indicator(
        id="cp_plans_started",
        additive=True,
        name="Child protection plans started",
        area="C",
        unit="count",
        polarity="neutral",
        measure=count(_plans_started),
        rule="Plans with a start date in the period.",
        source=SRC_CPP,
    ),
    Indicator(
        id="cp_plans_second_or_subsequent_pct",
        additive=True,
        name="Second or subsequent plans",
        area="C",
        unit="percent",
        polarity="low",
        target=20.0,
        measure=share(_second_or_subsequent),
        numerator="Plans for a child who had any earlier plan (from the data, or NumberOfPreviousCPP > 0)",
        denominator="Plans started in the period",
        rule="Of plans started in the period, those for a child who had any earlier plan (from the data, or NumberOfPreviousCPP > 0).",
        source=SRC_CPP,
    ),
    Indicator(
        id="cp_plans_repeat_2y_pct",
        additive=True,
        name="Repeat plans within 2 years",
        area="C",
        unit="percent",
        polarity="low",
        measure=share(_repeat_2y),
        variant_of="cp_plans_second_or_subsequent_pct",
        numerator="Plans for a child whose earlier plan ended within 2 years (730 days) before this start",
        denominator="Plans started in the period",
        rule="Of plans started in the period, those where an earlier plan ended within 2 years (<= 730 days) before this start.",
        source=SRC_CPP,
    ),
    Indicator(
        id="cp_plans_ended_2y_plus_pct",
        additive=True,
        name="Plans ended that lasted 2 years or more",
        area="C",
        unit="percent",
        polarity="low",
        target=0.0,
        measure=share(_ended_2y_plus),
        numerator="Plans that lasted 2 years or more ((end - start) >= 729 days)",
        denominator="Plans ending in the period",
        rule="Of plans ending in the period, those with (end - start).days >= 729.",
        source=SRC_CPP,
    ),
    Indicator(
        id="cp_plans_open_2y_plus",
        name="Children on a plan for 2 years or more",
        area="C",
        unit="count",
        polarity="low",
        target=0.0,
        snapshot=True,
        measure=count(_open_2y_plus, distinct_children=True, where_met=True),
        exceptions=_long_plans,
        rule="Open plans at the period end with (period end - start).days >= 729. Exceptions also list open plans "
        "reaching 9 months (senior manager review) and 12 months (legal planning meeting).",
        source=SRC_CPP,
    ),
    Indicator(
        id="cp_plans_open_2y_plus_pct",
        name="Children on a plan for 2 years or more (% of open plans)",
        area="C",
        unit="percent",
        polarity="low",
        target=0.0,
        snapshot=True,
        measure=share(_open_2y_plus, distinct_children=True),
        variant_of="cp_plans_open_2y_plus",
        numerator="Children on a plan open 2 years or more",
        denominator="Children on a plan at the period end",
        rule="Children on plans open at the period end with (period end - start).days >= 729, as a share of children on a plan.",
        source=SRC_CPP,
    ),
    Indicator(
        id="cp_reviews_in_timescale_pct",
        name="Child protection reviews in timescale",
        area="C",
        unit="percent",
        polarity="high",
        target=100.0,
        snapshot=True,
        measure=share(_reviews_in_time, distinct_children=True),
        exceptions=_reviews_due,
        numerator="Children whose reviews due in the last 12 months (first within 3 months of the plan start, each later "
        "one within 6 months of the previous) were in time, and whose current interval has not passed its limit",
        denominator="Children on a plan at the period end whose plan started at least 3 months before it",
        rule="Denominator: children on a plan at the period end whose plan started at least 3 months before it. "
        "Numerator: those whose first review was within 3 months of the plan start, each later review within 6 months "
        "of the previous one, and whose current interval has not passed its limit. A review counts as late only if the "
        "deadline it missed fell in the 12 months to the period end, as for CLA reviews and visits.",
        source=SRC_CPP + " (LAIT 19; whether reviews before the census year count is open there); the look-back follows "
        "the former NI 66 ('reviews held on time during the year') used for CLA reviews",
        notes="The look-back is the setting timeliness_lookback_months (12), one rule with CLA reviews and visits "
        "(model.late_in_lookback): the 12 calendar months to the period end, as the rolling12 basis, so for 31 Mar 2025 "
        "a deadline missed on 1 Apr 2024 counts and one missed on 31 Mar 2024 does not. Without it one late review "
        "years ago would fail a child for the rest of a long plan. Calendar months clamp to the month end.",
    ),
    Indicator(
        id="cp_visits_in_timescale_pct",
        name="Child protection visits in timescale",
        area="C",
        unit="percent",
        polarity="high",
        target=98.0,
        snapshot=True,
        measure=share(_visits_in_time, distinct_children=True),
        exceptions=_visits_overdue,
        numerator="Children seen on a statutory visit within the interval before the period end",
        denominator="Children on a plan at the period end whose plan started at least one visit interval before it",
        rule="Denominator: children on a plan at the period end whose plan started at least one visit interval "
        "(default 10 working days) before it. Numerator: those seen on a statutory visit within the interval before the "
        "period end. Exceptions: children not seen within the interval, with last visit, days overdue and recorded reason.",
        source=SRC_CPP,
        notes="Visit interval is a setting (cp_visit_interval_wd, default 10 working days).",
    ),
]
