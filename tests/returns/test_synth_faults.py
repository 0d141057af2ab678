"""`synth --faults`: every injected fault is recorded, and validation finds the faults it should.

DfE's rules (the pinned validators, `make dfe-rules`) are matched on the child and the rule each fault
names, not on totals: other rules fire on the synthetic returns today for reasons of their own.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from cscperf.ingest.validate import run_checks
from cscperf.returns import cin_census, ssda903
from cscperf.returns.dfe_rules import files_to_check, run_rules
from cscperf.synth import faults
from cscperf.synth.generator import build_warehouse
from cscperf.warehouse import connect

END = dt.date(2025, 3, 31)
YEAR = 2025
RATE = 0.05
WANTED_SHARE = 0.95


def test_faults_land_on_the_year_s_records_one_per_child():
    # Worked by hand for the 2024-25 year (1 April 2024 to 31 March 2025), every eligible record chosen:
    # R1 (P1) closed after its referral in the year -> closed the day before its referral, 30 April 2024;
    # R2 (P2) was referred on 1 April, so a day earlier would leave the year: it gets the next kind, an unknown need code;
    # R3 is P1's too, and a child gets one fault.
    d = np.datetime64
    episodes = pd.DataFrame(
        {
            "cine_referral_id": [1, 2, 3],
            "cine_person_id": [1, 2, 1],
            "cine_referral_date": np.array([d("2024-05-01"), d("2024-04-01"), d("2024-07-01")], dtype="datetime64[s]"),
            "cine_cin_primary_need_code": ["N1", "N2", "N3"],
            "cine_referral_nfa": ["N", "N", "N"],
            "cine_close_date": np.array([d("2024-06-01"), d("2024-05-01"), "NaT"], dtype="datetime64[s]"),
        }
    )
    out, recorded = faults.inject(np.random.default_rng(1), {"ssd_cin_episodes": episodes}, 1.0, END)
    assert recorded[["faul_kind", "faul_record_id", "faul_person_id", "faul_year", "faul_cin_rules"]].values.tolist() == [
        ["cin_closed_before_referral", "R1", "P1", 2025, "8630"],
        ["primary_need_not_in_list", "R2", "P2", 2025, "8650"],
    ]
    faulty = out["ssd_cin_episodes"]
    assert faulty.loc[0, "cine_close_date"] == pd.Timestamp("2024-04-30")
    assert list(faulty["cine_cin_primary_need_code"]) == ["N1", faults.UNKNOWN_CODE, "N3"]
    assert faults.inject(np.random.default_rng(1), {"ssd_cin_episodes": episodes}, 0.0, END)[1].empty


def synthetic(path, rate: float):
    build_warehouse(path, profile="tiny", years=3, seed=1, end_date=END, faults=rate, progress=False)
    con = connect(path)
    con.execute("UPDATE ext_authority SET auth_la_name = 'Rutland'")  # the 903 rules look the authority up by a real name
    con.close()
    return path


@pytest.fixture(scope="module")
def faulty(tmp_path_factory):
    return synthetic(tmp_path_factory.mktemp("faults") / "faulty.duckdb", RATE)


def recorded(path) -> pd.DataFrame:
    con = connect(path, read_only=True)
    try:
        return con.execute("SELECT * EXCLUDE (_load_id, _source) FROM ext_synth_faults ORDER BY faul_fault_id").df()
    finally:
        con.close()


def test_every_kind_is_injected_recorded_and_reproducible(faulty, tmp_path):
    table = recorded(faulty)
    assert (table["faul_year"] == YEAR).all() and table["faul_person_id"].str.startswith("P").all()
    assert not table["faul_person_id"].duplicated().any()  # one fault per child
    again = tmp_path / "again.duckdb"
    build_warehouse(again, profile="tiny", years=3, seed=1, end_date=END, faults=RATE, progress=False)
    assert recorded(again).equals(table)
    # The tiny authority has few records of some kinds (CP plans that start and end in the year): at the
    # highest rate every kind appears.
    many = tmp_path / "many.duckdb"
    build_warehouse(many, profile="tiny", years=3, seed=1, end_date=END, faults=0.5, progress=False)
    assert set(recorded(many)["faul_kind"]) == {kind.name for kind, _ in faults.KINDS}


def found_by_dfe(path, tmp_path) -> set[tuple[str, str]]:
    con = connect(path, read_only=True)
    try:
        cin = cin_census.write(con, YEAR, tmp_path / "cin")
        lac = ssda903.write(con, YEAR, tmp_path / "903")
    finally:
        con.close()
    reports = [run_rules("cin", files_to_check(cin), YEAR), run_rules("903", files_to_check(lac), YEAR, "Rutland")]
    expected = {rule for kind, _ in faults.KINDS for rule in (*kind.cin, *kind.ssda903)}
    for report in reports:
        assert not expected & set(report.crashed), report.crashed  # a rule that crashed has not looked
    return {(child, rule) for report in reports for child, rule in zip(report.issues["child_id"], report.issues["rule"], strict=True)}


def test_dfe_rules_find_at_least_95_percent_of_the_faults_they_cover(faulty, tmp_path):
    table = recorded(faulty)
    covered = table[(table["faul_cin_rules"] != "") | (table["faul_903_rules"] != "")].copy()
    # The same seed without faults gives the same records: a rule that fires there for the child is not
    # the fault's finding, so it does not count.
    clean = synthetic(tmp_path / "clean.duckdb", 0.0)
    found = found_by_dfe(faulty, tmp_path / "faulty") - found_by_dfe(clean, tmp_path / "clean")
    rules = (covered["faul_cin_rules"] + "," + covered["faul_903_rules"]).str.split(",")
    covered["found"] = [any((child, r) in found for r in rs if r) for child, rs in zip(covered["faul_person_id"], rules, strict=True)]
    share = covered.groupby("faul_kind")["found"].agg(["size", "sum"])
    print("\nDfE rules: injected faults found, by kind\n" + share.to_string())  # shown with pytest -s
    assert len(covered) >= 40
    assert covered["found"].mean() >= WANTED_SHARE, share.to_string()


def test_cscperf_checks_find_the_faults_no_dfe_rule_sees(faulty):
    table = recorded(faulty)
    own = table[table["faul_check"] != ""]
    assert set(own["faul_kind"]) == {"missing_referral_date", "missing_visit_date", "duplicate_contact"}
    con = connect(faulty, read_only=True)
    try:
        problems = run_checks(con)
    finally:
        con.close()
    seen = set(zip(problems["rule"], problems["table"], problems["record_id"], strict=True))
    missed = [f for f in own.itertuples() if (f.faul_check, f.faul_table, f.faul_record_id) not in seen]
    assert missed == []
