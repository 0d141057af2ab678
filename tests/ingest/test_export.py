"""The `cscperf export` commands: files written, validity against the XSD, and user errors."""

from __future__ import annotations

import csv

import click
from click.testing import CliRunner
from lxml import etree

from cscperf.cli import main
from cscperf.ingest.cin_xml import load_schema
from cscperf.ingest.export_cli import export
from tests.ingest.test_roundtrip import build_small_warehouse


def _warehouse(tmp_path):
    path = tmp_path / "w.duckdb"
    build_small_warehouse(path).close()
    return path


def test_export_ssd_writes_one_csv_per_table(tmp_path):
    w = _warehouse(tmp_path)
    result = CliRunner().invoke(main, ["export", "ssd", "--out", str(tmp_path / "out"), "--warehouse", str(w)])
    assert result.exit_code == 0, result.output
    with open(tmp_path / "out" / "ssd_cin_episodes.csv", newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert [r["cine_referral_id"] for r in rows] == ["R1", "R2", "R3"]
    assert rows[0]["cine_referral_date"] == "2022-06-01" and rows[2]["cine_close_date"] == ""
    assert "_load_id" not in rows[0]


def test_export_cin_xml_is_valid_for_old_and_new_schemas(tmp_path):
    w = _warehouse(tmp_path)
    for year, sex_tag in ((2023, "GenderCurrent"), (2025, "Sex")):
        out = tmp_path / f"cin_{year}.xml"
        result = CliRunner().invoke(main, ["export", "cin-xml", "--year", str(year), "--out", str(out), "--warehouse", str(w)])
        assert result.exit_code == 0, result.output
        doc = etree.parse(str(out))
        assert load_schema(year).validate(doc)
        assert doc.findtext("Header/CollectionDetails/ReferenceDate") == f"{year}-03-31"
        assert doc.find(f"Children/Child/ChildIdentifiers/{sex_tag}") is not None
    # 2024-25 holds only P2's referral R3 (open since January 2024); P1's episode closed in September 2023
    doc = etree.parse(str(tmp_path / "cin_2025.xml"))
    assert [c.findtext("ChildIdentifiers/LAchildID") for c in doc.iterfind("Children/Child")] == ["P2"]
    assert doc.findtext("Children/Child/ChildIdentifiers/Sex") == "F"


def test_export_cin_xml_before_2022_has_no_cin_plan_dates(tmp_path):
    con = build_small_warehouse(tmp_path / "w.duckdb")
    con.execute("UPDATE ssd_cin_episodes SET cine_referral_date = DATE '2020-06-01' WHERE cine_referral_id = 'R1'")
    con.execute("UPDATE ssd_cin_plans SET cinp_cin_plan_start_date = DATE '2020-07-01'")
    con.close()
    docs = {}
    for year in (2021, 2023):
        out = tmp_path / f"cin_{year}.xml"
        result = CliRunner().invoke(
            main, ["export", "cin-xml", "--year", str(year), "--out", str(out), "--warehouse", str(tmp_path / "w.duckdb")]
        )
        assert result.exit_code == 0, result.output
        docs[year] = etree.parse(str(out))
    assert docs[2021].find(".//CINPlanDates") is None
    assert docs[2023].findtext(".//CINPlanDates/CINPlanStartDate") == "2020-07-01"


def test_export_cin_xml_of_a_year_without_children_in_need_is_a_user_error(tmp_path):
    from cscperf.errors import UserError

    w = _warehouse(tmp_path)
    result = CliRunner().invoke(main, ["export", "cin-xml", "--year", "2019", "--out", str(tmp_path / "x.xml"), "--warehouse", str(w)])
    assert isinstance(result.exception, UserError) and "no child in need episodes open in 2018-19" in str(result.exception)
    assert not (tmp_path / "x.xml").exists()


def test_export_cin_xml_reports_codes_the_schema_rejects(tmp_path):
    con = build_small_warehouse(tmp_path / "w.duckdb")
    con.execute("UPDATE ssd_cin_episodes SET cine_cin_primary_need_code = 'PSRMEM' WHERE cine_referral_id = 'R2'")
    con.close()
    out = tmp_path / "bad.xml"
    result = CliRunner().invoke(main, ["export", "cin-xml", "--year", "2023", "--out", str(out), "--warehouse", str(tmp_path / "w.duckdb")])
    assert result.exit_code != 0
    assert "1 schema problems against CIN_schema_2023.xsd" in str(result.exception)
    assert "PrimaryNeedCode" in str(result.exception)


def test_export_ssda903_writes_the_csv_set(tmp_path):
    w = _warehouse(tmp_path)
    result = CliRunner().invoke(main, ["export", "ssda903", "--year", "2023", "--out", str(tmp_path / "903"), "--warehouse", str(w)])
    assert result.exit_code == 0, result.output
    with open(tmp_path / "903" / "episodes_2023.csv", newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert [(r["CHILD"], r["DECOM"], r["RNE"], r["PLACE"], r["DEC"], r["REC"], r["REASON_PLACE_CHANGE"]) for r in rows] == [
        ("P3", "01/08/2022", "S", "U4", "01/02/2023", "X1", "CARPL"),
        ("P3", "01/02/2023", "P", "U1", "", "", ""),
    ]
    with open(tmp_path / "903" / "header_2023.csv", newline="") as fh:
        assert list(csv.DictReader(fh)) == [
            {"CHILD": "P3", "SEX": "1", "DOB": "02/02/2009", "ETHNIC": "WBRI", "UPN": "", "MOTHER": "", "MC_DOB": ""}
        ]


def test_missing_warehouse_and_bad_year_are_user_errors(tmp_path):
    from cscperf.errors import UserError

    runner = CliRunner()
    result = runner.invoke(main, ["export", "ssd", "--out", str(tmp_path / "o"), "--warehouse", str(tmp_path / "none.duckdb")])
    assert isinstance(result.exception, UserError) and "no warehouse" in str(result.exception)
    w = _warehouse(tmp_path)
    result = runner.invoke(main, ["export", "cin-xml", "--year", "2014", "--out", str(tmp_path / "x.xml"), "--warehouse", str(w)])
    assert isinstance(result.exception, UserError) and "2017 to 2026" in str(result.exception)


def test_other_stages_can_add_export_subcommands():
    @click.command("demo-extra")
    def extra() -> None:
        click.echo("extra")

    export.add_command(extra)
    try:
        result = CliRunner().invoke(main, ["export", "demo-extra"])
        assert result.output == "extra\n"
    finally:
        export.commands.pop("demo-extra")
