"""P. The permanency service: fostering, adoption, special guardianship (spec/permanency.md, issue #14).

The authority's own specification: a scorecard of 20 measures (S1-S20) and a detailed report of 88 (D-*), with the
decisions taken where it is ambiguous (C-1 to C-11). Where the spec says two wordings are one measure (S13 = D-P1,
S17 = D-S1 extended to child arrangements orders, ...) there is one entry; each entry's notes name its spec ids.
Targets are left unset: the governance board sets them in the targets file.

For measures of households, places, adopters and staff the counted units are not children: cohorts set person_id to
the unit's id and carry la_code themselves (the household's service, else the only authority in the warehouse), and
are broken down by authority only.
"""

from __future__ import annotations

import datetime as dt

import ibis
import ibis.expr.types as ir

from cscperf.indicators.catalogue.e_looked_after import (
    _iha_cohort,
    _iha_outstanding,
    _looked_after_in_period,
    _numbered_reviews,
    _visits_in_time,
    _visits_overdue,
    dental_check,
    foster_in_house,
    health_assessment,
    health_checks,
    in_foster_placements,
    long_term_stability,
    school_year_age,
    three_plus_placements,
)
from cscperf.indicators.catalogue.f_adoption import adoptions_in_period, ceased_periods, placement_order_not_placed, placement_order_spells
from cscperf.indicators.catalogue.g_care_leavers import (
    EET,
    _birthday,
    _eet,
    _in_touch,
    _suitable,
    eligible,
    pathway_plan_reviews,
    with_latest_review,
)
from cscperf.indicators.catalogue.h_workforce import _live_allocations, _sole_la
from cscperf.indicators.exceptions import exception_rows
from cscperf.indicators.model import (
    ADOPTION_PLACEMENTS,
    FOSTER_PLACEMENTS,
    Model,
    age_at,
    as_date,
    children_ceasing,
    cla_periods,
    events_in_period,
    months_after,
    months_before,
    not_short_break,
    one_period,
    open_at_period_end,
    open_end,
    window_start,
)
from cscperf.indicators.registry import Indicator, count, mean, ratio, share, total

SOURCE = "spec/permanency.md (the authority's permanency service specification)"
UNIT_BREAKDOWNS = ("la",)
IN_HOUSE, AGENCY = ("PR1",), ("PR4", "PR5")
SERVICE = "PERMANENCY"
SGO_WEEKS = 16  # T3: SGO/CAO assessments due at the court's date or 16 weeks after they start, whichever is sooner
WAIT_MONTHS = 18  # C-3: entering care to placed for adoption
APPROACHING_DAYS = 14


def _unit_rows(t: ir.Table, id_col: str, **extra: ir.Value) -> ir.Table:
    """A cohort of non-child units (households, places, adopters, staff): their id as person_id, their own la_code."""
    unit_id = t[id_col].cast("string")
    return t.select("basis", "period_start", "period_end", person_id=unit_id, ref_date=t.ref_date, la_code=t.la_code, **extra)


def _with_la(m: Model, t: ir.Table, la: ir.Value | None = None) -> ir.Table:
    """Add la_code: `la` where given, else the only authority in the warehouse."""
    t = t.cross_join(_sole_la(m))
    only = ibis.cases((t._n_la == 1, t._la), else_=ibis.null("string"))
    return t.mutate(la_code=ibis.coalesce(la, only) if la is not None else only).drop("_n_la", "_la")


# --- fostering households and places ------------------------------------------------------------


def households(m: Model) -> ir.Table:
    h = m.table("ext_fostering_household")
    h = h.select(
        hh_id=h.fohh_household_id,
        hh_la=h.fohh_la_code,
        hh_type=h.fohh_household_type,
        hh_ethnicity=h.fohh_ethnicity,
        approved=h.fohh_approval_date,
        deregistered=h.fohh_deregistration_date,
    )
    h = _with_la(m, h, h.hh_la)
    return h.view()


def _households_open(m: Model, periods: ir.Table) -> ir.Table:
    return _unit_rows(open_at_period_end(households(m), periods, "approved", "deregistered"), "hh_id")


def _approval_types_open(m: Model, periods: ir.Table) -> ir.Table:
    """One row per household and approval type held at the period end (D-F12's breakdown)."""
    a = m.table("ext_fostering_approval")
    h = households(m).select("hh_id", "la_code")
    a = a.join(h, a.foap_household_id == h.hh_id)
    rows = open_at_period_end(a, periods, "foap_approval_start_date", "foap_approval_end_date")
    return _unit_rows(rows, "hh_id", approval_type=rows.foap_approval_type)


def places(m: Model) -> ir.Table:
    p = m.table("ext_fostering_places")
    h = households(m).select("hh_id", "la_code")
    p = p.join(h, p.fopl_household_id == h.hh_id)
    return p.select("hh_id", "la_code", n_places=p.fopl_places, p_start=p.fopl_places_start_date, p_end=p.fopl_places_end_date).view()


def _places_open(m: Model, periods: ir.Table) -> ir.Table:
    rows = open_at_period_end(places(m), periods, "p_start", "p_end")
    return _unit_rows(rows, "hh_id", value=rows.n_places)


def _places_approved(m: Model, periods: ir.Table) -> ir.Table:
    rows = events_in_period(places(m), periods, "p_start")
    return _unit_rows(rows, "hh_id", value=rows.n_places)


def _places_terminated(m: Model, periods: ir.Table) -> ir.Table:
    p = places(m)
    rows = events_in_period(p.filter(p.p_end.notnull()), periods, "p_end")
    return _unit_rows(rows, "hh_id", value=rows.n_places)


def _places_net(m: Model, periods: ir.Table) -> ir.Table:
    ended = _places_terminated(m, periods)
    return ibis.union(_places_approved(m, periods), ended.mutate(value=-ended.value))


def household_placements(m: Model) -> ir.Table:
    """In-house foster placements with their household (ext_cla_placement_carer)."""
    c = m.table("ext_cla_placement_carer")
    p = m.placements
    j = p.join(c, p.placement_id == c.plca_placement_id)
    return j.select("person_id", "placement_id", "pl_start", "pl_end", "pl_type", "provider", hh_id=j.plca_household_id).view()


def _vacant_places(m: Model, periods: ir.Table) -> ir.Table:
    """Per household approved at the period end: its places (den) and those without a child placed (num)."""
    beds = open_at_period_end(places(m), periods, "p_start", "p_end")
    beds = beds.group_by(["basis", "period_start", "period_end", "ref_date", "hh_id", "la_code"]).aggregate(beds=beds.n_places.sum())
    kids = open_at_period_end(household_placements(m), periods, "pl_start", "pl_end")
    kids = kids.group_by([kids.period_end.name("_pe"), kids.hh_id.name("_hh")]).aggregate(kids=kids.person_id.nunique())
    j = beds.left_join(kids, (beds.period_end == kids._pe) & (beds.hh_id == kids._hh))
    occupied = ibis.least(j.kids.fill_null(0), j.beds)
    return _unit_rows(j, "hh_id", num=(j.beds - occupied).cast("float64"), den=j.beds.cast("float64"))


# --- children in foster placements -----------------------------------------------------------------


def _foster_agency(m: Model, periods: ir.Table) -> ir.Table:
    rows = in_foster_placements(m, periods)
    return rows.mutate(met=rows.provider.isin(AGENCY).fill_null(False))


def _foster_unclassified(m: Model, periods: ir.Table) -> ir.Table:
    rows = in_foster_placements(m, periods)
    return rows.filter(~rows.provider.isin(IN_HOUSE + AGENCY).fill_null(False))


def _foster_long_term_stability(m: Model, periods: ir.Table) -> ir.Table:
    rows = long_term_stability(m, periods)
    return rows.filter(rows.spell_type.isin(FOSTER_PLACEMENTS).fill_null(False))


def _three_plus_foster(m: Model, periods: ir.Table) -> ir.Table:
    return three_plus_placements(m, periods, FOSTER_PLACEMENTS)


# --- adoption -------------------------------------------------------------------------------------


def adopters(m: Model) -> ir.Table:
    a = m.table("ext_adopter")
    a = a.select(
        ad_id=a.adop_adopter_id,
        own=(a.adop_agency.upper() == "OWN").fill_null(False),
        approved=a.adop_approval_date,
        ended=a.adop_end_date,
        ad_ethnicity=a.adop_ethnicity,
        registered=a.adop_registration_date,
    )
    return _with_la(m, a).view()


def adoption_matches(m: Model) -> ir.Table:
    x = m.table("ext_adoption_match")
    return x.select(
        mt_adopter=x.adma_adopter_id,
        mt_person=x.adma_person_id,
        mt_child_la=x.adma_child_la_code,
        mt_matched=x.adma_matched_date,
        mt_placed=x.adma_placed_date,
        mt_order=x.adma_adoption_order_date,
        mt_disrupted=x.adma_disruption_date,
    ).view()


def _adopters_waiting(m: Model, periods: ir.Table) -> ir.Table:
    """The service's own adopters approved and not ended at the period end with no match made by then that has not
    disrupted."""
    a = adopters(m)
    rows = open_at_period_end(a.filter(a.own & a.approved.notnull()), periods, "approved", "ended")
    x = adoption_matches(m)
    live = (x.mt_adopter == rows.ad_id) & (x.mt_matched <= rows.period_end) & (open_end(x.mt_disrupted) > rows.period_end)
    return _unit_rows(rows.join(x, live, how="anti"), "ad_id")


def _placed_for_adoption(m: Model) -> ir.Table:
    """Each period of care's first adoptive placement (A3-A6) with the start of that period of care."""
    pl = m.placements.filter(m.placements.pl_type.isin(ADOPTION_PLACEMENTS))
    first = pl.group_by(["person_id", "poc_id"]).aggregate(placed=pl.pl_start.min())
    pocs = m.periods_of_care.select(_poc="poc_id", entered="poc_start")
    return first.join(pocs, first.poc_id == pocs._poc).drop("_poc").rename(_pl_pid="person_id", _pl_poc="poc_id").view()


def _wait_over_18_months(m: Model, periods: ir.Table) -> ir.Table:
    """C-3: children with a placement order in force at any time in the window; met if placed for adoption in the
    window more than 18 calendar months after the start of that period of care."""
    po = placement_order_spells(m)
    j = po.join(periods, (po._s <= periods.period_end) & (open_end(po._e) >= periods.period_start))
    kids = j.select("basis", "period_start", "period_end", person_id=j._pid).distinct()
    placed = _placed_for_adoption(m)
    late = placed.mutate(late=placed.placed > months_after(placed.entered, WAIT_MONTHS))
    k = kids.left_join(late, (late._pl_pid == kids.person_id) & (late.placed >= kids.period_start) & (late.placed <= kids.period_end))
    g = k.group_by(["basis", "period_start", "period_end", "person_id"]).aggregate(met=k.late.fill_null(False).any())
    return g.mutate(ref_date=g.period_end)


def _waiting_18_months_list(m: Model, period_end: dt.date) -> ir.Table:
    """Children with a placement order at the period end, not yet placed for adoption, past (or within 3 months of)
    18 months since they entered care."""
    r = placement_order_not_placed(m, one_period(period_end, period_end))
    pocs = m.periods_of_care.select(_poc="poc_id", entered="poc_start")
    r = r.join(pocs, r.poc_id == pocs._poc)
    due = months_after(r.entered, WAIT_MONTHS)
    status = ibis.cases((r.period_end > due, "overdue"), (months_after(r.period_end, 3) >= due, "approaching"), else_=ibis.null("string"))
    reason = ibis.literal("placement order, not placed; in care since ") + r.entered.cast("string")
    return r.select(**exception_rows(r.person_id, r.poc_id, r.entered, r.entered, due, status, reason))


# --- special guardianship and child arrangements --------------------------------------------------


def sgo_assessments(m: Model) -> ir.Table:
    a = m.table("ext_sgo_assessment")
    start = a.sgoa_assessment_start_date
    weeks = as_date(start + ibis.interval(days=7 * SGO_WEEKS))
    due = ibis.cases((a.sgoa_court_due_date.notnull() & (a.sgoa_court_due_date < weeks), a.sgoa_court_due_date), else_=weeks)
    return a.select(
        person_id=a.sgoa_person_id,
        assessment_id=a.sgoa_assessment_id,
        started=start,
        due=due,
        completed=a.sgoa_completed_date,
        presented=a.sgoa_presented_date,
        accepted=a.sgoa_recommendation_accepted,
        carer_id=a.sgoa_carer_id,
    ).view()


def _sgo_in_time(m: Model, periods: ir.Table) -> ir.Table:
    a = sgo_assessments(m)
    rows = events_in_period(a.filter(a.completed.notnull()), periods, "completed")
    return rows.mutate(met=rows.completed <= rows.due)


def _sgo_due_list(m: Model, period_end: dt.date) -> ir.Table:
    a = sgo_assessments(m)
    end = ibis.literal(period_end)
    a = a.filter(a.started <= end)
    a = a.filter(a.completed.isnull() | (a.completed > end))
    status = ibis.cases(
        (end > a.due, "overdue"), (as_date(end + ibis.interval(days=APPROACHING_DAYS)) >= a.due, "approaching"), else_=ibis.null("string")
    )
    reason = ibis.literal("assessment open; due at the court's date or 16 weeks from its start, whichever is sooner")
    return a.select(**exception_rows(a.person_id, a.assessment_id, a.started, a.started, a.due, status, reason))


def _sgo_accepted(m: Model, periods: ir.Table) -> ir.Table:
    a = sgo_assessments(m)
    rows = events_in_period(a.filter(a.presented.notnull() & a.accepted.upper().isin(["Y", "N"])), periods, "presented")
    return rows.mutate(met=rows.accepted.upper() == "Y")


def _carers_assessed_permanent(m: Model, periods: ir.Table) -> ir.Table:
    """Foster carers (people in ext_foster_carer) whose SGO/CAO assessment as a permanent carer completed in the period."""
    a = sgo_assessments(m)
    c = m.table("ext_foster_carer").select(_carer="foca_carer_id")
    a = a.join(c, a.carer_id == c._carer, how="semi")
    rows = _with_la(m, events_in_period(a.filter(a.completed.notnull()), periods, "completed"))
    return _unit_rows(rows, "carer_id")


# --- family group conferences ---------------------------------------------------------------------


def _fgcs_held(m: Model, periods: ir.Table) -> ir.Table:
    f = m.table("ext_family_group_conference")
    f = f.select(person_id=f.fgcc_person_id, held=f.fgcc_conference_date)
    return events_in_period(f.filter(f.held.notnull()), periods, "held")


def _fgc_outcomes(months: int, column: str):  # noqa: ANN202 - a cohort
    def cohort(m: Model, periods: ir.Table) -> ir.Table:
        f = m.table("ext_family_group_conference")
        f = f.filter(f.fgcc_conference_date.notnull())
        f = f.select(person_id=f.fgcc_person_id, due=months_after(f.fgcc_conference_date, months), outcome=f[column])
        rows = events_in_period(f, periods, "due")
        return rows.mutate(fgc_outcome=rows.outcome.fill_null("not recorded"))

    return cohort


# --- the service's children and care leavers ----------------------------------------------------------


def responsibility(m: Model) -> ir.Table:
    r = m.table("ext_service_responsibility")
    r = r.filter(r.serv_service.upper() == SERVICE)
    return r.select(
        _rpid=r.serv_person_id, r_start=r.serv_responsibility_start_date, r_end=r.serv_responsibility_end_date, r_reason=r.serv_end_reason
    ).view()


def _service_children(m: Model, periods: ir.Table) -> ir.Table:
    """Children looked after at the period end whom the permanency service is responsible for then."""
    rows = m.cla_open_at(periods)
    r = responsibility(m)
    held = (r._rpid == rows.person_id) & (r.r_start <= rows.period_end) & (open_end(r.r_end) > rows.period_end)
    return rows.join(r, held, how="semi")


def _service_care_leavers(m: Model, periods: ir.Table) -> ir.Table:
    """Young people aged 18 or over at the period end whom the permanency service is responsible for then."""
    rows = open_at_period_end(responsibility(m), periods, "r_start", "r_end")
    p = m.person.select(_ppid="person_id", dob="dob")
    rows = rows.join(p, rows._rpid == p._ppid)
    rows = rows.filter(age_at(rows.dob, rows.period_end) >= 18)
    return rows.select("basis", "period_start", "period_end", "ref_date", person_id=rows._rpid)


def permanent_matches(m: Model) -> ir.Table:
    """Children's permanent matches to their carers agreed by the ADM (fostering panel item PERMANENT_MATCH, ADM
    decision MATCH): _fpid, _adm (the decision's date)."""
    f = m.table("ext_fostering_panel")
    f = f.filter((f.fopa_item_type.upper() == "PERMANENT_MATCH") & (f.fopa_adm_decision.upper() == "MATCH"))
    return f.select(_fpid=f.fopa_person_id, _adm=f.fopa_adm_decision_date)


def _permanently_matched(m: Model, periods: ir.Table) -> ir.Table:
    """Children looked after at the period end with a permanent match to their carers agreed by the ADM (fostering panel
    item PERMANENT_MATCH, ADM decision MATCH) within their current period of care."""
    rows = m.cla_open_at(periods)
    pocs = m.periods_of_care.select(_poc="poc_id", entered="poc_start")
    rows = rows.join(pocs, rows.poc_id == pocs._poc).drop("_poc")
    f = permanent_matches(m)
    held = (f._fpid == rows.person_id) & (f._adm >= rows.entered) & (f._adm <= rows.period_end)
    return rows.join(f, held, how="semi")


# --- staff turnover -------------------------------------------------------------------------------


