"""The permanency service's tables load through `cscperf load ssd` (the documented layout, docs/permanency.md) and
round-trip through `cscperf export ssd`."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd

from cscperf.ingest import ssd
from cscperf.ingest.core import run_load
from cscperf.ingest.export_ssd import export_ssd
from cscperf.warehouse import connect
from cscperf.warehouse.schema import PERMANENCY_TABLES
from tests.ingest.conftest import table_rows

HOUSEHOLDS = (
    "fohh_household_id,fohh_household_type,fohh_ethnicity,fohh_approval_date,fohh_deregistration_date,fohh_deregistration_reason\n"
    "H1,INHOUSE,WBRI,2023-05-01,,\n"
    "H2,CONNECTED,BAFR,2024-01-10,2024-06-30,RESIGNED\n"
)
# row 3 ends before it starts: quarantined with its file, row and field
PLACES = (
    "fopl_places_id,fopl_household_id,fopl_places,fopl_places_start_date,fopl_places_end_date\n"
    "P1,H1,2,2023-05-01,\n"
    "P2,H2,1,2024-01-10,2023-12-31\n"
)
# the second adopter has no registration date (required)
ADOPTERS = "adop_adopter_id,adop_agency,adop_registration_date,adop_approval_date\nA1,OWN,2023-01-09,2023-09-01\nA2,OWN,,\n"


def _folder(tmp_path: Path) -> Path:
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "ext_fostering_household.csv").write_text(HOUSEHOLDS)
    (folder / "ext_fostering_places.csv").write_text(PLACES)
    (folder / "ext_adopter.csv").write_text(ADOPTERS)
    match = pd.DataFrame(
        {
            "adma_match_id": ["M1"],
            "adma_adopter_id": ["A1"],
            "adma_person_id": ["C1"],
            "adma_matched_date": [dt.date(2024, 2, 1)],
            "adma_placed_date": [dt.date(2024, 3, 4)],
        }
    )
    match.to_parquet(folder / "ext_adoption_match.parquet")
    return folder


def test_permanency_tables_load_with_quarantine_and_are_idempotent(tmp_path):
    con = connect(tmp_path / "w.duckdb")
    folder = _folder(tmp_path)
    summary = run_load(con, "ssd", [folder], ssd.parse)
    assert sorted((i.table, i.location, i.field) for i in summary.rejected) == [
        ("ext_adopter", "row 3", "adop_registration_date"),
        ("ext_fostering_places", "row 3", "fopl_places_end_date"),
    ]
    assert con.execute("SELECT fohh_household_id, fohh_deregistration_date FROM ext_fostering_household ORDER BY 1").fetchall() == [
        ("H1", None),
        ("H2", dt.date(2024, 6, 30)),
    ]
    assert con.execute("SELECT adma_match_id, adma_placed_date FROM ext_adoption_match").fetchall() == [("M1", dt.date(2024, 3, 4))]
    quarantined = con.execute("SELECT count(*) FROM cscperf_quarantine WHERE raw_record IS NOT NULL").fetchone()[0]
    assert quarantined == 2
    before = {t.name: table_rows(con, t.name, provenance=True) for t in PERMANENCY_TABLES}
    again = run_load(con, "ssd", [folder], ssd.parse)
    assert again.status == "noop"
    assert {t.name: table_rows(con, t.name, provenance=True) for t in PERMANENCY_TABLES} == before


def test_permanency_tables_round_trip_through_export_ssd(tmp_path):
    con = connect(tmp_path / "w.duckdb")
    run_load(con, "ssd", [_folder(tmp_path)], ssd.parse)
    written = export_ssd(con, tmp_path / "out")
    assert written["ext_fostering_household"] == 2 and written["ext_fostering_places"] == 1
    target = connect(tmp_path / "t.duckdb")
    summary = run_load(target, "ssd", [tmp_path / "out"], ssd.parse)
    assert summary.rejected == []
    for t in PERMANENCY_TABLES:
        assert table_rows(target, t.name) == table_rows(con, t.name), t.name
