"""F. Adoption and permanence."""

from __future__ import annotations

import datetime as dt

import ibis
import ibis.expr.types as ir

from cscperf.indicators.exceptions import exception_rows
from cscperf.indicators.model import (
    ADOPTION_PLACEMENTS,
    NEW_CARER_RNE,
    Model,
    as_date,
    children_ceasing,
    events_in_period,
    months_before,
    one_period,
    open_end,
    placement_spells,
)
from cscperf.indicators.registry import Indicator, count, mean, share

SOURCE = "statutory-definitions.md §2.9; adoption scorecard methodology; SSDA903 AD1"
ADOPTED = ("E11", "E12")
SGO = ("E43", "E44", "E45", "E46", "E47", "E48")
PLACEMENT_ORDER = ("E1", "D1")  # court authority to place: placement order (E1) or the older freeing order (D1)


def ceased_periods(m: Model) -> ir.Table:
    """Periods of care that have ended (REC not X1), except those made up only of short breaks (V3/V4)."""
    p = m.periods_of_care
    return p.filter(p.poc_end.notnull() & ~p.short_breaks_only)


def _ceased_with(m: Model, periods: ir.Table, reasons: tuple[str, ...]) -> ir.Table:
    """Periods of care ending in the period with one of `reasons` (each adoption or order is an event)."""
    rows = events_in_period(ceased_periods(m), periods, "poc_end")
    return rows.filter(rows.poc_end_reason.isin(reasons))


def adoptions_in_period(m: Model, periods: ir.Table) -> ir.Table:
    return _ceased_with(m, periods, ADOPTED)


def _sgos(m: Model, periods: ir.Table) -> ir.Table:
    return _ceased_with(m, periods, SGO)


def _ceased_adopted(m: Model, periods: ir.Table) -> ir.Table:
    """Children ceasing care in the period as cla_ceased counts them (once, by the last time), met if adopted then."""
    rows = children_ceasing(m, periods)
    return rows.mutate(met=rows.poc_end_reason.isin(ADOPTED))


def permanence_by_period(m: Model) -> ir.Table:
    """ssd_permanence rows resolved to a period of care, one row per period: by perm_cla_id where it names one,
    otherwise the child's period containing the row's first known milestone date. Dates: earliest placement order,
    latest match (a match that broke down is superseded), foster-carer flag Y if any row says so."""
    s = m.table("ssd_permanence")
    s = s.select(
        p_person=s.perm_person_id,
        p_cla=s.perm_cla_id,
        p_order=s.perm_placement_order_date,
        p_matched=s.perm_matched_date,
        p_carer_flag=s.perm_adopted_by_carer_flag,
        p_carer_date=s.perm_placed_foster_carer_date,
        p_reversed=s.perm_decision_reversed_date,
        p_anchor=ibis.coalesce(s.perm_matched_date, s.perm_placed_for_adoption_date, s.perm_placement_order_date, s.perm_adm_decision_date),
    )
    pocs = m.periods_of_care.select("poc_id", "person_id", "poc_start", "poc_end")
    by_id = s.join(pocs, s.p_cla == pocs.poc_id)
    # rows naming no period of care, or one not held: an anti join on the id (NOT IN inside an OR is null-aware, which
    # Spark can only run as a nested-loop join of every row with every period of care)
    held = pocs.select(_held="poc_id")
    unlinked = s.anti_join(held, s.p_cla == held._held)
    by_date = unlinked.join(
        pocs,
        (unlinked.p_person == pocs.person_id) & (unlinked.p_anchor >= pocs.poc_start) & (unlinked.p_anchor <= open_end(pocs.poc_end)),
    )
    both = ibis.union(by_id, by_date).view()
    return both.group_by("poc_id").aggregate(
        perm_order=both.p_order.min(),
        matched=both.p_matched.max(),
        carer_flag=both.p_carer_flag.max(),  # 'Y' > 'N'
        carer_date=both.p_carer_date.min(),
        reversed=both.p_reversed.max(),
    )


