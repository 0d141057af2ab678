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

from cscperf.indicators.catalogue.e_looked_after import foster_in_house, in_foster_placements, long_term_stability, three_plus_placements
from cscperf.indicators.catalogue.f_adoption import adoptions_in_period, placement_order_not_placed, placement_order_spells
from cscperf.indicators.catalogue.h_workforce import _sole_la
from cscperf.indicators.exceptions import exception_rows
from cscperf.indicators.model import (
    ADOPTION_PLACEMENTS,
    FOSTER_PLACEMENTS,
    Model,
    age_at,
    as_date,
    events_in_period,
    months_after,
    one_period,
    open_at_period_end,
    open_end,
)
from cscperf.indicators.registry import Indicator, count, ratio, share, total

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


def _permanently_matched(m: Model, periods: ir.Table) -> ir.Table:
    """Children looked after at the period end with a permanent match to their carers agreed by the ADM (fostering panel
    item PERMANENT_MATCH, ADM decision MATCH) within their current period of care."""
    rows = m.cla_open_at(periods)
    pocs = m.periods_of_care.select(_poc="poc_id", entered="poc_start")
    rows = rows.join(pocs, rows.poc_id == pocs._poc).drop("_poc")
    f = m.table("ext_fostering_panel")
    f = f.filter((f.fopa_item_type.upper() == "PERMANENT_MATCH") & (f.fopa_adm_decision.upper() == "MATCH"))
    f = f.select(_fpid=f.fopa_person_id, _adm=f.fopa_adm_decision_date)
    held = (f._fpid == rows.person_id) & (f._adm >= rows.entered) & (f._adm <= rows.period_end)
    return rows.join(f, held, how="semi")


# --- staff turnover -------------------------------------------------------------------------------


def _turnover(roles: tuple[str, ...] | None, reasons: tuple[str, ...] | None):  # noqa: ANN202 - a cohort
    """Leavers in the window (of `reasons`, default any) over the average of the headcount on the day before the
    window and on its last day, for staff of the service in `roles` (default all)."""

    def cohort(m: Model, periods: ir.Table) -> ir.Table:
        s = m.table("ext_service_staff")
        s = s.filter(s.sstf_service.upper() == SERVICE)
        if roles:
            s = s.filter(s.sstf_role.upper().isin(roles))
        s = _with_la(m, s)
        j = s.join(periods, (s.sstf_staff_start_date <= periods.period_end) & (open_end(s.sstf_staff_end_date) >= periods.period_start))
        before = as_date(j.period_start - ibis.interval(days=1))

        def in_post(day: ir.DateValue) -> ir.BooleanValue:
            return (j.sstf_staff_start_date <= day) & (open_end(j.sstf_staff_end_date) > day)

        left = j.sstf_staff_end_date.between(j.period_start, j.period_end).fill_null(False)
        if reasons:
            left &= j.sstf_leaving_reason.upper().isin(reasons).fill_null(False)
        den = (in_post(before).cast("float64") + in_post(j.period_end).cast("float64")) / 2
        j = j.mutate(ref_date=j.period_end)
        return _unit_rows(j, "sstf_staff_id", num=left.cast("float64"), den=den)

    return cohort


def _entry(**kw: object) -> Indicator:
    kw.setdefault("source", SOURCE)
    return Indicator(area="P", **kw)  # type: ignore[arg-type]


def _unit_entry(**kw: object) -> Indicator:
    return _entry(breakdowns=UNIT_BREAKDOWNS, **kw)


MONTH_YTD = ("month", "ytd")
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
                    denominator="Average headcount: the mean of those in post on the day before the window and on its last day",
                    rule=f"Leavers{label} among {who} in the 12 months to the period end, as a percentage of the average of "
                    "the headcount on the day before the 12 months and on the period end. Staff are ext_service_staff rows of "
                    "service PERMANENCY"
                    + (f" with role {'/'.join(roles)}" if roles else "")
                    + (f"; leavers with reason {'/'.join(reasons)}" if reasons else "")
                    + ".",
                    notes=f"Spec {spec}{' (D-G*: the voluntary / non-voluntary split)' if suffix else ''}. The spec gives no "
                    "formula; this is the usual leavers over average headcount (a person, not FTE).",
                )
            )
    return out


INDICATORS = [
    _entry(
        id="perm_adopted",
        name="Children adopted",
        unit="count",
        polarity="high",
        measure=count(adoptions_in_period),
        bases=MONTH_YTD,
        rag_basis="ytd",
        variant_of="adoptions",
        rule="Periods of care ending with an adoption order (REC E11/E12) in the period; the scorecard reads the year to "
        "date.",
        notes="Spec S1 = D-A6. The counting event is the adoption order (the end of the period of care), as the "
        "catalogue's 'adoptions'.",
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
        numerator="Children placed for adoption in the period more than 18 calendar months after the start of that "
        "period of care",
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
        rule="Places newly approved in the period (blocks starting) less places terminated in the period (blocks ending); "
        "can be negative.",
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
        bases=("month", "ytd", "rolling12"),
        rag_basis="ytd",
        rule="Family group conferences (ext_family_group_conference) with a conference date in the period.",
        notes="Spec S12 (scorecard only): quarterly; a quarter is three monthly figures (no quarter basis yet).",
    ),
    _entry(
        id="perm_fgc_outcome_6m",
        name="Family group conference outcomes 6 months after",
        unit="count",
        polarity="neutral",
        measure=count(_fgc_outcomes(6, "fgcc_outcome_6m")),
        bases=MONTH_YTD,
        rag_basis="ytd",
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
        bases=MONTH_YTD,
        rag_basis="ytd",
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
        notes="Spec S14 = D-F22, decision C-5. 'Measured year to date' is read at the period end, as the national "
        "measure.",
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
        rule="Young people aged 18 or over at the month end with a PERMANENCY responsibility (ext_service_responsibility) "
        "open then.",
        notes="Spec S19 = D-L1.",
    ),
    *_turnover_entries(),
]
