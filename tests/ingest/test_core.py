"""The load transaction: validation, quarantine, idempotent upserts, undo and rollback."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd
import pytest

from cscperf.errors import UserError
from cscperf.ingest import core, values
from cscperf.ingest.core import Parsed, apply_parsed, run_load, undo_load
from tests.ingest.conftest import snapshot, table_rows


def _people(rows: list[tuple[str, str, str]], file: str = "p.csv") -> pd.DataFrame:
    frame = pd.DataFrame(rows, columns=["pers_person_id", "pers_dob", "pers_sex"])
    frame["_source"] = [f"{file}:row {i + 2}" for i in range(len(frame))]
    return frame


def _person_parser(rows: list[tuple[str, str, str]]):
    return lambda paths: Parsed({"ssd_person": _people(rows, str(paths[0]))}, read={str(paths[0]): len(rows)})


def _file(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def test_validation_types_rejects_and_warns(con):
    frame = _people([("1", "2010-01-31", "M"), ("2", "31/02/2011", "F"), ("2", "01/02/2011", "F"), ("", "2001-01-01", "M")])
    frame["shoe_size"] = "9"
    s = apply_parsed(con, "L1", "ssd", Parsed({"ssd_person": frame}))
    assert (s.tables["ssd_person"].read, s.tables["ssd_person"].loaded, s.tables["ssd_person"].rejected) == (4, 2, 2)
    assert [(i.location, i.field, i.value, i.rule) for i in s.rejected] == [
        ("row 3", "pers_dob", "31/02/2011", values.DATE_RULE),
        ("row 5", "pers_person_id", "", "required field is empty"),
    ]
    assert [(w.field, w.rule) for w in s.warnings] == [("shoe_size", "column not in the model; ignored")]
    rows = con.execute("SELECT pers_person_id, pers_dob, _load_id, _source FROM ssd_person ORDER BY 1").fetchall()
    assert rows == [("1", dt.date(2010, 1, 31), "L1", "p.csv:row 2"), ("2", dt.date(2011, 2, 1), "L1", "p.csv:row 4")]
    q = con.execute("SELECT location, field, rule FROM cscperf_quarantine ORDER BY location").fetchall()
    assert q == [("header", "shoe_size", "warning: column not in the model; ignored"), ("row 3", "pers_dob", values.DATE_RULE),
                 ("row 5", "pers_person_id", "required field is empty")]  # fmt: skip


def test_end_before_start_and_duplicate_keys_are_quarantined(con):
    frame = pd.DataFrame(
        {
            "cppl_cp_plan_id": ["P1", "P2", "P2"],
            "cppl_person_id": ["1", "1", "1"],
            "cppl_cp_plan_start_date": ["2024-05-01", "2024-01-01", "2024-02-01"],
            "cppl_cp_plan_end_date": ["2024-04-30", None, None],
            "_source": ["cp.csv:row 2", "cp.csv:row 3", "cp.csv:row 4"],
        }
    )
    s = apply_parsed(con, "L1", "ssd", Parsed({"ssd_cp_plans": frame}))
    assert [(i.location, i.field, i.rule.split(" (")[0].split(";")[0]) for i in s.rejected] == [
        ("row 2", "cppl_cp_plan_end_date", "end date is before the start date"),
        ("row 3", "cppl_cp_plan_id", "the same id appears again later in this load"),
    ]
    assert con.execute("SELECT cppl_cp_plan_id, cppl_cp_plan_start_date FROM ssd_cp_plans").fetchall() == [("P2", dt.date(2024, 2, 1))]


def test_reloading_the_same_file_is_a_noop_and_force_changes_nothing(con, tmp_path):
    path = _file(tmp_path, "people.csv", "x")
    parse = _person_parser([("1", "2010-01-31", "M"), ("2", "2011-02-01", "F")])
    first = run_load(con, "ssd", [path], parse)
    before = snapshot(con, provenance=False)
    again = run_load(con, "ssd", [path], parse)
    assert again.status == "noop" and again.same_as == first.load_id
    forced = run_load(con, "ssd", [path], parse, force=True)
    assert (forced.tables["ssd_person"].loaded, forced.tables["ssd_person"].replaced) == (2, 2)
    assert snapshot(con, provenance=False) == before
    sources = con.execute("SELECT sources FROM cscperf_loads WHERE load_id = ?", [first.load_id]).fetchone()[0]
    assert '"sha256": "2d711642b726b04401627ca9fbac32f5c8530fb1903cc4db02258717921a4881"' in sources  # sha256 of "x"


def test_undo_restores_replaced_rows_and_refuses_out_of_order(con, tmp_path):
    a = run_load(con, "ssd", [_file(tmp_path, "a.csv", "a")], _person_parser([("1", "2010-01-31", "M"), ("2", "2011-02-01", "F")]))
    after_a = snapshot(con)
    b = run_load(con, "ssd", [_file(tmp_path, "b.csv", "b")], _person_parser([("2", "2011-02-02", "F"), ("3", "2012-03-03", "M")]))
    assert [r[:2] for r in table_rows(con, "ssd_person")] == [("1", "M"), ("2", "F"), ("3", "M")]
    with pytest.raises(UserError, match=f"load {b.load_id} came later and changed ssd_person: undo it first"):
        undo_load(con, a.load_id)
    assert undo_load(con, b.load_id) == {"ssd_person": 2}
    assert snapshot(con) == after_a  # child 2 is back with its load-A date of birth and provenance
    assert con.execute("SELECT pers_dob FROM ssd_person WHERE pers_person_id = '2'").fetchone()[0] == dt.date(2011, 2, 1)
    undo_load(con, a.load_id)
    assert table_rows(con, "ssd_person") == []
    statuses = con.execute("SELECT status FROM cscperf_loads ORDER BY started_at").fetchall()
    assert statuses == [("undone",), ("undone",)]
    with pytest.raises(UserError, match="is undone"):
        undo_load(con, a.load_id)


def test_undo_removes_the_loads_quarantine_rows(con, tmp_path):
    load = run_load(con, "ssd", [_file(tmp_path, "a.csv", "a")], _person_parser([("1", "not a date", "M")]))
    assert con.execute("SELECT count(*) FROM cscperf_quarantine").fetchone()[0] == 1
    undo_load(con, load.load_id)
    assert con.execute("SELECT count(*) FROM cscperf_quarantine").fetchone()[0] == 0


def test_a_crash_mid_load_leaves_the_warehouse_exactly_as_before(con, tmp_path, monkeypatch):
    run_load(con, "ssd", [_file(tmp_path, "a.csv", "a")], _person_parser([("1", "2010-01-31", "M")]))
    before = snapshot(con)
    real_upsert, calls = core.upsert, []

    def failing_upsert(con_, table, frame, load_id):
        calls.append(table.name)
        if len(calls) == 2:
            raise RuntimeError("disk full")
        return real_upsert(con_, table, frame, load_id)

    monkeypatch.setattr(core, "upsert", failing_upsert)
    frames = {
        "ssd_person": _people([("1", "2010-01-01", "F"), ("9", "2015-05-05", "M")]),
        "ssd_cp_plans": pd.DataFrame({"cppl_cp_plan_id": ["P"], "cppl_person_id": ["9"], "_source": ["x:row 2"]}),
    }
    with pytest.raises(RuntimeError, match="disk full"):
        run_load(con, "ssd", [_file(tmp_path, "b.csv", "b")], lambda p: Parsed(frames))
    assert calls == ["ssd_person", "ssd_cp_plans"]
    assert snapshot(con) == before
    assert con.execute("SELECT status FROM cscperf_loads ORDER BY started_at").fetchall() == [("done",), ("failed",)]


def test_parse_date_accepts_the_formats_councils_send():
    assert values.parse_date("2024-03-31") == dt.date(2024, 3, 31)
    assert values.parse_date("31/03/2024") == dt.date(2024, 3, 31)
    assert values.parse_date("1-4-2024") == dt.date(2024, 4, 1)
    assert values.parse_date("2024-03-31T10:15:00") == dt.date(2024, 3, 31)
    assert values.parse_date("45000") == dt.date(2023, 3, 15)  # Excel serial
    assert values.parse_date(" ") is None
    for bad, reason in (("31/02/2024", "no such day"), ("yesterday", "not a real date"), ("1066-10-14", "outside")):
        with pytest.raises(ValueError, match=reason):
            values.parse_date(bad)
    dates, bad = values.parse_date_series(pd.Series(["2024-03-31", "31/03/2024", "45000", "", "31/02/2024", None]))
    assert dates.dt.date.tolist()[:3] == [dt.date(2024, 3, 31)] * 2 + [dt.date(2023, 3, 15)]
    assert bad.tolist() == [False, False, False, False, True, False]


def test_read_csv_detects_cp1252_and_rejects_empty_files(tmp_path):
    path = tmp_path / "x.csv"
    path.write_bytes("CHILD,NOTE\n1,caf\xe9\n".encode("cp1252"))
    assert values.read_csv(path).to_dict("records") == [{"CHILD": "1", "NOTE": "café"}]
    path.write_bytes(b"")
    with pytest.raises(UserError, match="x.csv: the file is empty"):
        values.read_csv(path)
