"""The year-end return workflow (cscperf.returns.workflow): versions, comparison, explanations, sign-off.

A hand-built warehouse of five children with CIN episodes (worked out below) and the real CIN census
writer. DfE's rules are replaced by a checker returning issues chosen per test, so each refusal is
tested on its own; `test_returns_cli.py` runs the real rule sets.
"""

from __future__ import annotations

import hashlib
import json
import stat
from pathlib import Path

import pandas as pd
import pytest

from cscperf.errors import UserError
from cscperf.returns import workflow
from cscperf.returns.dfe_rules import ISSUE_COLUMNS, DfeReport
from cscperf.warehouse import connect

# Children and their referrals (referral date, closure date). The CIN census of a year holds every child
# with an episode open in it (1 April to 31 March):
#   A 2023-06-01 to 2023-12-01   2023-24 only
#   B 2023-09-01, open           2023-24 and 2024-25
#   C 2024-01-10 to 2024-08-01   2023-24 and 2024-25
#   D 2024-05-01, open           2024-25 only
#   E 2025-02-01, open           2024-25 only
# So 2023-24 (year 2024) has A, B, C; 2024-25 (year 2025) has B, C, D, E: one more child, D and E added, A dropped.
EPISODES = {
    "A": ("2023-06-01", "2023-12-01"),
    "B": ("2023-09-01", None),
    "C": ("2024-01-10", "2024-08-01"),
    "D": ("2024-05-01", None),
    "E": ("2025-02-01", None),
}


def build_warehouse(path: Path):  # noqa: ANN201
    con = connect(path)
    con.execute("INSERT INTO ext_authority (auth_la_code, auth_la_name) VALUES ('999', 'Testshire')")
    for child, (referred, closed) in EPISODES.items():
        con.execute(
            "INSERT INTO ssd_person (pers_person_id, pers_sex, pers_ethnicity, pers_dob) VALUES (?, 'F', 'WBRI', '2015-05-01')", [child]
        )
        con.execute(
            "INSERT INTO ssd_cin_episodes (cine_referral_id, cine_person_id, cine_referral_date, cine_cin_primary_need_code, "
            "cine_referral_source_code, cine_close_date, cine_close_reason) VALUES (?, ?, ?, 'N1', '1A', ?, ?)",
            [f"R{child}", child, referred, closed, "RC1" if closed else None],
        )
    return con


def report(issues: list[dict] | None = None, crashed: dict[str, str] | None = None):  # noqa: ANN201
    """What DfE's rules report, chosen by the test (one row per issue)."""
    frame = pd.DataFrame([{"kind": "cin", "table": "", "field": "", "row_id": "", **i} for i in issues or []], columns=ISSUE_COLUMNS)

    def check(kind, files, year, la_name, previous=(), compared_with=""):
        assert kind == "cin" and [p.name for p in files] == [f"cin_census_{year}.xml"]
        rules = f"cin{year - 1}_{year % 100:02d}"
        return DfeReport("cin", year, rules, frame.fillna(""), 109, dict(crashed or {}), compared_with=compared_with)

    return check


ERROR = {"rule": "8715", "rule_type": "error", "message": "Date of ICPC must fall within the census year", "child_id": "B"}
QUERY_B = {"rule": "8770Q", "rule_type": "query", "message": "UPN is missing", "child_id": "B"}
QUERY_D = {"rule": "8770Q", "rule_type": "query", "message": "UPN is missing", "child_id": "D"}
QUERY_RETURN = {"rule": "2887Q", "rule_type": "query", "message": "Less than 8 disability codes have been used", "child_id": ""}


def counts(children: int) -> dict[str, int]:
    """The CIN writer's key counts for these children: one referral each, no assessment, S47 or CP plan."""
    return {"children": children, "referrals": children, "assessments": 0, "section47": 0, "cp_plans": 0}


def compared(previous: int | None, now: int) -> list[dict]:
    """The comparison rows for counts(previous) against counts(now)."""
    before = counts(previous) if previous is not None else dict.fromkeys(counts(0))
    return [
        {"name": k, "previous": before[k], "now": v, "change": None if before[k] is None else v - before[k]} for k, v in counts(now).items()
    ]


@pytest.fixture
def wh(tmp_path):
    path = tmp_path / "w.duckdb"
    con = build_warehouse(path)
    yield path, con
    con.close()


def prepare(wh, year=2025, check=None):  # noqa: ANN201
    path, con = wh
    return workflow.prepare(con, path, "cin", year, "tester", check=check or report())