def _turnover(roles: tuple[str, ...] | None, reasons: tuple[str, ...] | None):  # noqa: ANN202 - a cohort
    """Leavers in the window (of `reasons`, default any) over everyone in post at some time in it, for staff of the
    service in `roles` (default all). Over the average headcount a small team's rate can pass 100 %, which no
    percentage may."""

    def cohort(m: Model, periods: ir.Table) -> ir.Table:
        s = m.table("ext_service_staff")
        s = s.filter(s.sstf_service.upper() == SERVICE)
        if roles:
            s = s.filter(s.sstf_role.upper().isin(roles))
        s = _with_la(m, s)
        j = s.join(periods, (s.sstf_staff_start_date <= periods.period_end) & (open_end(s.sstf_staff_end_date) >= periods.period_start))
        left = j.sstf_staff_end_date.between(j.period_start, j.period_end).fill_null(False)
        if reasons:
            left &= j.sstf_leaving_reason.upper().isin(reasons).fill_null(False)
        den = j.sstf_staff_id.notnull().cast("float64")  # in post at some time in the window (the join's condition)
        j = j.mutate(ref_date=j.period_end)
        return _unit_rows(j, "sstf_staff_id", num=left.cast("float64"), den=den)

    return cohort


# --- timescale standards with exception lists (T2, T10, T11, T12, T19) -------------------------------


def _last_before(events: ir.Table, key: str, date_col: str, rows: ir.Table, row_key: str) -> ir.Table:
    """Add `last` = the latest event date on or before the period end per row (events: key, date)."""
    e = events.select(_k=events[key], _d=events[date_col])
    j = rows.left_join(e, (e._k == rows[row_key]) & (e._d <= rows.period_end))
    keys = [c for c in rows.columns]
    return j.group_by(keys).aggregate(last=j._d.max()).view()


def _carer_checks(m: Model, periods: ir.Table, table: str, date_col: str, due: callable) -> ir.Table:  # type: ignore[valid-type]
    """Households approved at the period end with the date their next review/visit was due (`next_due`, from the last
    one on or before the period end, else from approval); met when it is overdue (due before the period end)."""
    h = open_at_period_end(households(m), periods, "approved", "deregistered")
    ev = m.table(table)
    hh_col = [c for c in ev.columns if c.endswith("_household_id")][0]
    rows = _last_before(ev, hh_col, date_col, h, "hh_id")
    since = ibis.coalesce(rows.last, rows.approved)
    return rows.mutate(since=since, next_due=due(m, since))


def _review_due(m: Model, since: ir.DateValue) -> ir.DateValue:
    return months_after(since, m.settings.carer_review_months)


def _visit_due(m: Model, since: ir.DateValue) -> ir.DateValue:
    return as_date(since + ibis.interval(days=m.settings.carer_visit_days))


def _carers_without_review(m: Model, periods: ir.Table) -> ir.Table:
    rows = _carer_checks(m, periods, "ext_fostering_review", "fore_review_date", _review_due)
    return _unit_rows(rows.filter(rows.next_due < rows.period_end), "hh_id")


def _carers_not_visited(m: Model, periods: ir.Table) -> ir.Table:
    rows = _carer_checks(m, periods, "ext_fostering_visit", "fovi_visit_date", _visit_due)
    return _unit_rows(rows.filter(rows.next_due < rows.period_end), "hh_id")


def _carer_list(table: str, date_col: str, due: callable, what: str):  # type: ignore[valid-type]  # noqa: ANN202
    def rule(m: Model, period_end: dt.date) -> ir.Table:
        r = _carer_checks(m, one_period(period_end, period_end), table, date_col, due)
        status = ibis.cases(
            (r.next_due < r.period_end, "overdue"),
            (as_date(r.period_end + ibis.interval(days=APPROACHING_DAYS)) >= r.next_due, "approaching"),
            else_=ibis.null("string"),
        )
        reason = ibis.cases((r.last.isnull(), f"no {what} since approval"), else_=f"last {what} ") + ibis.coalesce(
            r.last.cast("string"), ibis.literal("")
        )
        return r.select(**exception_rows(r.hh_id, r.hh_id, r.approved, r.last, r.next_due, status, reason))

    return rule


def _adopters_no_placement(m: Model, periods: ir.Table) -> ir.Table:
    """T10: the service's adopters approved at least a year before the period end, not ended, with no child placed."""
    a = adopters(m)
    rows = open_at_period_end(a.filter(a.own & a.approved.notnull()), periods, "approved", "ended")
    rows = rows.filter(months_after(rows.approved, m.settings.adopter_wait_months) <= rows.period_end)
    x = adoption_matches(m)
    return _unit_rows(rows.join(x, (x.mt_adopter == rows.ad_id) & (x.mt_placed <= rows.period_end), how="anti"), "ad_id")


def _adopters_no_placement_list(m: Model, period_end: dt.date) -> ir.Table:
    a = adopters(m)
    rows = open_at_period_end(a.filter(a.own & a.approved.notnull()), one_period(period_end, period_end), "approved", "ended")
    x = adoption_matches(m)
    rows = rows.join(x, (x.mt_adopter == rows.ad_id) & (x.mt_placed <= rows.period_end), how="anti")
    due = months_after(rows.approved, m.settings.adopter_wait_months)
    status = ibis.cases(
        (due <= rows.period_end, "overdue"), (months_after(rows.period_end, 1) >= due, "approaching"), else_=ibis.null("string")
    )
    reason = ibis.literal("approved, no child placed: a manager reviews the approval after a year")
    return rows.select(**exception_rows(rows.ad_id, rows.ad_id, rows.approved, rows.approved, due, status, reason))


def fgcs(m: Model) -> ir.Table:
    f = m.table("ext_family_group_conference")
    f = f.filter(f.fgcc_conference_date.notnull())
    return f.select(person_id=f.fgcc_person_id, fgc_id=f.fgcc_fgc_id, held=f.fgcc_conference_date, circulated=f.fgcc_plan_circulated_date)


def _fgc_plans(m: Model, periods: ir.Table) -> ir.Table:
    """T2: conferences held in the period; met if the plan was circulated within 5 working days of the conference."""
    rows = m.with_wd_due(events_in_period(fgcs(m), periods, "held"), "held", m.settings.fgc_plan_wd, "due")
    return rows.mutate(met=(rows.circulated <= rows.due).fill_null(False))


def _fgc_plans_list(m: Model, period_end: dt.date) -> ir.Table:
    f = fgcs(m)
    end = ibis.literal(period_end)
    f = f.filter((f.held <= end) & (f.circulated.isnull() | (f.circulated > end)))
    f = m.with_wd_due(f, "held", m.settings.fgc_plan_wd, "due")
    status = ibis.cases((f.due < end, "overdue"), (as_date(end + ibis.interval(days=APPROACHING_DAYS)) >= f.due, "approaching"))
    reason = ibis.literal("family plan not circulated")
    return f.select(**exception_rows(f.person_id, f.fgc_id, f.held, f.held, f.due, status, reason))


def _month_end_before(d: ir.DateValue) -> ir.DateValue:
    return as_date(d.truncate("M") - ibis.interval(days=1))


def _cla_volume(m: Model, periods: ir.Table) -> ir.Table:
    """T19: the period end and the month end before it, each met when the children looked after then (short breaks
    aside) reach the trigger."""
    ends = ibis.union(
        periods.mutate(check=periods.period_end),
        periods.mutate(check=_month_end_before(periods.period_end)),
    )
    e = m.episodes
    e = e.filter(e.legal_status.isnull() | ~e.legal_status.isin(("V3", "V4")))
    j = e.join(ends, (e.ep_start <= ends.check) & (open_end(e.ep_end) > ends.check))
    n = j.group_by(["basis", "period_start", "period_end", "check"]).aggregate(children=j.person_id.nunique())
    grid = ends.left_join(n, [ends.basis == n.basis, ends.period_end == n.period_end, ends.check == n.check]).select(
        ends.basis, ends.period_start, ends.period_end, check=ends.check, children=n.children.fill_null(0)
    )
    grid = _with_la(m, grid)
    return grid.select(
        "basis",
        "period_start",
        "period_end",
        person_id=grid.check.cast("string"),
        ref_date=grid.period_end,
        la_code=grid.la_code,
        met=grid.children >= m.settings.cla_volume_trigger,
    )


# --- detailed measures: simple counts ------------------------------------------------------------


def _hh_flow(date_col: str, where=None):  # noqa: ANN001, ANN202 - a cohort of household events
    def cohort(m: Model, periods: ir.Table) -> ir.Table:
        h = households(m)
        h = h.filter(where(h)) if where else h
        rows = events_in_period(h.filter(h[date_col].notnull()), periods, date_col)
        return _unit_rows(rows, "hh_id")

    return cohort


def _new_households_bme(m: Model, periods: ir.Table) -> ir.Table:
    """D-F10: general households approved in the period, met when the main carer is not white British (BME)."""
    h = households(m)
    h = h.filter((h.hh_type.upper() != "CONNECTED").fill_null(True))  # no type recorded: a general household
    rows = events_in_period(h.filter(h.approved.notnull()), periods, "approved")
    return _unit_rows(rows, "hh_id", met=bme(rows.hh_ethnicity))


def bme(ethnicity: ir.StringValue) -> ir.BooleanValue:
    """Black and minority ethnic: any recorded ethnicity other than white British (WBRI); not known (REFU, NOBT,
    empty) is not counted as BME."""
    e = ethnicity.upper()
    return (e.notnull() & ~e.isin(("WBRI", "REFU", "NOBT"))).fill_null(False)


def _table_flow(table: str, id_col: str, date_col: str, where=None, unit: bool = True):  # noqa: ANN001, ANN202
    """Rows of `table` dated in the period (`where` filters them); unit rows (la only) or children (id = a person)."""

    def cohort(m: Model, periods: ir.Table) -> ir.Table:
        t = m.table(table)
        t = t.filter(where(t)) if where else t
        t = t.filter(t[date_col].notnull())
        if unit:
            rows = events_in_period(_with_la(m, t), periods, date_col)
            return _unit_rows(rows, id_col)
        t = t.mutate(person_id=t[id_col])
        return events_in_period(t, periods, date_col)

    return cohort


def _table_stock(table: str, id_col: str, start_col: str, end_col: str, where=None, unit: bool = True):  # noqa: ANN001, ANN202
    def cohort(m: Model, periods: ir.Table) -> ir.Table:
        t = m.table(table)
        t = t.filter(where(t)) if where else t
        if unit:
            rows = open_at_period_end(_with_la(m, t), periods, start_col, end_col)
            return _unit_rows(rows, id_col)
        t = t.mutate(person_id=t[id_col])
        return open_at_period_end(t, periods, start_col, end_col)

    return cohort


def _unplanned_endings(carer_request: bool):  # noqa: ANN202
    """D-F19/D-F20: in-house foster placements ending unplanned in the period, at the carer's request (903 change
    reason CREQB/CREQO) or for any other reason."""

    def cohort(m: Model, periods: ir.Table) -> ir.Table:
        p = household_placements(m)
        c = m.table("ext_cla_placement_carer").select(_pl=lambda t: t.plca_placement_id, unplanned=lambda t: t.plca_placement_unplanned)
        reasons = m.table("ssd_cla_placement").select(
            _pl2=lambda t: t.clap_cla_placement_id, why=lambda t: t.clap_cla_placement_change_reason
        )
        p = p.join(c, p.placement_id == c._pl).join(reasons, p.placement_id == reasons._pl2)
        p = p.filter((p.unplanned.upper() == "Y") & p.pl_end.notnull())
        at_request = p.why.upper().isin(CARER_REQUEST).fill_null(False)
        p = p.filter(at_request if carer_request else ~at_request)
        return events_in_period(p, periods, "pl_end")

    return cohort


CARER_REQUEST = ("CREQB", "CREQO")


def _panel(item: str, where=None):  # noqa: ANN001, ANN202
    def cohort(m: Model, periods: ir.Table) -> ir.Table:
        f = m.table("ext_fostering_panel")
        f = f.filter(f.fopa_item_type.upper() == item)
        f = f.filter(where(f)) if where else f
        date = "fopa_adm_decision_date" if where else "fopa_panel_date"
        rows = events_in_period(_with_la(m, f.filter(f[date].notnull())), periods, date)
        return _unit_rows(rows, "fopa_item_id")

    return cohort


def _adm_differs(m: Model, periods: ir.Table) -> ir.Table:
    f = m.table("ext_fostering_panel")
    f = f.filter(f.fopa_adm_decision_date.notnull() & f.fopa_panel_recommendation.notnull() & f.fopa_adm_decision.notnull())
    f = f.filter(f.fopa_panel_recommendation.upper() != f.fopa_adm_decision.upper())
    return _unit_rows(events_in_period(_with_la(m, f), periods, "fopa_adm_decision_date"), "fopa_item_id")


def _private_fostering_visits(m: Model, periods: ir.Table) -> ir.Table:
    """D-PF3/D-PF4: notifications whose assessment was completed in the period; met if visited within 7 working
    days of the notification."""
    f = m.table("ext_private_fostering")
    f = f.select(
        person_id=f.prfo_person_id, notified=f.prfo_notification_date, visited=f.prfo_visit_date, assessed=f.prfo_assessment_completed_date
    )
    rows = events_in_period(f.filter(f.assessed.notnull()), periods, "assessed")
    rows = m.with_wd_due(rows, "notified", m.settings.private_fostering_visit_wd, "due")
    return rows.mutate(met=(rows.visited <= rows.due).fill_null(False))


def _siblings(m: Model, periods: ir.Table) -> ir.Table:
    """D-F13: sibling groups with a member placed in the period (by the group's first placement date); met when every
    member placed is placed together."""
    s = m.table("ext_sibling_group")
    s = s.filter(s.sibg_placed_date.notnull())
    g = s.group_by(group_id=s.sibg_group_id).aggregate(
        placed=s.sibg_placed_date.min(), apart=(s.sibg_placed_together.upper() != "Y").fill_null(True).any()
    )
    rows = events_in_period(_with_la(m, g), periods, "placed")
    return _unit_rows(rows, "group_id", met=~rows.apart)


def _siblings_apart_resources(m: Model, periods: ir.Table) -> ir.Table:
    s = m.table("ext_sibling_group")
    s = s.filter((s.sibg_placed_together.upper() == "N") & (s.sibg_apart_reason.upper() == "RESOURCE_SHORTFALL"))
    s = s.mutate(person_id=s.sibg_person_id)
    return events_in_period(s.filter(s.sibg_placed_date.notnull()), periods, "sibg_placed_date")


def _adopters_in(stage: str):  # noqa: ANN202
    """Adopters (own) at the period end: 'approved' (approved, not ended), 'assessing' (registered, not approved or
    ended)."""

    def cohort(m: Model, periods: ir.Table) -> ir.Table:
        a = adopters(m)
        a = a.filter(a.own)
        if stage == "approved":
            rows = open_at_period_end(a.filter(a.approved.notnull()), periods, "approved", "ended")
        else:
            rows = open_at_period_end(a, periods, "registered", "ended")
            rows = rows.filter(rows.approved.isnull() | (rows.approved > rows.period_end))
        return _unit_rows(rows, "ad_id")

    return cohort


def _adopter_matches(state: str):  # noqa: ANN202
    """Own adopters at the period end with a live match: 'matched' (matched, child not yet placed) or 'placed' (child
    placed, no adoption order yet); 'other_la' (matched with another authority's child, not yet adopted)."""

    def cohort(m: Model, periods: ir.Table) -> ir.Table:
        a = adopters(m).filter(lambda t: t.own)
        x = adoption_matches(m)
        j = a.join(x, a.ad_id == x.mt_adopter).cross_join(periods)
        live = (j.mt_matched <= j.period_end) & (open_end(j.mt_disrupted) > j.period_end) & (open_end(j.mt_order) > j.period_end)
        placed = j.mt_placed.notnull() & (j.mt_placed <= j.period_end)
        cond = {"matched": live & ~placed, "placed": live & placed, "other_la": live & (j.mt_child_la != j.la_code)}[state]
        rows = j.filter(cond).select("basis", "period_start", "period_end", "ad_id", "la_code").distinct()
        return _unit_rows(rows.mutate(ref_date=rows.period_end), "ad_id")

    return cohort


def _new_adopters_bme(m: Model, periods: ir.Table) -> ir.Table:
    a = adopters(m).filter(lambda t: t.own)
    rows = events_in_period(a.filter(a.approved.notnull()), periods, "approved")
    return _unit_rows(rows, "ad_id", met=bme(rows.ad_ethnicity))


def _inter_agency(m: Model, periods: ir.Table) -> ir.Table:
    """D-A14: placements for adoption in the period across agencies, both ways: the authority's children placed with
    another agency's adopters, and other authorities' children placed with the service's adopters."""
    a = adopters(m)
    x = adoption_matches(m)
    j = x.join(a, x.mt_adopter == a.ad_id)
    theirs = j.mt_person.notnull() & ~j.own
    ours = j.own & (j.mt_child_la != j.la_code).fill_null(False)
    j = j.filter((theirs | ours) & j.mt_placed.notnull())
    rows = events_in_period(j.mutate(match_id=j.mt_adopter + "/" + j.mt_placed.cast("string")), periods, "mt_placed")
    return _unit_rows(rows, "match_id")


def _permanence_events(col: str):  # noqa: ANN202
    """Children with an ssd_permanence milestone (`col`) in the period."""

    def cohort(m: Model, periods: ir.Table) -> ir.Table:
        s = m.table("ssd_permanence")
        s = s.filter(s[col].notnull()).mutate(person_id=s.perm_person_id)
        return events_in_period(s, periods, col)

    return cohort


