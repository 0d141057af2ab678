"""B. Assessment."""

from __future__ import annotations

import datetime as dt

import ibis
import ibis.expr.types as ir

from cscperf.indicators.exceptions import exception_rows, with_status
from cscperf.indicators.model import Model, events_in_period, open_at_period_end
from cscperf.indicators.registry import Indicator, count, share

SOURCE = "statutory-definitions.md §2.2; CIN census COLLECT report 'Assessments working days'"
SRC_45 = f"{SOURCE}; Working Together to Safeguard Children (45 working days from the point of referral); LAIT 304"
CLOCK_NOTE = (
    "The 45 working days run from the referral (Working Together; LAIT 304; DfE publishes assessment durations from "
    "CINreferralDate to AssessmentAuthorisationDate) for the first assessment of an episode, taken as the one with the "
    "earliest start date. A later assessment in the same episode (a re-assessment of an open case on new information) "
    "is timed from its own start date: timing it from a referral months earlier would make it late before it began. "
    "The CIN census guide does not spell out the re-assessment case (statutory-definitions.md §2.2 [U]); this is the "
    "local convention, to confirm against the COLLECT 'Assessments working days' specification. An assessment not "
    "linked to a referral starts its clock at its start date."
)


def assessments(m: Model) -> ir.Table:
    """Assessments with `clock_start`, the day their 45 working days run from: the episode's referral date for its
    first assessment (earliest start), the assessment's own start date for a later one in the same episode (a
    re-assessment of an open case is not late because the case was referred long ago), and the start date for an
    assessment not linked to a referral."""
    a = m.table("ssd_cin_assessments")
    r = m.table("ssd_cin_episodes").select(_rid="cine_referral_id", _rdate="cine_referral_date")
    a = a.left_join(r, a.cina_referral_id == r._rid)
    order = ibis.row_number().over(group_by=a.cina_referral_id, order_by=[a.cina_assessment_start_date, a.cina_assessment_id])
    own = ibis.cases((order == 0, a._rdate), else_=a.cina_assessment_start_date)
    clock = ibis.coalesce(own, a.cina_assessment_start_date, a._rdate)
    return a.select(
        assessment_id=a.cina_assessment_id,
        person_id=a.cina_person_id,
        start=a.cina_assessment_start_date,
        auth=a.cina_assessment_auth_date,
        clock_start=clock,
    )


def _completed(m: Model, periods: ir.Table) -> ir.Table:
    return events_in_period(assessments(m), periods, "auth")


def _within_45(m: Model, periods: ir.Table) -> ir.Table:
    a = m.with_wd(assessments(m), "clock_start", "auth", "wd_taken")
    return events_in_period(a.mutate(met=a.wd_taken <= 45), periods, "auth")


def _open_over_45(m: Model, periods: ir.Table) -> ir.Table:
    a = assessments(m)
    a = a.filter(a.start.notnull())
    rows = open_at_period_end(a, periods, "start", "auth")
    rows = m.with_wd(rows, "clock_start", "period_end", "wd_open")
    return rows.filter(rows.wd_open > 45)


def open_assessment_exceptions(m: Model, period_end: dt.date, approaching_wd: int) -> ir.Table:
    """Open assessments past their 45th working day, and those due within the next N working days."""
    a = assessments(m)
    end = ibis.literal(period_end)
    a = a.filter(a.start.notnull() & (a.start <= end) & (a.auth.isnull() | (a.auth > end)))
    a = with_status(m, m.with_wd_due(a, "clock_start", 45, "due"), "due", period_end, approaching_wd)
    return a.select(**exception_rows(a.person_id, a.assessment_id, a.clock_start, a.start, a.due, a.status))


def _approaching_or_overdue(m: Model, period_end: dt.date) -> ir.Table:
    return open_assessment_exceptions(m, period_end, m.settings.assessment_approaching_wd)


def _overdue(m: Model, period_end: dt.date) -> ir.Table:
    rows = open_assessment_exceptions(m, period_end, 0)
    return rows.filter(rows.status == "overdue")


INDICATORS = [
    Indicator(
        id="assessments_completed",
        additive=True,
        name="Assessments completed",
        area="B",
        unit="count",
        polarity="neutral",
        measure=count(_completed),
        rule="Assessments with an authorisation (completion) date in the period.",
        source=SOURCE,
    ),
    Indicator(
        id="assessments_45wd_pct",
        additive=True,
        name="Assessments completed within 45 working days",
        area="B",
        unit="percent",
        polarity="high",
        target=90.0,
        rag_basis="ytd",
        measure=share(_within_45),
        exceptions=_approaching_or_overdue,
        numerator="Assessments authorised within 45 working days of the referral date (a re-assessment: of its start)",
        denominator="Assessments authorised in the period",
        rule="Of assessments completed in the period, those with wd(clock start, authorisation date) <= 45, the clock "
        "starting at the referral date of the episode for its first assessment and at its own start date for a later "
        "assessment in the same episode. Exceptions: open assessments whose 45th working day is within the next 10 "
        "working days (approaching) or past (overdue).",
        source=SRC_45,
        notes=CLOCK_NOTE,
    ),
    Indicator(
        id="assessments_open_over_45wd",
        name="Open assessments past 45 working days",
        area="B",
        unit="count",
        polarity="low",
        target=0.0,
        snapshot=True,
        measure=count(_open_over_45),
        exceptions=_overdue,
        rule="Assessments started and not authorised by the period end with wd(clock start, period end) > 45; the clock "
        "as assessments_45wd_pct (referral date for the episode's first assessment, own start date for a later one).",
        source=SRC_45,
        notes=CLOCK_NOTE,
    ),
]
