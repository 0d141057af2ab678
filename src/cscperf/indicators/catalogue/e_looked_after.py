"""E. Children looked after.

Children looked after under an agreed series of short breaks (legal status V3/V4) are left out throughout: their
episodes are dropped (`cla_episodes`, `cla_open_at`) and periods of care made only of them are not counted.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import ibis
import ibis.expr.types as ir

from cscperf.indicators.exceptions import exception_rows, with_status
from cscperf.indicators.model import (
    ADOPTION_PLACEMENTS,
    FOSTER_PLACEMENTS,
    LONG_TERM_FOSTER,
    NEW_CARER_RNE,
    Model,
    age_at,
    as_date,
    children_ceasing,
    cla_episodes,
    cla_periods,
    continuously_looked_after,
    events_in_period,
    late_in_lookback,
    lookback_start,
    months_after,
    months_before,
    one_period,
    open_end,
    placement_spells,
    window_start,
)
from cscperf.indicators.registry import CHILD_BREAKDOWNS, Indicator, count, rate, share

SRC_CLA = "statutory-definitions.md §2.5; DfE children looked after in England (EES), LAIT 124/392/208/390"
SRC_STABILITY = "statutory-definitions.md §2.6; LAIT 372 and 393; EES placement stability"
SRC_REVIEWS = "statutory-definitions.md §2.7; Care Planning, Placement and Case Review (England) Regulations 2010 regs 28 and 33"
SRC_VISITS = (
    "Care Planning, Placement and Case Review (England) Regulations 2010 reg 28(2)-(5) (legislation.gov.uk/uksi/2010/959/"
    "regulation/28), regs 19, 24 and 25; statutory-definitions.md §2.7"
)
SRC_HEALTH = "statutory-definitions.md §2.8; SSDA903 OC2; reg 7 and Promoting the health and wellbeing of looked-after children"
SRC_PEP = "statutory-definitions.md §2.8; Promoting the education of looked-after children (2018)"
SRC_MISSING = "statutory-definitions.md §2.11; LAIT 161"

REASON_GROUPS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("adopted", ("E11", "E12")),
    ("SGO", ("E43", "E44", "E45", "E46", "E47", "E48")),
    ("child arrangements", ("E41",)),
    ("returned home", ("E4A", "E4B", "E13")),
    ("independent living", ("E5", "E6")),
)
COMPLETED = "COMPLETED"


def _first_per_child(t: ir.Table, date_col: str) -> ir.Table:
    """Keep one row per child and period: the first by `date_col`."""
    rank = ibis.row_number().over(group_by=[t.basis, t.period_end, t.person_id], order_by=[t[date_col], t.poc_id])
    return t.mutate(_rank=rank).filter(lambda r: r._rank == 0).drop("_rank")


def _calendar_status(due: ir.DateValue, period_end: dt.date, approaching_days: int) -> ir.StringValue:
    """'overdue' the day after a calendar deadline, 'approaching' when due within the next N days."""
    end = ibis.literal(period_end)
    return ibis.cases(
        (due < end, "overdue"),
        (due <= end + ibis.interval(days=approaching_days), "approaching"),
        else_=ibis.null("string"),
    )


def _with_person(m: Model, rows: ir.Table) -> ir.Table:
    p = m.person.select(_pid="person_id", dob="dob")
    return rows.left_join(p, rows.person_id == p._pid).drop("_pid")


def _with_periods_of_care(m: Model, rows: ir.Table) -> ir.Table:
    """Add cla_start (start of the current period of care, short breaks aside) to rows carrying poc_id."""
    p = cla_periods(m).select(_poc="poc_id", cla_start="cla_start")
    return rows.join(p, rows.poc_id == p._poc).drop("_poc")


# --- numbers in care --------------------------------------------------------------------------------


def _open(m: Model, periods: ir.Table) -> ir.Table:
    return m.cla_open_at(periods)


def _started(m: Model, periods: ir.Table) -> ir.Table:
    return _first_per_child(events_in_period(cla_periods(m), periods, "cla_start"), "cla_start")


def reason_group(rec: ir.StringValue) -> ir.StringValue:
    code = rec.upper()
    return ibis.cases(*[(code.isin(codes), name) for name, codes in REASON_GROUPS], else_="other")


def _ceased(m: Model, periods: ir.Table) -> ir.Table:
    rows = children_ceasing(m, periods)
    return rows.mutate(reason_group=reason_group(rows.poc_end_reason))


# --- placement stability ----------------------------------------------------------------------------


def _three_plus(m: Model, periods: ir.Table) -> ir.Table:
    return three_plus_placements(m, periods)


def three_plus_placements(m: Model, periods: ir.Table, types: tuple[str, ...] | None = None) -> ir.Table:
    """Children looked after at the period end, met when 3 or more placements (of `types`, default any) overlap the 12
    months to it."""
    rows = m.cla_open_at(periods)
    s = placement_spells(m)
    s = s.filter(s.pl_type.isin(types)) if types else s
    s = s.select(_sp_pid="person_id", _sp_id="spell_id", _sp_start="spell_start", _sp_end="spell_end")
    j = rows.left_join(
        s,
        (rows.person_id == s._sp_pid) & (s._sp_start <= rows.period_end) & (open_end(s._sp_end) >= window_start(rows.period_end, 12)),
    )
    keys = ["basis", "period_start", "period_end", "person_id", "ref_date"]
    g = j.group_by(keys).aggregate(placements=j._sp_id.count())
    return g.mutate(met=g.placements >= 3)


def _current_spell(m: Model, rows: ir.Table, new_rne: tuple[str, ...]) -> ir.Table:
    """Add the placement spell open at the period end in the child's current period of care (spell_start, pl_type,
    prev_start)."""
    s = placement_spells(m, new_rne).select(
        _s_poc="poc_id", spell_start="spell_start", _s_end="spell_end", spell_type="pl_type", prev_start="prev_start"
    )
    j = rows.left_join(s, (rows.poc_id == s._s_poc) & (s.spell_start <= rows.period_end) & (open_end(s._s_end) > rows.period_end))
    return j.drop("_s_poc", "_s_end").view()


def long_term_stability(m: Model, periods: ir.Table) -> ir.Table:
    """Under-16s looked after continuously for 2.5 years at the period end (with `spell_type`), met if with the same carer
    for 2 years (DfE long-term stability)."""
    rows = _with_person(m, _with_periods_of_care(m, m.cla_open_at(periods)))
    pocs = m.periods_of_care.select(_poc="poc_id", poc_start="poc_start")
    rows = rows.join(pocs, rows.poc_id == pocs._poc).drop("_poc")
    rows = rows.filter((age_at(rows.dob, rows.period_end) < 16) & (rows.poc_start <= window_start(rows.period_end, 30)))
    rows = _current_spell(m, rows, NEW_CARER_RNE)
    adoptive = rows.spell_type.isin(ADOPTION_PLACEMENTS).fill_null(False) & rows.prev_start.notnull()
    since = ibis.cases((adoptive, rows.prev_start), else_=rows.spell_start)
    return rows.mutate(met=(since <= window_start(rows.period_end, 24)).fill_null(False))


# --- reviews ----------------------------------------------------------------------------------------


def cla_reviews(m: Model) -> ir.Table:
    """Reviews held (not cancelled): poc_id, review_date. A review without a period of care id (903 reviews are keyed
    by child) is given the child's period of care that was open on its date."""
    r = m.table("ssd_cla_reviews")
    r = r.filter(r.clar_cla_review_date.notnull() & (r.clar_cla_review_cancelled.isnull() | (r.clar_cla_review_cancelled != "Y")))
    r = r.select(r_poc=r.clar_cla_id, r_person=r.clar_ext_person_id, review_date=r.clar_cla_review_date)
    linked = r.filter(r.r_poc.notnull()).select(r_poc_id="r_poc", review_date="review_date")
    loose = r.filter(r.r_poc.isnull())
    p = m.periods_of_care
    found = loose.join(p, (loose.r_person == p.person_id) & (p.poc_start <= loose.review_date) & (open_end(p.poc_end) >= loose.review_date))
    return ibis.union(linked, found.select(r_poc_id="poc_id", review_date="review_date")).distinct()