def hard_to_place(m: Model, t: ir.Table, on: ir.DateValue) -> ir.BooleanValue:
    """D-A16/17: aged 5 or more, in a sibling group, disabled, or black and minority ethnic (OR-ed)."""
    return (age_at(t.dob, on) >= 5).fill_null(False) | t.sibling | t.disabled.fill_null(False) | bme(t.ethnicity)


def _with_child(m: Model, rows: ir.Table) -> ir.Table:
    p = m.person.select(_cpid="person_id", dob="dob", ethnicity="ethnicity", disabled="disabled")
    sib = m.table("ext_sibling_group").select(_spid=lambda t: t.sibg_person_id).distinct()
    perm = m.table("ssd_permanence")
    sib2 = perm.filter(perm.perm_part_of_sibling_group.upper() == "Y").select(_spid=perm.perm_person_id).distinct()
    sibs = ibis.union(sib, sib2).distinct()
    rows = rows.left_join(p, rows.person_id == p._cpid).drop("_cpid")
    rows = rows.mutate(sibling=rows.person_id.isin(sibs._spid))
    return rows


def _hard_to_place_adopted(m: Model, periods: ir.Table) -> ir.Table:
    rows = _with_child(m, adoptions_in_period(m, periods))
    return rows.filter(hard_to_place(m, rows, rows.poc_end)).drop("dob", "ethnicity", "disabled", "sibling")


def _hard_to_place_waiting(m: Model, periods: ir.Table) -> ir.Table:
    rows = _with_child(m, placement_order_not_placed(m, periods))
    return rows.filter(hard_to_place(m, rows, rows.period_end)).drop("dob", "ethnicity", "disabled", "sibling")


def _disruptions(m: Model, periods: ir.Table) -> ir.Table:
    x = adoption_matches(m)
    rows = events_in_period(_with_la(m, x.filter(x.mt_disrupted.notnull())), periods, "mt_disrupted")
    return _unit_rows(rows.mutate(match_id=rows.mt_adopter + "/" + rows.mt_disrupted.cast("string")), "match_id")


def _support(kind: str, stock: bool = False):  # noqa: ANN202
    def cohort(m: Model, periods: ir.Table) -> ir.Table:
        t = m.table("ext_adoption_support")
        t = _with_la(m, t.filter(t.adsr_kind.upper() == kind))
        if stock:  # D-AS2: referred by the period end, no service started then, not closed
            rows = open_at_period_end(t, periods, "adsr_referral_date", "adsr_service_start_date")
            rows = rows.filter(open_end(rows.adsr_service_end_date) > rows.period_end)
        else:
            rows = events_in_period(t, periods, "adsr_referral_date")
        return _unit_rows(rows, "adsr_referral_id")

    return cohort


def _placed_without_book(m: Model, periods: ir.Table) -> ir.Table:
    """D-AS5: children in an adoptive placement (A3-A6) at the period end with no life story book given by then."""
    rows = m.cla_open_at(periods)
    pl = m.placements.select(_pl="placement_id", pl_type="pl_type")
    rows = rows.join(pl, rows.placement_id == pl._pl).drop("_pl")
    rows = rows.filter(rows.pl_type.isin(ADOPTION_PLACEMENTS))
    ls = m.table("ext_life_story")
    return rows.join(ls, (ls.lstw_person_id == rows.person_id) & (ls.lstw_life_story_book_date <= rows.period_end), how="anti")


def _adopted_without_letter(m: Model, periods: ir.Table) -> ir.Table:
    """D-AS6: children adopted in the period with no later life letter given by the period end."""
    rows = adoptions_in_period(m, periods)
    ls = m.table("ext_life_story")
    return rows.join(ls, (ls.lstw_person_id == rows.person_id) & (ls.lstw_later_life_letter_date <= rows.period_end), how="anti")


def _left_care_sgo(m: Model, periods: ir.Table) -> ir.Table:
    """D-S3: children ceasing care in the period (cla_ceased), met if the reason was an SGO (E43-E48)."""
    rows = children_ceasing(m, periods)
    return rows.mutate(met=rows.poc_end_reason.isin(SGO_REASONS))


def _sgo_orders(m: Model) -> ir.Table:
    o = m.table("ext_sgo_order")
    return o.select(person_id=o.sgoo_person_id, order_id=o.sgoo_order_id, order_date=o.sgoo_order_date, unplanned=o.sgoo_unplanned_end_date)


def _sgo_unplanned(m: Model, periods: ir.Table) -> ir.Table:
    o = _sgo_orders(m)
    return events_in_period(o.filter(o.unplanned.notnull()), periods, "unplanned")


def _sgo_contacts(support: bool):  # noqa: ANN202
    """D-S5 (post-order support given in the period) and D-S6 (carers in touch: orders made before the period end,
    met when contacted in the period)."""

    def cohort(m: Model, periods: ir.Table) -> ir.Table:
        c = m.table("ext_sgo_contact")
        o = _sgo_orders(m)
        if support:
            c = c.filter(c.sgoc_post_order_support.upper() == "Y")
            j = c.join(o, c.sgoc_order_id == o.order_id)
            rows = events_in_period(j, periods, "sgoc_contact_date")
            return rows.select("basis", "period_start", "period_end", "person_id", "ref_date").distinct()
        live = o.join(periods, (o.order_date <= periods.period_end) & (open_end(o.unplanned) > periods.period_start))
        seen = c.select(_o=c.sgoc_order_id, _d=c.sgoc_contact_date)
        j = live.left_join(seen, (seen._o == live.order_id) & (seen._d >= live.period_start) & (seen._d <= live.period_end))
        g = j.group_by(["basis", "period_start", "period_end", "person_id", "order_id"]).aggregate(met=j._d.notnull().any())
        return g.mutate(ref_date=g.period_end)

    return cohort


def _returned_home_again(months: int):  # noqa: ANN202
    """D-R1/D-R2: children whose period of care ended with a return home (E4A/E4B/E13) in the period `months` months
    before; met when they became looked after again within `months` of it (cumulative: R1 within R2)."""

    def cohort(m: Model, periods: ir.Table) -> ir.Table:
        p = ceased_periods(m)
        home = p.filter(p.poc_end_reason.isin(RETURNED_HOME)).select("person_id", "poc_id", went_home="poc_end")
        shifted = periods.mutate(
            _ps=as_date(periods.period_start - ibis.interval(months=months)), _pe=_month_end_of(periods.period_end, months)
        )
        j = home.join(shifted, (home.went_home >= shifted._ps) & (home.went_home <= shifted._pe))
        back = m.periods_of_care.filter(lambda t: ~t.short_breaks_only).select(_bp="person_id", _bs="poc_start")
        k = j.left_join(back, (back._bp == j.person_id) & (back._bs > j.went_home) & (back._bs <= months_after(j.went_home, months)))
        g = k.group_by(["basis", "period_start", "period_end", "person_id", "poc_id", "went_home"]).aggregate(met=k._bs.notnull().any())
        return g.mutate(ref_date=g.went_home).drop("poc_id", "went_home")

    return cohort


def _month_end_of(d: ir.DateValue, months_back: int) -> ir.DateValue:
    """The last day of the month `months_back` months before d's month."""
    return as_date(months_after(d.truncate("M"), -months_back + 1) - ibis.interval(days=1))


RETURNED_HOME = ("E4A", "E4B", "E13")
SGO_REASONS = ("E43", "E44", "E45", "E46", "E47", "E48")


def _responsibility_flow(col: str):  # noqa: ANN202
    def cohort(m: Model, periods: ir.Table) -> ir.Table:
        r = responsibility(m)
        r = r.filter(r[col].notnull()).mutate(person_id=r._rpid)
        return events_in_period(r, periods, col)

    return cohort


def _newly_matched(m: Model, periods: ir.Table) -> ir.Table:
    """D-P3: the ADM's permanent matches (PERMANENT_MATCH, MATCH) dated in the period of children the service is
    responsible for on that day."""
    f = permanent_matches(m)
    rows = events_in_period(f.filter(f._adm.notnull()).select(person_id="_fpid", matched="_adm"), periods, "matched")
    return _held_by_service(m, rows, "matched")


def _held_by_service(m: Model, rows: ir.Table, on: str = "period_end") -> ir.Table:
    """The rows whose child the permanency service is responsible for on the row's `on` date (responsibility ends
    are exclusive: the service is no longer responsible on its end date)."""
    r = responsibility(m)
    day = rows[on]
    held = (r._rpid == rows.person_id) & (r.r_start <= day) & (open_end(r.r_end) > day)
    return rows.join(r, held, how="semi")


def _for_service(cohort, missing: bool = False, on: str = "period_end"):  # noqa: ANN001, ANN202 - a cohort
    """The rows of `cohort` for children the permanency service is responsible for at the period end (or on the row's
    `on` date, e.g. ref_date for events); with `missing`, met is turned round (a child without the check is the one
    counted)."""

    def scoped(m: Model, periods: ir.Table) -> ir.Table:
        rows = _held_by_service(m, cohort(m, periods), on)
        return rows.mutate(met=~rows.met) if missing else rows

    return scoped


def _service_list(rule):  # noqa: ANN001, ANN202 - an exception rule
    """An exception rule's rows for children the permanency service is responsible for at the period end."""

    def scoped(m: Model, period_end: dt.date) -> ir.Table:
        rows = rule(m, period_end)
        return _held_by_service(m, rows.mutate(_on=ibis.literal(period_end)), "_on").drop("_on")

    return scoped


def _no_dental_3_to_17(m: Model, periods: ir.Table) -> ir.Table:
    rows = _for_service(dental_check, missing=True)(m, periods)
    return rows.filter(age_at(rows.dob, rows.period_end) >= 3)


def _allegations_notified(m: Model, periods: ir.Table) -> ir.Table:
    """T6: allegations received in the period; met when the council was notified within 72 hours (dates only: by the
    third day after)."""
    a = _with_la(m, m.table("ext_fostering_allegation"))
    rows = events_in_period(a.filter(a.foal_allegation_date.notnull()), periods, "foal_allegation_date")
    due = as_date(rows.foal_allegation_date + ibis.interval(days=3))
    return _unit_rows(rows, "foal_allegation_id", met=(rows.foal_council_notified_date <= due).fill_null(False))


def _enquiries_same_day(m: Model, periods: ir.Table) -> ir.Table:
    """T9: the service's adopter enquiries (registrations) in the period; met when responded to the same day."""
    a = m.table("ext_adopter")
    a = _with_la(m, a.filter((a.adop_agency.upper() == "OWN") & a.adop_registration_date.notnull()))
    rows = events_in_period(a, periods, "adop_registration_date")
    return _unit_rows(rows, "adop_adopter_id", met=(rows.adop_enquiry_response_date <= rows.adop_registration_date).fill_null(False))


def _due_status(due: ir.DateValue, period_end: dt.date) -> ir.StringValue:
    return ibis.cases((due < ibis.literal(period_end), "overdue"), else_="approaching")


def _allegations_unnotified_list(m: Model, period_end: dt.date) -> ir.Table:
    """T6: allegations of the last 12 months not notified to the council within 72 hours, listed by household."""
    r = _missed(_allegations_notified(m, one_period(dt.date(1900, 1, 1), period_end)), period_end)
    a = m.table("ext_fostering_allegation")
    a = a.select(_aid=a.foal_allegation_id, household=a.foal_household_id)
    r = r.join(a, r.person_id == a._aid)
    due = as_date(r.ref_date + ibis.interval(days=3))
    reason = ibis.literal("allegation not notified to the council within 72 hours")
    return r.select(**exception_rows(r.household, r.person_id, r.ref_date, r.ref_date, due, _due_status(due, period_end), reason))


def _enquiries_unanswered_list(m: Model, period_end: dt.date) -> ir.Table:
    """T9: the service's adopter enquiries of the last 12 months not responded to on the day they were made."""
    r = _missed(_enquiries_same_day(m, one_period(dt.date(1900, 1, 1), period_end)), period_end)
    reason = ibis.literal("enquiry not responded to on the day it was made")
    status = _due_status(r.ref_date, period_end)
    return r.select(**exception_rows(r.person_id, r.person_id, r.ref_date, r.ref_date, r.ref_date, status, reason))


# --- the spec's remaining measures (F21, F25, F26, A10, P4, P5, P8-P11, L2-L6, T1, T13, T15) -----------------


def _matched_at_panel(m: Model, periods: ir.Table) -> ir.Table:
    """D-F21: children looked after at any time in the period (council-wide, C-6); met when a fostering panel heard a
    recommendation to match them permanently (PERMANENT_MATCH) in the period."""
    rows = _looked_after_in_period(m, periods)
    f = m.table("ext_fostering_panel")
    f = f.filter((f.fopa_item_type.upper() == "PERMANENT_MATCH") & f.fopa_panel_date.notnull())
    f = f.select(_fpid=f.fopa_person_id, _panel=f.fopa_panel_date)
    j = rows.left_join(f, (f._fpid == rows.person_id) & (f._panel >= rows.period_start) & (f._panel <= rows.period_end))
    return j.group_by(["basis", "period_start", "period_end", "person_id", "ref_date"]).aggregate(met=j._panel.notnull().any())


def completed_sdqs(m: Model) -> ir.Table:
    """SDQs completed: a completed date and a score recorded (a row with only a reason, SDQ1-SDQ5, was not done)."""
    s = m.table("ssd_sdq_scores")
    s = s.filter(s.csdq_sdq_completed_date.notnull() & s.csdq_sdq_score.notnull() & (s.csdq_sdq_score.strip() != ""))
    return s.select(_spid=s.csdq_person_id, sdq_date=s.csdq_sdq_completed_date)


def _health_reviews_with_sdq(m: Model, periods: ir.Table) -> ir.Table:
    """D-F25: review health assessments (RHA) completed in the period, one row each; met when an SDQ was completed in
    the 12 months up to the review (on the review day itself included)."""
    h = health_checks(m).filter(lambda t: t.check_type == "RHA")
    h = h.mutate(person_id=h.h_person, check_id=h.h_person + "/" + h.check_date.cast("string")).distinct()
    rows = events_in_period(h, periods, "check_date")
    s = completed_sdqs(m)
    informed = (s._spid == rows.person_id) & (s.sdq_date <= rows.check_date) & (s.sdq_date > months_before(rows.check_date, 12))
    j = rows.left_join(s, informed)
    g = j.group_by(["basis", "period_start", "period_end", "person_id", "check_id", "ref_date"]).aggregate(met=j.sdq_date.notnull().any())
    return g.drop("check_id")


PARTICIPATED = ("PN1", "PN2", "PN3", "PN4", "PN5", "PN6")  # PN7: did not participate; PN0: under 4 at the review


def _review_participation(m: Model, periods: ir.Table) -> ir.Table:
    """D-F26 (C-6): reviews of children looked after held in the period when the child was 4 or over, one row per
    review; met when the participation code is PN1-PN6."""
    r = m.table("ssd_cla_reviews")
    r = r.filter(r.clar_cla_review_date.notnull() & (r.clar_cla_review_cancelled.isnull() | (r.clar_cla_review_cancelled != "Y")))
    p = cla_periods(m).select(_poc="poc_id", _ppid="person_id")
    r = r.left_join(p, r.clar_cla_id == p._poc)
    r = r.select(person_id=ibis.coalesce(r.clar_ext_person_id, r._ppid), held=r.clar_cla_review_date, code=r.clar_cla_review_participation)
    kid = m.person.select(_kid="person_id", dob="dob").view()
    r = r.view()
    r = r.join(kid, r.person_id == kid._kid)
    r = r.filter(age_at(r.dob, r.held) >= 4)
    rows = events_in_period(r, periods, "held")
    return rows.mutate(met=rows.code.strip().upper().isin(PARTICIPATED).fill_null(False))


def _waiting_adoption_decision(m: Model, periods: ir.Table) -> ir.Table:
    """D-A10: children looked after at the period end with an ADM decision in their current period of care that they
    should be placed for adoption, not reversed by then, and not in an adoptive placement (A3-A6) then."""
    rows = m.cla_open_at(periods)
    pocs = m.periods_of_care.select(_poc="poc_id", entered="poc_start")
    rows = rows.join(pocs, rows.poc_id == pocs._poc).drop("_poc")
    pl = m.placements.select(_pl="placement_id", pl_type="pl_type")
    rows = rows.left_join(pl, rows.placement_id == pl._pl).drop("_pl")
    rows = rows.filter(~rows.pl_type.isin(ADOPTION_PLACEMENTS).fill_null(False))
    s = m.table("ssd_permanence")
    s = s.filter(s.perm_adm_decision_date.notnull()).select(
        _spid=s.perm_person_id, _adm=s.perm_adm_decision_date, _reversed=s.perm_decision_reversed_date
    )
    live = (s._spid == rows.person_id) & (s._adm >= rows.entered) & (s._adm <= rows.period_end) & (open_end(s._reversed) > rows.period_end)
    return rows.join(s, live, how="semi")


def _service_reviews_late(m: Model, periods: ir.Table) -> ir.Table:
    """D-P5: reviews of children looked after held in the period while the permanency service was responsible for the
    child (on the review date), one row each; met when the review missed its deadline (the catalogue's review
    timescales: 20 working days, 3 months, then 6 months)."""
    r = _numbered_reviews(m)
    p = cla_periods(m).select(_poc="poc_id", person_id="person_id")
    r = r.join(p, r.r_poc_id == p._poc).drop("_poc")
    rows = events_in_period(r, periods, "review_date")
    rows = _held_by_service(m, rows, "review_date")
    return rows.mutate(met=rows.missed)


def _service_children_aged(m: Model, periods: ir.Table, low: int, high: int) -> ir.Table:
    """The service's children looked after at the period end aged low..high then, with dob."""
    rows = _service_children(m, periods)
    p = m.person.select(_kid="person_id", dob="dob")
    rows = rows.join(p, rows.person_id == p._kid).drop("_kid")
    age = age_at(rows.dob, rows.period_end)
    return rows.filter((age >= low) & (age <= high))


