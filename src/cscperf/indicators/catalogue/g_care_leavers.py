"""G. Care leavers: the SSDA903 OC3 cohorts, by the birthday that falls in the period."""

from __future__ import annotations

import datetime as dt

import ibis
import ibis.expr.types as ir

from cscperf.calendar import add_months
from cscperf.indicators.exceptions import exception_rows
from cscperf.indicators.model import Model, months_after, months_before, not_short_break, one_period, open_end
from cscperf.indicators.registry import CHILD_BREAKDOWNS, Indicator, share

SOURCE = "statutory-definitions.md §2.10 and §1.2 (OC3); LAIT measures 112, 113, 221"
AGES = {17: "17-18", 18: "17-18", 19: "19-21", 20: "19-21", 21: "19-21"}
EET = ("F1", "F2", "F3", "F4", "F5", "P1", "P2", "P3", "P4", "P5")
NOT_JUDGED = ("G", "H", "R")  # abroad, deported, residence not known: suitability cannot be judged
EXCLUDED = ("DIED", "RHOM")
RETURNED_HOME = ("E4A", "E4B")
BREAKDOWNS = tuple(b for b in CHILD_BREAKDOWNS if b != "age_band") + ("age_group",)


def _birthday(dob: ir.DateValue, years: int) -> ir.DateValue:
    """The birthday at an age; 29 February falls on 28 February in other years (as the SSDA903 loader dates OC3
    records). Built from parts, since date + interval is a timestamp on some engines."""
    year = dob.year() + years
    leap = (year % 4 == 0) & ((year % 100 != 0) | (year % 400 == 0))
    day = ibis.cases(((dob.month() == 2) & (dob.day() == 29) & ~leap, 28), else_=dob.day())
    return ibis.date(year, dob.month(), day)


def _la_episodes(m: Model) -> ir.Table:
    e = m.episodes
    return e.filter(not_short_break(e.legal_status))


def eligible(m: Model) -> ir.Table:
    """Young people looked after (not under short breaks) for at least 13 weeks from their 14th birthday (to their
    18th), including some time on or after their 16th birthday: person_id, dob, left_care (latest episode end) and
    last_rec (the reason the last episode ended)."""
    e = _la_episodes(m)
    p = m.person.select(_pid="person_id", dob="dob")
    j = e.join(p, e.person_id == p._pid)
    bd14, bd16, bd18 = _birthday(j.dob, 14), _birthday(j.dob, 16), _birthday(j.dob, 18)
    end = ibis.coalesce(j.ep_end, bd18)
    start, stop = ibis.greatest(j.ep_start, bd14), ibis.least(end, bd18)
    j = j.mutate(
        _days=ibis.cases((stop > start, stop.delta(start, unit="day")), else_=0),
        _after16=(end > bd16) & (j.ep_start < bd18),
    )
    last = ibis.row_number().over(group_by=j.person_id, order_by=[ibis.desc(j.ep_start), ibis.desc(j.episode_id)])
    j = j.mutate(_last_rec=ibis.cases((last == 0, j.rec), else_=ibis.null("string")))
    agg = j.group_by(["person_id", "dob"]).aggregate(
        days=j._days.sum(), after16=j._after16.any(), left_care=j.ep_end.max(), last_rec=j._last_rec.max()
    )
    return agg.filter((agg.days >= m.settings.care_leaver_min_days) & agg.after16).drop("days", "after16")


def _records(m: Model) -> ir.Table:
    c = m.table("ssd_care_leavers")
    return c.select(
        r_pid=c.clea_person_id,
        r_date=c.clea_ext_record_date,
        in_touch=c.clea_care_leaver_in_touch.upper(),
        accommodation=c.clea_care_leaver_accommodation.upper(),
        suitable_flag=c.clea_care_leaver_accom_suitable.upper(),
        activity=c.clea_care_leaver_activity.upper(),
        r_team=c.clea_care_leaver_allocated_team,
        r_worker=c.clea_care_leaver_worker_id,
    )