def _numbered_reviews(m: Model) -> ir.Table:
    """Reviews in each period of care from its start, in order (nth from 0), each with its `deadline` (the first
    within 20 working days of the start, the second within 3 months of the first, later ones within 6 months of the
    previous) and whether it `missed` it. None of this depends on the period end."""
    p = cla_periods(m).select(_poc="poc_id", cla_start="cla_start")
    r = cla_reviews(m)
    r = r.join(p, r.r_poc_id == p._poc).drop("_poc")
    r = r.filter(r.review_date >= r.cla_start)
    r = m.with_wd_due(r, "cla_start", 20, "first_due")
    r = m.with_wd(r, "cla_start", "review_date", "wd_to_review")
    order = ibis.window(group_by=r.r_poc_id, order_by=r.review_date)
    prev, nth = r.review_date.lag().over(order), ibis.row_number().over(order)
    limit = ibis.cases((nth == 0, r.first_due), (nth == 1, months_after(prev, 3)), else_=months_after(prev, 6))
    missed = ibis.cases((nth == 0, r.wd_to_review > 20), else_=r.review_date > limit)
    return r.select("r_poc_id", "review_date", nth=nth, deadline=limit, missed=missed)


def _review_history(m: Model, periods: ir.Table, recent_only: bool = False) -> ir.Table:
    """Per child looked after at the period end whose first review was due by then: whether every review so far in the
    current period of care whose deadline fell in the look-back (late_in_lookback) was in time, the number held, the last
    one and the first review's due date.

    `recent_only` reads only reviews held on or after the lookback (6 months before the window): whether the child is in
    time is the same, since a late review for a recent deadline is held after its start, and a last review before the
    lookback makes the child overdue either way; `held` and `last_review` then count only those reviews."""
    rows = _with_periods_of_care(m, m.cla_open_at(periods))
    rows = m.with_wd_due(rows, "cla_start", 20, "first_due")
    rows = rows.filter(rows.first_due <= rows.period_end)
    # Only deadlines in the look-back count: a review late years ago does not fail a child today.
    rows = rows.mutate(_recent_from=lookback_start(m, rows.period_end))
    r = _numbered_reviews(m)
    on = (rows.poc_id == r.r_poc_id) & (r.review_date >= rows.cla_start) & (r.review_date <= rows.period_end)
    if recent_only:
        on &= r.review_date >= months_before(rows._recent_from, 6)
    j = rows.left_join(r, on)
    j = j.mutate(late=late_in_lookback(j.review_date.notnull() & j.missed, j.deadline, j._recent_from))
    keys = ["basis", "period_start", "period_end", "person_id", "poc_id", "cla_start", "first_due", "ref_date"]
    g = j.group_by(keys).aggregate(
        any_late=j.late.cast("int64").sum() > 0, held=(j.nth.max() + 1).fill_null(0), last_review=j.review_date.max()
    )
    due = ibis.cases((g.held == 0, g.first_due), (g.held == 1, months_after(g.last_review, 3)), else_=months_after(g.last_review, 6))
    return g.mutate(next_due=due)


def _reviews_in_time(m: Model, periods: ir.Table, recent_only: bool = True) -> ir.Table:
    h = _review_history(m, periods, recent_only)
    h = m.with_wd(h, "cla_start", "period_end", "wd_in_care")
    # The first review is a working-day deadline (in time while wd(start, period end) <= 20), later ones calendar.
    current_ok = ibis.cases((h.held == 0, h.wd_in_care <= 20), else_=h.period_end <= h.next_due)
    return h.mutate(met=~h.any_late & current_ok)


def _reviews_due(m: Model, period_end: dt.date) -> ir.Table:
    """Children whose next review is overdue or due soon (every child looked after at the period end is listed
    against their next review; a first review not yet due can still be approaching)."""
    rows = _with_periods_of_care(m, m.cla_open_at(one_period(period_end, period_end)))
    rows = m.with_wd_due(rows, "cla_start", 20, "first_due")
    r = cla_reviews(m)
    j = rows.left_join(r, (rows.poc_id == r.r_poc_id) & (r.review_date >= rows.cla_start) & (r.review_date <= rows.period_end))
    g = j.group_by(["person_id", "poc_id", "cla_start", "first_due"]).aggregate(held=j.review_date.count(), last_review=j.review_date.max())
    g = g.mutate(
        due=ibis.cases(
            (g.held == 0, g.first_due),
            (g.held == 1, months_after(g.last_review, 3)),
            else_=months_after(g.last_review, 6),
        ),
        reason=ibis.cases(
            (g.held == 0, "first review (20 working days)"), (g.held == 1, "second review (3 months)"), else_="review (6 months)"
        ),
    )
    g = with_status(m, g, "due", period_end, 10).rename(wd_status="status")
    cal = _calendar_status(g.due, period_end, m.settings.cla_approaching_days)
    g = g.mutate(status=ibis.cases((g.held == 0, g.wd_status), else_=cal))
    return g.select(**exception_rows(g.person_id, g.poc_id, g.cla_start, g.last_review, g.due, g.status, g.reason))