def compulsory_school_age(dob: ir.DateValue, day: ir.DateValue) -> ir.BooleanValue:
    """Of compulsory school age on `day`: from the prescribed day (31 March, 31 August or 31 December) on or after the
    5th birthday to the end of year 11 (school_year_age 15; the June leaving date is taken as the school year's end)."""
    five = _birthday(dob, 5)
    md = five.month() * 100 + five.day()
    year = five.year()
    start = ibis.cases((md <= 331, ibis.date(year, 3, 31)), (md <= 831, ibis.date(year, 8, 31)), else_=ibis.date(year, 12, 31))
    return (day >= start) & (school_year_age(dob, day) <= 15)


def _latest_education(m: Model, rows: ir.Table) -> ir.Table:
    """Add the child's latest education record on or before the period end (in_education, on_target; null if none)."""
    e = m.table("ext_cla_education")
    e = e.select(_epid=e.cled_person_id, _edate=e.cled_record_date, _in=e.cled_in_education, _target=e.cled_on_target)
    j = rows.left_join(e, (e._epid == rows.person_id) & (e._edate <= rows.period_end))
    rank = ibis.row_number().over(group_by=[j.basis, j.period_end, j.person_id], order_by=[ibis.desc(j._edate), j._in, j._target])
    j = j.mutate(_rank=rank)
    j = j.filter(j._rank == 0)
    return j.mutate(in_education=j._in.upper(), on_target=j._target.upper()).drop("_epid", "_edate", "_in", "_target", "_rank")


def _service_not_in_education(m: Model, periods: ir.Table) -> ir.Table:
    """D-P8: the service's children looked after at the period end, of compulsory school age then, whose latest
    education record by then says not in education."""
    rows = _service_children_aged(m, periods, 4, 16)
    rows = _latest_education(m, rows.filter(compulsory_school_age(rows.dob, rows.period_end)))
    return rows.filter((rows.in_education == "N").fill_null(False))


def _service_not_on_target(m: Model, periods: ir.Table) -> ir.Table:
    """D-P9: the service's children looked after at the period end, in reception to year 11 then (the PEP ages), whose
    latest education record by then says not on target with the PEP's attainment forecasts."""
    rows = _service_children_aged(m, periods, 3, 16)
    age = school_year_age(rows.dob, rows.period_end)
    rows = _latest_education(m, rows.filter((age >= 4) & (age <= 15)))
    return rows.filter((rows.on_target == "N").fill_null(False))


def _service_no_sdq(m: Model, periods: ir.Table) -> ir.Table:
    """D-P10: the service's children looked after at the period end, aged 4-16 then, with no SDQ completed in the 12
    months to it."""
    rows = _service_children_aged(m, periods, 4, 16)
    s = completed_sdqs(m)
    done = (s._spid == rows.person_id) & (s.sdq_date <= rows.period_end) & (s.sdq_date > months_before(rows.period_end, 12))
    return rows.join(s, done, how="anti")


def _service_no_social_worker(m: Model, periods: ir.Table) -> ir.Table:
    """D-P11: the service's children looked after at the period end with no allocation open then to a qualified social
    worker (as Model.allocations' social_worker) not known to have left."""
    rows = _service_children(m, periods)
    live = _live_allocations(m, rows)
    live = live.filter(live.social_worker).select(_pe="period_end", _pid="person_id").distinct()
    return rows.join(live, (rows.period_end == live._pe) & (rows.person_id == live._pid), how="anti")


def _service_care_leaver_rows(cohort, met=None):  # noqa: ANN001, ANN202 - a cohort
    """A care leaver (OC3) cohort for young people the permanency service is responsible for on their birthday (the
    row's ref_date); `met`, where given, is computed from the rows instead of the cohort's."""

    def scoped(m: Model, periods: ir.Table) -> ir.Table:
        rows = _held_by_service(m, cohort(m, periods), "ref_date")
        return rows.mutate(met=met(rows)) if met else rows

    return scoped


def _neet(rows: ir.Table) -> ir.BooleanValue:
    """Not in education, employment or training: an activity recorded that is not an EET code (none recorded is not
    known, so not NEET)."""
    return (rows.activity.notnull() & ~rows.activity.isin(EET)).fill_null(False)


def _not_in_touch(rows: ir.Table) -> ir.BooleanValue:
    return (rows.in_touch != "YES").fill_null(True)


def _service_pathway_plans_under_18(m: Model, periods: ir.Table) -> ir.Table:
    """D-L6: young people aged 16 or 17 at the period end, eligible care leavers (13 weeks looked after from 14), whom
    the permanency service is responsible for then; met when a pathway plan was reviewed in the 6 months to it."""
    el = eligible(m).select(_epid="person_id", dob="dob")
    rows = open_at_period_end(responsibility(m), periods, "r_start", "r_end")
    rows = rows.join(el, rows._rpid == el._epid)
    age = age_at(rows.dob, rows.period_end)
    rows = rows.filter((age >= 16) & (age <= 17))
    rows = rows.select("basis", "period_start", "period_end", "ref_date", person_id=rows._rpid).distinct()
    rows = with_latest_review(m, rows)
    since = months_before(rows.period_end, m.settings.pathway_plan_months)
    return rows.mutate(met=(rows.last_review >= since).fill_null(False))


def _service_staying_put(m: Model, periods: ir.Table) -> ir.Table:
    """D-L2: young people the permanency service is responsible for at some time in the period who are in a staying
    put arrangement (ext_staying_put) on any day of it, one row each."""
    s = m.table("ext_staying_put")
    s = s.filter(s.stpu_start_date.notnull()).select(person_id=s.stpu_person_id, sp_start=s.stpu_start_date, sp_end=s.stpu_end_date)
    j = s.join(periods, (s.sp_start <= periods.period_end) & (open_end(s.sp_end) >= periods.period_start))
    r = responsibility(m)
    j = j.join(r, (r._rpid == j.person_id) & (r.r_start <= j.period_end) & (open_end(r.r_end) > j.period_start), how="semi")
    g = j.group_by(["basis", "period_start", "period_end", "person_id"]).aggregate(ref_date=ibis.greatest(j.sp_start, j.period_start).min())
    return g


def _entered(m: Model, table: str) -> ir.Table:
    """Each record's first entry date (ext_record_entry) for one table."""
    e = m.table("ext_record_entry")
    e = e.filter(e.reen_table.lower() == table)
    return e.group_by(_rec=e.reen_record_id).aggregate(entered=e.reen_entered_date.min())


def _service_visits_recorded(m: Model, periods: ir.Table) -> ir.Table:
    """T4: statutory visits (ssd_cla_visits) in the period to children the permanency service was responsible for on
    the visit day, one row each; met when entered within 72 hours (dates only: by the third day after)."""
    v = m.table("ssd_cla_visits")
    v = v.filter(v.clav_cla_visit_date.notnull()).select(
        person_id=v.clav_person_id, visit_id=v.clav_cla_visit_id, visited=v.clav_cla_visit_date
    )
    rows = _held_by_service(m, events_in_period(v, periods, "visited"), "visited")
    e = _entered(m, "ssd_cla_visits")
    rows = rows.left_join(e, rows.visit_id == e._rec)
    return rows.mutate(met=(rows.entered <= as_date(rows.visited + ibis.interval(days=3))).fill_null(False))


def _placement_changes_recorded(days_allowed: int):  # noqa: ANN202 - a cohort
    """T5: in-house foster placements (ext_cla_placement_carer) starting in the period, one row each; met when the
    placement was entered within `days_allowed` days of its start (24 hours: by the next day; 72: by the third)."""

    def cohort(m: Model, periods: ir.Table) -> ir.Table:
        p = household_placements(m)
        rows = events_in_period(p.filter(p.pl_start.notnull()), periods, "pl_start")
        e = _entered(m, "ssd_cla_placement")
        rows = rows.left_join(e, rows.placement_id == e._rec)
        return rows.mutate(met=(rows.entered <= as_date(rows.pl_start + ibis.interval(days=days_allowed))).fill_null(False))

    return cohort


def _interventions_notified(m: Model, periods: ir.Table) -> ir.Table:
    """T7: physical interventions in the period with children the permanency service was responsible for on the day;
    met when the council was notified in writing by the first working day after."""
    t = m.table("ext_physical_intervention")
    t = t.filter(t.phin_incident_date.notnull()).select(
        person_id=t.phin_person_id, intervention_id=t.phin_intervention_id, happened=t.phin_incident_date, notified=t.phin_notified_date
    )
    rows = _held_by_service(m, events_in_period(t, periods, "happened"), "happened")
    rows = m.with_wd_due(rows, "happened", 1, "due")
    return rows.mutate(met=(rows.notified <= rows.due).fill_null(False))


LIST_MONTHS = 12  # exception lists of events not yet recorded or notified look back this far


def _outstanding(rows: ir.Table, done: ir.DateValue, due: ir.DateValue, period_end: dt.date) -> ir.Table:
    """Events dated in the LIST_MONTHS to the period end whose follow-up (`done`) had not happened by then, with `due`:
    overdue once the due day has passed, approaching until then."""
    end = ibis.literal(period_end)
    rows = rows.mutate(_due=due)
    rows = rows.filter((done.isnull() | (done > end)) & (rows.ref_date >= window_start(end, LIST_MONTHS)))
    return rows.mutate(_status=_due_status(rows._due, period_end))


def _visits_unrecorded_list(m: Model, period_end: dt.date) -> ir.Table:
    """T4: the service's children's visits not entered by the period end (due the third day after the visit)."""
    r = _service_visits_recorded(m, one_period(dt.date(1900, 1, 1), period_end))
    r = _outstanding(r, r.entered, as_date(r.visited + ibis.interval(days=3)), period_end)
    reason = ibis.literal("visit not yet entered in the case management system")
    return r.select(**exception_rows(r.person_id, r.visit_id, r.visited, r.visited, r._due, r._status, reason))


def _placements_unrecorded_list(m: Model, period_end: dt.date) -> ir.Table:
    """T5: in-house foster placements not entered by the period end (due the day after they started)."""
    r = _placement_changes_recorded(1)(m, one_period(dt.date(1900, 1, 1), period_end))
    r = _outstanding(r, r.entered, as_date(r.pl_start + ibis.interval(days=1)), period_end)
    reason = ibis.literal("placement not yet entered in the case management system")
    return r.select(**exception_rows(r.person_id, r.placement_id, r.pl_start, r.pl_start, r._due, r._status, reason))


def _interventions_unnotified_list(m: Model, period_end: dt.date) -> ir.Table:
    """T7: physical interventions with the service's children not notified to the council by the period end."""
    r = _interventions_notified(m, one_period(dt.date(1900, 1, 1), period_end))
    r = _outstanding(r, r.notified, r.due, period_end)
    reason = ibis.literal("physical intervention not yet notified to the council in writing")
    return r.select(**exception_rows(r.person_id, r.intervention_id, r.happened, r.happened, r._due, r._status, reason))


def _missed(rows: ir.Table, period_end: dt.date) -> ir.Table:
    """Events of the LIST_MONTHS to the period end that have not met their standard: done late, not yet done, or not
    as the standard asks, for the manager to follow up."""
    return rows.filter(~rows.met & (rows.ref_date >= window_start(ibis.literal(period_end), LIST_MONTHS)))


NOTICE_DAYS = 28  # T8: placements end on 28 days' notice, so moves are planned


def _moves_on_notice(m: Model, periods: ir.Table) -> ir.Table:
    """T8: in-house foster placements ending in the period with the child moving to another placement that day, one
    row each, less those recorded as moved without notice for a serious safeguarding or offending risk; met when notice
    was given at least 28 days before the move."""
    p = household_placements(m)
    nxt = m.placements.select(_npid="person_id", _nstart="pl_start")
    p = p.filter(p.pl_end.notnull())
    p = p.join(nxt, (nxt._npid == p.person_id) & (nxt._nstart == p.pl_end), how="semi")
    n = m.table("ext_placement_notice")
    n = n.select(_npl=n.plno_placement_id, notice=n.plno_notice_date, exempt=n.plno_exempt_reason)
    p = p.left_join(n, p.placement_id == n._npl)
    p = p.filter(p.exempt.isnull() | (p.exempt.strip() == ""))
    rows = events_in_period(p, periods, "pl_end")
    due = as_date(rows.pl_end - ibis.interval(days=NOTICE_DAYS))
    return rows.mutate(met=(rows.notice <= due).fill_null(False))


def _moves_without_notice_list(m: Model, period_end: dt.date) -> ir.Table:
    """T8: moves from in-house foster placements in the last 12 months made without 28 days' notice."""
    r = _missed(_moves_on_notice(m, one_period(dt.date(1900, 1, 1), period_end)), period_end)
    due = as_date(r.pl_end - ibis.interval(days=NOTICE_DAYS))
    reason = ibis.literal("moved without 28 days' notice")
    return r.select(**exception_rows(r.person_id, r.placement_id, r.pl_start, r.pl_end, due, ibis.literal("overdue"), reason))


def _results(stage: str):  # noqa: ANN202 - a cohort
    """D-F24: key stage results (ext_cla_attainment) dated in the period of children looked after on the results day
    whose period of care had lasted 12 months by then (the national outcomes cohort's 12 months), one row each, with
    `met` (KS2: expected standard in reading, writing and maths) and `value` (KS4: Progress 8)."""

    def cohort(m: Model, periods: ir.Table) -> ir.Table:
        a = m.table("ext_cla_attainment")
        a = a.filter((a.clat_key_stage.upper() == stage) & a.clat_result_date.notnull())
        a = a.select(person_id=a.clat_person_id, result=a.clat_result_date, rwm=a.clat_ks2_expected_rwm, p8=a.clat_progress8)
        recorded = a.rwm.upper().isin(["Y", "N"]) if stage == "KS2" else a.p8.notnull()
        a = a.filter(recorded)
        p = cla_periods(m).select(_cpid="person_id", _start="cla_start", _end="poc_end")
        in_care = (p._cpid == a.person_id) & (p._start <= months_before(a.result, 12)) & (open_end(p._end) > a.result)
        rows = events_in_period(a.join(p, in_care, how="semi"), periods, "result")
        return rows.mutate(met=rows.rwm.upper() == "Y", value=rows.p8)

    return cohort


def _service_pathway_plan_by_15(m: Model, periods: ir.Table) -> ir.Table:
    """T13: the service's children looked after on their 15th birthday, the birthday in the period; met when a pathway
    plan is recorded (pathway_plan_reviews: ext_pathway_plan or ssd_care_leavers) on or before it."""
    p = m.person.filter(lambda t: t.dob.notnull())
    p = p.select("person_id", birthday=_birthday(p.dob, 15))
    rows = events_in_period(p, periods, "birthday")
    e = m.episodes.filter(not_short_break(m.episodes.legal_status))
    rows = rows.join(e, (e.person_id == rows.person_id) & (e.ep_start <= rows.birthday) & (open_end(e.ep_end) > rows.birthday), how="semi")
    rows = _held_by_service(m, rows, "birthday")
    c = pathway_plan_reviews(m).select(_cpid="_rp", _plan="_review")
    j = rows.left_join(c, (c._cpid == rows.person_id) & (c._plan <= rows.birthday))
    return j.group_by(["basis", "period_start", "period_end", "person_id", "ref_date"]).aggregate(met=j._plan.notnull().any())


def _service_visits_seen_alone(m: Model, periods: ir.Table) -> ir.Table:
    """T15: statutory visits in the period at which the child was seen, to children the permanency service was
    responsible for on the visit date, one row per visit; met when the child was seen alone."""
    v = m.table("ssd_cla_visits")
    v = v.filter((v.clav_cla_visit_seen.upper() == "Y") & v.clav_cla_visit_date.notnull())
    v = v.select(person_id=v.clav_person_id, visit_id=v.clav_cla_visit_id, visited=v.clav_cla_visit_date, alone=v.clav_cla_visit_seen_alone)
    rows = _held_by_service(m, events_in_period(v, periods, "visited"), "visited")
    return rows.mutate(met=(rows.alone.upper() == "Y").fill_null(False))


def _no_pathway_plan_by_15_list(m: Model, period_end: dt.date) -> ir.Table:
    """T13: the service's children who turned 15 in the last 12 months, looked after, with no pathway plan by then."""
    r = _missed(_service_pathway_plan_by_15(m, one_period(dt.date(1900, 1, 1), period_end)), period_end)
    reason = ibis.literal("no pathway plan by the 15th birthday")
    status = ibis.literal("overdue")
    return r.select(**exception_rows(r.person_id, r.person_id, r.ref_date, r.ref_date, r.ref_date, status, reason))


def _not_seen_alone_list(m: Model, period_end: dt.date) -> ir.Table:
    """T15: visits to the service's children in the last 12 months at which the child was seen, but not alone."""
    r = _missed(_service_visits_seen_alone(m, one_period(dt.date(1900, 1, 1), period_end)), period_end)
    reason = ibis.literal("seen at the visit, but not alone")
    status = ibis.literal("overdue")
    return r.select(**exception_rows(r.person_id, r.visit_id, r.visited, r.visited, r.visited, status, reason))


# --- standard T14: health assessments, dental checks and SDQs (D-P6, D-P7, D-P10) --------------------------------

SDQ_FROM_AGE = 4  # D-P10's ages begin at 4 (the national SDQ ages, 4-16)


