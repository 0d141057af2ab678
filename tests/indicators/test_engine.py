"""The engine's period arithmetic, storage, and the monthly roll-up of additive flows."""

import dataclasses
import datetime as dt

import ibis
import pandas as pd
import pytest

from cscperf.indicators import REGISTRY, compute, month_ends, store_results
from cscperf.indicators.engine import Engine, Run, period_start, periods_frame

D = dt.date.fromisoformat


def test_month_ends_cross_a_leap_february():
    assert month_ends(D("2024-03-31"), 3) == [D("2024-01-31"), D("2024-02-29"), D("2024-03-31")]
    assert month_ends(D("2024-03-15"), 1) == [D("2024-03-31")]


@pytest.mark.parametrize(
    ("basis", "end", "start"),
    [
        ("month", "2024-02-29", "2024-02-01"),
        ("rolling12", "2024-02-29", "2023-03-01"),  # 29 Feb 2024 - 12 months = 28 Feb 2023; the window starts the day after
        ("rolling12", "2024-03-31", "2023-04-01"),
        ("rolling12", "2025-02-28", "2024-03-01"),  # not 29 Feb 2024: that would be 12 months and a day
        ("rolling12", "2024-03-15", "2023-03-16"),
        ("ytd", "2024-03-31", "2023-04-01"),
        ("ytd", "2024-04-30", "2024-04-01"),
        ("ytd", "2025-01-31", "2024-04-01"),
        ("year", "2024-03-31", "2023-04-01"),
        ("year", "2024-02-29", None),  # the collection year basis only exists at 31 March
        ("quarter", "2024-03-31", "2024-01-01"),  # a leap February inside the quarter
        ("quarter", "2024-06-30", "2024-04-01"),
        ("quarter", "2024-09-30", "2024-07-01"),
        ("quarter", "2024-12-31", "2024-10-01"),
        ("quarter", "2024-05-31", None),  # only at a quarter's end
        ("quarter", "2024-06-29", None),  # the day before a quarter's end is not its end
    ],
)
def test_period_windows(basis, end, start):
    assert period_start(basis, D(end)) == (D(start) if start else None)


def test_periods_frame_drops_year_except_at_31_march():
    frame = periods_frame([D("2024-02-29"), D("2024-03-31")], ["month", "year"])
    assert list(zip(frame.basis, frame.period_end, strict=True)) == [
        ("month", D("2024-02-29")),
        ("month", D("2024-03-31")),
        ("year", D("2024-03-31")),
    ]


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    from cscperf.synth.generator import build_warehouse
    from cscperf.warehouse import connect

    path = tmp_path_factory.mktemp("tiny") / "w.duckdb"
    build_warehouse(path, profile="tiny", years=2, seed=3, end_date=D("2026-03-31"), progress=False)
    return connect(path)


def test_monthly_roll_up_equals_counting_each_period(tiny):
    """Additive flows are counted per month and summed; the result must equal counting every window directly."""
    periods = periods_frame(month_ends(D("2026-03-31"), 4), ["month", "rolling12", "ytd", "year"])
    additive = [i for i in REGISTRY.values() if i.additive]
    assert len(additive) >= 15
    key = ["basis", "period_end", "breakdown", "breakdown_value"]
    with Run(tiny, periods) as run:
        engine = Engine(tiny, run)
        counted = {
            (ind.id, flag): engine.compute_one(dataclasses.replace(ind, additive=flag), periods, ("la", "team"))
            for ind in additive
            for flag in (True, False)
        }
    for ind in additive:
        rolled, direct = counted[ind.id, True], counted[ind.id, False]
        assert len(rolled) > 0, ind.id
        merged = rolled.merge(direct, on=key, suffixes=("_r", "_d"), how="outer", indicator=True)
        assert (merged["_merge"] == "both").all(), ind.id
        pd.testing.assert_series_equal(merged.numerator_r, merged.numerator_d, check_names=False, obj=ind.id)
        pd.testing.assert_series_equal(merged.denominator_r, merged.denominator_d, check_names=False, obj=ind.id)


def test_store_results_replaces_the_same_figures(tiny):
    first = compute(tiny, [D("2026-03-31")], bases=["month"], breakdowns=["la"], ids=["referrals"])
    store_results(tiny, first)
    store_results(tiny, first)
    stored = tiny.execute(
        "SELECT count(*), max(value) FROM cscperf_results WHERE indicator_id = 'referrals' AND basis = 'month'"
    ).fetchone()
    assert stored == (1, first.value.iloc[0])


def test_parallel_connections_and_shared_blocks_give_the_same_figures(tiny):
    """Several connections sharing the run's blocks (made once, by whichever needs one first) give exactly the
    figures of one connection."""
    ends = month_ends(D("2026-03-31"), 3)
    one = compute(tiny, ends, threads=1)
    three = compute(tiny, ends, threads=3)
    pd.testing.assert_frame_equal(one, three)
    assert set(one.indicator_id) == set(REGISTRY)


def test_snapshot_indicators_read_the_shared_stocks(tiny):
    periods = periods_frame([D("2026-03-31")], ["month"])
    with Run(tiny, periods) as run:
        engine = Engine(tiny, run)
        sql = {i: engine._cohort_sql(REGISTRY[i], ("month",), ("la",)) for i in ("cin_open_12m_plus", "cla_open")}
    assert '"shared_open_cin_with_status"' in sql["cin_open_12m_plus"]
    assert '"shared_cla_open_at"' in sql["cla_open"]


@pytest.mark.parametrize("months", [12, 1])
@pytest.mark.parametrize("in_time", ["_visits_in_time", "_reviews_in_time"])
def test_cla_timeliness_from_recent_history_equals_from_all_of_it(tiny, in_time, months):
    """Visits and reviews in timescale read only the history that can miss a recent deadline; every child at every
    month end must come out as it does from the whole history of their placement or period of care, whatever the
    window of deadlines that count (with 1 month, a visit 2 months ago can still be in time)."""
    from cscperf.indicators.catalogue import e_looked_after
    from cscperf.indicators.model import Model, Settings

    cohort = getattr(e_looked_after, in_time)
    ends = month_ends(D("2026-03-31"), 24)
    periods = ibis.memtable({"basis": ["month"] * len(ends), "period_start": ends, "period_end": ends})
    m = Model(ibis.duckdb.from_connection(tiny), Settings(timeliness_lookback_months=months))
    keys = ["period_end", "person_id", "met"]
    recent = cohort(m, periods, recent_only=True).select(*keys).to_pandas().sort_values(keys, ignore_index=True)
    whole = cohort(m, periods, recent_only=False).select(*keys).to_pandas().sort_values(keys, ignore_index=True)
    assert len(whole) > 200 and whole.met.any() and not whole.met.all()
    pd.testing.assert_frame_equal(recent, whole)
