"""Suppression across bases and periods: no suppressed month of a flow can be worked out from the
year-to-date, rolling-12 or year figures members see beside it (docs/judge.md, docs/security.md).

Hand-worked series first, then an attack: everything a member can see of some registry flows (the
judged table, every figure's series and the displayed rows they are built from) is turned into known
sums of months, and every suppressed figure is checked to be underivable from them.
"""

import datetime as dt
from fractions import Fraction

import duckdb
import pandas as pd
import pytest

from cscperf.calendar import add_months
from cscperf.indicators.registry import REGISTRY
from cscperf.judge import table as judged_table
from cscperf.judge.assess import judge_rows, la_rows
from cscperf.judge.suppression import SUPPRESSED, month_sources, suppress
from cscperf.judge.table import table
from cscperf.judge.targets import load_targets

LA = "874"
COLS = ["indicator_id", "basis", "period_end", "breakdown", "breakdown_value", "numerator", "denominator", "value", "unit"]


def month_end(year: int, month: int) -> dt.date:
    return add_months(dt.date(year, month, 1), 1) - dt.timedelta(days=1)


def months_from(first: dt.date, n: int) -> list[dt.date]:
    return [month_end(add_months(first, i).year, add_months(first, i).month) for i in range(n)]


def window(basis: str, end: dt.date) -> list[dt.date]:
    """Month ends in a window, written out plainly: April to date, the last 12 months, the quarter's 3 months, or April
    to March."""
    if basis == "month":
        return [end]
    if basis == "quarter":
        return months_from(add_months(end.replace(day=1), -2), 3)
    if basis == "rolling12":
        return months_from(add_months(end.replace(day=1), -11), 12)
    fy = end.year if end.month >= 4 else end.year - 1
    return [m for m in months_from(dt.date(fy, 4, 1), 12) if m <= end]


def series_rows(ind: str, counts: dict[dt.date, int], dens: dict[dt.date, int] | None = None) -> list[tuple]:
    """Month, year-to-date, rolling-12 and (at March) year rows of a flow made of the given months."""
    unit = REGISTRY[ind].unit if ind in REGISTRY else ("percent" if dens else "count")
    ends = sorted(counts)
    rows = []
    for end in ends:
        for basis in ("month", "ytd", "rolling12", "year"):
            if basis == "year" and end.month != 3:
                continue
            span = window(basis, end)
            if not set(span) <= set(ends):
                continue  # the engine would count months we do not have here; leave the figure out
            num = sum(counts[m] for m in span)
            den = sum(dens[m] for m in span) if dens else None
            value = (100 * num / den if den else None) if dens else num
            rows.append((ind, basis, end, "la", LA, num, den, value, unit))
    return rows


def shown(out: pd.DataFrame, basis: str) -> list[str]:
    return out.loc[out["basis"] == basis, "value_display"].tolist()


# --- hand-worked ------------------------------------------------------------------------------------


def test_months_3_0_2_8_hide_every_year_to_date_containing_april_or_june():
    apr, may, jun, jul = months_from(dt.date(2025, 4, 1), 4)
    rows = [("x", "month", d, "la", LA, n, None, n, "count") for d, n in zip((apr, may, jun, jul), (3, 0, 2, 8), strict=True)]
    rows += [("x", "ytd", d, "la", LA, n, None, n, "count") for d, n in zip((apr, may, jun, jul), (3, 3, 5, 13), strict=True)]
    out = suppress(pd.DataFrame(rows, columns=COLS), sources={"x": "x"})
    # Months: 3 and 2 are 1-5 (c); 0 is a true zero and 8 is shown.
    assert shown(out, "month") == ["c", "0", "c", "8"]
    # YTD 3, 3, 5 are 1-5 anyway; 13 is not, but 13 - 0 - 8 = 5 = April + June, and with YTD May (3) it
    # would give June = 13 - 8 - 3 = 2: every year to date from April contains a hidden month, so all are c.
    assert shown(out, "ytd") == ["c", "c", "c", "c"]