def _care_start(m: Model, rows: ir.Table) -> ir.Table:
    """Add `care_start`: the start of the period of care open at each row's period end."""
    p = m.periods_of_care
    p = p.filter(~p.short_breaks_only).select(_cpid="person_id", care_start="poc_start", _cend="poc_end")
    open_then = (p._cpid == rows.person_id) & (p.care_start <= rows.period_end) & (open_end(p._cend) > rows.period_end)
    return rows.join(p, open_then).drop("_cpid", "_cend")


def _check_rows(rows: ir.Table, check: str, done: ir.Table, six_monthly: ir.BooleanValue, eligible: ir.DateValue) -> ir.Table:
    """One row per child outstanding for a check: `last` (the latest done, `done`'s _pid and _date, by the period end,
    at any time), `due` (the last day the next one was in time: the day before 12 months, or 6 when `six_monthly`,
    after the last; with none recorded, the day the child became `eligible`) and `care_start`."""
    keys = ["basis", "period_start", "period_end", "person_id", "ref_date", "dob", "care_start"]
    rows = _last_before(done, "_pid", "_date", rows.select(*keys, _six=six_monthly, _eligible=eligible), "person_id")
    next_one = ibis.cases((rows._six, months_after(rows.last, 6)), else_=months_after(rows.last, 12))
    due = ibis.coalesce(as_date(next_one - ibis.interval(days=1)), rows._eligible)
    return rows.mutate(check=ibis.literal(check), due=due).drop("_six", "_eligible")


def _health_checks_outstanding(m: Model, periods: ir.Table) -> ir.Table:
    """T14: the rows of D-P6, D-P7 and D-P10 (the service's children without a health assessment, dental check or SDQ
    in the 12 months to the period end, by those measures' own rules), one per child and check."""
    checks = health_checks(m)
    health = _care_start(m, _for_service(health_assessment, missing=True)(m, periods).filter(lambda t: t.met))
    under5 = age_at(health.dob, health.period_end) < 5
    health = _check_rows(
        health,
        "health assessment",
        checks.filter(checks.check_type.isin(["IHA", "RHA"])).select(_pid="h_person", _date="check_date"),
        under5,  # two a year, six months apart (D-P6's rule for children under 5)
        health.care_start,
    )
    dental = _care_start(m, _no_dental_3_to_17(m, periods).filter(lambda t: t.met))
    dental = _check_rows(
        dental,
        "dental check",
        checks.filter(checks.check_type == "DENTAL").select(_pid="h_person", _date="check_date"),
        ibis.literal(False),
        dental.care_start,
    )
    sdq = _care_start(m, _service_no_sdq(m, periods))
    sdq = _check_rows(
        sdq,
        "SDQ",
        completed_sdqs(m).select(_pid="_spid", _date="sdq_date"),
        ibis.literal(False),
        ibis.greatest(sdq.care_start, _birthday(sdq.dob, SDQ_FROM_AGE)),
    )
    return health.union(dental).union(sdq)


def _health_checks_list(m: Model, period_end: dt.date) -> ir.Table:
    """T14: the service's children outstanding for a health assessment, dental check or SDQ at the period end, one row
    per child and check: which, the last one done, and the day it fell due."""
    r = _health_checks_outstanding(m, one_period(period_end, period_end))
    last = ibis.coalesce(ibis.literal(", last ") + r.last.cast("string"), ibis.literal(", none recorded"))
    reason = r.check + last
    return r.select(**exception_rows(r.person_id, r.check, r.care_start, r.last, r.due, _due_status(r.due, period_end), reason))


def _entry(**kw: object) -> Indicator:
    kw.setdefault("source", SOURCE)
    return Indicator(area="P", **kw)  # type: ignore[arg-type]


def _unit_entry(**kw: object) -> Indicator:
    return _entry(breakdowns=UNIT_BREAKDOWNS, **kw)


MONTH_YTD = ("month", "ytd")
QUARTERLY = ("month", "quarter", "ytd", "rolling12")  # spec S12: counted per quarter
TURNOVER = (
    ("staff", "the permanency service's staff", None, "S20, D-G1"),
    ("social_worker", "the permanency service's social workers", ("SOCIAL_WORKER",), "D-G2"),
    ("support_worker", "the permanency service's support workers", ("SUPPORT_WORKER",), "D-G3"),
)
SPLITS = (("", "", None), ("_voluntary", " (voluntary)", ("VOLUNTARY",)), ("_non_voluntary", " (non-voluntary)", ("NON_VOLUNTARY",)))


def _turnover_entries() -> list[Indicator]:
    out = []
    for key, who, roles, spec in TURNOVER:
        for suffix, label, reasons in SPLITS:
            out.append(
                _unit_entry(
                    id=f"perm_{key}_turnover{suffix}_pct",
                    name=f"Annual turnover of {who}{label}",
                    unit="percent",
                    polarity="low",
                    measure=ratio(_turnover(roles, reasons)),
                    bases=("rolling12",),
                    rag_basis="rolling12",
                    variant_of=None if not suffix else f"perm_{key}_turnover_pct",
                    numerator=f"Leavers{label} in the 12 months (ext_service_staff end date in the window)",
                    denominator="Headcount over the 12 months: everyone in post at some time in them",
                    rule=f"Leavers{label} among {who} in the 12 months to the period end, as a percentage of everyone in "
                    "post at some time in the 12 months (a person, not FTE). Staff are ext_service_staff rows of "
                    "service PERMANENCY"
                    + (f" with role {'/'.join(roles)}" if roles else "")
                    + (f"; leavers with reason {'/'.join(reasons)}" if reasons else "")
                    + ".",
                    notes=f"Spec {spec}{' (D-G*: the voluntary / non-voluntary split)' if suffix else ''}. The spec gives no "
                    "formula. Leavers over average headcount can pass 100 % in a small team, which a percentage cannot "
                    "(the results contract), so the denominator is everyone in post during the 12 months.",
                )
            )
    return out


def _flow_entry(spec: str, **kw: object) -> Indicator:
    """A flow counted year to date (C-1: flows with no basis stated are year to date)."""
    kw.setdefault("bases", MONTH_YTD)
    kw.setdefault("rag_basis", "ytd")
    kw["notes"] = f"Spec {spec}. " + str(kw.get("notes", ""))
    return _entry(**kw)


def _stock_entry(spec: str, **kw: object) -> Indicator:
    kw.setdefault("snapshot", True)
    kw["notes"] = f"Spec {spec}. " + str(kw.get("notes", ""))
    return _entry(**kw)


PRACTICE = [
    _stock_entry(
        "D-F15, standard T11",
        id="perm_carers_no_annual_review",
        name="Foster carers without an annual review in the last 12 months",
        unit="count",
        polarity="low",
        breakdowns=UNIT_BREAKDOWNS,
        measure=count(_carers_without_review),
        exceptions=_carer_list("ext_fostering_review", "fore_review_date", _review_due, "review"),
        rule="Fostering households approved at the month end whose last annual review (ext_fostering_review), or approval "
        "if none, was more than 12 months before it (setting carer_review_months).",
        notes="Counted per household (reviews are of the household's approval). The spec labels it YTD; the 12-month "
        "look-back is read at the month end. Exceptions: overdue households and those due within 14 days.",
    ),
    _stock_entry(
        "D-F16, standard T12",
        id="perm_carers_not_visited_6_weeks",
        name="Foster carers not visited in the last 6 weeks",
        unit="count",
        polarity="low",
        breakdowns=UNIT_BREAKDOWNS,
        measure=count(_carers_not_visited),
        exceptions=_carer_list("ext_fostering_visit", "fovi_visit_date", _visit_due, "supervisory visit"),
        rule="Fostering households approved at the month end whose last supervisory visit (ext_fostering_visit), or "
        "approval if none, was more than 42 days before it (setting carer_visit_days).",
        notes="Exceptions: overdue households and those due within 14 days.",
    ),
    _stock_entry(
        "standard T10",
        id="perm_adopters_no_placement_1_year",
        name="Approved adopters waiting a year or more with no child placed",
        unit="count",
        polarity="low",
        breakdowns=UNIT_BREAKDOWNS,
        measure=count(_adopters_no_placement),
        exceptions=_adopters_no_placement_list,
        rule="The service's adopters approved at least 12 months before the month end (setting adopter_wait_months), "
        "not ended, with no child placed with them by then.",
        notes="A manager reviews each (T10). Exceptions: those past the year (overdue) or reaching it within a month.",
    ),
    _flow_entry(
        "standard T2",
        id="perm_fgc_plans_5wd_pct",
        name="Family group conference plans circulated within 5 working days",
        unit="percent",
        polarity="high",
        measure=share(_fgc_plans),
        exceptions=_fgc_plans_list,
        numerator="Conferences whose family plan was circulated by the 5th working day after the conference",
        denominator="Family group conferences held in the period",
        rule="Of family group conferences held in the period, those whose plan was circulated within 5 working days "
        "(setting fgc_plan_wd; England and Wales bank holidays).",
        notes="Exceptions: conferences whose plan is not circulated, past or within 14 days of its due day.",
    ),
    _flow_entry(
        "standard T6",
        id="perm_allegations_notified_72h_pct",
        name="Allegations notified to the council within 72 hours",
        unit="percent",
        polarity="high",
        breakdowns=UNIT_BREAKDOWNS,
        measure=share(_allegations_notified),
        exceptions=_allegations_unnotified_list,
        numerator="Allegations notified to the council by the third day after they were received",
        denominator="Allegations against foster carers received in the period",
        rule="Of allegations (ext_fostering_allegation) received in the period, those notified to the council "
        "(foal_council_notified_date) within 72 hours, read from dates as on or before the third day after.",
        notes="The model holds dates, not times: 72 hours is taken as 3 calendar days. Exceptions: allegations of the "
        "last 12 months not notified within 72 hours, by household.",
    ),
    _flow_entry(
        "standard T9",
        id="perm_adopter_enquiries_same_day_pct",
        name="Adopter enquiries responded to the same day",
        unit="percent",
        polarity="high",
        breakdowns=UNIT_BREAKDOWNS,
        measure=share(_enquiries_same_day),
        exceptions=_enquiries_unanswered_list,
        numerator="Enquiries responded to on the day they were made",
        denominator="The service's adopter enquiries (registrations of interest) in the period",
        rule="Of the service's adopter registrations of interest in the period (ext_adopter agency OWN), those with "
        "adop_enquiry_response_date on or before the registration date.",
        notes="Exceptions: the service's enquiries of the last 12 months not responded to the same day.",
    ),
    _entry(
        id="perm_cla_volume_trigger",
        name="Month ends (of the last two) with children in care at the trigger",
        unit="count",
        polarity="low",
        snapshot=True,
        breakdowns=UNIT_BREAKDOWNS,
        measure=count(_cla_volume, where_met=True),
        rule="Of the month end and the month end before it, how many had at least 365 children looked after (short "
        "breaks aside; setting cla_volume_trigger). 2 means the trigger for a report is met.",
        notes="Standard T19. The spec says both 'above 365' and '365 or above', and both one and two months; this takes "
        "365 or above for two month ends running. The council monitors weekly; month ends are what the warehouse holds.",
    ),
    _flow_entry(
        "standard T1",
        id="perm_service_iha_20wd_pct",
        name="The service's children's initial health assessments within 20 working days",
        unit="percent",
        polarity="high",
        measure=share(_for_service(_iha_cohort, on="ref_date")),
        exceptions=_service_list(_iha_outstanding),
        variant_of="cla_iha_20wd_pct",
        numerator="Initial health assessments completed within 20 working days of the child becoming looked after",
        denominator="Periods of care whose 20th working day fell in the period, for children the permanency service was "
        "responsible for on that day",
        rule="cla_iha_20wd_pct (same cohort and rule) scoped to children with a PERMANENCY responsibility "
        "(ext_service_responsibility) open on the day the assessment fell due.",
        notes="Monitored as part of the contract (T1): the service's children when the assessment was due. Exceptions: "
        "the service's children without an initial health assessment, overdue or due within 5 working days.",
    ),
    _flow_entry(
        "standard T4",
        id="perm_service_visits_recorded_72h_pct",
        name="Visits to the service's children recorded within 72 hours",
        unit="percent",
        polarity="high",
        measure=share(_service_visits_recorded),
        exceptions=_visits_unrecorded_list,
        numerator="Visits entered in the case management system (ext_record_entry) by the third day after the visit",
        denominator="Statutory visits in the period (ssd_cla_visits) to children the permanency service was responsible for on the day",
        rule="Of statutory visit records dated in the period for children with a PERMANENCY responsibility open on the "
        "visit day, those entered (ext_record_entry, table ssd_cla_visits) within 72 hours, read from dates as on or "
        "before the third day after the visit. No entry recorded is not in time.",
        notes="Recording timeliness (spec): other events within 72 hours. Dates, not times, are held. Exceptions: the "
        "service's children's visits of the last 12 months not entered by the period end.",
    ),
    _flow_entry(
        "standard T5",
        id="perm_placement_changes_recorded_24h_pct",
        name="In-house placement changes recorded within 24 hours",
        unit="percent",
        polarity="high",
        measure=share(_placement_changes_recorded(1)),
        exceptions=_placements_unrecorded_list,
        numerator="Placements entered in the case management system (ext_record_entry) by the day after they started",
        denominator="In-house foster placements (ext_cla_placement_carer) starting in the period",
        rule="Of in-house foster placements starting in the period, those entered (ext_record_entry, table "
        "ssd_cla_placement) within 24 hours, read from dates as on or before the day after the start.",
        notes="Recording timeliness (spec): placement changes within 24 hours, 72 in exceptional circumstances "
        "(perm_placement_changes_recorded_72h_pct). The service's placements are those with its households. "
        "Exceptions: placements of the last 12 months not entered by the period end.",
    ),
    _flow_entry(
        "standard T5",
        id="perm_placement_changes_recorded_72h_pct",
        name="In-house placement changes recorded within 72 hours",
        unit="percent",
        polarity="high",
        measure=share(_placement_changes_recorded(3)),
        variant_of="perm_placement_changes_recorded_24h_pct",
        numerator="Placements entered by the third day after they started",
        denominator="In-house foster placements (ext_cla_placement_carer) starting in the period",
        rule="As perm_placement_changes_recorded_24h_pct within the exceptional limit of 72 hours (by the third day after the start).",
    ),
    _flow_entry(
        "standard T7",
        id="perm_physical_interventions_notified_pct",
        name="Physical interventions notified to the council by the next working day",
        unit="percent",
        polarity="high",
        measure=share(_interventions_notified),
        exceptions=_interventions_unnotified_list,
        numerator="Interventions notified in writing by the first working day after",
        denominator="Physical interventions (ext_physical_intervention) in the period with children the permanency "
        "service was responsible for on the day",
        rule="Of physical interventions in the period with the service's children, those notified to the council in "
        "writing (phin_notified_date) on or before the first working day after the intervention (England and Wales bank "
        "holidays).",
        notes="Exceptions: interventions of the last 12 months not notified by the period end.",
    ),
    _flow_entry(
        "standard T8",
        id="perm_moves_on_28_days_notice_pct",
        name="Moves from in-house foster placements made on 28 days' notice",
        unit="percent",
        polarity="high",
        measure=share(_moves_on_notice),
        exceptions=_moves_without_notice_list,
        numerator="Moves with notice (ext_placement_notice) given at least 28 days before",
        denominator="In-house foster placements ending in the period with a move to another placement that day, less "
        "moves without notice for a serious safeguarding or offending risk",
        rule="Of in-house foster placements (ext_cla_placement_carer) ending in the period where the child's next "
        "placement starts the same day, leaving out those recorded as exempt (plno_exempt_reason), those whose notice "
        "date is at least 28 days before the move. No notice recorded is not in time.",
        notes="Exceptions: moves of the last 12 months without 28 days' notice.",
    ),
    _flow_entry(
        "standard T13",
        id="perm_service_pathway_plan_by_15_pct",
        name="The service's children with a pathway plan by the age of 15",
        unit="percent",
        polarity="high",
        measure=share(_service_pathway_plan_by_15),
        exceptions=_no_pathway_plan_by_15_list,
        numerator="Of them, those with a pathway plan recorded (ext_pathway_plan, or ssd_care_leavers) on or before the birthday",
        denominator="Children looked after on their 15th birthday, in the period, whom the permanency service was responsible for on it",
        rule="Children whose 15th birthday (28 February for those born on 29 February, in other years) falls in the "
        "period, looked after then (short breaks aside) with a PERMANENCY responsibility open; met when a pathway plan is "
        "dated on or before the birthday.",
        notes="'By the age of 15, assuming they are looked after at this point' (T13), as written. Exceptions: the "
        "service's children who turned 15 in the last 12 months without a pathway plan by then.",
    ),
    _flow_entry(
        "standard T15",
        id="perm_service_visits_seen_alone_pct",
        name="Visits to the service's children at which the child was seen alone",
        unit="percent",
        polarity="high",
        measure=share(_service_visits_seen_alone),
        exceptions=_not_seen_alone_list,
        numerator="Visits at which the child was seen alone (clav_cla_visit_seen_alone = Y)",
        denominator="Statutory visits in the period at which the child was seen, to children the permanency service was "
        "responsible for on the visit day",
        rule="Of statutory visits (ssd_cla_visits, child seen) in the period to children with a PERMANENCY "
        "responsibility open on the visit day, those at which the child was seen alone.",
        notes="T15's other half, visits in timescale, is perm_service_visits_overdue_pct (D-P4). Exceptions: visits of "
        "the last 12 months at which the child was seen, but not alone.",
    ),
    _stock_entry(
        "standard T14 (D-P6, D-P7, D-P10)",
        id="perm_service_health_checks_outstanding",
        name="The service's children without a health assessment, dental check or SDQ in timescale",
        unit="count",
        polarity="low",
        measure=count(_health_checks_outstanding, distinct_children=True),
        exceptions=_health_checks_list,
        rule="Children counted at the month end by any of perm_service_no_health_assessment, "
        "perm_service_no_dental_check and perm_service_no_sdq (each by its own rule), once each.",
        notes="T14 asks for health assessments, dental checks and SDQs 'at least in line with statutory requirements': "
        "its measures are D-P6, D-P7 and D-P10, and this is the child count behind its exception list. Exceptions: a "
        "row per child and check outstanding, with the last one done and the day the next was due (the day before 12 "
        "months after it, 6 for health assessments under 5; with none recorded, the start of the period of care, or "
        "the 4th birthday if later for an SDQ): overdue once that day has passed, approaching until then.",
    ),
]

