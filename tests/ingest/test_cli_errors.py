"""Every failure a user can cause at the command line is one clear line on stderr and exit code 2,
never a traceback: a warehouse another process holds, XML with entity declarations, a damaged
workbook, a missing file, an --out that cannot be written. Run through the real entry point."""

from __future__ import annotations

import subprocess
import sys
import zipfile

import openpyxl
import pytest

from tests.ingest.safety import run_cli
from tests.ingest.test_roundtrip import build_small_warehouse


def _fails_cleanly(result, *fragments: str) -> None:
    assert result.code == 2, (result.code, result.err)
    assert "Traceback" not in result.err
    line = result.err.strip()
    assert line.startswith("error: ") and "\n" not in line, line
    for fragment in fragments:
        assert fragment in line, line


@pytest.fixture
def warehouse(tmp_path):
    path = tmp_path / "w.duckdb"
    build_small_warehouse(path).close()
    return path


# --- a warehouse another process holds ------------------------------------------------------


@pytest.fixture
def held(warehouse):
    """Another process (as a running load would) holding the warehouse open for writing."""
    code = "import duckdb, sys; con = duckdb.connect(sys.argv[1]); print('ready', flush=True); sys.stdin.read()"
    holder = subprocess.Popen([sys.executable, "-c", code, str(warehouse)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    assert holder.stdout.readline().strip() == "ready"
    yield warehouse, holder.pid
    holder.stdin.close()
    holder.wait(timeout=30)


@pytest.mark.parametrize(
    "command",
    [
        ("compute", "--period-end", "2024-03-31", "--ids", "cp_plans_open"),
        ("compute", "--period-end", "2024-03-31", "--ids", "cp_plans_open", "--no-store"),  # read-only is refused too
        ("export", "ssd", "--out", "OUT"),
        ("loads",),
    ],
)
def test_a_warehouse_held_by_another_process(held, command, tmp_path, capsys, monkeypatch):
    warehouse, pid = held
    args = [str(tmp_path / "out") if a == "OUT" else a for a in command]
    r = run_cli(capsys, monkeypatch, *args, "--warehouse", warehouse)
    _fails_cleanly(r, f"{warehouse}: the warehouse is in use by another process", f"(PID {pid})")


def test_a_file_that_is_not_a_warehouse(tmp_path, capsys, monkeypatch):
    other = tmp_path / "notes.duckdb"
    other.write_text("not a database\n")
    r = run_cli(capsys, monkeypatch, "compute", "--period-end", "2024-03-31", "--warehouse", other)
    _fails_cleanly(r, f"{other}: cannot open the warehouse", "not a valid DuckDB database file")


# --- XML with entity declarations -----------------------------------------------------------

LAUGHS = '<!DOCTYPE {root} [<!ENTITY a "ha"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;"><!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;">]>'


def test_cin_census_with_entity_declarations(warehouse, tmp_path, capsys, monkeypatch):
    path = tmp_path / "cin.xml"
    path.write_text(
        f"<?xml version='1.0'?>{LAUGHS.format(root='Message')}<Message><Header/><Children><Child>&c;</Child></Children></Message>"
    )
    r = run_cli(capsys, monkeypatch, "load", "cin-xml", path, "--warehouse", warehouse)
    _fails_cleanly(r, f"{path}: has a document type declaration", "entity or DTD declarations are refused")


def test_ssda903_xml_with_entity_declarations(warehouse, tmp_path, capsys, monkeypatch):
    path = tmp_path / "903_2024.xml"
    body = "<EXPSSDA903><CHILD><HEADER><CHILDID>&c;</CHILDID></HEADER></CHILD></EXPSSDA903>"
    path.write_text(f"<?xml version='1.0'?>{LAUGHS.format(root='EXPSSDA903')}{body}")
    r = run_cli(capsys, monkeypatch, "load", "ssda903", path, "--warehouse", warehouse)
    _fails_cleanly(r, f"{path}: has a document type declaration", "SSDA903 files have none")


def test_cin_census_with_an_external_dtd(warehouse, tmp_path, capsys, monkeypatch):
    path = tmp_path / "cin.xml"
    path.write_text("<?xml version='1.0'?><!DOCTYPE Message SYSTEM 'http://example.invalid/x.dtd'><Message/>")
    r = run_cli(capsys, monkeypatch, "load", "cin-xml", path, "--warehouse", warehouse)
    _fails_cleanly(r, f"{path}: has a document type declaration")


# --- damaged workbooks ----------------------------------------------------------------------


def _workbook(path):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "List 1"
    ws.append(["Child Unique ID", "Date of Contact"])
    ws.append(["C1", "2024-01-05"])
    wb.save(path)
    return path


def _replace_part(path, name: str, text: str) -> None:
    with zipfile.ZipFile(path) as zin:
        parts = {i.filename: zin.read(i.filename) for i in zin.infolist()}
    parts[name] = text.encode()
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zout:
        for part, data in parts.items():
            zout.writestr(part, data)


def test_a_file_that_is_not_a_workbook(warehouse, tmp_path, capsys, monkeypatch):
    path = tmp_path / "annex.xlsx"
    path.write_text("Child Unique ID,Date of Contact\nC1,2024-01-05\n")  # a CSV saved as .xlsx
    r = run_cli(capsys, monkeypatch, "load", "annex-a", path, "--warehouse", warehouse)
    _fails_cleanly(r, f"{path}: not a readable Excel workbook (.xlsx)", "BadZipFile")


def test_a_workbook_whose_sheet_breaks_off_half_way(warehouse, tmp_path, capsys, monkeypatch):
    """The workbook opens; the damage is found while its rows are read (formerly a traceback)."""
    path = _workbook(tmp_path / "annex.xlsx")
    with zipfile.ZipFile(path) as z:
        sheet = z.read("xl/worksheets/sheet1.xml").decode()
    _replace_part(path, "xl/worksheets/sheet1.xml", sheet[: sheet.index("</sheetData>") - 20])
    r = run_cli(capsys, monkeypatch, "load", "annex-a", path, "--warehouse", warehouse)
    _fails_cleanly(r, f"{path}: not a readable Excel workbook (.xlsx)")


# --- missing files --------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["annex-a", "cin-xml", "ssda903", "ssd", "api-json"])
def test_a_missing_input(fmt, warehouse, tmp_path, capsys, monkeypatch):
    path = tmp_path / "missing.file"
    r = run_cli(capsys, monkeypatch, "load", fmt, path, "--warehouse", warehouse)
    _fails_cleanly(r, f"{path}: file or folder not found")


def test_a_missing_warehouse(tmp_path, capsys, monkeypatch):
    r = run_cli(capsys, monkeypatch, "export", "ssd", "--out", tmp_path / "o", "--warehouse", tmp_path / "none.duckdb")
    _fails_cleanly(r, f"no warehouse at {tmp_path / 'none.duckdb'}")


# --- an --out that cannot be written --------------------------------------------------------


@pytest.mark.parametrize(
    "command",
    [
        ("compute", "--period-end", "2024-03-31", "--ids", "cp_plans_open", "--no-store", "--out", "BLOCKED/r.csv"),
        ("export", "ssd", "--out", "BLOCKED/ssd"),
        ("export", "ssda903", "--year", "2024", "--out", "BLOCKED/903"),
        ("export", "cin-xml", "--year", "2024", "--out", "BLOCKED/c.xml"),
        ("validate", "--out", "BLOCKED/v.csv"),
    ],
)
def test_an_out_under_a_file(command, warehouse, tmp_path, capsys, monkeypatch):
    """BLOCKED is a file, so nothing can be created under it (true even for root, unlike a chmod)."""
    blocked = tmp_path / "BLOCKED"
    blocked.write_text("a file, not a folder\n")
    args = [a.replace("BLOCKED", str(blocked)) for a in command]
    r = run_cli(capsys, monkeypatch, *args, "--warehouse", warehouse)
    _fails_cleanly(r, f"{blocked}/", f"cannot write ({blocked} is a file, not a folder)")


def test_exceptions_out_under_a_file(tmp_path, capsys, monkeypatch):
    from tests.web import fixture

    wh = fixture.build(tmp_path / "w.duckdb")
    blocked = tmp_path / "BLOCKED"
    blocked.write_text("x\n")
    args = ("--indicator", "cp_visits_in_timescale_pct", "--period-end", "2024-03-31", "--out", blocked / "x.csv", "--warehouse", wh)
    _fails_cleanly(
        run_cli(capsys, monkeypatch, "export", "exceptions", *args),
        f"{blocked / 'x.csv'}: cannot write ({blocked} is a file, not a folder)",
    )


def test_report_out_under_a_file(tmp_path, capsys, monkeypatch):
    from tests.web import fixture

    wh = fixture.build(tmp_path / "w.duckdb")
    blocked = tmp_path / "BLOCKED"
    blocked.write_text("x\n")
    args = ("--period-end", "2024-03-31", "--audience", "members", "--out", blocked / "r", "--warehouse", wh)
    r = run_cli(capsys, monkeypatch, "report", *args)
    _fails_cleanly(r, f"{blocked / 'r'}: cannot write ({blocked} is a file, not a folder)")