def test_one_small_month_hides_exactly_the_windows_that_contain_it():
    ends = months_from(dt.date(2024, 4, 1), 24)  # April 2024 to March 2026
    jun24 = ends[2]
    counts = {d: (4 if d == jun24 else 10) for d in ends}
    out = suppress(pd.DataFrame(series_rows("x", counts), columns=COLS), sources={"x": "x"})
    by = {(r.basis, r.period_end): r.value_display for r in out.itertuples()}
    assert [d for d in ends if by[("month", d)] == "c"] == [jun24]
    # Year to date: April and May 2024 (10, 20) are shown; June 2024 to March 2025 contain June; 2025-26 is clear.
    assert [by[("ytd", d)] for d in ends[:3]] == ["10", "20", "c"]
    assert all(by[("ytd", d)] == "c" for d in ends[2:12])
    assert [by[("ytd", d)] for d in ends[12:14]] == ["10", "20"] and by[("ytd", ends[23])] == "120"
    assert (by[("year", ends[11])], by[("year", ends[23])]) == ("c", "120")
    # Rolling 12: March 2025 (the first whole window here) to May 2025 contain June 2024; June 2025 on do not.
    assert [by[("rolling12", d)] for d in ends[11:15]] == ["c", "c", "c", "120"]
    assert all(by[("rolling12", d)] == "120" for d in ends[14:])


def test_windows_reaching_before_the_months_known_are_hidden():
    # Only February and March 2024 are known: the year to date from April 2023 could hide a small month.
    feb, mar = month_end(2024, 2), month_end(2024, 3)
    rows = [
        ("x", "month", feb, "la", LA, 15, None, 15, "count"),
        ("x", "month", mar, "la", LA, 12, None, 12, "count"),
        ("x", "ytd", mar, "la", LA, 140, None, 140, "count"),
    ]
    assert suppress(pd.DataFrame(rows, columns=COLS), sources={"x": "x"})["value_display"].tolist() == ["15", "12", "c"]


def test_a_quarter_holding_a_hidden_month_is_hidden():
    jan, feb, mar = month_end(2024, 1), month_end(2024, 2), month_end(2024, 3)
    rows = [
        ("q", "month", jan, "la", LA, 10, None, 10, "count"),
        ("q", "month", feb, "la", LA, 3, None, 3, "count"),  # 1-5: c
        ("q", "month", mar, "la", LA, 10, None, 10, "count"),
        ("q", "quarter", mar, "la", LA, 23, None, 23, "count"),  # 23 - 10 - 10 would give February
        ("q", "month", month_end(2024, 4), "la", LA, 0, None, 0, "count"),
        ("q", "month", month_end(2024, 5), "la", LA, 7, None, 7, "count"),
        ("q", "month", month_end(2024, 6), "la", LA, 9, None, 9, "count"),
        ("q", "quarter", month_end(2024, 6), "la", LA, 16, None, 16, "count"),  # its months all shown: shown
    ]
    out = suppress(pd.DataFrame(rows, columns=COLS), sources={"q": "q"})
    assert out["value_display"].tolist() == ["10", "c", "10", "c", "0", "7", "9", "16"]


def test_share_hides_windows_whose_numerator_months_are_hidden_but_keeps_the_denominator():
    ends = months_from(dt.date(2025, 4, 1), 3)
    out = suppress(
        pd.DataFrame(series_rows("p", dict(zip(ends, (20, 3, 25), strict=True)), dict(zip(ends, (30, 30, 30), strict=True))), columns=COLS),
        sources={"p": "p"},
    )
    ytd = out[out["basis"] == "ytd"]
    # May's numerator 3 is c; YTD May (23 of 60) and June (48 of 90) would give it as 23 - 20: both c, denominators shown.
    assert ytd["value_display"].tolist() == ["66.7%", "c", "c"]
    assert ytd["numerator_display"].tolist() == ["20", "c", "c"] and ytd["denominator_display"].tolist() == ["30", "60", "90"]


def test_a_rate_follows_the_months_of_the_count_it_divides():
    ends = months_from(dt.date(2024, 4, 1), 24)
    counts = {d: (2 if d == ends[5] else 30) for d in ends}  # September 2024: 2 referrals
    rows = series_rows("referrals", counts)
    pop = 40000
    for r in series_rows("referrals", counts):
        if r[1] in ("rolling12", "year"):
            rows.append(("referrals_rate", r[1], r[2], "la", LA, r[5], pop, 10000 * r[5] / pop, "rate_per_10k"))
    out = suppress(pd.DataFrame(rows, columns=COLS), sources=month_sources())
    rate = out[(out["indicator_id"] == "referrals_rate") & (out["basis"] == "rolling12")].set_index("period_end")
    # A rate shown beside its population gives its count: rolling 12 to March-August 2025 contain September 2024.
    assert rate.loc[ends[11:17], "value_display"].tolist() == [SUPPRESSED] * 6
    assert rate.loc[ends[17], "value_display"] == f"{10000 * 360 / pop:.1f}"


