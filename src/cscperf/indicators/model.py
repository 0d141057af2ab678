"""Shared building blocks over the canonical tables, written once and reused by every indicator.

Everything here returns Ibis expressions (no engine-specific SQL), so the same definitions compile
for DuckDB, Postgres, SQL Server or Spark. Column names are short and uniform: `person_id`,
`ref_date` (the date a row is attributed to, for team/worker breakdowns), `period_start`,
`period_end`, `basis`.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property

import ibis
import ibis.expr.operations as ops
import ibis.expr.types as ir

SHORT_BREAKS = ("V3", "V4")
TEMPORARY_PLACEMENTS = ("T0", "T1", "T2", "T3", "T4")
ADOPTION_WITH_CURRENT_CARER = ("A3", "A5")
ADOPTION_PLACEMENTS = ("A3", "A4", "A5", "A6")
FAR_FUTURE = dt.date(9999, 12, 31)

# A compute run attaches an in-memory database that every connection of the run reads: the periods tables and
# the building blocks many indicators read, each materialised once per run (see engine.Run).
RUN_DB = "cscperf_run"
PERIODS, SNAPSHOT_PERIODS, MONTHS = "periods", "snapshot_periods", "months"
SHARED_PREFIX = "shared_"
# Blocks evaluated at the run's period ends (its snapshot periods table), by name.
SHARED_AT_PERIOD_ENDS: dict[str, Callable[[Model, ir.Table], ir.Table]] = {}


def shared_at_period_ends(build: Callable[[Model, ir.Table], ir.Table]) -> Callable[[Model, ir.Table], ir.Table]:
    """Declare a stock read by several snapshot indicators: within a compute run, given the run's period ends, it
    reads the table the run made once; otherwise (other periods, exception lists, other backends) it is built."""
    name = build.__name__.strip("_")
    SHARED_AT_PERIOD_ENDS[name] = build

    @functools.wraps(build)
    def block(m: Model, periods: ir.Table) -> ir.Table:
        if m.shared and is_run_table(periods, SNAPSHOT_PERIODS):
            return m.run_table(f"{SHARED_PREFIX}{name}")
        return build(m, periods)

    return block


def shared_blocks(m: Model, end_dates: ir.Table) -> dict[str, Callable[[], ir.Table]]:
    """The building blocks a compute run makes once, each as its own definition over the run's model (so a block reads
    the blocks before it, never itself), in an order where every block comes after those it reads. `end_dates` is the
    run's snapshot periods table."""
    blocks: dict[str, Callable[[], ir.Table]] = {
        "allocations": m._allocations,
        "cla_episodes": lambda: _cla_episodes(m),
        "periods_of_care": m._periods_of_care,
        "cla_periods": lambda: _cla_periods(m),
    }
    blocks |= {name: functools.partial(build, m, end_dates) for name, build in SHARED_AT_PERIOD_ENDS.items()}
    return blocks


def is_run_table(t: ir.Table, name: str) -> bool:
    op = t.op()
    return isinstance(op, ops.DatabaseTable) and op.name == name and RUN_DB in (op.namespace.catalog, op.namespace.database)


def not_short_break(legal_status: ir.StringValue) -> ir.BooleanValue:
    """An episode not under short breaks (V3/V4). No legal status recorded (the DfE API carries none) is not a short
    break: left NULL, the test would drop the episode, or make a period of care's short-breaks-only flag NULL."""
    return legal_status.isnull() | ~legal_status.isin(SHORT_BREAKS)


def open_end(end: ir.DateValue) -> ir.DateValue:
    """An end date with 'still open' as a far-future date, so `end > d` needs no OR (which stops engines from
    using hash and range joins)."""
    return ibis.coalesce(end, ibis.literal(FAR_FUTURE))