def test_a_draft_is_a_new_private_version_with_its_files_hashed(wh):
    path, con = wh
    first = prepare(wh)
    assert (first.return_id, first.version, first.status, first.counts) == ("cin-2025-v1", 1, "draft", counts(4))
    assert first.folder == path.with_name("w.returns") / "cin-2025-v1"
    xml = first.folder / "cin_census_2025.xml"
    assert stat.S_IMODE(xml.stat().st_mode) == 0o600 and stat.S_IMODE(first.folder.stat().st_mode) & 0o077 == 0
    stored = workflow.files(con, "cin-2025-v1")
    assert stored.to_dict("records") == [
        {"file_name": "cin_census_2025.xml", "sha256": hashlib.sha256(xml.read_bytes()).hexdigest(), "bytes": xml.stat().st_size}
    ]
    assert workflow.children(con, "cin-2025-v1") == ["B", "C", "D", "E"]
    second = prepare(wh)
    assert second.return_id == "cin-2025-v2" and second.folder.is_dir() and xml.is_file()
    assert [r.return_id for r in workflow.all_returns(con)] == ["cin-2025-v2", "cin-2025-v1"]
    assert [r.return_id for r in workflow.latest(con)] == ["cin-2025-v2"]


def test_the_comparison_re_writes_last_year_when_none_was_prepared(wh):
    comparison = prepare(wh).comparison
    assert comparison["basis"] == "the CIN census 2023-24 return re-written from the warehouse (none was prepared)"
    assert comparison["previous"] is None
    assert comparison["counts"] == compared(3, 4)
    assert (comparison["added"], comparison["dropped"]) == (["D", "E"], ["A"])


def test_the_comparison_uses_last_years_prepared_return_and_prefers_the_signed_one(wh):
    path, con = wh
    prepare(wh, 2024)
    workflow.sign_off(con, "cin-2024-v1", "perf", "performance")
    # a later draft of 2023-24 without child C (C's episode removed) is not the one compared with: the signed v1 is
    con.execute("DELETE FROM ssd_cin_episodes WHERE cine_person_id = 'C'")
    assert prepare(wh, 2024).counts == counts(2)
    comparison = prepare(wh).comparison
    assert comparison["basis"] == "the prepared CIN census 2023-24 return cin-2024-v1" and comparison["previous"] == "cin-2024-v1"
    # this year's return now lacks C too: B, D, E against last year's signed A, B, C
    assert comparison["counts"] == compared(3, 3)
    assert (comparison["added"], comparison["dropped"]) == (["D", "E"], ["A", "C"])


def test_no_comparison_when_last_year_has_no_data_says_so(wh):
    path, con = wh
    con.execute("DELETE FROM ssd_cin_episodes WHERE cine_person_id IN ('A', 'B', 'C')")  # 2023-24 now has no child
    comparison = prepare(wh).comparison
    assert comparison["basis"].startswith("no comparison: the CIN census 2023-24 return could not be written from the warehouse")
    assert "2023-24" in comparison["basis"]
    assert comparison["counts"] == compared(None, 2)
    assert (comparison["added"], comparison["dropped"]) == ([], [])


def test_an_error_in_last_years_data_stops_the_preparation_rather_than_drop_the_comparison(wh):
    path, con = wh
    # A (2023-24 only) has an assessment whose factors are not a JSON list: 2024-25's return is fine on its own,
    # but last year's cannot be re-written, and preparing this year says why instead of comparing with nothing
    con.execute(
        "INSERT INTO ssd_cin_assessments (cina_assessment_id, cina_person_id, cina_referral_id, cina_assessment_start_date, "
        "cina_assessment_auth_date) VALUES ('AS-A', 'A', 'RA', '2023-06-05', '2023-07-01')"
    )
    con.execute(
        "INSERT INTO ssd_assessment_factors (cinf_table_id, cinf_assessment_id, cinf_assessment_factors_json) "
        "VALUES ('F-A', 'AS-A', '\"3B\"')"
    )
    with pytest.raises(UserError, match="ssd_assessment_factors: .*not a JSON list"):
        prepare(wh)
    assert nothing_written(path, con)


def nothing_written(path: Path, con) -> bool:  # noqa: ANN001
    folder = path.with_name("w.returns")
    leftovers = list(folder.iterdir()) if folder.exists() else []
    tables = ("cscperf_returns", "cscperf_return_files", "cscperf_return_issues")
    counts = [con.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in tables]
    return leftovers == [] and counts == [0, 0, 0]


def test_a_year_with_no_data_is_named_and_nothing_is_written(wh):
    path, con = wh
    with pytest.raises(UserError, match=r"2022-23.*--year 2023"):
        prepare(wh, 2023)  # the first referral is in June 2023
    assert nothing_written(path, con)


def test_a_warehouse_missing_a_field_the_return_needs_names_it_and_nothing_is_written(wh):
    path, con = wh
    con.execute("ALTER TABLE ssd_person DROP COLUMN pers_upn_unknown")
    with pytest.raises(UserError, match=r"ssd_person\.pers_upn_unknown"):
        prepare(wh)
    assert nothing_written(path, con)


