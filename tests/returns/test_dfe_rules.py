"""DfE's validation rules (Data to Insight's validators) run in their own environment on cscperf's returns.

These run the real rule sets: `make test` builds their environment (`make dfe-rules`).
"""

from __future__ import annotations

import dataclasses
import shutil
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner

from cscperf.cli import main
from cscperf.errors import UserError
from cscperf.returns import dfe_rules, ssda903
from cscperf.returns.dfe_rules import check_warehouse, crashed_message, rule_set, run_rules, store
from cscperf.warehouse import connect

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
SMALL_CIN = FIXTURES / "cin" / "cin_2023_small.xml"


def issues_for(report, child: str) -> set[str]:
    return set(report.issues.loc[report.issues["child_id"] == child, "rule"])


def errors_for(report, child: str) -> set[str]:
    return set(report.errors.loc[report.errors["child_id"] == child, "rule"])


def test_the_cin_rules_find_what_is_wrong_in_a_small_return():
    # C001 has its ICPC at both S47 and CIN-details level (2884) and no UPN (8770Q); C002's records are
    # deliberately broken: a duplicate child id (8510), an assessment before its referral (1103), a missing ethnicity (4220).
    report = run_rules("cin", [SMALL_CIN], 2023)
    assert report.rule_set == "cin2022_23" and report.rules_run > 100 and not report.crashed
    assert {"2884", "8770Q"} <= issues_for(report, "C001")
    assert {"8510", "1103", "4220"} <= issues_for(report, "C002")
    assert set(report.issues["rule_type"]) == {"error", "query"}
    assert (report.errors["rule"] == "2884").any() and (report.queries["rule"] == "8770Q").any()
    assert "2022-23" in report.summary() and "errors" in report.summary()


def write_903(folder: Path, header_columns: list[str], dob: str = "01/05/2012", uasc: bool = False) -> list[Path]:
    """A 2024-25 SSDA903 set for one child looked after all year in foster care (U3)."""
    folder.mkdir()
    header = {"CHILD": "A1", "SEX": "M", "DOB": dob, "ETHNIC": "WBRI", "UPN": "A123456789012", "MOTHER": "", "MC_DOB": ""}
    pd.DataFrame([{k: header[k] for k in header_columns}]).to_csv(folder / "header.csv", index=False)
    if uasc:
        pd.DataFrame([{"CHILD": "A1", "SEX": "M", "DOB": dob, "DUC": ""}]).to_csv(folder / "uasc.csv", index=False)
    pd.DataFrame(
        [
            {
                "CHILD": "A1", "DECOM": "01/06/2023", "RNE": "S", "LS": "C2", "CIN": "N1", "PLACE": "U3", "PLACE_PROVIDER": "PR1",
                "DEC": "", "REC": "", "REASON_PLACE_CHANGE": "", "HOME_POST": "PE1 1AA", "PL_POST": "PE2 2BB", "URN": "XXXXXXX",
            }
        ]
    ).to_csv(folder / "episodes.csv", index=False)  # fmt: skip
    return sorted(folder.glob("*.csv"))


HEADER = ["CHILD", "SEX", "DOB", "ETHNIC", "UPN", "MOTHER", "MC_DOB"]


def test_rule_231_runs_on_2024_25_with_the_readers_uasc_flag(tmp_path):
    # 2024-25's rule 231 reads UASC_STATUS, which the validator's CSV reader holds as UASC (from the UASC file):
    # the runner gives the rule that column, so it runs. An unaccompanied child aged 8 at 31 March 2025 is queried
    # for DfE (born 1 May 2016: under 11); the same child aged 12 is not.
    young = run_rules("903", write_903(tmp_path / "young", HEADER, dob="01/05/2016", uasc=True), 2025, "Peterborough")
    older = run_rules("903", write_903(tmp_path / "older", HEADER, uasc=True), 2025, "Peterborough")
    assert young.crashed == {} and older.crashed == {}
    assert "231" in issues_for(young, "A1") and "231" not in issues_for(older, "A1")


def test_a_rule_that_crashes_is_reported_not_passed():
    from cscperf.returns import dfe_rules_runner

    @dataclasses.dataclass(frozen=True)
    class Rule:
        code: str
        func: object

    def boom(tables: dict) -> dict:
        raise KeyError("UASC_STATUS")

    crashed: dict[str, str] = {}
    rules = dfe_rules_runner._wrap({"231": Rule("231", boom)}, crashed)
    with pytest.raises(KeyError):
        rules["231"].func({})
    assert crashed == {"231": "KeyError: 'UASC_STATUS'"}
    report = dfe_rules.DfeReport("903", 2025, "lac2024_25", pd.DataFrame(columns=dfe_rules.ISSUE_COLUMNS), 1, crashed)
    assert "rule 231: KeyError" in crashed_message(report)
    assert crashed_message(run_rules("cin", [SMALL_CIN], 2023)) is None