@dataclass(frozen=True)
class Settings:
    """Configurable conventions (indicators.md marks these as configurable)."""

    cp_visit_interval_wd: int = 10
    cin_visit_interval_wd: int = 20
    assessment_approaching_wd: int = 10
    pep_months: int = 6
    # section E (children looked after)
    cla_visit_first_days: int = 7  # reg 28: a visit within 1 week of a new placement
    cla_visit_interval_days: int = 42  # reg 28: then at most every 6 weeks
    cla_visit_long_term_months: int = 3  # reg 28: long-term placements (U1/U4) after the first year
    cla_visit_temporary_approval_weeks: int = 24  # reg 28(4): U3 placements taken as reg 24 approvals (16 + 8 weeks)
    pep_school_days: int = 20  # PEP cohort: looked after at least this many school (working) days
    cla_approaching_days: int = 14  # exceptions: calendar-month/week deadlines due within this many days
    iha_approaching_wd: int = 5  # exceptions: IHA due within this many working days
    iha_exception_months: int = 12  # exceptions: list missing IHAs for periods of care started this recently
    # sections F-H (adoption, care leavers, workforce)
    adoption_window_months: int = 36  # A1/A10/A2 average over the 3 years to the period end
    adoption_match_days: int = 121  # A2 threshold: placement-order exceptions overdue after this many days unmatched
    care_leaver_min_days: int = 91  # eligible: looked after at least 13 weeks after the 14th birthday
    care_leaver_record_months_before: int = 3  # OC3 record window around the birthday: from 3 months before
    care_leaver_record_months_after: int = 1  # ... to 1 month after
    pathway_plan_months: int = 6  # pathway plan reviewed within this many months
    pathway_plan_approaching_wd: int = 10  # exceptions: review due within this many working days
    # CP and CLA reviews, CLA visits: a missed deadline counts against a child for this many months (late_in_lookback)
    timeliness_lookback_months: int = 12
    # section P (the permanency service; spec/permanency.md, decision C-9)
    fgc_plan_wd: int = 5  # T2: family plan circulated within 5 working days of the conference
    private_fostering_visit_wd: int = 7  # D-PF3: visit within 7 working days of the notification
    carer_review_months: int = 12  # T11: fostering households reviewed at least every 12 months
    carer_visit_days: int = 42  # T12: supervisory visit at least every 6 weeks
    adopter_wait_months: int = 12  # T10: approved adopters with no placement reviewed after a year
    cla_volume_trigger: int = 365  # T19: children in care at or above this for two month ends running


class Model:
    """Typed views of the warehouse for indicator definitions."""

    def __init__(self, backend: ibis.BaseBackend, settings: Settings | None = None, shared: bool = False) -> None:
        self.backend = backend
        self.settings = settings or Settings()
        # When the engine has materialised the shared building blocks (SHARED) for a run, read those tables.
        self.shared = shared

    def table(self, name: str) -> ir.Table:
        return self.backend.table(name)

    def run_table(self, name: str) -> ir.Table:
        """A table of the current compute run (periods, shared blocks)."""
        return self.backend.table(name, database=RUN_DB)

    def _shared(self, name: str, build: Callable[[], ir.Table]) -> ir.Table:
        return self.run_table(f"{SHARED_PREFIX}{name}") if self.shared else build()

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
        return self._shared("allocations", self._allocations)

    def _allocations(self) -> ir.Table:
        """Allocations (end date exclusive: the first day no longer allocated), with `social_worker` (see
        `allocated_social_worker`)."""
        i = self.table("ssd_involvements")
        p = self.table("ssd_professionals")
        prof = p.select(_prof_id=p.prof_professional_id, _prof_team=p.prof_ext_team_id, _prof_flag=p.prof_ext_qualified_flag)
        i = i.left_join(prof, i.invo_professional_id == prof._prof_id)
        return i.select(
            alloc_person_id=i.invo_person_id,
            worker_id=i.invo_professional_id,
            team_id=ibis.coalesce(i.invo_professional_team, i._prof_team),
            alloc_start=i.invo_involvement_start_date,
            alloc_end=i.invo_involvement_end_date,
            social_worker=allocated_social_worker(i._prof_flag, i.invo_professional_role_id),
        )

    def allocated_at(self, t: ir.Table, date_col: str = "ref_date", unique_by: tuple[str, ...] | None = None) -> ir.Table:
        """Add team_id and worker_id of the child's allocation at `date_col` (latest-starting if several).

        `unique_by` names columns that already identify each row of `t` (saves numbering the rows)."""
        a = self.allocations
        if unique_by is None:
            t = t.mutate(_row=ibis.row_number())
        t = t.view()
        j = t.left_join(
            a,
            (t.person_id == a.alloc_person_id) & (a.alloc_start <= t[date_col]) & (open_end(a.alloc_end) > t[date_col]),
        )
        group = [j[c] for c in unique_by] if unique_by else [j._row]
        rank = ibis.row_number().over(group_by=group, order_by=[ibis.desc(j.alloc_start), ibis.desc(j.worker_id)])
        j = j.mutate(_rank=rank)
        drop = ["_rank", "alloc_person_id", "alloc_start", "alloc_end", "social_worker"] + ([] if unique_by else ["_row"])
        return j.filter(j._rank == 0).drop(*drop)

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
        return self._shared("periods_of_care", self._periods_of_care)

    def _periods_of_care(self) -> ir.Table:
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
            short_breaks_only=not_short_break(e.legal_status).sum() == 0,
        )
        return starts.join(ends, starts.poc_id == ends._poc).drop("_poc")

    def cla_open_at(self, periods: ir.Table) -> ir.Table:
        """Children looked after at each period end (an episode open then, not under short breaks): one row per child."""
        return cla_open_at(self, periods)

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