# --- the attack -------------------------------------------------------------------------------------


def _read(text: object) -> float | None:
    """A displayed number as a member reads it ('1,234', '66.7%'); none for c or a dash."""
    text = str(text).rstrip("%").replace(",", "")
    try:
        return float(text)
    except ValueError:
        return None


def _num(x: object) -> float | None:
    return None if x is None or pd.isna(x) else float(x)


def members_view(rows: pd.DataFrame, figures: list) -> list[tuple]:
    """Everything a member sees, one record per figure shown: the displayed rows (dashboard, report, workbook),
    the judged table (API and CLI: exact values) and every figure's series (charts: exact values)."""
    seen = []
    for r in rows.to_dict("records"):
        nums = (_read(r["numerator_display"]), _read(r["value_display"]), _read(r["denominator_display"]))
        seen.append((r["indicator_id"], r["basis"], r["period_end"], *nums))
    for r in table(figures).to_dict("records"):
        seen.append((r["indicator_id"], r["basis"], r["period_end"], _num(r["numerator"]), _num(r["value"]), _num(r["denominator"])))
    for f in figures:
        for r in f.series.to_dict("records"):
            nums = (_read(r["numerator_display"]), _num(r["value"]), _read(r["denominator_display"]))
            seen.append((f.id, r["basis"], r["period_end"], *nums))
    return seen


def recovered(views: list[tuple[pd.DataFrame, list]]) -> list[tuple]:
    """Every suppressed figure of a flow (value or numerator c, in every view) whose window total the
    figures of all the views together determine. A view is a member's displayed rows and judged figures."""
    facts = known_sums([seen for rows, figures in views for seen in members_view(rows, figures)])
    sources = month_sources()
    rows = pd.concat([r[r["indicator_id"].isin(sources)] for r, _ in views])
    hidden = rows["suppressed"] | (rows["numerator_display"] == SUPPRESSED)
    shown = set(zip(rows.loc[~hidden, "indicator_id"], rows.loc[~hidden, "basis"], rows.loc[~hidden, "period_end"], strict=True))
    targets = {(r.indicator_id, r.basis, r.period_end) for r in rows[hidden].itertuples()} - shown
    assert sum(t[1] == "month" for t in targets) >= 20  # plenty of suppressed months to attack
    return sorted(t for t in targets if derivable(frozenset(window(t[1], t[2])), facts.get(sources[t[0]], [])))


def known_sums(seen: list[tuple]) -> dict[str, list[frozenset]]:
    """Per flow whose months are counted: the windows whose numerator total a member can read, from a shown
    count or numerator, or a shown percentage or rate times its shown denominator."""
    sources = month_sources()
    facts: dict[str, set] = {}
    for ind, basis, end, num, value, den in seen:
        if ind not in sources:
            continue
        unit = REGISTRY[ind].unit
        if num is None and value is not None and (unit == "count" or den is not None):
            num = value if unit == "count" else value * den
        if num is not None:
            facts.setdefault(sources[ind], set()).add(frozenset(window(basis, pd.Timestamp(end).date())))
    return {k: sorted(v, key=sorted) for k, v in facts.items()}


def derivable(target: frozenset, facts: list[frozenset]) -> bool:
    """Whether a window's total is a linear combination of the known totals (exact Gaussian elimination);
    each month is an unknown, including months before the figures a member can see."""
    months = sorted(target.union(*facts))
    col = {m: i for i, m in enumerate(months)}

    def vec(s: frozenset) -> list[Fraction]:
        v = [Fraction(0)] * len(months)
        for m in s:
            v[col[m]] = Fraction(1)
        return v

    basis_rows: list[list[Fraction]] = []
    for s in facts:
        v = vec(s)
        for b in basis_rows:
            p = next(i for i, x in enumerate(b) if x)
            if v[p]:
                v = [a - v[p] / b[p] * c for a, c in zip(v, b, strict=True)]
        if any(v):
            basis_rows.append(v)
    t = vec(target)
    for b in basis_rows:
        p = next(i for i, x in enumerate(b) if x)
        if t[p]:
            t = [a - t[p] / b[p] * c for a, c in zip(t, b, strict=True)]
    return not any(t)


