"""An independent reference implementation of part of the indicator catalogue.

Written straight from /work/shared/spec/indicators.md, separately from `cscperf.indicators`: it reads the
warehouse tables into pandas and counts with plain filters and loops, the way an analyst checking the
figures by hand would. It is deliberately simple and slow; the agreement test compares it with the engine
and the indicator benchmark times the two against each other.

Working days come from numpy.busday_count with the bank holiday list shipped in the calendar package (not the
engine's calendar table). `wd(a, b)` counts working days d with a < d <= b, so it is busday_count(a + 1, b + 1).

Conventions chosen where indicators.md leaves room (each is the plain reading of the rule):
- The `la` breakdown value is the LA code of the child (ssd_person.pers_ext_la_code); every authority held
  (children's LA codes and ext_authority) gets a row for every period: 0 for counts, no value for empty shares.
- Children looked after under short breaks (legal status V3/V4) are removed episode by episode before counting.
- Rates use the 0-17 population of the latest mid-year (30 June) on or before the period end, or the nearest
  year held when the period end is outside the years loaded.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd

BASES = ("month", "rolling12", "ytd", "year")
HOLIDAYS_CSV = Path(__file__).resolve().parents[2] / "src" / "cscperf" / "calendar" / "bank_holidays_england_wales.csv"
SHORT_BREAKS = ("V3", "V4")
ADOPTED = ("E11", "E12")
RESULT_COLUMNS = [
    "indicator_id",
    "basis",
    "period_start",
    "period_end",
    "breakdown",
    "breakdown_value",
    "numerator",
    "denominator",
    "value",
    "unit",
]

# --- dates -----------------------------------------------------------------------------------------


def add_months(day: dt.date, months: int) -> dt.date:
    """Calendar months later (or earlier), clamped to the last day of the month: 31 Jan + 1 = 28/29 Feb."""
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    month += 1
    next_first = dt.date(year + (month == 12), month % 12 + 1, 1)
    return dt.date(year, month, min(day.day, (next_first - dt.timedelta(days=1)).day))


def period_start(basis: str, end: dt.date) -> dt.date | None:
    """First day of the window ending at `end` for a basis (None: `year` only ends on 31 March)."""
    april = dt.date(end.year if end.month >= 4 else end.year - 1, 4, 1)
    if basis == "month":
        return end.replace(day=1)
    if basis == "rolling12":  # the 12 calendar months ending at `end`: to 28 Feb 2025 means from 1 Mar 2024
        return add_months(end + dt.timedelta(days=1), -12)
    if basis == "ytd":
        return april
    if basis == "year":
        return april if (end.month, end.day) == (3, 31) else None
    raise ValueError(basis)


@dataclass(frozen=True)
class Period:
    basis: str
    start: dt.date
    end: dt.date


def periods(period_ends: Iterable[dt.date], bases: Iterable[str] = BASES) -> list[Period]:
    out = []
    for end in sorted(set(period_ends)):
        for basis in bases:
            start = period_start(basis, end)
            if start is not None:
                out.append(Period(basis, start, end))
    return out


class WorkingDays:
    """England and Wales working days from the shipped bank holiday list."""

    def __init__(self, holidays_csv: Path = HOLIDAYS_CSV) -> None:
        self.holidays = pd.read_csv(holidays_csv)["date"].to_numpy(dtype="datetime64[D]")

    def wd(self, start: pd.Series, end: pd.Series | dt.date) -> pd.Series:
        """wd(start, end) row by row; missing where either date is missing."""
        start = pd.to_datetime(start)
        end = pd.Series(pd.Timestamp(end), index=start.index) if isinstance(end, dt.date) else pd.to_datetime(end)
        known = start.notna() & end.notna()
        out = pd.Series(np.nan, index=start.index)
        one = np.timedelta64(1, "D")
        a = start[known].to_numpy(dtype="datetime64[D]") + one
        b = end[known].to_numpy(dtype="datetime64[D]") + one
        out[known] = np.busday_count(a, b, holidays=self.holidays)
        return out


# --- data ------------------------------------------------------------------------------------------

TABLES = {
    "person": "SELECT pers_person_id AS person_id, pers_ext_la_code AS la FROM ssd_person",
    "contacts": "SELECT cont_person_id AS person_id, cont_contact_date AS contact_date, cont_ext_decision_date AS decision_date, "
    "cont_ext_outcome AS outcome FROM ssd_contacts",
    "early_help": "SELECT earl_person_id AS person_id, earl_episode_start_date AS start_date, earl_episode_end_date AS end_date "
    "FROM ssd_early_help_episodes",
    "referrals": "SELECT cine_referral_id AS referral_id, cine_person_id AS person_id, cine_referral_date AS referral_date, "
    "cine_referral_nfa AS nfa, cine_close_date AS close_date FROM ssd_cin_episodes",
    "assessments": "SELECT cina_assessment_id AS assessment_id, cina_person_id AS person_id, cina_referral_id AS referral_id, "
    "cina_assessment_start_date AS start_date, cina_assessment_auth_date AS auth_date FROM ssd_cin_assessments",
    "cin_plans": "SELECT cinp_person_id AS person_id, cinp_cin_plan_start_date AS start_date, cinp_cin_plan_end_date AS end_date "
    "FROM ssd_cin_plans",
    "s47": "SELECT s47e_s47_enquiry_id AS s47_id, s47e_referral_id AS referral_id, s47e_person_id AS person_id, "
    "s47e_s47_start_date AS start_date, s47e_s47_end_date AS end_date, s47e_s47_nfa AS nfa FROM ssd_s47_enquiry",
    "icpc": "SELECT icpc_icpc_id AS icpc_id, icpc_s47_enquiry_id AS s47_id, icpc_person_id AS person_id, "
    "icpc_referral_id AS referral_id, icpc_icpc_transfer_in AS transfer_in, icpc_icpc_date AS icpc_date "
    "FROM ssd_initial_cp_conference",
    "cp_plans": "SELECT cppl_cp_plan_id AS plan_id, cppl_person_id AS person_id, cppl_cp_plan_start_date AS start_date, "
    "cppl_cp_plan_end_date AS end_date, cppl_ext_previous_plans AS previous_plans FROM ssd_cp_plans",
    "cla_episodes": "SELECT clae_person_id AS person_id, clae_cla_episode_start_date AS start_date, "
    "clae_cla_episode_start_reason AS rne, clae_cla_episode_ceased_date AS end_date, clae_cla_episode_ceased_reason AS rec, "
    "clae_ext_legal_status AS legal_status FROM ssd_cla_episodes",
    "population": "SELECT popn_la_code AS la, popn_year AS year, sum(popn_count) AS population FROM ext_population "
    "WHERE popn_age BETWEEN 0 AND 17 GROUP BY ALL",
}
DATE_COLUMNS = {"contact_date", "decision_date", "start_date", "end_date", "referral_date", "close_date", "auth_date", "icpc_date"}


@dataclass
class Data:
    tables: dict[str, pd.DataFrame]
    la_codes: list[str]
    cal: WorkingDays

    def __getitem__(self, name: str) -> pd.DataFrame:
        return self.tables[name]


def load(con: duckdb.DuckDBPyConnection, cal: WorkingDays | None = None) -> Data:
    """Read the tables the reference needs, with each child's LA code attached and dates as Timestamps."""
    tables = {name: con.execute(sql).df() for name, sql in TABLES.items()}
    la_of = tables["person"].set_index("person_id")["la"]
    for name, frame in tables.items():
        for col in frame.columns:
            if col in DATE_COLUMNS:
                frame[col] = pd.to_datetime(frame[col])
        if "person_id" in frame.columns and name != "person":
            frame["la"] = frame["person_id"].map(la_of)
    held = con.execute("SELECT auth_la_code FROM ext_authority").df()["auth_la_code"]
    la_codes = sorted(set(tables["person"]["la"].dropna()) | set(held.dropna()))
    return Data(tables, la_codes, cal or WorkingDays())


