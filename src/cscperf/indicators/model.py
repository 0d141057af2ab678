"""Shared building blocks over the canonical tables, written once and reused by every indicator.

Everything here returns Ibis expressions (no engine-specific SQL), so the same definitions compile
for DuckDB, Postgres, SQL Server or Spark. Column names are short and uniform: `person_id`,
`ref_date` (the date a row is attributed to, for team/worker breakdowns), `period_start`,
`period_end`, `basis`.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import ibis
import ibis.expr.types as ir

SHORT_BREAKS = ("V3", "V4")
TEMPORARY_PLACEMENTS = ("T0", "T1", "T2", "T3", "T4")
ADOPTION_WITH_CURRENT_CARER = ("A3", "A5")
ADOPTION_PLACEMENTS = ("A3", "A4", "A5", "A6")


@dataclass(frozen=True)
class Settings:
    """Configurable conventions (indicators.md marks these as configurable)."""

    cp_visit_interval_wd: int = 10
    cin_visit_interval_wd: int = 20
    assessment_approaching_wd: int = 10
    pep_months: int = 6


class Model:
    """Typed views of the warehouse for indicator definitions."""

    def __init__(self, backend: ibis.BaseBackend, settings: Settings | None = None) -> None:
        self.backend = backend
        self.settings = settings or Settings()

    def table(self, name: str) -> ir.Table:
        return self.backend.table(name)

    # --- people -------------------------------------------------------------------------------
    @cached_property
    def person(self) -> ir.Table:
        p = self.table("ssd_person")
        disabled = (
            self.table("ssd_disability")
            .filter(lambda d: d.disa_disability_code.notnull() & (d.disa_disability_code.upper() != "NONE"))
            .select(person_id="disa_person_id")
            .distinct()
        )
        return p.select(
            person_id=p.pers_person_id,
            la_code=p.pers_ext_la_code,
            dob=p.pers_dob,
            sex=p.pers_sex,
            ethnicity=p.pers_ethnicity,
            disabled=p.pers_person_id.isin(disabled.person_id),
        )

    # --- working days -------------------------------------------------------------------------
    @cached_property
    def calendar(self) -> ir.Table:
        return self.table("cscperf_calendar")

    def with_wd_ordinal(self, t: ir.Table, date_col: str, name: str) -> ir.Table:
        """Add `name` = the working-day ordinal of `date_col` (wd(a, b) = ordinal(b) - ordinal(a))."""
        cal = self.calendar.select(_cal_date="cal_date", **{name: "wd_ordinal"})
        t = t.view()  # Ibis cannot extend a projection of a join directly; a view starts a fresh relation
        return t.left_join(cal, t[date_col] == cal._cal_date).drop("_cal_date")

    def with_wd(self, t: ir.Table, start_col: str, end_col: str, name: str) -> ir.Table:
        """Add `name` = wd(start, end): working days d with start < d <= end."""
        t = self.with_wd_ordinal(t, start_col, "_wd_a")
        t = self.with_wd_ordinal(t, end_col, "_wd_b")
        return t.mutate(**{name: t._wd_b - t._wd_a}).drop("_wd_a", "_wd_b")

    def with_wd_due(self, t: ir.Table, start_col: str, working_days: int | str, name: str) -> ir.Table:
        """Add `name` = the Nth working day after `start_col` (N a constant or a column name)."""
        t = self.with_wd_ordinal(t, start_col, "_wd_s")
        n = t[working_days] if isinstance(working_days, str) else working_days
        t = t.mutate(_wd_target=t._wd_s + n)
        days = self.calendar.filter(self.calendar.is_working_day).select(_due=self.calendar.cal_date, _wdo=self.calendar.wd_ordinal)
        return t.left_join(days, t._wd_target == days._wdo).rename({name: "_due"}).drop("_wd_s", "_wd_target", "_wdo")

    # --- allocations --------------------------------------------------------------------------
    @cached_property
    def allocations(self) -> ir.Table:
        i = self.table("ssd_involvements")
        prof = self.table("ssd_professionals").select(_prof_id="prof_professional_id", _prof_team="prof_ext_team_id")
        i = i.left_join(prof, i.invo_professional_id == prof._prof_id)
        return i.select(
            alloc_person_id=i.invo_person_id,
            worker_id=i.invo_professional_id,
            team_id=ibis.coalesce(i.invo_professional_team, i._prof_team),
            alloc_start=i.invo_involvement_start_date,
            alloc_end=i.invo_involvement_end_date,
        )

    def allocated_at(self, t: ir.Table, date_col: str = "ref_date") -> ir.Table:
        """Add team_id and worker_id of the child's allocation at `date_col` (latest-starting if several)."""
        a = self.allocations
        t = t.mutate(_row=ibis.row_number())
        j = t.left_join(
            a,
            (t.person_id == a.alloc_person_id) & (a.alloc_start <= t[date_col]) & (a.alloc_end.isnull() | (a.alloc_end > t[date_col])),
        )
        rank = ibis.row_number().over(group_by=j._row, order_by=[ibis.desc(j.alloc_start), ibis.desc(j.worker_id)])
        j = j.mutate(_rank=rank)
        return j.filter(j._rank == 0).drop("_row", "_rank", "alloc_person_id", "alloc_start", "alloc_end")

    # --- children looked after ----------------------------------------------------------------
    @cached_property
    def episodes(self) -> ir.Table:
        e = self.table("ssd_cla_episodes")
        return e.select(
            episode_id=e.clae_cla_episode_id,
            person_id=e.clae_person_id,
            poc_id=e.clae_cla_id,
            ep_start=e.clae_cla_episode_start_date,
            ep_end=e.clae_cla_episode_ceased_date,
            rne=e.clae_cla_episode_start_reason,
            rec=e.clae_cla_episode_ceased_reason,
            legal_status=e.clae_ext_legal_status,
            placement_id=e.clae_cla_placement_id,
        )

    @cached_property
    def periods_of_care(self) -> ir.Table:
        """One row per period of care: start, end (null while open), end reason, short-breaks-only flag."""
        e = self.episodes
        last = ibis.row_number().over(group_by=e.poc_id, order_by=[ibis.desc(e.ep_start), ibis.desc(e.episode_id)])
        e = e.mutate(_last=last)
        ends = e.filter(e._last == 0).select(
            _poc="poc_id",
            poc_end=ibis.cases((e.rec.notnull() & (e.rec != "X1") & e.ep_end.notnull(), e.ep_end), else_=ibis.null("date")),
            poc_end_reason=ibis.cases((e.rec != "X1", e.rec), else_=ibis.null("string")),
        )
        starts = e.group_by(["poc_id", "person_id"]).aggregate(
            poc_start=e.ep_start.min(),
            short_breaks_only=(~e.legal_status.isin(SHORT_BREAKS)).sum() == 0,
        )
        return starts.join(ends, starts.poc_id == ends._poc).drop("_poc")

    def cla_open_at(self, periods: ir.Table) -> ir.Table:
        """Children looked after at each period end (an episode open then, not under short breaks): one row per child."""
        e = self.episodes.filter(~self.episodes.legal_status.isin(SHORT_BREAKS) | self.episodes.legal_status.isnull())
        j = e.join(
            periods,
            (e.ep_start <= periods.period_end) & (e.ep_end.isnull() | (e.ep_end > periods.period_end)),
        )
        return j.select("basis", "period_start", "period_end", "person_id", "poc_id", "placement_id", ref_date=j.period_end).distinct(
            on=["basis", "period_end", "person_id"], keep="first"
        )

    @cached_property
    def placements(self) -> ir.Table:
        p = self.table("ssd_cla_placement")
        return p.select(
            placement_id=p.clap_cla_placement_id,
            person_id=p.clap_person_id,
            poc_id=p.clap_cla_id,
            pl_start=p.clap_cla_placement_start_date,
            pl_end=p.clap_cla_placement_end_date,
            pl_type=p.clap_cla_placement_type,
            provider=p.clap_cla_placement_provider,
        )


