"""A. Early help and the front door."""

from __future__ import annotations

import datetime as dt

import ibis
import ibis.expr.types as ir

from cscperf.indicators.exceptions import exception_rows, with_status
from cscperf.indicators.model import Model, events_in_period, months_before, open_at_period_end
from cscperf.indicators.registry import Indicator, count, rate, share

SRC_REFERRALS = "statutory-definitions.md §2.1; CIN census guide"


def early_help(m: Model) -> ir.Table:
    e = m.table("ssd_early_help_episodes")
    return e.select(person_id=e.earl_person_id, start=e.earl_episode_start_date, end=e.earl_episode_end_date)


def contacts(m: Model) -> ir.Table:
    c = m.table("ssd_contacts")
    return c.select(
        contact_id=c.cont_contact_id,
        person_id=c.cont_person_id,
        contact_date=c.cont_contact_date,
        decision_date=c.cont_ext_decision_date,
        outcome=c.cont_ext_outcome,
    )


def referrals(m: Model) -> ir.Table:
    r = m.table("ssd_cin_episodes")
    return r.select(
        referral_id=r.cine_referral_id,
        person_id=r.cine_person_id,
        referral_date=r.cine_referral_date,
        nfa=r.cine_referral_nfa == "Y",
        close_date=r.cine_close_date,
    )


def cin_episodes(m: Model) -> ir.Table:
    """Referrals that are episodes of need: those that ended in no further action are not (DfE: NFA referrals count as
    referrals but are excluded from the children in need population, LAIT 290), even when left open on the record."""
    r = referrals(m)
    return r.filter(~r.nfa.fill_null(False))


def rereferral_flags(m: Model) -> ir.Table:
    """Referrals with `met` = the same child had an earlier referral in the 12 months before it."""
    r = referrals(m)
    earlier = r.select(_pid="person_id", _date="referral_date")
    flagged = r.join(
        earlier,
        (r.person_id == earlier._pid) & (earlier._date < r.referral_date) & (earlier._date >= months_before(r.referral_date, 12)),
        how="semi",
    ).select("referral_id")
    return r.mutate(met=r.referral_id.isin(flagged.referral_id))


def _eh_started(m: Model, periods: ir.Table) -> ir.Table:
    return events_in_period(early_help(m), periods, "start")


def _eh_open(m: Model, periods: ir.Table) -> ir.Table:
    return open_at_period_end(early_help(m), periods, "start", "end")


def _contacts(m: Model, periods: ir.Table) -> ir.Table:
    return events_in_period(contacts(m), periods, "contact_date")


def _contacts_to_referral(m: Model, periods: ir.Table) -> ir.Table:
    c = contacts(m)
    c = c.filter(c.outcome.notnull()).mutate(met=c.outcome == "REFERRAL")
    return events_in_period(c, periods, "contact_date")


def _contacts_decided(m: Model, periods: ir.Table) -> ir.Table:
    c = contacts(m)
    c = m.with_wd(c.filter(c.decision_date.notnull()), "contact_date", "decision_date", "wd_to_decision")
    return events_in_period(c.mutate(met=c.wd_to_decision <= 1), periods, "contact_date")


def _contacts_undecided(m: Model, period_end: dt.date) -> ir.Table:
    c = contacts(m)
    end = ibis.literal(period_end)
    c = c.filter((c.contact_date <= end) & (c.decision_date.isnull() | (c.decision_date > end)))
    c = with_status(m, m.with_wd_due(c, "contact_date", 1, "due"), "due", period_end, 0)
    c = c.filter(c.status == "overdue")
    return c.select(**exception_rows(c.person_id, c.contact_id, c.contact_date, c.contact_date, c.due, c.status))


def _referrals(m: Model, periods: ir.Table) -> ir.Table:
    return events_in_period(referrals(m), periods, "referral_date")


def _rereferrals(m: Model, periods: ir.Table) -> ir.Table:
    return events_in_period(rereferral_flags(m), periods, "referral_date")


def _referrals_to_assessment(m: Model, periods: ir.Table) -> ir.Table:
    a = m.table("ssd_cin_assessments")
    assessed = a.filter(a.cina_assessment_start_date.notnull()).select(rid=a.cina_referral_id)
    r = referrals(m)
    return events_in_period(r.mutate(met=r.referral_id.isin(assessed.rid)), periods, "referral_date")


def _referrals_nfa(m: Model, periods: ir.Table) -> ir.Table:
    r = referrals(m)
    return events_in_period(r.mutate(met=r.nfa.fill_null(False)), periods, "referral_date")