# --- event preparation (one row per counted event, with its date and whether it met the standard) ---


def contacts(d: Data) -> pd.DataFrame:
    c = d["contacts"]
    return pd.DataFrame({"la": c.la, "date": c.contact_date})


def contacts_outcome(d: Data) -> pd.DataFrame:
    c = d["contacts"]
    c = c[c.outcome.notna() & (c.outcome != "")]
    return pd.DataFrame({"la": c.la, "date": c.contact_date, "met": c.outcome == "REFERRAL"})


def contacts_decided(d: Data) -> pd.DataFrame:
    c = d["contacts"]
    c = c[c.decision_date.notna()]
    return pd.DataFrame({"la": c.la, "date": c.contact_date, "met": d.cal.wd(c.contact_date, c.decision_date) <= 1})


def referrals_with_flags(d: Data) -> pd.DataFrame:
    """Each referral, flagged when the same child had an earlier referral in the 12 months before it."""
    r = d["referrals"].copy()
    by_child = r.groupby("person_id")["referral_date"].apply(list).to_dict()
    flags = []
    for child, day in zip(r.person_id, r.referral_date, strict=True):
        since = pd.Timestamp(add_months(day.date(), -12))
        flags.append(any(since <= other < day for other in by_child[child]))
    r["rereferral"] = flags
    has_assessment = set(d["assessments"].loc[d["assessments"].start_date.notna(), "referral_id"])
    r["assessed"] = r.referral_id.isin(has_assessment)
    return r


