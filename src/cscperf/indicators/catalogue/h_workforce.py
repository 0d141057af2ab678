"""H. Workforce and allocation.

For workforce indicators the counted "children" are workers (or establishment posts): cohorts set person_id to the
worker id and carry team_id, worker_id and la_code themselves, so no child allocation lookup is made.
"""

from __future__ import annotations

import datetime as dt

import ibis
import ibis.expr.types as ir

from cscperf.indicators.catalogue.a_front_door import cin_episodes
from cscperf.indicators.exceptions import exception_rows
from cscperf.indicators.model import Model, one_period, open_at_period_end, open_end, qualified_flag, shared_at_period_ends
from cscperf.indicators.registry import Indicator, count, maximum, mean, ratio, share

SOURCE = "indicators.md H; DfE children's social work workforce statistics"
WORKER_BREAKDOWNS = ("la", "team")
CHILD_ONLY = ("la", "age_band", "sex", "ethnicity_group", "disability")
OPEN_CASES = (
    "Open cases are children with an open CIN episode at the period end; a referral that ended in no further action "
    "(cine_referral_nfa = Y) is not a case even while it has no closure date (statutory-definitions.md §2.1, LAIT 290)."
)


def _sole_la(m: Model) -> ir.Table:
    """One row: how many authorities the warehouse holds and the (lowest) code, for workers with no department LA."""
    a = m.table("ext_authority").select(la=lambda t: t.auth_la_code)
    p = m.table("ssd_person")
    p = p.filter(p.pers_ext_la_code.notnull()).select(la=p.pers_ext_la_code)
    codes = ibis.union(a, p, distinct=True)
    return codes.aggregate(_n_la=codes.count(), _la=codes.la.min())


def workers(m: Model) -> ir.Table:
    """Workers with team, qualified/agency flags, dates, FTE and LA (the team's department LA, else the only
    authority in the warehouse)."""
    p = m.table("ssd_professionals")
    dept = m.table("ssd_department").select(_dept="dept_team_id", _dept_la="dept_ext_la_code")
    w = p.left_join(dept, p.prof_ext_team_id == dept._dept).cross_join(_sole_la(m))
    return w.select(
        w_id=w.prof_professional_id,
        w_team=w.prof_ext_team_id,
        qualified=qualified_flag(w.prof_ext_qualified_flag).fill_null(False),
        agency=(w.prof_agency_worker_flag.upper() == "Y").fill_null(False),
        w_start=w.prof_ext_start_date,
        w_end=w.prof_ext_end_date,
        fte=ibis.coalesce(w.prof_full_time_equivalency, 1.0),
        la_code=ibis.coalesce(w._dept_la, ibis.cases((w._n_la == 1, w._la), else_=ibis.null("string"))),
    ).view()


def _in_post(w: ir.Table, day: ir.DateValue) -> ir.BooleanValue:
    return (ibis.coalesce(w.w_start, ibis.date(1900, 1, 1)) <= day) & (open_end(w.w_end) > day)


def _worker_rows(t: ir.Table, **extra: ir.Value) -> ir.Table:
    return t.select(
        "basis",
        "period_start",
        "period_end",
        person_id=t.w_id,
        ref_date=t.period_end,
        team_id=t.w_team,
        worker_id=t.w_id,
        la_code=t.la_code,
        **extra,
    )


@shared_at_period_ends
def open_children(m: Model, periods: ir.Table) -> ir.Table:
    """Children open to children's social care at each period end (an open CIN episode, not an NFA referral), one
    row each, with the earliest open referral."""
    rows = open_at_period_end(cin_episodes(m), periods, "referral_date", "close_date")
    rank = ibis.row_number().over(group_by=[rows.basis, rows.period_end, rows.person_id], order_by=[rows.referral_date, rows.referral_id])
    rows = rows.mutate(_rank=rank)
    return rows.filter(rows._rank == 0).select(
        "basis", "period_start", "period_end", "person_id", "referral_id", "referral_date", "ref_date"
    )


def _live_allocations(m: Model, children: ir.Table) -> ir.Table:
    """Each child's allocations current at the period end to a worker not known to have left by then."""
    a = m.allocations.view()
    w = workers(m)
    a = a.left_join(w, a.worker_id == w.w_id)
    j = children.join(
        a,
        (a.alloc_person_id == children.person_id)
        & (a.alloc_start <= children.period_end)
        & (open_end(a.alloc_end) > children.period_end)
        & (open_end(a.w_end) > children.period_end),
    )
    return j.view()