# --- visits (regulation 28) -------------------------------------------------------------------------


def cla_visits(m: Model) -> ir.Table:
    v = m.table("ssd_cla_visits")
    return v.select(
        v_person_id=v.clav_person_id,
        visit_date=v.clav_cla_visit_date,
        seen=v.clav_cla_visit_seen == "Y",
        reason=v.clav_ext_not_seen_reason,
    )


@dataclass(frozen=True)
class VisitSchedule:
    """A paragraph of regulation 28 that replaces the 28(2) schedule (first visit within 1 week of the placement, then
    at most 6 weeks apart, 3 months for a long-term placement after its first year) for the children it covers: those
    whose current placement type is in `placement_types` and, if given, legal status in `legal_statuses`. Visits are
    then due at least weekly until the first review of the period of care (`weekly_until_first_review`), and after it at
    most `interval_days` apart. `from_care_order`: the clock starts again when that legal status began in the
    placement (28(5)(a): within 1 week of the care order). `temporary_approval`: only visits made in the first
    cla_visit_temporary_approval_weeks of the placement follow it, the longest a reg 24 approval lasts (reg 25)."""

    paragraph: str
    placement_types: tuple[str, ...]
    legal_statuses: tuple[str, ...] | None
    interval_days: int
    weekly_until_first_review: bool = True
    from_care_order: bool = False
    temporary_approval: bool = False


# Regulation 28(3)-(5); the first that covers a child applies, anyone else follows 28(2). P1 = placed with parents,
# U3 = foster placement with a relative or friend (not long-term, not fostering for adoption), C1 interim care order,
# C2 full care order. Weekly visits for any placement with parents (P1) until the first review take reg 19 (placed
# with parents before their assessment is complete) to apply until then.
VISIT_SCHEDULES: tuple[VisitSchedule, ...] = (
    VisitSchedule("28(4): interim care order, living with parents", ("P1",), ("C1",), 28),
    VisitSchedule("28(5) and 28(3): care order, living with parents", ("P1",), ("C2",), 42, from_care_order=True),
    VisitSchedule("28(3): placed with parents before assessment (reg 19)", ("P1",), None, 42),
    VisitSchedule("28(4): connected person with temporary approval (reg 24)", ("U3",), None, 28, temporary_approval=True),
)
WEEKLY_DAYS = 7


def _schedules_text() -> str:
    """VISIT_SCHEDULES in words, for the registry entry (so the docs show the table the engine runs)."""
    parts = []
    for sched in VISIT_SCHEDULES:
        who = "/".join(sched.placement_types) + (f" with {'/'.join(sched.legal_statuses)}" if sched.legal_statuses else "")
        when = " in the placement's first cla_visit_temporary_approval_weeks" if sched.temporary_approval else ""
        start = "within 1 week of the care order, " if sched.from_care_order else ""
        weekly = "weekly until the first review, then " if sched.weekly_until_first_review else ""
        parts.append(f"{sched.paragraph} ({who}{when}): {start}{weekly}at most {sched.interval_days} days apart")
    return "; ".join(parts)


def _covers(sched: VisitSchedule, t: ir.Table) -> ir.BooleanValue:
    """Whether the child's current placement type and legal status fall under a schedule."""
    hit = t.type_now.isin(sched.placement_types)
    if sched.legal_statuses is not None:
        hit &= t.legal_status.isin(sched.legal_statuses)
    return hit.fill_null(False)


def _first_reviews(m: Model) -> ir.Table:
    """The first review held in each period of care (on or after its start)."""
    p = cla_periods(m).select(_poc="poc_id", _start="cla_start")
    r = cla_reviews(m)
    r = r.join(p, (r.r_poc_id == p._poc) & (r.review_date >= p._start))
    return r.group_by(_fr_poc="r_poc_id").aggregate(_first_review=r.review_date.min())


def _care_order_starts(m: Model, sched: VisitSchedule) -> ir.Table:
    """When each period of care first had one of the schedule's legal statuses (the order was made)."""
    e = cla_episodes(m)
    e = e.filter(e.legal_status.isin(sched.legal_statuses or ()))
    return e.group_by(_co_poc="poc_id").aggregate(_order_start=e.ep_start.min())


def _visit_rows(m: Model, periods: ir.Table) -> ir.Table:
    """Children looked after at the period end with their current placement (same carer: T/U moves and legal status
    changes do not restart it), its type and the legal status now, whether it is long-term foster care (U1/U4), the
    first review of the period of care if held by the period end, and `clock_start`: when the current visit schedule
    began (the placement start, or a later care order for a schedule that runs from it)."""
    rows = _current_spell(m, m.cla_open_at(periods), NEW_CARER_RNE)
    p = m.placements.select(_pl="placement_id", type_now="pl_type")
    rows = rows.left_join(p, rows.placement_id == p._pl).drop("_pl")
    rows = rows.mutate(long_term=rows.type_now.isin(LONG_TERM_FOSTER).fill_null(False))
    fr = _first_reviews(m)
    rows = rows.left_join(fr, rows.poc_id == fr._fr_poc).drop("_fr_poc")
    held = rows._first_review <= rows.period_end  # a review after the period end is not known then
    rows = rows.mutate(first_review=ibis.cases((held, rows._first_review), else_=ibis.null("date"))).drop("_first_review")
    rows = rows.mutate(clock_start=rows.spell_start)
    for sched in (s for s in VISIT_SCHEDULES if s.from_care_order):
        co = _care_order_starts(m, sched)
        rows = rows.left_join(co, rows.poc_id == co._co_poc).drop("_co_poc")
        later = _covers(sched, rows) & (rows._order_start > rows.spell_start)
        rows = rows.mutate(clock_start=ibis.cases((later, rows._order_start), else_=rows.clock_start)).drop("_order_start")
    return rows