def referrals(d: Data) -> pd.DataFrame:
    r = d["referrals"]
    return pd.DataFrame({"la": r.la, "date": r.referral_date})


def rereferrals(d: Data) -> pd.DataFrame:
    r = referrals_with_flags(d)
    return pd.DataFrame({"la": r.la, "date": r.referral_date, "met": r.rereferral, "person_id": r.person_id})


def referrals_assessed(d: Data) -> pd.DataFrame:
    r = referrals_with_flags(d)
    return pd.DataFrame({"la": r.la, "date": r.referral_date, "met": r.assessed})


def referrals_nfa(d: Data) -> pd.DataFrame:
    r = d["referrals"]
    return pd.DataFrame({"la": r.la, "date": r.referral_date, "met": r.nfa == "Y"})


def assessments_completed(d: Data) -> pd.DataFrame:
    a = d["assessments"]
    return pd.DataFrame({"la": a.la, "date": a.auth_date})


def assessments_with_clock(d: Data) -> pd.DataFrame:
    """Assessments with `clock`, the day the 45 working days count from. The first assessment of a referral (earliest
    start) counts from the referral date; any later one from its own start date. No referral: its start date."""
    a = d["assessments"].merge(d["referrals"][["referral_id", "referral_date"]], on="referral_id", how="left")
    a = a.sort_values(["start_date", "assessment_id"], na_position="last")
    later = a.referral_id.notna() & a.duplicated("referral_id")
    clock = []
    for is_later, start, referred in zip(later, a.start_date, a.referral_date, strict=True):
        if is_later and pd.notna(start):
            clock.append(start)
        elif pd.notna(referred):
            clock.append(referred)
        else:
            clock.append(start)
    a["clock"] = pd.to_datetime(pd.Series(clock, index=a.index))
    return a


def assessments_45wd(d: Data) -> pd.DataFrame:
    a = assessments_with_clock(d)
    a = a[a.auth_date.notna()]
    return pd.DataFrame({"la": a.la, "date": a.auth_date, "met": d.cal.wd(a.clock, a.auth_date) <= 45})


def s47_enquiries(d: Data) -> pd.DataFrame:
    s = d["s47"]
    return pd.DataFrame({"la": s.la, "date": s.start_date})


def s47_ended(d: Data) -> pd.DataFrame:
    """S47s end at their (first) ICPC, or at their end date when no conference was needed. With no end date recorded
    (the CIN census and Annex A give none), a no-conference enquiry ends on its start date."""
    first_icpc = d["icpc"].dropna(subset=["s47_id", "icpc_date"]).groupby("s47_id")["icpc_date"].min()
    s = d["s47"].copy()
    s["icpc_date"] = s.s47_id.map(first_icpc)
    no_conference = s.icpc_date.isna() & (s.nfa == "Y")
    end = s.end_date.fillna(s.start_date)
    s["ended"] = s.icpc_date.where(s.icpc_date.notna(), end.where(no_conference))
    s = s[s.ended.notna()]
    return pd.DataFrame({"la": s.la, "date": s.ended, "met": s.icpc_date.notna()})


def icpc_15wd(d: Data) -> pd.DataFrame:
    i = d["icpc"]
    i = i[i.transfer_in != "Y"].merge(d["s47"][["s47_id", "start_date"]], on="s47_id", how="inner")
    i = i[i.icpc_date >= i.start_date]
    return pd.DataFrame({"la": i.la, "date": i.icpc_date, "met": d.cal.wd(i.start_date, i.icpc_date) <= 15})


