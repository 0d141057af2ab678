"""Command-line exports of child-level data are in the audit log (`cscperf audit`), as the dashboard's are:
who (the OS user running the command), when, which export and file, and which children."""

from __future__ import annotations

import datetime as dt
import json
import os
import pwd

from tests.ingest.safety import run_cli
from tests.ingest.test_roundtrip import build_small_warehouse
from tests.web import fixture

# The login of the uid running the tests, looked up the way `id -un` does.
OS_USER = pwd.getpwuid(os.getuid()).pw_name


def _audit(capsys, monkeypatch, warehouse) -> list[dict]:
    r = run_cli(capsys, monkeypatch, "audit", "--json", "--warehouse", warehouse)
    assert r.code == 0, r.err
    return [json.loads(line) for line in r.out.splitlines()]


def test_each_export_is_one_audit_row_with_user_file_and_children(tmp_path, capsys, monkeypatch):
    wh = tmp_path / "w.duckdb"
    build_small_warehouse(wh).close()
    # The small warehouse (tests/ingest/test_roundtrip.py): people P1, P2, P3; the 2023-24 CIN census
    # holds P1 (referral open to September 2023) and P2 (referral of January 2024); the 2023-24 SSDA903
    # return holds P3, the only child looked after then; P2's open referral has no allocated worker.
    exports = [
        (("export", "ssd", "--out", tmp_path / "ssd"), "export ssd", tmp_path / "ssd", ["P1", "P2", "P3"]),
        (
            ("export", "cin-xml", "--year", "2024", "--out", tmp_path / "c.xml"),
            "export cin-xml --year 2024",
            tmp_path / "c.xml",
            ["P1", "P2"],
        ),
        (("export", "ssda903", "--year", "2024", "--out", tmp_path / "903"), "export ssda903 --year 2024", tmp_path / "903", ["P3"]),
        (("validate", "--out", tmp_path / "v.csv"), "validate", tmp_path / "v.csv", ["P2"]),
    ]
    before = dt.datetime.now()
    for args, *_ in exports:
        r = run_cli(capsys, monkeypatch, *args, "--warehouse", wh)
        assert r.code == 0, r.err
    rows = _audit(capsys, monkeypatch, wh)[::-1]  # newest first in the log
    assert [(x["user"], x["action"], x["route"], x["children"]) for x in rows] == [
        (OS_USER, "export", f"cli: {command} -> {out.resolve()}", children) for _, command, out, children in exports
    ]
    assert all(before <= dt.datetime.fromisoformat(x["at"]) <= dt.datetime.now() for x in rows)


def test_exceptions_export_is_audited_and_shown_by_cscperf_audit(tmp_path, capsys, monkeypatch):
    wh = fixture.build(tmp_path / "w.duckdb")
    out = tmp_path / "exc.csv"
    args = ("--indicator", "cp_visits_in_timescale_pct", "--period-end", "2024-03-31", "--out", out, "--warehouse", wh)
    assert run_cli(capsys, monkeypatch, "export", "exceptions", *args).code == 0
    [row] = _audit(capsys, monkeypatch, wh)
    assert row["user"] == OS_USER and row["children"] == ["C1", "C3"]  # the two overdue visits of the fixture
    assert row["route"] == f"cli: export exceptions --indicator cp_visits_in_timescale_pct --period-end 2024-03-31 -> {out.resolve()}"
    text = run_cli(capsys, monkeypatch, "audit", "--user", OS_USER, "--warehouse", wh).out
    assert f"\t{OS_USER}\texport\tcli: export exceptions" in text and "\t2 children\tC1,C3" in text


def test_an_export_refused_before_any_data_is_read_writes_no_row(tmp_path, capsys, monkeypatch):
    wh = fixture.build(tmp_path / "w.duckdb")
    args = ("--indicator", "no_such_indicator", "--period-end", "2024-03-31", "--out", tmp_path / "x.csv", "--warehouse", wh)
    assert run_cli(capsys, monkeypatch, "export", "exceptions", *args).code == 2
    assert _audit(capsys, monkeypatch, wh) == []