def placement_order_dates(m: Model) -> ir.Table:
    """Start of court authority to place per period of care: the first episode with LS E1/D1, else the first
    ssd_legal_status E1/D1 starting within the period, else ssd_permanence's placement order date."""
    e = m.episodes
    ep = e.filter(e.legal_status.isin(PLACEMENT_ORDER)).group_by(_poc="poc_id").aggregate(ep_order=e.ep_start.min())
    ls = m.table("ssd_legal_status")
    ls = ls.filter(ls.lega_legal_status.isin(PLACEMENT_ORDER))
    pocs = m.periods_of_care
    j = pocs.join(
        ls,
        (ls.lega_person_id == pocs.person_id)
        & (ls.lega_legal_status_start_date >= pocs.poc_start)
        & (ls.lega_legal_status_start_date <= open_end(pocs.poc_end)),
    )
    lso = j.group_by(_poc2="poc_id").aggregate(ls_order=j.lega_legal_status_start_date.min())
    perm = permanence_by_period(m).rename(_poc3="poc_id")
    out = pocs.select("poc_id").left_join(ep, pocs.poc_id == ep._poc).drop("_poc")
    out = out.left_join(lso, out.poc_id == lso._poc2).drop("_poc2").view()
    out = out.left_join(perm, out.poc_id == perm._poc3).drop("_poc3")
    return out.mutate(order_date=ibis.coalesce(out.ep_order, out.ls_order, out.perm_order)).drop("ep_order", "ls_order", "perm_order")


def adoption_timeline(m: Model) -> ir.Table:
    """Adopted periods of care with the dates the scorecard measures use: `entered` (start of the period of care),
    `adopted`, `placed` (first A3-A6 placement), `carer_start` (when the child moved in with the carer of that
    placement: the start of the same-carer spell it belongs to), `order_date`, `matched`, `carer_flag`, `carer_date`."""
    pocs = ceased_periods(m)
    pocs = pocs.filter(pocs.poc_end_reason.isin(ADOPTED)).select("poc_id", "person_id", entered="poc_start", adopted="poc_end")
    pl = m.placements.filter(m.placements.pl_type.isin(ADOPTION_PLACEMENTS))
    jp = pocs.join(pl, (pl.person_id == pocs.person_id) & (pl.pl_start >= pocs.entered) & (pl.pl_start <= pocs.adopted))
    first = jp.group_by(_poc="poc_id").aggregate(placed=jp.pl_start.min())
    t = pocs.join(first, pocs.poc_id == first._poc).drop("_poc")
    spells = placement_spells(m, NEW_CARER_RNE).select(_sp_poc="poc_id", _sp_start="spell_start")
    js = t.join(spells, (spells._sp_poc == t.poc_id) & (spells._sp_start <= t.placed))
    carer = js.group_by(_poc="poc_id").aggregate(carer_start=js._sp_start.max())
    t = t.left_join(carer, t.poc_id == carer._poc).drop("_poc").view()
    dates = placement_order_dates(m).rename(_poc="poc_id")
    return t.left_join(dates, t.poc_id == dates._poc).drop("_poc")


def _adopted_in_window(m: Model, periods: ir.Table) -> ir.Table:
    """Adopted children (placed before the adoption order) whose adoption fell in the N months to the period end."""
    t = adoption_timeline(m)
    j = t.join(
        periods,
        (t.adopted > months_before(periods.period_end, m.settings.adoption_window_months)) & (t.adopted <= periods.period_end),
    )
    return j.mutate(ref_date=j.adopted)


def _a1(m: Model, periods: ir.Table) -> ir.Table:
    rows = _adopted_in_window(m, periods)
    return rows.mutate(value=rows.placed.delta(rows.entered, unit="day"))


def _a10(m: Model, periods: ir.Table) -> ir.Table:
    rows = _adopted_in_window(m, periods)
    with_carer = ibis.cases(
        (rows.carer_flag == "Y", ibis.coalesce(rows.carer_date, rows.carer_start)),
        (rows.carer_flag == "N", rows.placed),
        else_=ibis.coalesce(rows.carer_start, rows.placed),
    )
    moved_in = ibis.least(ibis.greatest(with_carer, rows.entered), rows.placed)  # within the period of care
    return rows.mutate(value=moved_in.delta(rows.entered, unit="day"))


