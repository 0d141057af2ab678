"""`cscperf returns` end to end, with DfE's real CIN rule set (`make test` installs it), and every step in the audit log.

The hand-built warehouse of test_workflow.py: the 2024-25 CIN census holds B, C, D and E, all born
1 May 2015 (aged 9 at 31 March 2025: of school age) and with no UPN. DfE's 2024-25 rules then find no
error and two queries: 8770Q (UPN missing for a child of school age) for each of the four, and the
return-level 2887Q (fewer than 8 disability codes used in the return).
"""

from __future__ import annotations

import os
import pwd
import subprocess
import sys

import pandas as pd
import pytest

from cscperf.returns import dfe_rules
from cscperf.returns.dfe_rules import ISSUE_COLUMNS, DfeReport
from cscperf.web.store import WebStore, users_db_path
from tests.ingest.safety import run_cli
from tests.returns.test_workflow import build_warehouse
from tests.web.conftest import add_users

OS_USER = pwd.getpwuid(os.getuid()).pw_name


@pytest.fixture
def wh(tmp_path):
    path = tmp_path / "w.duckdb"
    build_warehouse(path).close()
    add_users(path)  # admin1, perf1, mgr_a, mgr_b, member1 (tests/web/conftest.py)
    return path


def audit(path) -> list[tuple[str, str, str, list[str]]]:
    """(user, action, route, children), oldest first."""
    return [(r["user"], r["action"], r["route"], r["children"]) for r in WebStore(users_db_path(path)).audit_rows()][::-1]


def cli(capsys, monkeypatch, wh, *args):  # noqa: ANN201
    return run_cli(capsys, monkeypatch, "returns", *args, "--warehouse", wh)


def test_prepare_explain_and_sign_off_with_dfes_rules_every_step_audited(capsys, monkeypatch, wh):
    r = cli(capsys, monkeypatch, wh, "prepare", "cin", "--year", "2025")
    assert r.code == 0, r.err
    folder = wh.with_name("w.returns") / "cin-2025-v1"
    assert "cin-2025-v1: CIN census 2024-25, version 1, draft" in r.out
    assert "(cin2024_25, 109 rules): 0 errors and 9 queries for 4 children" in r.out
    assert "children: 3 -> 4 (+1)" in r.out and "children added: 2, dropped: 1" in r.out

    r = cli(capsys, monkeypatch, wh, "show", "cin-2025-v1", "--children")
    assert r.code == 0 and "files match their SHA-256" in r.out
    assert "query 8770Q: 8 rows, 4 children, 4 unexplained" in r.out and "query 2887Q: 1 rows, 0 children, 1 unexplained" in r.out
    assert "added: D, E" in r.out and "dropped: A" in r.out

    r = cli(capsys, monkeypatch, wh, "sign-off", "cin-2025-v1", "--user", "perf1")
    assert r.code == 2 and "5 queries have no written explanation (rules 2887Q, 8770Q" in r.err
    r = cli(capsys, monkeypatch, wh, "explain", "cin-2025-v1", "--rule", "8770Q", "--child", "B", "--text", "UPN applied for")
    assert r.code == 0 and "(2 rows); 4 queries still unexplained" in r.out
    r = cli(capsys, monkeypatch, wh, "explain", "cin-2025-v1", "--rule", "8770Q", "--text", "Pupils educated at home")
    assert r.code == 0 and "1 queries still unexplained" in r.out
    r = cli(capsys, monkeypatch, wh, "explain", "cin-2025-v1", "--rule", "2887Q", "--text", "Few disabled children in need")
    assert r.code == 0 and "0 queries still unexplained" in r.out
    r = cli(capsys, monkeypatch, wh, "sign-off", "cin-2025-v1", "--user", "member1")
    assert r.code == 2 and "has role member: returns are signed off by performance or admin users" in r.err
    r = cli(capsys, monkeypatch, wh, "sign-off", "cin-2025-v1", "--user", "nobody")
    assert r.code == 2 and "no dashboard user 'nobody'" in r.err
    r = cli(capsys, monkeypatch, wh, "sign-off", "cin-2025-v1", "--user", "perf1")
    assert r.code == 0 and "cin-2025-v1 signed off by perf1" in r.out
    r = cli(capsys, monkeypatch, wh, "explain", "cin-2025-v1", "--rule", "2887Q", "--text", "changed")
    assert r.code == 2 and "cannot change: prepare a new version" in r.err
    r = cli(capsys, monkeypatch, wh, "list")
    assert r.out.startswith("cin-2025-v1\tsigned\tprepared ") and r.out.rstrip().endswith("by perf1")

    children = ["B", "C", "D", "E"]
    sign_off = f"cli: returns sign-off cin-2025-v1 (os user {OS_USER})"
    steps = audit(wh)
    assert [(u, a) for u, a, _, _ in steps] == [
        (OS_USER, "export"),
        (OS_USER, "view"),
        ("perf1", "sign-off refused"),
        (OS_USER, "explain"),
        (OS_USER, "explain"),
        (OS_USER, "explain"),
        ("member1", "sign-off refused"),
        ("perf1", "sign-off"),
    ]
    assert steps[0][2:] == (f"cli: returns prepare cin --year 2025 -> cin-2025-v1 ({folder.resolve()})", children)
    assert steps[1][2:] == ("cli: returns show cin-2025-v1 --children", ["A", "B", "C", "D", "E"])
    assert steps[2][2].startswith(sign_off + ": return cin-2025-v1 cannot be signed off: 5 queries")
    assert steps[3][2:] == ("cli: returns explain cin-2025-v1 --rule 8770Q --child B", ["B"])
    assert steps[4][2:] == ("cli: returns explain cin-2025-v1 --rule 8770Q", [])
    assert steps[7][2:] == (sign_off, children)


