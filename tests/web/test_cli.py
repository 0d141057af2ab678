"""`cscperf users`, `cscperf audit`, `cscperf serve` (its checks), and the demo logins."""

from __future__ import annotations

import json

from click.testing import CliRunner

from cscperf.cli import main
from cscperf.web.cli import DEMO_ROLES, create_demo_users
from cscperf.web.store import User, WebStore, users_db_path
from tests.web import fixture
from tests.web.conftest import FAST_HASHER


def run(*args, input=None):
    return CliRunner().invoke(main, list(args), input=input)


def test_users_add_list_remove(tmp_path):
    wh = str(tmp_path / "w.duckdb")
    r = run(
        "users",
        "add",
        "mgr",
        "--role",
        "manager",
        "--team",
        "T1",
        "--team",
        "T2",
        "--password-stdin",
        "--warehouse",
        wh,
        input="a long password here\n",
    )
    assert r.exit_code == 0, r.output
    assert "added mgr (manager: T1, T2)" in r.output
    store = WebStore(users_db_path(tmp_path / "w.duckdb"))
    assert store.authenticate("mgr", "a long password here") == User("mgr", "manager", ("T1", "T2"))
    assert store.authenticate("mgr", "a long password her") is None
    assert run("users", "list", "--warehouse", wh).output == "mgr\tmanager\tT1,T2\n"
    assert run("users", "remove", "mgr", "--warehouse", wh).exit_code == 0
    assert run("users", "list", "--warehouse", wh).output == ""


def test_users_role_changes_role_and_ends_sessions(tmp_path):
    wh = str(tmp_path / "w.duckdb")
    run("users", "add", "p", "--role", "performance", "--password-stdin", "--warehouse", wh, input="a long password here\n")
    store = WebStore(users_db_path(tmp_path / "w.duckdb"))
    sid = store.start_session("p")
    r = run("users", "role", "p", "--role", "manager", "--team", "T2", "--warehouse", wh)
    assert r.exit_code == 0 and "p is now manager: T2; their sessions have ended" in r.output
    assert store.get_user("p") == User("p", "manager", ("T2",)) and store.session_user(sid) is None
    r = run("users", "role", "p", "--role", "manager", "--warehouse", wh)
    assert "a manager needs at least one --team" in str(r.exception)
    assert "no user 'q'" in str(run("users", "role", "q", "--role", "member", "--warehouse", wh).exception)


def test_users_add_refuses_bad_input(tmp_path):
    wh = str(tmp_path / "w.duckdb")
    assert run("users", "add", "x", "--role", "admin", "--warehouse", wh).exit_code != 0  # no --password-stdin
    r = run("users", "add", "x", "--role", "admin", "--password-stdin", "--warehouse", wh, input="short\n")
    assert r.exit_code != 0 and "at least 10 characters" in str(r.exception)
    r = run("users", "add", "x", "--role", "manager", "--password-stdin", "--warehouse", wh, input="long enough password\n")
    assert "a manager needs at least one --team" in str(r.exception)
    assert run("users", "add", "x", "--role", "boss", "--password-stdin", "--warehouse", wh, input="long enough password\n").exit_code == 2


def test_users_token_for_performance_users(tmp_path):
    wh = str(tmp_path / "w.duckdb")
    run("users", "add", "p", "--role", "performance", "--password-stdin", "--warehouse", wh, input="a long password here\n")
    token = run("users", "token", "p", "--warehouse", wh).output.strip()
    assert len(token) >= 40
    assert WebStore(users_db_path(tmp_path / "w.duckdb")).user_for_token(token).name == "p"


def test_audit_filters_by_user_and_date(tmp_path):
    store = WebStore(users_db_path(tmp_path / "w.duckdb"))
    store.audit(User("a", "manager", ("T1",)), "view", "/children/C1", ["C1"])
    store.audit(User("b", "performance"), "export", "/indicators/x/exceptions.csv", ["C2", "C1"])
    wh = str(tmp_path / "w.duckdb")
    lines = [json.loads(x) for x in run("audit", "--json", "--warehouse", wh).output.splitlines()]
    assert [(x["user"], x["action"], x["children"]) for x in lines] == [("b", "export", ["C1", "C2"]), ("a", "view", ["C1"])]
    only_a = run("audit", "--user", "a", "--warehouse", wh).output
    assert "/children/C1" in only_a and "exceptions.csv" not in only_a
    assert run("audit", "--since", "2999-01-01", "--json", "--warehouse", wh).output == ""


def test_serve_refuses_without_warehouse_or_users(tmp_path):
    r = run("serve", "--warehouse", str(tmp_path / "missing.duckdb"))
    assert r.exit_code != 0 and "no warehouse" in str(r.exception)
    path = fixture.build(tmp_path / "w.duckdb", results=False)
    r = run("serve", "--warehouse", str(path))
    assert "no users" in str(r.exception)


def test_serve_refuses_a_malformed_targets_file(tmp_path):
    bad = tmp_path / "targets.yaml"
    bad.write_text("indicators:\n  assessments_45wd_pct: [{from: 2024-04-01}, {from: 2024-04-01}]\n")
    r = run("serve", "--warehouse", str(fixture.build(tmp_path / "w.duckdb", results=False)), "--targets", str(bad))
    assert r.exit_code != 0
    assert str(r.exception) == f"{bad}, indicator assessments_45wd_pct, field from: effective dates overlap (2024-04-01 and 2024-04-01)"


def test_demo_users_one_per_role_with_random_passwords(tmp_path):
    path = fixture.build(tmp_path / "w.duckdb", results=False)
    made = create_demo_users(path, hasher=FAST_HASHER)
    assert [(n, r) for n, r, _ in made] == list(DEMO_ROLES)
    assert len({p for _, _, p in made}) == 4
    store = WebStore(users_db_path(path))
    name, role, password = made[2]
    assert store.authenticate(name, password) == User("demo-manager", "manager", ("T1",))
    again = create_demo_users(path, hasher=FAST_HASHER)  # a second demo replaces the logins with new passwords
    assert store.authenticate(name, password) is None and store.authenticate(name, again[2][2]) is not None