def _visit_limit(m: Model, t: ir.Table, last: ir.DateValue) -> ir.DateValue:
    """The latest date of the next visit after `last` (null: the first, within 1 week of the clock start), by the
    first schedule in VISIT_SCHEDULES covering the child, else 28(2). A weekly deadline applies while it falls on or
    before the first review (or none has been held)."""
    s = m.settings

    def after(days: int) -> ir.DateValue:
        return as_date(last + ibis.interval(days=days))

    cases = [(last.isnull(), as_date(t.clock_start + ibis.interval(days=s.cla_visit_first_days)))]
    before_review = t.first_review.isnull() | (after(WEEKLY_DAYS) <= t.first_review)
    approval_ends = as_date(t.spell_start + ibis.interval(days=7 * s.cla_visit_temporary_approval_weeks))
    for sched in VISIT_SCHEDULES:
        covered = _covers(sched, t) & (last < approval_ends) if sched.temporary_approval else _covers(sched, t)
        if sched.weekly_until_first_review:
            cases.append((covered & before_review, after(WEEKLY_DAYS)))
        cases.append((covered, after(sched.interval_days)))
    first_year_over = last >= months_after(t.spell_start, 12)
    cases.append((t.long_term & first_year_over, months_after(last, s.cla_visit_long_term_months)))
    return ibis.cases(*cases, else_=after(s.cla_visit_interval_days))


def _visit_lookback(m: Model, recent_from: ir.DateValue) -> ir.DateValue:
    """The earliest visit that can set a deadline falling on or after `recent_from` (the longest gap allowed)."""
    s = m.settings
    days = max(s.cla_visit_interval_days, s.cla_visit_first_days, *(sched.interval_days for sched in VISIT_SCHEDULES))
    return ibis.least(months_before(recent_from, s.cla_visit_long_term_months), as_date(recent_from - ibis.interval(days=days)))


def _visit_history(m: Model, periods: ir.Table, recent_only: bool = False) -> ir.Table:
    """Per child looked after at the period end: whether any visit in the current placement missed a deadline
    falling in the look-back (late_in_lookback), the last visit and when the next is due.

    `recent_only` reads only visits that can set or miss such a deadline: the figures are the same (a visit is late
    for a recent deadline only on or after its start, and a last visit before the lookback makes the child overdue
    either way), but `last_seen` is then null for a child not seen since (exception lists show the real date)."""
    rows = _visit_rows(m, periods)
    rows = rows.mutate(_recent_from=lookback_start(m, rows.period_end))
    seen = cla_visits(m).filter(lambda v: v.seen)
    seen = seen.mutate(_prev=seen.visit_date.lag().over(ibis.window(group_by=seen.v_person_id, order_by=seen.visit_date)))
    on = (rows.person_id == seen.v_person_id) & (seen.visit_date >= rows.clock_start) & (seen.visit_date <= rows.period_end)
    if recent_only:  # a second bound, not greatest(): a child with no current placement (null start) reads no visits
        on &= seen.visit_date >= _visit_lookback(m, rows._recent_from)
    j = rows.left_join(seen, on)
    prev = ibis.cases((j._prev >= j.clock_start, j._prev), else_=ibis.null("date"))  # the previous visit on this clock
    limit = _visit_limit(m, j, prev)
    j = j.mutate(late=late_in_lookback(j.visit_date.notnull() & (j.visit_date > limit), limit, j._recent_from))
    keys = ["basis", "period_start", "period_end", "person_id", "poc_id", "ref_date", "spell_start", "clock_start", "long_term"]
    keys += ["type_now", "legal_status", "first_review"]
    g = j.group_by(keys).aggregate(any_late=j.late.cast("int64").sum() > 0, last_seen=j.visit_date.max())
    return g.mutate(due=_visit_limit(m, g, g.last_seen))


def _visits_in_time(m: Model, periods: ir.Table, recent_only: bool = True) -> ir.Table:
    h = _visit_history(m, periods, recent_only)
    return h.mutate(met=~h.any_late & (h.period_end <= h.due))


def _visits_overdue(m: Model, period_end: dt.date) -> ir.Table:
    h = _visit_history(m, one_period(period_end, period_end))
    missed = cla_visits(m).filter(lambda v: ~v.seen & v.reason.notnull() & (v.visit_date <= ibis.literal(period_end)))
    clock = ibis.coalesce(h.last_seen, h.clock_start)
    k = h.left_join(missed, (h.person_id == missed.v_person_id) & (missed.visit_date >= clock))
    rank = ibis.row_number().over(group_by=k.person_id, order_by=ibis.desc(k.visit_date))
    k = k.mutate(_rank=rank)
    k = k.filter(k._rank == 0)
    k = k.mutate(status=_calendar_status(k.due, period_end, m.settings.cla_approaching_days))
    return k.select(**exception_rows(k.person_id, k.poc_id, k.clock_start, k.last_seen, k.due, k.status, k.reason))


# --- health -----------------------------------------------------------------------------------------


def health_checks(m: Model) -> ir.Table:
    """Completed health checks (a status other than Completed, e.g. Refused, does not count; no status does)."""
    h = m.table("ssd_cla_health")
    done = h.clah_health_check_status.isnull() | (h.clah_health_check_status.strip().upper() == COMPLETED)
    h = h.filter(done & h.clah_health_check_date.notnull())
    return h.select(h_person=h.clah_person_id, check_type=h.clah_health_check_type.upper(), check_date=h.clah_health_check_date)


def _iha_cohort(m: Model, periods: ir.Table) -> ir.Table:
    """Periods of care counted in the period their initial health assessment fell due (the 20th working day), so a
    period starting late in a month counts in the next month rather than in none."""
    p = m.with_wd_due(cla_periods(m), "cla_start", 20, "iha_due")
    # Still looked after on the 20th working day: a period ending on or before it (a short stay) is left out.
    p = p.filter(open_end(p.poc_end) > p.iha_due)
    rows = events_in_period(p, periods, "iha_due")
    iha = health_checks(m).filter(lambda h: h.check_type == "IHA")
    j = rows.left_join(iha, (rows.person_id == iha.h_person) & (iha.check_date >= rows.cla_start))
    keys = ["basis", "period_start", "period_end", "person_id", "poc_id", "cla_start", "iha_due", "ref_date"]
    g = j.group_by(keys).aggregate(first_iha=j.check_date.min())
    g = m.with_wd(g, "cla_start", "first_iha", "wd_to_iha")
    return g.mutate(met=(g.wd_to_iha <= 20).fill_null(False))