def events_in_period(events: ir.Table, periods: ir.Table, date_col: str) -> ir.Table:
    """Flow: each event joined to every period whose window contains its date; ref_date = the event date."""
    j = events.join(periods, (events[date_col] >= periods.period_start) & (events[date_col] <= periods.period_end))
    return j.mutate(ref_date=j[date_col])


def open_at_period_end(items: ir.Table, periods: ir.Table, start_col: str, end_col: str) -> ir.Table:
    """Stock: items with start <= period end and (no end or end > period end); ref_date = the period end."""
    j = items.join(
        periods,
        (items[start_col] <= periods.period_end) & (items[end_col].isnull() | (items[end_col] > periods.period_end)),
    )
    return j.mutate(ref_date=j.period_end)


def months_before(date: ir.DateValue, months: int) -> ir.DateValue:
    """date - N calendar months, clamped to month end (SQL engines clamp interval arithmetic)."""
    return date - ibis.interval(months=months)


def months_after(date: ir.DateValue, months: int) -> ir.DateValue:
    return date + ibis.interval(months=months)


def visits_in_timescale(m: Model, periods: ir.Table, on_plan: ir.Table, visits: ir.Table, interval_wd: int) -> ir.Table:
    """Children on a plan at the period end (started at least one interval before it), `met` when seen
    on a visit within `interval_wd` working days before the period end.

    `on_plan`: person_id, plan_id, plan_start, plan_end. `visits`: v_person_id, visit_date, seen (bool).
    """
    rows = open_at_period_end(on_plan, periods, "plan_start", "plan_end")
    rows = m.with_wd(rows, "plan_start", "period_end", "wd_on_plan")
    rows = rows.filter(rows.wd_on_plan >= interval_wd)
    seen = visits.filter(visits.seen)
    j = rows.left_join(
        seen,
        (rows.person_id == seen.v_person_id) & (seen.visit_date <= rows.period_end) & (seen.visit_date >= rows.plan_start),
    )
    keys = ["basis", "period_start", "period_end", "person_id", "plan_id", "plan_start", "ref_date"]
    last = j.group_by(keys).aggregate(last_seen=j.visit_date.max())
    last = m.with_wd(last, "last_seen", "period_end", "wd_since_seen")
    return last.mutate(met=last.wd_since_seen.notnull() & (last.wd_since_seen <= interval_wd))


