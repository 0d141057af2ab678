"""`cscperf_results`: created from its one declaration, written and read only through warehouse.results."""

import datetime as dt

import duckdb
import pandas as pd

from cscperf.warehouse import connect, results
from cscperf.warehouse.schema import RESULT_COLUMNS, RESULTS

FEB, MAR = dt.date(2024, 2, 29), dt.date(2024, 3, 31)


def figures(rows):
    return pd.DataFrame(
        [(i, b, end.replace(day=1), end, bd, bv, n, d, v, "count") for i, b, end, bd, bv, n, d, v in rows], columns=RESULT_COLUMNS
    )


def test_the_table_has_the_declared_columns(tmp_path):
    con = connect(tmp_path / "w.duckdb")
    got = [
        r[0]
        for r in con.execute(
            "SELECT column_name FROM information_schema.columns WHERE table_name = 'cscperf_results' ORDER BY ordinal_position"
        ).fetchall()
    ]
    assert got == RESULTS.column_names == [*RESULT_COLUMNS, "computed_at", "definition_version"]


def test_read_filters_and_look_ups(tmp_path):
    con = connect(tmp_path / "w.duckdb")
    assert (results.latest_period(con), results.la_code(con)) == (None, None)  # created empty
    results.store(
        con,
        figures(
            [
                ("referrals", "month", FEB, "la", "999", 15, None, 15),
                ("referrals", "month", MAR, "la", "999", 12, None, 12),
                ("referrals", "month", MAR, "team", "T1", 7, None, 7),
                ("referrals", "ytd", MAR, "la", "999", 140, None, 140),
            ]
        ),
    )
    assert (results.latest_period(con), results.la_code(con)) == (MAR, "999")
    la = results.read(con)
    assert la.columns.tolist() == RESULT_COLUMNS and len(la) == 3  # the team row is another breakdown
    assert results.read(con, basis="month", since=MAR)["value"].tolist() == [12.0]
    assert results.read(con, breakdown="team", period_ends=[MAR])["breakdown_value"].tolist() == ["T1"]
    assert results.read(con, period_ends=[FEB])["period_end"].tolist() == [FEB]  # dates, not timestamps
    # Storing a month again replaces every breakdown of that indicator, basis and month, and nothing else.
    results.store(con, figures([("referrals", "month", MAR, "la", "999", 13, None, 13)]))
    assert results.read(con, basis="month")["value"].tolist() == [15.0, 13.0]
    assert results.read(con, breakdown="team").empty


def test_a_database_without_the_table_reads_as_no_figures(tmp_path):
    con = duckdb.connect(str(tmp_path / "plain.duckdb"))
    assert results.read(con).columns.tolist() == RESULT_COLUMNS and results.read(con).empty
    assert (results.latest_period(con), results.la_code(con), results.computed_at(con)) == (None, None, None)