def care_leavers(m: Model, periods: ir.Table) -> ir.Table:
    """One row per eligible young person whose 17th-21st birthday falls in the period, not looked after on it, with
    the care leaver record nearest the birthday (within the configured window) and team/worker. ref_date = birthday."""
    el = eligible(m)
    parts = [el.mutate(age=ibis.literal(age), birthday=_birthday(el.dob, age)) for age in AGES]
    b = ibis.union(*parts).view()
    rows = b.join(periods, (b.birthday >= periods.period_start) & (b.birthday <= periods.period_end))
    e = _la_episodes(m)
    on_birthday = (e.person_id == rows.person_id) & (e.ep_start <= rows.birthday) & (open_end(e.ep_end) > rows.birthday)
    rows = rows.join(e, on_birthday, how="anti")
    died = m.table("ssd_person")
    died = died.filter(died.pers_death_date.notnull())
    rows = rows.join(died, (died.pers_person_id == rows.person_id) & (died.pers_death_date <= rows.birthday), how="anti")
    rows = rows.mutate(_row=ibis.row_number(), ref_date=rows.birthday)

    r = _records(m)
    s = m.settings
    near = (
        (r.r_pid == rows.person_id)
        & (r.r_date >= months_before(rows.birthday, s.care_leaver_record_months_before))
        & (r.r_date <= months_after(rows.birthday, s.care_leaver_record_months_after))
    )
    j = rows.left_join(r, near)
    rank = ibis.row_number().over(group_by=j._row, order_by=[j.r_date.delta(j.birthday, unit="day").abs(), ibis.desc(j.r_date)])
    j = j.mutate(_rank=rank)
    j = j.filter((j._rank == 0) & (j.in_touch.isnull() | ~j.in_touch.isin(EXCLUDED)))
    # With no record, a young person whose care ended in a return home (E4A/E4B) at least 6 months before the
    # birthday is taken as RHOM (returned home for 6 months or more).
    home = j.r_date.isnull() & j.last_rec.isin(RETURNED_HOME) & (months_after(j.left_care, 6) <= j.birthday)
    j = j.filter(~home.fill_null(False))
    age_group = ibis.cases(*[(j.age == a, g) for a, g in AGES.items()], else_=ibis.null("string"))
    j = m.allocated_at(j.mutate(age_group=age_group).drop("_rank", "r_pid", "_row"))
    return j.mutate(team_id=ibis.coalesce(j.r_team, j.team_id), worker_id=ibis.coalesce(j.r_worker, j.worker_id))


def _in_touch(m: Model, periods: ir.Table) -> ir.Table:
    rows = care_leavers(m, periods)
    return rows.mutate(met=(rows.in_touch == "YES").fill_null(False))


def _suitable(m: Model, periods: ir.Table) -> ir.Table:
    rows = care_leavers(m, periods)
    rows = rows.filter(rows.accommodation.isnull() | ~rows.accommodation.substr(0, 1).isin(NOT_JUDGED))
    by_suffix = (rows.accommodation.length() == 2) & (rows.accommodation.substr(1, 1) == "1")  # letter + 1 (no regex on MSSQL)
    met = ibis.cases((rows.suitable_flag.isin(["Y", "N"]), rows.suitable_flag == "Y"), else_=by_suffix)
    return rows.mutate(met=met.fill_null(False))


def _eet(m: Model, periods: ir.Table) -> ir.Table:
    rows = care_leavers(m, periods)
    return rows.mutate(met=rows.activity.isin(EET).fill_null(False))


def pathway_plan_reviews(m: Model) -> ir.Table:
    """Pathway plans written or reviewed (_rp person, _review date): care leavers' latest reviews (ssd_care_leavers)
    and the plans of young people still looked after (ext_pathway_plan)."""
    c = m.table("ssd_care_leavers")
    c = c.filter(c.clea_pathway_plan_review_date.notnull()).select(_rp=c.clea_person_id, _review=c.clea_pathway_plan_review_date)
    p = m.table("ext_pathway_plan")
    p = p.filter(p.papl_plan_date.notnull()).select(_rp=p.papl_person_id, _review=p.papl_plan_date)
    return c.union(p)


def with_latest_review(m: Model, rows: ir.Table) -> ir.Table:
    """Add `last_review`: the latest pathway plan review date on or before the period end, from any record.

    Keyed by (basis, period end, young person), never by row numbers: an unordered row number can differ between
    two reads of the same rows, which made the figure depend on the order rows were stored in."""
    c = pathway_plan_reviews(m)
    rows = rows.view()
    keys = rows.select(_k_basis=rows.basis, _k_pe=rows.period_end, _k_pid=rows.person_id).distinct()
    j = keys.left_join(c, (c._rp == keys._k_pid) & (c._review <= keys._k_pe))
    last = j.group_by(["_k_basis", "_k_pe", "_k_pid"]).aggregate(last_review=j._review.max())
    joined = rows.left_join(last, (rows.basis == last._k_basis) & (rows.period_end == last._k_pe) & (rows.person_id == last._k_pid))
    return joined.drop("_k_basis", "_k_pe", "_k_pid")


def _pathway(m: Model, periods: ir.Table) -> ir.Table:
    rows = with_latest_review(m, care_leavers(m, periods))
    since = months_before(rows.period_end, m.settings.pathway_plan_months)
    return rows.mutate(met=(rows.last_review >= since).fill_null(False), ref_date=rows.period_end)