def _a2(m: Model, periods: ir.Table) -> ir.Table:
    rows = _adopted_in_window(m, periods)
    rows = rows.filter(rows.order_date.notnull() & rows.matched.notnull())
    return rows.mutate(value=ibis.greatest(rows.matched.delta(rows.order_date, unit="day"), 0))


def placement_order_spells(m: Model) -> ir.Table:
    """Spells of court authority to place (LS E1/D1) per child, from episodes and ssd_legal_status: _pid, _s, _e."""
    e = m.episodes
    cur = e.filter(e.legal_status.isin(PLACEMENT_ORDER)).select(_pid="person_id", _s="ep_start", _e="ep_end")
    ls = m.table("ssd_legal_status")
    ls = ls.filter(ls.lega_legal_status.isin(PLACEMENT_ORDER)).select(
        _pid=ls.lega_person_id, _s=ls.lega_legal_status_start_date, _e=ls.lega_legal_status_end_date
    )
    return ibis.union(cur, ls).view()


def placement_order_not_placed(m: Model, periods: ir.Table) -> ir.Table:
    """Children looked after at the period end under a placement order (E1/D1 in force) and not in an adoptive
    placement (A3-A6) then."""
    rows = m.cla_open_at(periods)
    po = placement_order_spells(m)
    in_force = (rows.person_id == po._pid) & (po._s <= rows.period_end) & (open_end(po._e) > rows.period_end)
    rows = rows.join(po, in_force, how="semi")
    pl = m.placements.filter(m.placements.pl_type.isin(ADOPTION_PLACEMENTS))
    placed = (rows.person_id == pl.person_id) & (pl.pl_start <= rows.period_end) & (open_end(pl.pl_end) > rows.period_end)
    return rows.join(pl, placed, how="anti")


def _awaiting_match(m: Model, periods: ir.Table) -> ir.Table:
    """Children looked after at the period end under a placement order (current LS E1/D1), not matched or placed for
    adoption by then and with no decision that they should no longer be placed; `order_date` for days waiting."""
    rows = placement_order_not_placed(m, periods)
    dates = placement_order_dates(m).rename(_poc="poc_id")
    rows = rows.left_join(dates, rows.poc_id == dates._poc).drop("_poc")
    matched = rows.matched.notnull() & (rows.matched <= rows.period_end)
    reversed_ = rows.reversed.notnull() & (rows.reversed <= rows.period_end)
    return rows.filter(~matched & ~reversed_)


def _awaiting_match_list(m: Model, period_end: dt.date) -> ir.Table:
    periods = one_period(period_end, period_end)
    r = _awaiting_match(m, periods)
    start = ibis.coalesce(r.order_date, r.period_end)
    due = as_date(start + ibis.interval(days=m.settings.adoption_match_days))
    waiting = r.period_end.delta(start, unit="day")
    status = ibis.cases((r.period_end > due, "overdue"), else_="approaching")
    reason = ibis.literal("waiting ") + waiting.cast("string") + " days since the placement order"
    return r.select(**exception_rows(r.person_id, r.poc_id, start, start, due, status, reason))


_WINDOW_NOTE = (
    "An average over children adopted in the 36 months to the period end (setting adoption_window_months), so the "
    "figure is the same on every basis. "
)