def icpc_to_plan(d: Data) -> pd.DataFrame:
    i = d["icpc"]
    plan_starts = set(zip(d["cp_plans"].person_id, d["cp_plans"].start_date, strict=True))
    met = [(p, day) in plan_starts for p, day in zip(i.person_id, i.icpc_date, strict=True)]
    return pd.DataFrame({"la": i.la, "date": i.icpc_date, "met": met})


def cp_plans_started(d: Data) -> pd.DataFrame:
    p = d["cp_plans"]
    return pd.DataFrame({"la": p.la, "date": p.start_date})


def cp_plans_repeat(d: Data, within_days: int | None) -> pd.DataFrame:
    """Plans started, flagged when the child had an earlier plan (ended within `within_days` before, if given)."""
    p = d["cp_plans"]
    by_child = p.groupby("person_id")[["start_date", "end_date"]].apply(lambda g: list(zip(g.start_date, g.end_date, strict=True)))
    flags = []
    for child, start, previous in zip(p.person_id, p.start_date, p.previous_plans, strict=True):
        earlier = [(s, e) for s, e in by_child[child] if s < start]
        if within_days is None:
            flags.append(bool(earlier) or (pd.notna(previous) and previous > 0))
        else:
            flags.append(any(pd.notna(e) and e <= start and (start - e).days <= within_days for _, e in earlier))
    return pd.DataFrame({"la": p.la, "date": p.start_date, "met": flags})


def cp_plans_ended_2y(d: Data) -> pd.DataFrame:
    p = d["cp_plans"]
    p = p[p.end_date.notna()]
    return pd.DataFrame({"la": p.la, "date": p.end_date, "met": (p.end_date - p.start_date).dt.days >= 729})


def eh_started(d: Data) -> pd.DataFrame:
    e = d["early_help"]
    return pd.DataFrame({"la": e.la, "date": e.start_date})


def cla_care_episodes(d: Data) -> pd.DataFrame:
    e = d["cla_episodes"]
    return e[~e.legal_status.isin(SHORT_BREAKS)]


def cla_started(d: Data) -> pd.DataFrame:
    e = cla_care_episodes(d)
    e = e[e.rne == "S"]
    return pd.DataFrame({"la": e.la, "date": e.start_date})


def cla_ceased(d: Data) -> pd.DataFrame:
    """Every ending of a period of care (REC other than X1), met when it was an adoption; counted per child by the last
    one in the window (Ref.last_per_child), as DfE counts children who ceased."""
    e = cla_care_episodes(d)
    e = e[e.end_date.notna() & e.rec.notna() & (e.rec != "X1")]
    return pd.DataFrame({"la": e.la, "person_id": e.person_id, "date": e.end_date, "met": e.rec.isin(ADOPTED)})


# --- snapshots (one row per counted item open at the period end) -----------------------------------


def open_at(frame: pd.DataFrame, end: pd.Timestamp, start: str = "start_date", stop: str = "end_date") -> pd.DataFrame:
    """Rows that started on or before `end` and had not ended by it."""
    return frame[(frame[start] <= end) & (frame[stop].isna() | (frame[stop] > end))]