def test_a_validator_that_fails_outright_leaves_nothing(wh):
    path, con = wh

    def broken(kind, files, year, la_name, previous=(), compared_with=""):
        raise UserError("DfE's CIN census rules (cin2024_25) could not run on cin_census_2025.xml: ParseError")

    with pytest.raises(UserError, match="could not run"):
        prepare(wh, check=broken)
    assert nothing_written(path, con)


def test_a_rule_that_crashed_makes_the_check_incomplete_and_blocks_sign_off(wh):
    path, con = wh
    draft = prepare(wh, check=report(crashed={"8600": "KeyError: 'ReferralNFA'"}))
    assert not draft.checks_complete
    assert "Check incomplete" in draft.check_note and "rule 8600: KeyError: 'ReferralNFA'" in draft.check_note
    with pytest.raises(UserError, match=r"check is incomplete.*rule 8600"):
        workflow.sign_off(con, draft.return_id, "perf", "performance")


def test_sign_off_is_refused_while_hard_errors_remain(wh):
    path, con = wh
    draft = prepare(wh, check=report([ERROR]))
    assert len(draft.errors) == 1 and len(draft.queries) == 0
    with pytest.raises(UserError, match=r"1 hard errors remain \(rules 8715\)"):
        workflow.sign_off(con, draft.return_id, "perf", "performance")
    with pytest.raises(UserError, match="errors must be fixed, not explained"):
        workflow.explain(con, draft.return_id, "8715", "B", "It is fine", "tester")
    assert workflow.get(con, draft.return_id).status == "draft"


def test_every_query_needs_a_written_explanation_before_sign_off(wh):
    path, con = wh
    draft = prepare(wh, check=report([QUERY_B, QUERY_D, QUERY_RETURN]))
    rid = draft.return_id
    # three (rule, child) pairs to explain: 8770Q for B and D, and the return-level 2887Q
    assert len(workflow.unexplained_queries(con, rid)) == 3
    with pytest.raises(UserError, match=r"3 queries have no written explanation \(rules 2887Q, 8770Q"):
        workflow.sign_off(con, rid, "perf", "performance")
    assert workflow.explain(con, rid, "8770Q", "B", "UPN applied for; the school has not issued it yet", "tester") == 1
    assert workflow.unexplained_queries(con, rid).to_dict("records") == [
        {"rule": "2887Q", "child_id": ""},
        {"rule": "8770Q", "child_id": "D"},
    ]
    assert workflow.explain(con, rid, "2887Q", "", "A small authority with few disabled children in need", "tester") == 1
    with pytest.raises(UserError, match=r"1 queries have no written explanation \(rules 8770Q"):
        workflow.sign_off(con, rid, "perf", "performance")
    # without --child, one explanation covers the rule for every child of the return
    assert workflow.explain(con, rid, "8770Q", "", "Children under school age have no UPN", "tester") == 2
    assert workflow.unexplained_queries(con, rid).empty
    summary = workflow.issue_summary(con, rid).set_index("rule")
    assert summary.loc["8770Q", ["issues", "children", "unexplained"]].tolist() == [2, 2, 0]
    signed = workflow.sign_off(con, rid, "perf", "performance")
    assert (signed.status, signed.signed_by) == ("signed", "perf") and signed.signed_at is not None


def test_explanations_must_match_a_query_of_the_return(wh):
    path, con = wh
    rid = prepare(wh, check=report([QUERY_B])).return_id
    with pytest.raises(UserError, match="no issue for rule 9999Q"):
        workflow.explain(con, rid, "9999Q", "", "text", "tester")
    with pytest.raises(UserError, match="no query 8770Q for child E"):
        workflow.explain(con, rid, "8770Q", "E", "text", "tester")
    with pytest.raises(UserError, match="--text"):
        workflow.explain(con, rid, "8770Q", "B", "   ", "tester")
    assert workflow.explanations(con, rid).empty


@pytest.mark.parametrize("role", ["member", "manager"])
def test_only_performance_and_admin_users_sign_off(wh, role):
    path, con = wh
    rid = prepare(wh).return_id
    with pytest.raises(UserError, match=f"has role {role}: returns are signed off by performance or admin users"):
        workflow.sign_off(con, rid, "someone", role)
    assert workflow.sign_off(con, rid, "boss", "admin").status == "signed"