INDICATORS = [
    Indicator(
        id="eh_assessments_started",
        additive=True,
        name="Early help assessments started",
        area="A",
        unit="count",
        polarity="high",
        measure=count(_eh_started),
        bases=("month", "ytd"),
        rule="Early help episodes (assessments) with a start date in the period.",
        source="indicators.md A",
    ),
    Indicator(
        id="eh_assessments_started_rate",
        name="Early help assessments started per 10,000 children",
        area="A",
        unit="rate_per_10k",
        polarity="high",
        measure=rate("eh_assessments_started"),
        bases=("rolling12",),
        rag_basis="rolling12",
        variant_of="eh_assessments_started",
        rule="Early help assessments started in the 12 months to the period end per 10,000 children aged 0-17.",
        source="indicators.md A",
    ),
    Indicator(
        id="eh_open",
        name="Early help assessments open",
        area="A",
        unit="count",
        polarity="high",
        measure=count(_eh_open),
        snapshot=True,
        rule="Early help episodes open at the period end (start on or before it, no close or a close after it).",
        source="indicators.md A",
    ),
    Indicator(
        id="eh_open_rate",
        name="Early help assessments open per 10,000 children",
        area="A",
        unit="rate_per_10k",
        polarity="high",
        measure=rate("eh_open"),
        snapshot=True,
        variant_of="eh_open",
        rule="Early help episodes open at the period end per 10,000 children aged 0-17.",
        source="indicators.md A",
    ),
    Indicator(
        id="contacts",
        additive=True,
        name="Contacts received",
        area="A",
        unit="count",
        polarity="neutral",
        measure=count(_contacts),
        bases=("month", "rolling12", "ytd", "year"),
        rule="Contacts with a contact date in the period.",
        source="indicators.md A",
    ),
    Indicator(
        id="contacts_to_referral_pct",
        additive=True,
        name="Contacts progressing to a referral",
        area="A",
        unit="percent",
        polarity="low",
        measure=share(_contacts_to_referral),
        numerator="Contacts whose outcome is a referral to children's social care",
        denominator="Contacts received in the period whose outcome is recorded",
        rule="Of contacts received in the period whose outcome is recorded, those whose outcome is a referral.",
        source="indicators.md A",
    ),
    Indicator(
        id="contacts_decided_1wd_pct",
        additive=True,
        name="Contacts decided within one working day",
        area="A",
        unit="percent",
        polarity="high",
        target=100.0,
        measure=share(_contacts_decided),
        exceptions=_contacts_undecided,
        numerator="Contacts decided within one working day of the contact date",
        denominator="Contacts received in the period with a decision",
        rule="Of contacts received in the period with a decision, those with wd(contact date, decision date) <= 1. "
        "Exceptions: contacts still awaiting a decision after one working day.",
        source="indicators.md A; Working Together (a contact undecided after 24 hours is treated as a referral)",
    ),
    Indicator(
        id="referrals",
        additive=True,
        name="Referrals",
        area="A",
        unit="count",
        polarity="low",
        measure=count(_referrals),
        bases=("month", "rolling12", "ytd", "year"),
        rule="Referrals (CIN episodes) with a referral date in the period; a child referred twice counts twice.",
        source=SRC_REFERRALS,
    ),
    Indicator(
        id="referrals_rate",
        name="Referrals per 10,000 children",
        area="A",
        unit="rate_per_10k",
        polarity="low",
        measure=rate("referrals"),
        bases=("rolling12", "year"),
        rag_basis="rolling12",
        variant_of="referrals",
        rule="Referrals in the 12 months to the period end per 10,000 children aged 0-17.",
        source=SRC_REFERRALS,
    ),
    Indicator(
        id="rereferrals_12m_pct",
        additive=True,
        name="Re-referrals within 12 months",
        area="A",
        unit="percent",
        polarity="low",
        target=22.0,
        measure=share(_rereferrals),
        numerator="Referrals where the same child had an earlier referral in the 12 calendar months before",
        denominator="Referrals in the period",
        rule="Of referrals in the period, those where the same child had an earlier referral dated on or after "
        "(this referral date - 12 calendar months) and before this referral date. Earlier referrals from before "
        "the period count.",
        source=SRC_REFERRALS,
    ),
    Indicator(
        id="rereferrals_12m_child_pct",
        additive=True,
        name="Children re-referred within 12 months",
        area="A",
        unit="percent",
        polarity="low",
        measure=share(_rereferrals, distinct_children=True),
        variant_of="rereferrals_12m_pct",
        numerator="Children with at least one re-referral in the period",
        denominator="Children referred in the period",
        rule="Child-based variant: children with at least one re-referral in the period / children referred in the period.",
        source=SRC_REFERRALS,
    ),
    Indicator(
        id="referrals_to_assessment_pct",
        additive=True,
        name="Referrals progressing to assessment",
        area="A",
        unit="percent",
        polarity="high",
        measure=share(_referrals_to_assessment),
        numerator="Referrals with an assessment started in the same episode",
        denominator="Referrals in the period",
        rule="Of referrals in the period, those with an assessment started in the same episode.",
        source="indicators.md A",
    ),
    Indicator(
        id="referrals_nfa_pct",
        additive=True,
        name="Referrals ending in no further action",
        area="A",
        unit="percent",
        polarity="low",
        measure=share(_referrals_nfa),
        numerator="Referrals flagged no further action (ReferralNFA)",
        denominator="Referrals in the period",
        rule="Of referrals in the period, those flagged NFA.",
        source=SRC_REFERRALS,
    ),
]