def test_no_rule_set_for_the_year_names_the_year():
    with pytest.raises(UserError, match="year ending 31 March 2019.*2022-23 to 2026-27"):
        rule_set("cin", 2019)
    assert rule_set("903", 2026) == "lac2025_26"


def test_a_missing_validator_environment_says_how_to_install_it(monkeypatch, tmp_path):
    monkeypatch.setenv(dfe_rules.ENV_VARIABLE, str(tmp_path / "nowhere"))
    with pytest.raises(UserError, match="make dfe-rules"):
        run_rules("cin", [SMALL_CIN], 2023)


def test_a_file_the_validator_cannot_read_is_a_clear_error(tmp_path):
    bad = tmp_path / "broken.xml"
    bad.write_text("<Message><Header>")
    with pytest.raises(UserError, match=r"CIN census rules \(cin2022_23\) could not run on broken.xml"):
        run_rules("cin", [bad], 2023)


@pytest.fixture
def tiny_warehouse(tmp_path):
    path = tmp_path / "tiny.duckdb"
    result = CliRunner().invoke(main, ["synth", "--profile", "tiny", "--years", "3", "--end-date", "2024-03-31", "--warehouse", str(path)])
    assert result.exit_code == 0, result.output
    # The 903 rules look the authority up by name to tell placements out of area: give the fictional
    # authority a real one's name.
    con = connect(path)
    con.execute("UPDATE ext_authority SET auth_la_name = 'Rutland'")
    con.close()
    return path


def test_an_authority_the_lookup_does_not_know_is_named(tmp_path):
    with pytest.raises(UserError, match="no upper-tier authority named 'Atlantis'"):
        run_rules("903", write_903(tmp_path / "set", ["CHILD", "SEX", "DOB", "ETHNIC", "UPN", "MOTHER", "MC_DOB"]), 2024, "Atlantis")


def test_validate_year_writes_the_returns_runs_the_rules_and_stores_every_issue(tiny_warehouse, tmp_path):
    out = tmp_path / "dfe.csv"
    result = CliRunner().invoke(main, ["validate", "--year", "2024", "--warehouse", str(tiny_warehouse), "--dfe-out", str(out)])
    assert result.exit_code == 0, result.output
    assert "CIN census 2023-24 (cin2023_24" in result.output and "SSDA903 2023-24 (lac2023_24" in result.output
    written = pd.read_csv(out, dtype=str, keep_default_na=False)
    con = connect(tiny_warehouse, read_only=True)
    stored = con.execute("SELECT kind, count(*) FROM cscperf_dfe_issues WHERE year = 2024 GROUP BY kind").fetchall()
    children = {r[0] for r in con.execute("SELECT pers_person_id FROM ssd_person").fetchall()}
    con.close()
    assert dict(stored) == written.groupby("kind").size().to_dict()
    named = set(written["child_id"]) - {""}
    assert named and named <= children  # every issue names a child the warehouse holds (or none, for return-level rules)


def test_validating_again_replaces_the_stored_issues(tiny_warehouse):
    con = connect(tiny_warehouse)
    reports = check_warehouse(con, 2024, ["cin"])
    store(con, reports)
    store(con, reports)
    count = con.execute("SELECT count(*) FROM cscperf_dfe_issues WHERE kind = 'cin' AND year = 2024").fetchone()[0]
    con.close()
    assert count == len(reports[0].issues)


def test_validate_refuses_an_unknown_return(tiny_warehouse):
    result = CliRunner().invoke(main, ["validate", "--year", "2024", "--returns", "cin,oc9", "--warehouse", str(tiny_warehouse)])
    assert isinstance(result.exception, UserError) and "oc9" in str(result.exception)


def test_the_validator_environment_is_built_from_its_own_lock():
    python = dfe_rules.validator_python()
    assert shutil.which(str(python)) or python.exists()
    lock = (Path(dfe_rules.REPO) / "requirements-dfe-rules.lock").read_text()
    assert "csc-validator-be-cin==" in lock and "csc-validator-be-903==" in lock and "pandas==1.5" in lock


