"""Files holding child-level data are created mode 0600 (the warehouse, its write-ahead log, every
export), and an older world-readable one is tightened. Each test starts from the usual umask 022,
under which an ordinary file would be 0644."""

from __future__ import annotations

import os
import stat

import pandas as pd
import pytest

from cscperf.files import write_csv
from cscperf.warehouse import connect
from tests.ingest.safety import run_cli
from tests.ingest.test_roundtrip import build_small_warehouse
from tests.web import fixture


def _mode(path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


@pytest.fixture(autouse=True)
def wide_umask():
    old = os.umask(0o022)
    yield
    os.umask(old)


def test_a_new_warehouse_and_its_write_ahead_log_are_private(tmp_path):
    path = tmp_path / "w.duckdb"
    con = connect(path)
    try:
        con.execute("INSERT INTO ssd_person (pers_person_id) VALUES ('C1')")  # logged in the WAL until a checkpoint
        wal = tmp_path / "w.duckdb.wal"
        assert wal.exists()
        assert (_mode(path), _mode(wal)) == (0o600, 0o600)
    finally:
        con.close()
    assert _mode(path) == 0o600


def test_an_in_memory_warehouse_has_no_file_to_protect(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    con = connect(":memory:")
    con.close()
    assert list(tmp_path.iterdir()) == []


def test_an_older_readable_warehouse_is_tightened_when_opened_for_writing(tmp_path):
    path = tmp_path / "w.duckdb"
    connect(path).close()
    os.chmod(path, 0o644)
    connect(path, read_only=True).close()  # reading changes nothing
    assert _mode(path) == 0o644
    connect(path).close()
    assert _mode(path) == 0o600


def test_a_csv_replacing_a_readable_file_becomes_private(tmp_path):
    out = tmp_path / "x.csv"
    out.write_text("old\n")
    assert _mode(out) == 0o644
    write_csv(pd.DataFrame({"a": [1]}), out)  # O_TRUNC alone would keep the old 0644
    assert _mode(out) == 0o600
    assert out.read_text() == "a\n1\n"


def test_every_cli_export_of_child_level_data_is_private(tmp_path, capsys, monkeypatch):
    wh = tmp_path / "w.duckdb"
    build_small_warehouse(wh).close()
    exported = {
        "ssd": ("export", "ssd", "--out", tmp_path / "ssd"),
        "ssda903": ("export", "ssda903", "--year", "2024", "--out", tmp_path / "903"),
        "cin-xml": ("export", "cin-xml", "--year", "2024", "--out", tmp_path / "cin.xml"),
        "validate": ("validate", "--out", tmp_path / "problems.csv"),
    }
    for name, args in exported.items():
        r = run_cli(capsys, monkeypatch, *args, "--warehouse", wh)
        assert r.code == 0, (name, r.err)
    files = [*(tmp_path / "ssd").iterdir(), *(tmp_path / "903").iterdir(), tmp_path / "cin.xml", tmp_path / "problems.csv"]
    assert len(files) > 40  # 33 SSD tables, 10 903 files, the census and the problems
    assert {f.name: _mode(f) for f in files} == {f.name: 0o600 for f in files}
    assert {_mode(tmp_path / "ssd"), _mode(tmp_path / "903")} == {0o700}  # folders made by the export


def test_exceptions_export_is_private(tmp_path, capsys, monkeypatch):
    wh = fixture.build(tmp_path / "w.duckdb")
    out = tmp_path / "exc.csv"
    args = ("--indicator", "cp_visits_in_timescale_pct", "--period-end", "2024-03-31", "--out", out, "--warehouse", wh)
    assert run_cli(capsys, monkeypatch, "export", "exceptions", *args).code == 0
    assert _mode(out) == 0o600
