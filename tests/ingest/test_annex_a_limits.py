"""Annex A workbooks too large to read safely end with a clear "too large" message at a configurable
cap (`cscperf.ingest.limits`), found before or while the rows stream in, not after memory runs out."""

from __future__ import annotations

import datetime as dt
import re
import time
import zipfile

import openpyxl
import pytest

from cscperf.errors import UserError
from cscperf.ingest.annex_a import parse_annex_a
from cscperf.ingest.limits import limits
from tests.ingest.safety import run_cli

SHEET = "xl/worksheets/sheet1.xml"


def _workbook(path, contacts: int, extra_cells: dict[str, str] | None = None):
    """List 1 with a header row and `contacts` rows (children C1..Cn contacted on 5 January 2024)."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "List 1"
    ws.append(["Child Unique ID", "Date of Contact"])
    for n in range(1, contacts + 1):
        ws.append([f"C{n}", dt.date(2024, 1, 5)])
    for ref, value in (extra_cells or {}).items():
        ws[ref] = value
    wb.save(path)
    return path


def _rewrite_sheet(path, change) -> None:
    with zipfile.ZipFile(path) as zin:
        parts = {i.filename: zin.read(i.filename) for i in zin.infolist()}
    parts[SHEET] = change(parts[SHEET].decode()).encode()
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zout:
        for name, data in parts.items():
            zout.writestr(name, data)


def _declare(path, ref: str) -> None:
    """Set the sheet's declared size (<dimension ref=...>) whatever its real content."""
    _rewrite_sheet(path, lambda xml: re.sub(r'<dimension ref="[^"]*"\s*/>', f'<dimension ref="{ref}"/>', xml))


def _contacts(path) -> int:
    return len(parse_annex_a([path]).frames["ssd_contacts"])


def test_the_defaults_and_their_settings(monkeypatch):
    assert (limits().workbook_rows, limits().workbook_columns, limits().workbook_bytes) == (500_000, 1_000, 1024 * 1024 * 1024)
    monkeypatch.setenv("CSCPERF_MAX_WORKBOOK_ROWS", "6")
    monkeypatch.setenv("CSCPERF_MAX_WORKBOOK_MB", "0.5")
    assert (limits().workbook_rows, limits().workbook_bytes) == (6, 524_288)  # 0.5 x 1,048,576
    for bad in ("0", "-1", "many"):
        monkeypatch.setenv("CSCPERF_MAX_WORKBOOK_ROWS", bad)
        with pytest.raises(UserError, match=f"CSCPERF_MAX_WORKBOOK_ROWS='{bad}': expected a positive number"):
            limits()


def test_a_sheet_declaring_every_column_is_refused_at_once(tmp_path, capsys, monkeypatch, con):
    path = _workbook(tmp_path / "annex.xlsx", contacts=1)
    _declare(path, "A1:XFD1048576")  # column XFD is the 16,384th, the largest Excel allows
    started = time.monotonic()
    r = run_cli(capsys, monkeypatch, "load", "annex-a", path, "--warehouse", tmp_path / "w.duckdb")
    assert r.code == 2 and "Traceback" not in r.err
    assert r.err.strip() == (
        f"error: {path}: too large: sheet 'List 1' declares 16,384 columns "
        "(the limit is 1,000 columns; set CSCPERF_MAX_WORKBOOK_COLUMNS to change it)"
    )
    assert time.monotonic() - started < 30  # formerly: 10^6 rows padded to 16,384 cells each, until memory ran out


def test_a_sheet_declaring_more_rows_than_the_cap_is_refused(tmp_path):
    path = _workbook(tmp_path / "annex.xlsx", contacts=1)
    _declare(path, "A1:B1048576")
    with pytest.raises(UserError) as err:
        parse_annex_a([path])
    assert str(err.value) == (
        f"{path}: too large: sheet 'List 1' declares 1,048,576 rows (the limit is 500,000 rows; set CSCPERF_MAX_WORKBOOK_ROWS to change it)"
    )


def test_rows_are_counted_as_they_stream_whatever_is_declared(tmp_path, monkeypatch):
    """Cap 6 rows, header included; each sheet declares only A1:B2, which openpyxl used to obey by dropping the rest."""
    monkeypatch.setenv("CSCPERF_MAX_WORKBOOK_ROWS", "6")
    at_cap = _workbook(tmp_path / "at.xlsx", contacts=5)  # 1 + 5 = 6 rows: allowed
    over = _workbook(tmp_path / "over.xlsx", contacts=6)  # 1 + 6 = 7 rows: one too many
    for path in (at_cap, over):
        _declare(path, "A1:B2")
    assert _contacts(at_cap) == 5  # all five read, not just the one row the sheet declares
    with pytest.raises(UserError) as err:
        parse_annex_a([over])
    assert str(err.value) == f"{over}: too large: more than 6 rows (the limit is 6 rows; set CSCPERF_MAX_WORKBOOK_ROWS to change it)"


def test_the_row_cap_covers_all_lists_of_a_workbook(tmp_path, monkeypatch):
    monkeypatch.setenv("CSCPERF_MAX_WORKBOOK_ROWS", "6")
    path = _workbook(tmp_path / "annex.xlsx", contacts=3)  # 4 rows in List 1
    wb = openpyxl.load_workbook(path)
    ws = wb.create_sheet("List 3")
    ws.append(["Child Unique ID", "Date of Referral"])
    ws.append(["C1", dt.date(2024, 1, 6)])
    ws.append(["C2", dt.date(2024, 1, 7)])  # 4 + 3 = 7 rows in the workbook
    wb.save(path)
    with pytest.raises(UserError) as err:
        parse_annex_a([path])
    assert f"{path}: too large: sheet 'List 3' declares 3 rows, 7 in the workbook so far (the limit is 6 rows;" in str(err.value)


def test_a_row_reaching_the_last_column_is_refused(tmp_path):
    """No declared size, one stray cell in XFD: that row alone would be 16,384 cells wide."""
    path = _workbook(tmp_path / "annex.xlsx", contacts=2, extra_cells={"XFD3": "x"})
    _rewrite_sheet(path, lambda xml: re.sub(r'<dimension ref="[^"]*"\s*/>', "", xml))
    with pytest.raises(UserError) as err:
        parse_annex_a([path])
    assert "too large: sheet 'List 1' has a row of 16,384 columns (the limit is 1,000 columns;" in str(err.value)


def test_a_workbook_that_unpacks_beyond_the_cap_is_refused_before_reading(tmp_path, monkeypatch):
    """20 MB of zeros compress to about 20 KB: a small file that would unpack far past a 10 MB cap."""
    monkeypatch.setenv("CSCPERF_MAX_WORKBOOK_MB", "10")
    path = _workbook(tmp_path / "annex.xlsx", contacts=1)
    with zipfile.ZipFile(path, "a", zipfile.ZIP_DEFLATED) as z:
        z.writestr("xl/media/padding.bin", b"\0" * (20 * 1024 * 1024))
    assert path.stat().st_size < 1024 * 1024
    with pytest.raises(UserError) as err:
        parse_annex_a([path])
    assert str(err.value) == f"{path}: too large: unpacks to 20 MB (the limit is 10 MB; set CSCPERF_MAX_WORKBOOK_MB to change it)"
    monkeypatch.setenv("CSCPERF_MAX_WORKBOOK_MB", "21")  # the same workbook under a higher cap reads
    assert _contacts(path) == 1