def test_a_rule_that_crashed_is_named_and_the_draft_cannot_be_signed(capsys, monkeypatch, wh):
    def crashing(kind, files, year, la_name, previous=(), compared_with=""):
        return DfeReport(kind, year, "cin2024_25", pd.DataFrame(columns=ISSUE_COLUMNS), 109, {"8600": "KeyError: 'ReferralNFA'"})

    monkeypatch.setattr(dfe_rules, "run_rules", crashing)
    r = cli(capsys, monkeypatch, wh, "prepare", "cin", "--year", "2025")
    assert r.code == 2
    assert "draft cin-2025-v1 was prepared but its check is incomplete" in r.err and "rule 8600: KeyError: 'ReferralNFA'" in r.err
    r = cli(capsys, monkeypatch, wh, "sign-off", "cin-2025-v1", "--user", "admin1")
    assert r.code == 2 and "check is incomplete" in r.err


def test_without_dfes_rules_installed_nothing_is_prepared(capsys, monkeypatch, wh, tmp_path):
    monkeypatch.setenv(dfe_rules.ENV_VARIABLE, str(tmp_path / "no-such-venv"))
    r = cli(capsys, monkeypatch, wh, "prepare", "cin", "--year", "2025")
    assert r.code == 2 and "DfE's validation rules are not installed" in r.err and "make dfe-rules" in r.err
    assert list(wh.with_name("w.returns").iterdir()) == []
    r = cli(capsys, monkeypatch, wh, "list")
    assert r.out == "" and "0 prepared returns" in r.err
    assert audit(wh) == []


def test_an_unknown_return_is_named(capsys, monkeypatch, wh):
    r = cli(capsys, monkeypatch, wh, "show", "cin-2025-v9")
    assert r.code == 2 and "no prepared return 'cin-2025-v9'" in r.err


def test_the_warehouse_is_free_while_dfes_rules_run(capsys, monkeypatch, wh):
    # DfE's rules take a while (the CIN rules over a minute on a loaded machine for a Peterborough-sized return):
    # meanwhile another process (the dashboard, a load) can open the warehouse for writing.
    opened: list[int] = []

    def check_from_another_process(kind, files, year, la_name, previous=(), compared_with=""):
        code = f"import duckdb; duckdb.connect({str(wh)!r}).close()"
        opened.append(subprocess.run([sys.executable, "-c", code], capture_output=True, check=False).returncode)
        return DfeReport(kind, year, "cin2024_25", pd.DataFrame(columns=ISSUE_COLUMNS), 109)

    monkeypatch.setattr(dfe_rules, "run_rules", check_from_another_process)
    r = cli(capsys, monkeypatch, wh, "prepare", "cin", "--year", "2025")
    assert r.code == 0, r.err
    assert opened == [0]


def test_explain_takes_a_rule_and_text_or_an_earlier_version(capsys, monkeypatch, wh):
    for args in ((), ("--text", "why"), ("--rule", "8770Q", "--from", "cin-2025-v1")):
        r = cli(capsys, monkeypatch, wh, "explain", "cin-2025-v2", *args)
        assert r.code == 2 and ("--rule" in r.err or "--from" in r.err), args


def test_files_are_found_from_any_working_folder(capsys, monkeypatch, wh, tmp_path):
    monkeypatch.setattr(
        dfe_rules, "run_rules", lambda kind, files, year, *_: DfeReport(kind, year, "cin2024_25", pd.DataFrame(columns=ISSUE_COLUMNS), 109)
    )
    monkeypatch.chdir(wh.parent)
    assert cli(capsys, monkeypatch, wh.name, "prepare", "cin", "--year", "2025").code == 0  # a relative --warehouse
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    r = cli(capsys, monkeypatch, wh, "show", "cin-2025-v1")
    assert r.code == 0 and "files match their SHA-256" in r.out and f"in {wh.with_name('w.returns') / 'cin-2025-v1'}" in r.out