def children(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.drop_duplicates("person_id")[["la"]]


def eh_open(d: Data, end: pd.Timestamp) -> pd.DataFrame:
    return open_at(d["early_help"], end)[["la"]]


def assessments_open_over_45wd(d: Data, end: pd.Timestamp) -> pd.DataFrame:
    a = open_at(assessments_with_clock(d), end, stop="auth_date")
    return a[d.cal.wd(a.clock, end.date()) > 45][["la"]]


def cp_plans_open(d: Data, end: pd.Timestamp) -> pd.DataFrame:
    return children(open_at(d["cp_plans"], end))


def cp_plans_open_2y(d: Data, end: pd.Timestamp) -> pd.DataFrame:
    p = open_at(d["cp_plans"], end)
    return pd.DataFrame({"la": p.la, "met": (end - p.start_date).dt.days >= 729})


def cp_plans_open_2y_count(d: Data, end: pd.Timestamp) -> pd.DataFrame:
    p = cp_plans_open_2y(d, end)
    return p[p.met][["la"]]


def cin_open_episodes(d: Data, end: pd.Timestamp) -> pd.DataFrame:
    """Open referrals, leaving out those flagged NFA: they are referrals but not children in need (LAIT 290)."""
    r = d["referrals"]
    return open_at(r[r.nfa != "Y"], end, start="referral_date", stop="close_date")


def cin_open(d: Data, end: pd.Timestamp) -> pd.DataFrame:
    return children(cin_open_episodes(d, end))


def cla_open(d: Data, end: pd.Timestamp) -> pd.DataFrame:
    return children(open_at(cla_care_episodes(d), end))


def cin_open_12m_plus(d: Data, end: pd.Timestamp) -> pd.DataFrame:
    """Open CIN episodes whose status is CIN plan or other (not looked after, not on a CP plan), referred 12+ months ago."""
    e = cin_open_episodes(d, end)
    looked_after = set(open_at(cla_care_episodes(d), end).person_id)
    on_cp_plan = set(open_at(d["cp_plans"], end).person_id)
    e = e[~e.person_id.isin(looked_after | on_cp_plan)]
    return e[e.referral_date <= pd.Timestamp(add_months(end.date(), -12))][["la"]]


# --- the catalogue subset --------------------------------------------------------------------------

Flow = Callable[[Data], pd.DataFrame]
Snapshot = Callable[[Data, pd.Timestamp], pd.DataFrame]


@dataclass(frozen=True)
class Ref:
    id: str
    unit: str  # count | percent | rate_per_10k
    flow: Flow | None = None
    snapshot: Snapshot | None = None
    rate_of: str | None = None
    per_child: bool = False  # a share of children: met if any of the child's events in the period met it
    last_per_child: bool = False  # one row per child in each window: their last event in it


REFS: tuple[Ref, ...] = (
    Ref("eh_assessments_started", "count", flow=eh_started),
    Ref("eh_open", "count", snapshot=eh_open),
    Ref("contacts", "count", flow=contacts),
    Ref("contacts_to_referral_pct", "percent", flow=contacts_outcome),
    Ref("contacts_decided_1wd_pct", "percent", flow=contacts_decided),
    Ref("referrals", "count", flow=referrals),
    Ref("referrals_rate", "rate_per_10k", rate_of="referrals"),
    Ref("rereferrals_12m_pct", "percent", flow=rereferrals),
    Ref("rereferrals_12m_child_pct", "percent", flow=rereferrals, per_child=True),
    Ref("referrals_to_assessment_pct", "percent", flow=referrals_assessed),
    Ref("referrals_nfa_pct", "percent", flow=referrals_nfa),
    Ref("assessments_completed", "count", flow=assessments_completed),
    Ref("assessments_45wd_pct", "percent", flow=assessments_45wd),
    Ref("assessments_open_over_45wd", "count", snapshot=assessments_open_over_45wd),
    Ref("s47_enquiries", "count", flow=s47_enquiries),
    Ref("s47_enquiries_rate", "rate_per_10k", rate_of="s47_enquiries"),
    Ref("s47_to_icpc_pct", "percent", flow=s47_ended),
    Ref("icpc_15wd_pct", "percent", flow=icpc_15wd),
    Ref("icpc_to_cp_plan_pct", "percent", flow=icpc_to_plan),
    Ref("cp_plans_open", "count", snapshot=cp_plans_open),
    Ref("cp_plans_open_rate", "rate_per_10k", rate_of="cp_plans_open"),
    Ref("cp_plans_started", "count", flow=cp_plans_started),
    Ref("cp_plans_second_or_subsequent_pct", "percent", flow=lambda d: cp_plans_repeat(d, None)),
    Ref("cp_plans_repeat_2y_pct", "percent", flow=lambda d: cp_plans_repeat(d, 730)),
    Ref("cp_plans_ended_2y_plus_pct", "percent", flow=cp_plans_ended_2y),
    Ref("cp_plans_open_2y_plus", "count", snapshot=cp_plans_open_2y_count),
    Ref("cp_plans_open_2y_plus_pct", "percent", snapshot=cp_plans_open_2y),
    Ref("cin_open", "count", snapshot=cin_open),
    Ref("cin_open_rate", "rate_per_10k", rate_of="cin_open"),
    Ref("cin_open_12m_plus", "count", snapshot=cin_open_12m_plus),
    Ref("cla_open", "count", snapshot=cla_open),
    Ref("cla_open_rate", "rate_per_10k", rate_of="cla_open"),
    Ref("cla_started", "count", flow=cla_started),
    Ref("cla_ceased", "count", flow=cla_ceased, last_per_child=True),
    Ref("adoptions_pct", "percent", flow=cla_ceased, last_per_child=True),
)
REFS_BY_ID = {r.id: r for r in REFS}


# --- computing -------------------------------------------------------------------------------------


def _figures(ref: Ref, la_codes: list[str], rows: pd.DataFrame, period: Period) -> list[dict]:
    """One `la` figure per authority from the counted rows of one period."""
    out = []
    for la in la_codes:
        mine = rows[rows.la == la]
        if ref.unit == "count":
            num, den, value = float(len(mine)), np.nan, float(len(mine))
        else:
            if ref.per_child:
                mine = mine.groupby("person_id")["met"].any().to_frame()
            num, den = float(mine.met.sum()), float(len(mine))
            value = 100 * num / den if den > 0 else np.nan
        out.append(_row(ref, period, la, num, den, value))
    return out


def _row(ref: Ref, period: Period, la: str, num: float, den: float, value: float) -> dict:
    return dict(
        indicator_id=ref.id,
        basis=period.basis,
        period_start=period.start,
        period_end=period.end,
        breakdown="la",
        breakdown_value=la,
        numerator=num,
        denominator=den,
        value=value,
        unit=ref.unit,
    )


def population_for(pop: pd.DataFrame, la: str, end: dt.date) -> float:
    """0-17 population of the latest mid-year (30 June) on or before `end`; the nearest year held otherwise."""
    mine = pop[pop.la == la].sort_values("year")
    if mine.empty:
        return np.nan
    years = list(mine.year)
    chosen = [y for y in years if dt.date(int(y), 6, 30) <= end]
    year = chosen[-1] if chosen else years[0]
    return float(mine.loc[mine.year == year, "population"].iloc[0])


def _rates(ref: Ref, base: pd.DataFrame, pop: pd.DataFrame) -> list[dict]:
    out = []
    for row in base.itertuples():
        population = population_for(pop, row.breakdown_value, row.period_end)
        value = 10000 * row.numerator / population if population > 0 else np.nan
        period = Period(row.basis, row.period_start, row.period_end)
        out.append(_row(ref, period, row.breakdown_value, row.numerator, population, value))
    return out


def compute_one(data: Data, ref: Ref, period_list: list[Period]) -> pd.DataFrame:
    if ref.rate_of is not None:
        base = compute_one(data, REFS_BY_ID[ref.rate_of], period_list)
        return pd.DataFrame(_rates(ref, base, data["population"]), columns=RESULT_COLUMNS)
    rows: list[dict] = []
    if ref.flow is not None:
        events = ref.flow(data)
        for p in period_list:
            inside = events[(events.date >= pd.Timestamp(p.start)) & (events.date <= pd.Timestamp(p.end))]
            if ref.last_per_child:
                inside = inside.sort_values("date", kind="stable").drop_duplicates("person_id", keep="last")
            rows += _figures(ref, data.la_codes, inside, p)
    else:
        assert ref.snapshot is not None
        for end in sorted({p.end for p in period_list}):
            counted = ref.snapshot(data, pd.Timestamp(end))
            for p in (p for p in period_list if p.end == end):  # the same snapshot on every basis
                rows += _figures(ref, data.la_codes, counted, p)
    return pd.DataFrame(rows, columns=RESULT_COLUMNS)


def compute(
    source: duckdb.DuckDBPyConnection | Data,
    period_ends: Iterable[dt.date],
    ids: Iterable[str] | None = None,
    bases: Iterable[str] = BASES,
) -> pd.DataFrame:
    """The `la` figures of the selected reference indicators (default: all) for each period end and basis."""
    data = source if isinstance(source, Data) else load(source)
    period_list = periods(period_ends, bases)
    chosen = [REFS_BY_ID[i] for i in ids] if ids is not None else list(REFS)
    frames = [compute_one(data, ref, period_list) for ref in chosen]
    return pd.concat(frames, ignore_index=True)