def attack_frame() -> tuple[pd.DataFrame, list[dt.date]]:
    """Small flows over 30 months (October 2023 to March 2026): counts of 0-12 so many months are 1-5."""
    ends = months_from(dt.date(2023, 10, 1), 30)
    refs = {d: (7 * i + 3) % 13 for i, d in enumerate(ends)}
    nfa = {d: min(refs[d], (5 * i + 1) % 7) for i, d in enumerate(ends)}
    s47 = {d: (11 * i + 5) % 9 + (6 if i % 4 == 0 else 0) for i, d in enumerate(ends)}
    rows = series_rows("referrals", refs) + series_rows("referrals_nfa_pct", nfa, refs) + series_rows("s47_enquiries", s47)
    for ind, counts in (("referrals_rate", refs), ("s47_enquiries_rate", s47)):
        for r in series_rows(ind, counts):
            if r[1] in REGISTRY[ind].bases:
                rows.append((ind, r[1], r[2], "la", LA, r[5], 41000, 10000 * r[5] / 41000, "rate_per_10k"))
    frame = pd.DataFrame(rows, columns=COLS)
    return frame.assign(period_start=frame["period_end"]), ends


def member_view_at(results: pd.DataFrame, end: dt.date) -> tuple[pd.DataFrame, list]:
    """What a member sees for one period end: the 24 months up to it, as the judged table reads them."""
    since = add_months(end.replace(day=1), -23)
    window_rows = results[(results["period_end"] >= since) & (results["period_end"] <= end)]
    rows = la_rows(window_rows, LA, suppressed=True)
    registry = {i: REGISTRY[i] for i in set(results["indicator_id"])}
    return rows, judge_rows(rows, end, LA, load_targets(None, REGISTRY), registry=registry)


def test_attack_no_suppressed_figure_can_be_recomputed_from_what_members_see():
    results, ends = attack_frame()
    assert recovered([member_view_at(results, ends[-1])]) == []


def test_attack_across_views_at_several_period_ends():
    # A member can open the dashboard at any period end: each view reads its own 24 months.
    results, ends = attack_frame()
    assert recovered([member_view_at(results, end) for end in (ends[-1], ends[-2], ends[-7], ends[-13])]) == []


@pytest.mark.slow
def test_attack_on_the_tiny_synthetic_authority(tmp_path):
    """The same attack on the engine's own figures: the `tiny` authority, 24 months of every indicator."""
    from cscperf.indicators import compute, month_ends, store_results
    from cscperf.synth.generator import build_warehouse

    end = dt.date(2026, 3, 31)
    path = tmp_path / "tiny.duckdb"
    build_warehouse(path, profile="tiny", years=2, seed=2, end_date=end, progress=False)
    con = duckdb.connect(str(path))
    try:
        store_results(con, compute(con, month_ends(end, 24), breakdowns=("la",)))
        judged = judged_table.read(con, end, "members", load_targets(None, REGISTRY))
    finally:
        con.close()
    rows = judged.rows
    # The engine sums an additive flow's months into its windows: the attack's model of the figures holds.
    referrals = rows[rows["indicator_id"] == "referrals"].set_index(["basis", "period_end"])["numerator"]
    assert referrals["ytd", end] == sum(referrals["month", m] for m in window("ytd", end))
    assert recovered([(rows, judged.figures)]) == []


def previous(m: dt.date) -> dt.date:
    return m.replace(day=1) - dt.timedelta(days=1)


def test_attack_by_simple_differences():
    """The attacks the issue names, written out against each suppressed month: consecutive year-to-date
    figures, year to date minus the months shown, and rolling-12 figures a month apart."""
    results, ends = attack_frame()
    rows = la_rows(results, LA, suppressed=True)
    for ind in ("referrals", "s47_enquiries"):
        mine = rows[rows["indicator_id"] == ind]
        vis = {(r.basis, r.period_end) for r in mine.itertuples() if not r.suppressed}
        small = [r.period_end for r in mine.itertuples() if r.basis == "month" and r.suppressed]
        assert len(small) >= 5, f"{ind}: the series should have suppressed months to attack"
        for m in small:
            assert m.month == 4 or not {("ytd", m), ("ytd", previous(m))} <= vis, f"{ind} {m}: consecutive YTD"
            for e in ends:
                if ("ytd", e) in vis and m in window("ytd", e):
                    assert not all(("month", d) in vis for d in window("ytd", e) if d != m), f"{ind} {m}: YTD {e} - months"
                # Rolling 12 to e minus rolling 12 to the month before: month e in, the month a year before e out.
                if {("rolling12", e), ("rolling12", previous(e))} <= vis:
                    year_before = month_end(e.year - 1, e.month)
                    assert m not in (e, year_before), f"{ind} {m}: rolling 12 to {e} minus the month before"