@shared_at_period_ends
def _caseloads(m: Model, periods: ir.Table) -> ir.Table:
    """One row per qualified social worker in post holding at least one case at the period end; value = children.
    A child allocated to several qualified workers counts once, for the latest-allocated."""
    j = _live_allocations(m, open_children(m, periods))
    j = j.filter(j.qualified & _in_post(j, j.period_end))
    rank = ibis.row_number().over(group_by=[j.period_end, j.person_id], order_by=[ibis.desc(j.alloc_start), ibis.desc(j.worker_id)])
    j = j.mutate(_rank=rank)
    j = j.filter(j._rank == 0)
    per = j.group_by(["basis", "period_start", "period_end", "w_id"]).aggregate(
        value=j.person_id.count(),
        w_team=ibis.coalesce(j.w_team.max(), j.team_id.max()),
        la_code=j.la_code.max(),
    )
    return _worker_rows(per, value=per.value)


def _unallocated(m: Model, periods: ir.Table) -> ir.Table:
    children = open_children(m, periods)
    live = _live_allocations(m, children).select(_pe="period_end", _pid="person_id").distinct()
    return children.join(live, (children.period_end == live._pe) & (children.person_id == live._pid), how="anti")


def _unallocated_list(m: Model, period_end: dt.date) -> ir.Table:
    periods = one_period(period_end, period_end)
    r = _unallocated(m, periods)
    a = m.allocations
    ended = r.left_join(a, (a.alloc_person_id == r.person_id) & (a.alloc_start >= r.referral_date) & (a.alloc_start <= r.period_end))
    last = ended.group_by(["person_id", "referral_id", "referral_date"]).aggregate(last_alloc=ended.alloc_start.max())
    reason = ibis.cases(
        (last.last_alloc.isnull(), "not allocated since the referral"),
        else_="allocation ended or worker left",
    )
    return last.select(
        **exception_rows(
            last.person_id, last.referral_id, last.referral_date, last.last_alloc, last.referral_date, ibis.literal("overdue"), reason
        )
    )


def _qualified_in_post(m: Model, periods: ir.Table) -> ir.Table:
    w = workers(m)
    j = w.join(periods, w.qualified & _in_post(w, periods.period_end))
    return _worker_rows(j, met=j.agency, fte=j.fte)


def _turnover(m: Model, periods: ir.Table) -> ir.Table:
    """Permanent qualified social workers in post at any time in the window. num = 1 for a leaver in the window;
    den = the share of the window the worker was in post, so the denominator sums to the average headcount."""
    w = workers(m)
    w = w.filter(w.qualified & ~w.agency)
    j = w.join(
        periods,
        (ibis.coalesce(w.w_start, ibis.date(1900, 1, 1)) <= periods.period_end) & (open_end(w.w_end) >= periods.period_start),
    )
    # Days in post within the window; an end date is the first day no longer in post (as _in_post).
    first = ibis.greatest(ibis.coalesce(j.w_start, j.period_start), j.period_start)
    stays = j.w_end.isnull() | (j.w_end > j.period_end)
    in_post_days = ibis.cases((stays, j.period_end.delta(first, unit="day") + 1), else_=j.w_end.delta(first, unit="day"))
    window_days = j.period_end.delta(j.period_start, unit="day") + 1
    left = j.w_end.notnull() & (j.w_end <= j.period_end)
    share_of_window = ibis.greatest(in_post_days, 0).cast("float64") / window_days
    return _worker_rows(j, num=ibis.cases((left, 1.0), else_=0.0), den=share_of_window)


def _vacancy(m: Model, periods: ir.Table) -> ir.Table:
    """One row per team with an establishment current at the period end: den = establishment FTE, num = the part of
    it not filled by permanent qualified social workers in post (never below 0 for an over-established team)."""
    e = m.table("ext_establishment")
    j = e.join(periods, (e.estb_start_date <= periods.period_end) & (open_end(e.estb_end_date) >= periods.period_end))
    rank = ibis.row_number().over(
        group_by=[j.period_end, j.estb_team_id], order_by=[ibis.desc(j.estb_start_date), ibis.desc(j.estb_table_id)]
    )
    j = j.mutate(_rank=rank)
    est = j.filter(j._rank == 0).select("basis", "period_start", "period_end", team=j.estb_team_id, posts=j.estb_social_worker_fte).view()
    staff = _qualified_in_post(m, periods)
    perm = staff.filter(~staff.met).group_by(_pe="period_end", _team="team_id").aggregate(perm_fte=staff.fte.sum())
    est = est.left_join(perm, (est.period_end == perm._pe) & (est.team == perm._team))
    la = workers(m).select(_t="w_team", _la="la_code").distinct()
    la = la.group_by("_t").aggregate(la_code=la._la.max())
    est = est.left_join(la, est.team == la._t).cross_join(_sole_la(m))
    la_code = ibis.coalesce(est.la_code, ibis.cases((est._n_la == 1, est._la), else_=ibis.null("string")))
    vacant = ibis.greatest(est.posts - ibis.coalesce(est.perm_fte, 0.0), 0.0)
    return est.select(
        "basis",
        "period_start",
        "period_end",
        person_id=est.team,
        ref_date=est.period_end,
        team_id=est.team,
        worker_id=ibis.null("string"),
        la_code=la_code,
        num=vacant.cast("float64"),
        den=est.posts.cast("float64"),
    ).view()


