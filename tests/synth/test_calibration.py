"""The default authority matches Peterborough's published scale in every collection year (slow)."""

from __future__ import annotations

import datetime as dt

import duckdb
import pytest

from cscperf.synth.generator import build_warehouse

pytestmark = pytest.mark.slow
END = dt.date(2025, 3, 31)
YEARS = [(dt.date(y - 1, 4, 1), dt.date(y, 3, 31)) for y in range(2021, 2026)]


@pytest.fixture(scope="module")
def pb(tmp_path_factory):
    path = tmp_path_factory.mktemp("pb") / "peterborough.duckdb"
    build_warehouse(path, profile="peterborough", years=5, seed=1, end_date=END, progress=False)
    con = duckdb.connect(str(path), read_only=True)
    yield con
    con.close()


def one(con, sql: str, *params) -> float:
    return con.execute(sql, list(params)).fetchone()[0]


@pytest.mark.parametrize(("start", "end"), YEARS)
def test_referrals_and_rereferrals(pb, start, end):
    referrals = one(pb, "SELECT count(*) FROM ssd_cin_episodes WHERE cine_referral_date BETWEEN ? AND ?", start, end)
    rereferrals = one(
        pb,
        """SELECT count(*) FROM ssd_cin_episodes r WHERE cine_referral_date BETWEEN ? AND ? AND EXISTS (
             SELECT 1 FROM ssd_cin_episodes p WHERE p.cine_person_id = r.cine_person_id
               AND p.cine_referral_date < r.cine_referral_date
               AND p.cine_referral_date >= r.cine_referral_date - INTERVAL 12 MONTH)""",
        start,
        end,
    )
    assert 3000 <= referrals <= 4500
    assert 15 <= 100 * rereferrals / referrals <= 25


def children_open_on(con, table: str, person: str, start: str, end: str, day: dt.date, where: str = "TRUE") -> float:
    """Children with a record of `table` open on `day` (started by then, not ended by then)."""
    return one(
        con,
        f"SELECT count(DISTINCT {person}) FROM {table} WHERE {start} <= ? AND ({end} IS NULL OR {end} > ?) AND {where}",
        day,
        day,
    )


@pytest.mark.parametrize(("start", "end"), YEARS)
def test_looked_after_and_protection_stocks(pb, start, end):
    cla = children_open_on(
        pb,
        "ssd_cla_episodes",
        "clae_person_id",
        "clae_cla_episode_start_date",
        "clae_cla_episode_ceased_date",
        end,
        "clae_ext_legal_status NOT IN ('V3', 'V4')",
    )
    cp = children_open_on(pb, "ssd_cp_plans", "cppl_person_id", "cppl_cp_plan_start_date", "cppl_cp_plan_end_date", end)
    assert 330 <= cla <= 450
    assert 170 <= cp <= 280


@pytest.mark.parametrize(("start", "end"), YEARS)
def test_children_starting_and_ceasing_care(pb, start, end):
    periods = """SELECT clae_cla_id, min(clae_cla_episode_start_date) AS s,
                   max(clae_cla_episode_ceased_date) FILTER (WHERE clae_cla_episode_ceased_reason <> 'X1') AS e
                 FROM ssd_cla_episodes WHERE clae_ext_legal_status NOT IN ('V3', 'V4') GROUP BY 1"""
    started = one(pb, f"SELECT count(*) FROM ({periods}) WHERE s BETWEEN ? AND ?", start, end)
    ceased = one(pb, f"SELECT count(*) FROM ({periods}) WHERE e BETWEEN ? AND ?", start, end)
    assert 130 <= started <= 190
    assert 130 <= ceased <= 190


@pytest.mark.parametrize(("start", "end"), YEARS)
def test_population(pb, start, end):
    # The mid-year estimate inside the collection year (30 June of its first calendar year).
    population = one(pb, "SELECT sum(popn_count) FROM ext_population WHERE popn_year = ?", start.year)
    assert 54_000 <= population <= 58_000


@pytest.mark.parametrize(("start", "end"), YEARS)
def test_children_in_need_at_31_march(pb, start, end):
    # Peterborough's published children in need at 31 March 2023-2025: 1,746, 2,282 and 2,389 (CIN census, table B1).
    cin = children_open_on(pb, "ssd_cin_episodes", "cine_person_id", "cine_referral_date", "cine_close_date", end)
    assert 1_700 <= cin <= 2_450