def qualified_flag(flag: ir.StringValue) -> ir.BooleanValue:
    """prof_ext_qualified_flag: true for Y (a registered, qualified social worker), false for N, null if not recorded."""
    f = flag.strip().upper()
    return ibis.cases((f == "Y", True), (f == "N", False), else_=ibis.null("boolean"))


def allocated_social_worker(flag: ir.StringValue, role: ir.StringValue) -> ir.BooleanValue:
    """Whether an allocation is to a social worker: the worker's own record decides (prof_ext_qualified_flag); where
    it has no flag (no ssd_professionals row, as for SSDA903 SW_EPISODES, which list only social workers), the
    involvement role does ('Allocated Social Worker'). Annex A and API workers carry neither, so they are not."""
    named = role.upper().contains("SOCIAL WORKER")
    return ibis.coalesce(qualified_flag(flag), named).fill_null(False)


@shared_at_period_ends
def cla_open_at(m: Model, periods: ir.Table) -> ir.Table:
    """Children looked after at each period end (an episode open then, not under short breaks): one row per child."""
    e = m.episodes.filter(not_short_break(m.episodes.legal_status))
    j = e.join(
        periods,
        (e.ep_start <= periods.period_end) & (open_end(e.ep_end) > periods.period_end),
    )
    j = j.select(
        "basis", "period_start", "period_end", "person_id", "poc_id", "placement_id", "legal_status", "ep_start", ref_date=j.period_end
    )
    # One row per child: the latest-starting open episode (row_number, not DISTINCT ON, so every SQL dialect compiles it).
    latest = ibis.row_number().over(group_by=[j.basis, j.period_end, j.person_id], order_by=[ibis.desc(j.ep_start), j.poc_id])
    j = j.mutate(_latest=latest)
    return j.filter(j._latest == 0).drop("_latest", "ep_start")


def one_period(period_start: dt.date, period_end: dt.date) -> ir.Table:
    """A periods table of one window, for exception rules that reuse an indicator's cohort at one period end."""
    frame = {"basis": ["_exceptions"], "period_start": [period_start], "period_end": [period_end]}
    return ibis.memtable(frame).cast({"period_start": "date", "period_end": "date"})


def events_in_period(events: ir.Table, periods: ir.Table, date_col: str) -> ir.Table:
    """Flow: each event joined to every period whose window contains its date; ref_date = the event date."""
    if is_run_table(periods, MONTHS):  # the run's calendar months: an equality join on the event's month is cheaper
        events = events.mutate(_month=events[date_col].truncate("M"))
        j = events.join(periods, events._month == periods.period_start).drop("_month")
    else:
        j = events.join(periods, (events[date_col] >= periods.period_start) & (events[date_col] <= periods.period_end))
    return j.mutate(ref_date=j[date_col])