def test_a_signed_return_never_changes_and_a_new_prepare_makes_a_new_version(wh):
    path, con = wh
    rid = prepare(wh, check=report([QUERY_B])).return_id
    workflow.explain(con, rid, "8770Q", "B", "UPN applied for", "tester")
    workflow.sign_off(con, rid, "perf", "performance")
    for attempt in (
        lambda: workflow.explain(con, rid, "8770Q", "B", "another", "tester"),
        lambda: workflow.sign_off(con, rid, "perf", "performance"),
    ):
        with pytest.raises(UserError, match=r"cin-2025-v1 was signed off by perf on .* cannot change: prepare a new version"):
            attempt()
    again = prepare(wh)
    assert again.return_id == "cin-2025-v2" and again.status == "draft"
    first = workflow.get(con, rid)
    assert (first.status, first.signed_by) == ("signed", "perf")
    assert workflow.explanations(con, rid)["explanation"].tolist() == ["UPN applied for"]


def test_files_are_checked_against_their_sha256(wh):
    path, con = wh
    draft = prepare(wh)
    xml = draft.folder / "cin_census_2025.xml"
    assert workflow.verify_files(con, draft.return_id) == [] and workflow.file_path(con, draft.return_id, xml.name) == xml
    xml.write_bytes(xml.read_bytes().replace(b"<LAchildID>B<", b"<LAchildID>X<"))
    assert workflow.verify_files(con, draft.return_id) == [f"{xml}: changed since it was prepared (SHA-256 differs)"]
    with pytest.raises(UserError, match="SHA-256 differs"):
        workflow.file_path(con, draft.return_id, xml.name)
    with pytest.raises(UserError, match="SHA-256 differs"):
        workflow.sign_off(con, draft.return_id, "perf", "performance")
    with pytest.raises(UserError, match="has no file 'other.xml'"):
        workflow.file_path(con, draft.return_id, "other.xml")


def test_an_older_draft_cannot_be_signed_once_a_newer_version_exists(wh):
    path, con = wh
    prepare(wh)
    prepare(wh)
    with pytest.raises(UserError, match=r"a newer version \(cin-2025-v2\) has been prepared"):
        workflow.sign_off(con, "cin-2025-v1", "perf", "performance")


def test_issues_are_stored_per_version_and_a_childs_are_read_from_the_latest(wh):
    path, con = wh
    prepare(wh, check=report([ERROR, QUERY_B]))
    prepare(wh, check=report([QUERY_D]))
    assert workflow.issues(con, "cin-2025-v1")["rule"].tolist() == ["8715", "8770Q"]
    assert workflow.issues(con, "cin-2025-v2")[["rule", "child_id"]].values.tolist() == [["8770Q", "D"]]
    assert workflow.child_issues(con, "B").empty  # B's issues were in v1 only
    assert workflow.child_issues(con, "D")[["source", "rule", "rule_type"]].values.tolist() == [["cin-2025-v2", "8770Q", "query"]]


def test_annex_a_has_no_dfe_rule_set_and_says_so(wh, monkeypatch):
    path, con = wh
    # the CIN writer stands in for Annex A's on this hand-built warehouse: the workflow's rule is what is tested
    monkeypatch.setitem(workflow.WRITERS, "annex-a", workflow.cin_census)

    def never(*args):
        raise AssertionError("DfE has no Annex A rule set: nothing to run")

    draft = workflow.prepare(con, path, "annex-a", 2025, "tester", check=never)
    assert draft.return_id == "annex-a-2025-v1" and draft.checks_complete and draft.rule_set == ""
    assert draft.check_note.startswith("Annex A has no DfE rule set")
    assert json.loads(json.dumps(draft.comparison))["counts"][0]["change"] == 1


def test_explanations_are_carried_to_a_new_version_only_where_the_query_remains(wh):
    path, con = wh
    first = prepare(wh, check=report([QUERY_B, QUERY_D, QUERY_RETURN])).return_id
    workflow.explain(con, first, "8770Q", "B", "UPN applied for", "tester")
    workflow.explain(con, first, "8770Q", "D", "Home educated", "tester")
    workflow.explain(con, first, "2887Q", "", "Few disabled children", "tester")
    # B's UPN arrived: v2 has D's 8770Q and the return-level 2887Q, which v2 has already explained afresh
    second = prepare(wh, check=report([QUERY_D, QUERY_RETURN])).return_id
    workflow.explain(con, second, "2887Q", "", "Our own words this time", "tester")
    assert workflow.carry_explanations(con, second, first, "tester") == 1
    assert workflow.unexplained_queries(con, second).empty
    rows = workflow.explanations(con, second)[["rule", "child_id", "explanation", "carried_from"]].values.tolist()
    assert rows == [["2887Q", "", "Our own words this time", ""], ["8770Q", "D", "Home educated", first]]
    assert workflow.carry_explanations(con, second, first, "tester") == 0  # nothing left to carry
    with pytest.raises(UserError, match="from an earlier version of the same return"):
        workflow.carry_explanations(con, first, second, "tester")