def _iha_outstanding(m: Model, period_end: dt.date) -> ir.Table:
    """Children in care now whose period of care started in the last N months with no initial health assessment yet."""
    end = ibis.literal(period_end)
    p = cla_periods(m)
    p = p.filter((p.cla_start <= end) & (open_end(p.poc_end) > end))
    p = p.filter(p.cla_start >= window_start(end, m.settings.iha_exception_months))
    iha = health_checks(m).filter(lambda h: (h.check_type == "IHA") & (h.check_date <= end))
    done = p.join(iha, (p.person_id == iha.h_person) & (iha.check_date >= p.cla_start)).select("poc_id")
    p = p.filter(~p.poc_id.isin(done.poc_id))
    p = with_status(m, m.with_wd_due(p, "cla_start", 20, "due"), "due", period_end, m.settings.iha_approaching_wd)
    reason = ibis.literal("no initial health assessment recorded")
    return p.select(**exception_rows(p.person_id, p.poc_id, p.cla_start, p.cla_start, p.due, p.status, reason))


def _oc2_checks(m: Model, periods: ir.Table, types: tuple[str, ...]) -> ir.Table:
    """OC2 cohort rows joined to their completed checks of the given types in the 12 months to the period end."""
    rows = _with_person(m, continuously_looked_after(m, periods, 12))
    h = health_checks(m).filter(lambda h: h.check_type.isin(types))
    return rows.left_join(
        h,
        (rows.person_id == h.h_person) & (h.check_date >= window_start(rows.period_end, 12)) & (h.check_date <= rows.period_end),
    )


OC2_KEYS = ["basis", "period_start", "period_end", "person_id", "ref_date", "dob"]


def health_assessment(m: Model, periods: ir.Table) -> ir.Table:
    j = _oc2_checks(m, periods, ("IHA", "RHA"))
    order = ibis.window(group_by=[j.period_end, j.person_id], order_by=j.check_date)
    prev = j.check_date.lag().over(order)
    j = j.mutate(six_monthly=(j.check_date <= months_after(prev, 6)).fill_null(False))
    g = j.group_by(OC2_KEYS).aggregate(checks=j.check_date.nunique(), pairs=j.six_monthly.cast("int64").sum())
    under5 = age_at(g.dob, g.period_end) < 5
    return g.mutate(met=ibis.cases((under5, (g.checks >= 2) & (g.pairs > 0)), else_=g.checks >= 1))


def dental_check(m: Model, periods: ir.Table) -> ir.Table:
    j = _oc2_checks(m, periods, ("DENTAL",))
    g = j.group_by(OC2_KEYS).aggregate(checks=j.check_date.count())
    return g.mutate(met=g.checks >= 1)


def _immunisations(m: Model, periods: ir.Table) -> ir.Table:
    rows = continuously_looked_after(m, periods, 12)
    i = m.table("ssd_cla_immunisations")
    i = i.select(_ipid=i.clai_person_id, imm_date=i.clai_immunisations_status_date, up_to_date=i.clai_immunisations_status == "Y")
    j = rows.left_join(i, (rows.person_id == i._ipid) & (i.imm_date <= rows.period_end))
    rank = ibis.row_number().over(group_by=[j.period_end, j.person_id], order_by=[ibis.desc(j.imm_date), j.up_to_date])
    j = j.mutate(_rank=rank)
    j = j.filter(j._rank == 0)
    return j.mutate(met=j.up_to_date.fill_null(False))


# --- education --------------------------------------------------------------------------------------


def school_year_age(dob: ir.DateValue, day: ir.DateValue) -> ir.IntegerValue:
    """Age on 31 August before the school year containing `day`: 4 = reception ... 15 = year 11."""
    school_year = day.year() - ibis.cases((day.month() >= 9, 0), else_=1)
    return school_year - dob.year() - ibis.cases((dob.month() >= 9, 1), else_=0)


def _pep_rows(m: Model, periods: ir.Table) -> ir.Table:
    rows = _with_person(m, _with_periods_of_care(m, m.cla_open_at(periods)))
    age = school_year_age(rows.dob, rows.period_end)
    rows = rows.filter((age >= 4) & (age <= 15))
    rows = m.with_wd(rows, "cla_start", "period_end", "wd_in_care")
    rows = rows.filter(rows.wd_in_care >= m.settings.pep_school_days)
    p = m.table("ext_cla_pep").select(_ppid="pepr_person_id", pep_date="pepr_pep_date")
    j = rows.left_join(p, (rows.person_id == p._ppid) & (p.pep_date <= rows.period_end))
    keys = ["basis", "period_start", "period_end", "person_id", "ref_date", "poc_id", "cla_start"]
    g = j.group_by(keys).aggregate(last_pep=j.pep_date.max())
    return g.mutate(pep_due=months_after(g.last_pep, m.settings.pep_months))


def _pep(m: Model, periods: ir.Table) -> ir.Table:
    g = _pep_rows(m, periods)
    return g.mutate(met=(g.period_end <= g.pep_due).fill_null(False))


def _pep_out_of_date(m: Model, period_end: dt.date) -> ir.Table:
    g = _pep_rows(m, one_period(period_end, period_end))
    g = m.with_wd_due(g, "cla_start", m.settings.pep_school_days, "first_due")
    g = g.mutate(due=ibis.coalesce(g.pep_due, g.first_due))
    g = g.mutate(
        status=_calendar_status(g.due, period_end, m.settings.cla_approaching_days),
        reason=ibis.cases((g.last_pep.isnull(), "no PEP recorded"), else_="PEP out of date"),
    )
    return g.select(**exception_rows(g.person_id, g.poc_id, g.cla_start, g.last_pep, g.due, g.status, g.reason))


# --- missing ----------------------------------------------------------------------------------------


def _looked_after_in_period(m: Model, periods: ir.Table) -> ir.Table:
    """Children looked after at any time in the period (short breaks aside): one row per child, ref_date = the last
    day in the period they were looked after."""
    e = cla_episodes(m)
    j = e.join(periods, (e.ep_start <= periods.period_end) & (open_end(e.ep_end) >= periods.period_start))
    last_day = ibis.least(j.period_end, ibis.coalesce(j.ep_end, j.period_end))
    return j.group_by(["basis", "period_start", "period_end", "person_id"]).aggregate(ref_date=last_day.max())