DETAILED = [
    _flow_entry(
        "D-F3",
        id="perm_fostering_enquiries",
        name="Fostering enquiries received",
        unit="count",
        polarity="high",
        breakdowns=UNIT_BREAKDOWNS,
        measure=count(_table_flow("ext_fostering_enquiry", "foen_enquiry_id", "foen_enquiry_date")),
        rule="Fostering enquiries (ext_fostering_enquiry) received in the period.",
    ),
    _stock_entry(
        "D-F4",
        id="perm_fostering_assessments_open",
        name="Fostering assessments in progress",
        unit="count",
        polarity="neutral",
        breakdowns=UNIT_BREAKDOWNS,
        measure=count(_table_stock("ext_fostering_enquiry", "foen_enquiry_id", "foen_assessment_start_date", "foen_assessment_end_date")),
        rule="Fostering assessments (stage 1 or 2) started by the month end and not concluded by then.",
    ),
    _flow_entry(
        "D-F7",
        id="perm_fostering_places_new",
        name="New foster places approved",
        unit="count",
        polarity="high",
        breakdowns=UNIT_BREAKDOWNS,
        measure=total(_places_approved),
        rule="Places in blocks (ext_fostering_places) approved in the period.",
    ),
    _flow_entry(
        "D-F8",
        id="perm_fostering_places_terminated",
        name="Approved foster places terminated",
        unit="count",
        polarity="low",
        breakdowns=UNIT_BREAKDOWNS,
        measure=total(_places_terminated),
        rule="Places in blocks (ext_fostering_places) terminated (ended) in the period.",
    ),
    _flow_entry(
        "D-F10",
        id="perm_new_households_bme_pct",
        name="New fostering households from black and minority ethnic communities",
        unit="percent",
        polarity="high",
        breakdowns=UNIT_BREAKDOWNS,
        measure=share(_new_households_bme),
        numerator="New households whose main carer's ethnicity is recorded and not white British",
        denominator="General (not connected-person) fostering households approved in the period",
        rule="Of general fostering households approved in the period, those whose main carer is black or minority "
        "ethnic (any recorded ethnicity other than WBRI; REFU/NOBT are not BME).",
        notes="'New' is approved in the period (inferred in the spec); connected-person households are family and "
        "friends, not recruited, so left out.",
    ),
    _stock_entry(
        "D-F12",
        id="perm_fostering_households_by_approval",
        name="Fostering households by approval type",
        unit="count",
        polarity="neutral",
        breakdowns=("la", "approval_type"),
        measure=count(_approval_types_open, distinct_children=True),
        variant_of="perm_fostering_households",
        rule="Households holding each approval type (ext_fostering_approval: PERMANENT, SHORT_TERM, EMERGENCY, "
        "FAMILY_FRIEND, PARENT_CHILD, REMAND, SHORT_BREAK, SUPPORTED_LODGINGS) at the month end; the la figure counts "
        "households holding any.",
        notes="A household can hold several types, so the types need not sum to the households (C-10).",
    ),
    _flow_entry(
        "D-F13",
        id="perm_sibling_groups_together_pct",
        name="Sibling groups placed together",
        unit="percent",
        polarity="high",
        breakdowns=UNIT_BREAKDOWNS,
        measure=share(_siblings),
        numerator="Sibling groups all of whose placed members were placed together",
        denominator="Sibling groups placed in the period (by the first member's placement date)",
        rule="Of sibling groups (ext_sibling_group) first placed in the period, those where every member placed was "
        "placed together (sibg_placed_together = Y).",
        notes="'Placed together' means all members together (the spec leaves it open).",
    ),
    _flow_entry(
        "D-F14",
        id="perm_siblings_apart_resources",
        name="Siblings placed apart for lack of resources",
        unit="count",
        polarity="low",
        measure=count(_siblings_apart_resources, distinct_children=True),
        rule="Children (not groups) placed in the period apart from their siblings with the reason RESOURCE_SHORTFALL.",
    ),
    _flow_entry(
        "D-F17",
        id="perm_fostering_complaints",
        name="Complaints received",
        unit="count",
        polarity="neutral",
        breakdowns=UNIT_BREAKDOWNS,
        measure=count(_table_flow("ext_fostering_complaint", "foco_complaint_id", "foco_complaint_date")),
        rule="Complaints about the fostering service (ext_fostering_complaint) received in the period.",
    ),
    _flow_entry(
        "D-F18",
        id="perm_fostering_allegations",
        name="Allegations against foster carers",
        unit="count",
        polarity="neutral",
        breakdowns=UNIT_BREAKDOWNS,
        measure=count(_table_flow("ext_fostering_allegation", "foal_allegation_id", "foal_allegation_date")),
        rule="Allegations against foster carers (ext_fostering_allegation) received in the period.",
    ),
    _flow_entry(
        "D-F19",
        id="perm_unplanned_endings_carer_request",
        name="Unplanned endings of placements at the foster carer's request",
        unit="count",
        polarity="low",
        measure=count(_unplanned_endings(carer_request=True)),
        rule="In-house foster placements (ext_cla_placement_carer) ending unplanned (plca_placement_unplanned = Y) in "
        "the period with the 903 reason for the change CREQB or CREQO (carer's request).",
    ),
    _flow_entry(
        "D-F20",
        id="perm_unplanned_endings_other",
        name="Unplanned endings of placements for other reasons",
        unit="count",
        polarity="low",
        measure=count(_unplanned_endings(carer_request=False)),
        variant_of="perm_unplanned_endings_carer_request",
        rule="As perm_unplanned_endings_carer_request, for any reason other than the carer's request.",
    ),
    _flow_entry(
        "D-FP1",
        id="perm_households_approved",
        name="New fostering households approved",
        unit="count",
        polarity="high",
        breakdowns=UNIT_BREAKDOWNS,
        measure=count(_hh_flow("approved")),
        rule="Fostering households (ext_fostering_household) first approved in the period.",
    ),
    _flow_entry(
        "D-FP2",
        id="perm_panel_reviews",
        name="Foster carer reviews heard by panel",
        unit="count",
        polarity="neutral",
        breakdowns=UNIT_BREAKDOWNS,
        measure=count(_panel("REVIEW")),
        rule="Fostering panel items of type REVIEW (ext_fostering_panel) heard in the period.",
    ),
    _flow_entry(
        "D-FP3",
        id="perm_adm_differs_from_panel",
        name="ADM decisions differing from the fostering panel's recommendation",
        unit="count",
        polarity="low",
        breakdowns=UNIT_BREAKDOWNS,
        measure=count(_adm_differs),
        rule="Fostering panel items whose agency decision maker's decision, made in the period, differs from the "
        "panel's recommendation (both recorded, compared as codes).",
    ),
    _flow_entry(
        "D-FP4",
        id="perm_panel_permanent_matches",
        name="Panel recommendations to match a child permanently to their placement",
        unit="count",
        polarity="high",
        breakdowns=UNIT_BREAKDOWNS,
        measure=count(_panel("PERMANENT_MATCH")),
        rule="Fostering panel items of type PERMANENT_MATCH heard in the period.",
    ),
    _stock_entry(
        "D-PF1",
        id="perm_private_fostering_open",
        name="Children living in private fostering arrangements",
        unit="count",
        polarity="neutral",
        measure=count(
            _table_stock("ext_private_fostering", "prfo_person_id", "prfo_arrangement_start_date", "prfo_arrangement_end_date", unit=False),
            distinct_children=True,
        ),
        rule="Children in a private fostering arrangement (ext_private_fostering) that began by the month end and had not ended by then.",
    ),
    _flow_entry(
        "D-PF2",
        id="perm_private_fostering_notifications",
        name="Private fostering referrals received",
        unit="count",
        polarity="neutral",
        measure=count(_table_flow("ext_private_fostering", "prfo_person_id", "prfo_notification_date", unit=False)),
        rule="Private fostering notifications (referrals) received in the period.",
    ),
    _flow_entry(
        "D-PF3, D-PF4",
        id="perm_private_fostering_in_time_pct",
        name="Private fostering assessments within timescale",
        unit="percent",
        polarity="high",
        measure=share(_private_fostering_visits),
        numerator="Assessments where the child was visited within 7 working days of the notification (D-PF3)",
        denominator="Private fostering assessments completed in the period",
        rule="Of private fostering assessments completed in the period, those whose first visit was within 7 working "
        "days of the notification (setting private_fostering_visit_wd).",
        notes="The spec sets no timescale (C-9: a visit within 7 working days, configurable). D-PF3 is this figure's numerator.",
    ),
    _flow_entry(
        "D-A1",
        id="perm_adopter_registrations",
        name="Adopter registrations (enquiries)",
        unit="count",
        polarity="high",
        breakdowns=UNIT_BREAKDOWNS,
        measure=count(
            _table_flow("ext_adopter", "adop_adopter_id", "adop_registration_date", where=lambda t: t.adop_agency.upper() == "OWN")
        ),
        rule="The service's adopter registrations of interest (ext_adopter agency OWN) in the period.",
    ),
    _stock_entry(
        "D-A2",
        id="perm_adopters_approved_open",
        name="Approved adopters",
        unit="count",
        polarity="high",
        breakdowns=UNIT_BREAKDOWNS,
        measure=count(_adopters_in("approved")),
        rule="The service's adoptive households approved by the month end and not ended then.",
    ),
    _flow_entry(
        "D-A3",
        id="perm_new_adopters_bme_pct",
        name="New adopters from black and minority ethnic communities",
        unit="percent",
        polarity="high",
        breakdowns=UNIT_BREAKDOWNS,
        measure=share(_new_adopters_bme),
        numerator="New adoptive households whose first applicant is black or minority ethnic",
        denominator="The service's adoptive households approved in the period",
        rule="Of the service's adopters approved in the period, those whose first applicant's recorded ethnicity is "
        "not white British (REFU/NOBT are not BME).",
    ),
    _stock_entry(
        "D-A4",
        id="perm_adopters_matched",
        name="Adoptive families matched, child not yet placed",
        unit="count",
        polarity="neutral",
        breakdowns=UNIT_BREAKDOWNS,
        measure=count(_adopter_matches("matched")),
        rule="The service's adopters with a match made by the month end, not disrupted, the child not yet placed.",
    ),
    _stock_entry(
        "D-A5",
        id="perm_adopters_with_child_placed",
        name="Adoptive families with a child placed, not yet adopted",
        unit="count",
        polarity="neutral",
        breakdowns=UNIT_BREAKDOWNS,
        measure=count(_adopter_matches("placed")),
        rule="The service's adopters with a child placed by the month end, not disrupted, no adoption order yet.",
    ),
    _stock_entry(
        "D-A7",
        id="perm_prospective_adopters",
        name="Prospective adopters not yet approved",
        unit="count",
        polarity="neutral",
        breakdowns=UNIT_BREAKDOWNS,
        measure=count(_adopters_in("assessing")),
        rule="The service's adoptive households registered by the month end, not approved by then and not ended.",
    ),
    _flow_entry(
        "D-A9",
        id="perm_adoption_plan_changed",
        name="Children whose permanence decision changed away from adoption",
        unit="count",
        polarity="low",
        measure=count(_permanence_events("perm_decision_reversed_date"), distinct_children=True),
        rule="Children with a decision that they should no longer be placed for adoption (ssd_permanence."
        "perm_decision_reversed_date) in the period.",
    ),
    _flow_entry(
        "D-A13",
        id="perm_adm_adoption_decisions",
        name="Agency decisions that adoption is in the child's best interests",
        unit="count",
        polarity="neutral",
        measure=count(_permanence_events("perm_adm_decision_date"), distinct_children=True),
        rule="Children with an ADM decision that they should be placed for adoption (ssd_permanence.perm_adm_decision_date) in the period.",
    ),
    _flow_entry(
        "D-A14",
        id="perm_inter_agency_placements",
        name="Inter-agency adoption placements",
        unit="count",
        polarity="neutral",
        breakdowns=UNIT_BREAKDOWNS,
        measure=count(_inter_agency),
        rule="Placements for adoption in the period across agencies, both ways: the authority's children placed with "
        "another agency's adopters, and other authorities' children placed with the service's adopters.",
        notes="The spec leaves the direction open; both are counted (fees run both ways).",
    ),
    _stock_entry(
        "D-A15",
        id="perm_adopters_matched_other_la",
        name="The service's adopters matched with another authority's child",
        unit="count",
        polarity="neutral",
        breakdowns=UNIT_BREAKDOWNS,
        measure=count(_adopter_matches("other_la")),
        rule="The service's adopters with a live match (made by the month end, not disrupted, not yet adopted) to a "
        "child of another authority (adma_child_la_code not the authority's).",
    ),
    _flow_entry(
        "D-A16",
        id="perm_hard_to_place_adopted",
        name="Adoptions of children defined as hard to place",
        unit="count",
        polarity="high",
        measure=count(_hard_to_place_adopted),
        variant_of="perm_adopted",
        rule="Adoptions in the period (as perm_adopted) of children aged 5 or more at the order, or in a sibling group "
        "(ext_sibling_group, or ssd_permanence part of a sibling group), or disabled, or black and minority ethnic.",
        notes="The criteria are OR-ed (inferred in the spec).",
    ),
    _stock_entry(
        "D-A17",
        id="perm_hard_to_place_waiting",
        name="Children defined as hard to place waiting to be placed",
        unit="count",
        polarity="low",
        measure=count(_hard_to_place_waiting, distinct_children=True),
        variant_of="perm_placement_order_not_placed",
        rule="Children waiting (as perm_placement_order_not_placed) who are hard to place (as perm_hard_to_place_adopted, "
        "age at the month end).",
    ),
    _flow_entry(
        "D-A18",
        id="perm_adoption_disruptions",
        name="Adoption disruptions",
        unit="count",
        polarity="low",
        breakdowns=UNIT_BREAKDOWNS,
        measure=count(_disruptions),
        rule="Adoptive placements that disrupted before the adoption order (ext_adoption_match.adma_disruption_date) in the period.",
        notes="Disruptions before the order only; breakdowns after it (adma_breakdown_date) are held but not counted here.",
    ),
    _flow_entry(
        "D-AP1",
        id="perm_adopters_approved",
        name="Adopters approved",
        unit="count",
        polarity="high",
        breakdowns=UNIT_BREAKDOWNS,
        measure=count(_table_flow("ext_adopter", "adop_adopter_id", "adop_approval_date", where=lambda t: t.adop_agency.upper() == "OWN")),
        rule="The service's adoptive households approved in the period.",
    ),
    _flow_entry(
        "D-AP2",
        id="perm_matches_approved",
        name="Matches approved",
        unit="count",
        polarity="high",
        breakdowns=UNIT_BREAKDOWNS,
        measure=count(_table_flow("ext_adoption_match", "adma_match_id", "adma_matched_date")),
        rule="Matches of children with adopters agreed (ext_adoption_match.adma_matched_date) in the period.",
    ),
    _flow_entry(
        "D-AS1",
        id="perm_adoption_support_referrals",
        name="Adoption support referrals",
        unit="count",
        polarity="neutral",
        breakdowns=UNIT_BREAKDOWNS,
        measure=count(_support("SUPPORT")),
        rule="Adoption support referrals (ext_adoption_support kind SUPPORT) received in the period.",
        notes="'Active' with a YTD basis: read as referrals received in the year.",
    ),
    _stock_entry(
        "D-AS2",
        id="perm_adoption_support_waiting",
        name="Adoption support referrals waiting for a service",
        unit="count",
        polarity="low",
        breakdowns=UNIT_BREAKDOWNS,
        measure=count(_support("SUPPORT", stock=True)),
        rule="Adoption support referrals received by the month end with no service started and not closed by then.",
    ),
    _flow_entry(
        "D-AS3",
        id="perm_access_to_records_referrals",
        name="Access to records referrals",
        unit="count",
        polarity="neutral",
        breakdowns=UNIT_BREAKDOWNS,
        measure=count(_support("ACCESS_TO_RECORDS")),
        rule="Access to records referrals (ext_adoption_support kind ACCESS_TO_RECORDS) received in the period.",
    ),
    _flow_entry(
        "D-AS4",
        id="perm_letterbox_files",
        name="Post-box (letterbox) contact files opened",
        unit="count",
        polarity="neutral",
        breakdowns=UNIT_BREAKDOWNS,
        measure=count(_support("LETTERBOX")),
        rule="Letterbox contact files (ext_adoption_support kind LETTERBOX) opened in the period.",
        notes="Files opened (the spec leaves open or created open).",
    ),
    _stock_entry(
        "D-AS5",
        id="perm_placed_without_life_story_book",
        name="Children placed for adoption without a life story book",
        unit="count",
        polarity="low",
        measure=count(_placed_without_book, distinct_children=True),
        rule="Children looked after in an adoptive placement (A3-A6) at the month end with no life story book given by "
        "then (ext_life_story).",
    ),
    _flow_entry(
        "D-AS6",
        id="perm_adopted_without_later_life_letter",
        name="Children adopted without a later life letter",
        unit="count",
        polarity="low",
        measure=count(_adopted_without_letter),
        rule="Children adopted in the period (as perm_adopted) with no later life letter given by the period end.",
    ),
    _flow_entry(
        "D-S3",
        id="perm_left_care_sgo_pct",
        name="Children leaving care on a special guardianship order",
        unit="percent",
        polarity="neutral",
        measure=share(_left_care_sgo),
        numerator="Children whose last ceasing in the period was on an SGO (REC E43-E48)",
        denominator="All children ceasing to be looked after in the period (council-wide, cla_ceased)",
        rule="Of children who ceased to be looked after in the period (once each, by the last time), those who left on "
        "a special guardianship order (E43-E48).",
        notes="Council-wide denominator, as written (C-6).",
    ),
    _flow_entry(
        "D-S4",
        id="perm_sgo_unplanned_endings",
        name="Unplanned endings of special guardianship arrangements",
        unit="count",
        polarity="low",
        measure=count(_sgo_unplanned),
        rule="SGO/CAO arrangements (ext_sgo_order) ending unplanned in the period.",
    ),
    _flow_entry(
        "D-S5",
        id="perm_sgo_post_order_support",
        name="Special guardians receiving post-order support",
        unit="count",
        polarity="neutral",
        measure=count(_sgo_contacts(support=True), distinct_children=True),
        rule="Children whose special guardians or child arrangements carers had post-order support (ext_sgo_contact, "
        "support Y) in the period; one per child.",
        notes="'Appropriately' is undefined: every recorded support counts.",
    ),
    _flow_entry(
        "D-S6",
        id="perm_sgo_carers_in_touch_pct",
        name="Special guardians kept in touch with",
        unit="percent",
        polarity="high",
        measure=share(_sgo_contacts(support=False)),
        numerator="Orders whose carers were contacted in the period",
        denominator="SGO/CAO orders made by the period end and not ended unplanned before it",
        rule="Of SGO and CAO orders in force in the period, those with a contact with the carers (ext_sgo_contact) in the period.",
        notes="'Kept in touch' is undefined: a recorded contact in the period.",
    ),
    _flow_entry(
        "D-R1",
        id="perm_returned_home_back_6m",
        name="Children returning home who became looked after again within 6 months",
        unit="count",
        polarity="low",
        measure=count(_returned_home_again(6), where_met=True),
        rule="Children whose period of care ended with a return home (REC E4A/E4B/E13) in the same window 6 months "
        "earlier (so the 6 months have passed) and who started a new period of care within 6 months of it; periods made "
        "only of short breaks (V3/V4) are neither.",
        notes="The cohort can only be counted once the 6 months have passed, so the window is shifted back.",
    ),
    _flow_entry(
        "D-R2",
        id="perm_returned_home_back_12m",
        name="Children returning home who became looked after again within 12 months",
        unit="count",
        polarity="low",
        measure=count(_returned_home_again(12), where_met=True),
        variant_of="perm_returned_home_back_6m",
        rule="As perm_returned_home_back_6m over 12 months (cumulative: a child back within 6 months is back within 12).",
    ),
    _stock_entry(
        "D-P6",
        id="perm_service_no_health_assessment",
        name="The service's children in care 12 months without an annual health assessment",
        unit="count",
        polarity="low",
        measure=count(_for_service(health_assessment, missing=True), where_met=True),
        variant_of="cla_health_assessment_pct",
        rule="Children the permanency service is responsible for at the month end, looked after continuously for 12 "
        "months, without the health assessments cla_health_assessment_pct requires in the 12 months to it (one; two, 6 "
        "months apart, under 5).",
        notes="Scoped by ext_service_responsibility; the check is the catalogue's OC2 rule.",
    ),
    _stock_entry(
        "D-P7",
        id="perm_service_no_dental_check",
        name="The service's children aged 3-17 without a dental check in 12 months",
        unit="count",
        polarity="low",
        measure=count(_no_dental_3_to_17, where_met=True),
        variant_of="cla_dental_check_pct",
        rule="Children the permanency service is responsible for at the month end, aged 3 or over then, looked after "
        "continuously for 12 months, with no dental check in the 12 months to it.",
        notes="Scoped by ext_service_responsibility; the cohort is cla_dental_check_pct's (OC2: 12 months in care).",
    ),
    _flow_entry(
        "D-P2",
        id="perm_service_responsibility_ended",
        name="Children ceasing to be the permanency service's responsibility",
        unit="count",
        polarity="neutral",
        measure=count(_responsibility_flow("r_end"), distinct_children=True),
        rule="Children whose PERMANENCY responsibility (ext_service_responsibility) ended in the period.",
    ),
    _flow_entry(
        "D-P3",
        id="perm_service_responsibility_started",
        name="Children matched for permanency and newly the permanency service's responsibility",
        unit="count",
        polarity="high",
        measure=count(_newly_matched, distinct_children=True),
        rule="Children matched permanently to their carers in the period (fostering panel item PERMANENT_MATCH, the "
        "ADM's decision MATCH dated in it) whom the permanency service is responsible for on the decision's day.",
        notes="The match is the event counted: where an authority records the service's responsibility from before the "
        "match (a service that takes children on from placement), a new responsibility without a match is not counted.",
    ),
    _flow_entry(
        "D-F21",
        id="perm_children_matched_at_panel_pct",
        name="Children in care matched for permanency at panel",
        unit="percent",
        polarity="high",
        measure=share(_matched_at_panel),
        numerator="Children with a fostering panel recommendation to match them permanently (PERMANENT_MATCH) heard in the period",
        denominator="All children looked after at any time in the period (council-wide)",
        rule="Of children looked after at any time in the period (short breaks aside), those with a PERMANENT_MATCH item "
        "heard at the fostering panel (ext_fostering_panel.fopa_panel_date) in the period.",
        notes="Decision C-6: the council-wide denominator, as written. Matched at panel: the panel's hearing, whatever the "
        "ADM then decided (perm_permanently_matched counts the ADM's matches).",
    ),
    _flow_entry(
        "D-F25",
        id="perm_health_reviews_with_sdq_pct",
        name="Annual health reviews informed by an SDQ",
        unit="percent",
        polarity="high",
        measure=share(_health_reviews_with_sdq),
        numerator="Reviews with an SDQ completed in the 12 months up to and including the review day",
        denominator="Review health assessments (ssd_cla_health type RHA, completed) held in the period",
        rule="Of review health assessments of children looked after held in the period (one per child and day), those "
        "with a strengths and difficulties questionnaire completed (ssd_sdq_scores: a date and a score) on the review "
        "day or in the 12 months before it.",
        notes="'Informed by' is not defined: an SDQ from the last 12 months (the SDQ is annual) on or before the review.",
    ),
    _flow_entry(
        "D-F26",
        id="perm_review_participation_pct",
        name="Reviews of children in care aged 4 or over in which the child participated",
        unit="percent",
        polarity="high",
        measure=share(_review_participation),
        numerator="Reviews with participation code PN1-PN6 (the child participated)",
        denominator="Reviews of children looked after held in the period when the child was 4 or over (not cancelled)",
        rule="Of reviews (ssd_cla_reviews, held, not cancelled) in the period of children aged 4 or over on the review "
        "day, those whose participation code is PN1-PN6. PN7 (did not participate), PN0 (under 4, inconsistent at 4 or "
        "over) and no code recorded are not participation.",
        notes="Decision C-6: counted in reviews, numerator and denominator alike (a child reviewed twice counts twice).",
    ),
    _entry(
        id="perm_ks2_expected_standard_pct",
        name="Children in care reaching the expected standard at key stage 2",
        unit="percent",
        polarity="high",
        measure=share(_results("KS2")),
        bases=("rolling12", "year"),
        rag_basis="year",
        numerator="Of them, those reaching the expected standard in reading, writing and maths",
        denominator="Key stage 2 results dated in the period of children looked after on the day for 12 months or more",
        rule="Of key stage 2 results (ext_cla_attainment) dated in the period, for children looked after on the results "
        "day whose period of care began at least 12 months before it, those reaching the expected standard in reading, "
        "writing and maths (clat_ks2_expected_rwm Y).",
        notes="Spec D-F24 (measured annually: the collection year, whose summer results are those of the academic year "
        "ending in it), the national key stage 2 measure for children looked after. Council-wide, as the fostering "
        "group's other measures of children in care (D-F21-F23).",
    ),
    _entry(
        id="perm_ks4_progress8",
        name="Average Progress 8 of children in care at key stage 4",
        unit="average",
        polarity="high",
        measure=mean(_results("KS4")),
        bases=("rolling12", "year"),
        rag_basis="year",
        rule="The mean Progress 8 score (ext_cla_attainment.clat_progress8) of key stage 4 results dated in the period, "
        "for children looked after on the results day whose period of care began at least 12 months before it.",
        notes="Spec D-F24, the national key stage 4 progress measure; can be negative (0 is the national average of all pupils).",
    ),
    _stock_entry(
        "D-A10",
        id="perm_waiting_adoption_decision",
        name="Children waiting to be adopted: adoption decision, not yet placed",
        unit="count",
        polarity="low",
        measure=count(_waiting_adoption_decision, distinct_children=True),
        variant_of="perm_placement_order_not_placed",
        rule="Children looked after at the month end with an agency decision maker's decision that they should be placed "
        "for adoption (ssd_permanence.perm_adm_decision_date) in their current period of care, not reversed by then "
        "(perm_decision_reversed_date), and not in an adoptive placement (A3-A6) then; with or without a placement order.",
        notes="The spec leaves open how D-A10 differs from D-A11 (perm_placement_order_not_placed); this reads it as the "
        "spec suggests: the ADM decision, with or without a placement order.",
    ),
    _stock_entry(
        "D-P4, standard T15",
        id="perm_service_visits_overdue_pct",
        name="The service's children in care with a statutory visit overdue",
        unit="percent",
        polarity="low",
        measure=share(_for_service(_visits_in_time, missing=True)),
        exceptions=_service_list(_visits_overdue),
        variant_of="cla_visits_in_timescale_pct",
        numerator="Children whose statutory visits are not in timescale (cla_visits_in_timescale_pct's rule)",
        denominator="Children looked after at the month end whom the permanency service is responsible for then",
        rule="Of children looked after at the month end with a PERMANENCY responsibility (ext_service_responsibility) "
        "open then, those not visited within the catalogue's regulation 28 timescales (the complement of "
        "cla_visits_in_timescale_pct's met).",
        notes="Decision C-6: children, not visits, in the numerator (a child with an overdue visit counts once); C-9: the "
        "looked-after visit rules. Exceptions: the service's children with a visit overdue or due within 14 days.",
    ),
    _flow_entry(
        "D-P5",
        id="perm_service_reviews_late_pct",
        name="The service's children's reviews not held within timescale",
        unit="percent",
        polarity="low",
        measure=share(_service_reviews_late),
        numerator="Reviews held after their deadline (20 working days, then 3 months, then 6 months)",
        denominator="Reviews of children looked after held in the period while the permanency service was responsible for them",
        rule="Of reviews held in the period (ssd_cla_reviews, not cancelled) of children the permanency service was "
        "responsible for on the review day, those held after their deadline: the first within 20 working days of the "
        "period of care starting, the second within 3 months of the first, later ones within 6 months of the previous.",
        notes="The group is the service's children, so numerator and denominator are its children's reviews (a "
        "council-wide denominator would not be a share of anything). C-9: the looked-after review rules.",
    ),
    _stock_entry(
        "D-P8",
        id="perm_service_not_in_education",
        name="The service's children of compulsory school age not in education",
        unit="count",
        polarity="low",
        measure=count(_service_not_in_education, distinct_children=True),
        rule="Children looked after at the month end whom the permanency service is responsible for then, of compulsory "
        "school age (from the 31 March, 31 August or 31 December on or after the 5th birthday to the end of year 11), "
        "whose latest education record (ext_cla_education) by then says not in education (N).",
        notes="No record: not known, so not counted. The June school leaving date is taken as the end of the school year.",
    ),
    _stock_entry(
        "D-P9",
        id="perm_service_not_on_target",
        name="The service's children not on target with their personal education plans",
        unit="count",
        polarity="low",
        measure=count(_service_not_on_target, distinct_children=True),
        rule="Children looked after at the month end whom the permanency service is responsible for then, in reception "
        "to year 11 (the PEP ages), whose latest education record (ext_cla_education) by then says not on target with "
        "their PEP's attainment forecasts (N).",
        notes="No record: not known, so not counted.",
    ),
    _stock_entry(
        "D-P10, standard T14",
        id="perm_service_no_sdq",
        name="The service's children aged 4-16 without an SDQ in 12 months",
        unit="count",
        polarity="low",
        measure=count(_service_no_sdq, distinct_children=True),
        rule="Children looked after at the month end whom the permanency service is responsible for then, aged 4 to 16 "
        "then, with no strengths and difficulties questionnaire completed (a date and a score) in the 12 months to it.",
        notes="'Subject to the age of the child': the national SDQ ages, 4-16 (inferred in the spec).",
    ),
    _stock_entry(
        "D-P11",
        id="perm_service_no_social_worker",
        name="The service's children without an allocated qualified social worker",
        unit="count",
        polarity="low",
        measure=count(_service_no_social_worker, distinct_children=True),
        rule="Children looked after at the month end whom the permanency service is responsible for then, with no "
        "allocation (ssd_involvements) open then to a qualified social worker (ssd_professionals qualified flag Y; where "
        "the worker has no record, an involvement role naming a social worker) not known to have left by then.",
    ),
    _flow_entry(
        "D-L2",
        id="perm_service_care_leavers_staying_put",
        name="Care leavers supported by the permanency service in staying put arrangements",
        unit="count",
        polarity="high",
        measure=count(_service_staying_put, distinct_children=True),
        rule="Young people in a staying put arrangement (ext_staying_put) on any day of the period whom the permanency "
        "service was responsible for (ext_service_responsibility) at some time in it; each once.",
        notes="In the arrangement during the year to date, not only starting in it: the service supports the arrangement while it lasts.",
    ),
    _entry(
        id="perm_service_care_leavers_neet_pct",
        name="Care leavers supported by the permanency service not in education, employment or training",
        unit="percent",
        polarity="low",
        measure=share(_service_care_leaver_rows(_eet, met=_neet)),
        bases=("rolling12", "year"),
        rag_basis="year",
        variant_of="care_leavers_eet_pct",
        numerator="Of them, those whose recorded activity is not education, employment or training",
        denominator="Care leavers (care_leavers_eet_pct's cohort: 17th-21st birthday in the period) whom the permanency "
        "service was responsible for on the birthday",
        rule="care_leavers_eet_pct's cohort scoped to young people with a PERMANENCY responsibility open on the birthday; "
        "met when the activity recorded nearest the birthday is not an EET code (F1-F5, P1-P5). No activity recorded is "
        "not known, so not counted as NEET.",
        notes="Spec D-L3, measured annually (the collection year; rolling 12 months for monitoring).",
    ),
    _entry(
        id="perm_service_care_leavers_suitable_accom_pct",
        name="Care leavers supported by the permanency service in suitable accommodation",
        unit="percent",
        polarity="high",
        measure=share(_service_care_leaver_rows(_suitable)),
        bases=("rolling12", "year"),
        rag_basis="year",
        variant_of="care_leavers_suitable_accom_pct",
        numerator="Of them, those in accommodation recorded as suitable",
        denominator="Care leavers (care_leavers_suitable_accom_pct's cohort) whom the permanency service was responsible "
        "for on the birthday",
        rule="care_leavers_suitable_accom_pct (same cohort and rule) scoped to young people with a PERMANENCY "
        "responsibility open on the birthday.",
        notes="Spec D-L4, measured annually.",
    ),
    _entry(
        id="perm_service_care_leavers_not_in_touch_pct",
        name="Care leavers supported by the permanency service not in touch",
        unit="percent",
        polarity="low",
        measure=share(_service_care_leaver_rows(_in_touch, met=_not_in_touch)),
        bases=("rolling12", "year"),
        rag_basis="year",
        variant_of="care_leavers_in_touch_pct",
        numerator="Of them, those not recorded as in touch (in touch not YES, or none recorded)",
        denominator="Care leavers (care_leavers_in_touch_pct's cohort) whom the permanency service was responsible for on the birthday",
        rule="The complement of care_leavers_in_touch_pct over the same cohort scoped to young people with a PERMANENCY "
        "responsibility open on the birthday.",
        notes="Spec D-L5, measured annually.",
    ),
    _stock_entry(
        "D-L6",
        id="perm_service_pathway_plans_under_18_pct",
        name="Care leavers under 18 supported by the permanency service with a pathway plan updated in 6 months",
        unit="percent",
        polarity="high",
        measure=share(_service_pathway_plans_under_18),
        numerator="Of them, those with a pathway plan written or reviewed (ext_pathway_plan, or ssd_care_leavers) in the 6 "
        "months to the period end",
        denominator="Eligible young people aged 16 or 17 at the period end whom the permanency service is responsible for then",
        rule="Young people aged 16 or 17 at the period end, eligible as care leavers (looked after 13 weeks from their "
        "14th birthday, some of it at 16 or over), with a PERMANENCY responsibility open then; met when their latest "
        "pathway plan review is on or after the day 6 months before the period end (setting pathway_plan_months).",
        notes="'Measured year to date' is read at the period end, as D-F22 is: a plan is up to date or not on a day.",
    ),
]