def overdue_visits(m: Model, period_end: ir.Value, on_plan: ir.Table, visits: ir.Table, interval_wd: int) -> ir.Table:
    """Children on a plan at the period end: last seen visit, the due date of the next one, and the latest
    recorded reason a visit did not happen since. `visits` also carries `reason`."""
    end = ibis.literal(period_end)
    plans = on_plan.filter((on_plan.plan_start <= end) & (on_plan.plan_end.isnull() | (on_plan.plan_end > end)))
    seen = visits.filter(visits.seen & (visits.visit_date <= end))
    j = plans.left_join(seen, (plans.person_id == seen.v_person_id) & (seen.visit_date >= plans.plan_start))
    last = j.group_by(["person_id", "plan_id", "plan_start"]).aggregate(last_seen=j.visit_date.max())
    last = last.mutate(clock=ibis.coalesce(last.last_seen, last.plan_start))
    last = m.with_wd_due(last, "clock", interval_wd, "due")
    missed = visits.filter(~visits.seen & visits.reason.notnull() & (visits.visit_date <= end))
    k = last.left_join(missed, (last.person_id == missed.v_person_id) & (missed.visit_date > last.clock))
    rank = ibis.row_number().over(group_by=[k.person_id, k.plan_id], order_by=ibis.desc(k.visit_date))
    k = k.mutate(_rank=rank)
    return k.filter(k._rank == 0).drop("_rank")