def open_at_period_end(items: ir.Table, periods: ir.Table, start_col: str, end_col: str) -> ir.Table:
    """Stock: items with start <= period end and (no end or end > period end); ref_date = the period end."""
    j = items.join(
        periods,
        (items[start_col] <= periods.period_end) & (open_end(items[end_col]) > periods.period_end),
    )
    return j.mutate(ref_date=j.period_end)


def months_before(date: ir.DateValue, months: int) -> ir.DateValue:
    """date - N calendar months, clamped to month end (SQL engines clamp interval arithmetic)."""
    return as_date(date - ibis.interval(months=months))


def months_after(date: ir.DateValue, months: int) -> ir.DateValue:
    return as_date(date + ibis.interval(months=months))


def as_date(value: ir.DateValue) -> ir.DateValue:
    """A date, not the timestamp some engines make of date +/- interval (Ibis types it as a date and so would drop
    a plain cast): comparing dates with dates lets joins on them use hash and range joins."""
    return value.cast("timestamp").date()


def visits_in_timescale(m: Model, periods: ir.Table, on_plan: ir.Table, visits: ir.Table, interval_wd: int) -> ir.Table:
    """Children on a plan at the period end (started at least one interval before it), `met` when seen
    on a visit within `interval_wd` working days before the period end.

    `on_plan`: person_id, plan_id, plan_start, plan_end. `visits`: v_person_id, visit_date, seen (bool).
    """
    rows = open_at_period_end(on_plan, periods, "plan_start", "plan_end")
    rows = m.with_wd(rows, "plan_start", "period_end", "wd_on_plan")
    rows = rows.filter(rows.wd_on_plan >= interval_wd)
    seen = visits.filter(visits.seen)
    # Only visits that can be within the interval are read (N working days are fewer than 2N + 14 calendar days,
    # holidays included), so `last_seen` is null for a child not seen since.
    lookback = as_date(rows.period_end - ibis.interval(days=2 * interval_wd + 14))
    j = rows.left_join(
        seen,
        (rows.person_id == seen.v_person_id)
        & (seen.visit_date <= rows.period_end)
        & (seen.visit_date >= rows.plan_start)
        & (seen.visit_date >= lookback),
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


# --- children looked after: placements, periods and cohorts shared by sections E-G -------------------

NEW_PLACEMENT_RNE = ("S", "P", "B", "T", "U")
NEW_CARER_RNE = ("S", "P", "B")
FOSTER_PLACEMENTS = ("U1", "U2", "U3", "U4", "U5", "U6")
LONG_TERM_FOSTER = ("U1", "U4")


def age_at(dob: ir.DateValue, day: ir.DateValue) -> ir.IntegerValue:
    """Age in whole years on `day`."""
    before_birthday = (day.month() * 100 + day.day()) < (dob.month() * 100 + dob.day())
    return day.year() - dob.year() - ibis.cases((before_birthday, 1), else_=0)


def window_start(period_end: ir.DateValue, months: int) -> ir.DateValue:
    """First day of the N calendar months ending at period_end (as the rolling12 basis): looked after on every day
    from it to the period end is 'continuously for N months' (so 1 April counts for the year to 31 March, as in OC2)."""
    return as_date(months_before(period_end, months) + ibis.interval(days=1))


def lookback_start(m: Model, period_end: ir.DateValue) -> ir.DateValue:
    """First day of the timeliness look-back: the `timeliness_lookback_months` calendar months to the period end, counted
    as the rolling12 basis counts them (from 1 Apr 2024 to 31 Mar 2025; from 1 Mar 2024, not the leap day, to 28 Feb
    2025: counting back from the day after the end keeps a month end a month end)."""
    return months_before(as_date(period_end + ibis.interval(days=1)), m.settings.timeliness_lookback_months)


def late_in_lookback(missed: ir.BooleanValue, deadline: ir.DateValue, lookback_from: ir.DateValue) -> ir.BooleanValue:
    """Whether a missed review or visit deadline counts against the child: only if it fell in the look-back (on or after
    `lookback_from`, see lookback_start). As the former NI 66 counted reviews 'held on time during the year', a review
    late years ago does not fail a child for the rest of their plan or care. CP reviews, CLA reviews and CLA visits all
    use this one rule."""
    return (missed & (deadline >= lookback_from)).fill_null(False)


def cla_episodes(m: Model) -> ir.Table:
    """Episodes not under short breaks (V3/V4), with their placement's type, provider and where (URN or postcode)."""
    return m._shared("cla_episodes", lambda: _cla_episodes(m))


def _cla_episodes(m: Model) -> ir.Table:
    e = m.episodes
    e = e.filter(not_short_break(e.legal_status))
    p = m.table("ssd_cla_placement")
    p = p.select(
        _pl_id=p.clap_cla_placement_id,
        pl_type=p.clap_cla_placement_type,
        provider=p.clap_cla_placement_provider,
        pl_where=ibis.coalesce(p.clap_cla_placement_urn, p.clap_cla_placement_postcode, ibis.literal("")),
    )
    return e.left_join(p, e.placement_id == p._pl_id).drop("_pl_id")


def cla_periods(m: Model) -> ir.Table:
    """Periods of care that count in section E (not short breaks only), with `cla_start` = the start of their first
    episode not under short breaks (equal to poc_start unless the period began as short breaks)."""
    return m._shared("cla_periods", lambda: _cla_periods(m))


def _cla_periods(m: Model) -> ir.Table:
    pocs = m.periods_of_care
    pocs = pocs.filter(~pocs.short_breaks_only)
    e = cla_episodes(m)
    first = e.group_by(_poc="poc_id").aggregate(cla_start=e.ep_start.min())
    return pocs.join(first, pocs.poc_id == first._poc).drop("_poc")


def children_ceasing(m: Model, periods: ir.Table) -> ir.Table:
    """Children who ceased to be looked after in the period, one row per child: the last period of care (not short
    breaks only) they left in it, with its poc_end_reason. DfE counts "only the last occasion on which a child ceased
    to be looked after in the year", so a child leaving care twice in a window is counted once, by the second time."""
    p = cla_periods(m)
    rows = events_in_period(p.filter(p.poc_end.notnull()), periods, "poc_end")
    last = ibis.row_number().over(group_by=[rows.basis, rows.period_end, rows.person_id], order_by=[ibis.desc(rows.poc_end), rows.poc_id])
    return rows.mutate(_last=last).filter(lambda r: r._last == 0).drop("_last")


def _open_end(end: ir.DateColumn) -> ir.DateScalar:
    """End of a group of rows: null (open) if any row is open, else the latest end."""
    return ibis.cases((end.isnull().any(), ibis.null("date")), else_=end.max())


def placement_spells(m: Model, new_rne: tuple[str, ...] = NEW_PLACEMENT_RNE) -> ir.Table:
    """Placements as counted for stability: one row per spell with person_id, poc_id, spell_id, spell_start, spell_end
    (null while open), pl_type, provider and prev_start (the previous spell's start in the same period of care).

    - A spell starts at the first episode of a period of care or an episode whose RNE is in `new_rne` (default S, P, B,
      T, U: a change of legal status only, L, continues the placement; pass NEW_CARER_RNE for 'same carer' spells).
    - A move to A3/A5 (placed for adoption with the current foster carer) from a foster placement is not a new spell.
    - Temporary placements (T0-T4) and placements under 24 hours (ending the day they start) are dropped, and a
      return after one to a placement of the same type, provider and location continues the placement before it.
    """
    e = cla_episodes(m)
    order = [e.ep_start, e.episode_id]
    w = ibis.window(group_by=e.poc_id, order_by=order)
    prev_type, prev_pl = e.pl_type.lag().over(w), e.placement_id.lag().over(w)
    adoption_same_carer = (e.pl_type.isin(ADOPTION_WITH_CURRENT_CARER) & prev_type.isin(FOSTER_PLACEMENTS)).fill_null(False)
    boundary = (
        (ibis.row_number().over(w) == 0)
        | (e.rne.isin(new_rne).fill_null(False) & ~adoption_same_carer)
        | (e.rne.isnull() & (e.placement_id != prev_pl).fill_null(False))
    )
    e = e.mutate(_b=boundary.cast("int64"))
    e = e.mutate(_spell=e._b.cumsum(group_by="poc_id", order_by=["ep_start", "episode_id"]))
    spells = _collapse(e, "_spell", "ep_start", "ep_end", "placement_id")

    # Drop temporary and under-24-hour placements; a return to the same placement after one continues it.
    w = ibis.window(group_by=spells.poc_id, order_by=spells.spell_start)
    s = spells.mutate(_seq=ibis.row_number().over(w))
    short = s.spell_end.notnull() & (s.spell_end <= s.spell_start)
    s = s.filter(~(s.pl_type.isin(TEMPORARY_PLACEMENTS).fill_null(False) | short))
    w = ibis.window(group_by=s.poc_id, order_by=s._seq)
    key = ibis.coalesce(s.pl_type, "") + "|" + ibis.coalesce(s.provider, "") + "|" + ibis.coalesce(s.pl_where, "")
    after_gap = (s._seq.lag().over(w) != s._seq - 1).fill_null(False)
    returned = after_gap & (key.lag().over(w) == key).fill_null(False)
    s = s.mutate(_b=(~returned).cast("int64"))
    s = s.mutate(_grp=s._b.cumsum(group_by="poc_id", order_by="_seq"))
    out = _collapse(s, "_grp", "spell_start", "spell_end", "spell_id")
    w = ibis.window(group_by=out.poc_id, order_by=out.spell_start)
    return out.mutate(prev_start=out.spell_start.lag().over(w))


def _collapse(t: ir.Table, group: str, start: str, end: str, id_col: str) -> ir.Table:
    """One row per (poc_id, group): the first row's attributes, the earliest start and the group's end."""
    heads = t.filter(t._b == 1).select(
        "person_id", "poc_id", _g=group, spell_id=id_col, spell_start=start, pl_type="pl_type", provider="provider", pl_where="pl_where"
    )
    ends = t.group_by(_p="poc_id", _g2=group).aggregate(spell_end=_open_end(t[end]))
    j = heads.join(ends, (heads.poc_id == ends._p) & (heads._g == ends._g2))
    return j.drop("_g", "_p", "_g2").view()


def continuously_looked_after(m: Model, periods: ir.Table, months: int) -> ir.Table:
    """Children looked after at the period end who were looked after on every day of the N months to it (the OC2
    cohort for 12): the current period of care started on or before the window start, and (as the DfE rule) no
    short-break (V3/V4) episode overlaps the window. Adds poc_start."""
    rows = m.cla_open_at(periods)
    pocs = m.periods_of_care.select(_poc="poc_id", poc_start="poc_start")
    rows = rows.join(pocs, rows.poc_id == pocs._poc).drop("_poc")
    rows = rows.filter(rows.poc_start <= window_start(rows.period_end, months))
    e = m.episodes
    sb = e.filter(e.legal_status.isin(SHORT_BREAKS)).select(_sb_pid="person_id", _sb_start="ep_start", _sb_end="ep_end")
    hit = rows.join(
        sb,
        (rows.person_id == sb._sb_pid)
        & (sb._sb_start <= rows.period_end)
        & (open_end(sb._sb_end) >= window_start(rows.period_end, months)),
    )
    hit = hit.select(_hpe="period_end", _hpid="person_id").distinct()
    rows = rows.left_join(hit, (rows.period_end == hit._hpe) & (rows.person_id == hit._hpid))
    return rows.filter(rows._hpid.isnull()).drop("_hpe", "_hpid")