INDICATORS = [
    Indicator(
        id="adoptions",
        name="Children adopted",
        area="F",
        unit="count",
        polarity="high",
        measure=count(adoptions_in_period),
        rule="Periods of care ending with REC E11/E12 in the period (short-breaks-only periods excluded).",
        source=SOURCE,
    ),
    Indicator(
        id="adoptions_pct",
        name="Children ceasing care who were adopted",
        area="F",
        unit="percent",
        polarity="high",
        measure=share(_ceased_adopted),
        variant_of="adoptions",
        numerator="Children whose last ceasing in the period was adoption (REC E11/E12)",
        denominator="Children ceasing to be looked after in the period (cla_ceased: once each, by the last time)",
        rule="Of children who ceased to be looked after in the period (periods of care not made only of short breaks), "
        "counted once each by the last time they ceased, those whose last ceasing was an adoption (E11/E12).",
        source=SOURCE + "; statutory-definitions.md §2.5 (adoption rate = E11/E12 over all who ceased)",
        notes="The denominator is cla_ceased: DfE counts 'only the last occasion on which a child ceased to be looked "
        "after in the year', and the adoption rate divides adoptions by those children. A child who ceased twice "
        "counts once, as adopted only if the last ceasing was; so in the rare window where an adopted child comes back "
        "into care and leaves again, the numerator is below the adoptions count.",
    ),
    Indicator(
        id="sgos",
        name="Special guardianship orders",
        area="F",
        unit="count",
        polarity="high",
        measure=count(_sgos),
        rule="Periods of care ending with REC E43-E48 (special guardianship order) in the period.",
        source=SOURCE,
    ),
    Indicator(
        id="adoption_a1_days",
        name="Days from entering care to moving in with the adoptive family (A1)",
        area="F",
        unit="days",
        polarity="low",
        target=426.0,
        snapshot=True,
        measure=mean(_a1),
        breakdowns=("la", "team", "worker", "sex", "ethnicity_group", "disability"),
        numerator="Total days from entering care to the first adoptive placement",
        denominator="Children adopted in the 3 years to the period end who were placed for adoption",
        rule="For periods of care ending in adoption (E11/E12) in the 3 years to the period end: days from the start of "
        "the period of care to the start of its first adoptive placement (A3-A6).",
        source=SOURCE,
        notes=_WINDOW_NOTE + "Adopted children with no A3-A6 placement recorded in the period of care are excluded. Team and "
        "worker are the allocation on the adoption date.",
    ),
    Indicator(
        id="adoption_a10_days",
        name="Days from entering care to moving in with the adoptive family, adjusted for foster carer adoptions (A10)",
        area="F",
        unit="days",
        polarity="low",
        target=426.0,
        snapshot=True,
        measure=mean(_a10),
        breakdowns=("la", "team", "worker", "sex", "ethnicity_group", "disability"),
        variant_of="adoption_a1_days",
        numerator="Total days from entering care to moving in with the adopters (or the foster carer who adopted)",
        denominator="Children adopted in the 3 years to the period end who were placed for adoption",
        rule="As A1, but where the child was adopted by their foster carer, the date they moved in with that carer.",
        source=SOURCE,
        notes=_WINDOW_NOTE + "Moved in with the carer: when ssd_permanence says adopted by the foster carer (Y), its "
        "perm_placed_foster_carer_date, else the start of the same-carer spell containing the first adoptive placement "
        "(a move to A3/A5, or an episode with RNE T/U, keeps the carer); when it says N, the adoptive placement start; "
        "when not recorded, the same-carer spell start. The date is kept within the period of care.",
    ),
    Indicator(
        id="adoption_a2_days",
        name="Days from placement order to match (A2)",
        area="F",
        unit="days",
        polarity="low",
        target=121.0,
        snapshot=True,
        measure=mean(_a2),
        breakdowns=("la", "team", "worker", "sex", "ethnicity_group", "disability"),
        numerator="Total days from court authority to place to the match",
        denominator="Children adopted in the 3 years to the period end, placed for adoption, with a placement order and a match",
        rule="Days from court authority to place (start of legal status E1/D1) to the match date; a match before the "
        "order counts as 0; children without an order excluded.",
        source=SOURCE,
        notes=_WINDOW_NOTE + "Order date: the first episode with LS E1/D1 in the period of care, else ssd_legal_status, "
        "else ssd_permanence.perm_placement_order_date. Match: the latest perm_matched_date for the period of care; "
        "children with no match recorded are excluded.",
    ),
    Indicator(
        id="placement_orders_awaiting_match",
        name="Children with a placement order awaiting a match",
        area="F",
        unit="count",
        polarity="low",
        snapshot=True,
        measure=count(_awaiting_match, distinct_children=True),
        exceptions=_awaiting_match_list,
        rule="Children looked after at the period end whose legal status is a placement order (E1/D1), not matched, "
        "not in an adoptive placement (A3-A6) and with no decision that they should no longer be placed for adoption.",
        source=SOURCE,
        notes="Exceptions list every child counted, with the days waiting since the order in the reason; status is "
        "'overdue' once the wait passes the A2 threshold (setting adoption_match_days, 121 days), else 'approaching'.",
    ),
]