INDICATORS = [
    _entry(
        id="perm_adopted",
        name="Children adopted during the year",
        unit="count",
        polarity="high",
        measure=count(adoptions_in_period),
        bases=MONTH_YTD,
        rag_basis="ytd",
        variant_of="adoptions",
        rule="Periods of care ending with an adoption order (REC E11/E12) in the period; the scorecard reads the year to date.",
        notes="Spec S1 = D-A6. The counting event is the adoption order (the end of the period of care), as the catalogue's 'adoptions'.",
    ),
    _entry(
        id="perm_placement_order_not_placed",
        name="Children waiting to be adopted: placement order, not yet placed",
        unit="count",
        polarity="low",
        snapshot=True,
        measure=count(placement_order_not_placed, distinct_children=True),
        rule="Children looked after at the month end under a placement order (legal status E1/D1 in force) and not in an "
        "adoptive placement (A3-A6) then; matched children not yet placed are still waiting.",
        notes="Spec S2 = D-A11.",
    ),
    _entry(
        id="perm_adoption_wait_18m_pct",
        name="Children waiting more than 18 months from entering care to being placed for adoption",
        unit="percent",
        polarity="low",
        measure=share(_wait_over_18_months, distinct_children=True),
        bases=MONTH_YTD,
        rag_basis="ytd",
        exceptions=_waiting_18_months_list,
        numerator="Children placed for adoption in the period more than 18 calendar months after the start of that period of care",
        denominator="Children with a placement order in force at any time in the period",
        rule="Of children with a placement order (E1/D1) in force on any day of the period, those whose first adoptive "
        "placement (A3-A6) of a period of care began in the period more than 18 calendar months after that period of "
        "care started.",
        notes="Spec S3 = D-A12, decision C-3. Exceptions: children with a placement order at the period end, not yet "
        "placed, already past 18 months in care (overdue) or within 3 months of it (approaching).",
    ),
    _unit_entry(
        id="perm_adopters_waiting",
        name="Approved adopters waiting to be matched",
        unit="count",
        polarity="low",
        snapshot=True,
        measure=count(_adopters_waiting),
        rule="The service's own adoptive households (ext_adopter agency OWN) approved and not ended at the month end, with "
        "no match (ext_adoption_match) made by then that has not disrupted.",
        notes="Spec S4 = D-A8. Counted as households (one ext_adopter row per adoptive household), not individuals.",
    ),
    _entry(
        id="perm_foster_in_house_pct",
        name="Children in foster placements placed in-house",
        unit="percent",
        polarity="high",
        snapshot=True,
        measure=share(foster_in_house),
        variant_of="cla_foster_in_house_pct",
        numerator="Children in foster placements with the authority's own provision (provider PR1)",
        denominator="Children looked after at the month end in foster placements (U1-U6)",
        rule="Of children in foster placements (U1-U6) at the month end, those with provider PR1 (own provision).",
        notes="Spec S5 = D-F1, decision C-11; the same definition as cla_foster_in_house_pct. With perm_foster_agency_pct "
        "it makes 100 % only when every foster placement is PR1, PR4 or PR5: perm_foster_provider_other counts the rest.",
    ),
    _entry(
        id="perm_foster_agency_pct",
        name="Children in foster placements placed with an agency",
        unit="percent",
        polarity="low",
        snapshot=True,
        measure=share(_foster_agency),
        numerator="Children in foster placements with private or voluntary provision (provider PR4/PR5)",
        denominator="Children looked after at the month end in foster placements (U1-U6)",
        rule="Of children in foster placements (U1-U6) at the month end, those with provider PR4 or PR5 (agency).",
        notes="Spec S6 = D-F2, decision C-11.",
    ),
    _entry(
        id="perm_foster_provider_other",
        name="Children in foster placements neither in-house nor agency",
        unit="count",
        polarity="neutral",
        snapshot=True,
        measure=count(_foster_unclassified),
        rule="Children in foster placements (U1-U6) at the month end whose provider is not PR1, PR4 or PR5 (another "
        "authority's, the NHS, or not recorded).",
        notes="Decision C-11: the remainder that keeps perm_foster_in_house_pct + perm_foster_agency_pct below 100 %.",
    ),
    _unit_entry(
        id="perm_fostering_households",
        name="Approved fostering households",
        unit="count",
        polarity="high",
        snapshot=True,
        measure=count(_households_open),
        rule="Fostering households (ext_fostering_household) approved on or before the month end and not de-registered "
        "by then (a de-registration on the month end itself counts as gone).",
        notes="Spec S7 = D-F5. Households, not carers (C-10).",
    ),
    _unit_entry(
        id="perm_fostering_places",
        name="Approved fostering places",
        unit="count",
        polarity="high",
        snapshot=True,
        measure=total(_places_open),
        rule="Places (ext_fostering_places.fopl_places) in blocks approved on or before the month end and not terminated "
        "by then, summed over households.",
        notes="Spec S8 = D-F6.",
    ),
    _unit_entry(
        id="perm_fostering_places_net",
        name="Net increase in approved foster places",
        unit="net",
        polarity="high",
        measure=total(_places_net),
        bases=MONTH_YTD,
        rag_basis="ytd",
        rule="Places newly approved in the period (blocks starting) less places terminated in the period (blocks ending); can be negative.",
        notes="Spec S9 = D-F9 = D-F7 - D-F8 (perm_fostering_places_new - perm_fostering_places_terminated).",
    ),
    _unit_entry(
        id="perm_fostering_places_vacant_pct",
        name="In-house fostering places vacant",
        unit="percent",
        polarity="low",
        snapshot=True,
        measure=ratio(_vacant_places),
        numerator="Approved places without a child placed at the month end",
        denominator="Approved fostering places at the month end",
        rule="Per household approved at the month end: its approved places less the children in its placements then "
        "(ext_cla_placement_carer, placements open at the month end; never below 0), summed, over all approved places.",
        notes="Spec S10 = D-F11. Every household is in-house (agency carers are providers), so the denominator is all "
        "approved places, as written.",
    ),
    _unit_entry(
        id="perm_foster_carers_assessed_permanent",
        name="Foster carers assessed as permanent carers under a CAO or SGO",
        unit="count",
        polarity="high",
        measure=count(_carers_assessed_permanent),
        bases=MONTH_YTD,
        rag_basis="ytd",
        rule="Foster carers (ext_foster_carer) named as the carer of an SGO or CAO assessment (ext_sgo_assessment."
        "sgoa_carer_id) completed in the period.",
        notes="Spec S11 (scorecard only). No basis stated: a flow, so year to date (C-1).",
    ),
    _entry(
        id="perm_fgcs_held",
        name="Family group conferences held",
        unit="count",
        polarity="neutral",
        measure=count(_fgcs_held),
        bases=QUARTERLY,
        rag_basis="quarter",
        rule="Family group conferences (ext_family_group_conference) with a conference date in the period.",
        notes="Spec S12 (scorecard only): on a quarterly basis, so judged on the quarter (April-June, July-September, "
        "October-December, January-March), figured at each quarter's end; the month and year to date are for monitoring.",
    ),
    _entry(
        id="perm_fgc_outcome_6m",
        name="Family group conference outcomes 6 months after",
        unit="count",
        polarity="neutral",
        measure=count(_fgc_outcomes(6, "fgcc_outcome_6m")),
        bases=QUARTERLY,
        rag_basis="quarter",
        breakdowns=("la", "fgc_outcome"),
        variant_of="perm_fgcs_held",
        rule="Conferences whose date 6 calendar months after falls in the period, by the outcome recorded then "
        "(fgcc_outcome_6m: AT_HOME, WITH_FAMILY, LOOKED_AFTER, OTHER, or 'not recorded').",
        notes="Spec S12's outcome analysis (the spec defines no outcome categories; these are the model's).",
    ),
    _entry(
        id="perm_fgc_outcome_12m",
        name="Family group conference outcomes 12 months after",
        unit="count",
        polarity="neutral",
        measure=count(_fgc_outcomes(12, "fgcc_outcome_12m")),
        bases=QUARTERLY,
        rag_basis="quarter",
        breakdowns=("la", "fgc_outcome"),
        variant_of="perm_fgcs_held",
        rule="As perm_fgc_outcome_6m, 12 calendar months after the conference (fgcc_outcome_12m).",
        notes="Spec S12's outcome analysis.",
    ),
    _entry(
        id="perm_service_children",
        name="Children in care supported by the permanency service",
        unit="count",
        polarity="neutral",
        snapshot=True,
        measure=count(_service_children, distinct_children=True),
        rule="Children looked after at the month end (short breaks aside) with a PERMANENCY responsibility "
        "(ext_service_responsibility) open then.",
        notes="Spec S13 = D-P1 (decision C-8; under 18 because looked after).",
    ),
    _entry(
        id="perm_foster_long_term_stability_pct",
        name="Long-term stability of children in foster placements",
        unit="percent",
        polarity="high",
        snapshot=True,
        measure=share(_foster_long_term_stability),
        variant_of="cla_long_term_stability_pct",
        numerator="Of them, children with the same carer for at least 2 years",
        denominator="Children under 16 looked after continuously for at least 2.5 years and in a foster placement "
        "(U1-U6) at the period end",
        rule="The DfE long-term stability measure (cla_long_term_stability_pct) restricted to children whose placement "
        "at the period end is a foster placement (U1-U6).",
        notes="Spec S14 = D-F22, decision C-5. 'Measured year to date' is read at the period end, as the national measure.",
    ),
    _entry(
        id="perm_foster_3plus_pct",
        name="Children in care with three or more foster placements in 12 months",
        unit="percent",
        polarity="low",
        snapshot=True,
        measure=share(_three_plus_foster),
        variant_of="cla_3plus_placements_pct",
        numerator="Children with 3 or more foster placements (U1-U6) in the 12 months to the period end",
        denominator="All children looked after at the period end",
        rule="As cla_3plus_placements_pct (the same placement counting), counting only foster placements (U1-U6) in "
        "the numerator; the denominator is every child looked after, as written.",
        notes="Spec S15 = D-F23, decision C-4.",
    ),
    _entry(
        id="perm_permanently_matched",
        name="Children permanently matched with carers",
        unit="count",
        polarity="high",
        snapshot=True,
        measure=count(_permanently_matched, distinct_children=True),
        bases=("month", "year"),
        rag_basis="year",
        rule="Children looked after at the period end with a permanent match to their carers agreed by the agency "
        "decision maker (ext_fostering_panel item PERMANENT_MATCH, ADM decision MATCH) in their current period of care.",
        notes="Spec S16 (scorecard only): at the year end; the month figure is for monitoring.",
    ),
    _entry(
        id="perm_sgo_cao_assessments_in_time_pct",
        name="SGO and CAO assessments completed within timescale",
        unit="percent",
        polarity="high",
        measure=share(_sgo_in_time),
        bases=MONTH_YTD,
        rag_basis="ytd",
        exceptions=_sgo_due_list,
        numerator="Assessments completed by the court's date or within 16 weeks of starting, whichever is sooner",
        denominator="Special guardianship and child arrangements order assessments completed in the period",
        rule="Of SGO and CAO assessments (ext_sgo_assessment) completed in the period, those completed on or before "
        "their due date: the date set by the court or 16 weeks after the assessment started, whichever is sooner.",
        notes="Spec S17 = D-S1 extended to child arrangements orders (C-8); standard T3. Exceptions: assessments open at "
        "the period end past (overdue) or within 14 days of (approaching) their due date.",
    ),
    _entry(
        id="perm_sgo_cao_recommendations_accepted_pct",
        name="SGO and CAO assessments whose recommendations the court accepted",
        unit="percent",
        polarity="high",
        measure=share(_sgo_accepted),
        bases=MONTH_YTD,
        rag_basis="ytd",
        numerator="Assessments whose recommendation the court accepted (Y)",
        denominator="SGO and CAO assessments presented to court in the period with the court's response recorded (Y/N)",
        rule="Of SGO and CAO assessments presented to court in the period (ext_sgo_assessment.sgoa_presented_date) with "
        "the response recorded, those accepted.",
        notes="Spec S18 = D-S2 extended to child arrangements orders (C-8). Presented with no response recorded yet are "
        "left out until it is.",
    ),
    _entry(
        id="perm_service_care_leavers",
        name="Care leavers aged 18 and over supported by the permanency service",
        unit="count",
        polarity="neutral",
        snapshot=True,
        measure=count(_service_care_leavers, distinct_children=True),
        rule="Young people aged 18 or over at the month end with a PERMANENCY responsibility (ext_service_responsibility) open then.",
        notes="Spec S19 = D-L1.",
    ),
    *_turnover_entries(),
    *PRACTICE,
    *DETAILED,
]