INDICATORS = [
    Indicator(
        id="caseload_avg",
        name="Average caseload per social worker",
        area="H",
        unit="average",
        polarity="low",
        target=20.0,
        snapshot=True,
        measure=mean(_caseloads),
        breakdowns=WORKER_BREAKDOWNS,
        numerator="Children open to children's social care at the period end allocated to a qualified social worker",
        denominator="Qualified social workers in post holding at least one case",
        rule="Children open to children's social care (an open CIN episode, not an NFA referral) at the period end with "
        "an allocated qualified social worker, divided by the number of such workers holding at least one case.",
        source=SOURCE,
        notes=f"{OPEN_CASES} A worker counts under their own team (prof_ext_team_id, else the allocation's team) with all the "
        "children allocated to them, so a worker holding cases for two teams is one worker with one caseload. "
        "Allocations to a worker who left on or before the period end do not count. A child with two qualified "
        "workers counts once, for the latest allocated.",
    ),
    Indicator(
        id="caseload_max",
        name="Highest caseload of a social worker",
        area="H",
        unit="count",
        polarity="low",
        snapshot=True,
        measure=maximum(_caseloads),
        breakdowns=WORKER_BREAKDOWNS,
        variant_of="caseload_avg",
        rule="The largest number of children allocated to one qualified social worker at the period end, per team; "
        "the authority figure is the largest over all workers.",
        source=SOURCE,
        notes="Same cohort as caseload_avg.",
    ),
    Indicator(
        id="unallocated_cases",
        name="Unallocated cases",
        area="H",
        unit="count",
        polarity="low",
        target=20.0,
        snapshot=True,
        measure=count(_unallocated, distinct_children=True),
        exceptions=_unallocated_list,
        breakdowns=CHILD_ONLY,
        rule="Children open to children's social care (an open CIN episode, not an NFA referral) at the period end with "
        "no allocated worker.",
        source=SOURCE,
        notes=f"{OPEN_CASES} An allocation current at the period end to a worker whose end date is on or before it does not count "
        "(the child is unallocated); any worker counts, qualified or not. Exceptions list every unallocated child as "
        "overdue from the earliest open referral, so days overdue are the days since referral.",
    ),
    Indicator(
        id="sw_agency_pct",
        name="Agency social workers",
        area="H",
        unit="percent",
        polarity="low",
        target=15.0,
        snapshot=True,
        measure=share(_qualified_in_post),
        breakdowns=WORKER_BREAKDOWNS,
        numerator="Qualified social workers in post employed through an agency",
        denominator="Qualified social workers in post at the period end",
        rule="Of qualified social workers in post at the period end (headcount), those employed through an agency.",
        source=SOURCE,
        notes="In post: started on or before the period end and no end date, or one after it.",
    ),
    Indicator(
        id="sw_turnover_pct",
        name="Social worker turnover",
        area="H",
        unit="percent",
        polarity="low",
        target=15.0,
        measure=ratio(_turnover),
        bases=("rolling12",),
        rag_basis="rolling12",
        breakdowns=("la",),
        numerator="Permanent qualified social workers leaving in the 12 months",
        denominator="Average headcount of permanent qualified social workers over the 12 months",
        rule="Permanent qualified social workers leaving in the 12 months / average headcount over the 12 months.",
        source=SOURCE,
        notes="Average headcount is time-weighted: each worker counts for the share of the 12 months they were in "
        "post (days in post / days in the window). A leaver's end date falls in the window; agency workers are excluded. "
        "Authority level only, as the DfE workforce statistics: in a team of a few workers one leaver is over 100 % "
        "of the average headcount, which is no percentage.",
    ),
    Indicator(
        id="sw_vacancy_pct",
        name="Social worker vacancy rate",
        area="H",
        unit="percent",
        polarity="low",
        target=10.0,
        snapshot=True,
        measure=ratio(_vacancy),
        breakdowns=WORKER_BREAKDOWNS,
        numerator="Establishment FTE not filled by permanent qualified social workers in post",
        denominator="Establishment FTE (qualified social worker posts)",
        rule="(Establishment FTE - permanent FTE in post) / establishment FTE, from the establishment table where loaded.",
        source=SOURCE,
        notes="Per team with an establishment row current at the period end (the latest-starting if several), in FTE. "
        "A team staffed above its establishment has 0 vacant FTE, not a negative number, so it does not hide "
        "vacancies elsewhere. A worker with no FTE recorded counts as 1.0.",
    ),
]
