"""The warehouse is created from the one schema declaration, with provenance on every table."""

import pandas as pd
import pytest

from cscperf.warehouse import TABLES, begin_load, connect, insert_frame, table

DESIGN_TABLES = [
    "ssd_person",
    "ssd_contacts",
    "ssd_early_help_episodes",
    "ssd_cin_episodes",
    "ssd_cin_assessments",
    "ssd_cin_plans",
    "ssd_cin_visits",
    "ssd_s47_enquiry",
    "ssd_initial_cp_conference",
    "ssd_cp_plans",
    "ssd_cp_reviews",
    "ssd_cp_visits",
    "ssd_cla_episodes",
    "ssd_cla_placement",
    "ssd_cla_reviews",
    "ssd_cla_visits",
    "ssd_cla_health",
    "ssd_cla_immunisations",
    "ssd_missing",
    "ssd_care_leavers",
    "ssd_permanence",
    "ssd_legal_status",
    "ssd_involvements",
    "ssd_professionals",
    "ssd_department",
]


def test_every_design_table_is_created_with_provenance(tmp_path):
    con = connect(tmp_path / "w.duckdb")
    names = {r[0] for r in con.execute("SELECT table_name FROM information_schema.tables").fetchall()}
    assert set(DESIGN_TABLES) <= names
    for t in TABLES:
        cols = [r[0] for r in con.execute(f"DESCRIBE {t.name}").fetchall()]
        assert cols == [*t.column_names, "_load_id", "_source"]


def test_extension_columns_are_named_as_extensions():
    for t in TABLES:
        for c in t.columns:
            assert c.ext == ("_ext_" in c.name), c.name
        assert t.ext == t.name.startswith("ext_")


def test_foreign_keys_name_real_columns():
    for t in TABLES:
        for col, target in t.foreign_keys.items():
            tname, tcol = target.split(".")
            assert col in t.column_names
            assert tcol in table(tname).column_names


def test_connect_is_repeatable_and_insert_casts(tmp_path):
    path = tmp_path / "w.duckdb"
    connect(path).close()
    con = connect(path)
    load = begin_load(con, "test")
    frame = pd.DataFrame({"pers_person_id": ["1", "2"], "pers_dob": ["2015-02-28", "2016-02-29"]})
    assert insert_frame(con, table("ssd_person"), frame, load, "test") == 2
    rows = con.execute("SELECT pers_person_id, pers_dob, _load_id FROM ssd_person ORDER BY 1").fetchall()
    assert [str(r[1]) for r in rows] == ["2015-02-28", "2016-02-29"]
    assert {r[2] for r in rows} == {load}
    with pytest.raises(ValueError, match="unknown columns"):
        insert_frame(con, table("ssd_person"), pd.DataFrame({"nope": [1]}), load, "test")


def test_data_model_doc_is_current():
    from cscperf.warehouse.docs import DOC_PATH, render

    assert DOC_PATH.read_text() == render(), "run: python -m cscperf.warehouse.docs"