def _pathway_list(m: Model, period_end: dt.date) -> ir.Table:
    """Care leavers whose 17th-21st birthday fell in the 12 months to the period end: review overdue (not within the
    last 6 months) or due within the next working days."""
    start = add_months(period_end, -12) + dt.timedelta(days=1)
    periods = one_period(start, period_end)
    r = _pathway(m, periods)
    due = ibis.coalesce(months_after(r.last_review, m.settings.pathway_plan_months), r.left_care, r.birthday)
    r = r.mutate(due=due)
    r = m.with_wd(r, "period_end", "due", "_wd_to_due")
    status = ibis.cases(
        (~r.met, "overdue"),
        (r._wd_to_due <= m.settings.pathway_plan_approaching_wd, "approaching"),
        else_=ibis.null("string"),
    )
    reason = ibis.cases((r.last_review.isnull(), "no pathway plan review recorded"), else_=ibis.null("string"))
    return r.select(**exception_rows(r.person_id, r.birthday.cast("string"), r.left_care, r.last_review, r.due, status, reason))


_COHORT = (
    "Cohort: young people whose 17th-21st birthday falls in the period (29 February birthdays fall on 28 February in "
    "other years), looked after (not under short breaks) for at least 13 weeks (91 days, setting care_leaver_min_days) "
    "between their 14th and 18th birthdays including some time on or after their 16th, and not looked after on the "
    "birthday; excluded: died (IN_TOUCH DIED or a death date on or before the birthday) and returned home (RHOM, or, "
    "with no record near the birthday, care ended with E4A/E4B at least 6 months before it). "
    "Transfers to another authority are not excluded. The record used is the ssd_care_leavers record nearest the "
    "birthday from 3 months before to 1 month after it (settings care_leaver_record_months_before/after; on a tie the "
    "later); a young person with no record there stays in the denominator and is not counted as met. Team and worker: "
    "the record's, else the allocation on the birthday. "
)

INDICATORS = [
    Indicator(
        id="care_leavers_in_touch_pct",
        name="Care leavers in touch",
        area="G",
        unit="percent",
        polarity="high",
        target=95.0,
        measure=share(_in_touch),
        breakdowns=BREAKDOWNS,
        rag_basis="rolling12",
        numerator="Care leavers in touch (IN_TOUCH = YES)",
        denominator="Care leavers aged 17-21 with a birthday in the period (OC3 cohort)",
        rule="In touch = YES; not in touch, refused contact and no longer requiring services stay in the denominator.",
        source=SOURCE,
        notes=_COHORT + "Breakdown age_group: 17-18 and 19-21 at the birthday.",
    ),
    Indicator(
        id="care_leavers_suitable_accom_pct",
        name="Care leavers in suitable accommodation",
        area="G",
        unit="percent",
        polarity="high",
        target=90.0,
        measure=share(_suitable),
        breakdowns=BREAKDOWNS,
        rag_basis="rolling12",
        numerator="Care leavers whose accommodation is recorded as suitable",
        denominator="OC3 cohort, excluding those abroad (G), deported (H) or with residence not known (R)",
        rule="Accommodation recorded as suitable; those abroad, deported or with residence not known are excluded from the denominator.",
        source=SOURCE,
        notes=_COHORT + "Suitable: clea_care_leaver_accom_suitable Y/N where recorded, else the 903 ACCOM suffix (1 = suitable).",
    ),
    Indicator(
        id="care_leavers_eet_pct",
        name="Care leavers in education, employment or training",
        area="G",
        unit="percent",
        polarity="high",
        target=60.0,
        measure=share(_eet),
        breakdowns=BREAKDOWNS,
        rag_basis="rolling12",
        numerator="Care leavers with activity F1-F5 or P1-P5",
        denominator="Care leavers aged 17-21 with a birthday in the period (OC3 cohort)",
        rule="Activity in F1-F5/P1-P5 (F3/P3 are older codes).",
        source=SOURCE,
        notes=_COHORT,
    ),
    Indicator(
        id="care_leavers_pathway_plan_pct",
        name="Care leavers with a pathway plan reviewed in the last 6 months",
        area="G",
        unit="percent",
        polarity="high",
        target=100.0,
        measure=share(_pathway),
        exceptions=_pathway_list,
        breakdowns=BREAKDOWNS,
        rag_basis="rolling12",
        numerator="Care leavers whose latest pathway plan review is within the 6 months to the period end",
        denominator="Care leavers aged 17-21 with a birthday in the period (OC3 cohort)",
        rule="From the latest pathway plan review date on or before the period end (any record, ext_pathway_plan's of the "
        "time in care too): on or after the period "
        "end minus 6 calendar months (to the day, clamped to month end).",
        source=SOURCE,
        notes=_COHORT + "The review is judged at the period end (setting pathway_plan_months). Exceptions: the cohort of "
        "the 12 months to the period end (everyone aged 17-21 then), overdue when not reviewed in the last 6 months "
        "(due 6 months after the last review, or the date they left care when none is recorded), approaching when due "
        "within 10 working days (setting pathway_plan_approaching_wd).",
    ),
]