# The permanency pack's order (report audience 'permanency'): the scorecard first, then the detailed report's groups
# (spec/permanency.md), then the timescale standards. Each entry appears once: a detailed measure that is also on the
# scorecard (S5 = D-F1, ...) is shown there.
SECTIONS: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    (
        "S",
        "Scorecard",
        (
            "perm_adopted",
            "perm_placement_order_not_placed",
            "perm_adoption_wait_18m_pct",
            "perm_adopters_waiting",
            "perm_foster_in_house_pct",
            "perm_foster_agency_pct",
            "perm_foster_provider_other",
            "perm_fostering_households",
            "perm_fostering_places",
            "perm_fostering_places_net",
            "perm_fostering_places_vacant_pct",
            "perm_foster_carers_assessed_permanent",
            "perm_fgcs_held",
            "perm_fgc_outcome_6m",
            "perm_fgc_outcome_12m",
            "perm_service_children",
            "perm_foster_long_term_stability_pct",
            "perm_foster_3plus_pct",
            "perm_permanently_matched",
            "perm_sgo_cao_assessments_in_time_pct",
            "perm_sgo_cao_recommendations_accepted_pct",
            "perm_service_care_leavers",
            "perm_staff_turnover_pct",
        ),
    ),
    (
        "F",
        "Fostering service",
        (
            "perm_fostering_enquiries",
            "perm_fostering_assessments_open",
            "perm_fostering_places_new",
            "perm_fostering_places_terminated",
            "perm_new_households_bme_pct",
            "perm_fostering_households_by_approval",
            "perm_sibling_groups_together_pct",
            "perm_siblings_apart_resources",
            "perm_carers_no_annual_review",
            "perm_carers_not_visited_6_weeks",
            "perm_fostering_complaints",
            "perm_fostering_allegations",
            "perm_unplanned_endings_carer_request",
            "perm_unplanned_endings_other",
            "perm_children_matched_at_panel_pct",
            "perm_health_reviews_with_sdq_pct",
            "perm_review_participation_pct",
            "perm_ks2_expected_standard_pct",
            "perm_ks4_progress8",
        ),
    ),
    (
        "FP",
        "Fostering panel",
        ("perm_households_approved", "perm_panel_reviews", "perm_adm_differs_from_panel", "perm_panel_permanent_matches"),
    ),
    (
        "PF",
        "Private fostering",
        ("perm_private_fostering_open", "perm_private_fostering_notifications", "perm_private_fostering_in_time_pct"),
    ),
    (
        "A",
        "Adoption service",
        (
            "perm_adopter_registrations",
            "perm_adopters_approved_open",
            "perm_new_adopters_bme_pct",
            "perm_adopters_matched",
            "perm_adopters_with_child_placed",
            "perm_prospective_adopters",
            "perm_adopters_no_placement_1_year",
            "perm_adoption_plan_changed",
            "perm_waiting_adoption_decision",
            "perm_adm_adoption_decisions",
            "perm_inter_agency_placements",
            "perm_adopters_matched_other_la",
            "perm_hard_to_place_adopted",
            "perm_hard_to_place_waiting",
            "perm_adoption_disruptions",
        ),
    ),
    ("AP", "Adoption panel", ("perm_adopters_approved", "perm_matches_approved")),
    (
        "AS",
        "Adoption support",
        (
            "perm_adoption_support_referrals",
            "perm_adoption_support_waiting",
            "perm_access_to_records_referrals",
            "perm_letterbox_files",
            "perm_placed_without_life_story_book",
            "perm_adopted_without_later_life_letter",
        ),
    ),
    (
        "SG",
        "Special guardianship",
        ("perm_left_care_sgo_pct", "perm_sgo_unplanned_endings", "perm_sgo_post_order_support", "perm_sgo_carers_in_touch_pct"),
    ),
    ("R", "Return home", ("perm_returned_home_back_6m", "perm_returned_home_back_12m")),
    (
        "P",
        "Children permanently matched to in-house carers",
        (
            "perm_service_responsibility_ended",
            "perm_service_responsibility_started",
            "perm_service_visits_overdue_pct",
            "perm_service_reviews_late_pct",
            "perm_service_no_health_assessment",
            "perm_service_no_dental_check",
            "perm_service_not_in_education",
            "perm_service_not_on_target",
            "perm_service_no_sdq",
            "perm_service_no_social_worker",
        ),
    ),
    (
        "L",
        "Care leavers supported by the service",
        (
            "perm_service_care_leavers_staying_put",
            "perm_service_care_leavers_neet_pct",
            "perm_service_care_leavers_suitable_accom_pct",
            "perm_service_care_leavers_not_in_touch_pct",
            "perm_service_pathway_plans_under_18_pct",
        ),
    ),
    (
        "G",
        "General (staff turnover)",
        tuple(e.id for e in _turnover_entries() if e.id != "perm_staff_turnover_pct"),
    ),
    (
        "T",
        "Timescale standards",
        (
            "perm_fgc_plans_5wd_pct",
            "perm_allegations_notified_72h_pct",
            "perm_adopter_enquiries_same_day_pct",
            "perm_cla_volume_trigger",
            "perm_service_iha_20wd_pct",
            "perm_service_pathway_plan_by_15_pct",
            "perm_service_visits_seen_alone_pct",
            "perm_service_health_checks_outstanding",
            "perm_service_visits_recorded_72h_pct",
            "perm_placement_changes_recorded_24h_pct",
            "perm_placement_changes_recorded_72h_pct",
            "perm_physical_interventions_notified_pct",
            "perm_moves_on_28_days_notice_pct",
        ),
    ),
)