def test_the_903_rules_that_compare_with_last_year_run_when_given_last_years_return(tmp_path):
    # A1 is looked after from 1 June 2023 (C2, foster care) and still is, so in both the 2023-24 and 2024-25 returns.
    # Last year's return held A1 as a girl (2023-24's code 2) whose open episode was on legal status J2: rule 202 (sex
    # differs from last year's) and rule 503B (first episode's legal status differs from last year's open episode)
    # fire. Last year's return holding A1 as a boy (2023-24's code 1, this year's M) on C2 agrees, and neither fires.
    this_year = write_903(tmp_path / "now", HEADER, uasc=True)
    agreeing = write_903(tmp_path / "agreeing", HEADER, uasc=True)
    pd.read_csv(tmp_path / "agreeing" / "header.csv", dtype=str).assign(SEX="1").to_csv(tmp_path / "agreeing" / "header.csv", index=False)
    differing = write_903(tmp_path / "differing", HEADER, uasc=True)
    pd.read_csv(tmp_path / "differing" / "header.csv", dtype=str).assign(SEX="2").to_csv(tmp_path / "differing" / "header.csv", index=False)
    episodes = pd.read_csv(tmp_path / "differing" / "episodes.csv", dtype=str)
    episodes.assign(LS="J2").to_csv(tmp_path / "differing" / "episodes.csv", index=False)

    alone = run_rules("903", this_year, 2025, "Peterborough")
    good = run_rules("903", this_year, 2025, "Peterborough", agreeing, "the agreeing 2023-24 return")
    bad = run_rules("903", this_year, 2025, "Peterborough", differing)
    assert {"202", "503B"} <= set(alone.skipped)  # without last year's return the validator skips them
    # the report comes back whole: which return it was compared with is in it and in its summary
    assert good.compared_with == "the agreeing 2023-24 return" and "last year's return: the agreeing 2023-24 return" in good.summary()
    assert alone.compared_with == "" and "; last year's return:" not in alone.summary()
    assert not {"202", "503B"} & set(good.skipped) and not {"202", "503B"} & set(bad.skipped)
    assert good.crashed == {} and bad.crashed == {}
    assert not {"202", "503B"} & issues_for(good, "A1")
    assert {"202", "503B"} <= issues_for(bad, "A1")
    assert set(bad.issues.loc[bad.issues["rule"] == "202", "table"]) == {"Header"}


def test_the_care_history_rules_get_the_episodes_before_last_year(tmp_path):
    # Care leavers in 2024-25's OC3 (their 17th to 21st birthday in the year), none with an episode in 2024-25's or
    # 2023-24's return; their care is only in the episodes before 2023-24, which DfE holds from earlier returns:
    # - L1 (born 1 May 2007) looked after 1 June 2021 to 1 June 2023, past their 14th and 16th birthdays: a former
    #   relevant child;
    # - L2 (born 1 March 2005, 20 on 1 March 2025) looked after 1 April 2019 to 1 April 2022: a former relevant child;
    # - L3 (born 1 August 2007) looked after for 30 days after their 14th birthday only: not a relevant child.
    # Given those episodes, rule 1002 (no previous episodes) is silent for all three and rule 1001 (not a relevant
    # child) flags L3 as an error, on L3's own OC3 row. Without them 1002 flags all three and 1001 flags L1 and L3.
    # Either way 1001 also flags L2, whom it means not to test (20 or over): a declared validator defect.
    write_903(tmp_path / "now", HEADER, uasc=True)
    header = pd.read_csv(tmp_path / "now" / "header.csv", dtype=str)
    born = {"L1": "01/05/2007", "L2": "01/03/2005", "L3": "01/08/2007"}
    leavers = [{"CHILD": c, "SEX": "F", "DOB": b, "ETHNIC": "WBRI", "UPN": "UN1", "MOTHER": "0", "MC_DOB": ""} for c, b in born.items()]
    pd.concat([header, pd.DataFrame(leavers)]).to_csv(tmp_path / "now" / "header.csv", index=False)
    oc3 = pd.DataFrame([{"CHILD": c, "DOB": b, "IN_TOUCH": "YES", "ACTIV": "F2", "ACCOM": "S2"} for c, b in born.items()])
    oc3.to_csv(tmp_path / "now" / "oc3.csv", index=False)
    this_year = sorted((tmp_path / "now").glob("*.csv"))
    last_year = write_903(tmp_path / "last", HEADER, uasc=True)
    episode = pd.read_csv(tmp_path / "now" / "episodes.csv", dtype=str).iloc[0]
    care = {"L1": ("01/06/2021", "01/06/2023"), "L2": ("01/04/2019", "01/04/2022"), "L3": ("01/08/2021", "31/08/2021")}
    rows = [{**episode, "CHILD": c, "DECOM": a, "DEC": b, "REC": "E8", "REASON_PLACE_CHANGE": ""} for c, (a, b) in care.items()]
    history = tmp_path / f"{ssda903.HISTORY_PREFIX}2024.csv"
    pd.DataFrame(rows).to_csv(history, index=False)

    without = run_rules("903", this_year, 2025, "Peterborough", last_year)
    given = run_rules("903", this_year, 2025, "Peterborough", [*last_year, history])
    assert without.crashed == {} and given.crashed == {}
    assert [errors_for(without, c) & {"1001", "1002"} for c in born] == [{"1001", "1002"}, {"1002"}, {"1001", "1002"}]
    assert [errors_for(given, c) & {"1001", "1002"} for c in born] == [set(), set(), {"1001"}]
    assert given.errors.loc[given.errors["rule"] == "1001", ["table", "row_id"]].values.tolist() == [["OC3", "2"]]
    assert given.defects[["rule", "child_id"]].values.tolist() == [["1001", "L2"]]