def missing_while_looked_after(m: Model) -> ir.Table:
    """Missing (M) episodes that started while the child was looked after (short breaks aside)."""
    s = m.table("ssd_missing")
    s = s.filter(s.miss_missing_episode_type.upper() == "M")
    s = s.select(
        miss_id=s.miss_table_id,
        m_person=s.miss_person_id,
        miss_start=s.miss_missing_episode_start_date,
        miss_end=s.miss_missing_episode_end_date,
    )
    e = cla_episodes(m)
    during = s.join(e, (s.m_person == e.person_id) & (e.ep_start <= s.miss_start) & (open_end(e.ep_end) >= s.miss_start), how="semi")
    return during


def _missing_in_period(m: Model, periods: ir.Table) -> ir.Table:
    s = missing_while_looked_after(m)
    j = s.join(periods, (s.miss_start <= periods.period_end) & (open_end(s.miss_end) >= periods.period_start))
    return j.mutate(person_id=j.m_person, ref_date=ibis.greatest(j.miss_start, j.period_start))


def _missing_children(m: Model, periods: ir.Table) -> ir.Table:
    rows = _looked_after_in_period(m, periods)
    went = _missing_in_period(m, periods).select(_b="basis", _pe="period_end", _pid="person_id").distinct()
    j = rows.left_join(went, (rows.basis == went._b) & (rows.period_end == went._pe) & (rows.person_id == went._pid))
    return j.mutate(met=j._pid.notnull()).drop("_b", "_pe", "_pid")


# --- placements and workers -------------------------------------------------------------------------


def in_foster_placements(m: Model, periods: ir.Table) -> ir.Table:
    """Children looked after at the period end in a foster placement (U1-U6), with its `pl_type` and `provider`."""
    rows = m.cla_open_at(periods)
    p = m.placements.select(_pl="placement_id", pl_type="pl_type", provider="provider")
    rows = rows.join(p, rows.placement_id == p._pl).drop("_pl")
    return rows.filter(rows.pl_type.isin(FOSTER_PLACEMENTS))


def foster_in_house(m: Model, periods: ir.Table) -> ir.Table:
    rows = in_foster_placements(m, periods)
    return rows.mutate(met=(rows.provider == "PR1").fill_null(False))


def _social_workers(m: Model, periods: ir.Table) -> ir.Table:
    rows = m.cla_open_at(periods)
    a = m.allocations
    a = a.filter(a.social_worker).select(_apid="alloc_person_id", _worker="worker_id", _astart="alloc_start", _aend="alloc_end")
    # Allocated on at least one day of the 12 months: the end date is the first day no longer allocated, after both
    # the window's first day and the allocation's own start. Two comparisons, not one with greatest(): each compares
    # one side of the join with the other, so engines use a hash join on the child (greatest() of both sides made
    # DuckDB compare every child with every allocation).
    a = a.filter(open_end(a._aend) > a._astart)
    on_a_day = (a._astart <= rows.period_end) & (open_end(a._aend) > window_start(rows.period_end, 12))
    j = rows.left_join(a, (rows.person_id == a._apid) & on_a_day)
    g = j.group_by(["basis", "period_start", "period_end", "person_id", "ref_date"]).aggregate(workers=j._worker.nunique())
    return g.mutate(met=g.workers >= 3)


def _entry(**kw: object) -> Indicator:
    return Indicator(area="E", **kw)  # type: ignore[arg-type]


INDICATORS = [
    _entry(
        id="cla_open",
        name="Children looked after",
        unit="count",
        polarity="neutral",
        snapshot=True,
        target_band=(325.0, 360.0),
        measure=count(_open, distinct_children=True),
        rule="Children with an episode open at the period end (start <= period end, no end or end after it), not under "
        "short breaks (V3/V4); a child with two episodes counts once.",
        source=SRC_CLA,
        notes="An episode ending on the period end is not open then (as 903 DEC).",
    ),
    _entry(
        id="cla_open_rate",
        name="Children looked after per 10,000 children",
        unit="rate_per_10k",
        polarity="neutral",
        snapshot=True,
        measure=rate("cla_open"),
        variant_of="cla_open",
        rule="Children looked after at the period end per 10,000 children aged 0-17.",
        source=SRC_CLA,
    ),
    _entry(
        id="cla_started",
        name="Children starting to be looked after",
        unit="count",
        polarity="neutral",
        measure=count(_started),
        rule="Periods of care (RNE = S; short breaks only excluded) starting in the period; a child who starts twice in "
        "the period is counted once (the first start).",
        source=SRC_CLA,
        notes="One per child per period, as DfE counts starters ('only the first occasion in the year'); a chain of "
        "episodes joined by REC X1 is one period of care. A period that began under short breaks and continued under "
        "another legal status starts on its first episode not under short breaks.",
    ),
    _entry(
        id="cla_ceased",
        name="Children ceasing to be looked after",
        unit="count",
        polarity="neutral",
        measure=count(_ceased),
        breakdowns=(*CHILD_BREAKDOWNS, "reason_group"),
        rule="Periods of care (short breaks only excluded) ending in the period (last episode REC not X1); a child who "
        "ceases twice is counted once, by the last time. reason_group: adopted E11/E12, SGO E43-E48, child "
        "arrangements E41, returned home E4A/E4B/E13, independent living E5/E6, other.",
        source=SRC_CLA,
        notes="One per child per period, by the last time they ceased (DfE), so the reason groups sum to the total.",
    ),
    _entry(
        id="cla_3plus_placements_pct",
        name="Three or more placements in the last 12 months",
        unit="percent",
        polarity="low",
        target=10.0,
        snapshot=True,
        measure=share(_three_plus),
        numerator="Children with 3 or more placements in the 12 months to the period end",
        denominator="Children looked after at the period end (short breaks excluded)",
        rule="Of children looked after at the period end, those with 3 or more placements overlapping the 12 months to "
        "the period end (including one open at its start). A new placement starts with RNE S, P, B, T or U; a change "
        "of legal status only (L) is not one; temporary placements (T0-T4) and placements under 24 hours are not "
        "counted; a move to A3/A5 (adoption by the current foster carer) from foster care is not a change.",
        source=SRC_STABILITY,
        notes="Placements come from episodes (ssd_cla_episodes RNE) with the type of their ssd_cla_placement row. "
        "'Under 24 hours' = ended on the day it started. A placement open at the window start means one ending on or "
        "after its first day. A return after a temporary or under-24-hour placement to a placement of the same type, "
        "provider and URN/postcode continues the earlier placement. Placements in an earlier period of care that "
        "overlap the 12 months count.",
    ),
    _entry(
        id="cla_long_term_stability_pct",
        name="Long-term placement stability",
        unit="percent",
        polarity="high",
        target=70.0,
        snapshot=True,
        measure=share(long_term_stability),
        numerator="Children in the same placement (same carer) for at least 2 years, or placed for adoption where the "
        "adoptive placement and the one before it together last 2 years",
        denominator="Children looked after at the period end, under 16, looked after continuously for at least 2.5 years",
        rule="Of children looked after at the period end, aged under 16, whose period of care started at least 2.5 years "
        "before: those with the same carer for at least 2 years (RNE T/U and L do not change the carer), or placed for "
        "adoption (A3-A6) where the adoptive placement and the one before it together last 2 years.",
        source=SRC_STABILITY,
        notes="'For N months' = on every day of the N months to the period end (start <= period end - N months + 1 "
        "day), as the OC2 year counts 1 April. Temporary placements (T0-T4) or ones under 24 hours followed by a return "
        "to the same placement do not break the 2 years.",
    ),
    _entry(
        id="cla_reviews_in_timescale_pct",
        name="Reviews of children looked after in timescale",
        unit="percent",
        polarity="high",
        target=100.0,
        snapshot=True,
        measure=share(_reviews_in_time),
        exceptions=_reviews_due,
        numerator="Children whose reviews due in the last 12 months of the current period of care were in time and whose "
        "current interval has not passed its limit",
        denominator="Children looked after at the period end whose first review was due by then",
        rule="Of children looked after at the period end whose first review (20th working day of the period of care) was "
        "due by then: those whose first review was within 20 working days of the start, the second within 3 months of "
        "the first, each later one within 6 months of the previous, and whose current interval has not passed its limit. "
        "A review counts as late only if the deadline it missed fell in the 12 months to the period end. "
        "Exceptions: each child's next review, overdue or approaching (first reviews within 10 working days, later ones "
        "within cla_approaching_days).",
        source=SRC_REVIEWS,
        notes="Reviews are matched by clar_cla_id, or by clar_ext_person_id within the period of care when no period id "
        "is recorded; cancelled reviews and those without a date do not count; two on one day count once. The schedule "
        "restarts with each period of care. Calendar months clamp to the month end (30 Nov + 3 months = 29 Feb 2024). "
        "The 12-month look-back (as the former NI 66 'reviews held on time during the year') is the setting "
        "timeliness_lookback_months, shared with CP reviews and CLA visits (model.late_in_lookback); without it one late "
        "review years ago would fail a child for the rest of their care.",
    ),
    _entry(
        id="cla_visits_in_timescale_pct",
        name="Visits to children looked after in timescale",
        unit="percent",
        polarity="high",
        target=98.0,
        snapshot=True,
        measure=share(_visits_in_time),
        exceptions=_visits_overdue,
        numerator="Children seen within 1 week of the current placement starting (or of a care order made while at "
        "home) and then within each regulation 28 interval that applies to them, with the current interval not passed",
        denominator="Children looked after at the period end",
        rule="Of children looked after at the period end, those whose visits in the current placement meet regulation 28. "
        "28(2): seen within 1 week of its start, then at most 6 weeks apart in its first year, then at most 3 months apart "
        "where it is long-term foster care (U1/U4), otherwise 6 weeks. The tighter schedules of 28(3)-(5), chosen from "
        "the current placement type and legal status (the first that applies): " + _schedules_text() + ". The current "
        "interval must not have passed. Exceptions: last visit, due date (by the same schedules), days overdue and the "
        "latest recorded reason a visit did not happen.",
        source=SRC_VISITS,
        notes="The placement is the current carer's (RNE S/P/B start one; T/U and L do not), so a child whose foster "
        "placement becomes long-term keeps the same clock; a care order (C2) made while the child is placed with parents "
        "starts it again (28(5)(a)). 'Weekly' = within 7 days of the last visit; that deadline applies while it falls on "
        "or before the first review of the period of care (reviews held by the period end), after which the longer "
        "interval runs from the last visit. Assumptions, as the data do not say: a placement with parents (P1) before the "
        "first review is a reg 19 placement (assessment of the parents not complete); a U3 placement (relative or friend, "
        "not long-term: long-term fostering, U1, needs an approved carer; U2 is fostering for adoption, reg 25A) is a reg "
        "24 temporary approval for its first cla_visit_temporary_approval_weeks (24: 16 weeks and the one 8-week extension "
        "of reg 25). The longer interval allowed for a long-term foster placement after its first year where the child "
        "agrees (6 months) is not applied: agreement is not recorded. Settings: cla_visit_first_days 7, "
        "cla_visit_interval_days 42, cla_visit_long_term_months 3 (the 3-month interval applies to the next visit after "
        "one made once the placement is a year old). Only visits where the child was seen count. As for reviews, a late "
        "visit counts only if the deadline it missed fell in the last timeliness_lookback_months (12).",
    ),
    _entry(
        id="cla_iha_20wd_pct",
        name="Initial health assessments within 20 working days",
        unit="percent",
        polarity="high",
        target=90.0,
        measure=share(_iha_cohort),
        exceptions=_iha_outstanding,
        additive=True,
        numerator="Periods of care with an initial health assessment on or before their 20th working day",
        denominator="Periods of care whose 20th working day (the IHA due date) fell in the period and that were still open after it",
        rule="Cohort: periods of care (RNE = S, not short breaks) whose initial health assessment fell due in the period "
        "(the 20th working day after the start, bank holidays skipped), excluding periods that ended on or before that "
        "day (looked after for under 20 working days, or ending on the 20th). Numerator: an initial health assessment "
        "(IHA, completed) dated from the start to the 20th working day.",
        source=SRC_HEALTH,
        notes="Each IHA is attributed to the period in which it fell due, so every eligible period of care counts in "
        "exactly one month: a period starting late in a month counts in the next one (starting Fri 1 Dec 2023, due Wed "
        "3 Jan 2024 after the Christmas and New Year bank holidays: January). Team/worker: the allocation on the due "
        "date. A period ending on its 20th working day was not looked after through it and is left out, as a stay of "
        "under 20 working days is (DfE/reg 7 eligibility: still looked after 20 working days after starting). An IHA "
        "before the start (reg 7's 'previous 3 months') is not counted. Exceptions: children in care now whose period "
        "started in the last iha_exception_months (12) with no IHA yet, due on the 20th working day.",
    ),
    _entry(
        id="cla_health_assessment_pct",
        name="Annual health assessments (looked after 12 months)",
        unit="percent",
        polarity="high",
        target=93.0,
        snapshot=True,
        measure=share(health_assessment),
        numerator="Children with a health assessment in the 12 months to the period end (under 5s: two, at most 6 months apart)",
        denominator="Children looked after at the period end continuously for at least 12 months (OC2 cohort)",
        rule="Cohort (OC2): children looked after at the period end continuously for at least 12 months. Numerator: a "
        "completed health assessment (IHA or RHA) in the 12 months to the period end; children under 5 at the period end "
        "need two, the second at most 6 months after the first.",
        source=SRC_HEALTH,
        notes="Continuous = the current period of care started on or before the first day of the 12 months, with no "
        "short-break episode in them (DfE). Refused or not-completed checks do not count. OC2 records loaded from the "
        "903 give one assessment dated 31 March, so under 5s from 903 data alone do not meet the two-assessment rule.",
    ),
    _entry(
        id="cla_dental_check_pct",
        name="Dental checks (looked after 12 months)",
        unit="percent",
        polarity="high",
        target=90.0,
        snapshot=True,
        measure=share(dental_check),
        numerator="Children with a completed dental check in the 12 months to the period end",
        denominator="Children looked after at the period end continuously for at least 12 months (OC2 cohort)",
        rule="OC2 cohort; a completed dental check in the 12 months to the period end.",
        source=SRC_HEALTH,
    ),
    _entry(
        id="cla_immunisations_pct",
        name="Immunisations up to date (looked after 12 months)",
        unit="percent",
        polarity="high",
        target=90.0,
        snapshot=True,
        measure=share(_immunisations),
        numerator="Children whose latest immunisation status on or before the period end is up to date (Y)",
        denominator="Children looked after at the period end continuously for at least 12 months (OC2 cohort)",
        rule="OC2 cohort; immunisations recorded as up to date at the period end (the latest status recorded on or before it).",
        source=SRC_HEALTH,
        notes="No status recorded counts as not up to date.",
    ),
    _entry(
        id="cla_pep_pct",
        name="Personal education plans in place",
        unit="percent",
        polarity="high",
        target=100.0,
        snapshot=True,
        measure=share(_pep),
        exceptions=_pep_out_of_date,
        numerator="Children with a PEP dated (or reviewed) within the last 6 months",
        denominator="Children looked after at the period end in reception to year 11, looked after at least 20 school days",
        rule="Of children looked after at the period end in reception to year 11 on it (by 31 August birthdays) and looked "
        "after for at least 20 school days, those with a PEP dated within the last 6 months (on or after the period end "
        "minus pep_months, i.e. period end <= PEP date + 6 months). Exceptions: PEPs out of date or never recorded.",
        source=SRC_PEP,
        notes="School days are approximated by working days (term dates are not held): looked after at least "
        "pep_school_days (20) working days in the current period of care. 'Within 6 months' = period end on or before "
        "the PEP date + 6 calendar months (clamped). A child with no PEP is due one on the 20th working day in care.",
    ),
    _entry(
        id="cla_missing_pct",
        name="Children looked after who went missing",
        unit="percent",
        polarity="low",
        measure=share(_missing_children),
        numerator="Children with a missing (M) episode starting in the period or open at its start",
        denominator="Children looked after at any time in the period",
        rule="Of children looked after at any time in the period (short breaks excluded), those with at least one missing "
        "(M) episode starting in the period, or open at its start, that began while they were looked after.",
        source=SRC_MISSING,
        notes="Away without authorisation (A) is not counted. Team/worker: at the last day in the period the child was looked after.",
    ),
    _entry(
        id="cla_missing_children",
        name="Children looked after who went missing (number)",
        unit="count",
        polarity="low",
        measure=count(_missing_children, where_met=True),
        variant_of="cla_missing_pct",
        rule="Children looked after with at least one missing (M) episode in the period (starting in it or open at its start).",
        source=SRC_MISSING,
    ),
    _entry(
        id="cla_missing_episodes",
        name="Missing episodes of children looked after",
        unit="count",
        polarity="low",
        measure=count(_missing_in_period),
        variant_of="cla_missing_pct",
        rule="Missing (M) episodes that began while the child was looked after (short breaks aside), starting in the "
        "period or open at its start.",
        source=SRC_MISSING,
    ),
    _entry(
        id="cla_foster_in_house_pct",
        name="Foster placements with in-house carers",
        unit="percent",
        polarity="high",
        snapshot=True,
        measure=share(foster_in_house),
        numerator="Children in foster placements provided by the authority (PR1)",
        denominator="Children looked after at the period end in foster placements (U1-U6)",
        rule="Of children in foster placements (U1-U6) at the period end, those with provider PR1 (own authority).",
        source=SRC_CLA,
    ),
    _entry(
        id="cla_social_workers_3plus_pct",
        name="Three or more social workers in 12 months",
        unit="percent",
        polarity="low",
        snapshot=True,
        measure=share(_social_workers),
        numerator="Children with 3 or more different allocated social workers in the 12 months to the period end",
        denominator="Children looked after at the period end",
        rule="Of children looked after at the period end, those who had 3 or more different allocated social workers in "
        "the 12 months to the period end.",
        source=f"{SRC_STABILITY} (other stability measures: social worker instability, from the SSDA903 SW episodes)",
        notes="Allocations from ssd_involvements to a social worker: the worker's ssd_professionals record is flagged "
        "qualified (prof_ext_qualified_flag = Y), or, where it has no flag (SSDA903 SW_EPISODES load no worker records), "
        "the involvement role names a social worker ('Allocated Social Worker'); other workers (family support, "
        "personal advisers, and Annex A or API workers with no flag) do not count. An allocation counts if the child was "
        "allocated on a day of the 12 months, whether or not looked after then: it starts on or before the period end "
        "and its end date, the first day no longer allocated (as for caseloads and breakdowns), is after the window's "
        "first day and after its own start. The same worker allocated twice counts once.",
    ),
]
