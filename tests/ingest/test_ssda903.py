"""SSDA903: hand-worked multi-year mapping, code lists by year, CSV/XML equivalence, reconciliation."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd
import pytest
from lxml import etree

from cscperf.errors import UserError
from cscperf.ingest import ssda903
from cscperf.ingest.core import run_load
from tests.ingest.conftest import FIXTURES, table_rows

D = dt.date
D2I = FIXTURES / "ssda903" / "d2i-2018"
EPISODE_COLS = "CHILD,DECOM,RNE,LS,CIN,PLACE,PLACE_PROVIDER,DEC,REC,REASON_PLACE_CHANGE,HOME_POST,PL_POST,URN"


def _write(folder: Path, files: dict[str, str]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        (folder / name).write_text(text.strip() + "\n")
    return folder


@pytest.fixture
def two_years(tmp_path: Path) -> Path:
    """Child A: one period with a legal-status change and a same-carer move; child B: two periods."""
    _write(
        tmp_path / "903" / "2022-23",
        {
            "Header.csv": "CHILD,SEX,DOB,ETHNIC,UPN,MOTHER,MC_DOB\nA,1,15/06/2012,WBRI,UN2,0,\nB,2,29/02/2008,BAFR,,,\n",
            "SSDA903_Episodes.csv": f"{EPISODE_COLS}\n"
            "A,01/05/2022,S,V2,N1,U4,PR1,01/09/2022,X1,,,AB1 2CD,\n"
            "A,01/09/2022,L,C2,N1,U4,PR1,10/01/2023,X1,CARPL,,AB1 2CD,\n"
            "A,10/01/2023,T,C2,N1,U6,PR1,,,,,AB3 4EF,\n"
            "B,03/06/2022,S,V2,N2,K2,PR4,20/07/2022,E4A,,,,\n"
            "B,01/02/2023,S,C1,N2,U6,PR1,,,,,,\n"
            "B,31/02/2023,P,C1,N2,U6,PR1,,,,,,\n",
            "reviews.csv": "CHILD,DOB,REVIEW,REVIEW_CODE\nA,15/06/2012,01/11/2022,PN1\nB,29/02/2008,01/12/2022,PN9\n",
            "oc3.csv": "CHILD,DOB,IN_TOUCH,ACTIV,ACCOM\nB,29/02/2008,YES,F2,U1\n",
        },
    )
    _write(
        tmp_path / "903" / "2023-24",
        {
            "episodes_2024.csv": f"{EPISODE_COLS}\n"
            "A,10/01/2023,T,C2,N1,U6,PR1,15/08/2023,E11,,,AB3 4EF,\n"
            "B,01/02/2023,S,C1,N2,U6,PR1,,,,,,\n",
            "header.csv": "CHILD,SEX,DOB,ETHNIC,UPN,MOTHER,MC_DOB\nA,1,15/06/2012,WIRI,,0,\n",
            "OC3.csv": "CHILD,DOB,IN_TOUCH,ACTIV,ACCOM\nB,29/02/2008,YES,G5,S2\n",
            "placed_adoption.csv": "CHILD,DOB,DATE_PLACED,DATE_PLACED_CEASED,REASON_PLACED_CEASED\nA,15/06/2012,01/03/2023,,\n",
            "AD1.csv": "CHILD,DOB,DATE_INT,DATE_MATCH,FOSTER_CARE,NB_ADOPTR,SEX_ADOPTR,LS_ADOPTR\n"
            "A,15/06/2012,01/03/2023,01/06/2023,0,2,MF,L11\n",
        },
    )
    return tmp_path / "903"


def test_two_returns_merge_into_periods_placements_and_legal_status(con, two_years):
    s = run_load(con, "ssda903", [two_years], ssda903.parse)
    episodes = con.execute(
        "SELECT clae_cla_episode_id, clae_cla_id, clae_cla_placement_id, clae_cla_episode_ceased_date, clae_cla_episode_ceased_reason, "
        "clae_entered_care_date, clae_ext_legal_status FROM ssd_cla_episodes ORDER BY 1"
    ).fetchall()
    assert episodes == [
        ("A:20220501", "A:CLA:20220501", "A:PL:20220501", D(2022, 9, 1), "X1", D(2022, 5, 1), "V2"),
        ("A:20220901", "A:CLA:20220501", "A:PL:20220501", D(2023, 1, 10), "X1", D(2022, 5, 1), "C2"),
        ("A:20230110", "A:CLA:20220501", "A:PL:20230110", D(2023, 8, 15), "E11", D(2022, 5, 1), "C2"),  # 2023-24 return wins
        ("B:20220603", "B:CLA:20220603", "B:PL:20220603", D(2022, 7, 20), "E4A", D(2022, 6, 3), "V2"),
        ("B:20230201", "B:CLA:20230201", "B:PL:20230201", None, None, D(2023, 2, 1), "C1"),
    ]
    placements = con.execute(
        "SELECT clap_cla_placement_id, clap_cla_placement_type, clap_cla_placement_start_date, clap_cla_placement_end_date, "
        "clap_cla_placement_change_reason, clap_cla_placement_postcode FROM ssd_cla_placement ORDER BY 1"
    ).fetchall()
    assert placements == [
        ("A:PL:20220501", "U4", D(2022, 5, 1), D(2023, 1, 10), "CARPL", "AB1 2CD"),  # the L episode continues the placement
        ("A:PL:20230110", "U6", D(2023, 1, 10), D(2023, 8, 15), None, "AB3 4EF"),  # T: same carer, still a new placement row
        ("B:PL:20220603", "K2", D(2022, 6, 3), D(2022, 7, 20), None, None),
        ("B:PL:20230201", "U6", D(2023, 2, 1), None, None, None),
    ]
    legal = con.execute("SELECT lega_legal_status_id, lega_legal_status, lega_legal_status_start_date, lega_legal_status_end_date "
                        "FROM ssd_legal_status ORDER BY 1").fetchall()  # fmt: skip
    assert legal == [
        ("A:LS:20220501", "V2", D(2022, 5, 1), D(2022, 9, 1)),
        ("A:LS:20220901", "C2", D(2022, 9, 1), D(2023, 8, 15)),
        ("B:LS:20220603", "V2", D(2022, 6, 3), D(2022, 7, 20)),
        ("B:LS:20230201", "C1", D(2023, 2, 1), None),
    ]
    people = con.execute("SELECT pers_person_id, pers_sex, pers_ethnicity, pers_upn_unknown, pers_is_mother FROM ssd_person ORDER BY 1")
    assert people.fetchall() == [("A", "M", "WIRI", None, "N"), ("B", "F", "BAFR", None, None)]  # A from the later return
    reviews = con.execute("SELECT clar_cla_review_id, clar_cla_id, clar_ext_person_id FROM ssd_cla_reviews ORDER BY 1").fetchall()
    assert reviews == [("A:REV:20221101", "A:CLA:20220501", "A"), ("B:REV:20221201", None, "B")]  # B was not in care on 1 Dec
    leavers = con.execute("SELECT clea_table_id, clea_ext_record_date, clea_care_leaver_accommodation, clea_care_leaver_accom_suitable, "
                          "clea_care_leaver_activity FROM ssd_care_leavers ORDER BY 1").fetchall()  # fmt: skip
    # B was born on 29 February: the 2022-23 birthday is 28 February 2023, the 2023-24 one 29 February 2024.
    assert leavers == [("B:OC3:2023", D(2023, 2, 28), "U1", "Y", "F2"), ("B:OC3:2024", D(2024, 2, 29), "S2", "N", "G5")]
    perm = con.execute("SELECT perm_table_id, perm_cla_id, perm_adm_decision_date, perm_matched_date, perm_adopted_by_carer_flag, "
                       "perm_permanence_order_date, perm_permanence_order_type FROM ssd_permanence").fetchall()  # fmt: skip
    assert perm == [("A:CLA:20220501:PERM", "A:CLA:20220501", D(2023, 3, 1), D(2023, 6, 1), "N", D(2023, 8, 15), "Adoption")]
    # The impossible date is rejected with file, row, field, value and rule; the unknown review code is a warning.
    assert [(Path(i.source).name, i.location, i.field, i.value) for i in s.rejected] == [
        ("SSDA903_Episodes.csv", "row 7", "DECOM", "31/02/2023")
    ]
    review_warnings = [(i.field, i.value, i.rule) for i in s.warnings if i.table == "ssd_cla_reviews"]
    assert review_warnings == [
        ("REVIEW_CODE", "PN9", "REVIEW_CODE code not in the 2022-23 code list; loaded as given"),
        ("REVIEW", "2022-12-01", "review date is not within a period of care"),
    ]


def test_placement_codes_follow_the_collection_year(tmp_path):
    assert "Z1" in ssda903.valid_codes("PLACE", 2025) and "H5" in ssda903.valid_codes("PLACE", 2025)
    assert {"Z11", "Z14"} <= ssda903.valid_codes("PLACE", 2026) and not {"Z1", "H5", "P2"} & ssda903.valid_codes("PLACE", 2026)
    folder = _write(
        tmp_path / "2025-26",
        {"episodes.csv": f"{EPISODE_COLS}\nC,01/05/2025,S,C2,N1,Z1,PR1,,,,,,\nD,01/05/2025,S,C2,N1,Z12,PR1,,,,,,\n"},
    )
    parsed = ssda903.parse([folder])
    assert [(i.location, i.value, i.rule) for i in parsed.warnings] == [
        ("row 2", "Z1", "PLACE code not in the 2025-26 code list; loaded as given")
    ]


def test_year_from_path_and_inferred_year():
    assert ssda903.year_from_path(Path("x/2023-24/episodes.csv")) == 2024
    assert ssda903.year_from_path(Path("x/episodes_2024.csv")) == 2024
    assert ssda903.year_from_path(Path("ssda903/episodes.csv")) is None
    parsed = ssda903.parse([D2I])  # no year in the path: latest DECOM 2018-03-31 gives 2017-18
    assert {i.rule for i in parsed.warnings if i.field == "PLACE"} <= {"PLACE code not in the 2017-18 code list; loaded as given"}


def test_bad_input_is_a_user_error_naming_the_file(tmp_path):
    empty = _write(tmp_path / "e", {"episodes.csv": ""})
    with pytest.raises(UserError, match="episodes.csv: the file is empty"):
        ssda903.parse([empty])
    no_child = _write(tmp_path / "n", {"episodes.csv": "ID,DECOM\n1,01/01/2020\n"})
    with pytest.raises(UserError, match="episodes.csv: column CHILD is missing"):
        ssda903.parse([no_child])
    (tmp_path / "bad.xml").write_text("<EXPSSDA903><CHILD>")
    with pytest.raises(UserError, match="bad.xml: line 1: not well-formed XML"):
        ssda903.parse([tmp_path / "bad.xml"])


def test_an_xml_syntax_error_is_one_line_and_never_quotes_the_input(tmp_path):
    # a NUL byte on line 2 (libxml2's message ends in a newline) and a CDATA section opened on line 3 and
    # never closed, found at the end of the file, line 4 (libxml2 quotes the input after its message):
    # each is one line naming the file and line, without the input.
    (tmp_path / "nul.xml").write_bytes(b"<EXPSSDA903>\n<CHILD>\x00</CHILD>\n</EXPSSDA903>\n")
    (tmp_path / "cdata.xml").write_bytes(b"<EXPSSDA903>\n<CHILD>\n<![CDATA[C001 secret]]]]]]\n")
    with pytest.raises(UserError) as nul:
        ssda903.parse([tmp_path / "nul.xml"])
    assert str(nul.value) == f"{tmp_path / 'nul.xml'}: line 2: not well-formed XML (Invalid character: Char 0x0 out of allowed range)"
    with pytest.raises(UserError) as cdata:
        ssda903.parse([tmp_path / "cdata.xml"])
    assert str(cdata.value) == f"{tmp_path / 'cdata.xml'}: line 4: not well-formed XML (CData section not finished)"


def _csv_set_to_xml(folder: Path, out: Path) -> None:
    """Write a 903 CSV set as the XML export (EXPSSDA903/CHILD/HEADER + EPISODE), element names as in fake_903.xml."""
    read = {p.stem: pd.read_csv(p, dtype=str, keep_default_na=False, encoding="utf-8-sig") for p in folder.glob("*.csv")}
    root = etree.Element("EXPSSDA903")
    header_only = {
        "uasc": ["DUC"],
        "oc3": ["IN_TOUCH", "ACTIV", "ACCOM"],
        "ad1": ["DATE_INT", "DATE_MATCH", "FOSTER_CARE", "NB_ADOPTR", "SEX_ADOPTR", "LS_ADOPTR"],
    }
    nested = {
        "reviews": "AREVIEW",
        "missing": "AMISSING",
        "placed_for_adoption": "AD_PLACED",
        "previous_permanence": "PERMANENCE",
        "oc2": "OC2",
        "sw_episodes": "SW_EPISODE",
    }
    for _, h in read["header"].iterrows():
        child = etree.SubElement(root, "CHILD")
        head = etree.SubElement(child, "HEADER")
        for col, tag in (
            ("CHILD", "CHILDID"),
            ("UPN", "UPN"),
            ("SEX", "SEX"),
            ("DOB", "DOB"),
            ("ETHNIC", "ETHNIC"),
            ("MOTHER", "MOTHER"),
            ("MC_DOB", "MC_DOB"),
        ):
            etree.SubElement(head, tag).text = h[col] or None
        for stem, cols in header_only.items():
            for _, r in read[stem][read[stem]["CHILD"] == h["CHILD"]].iterrows():
                for c in cols:
                    etree.SubElement(head, c).text = r[c] or None
        for stem, tag in nested.items():
            for _, r in read[stem][read[stem]["CHILD"] == h["CHILD"]].iterrows():
                el = etree.SubElement(head, tag)
                for c in read[stem].columns:
                    if c not in ("CHILD", "DOB"):
                        etree.SubElement(el, c).text = r[c] or None
        for _, r in read["episodes"][read["episodes"]["CHILD"] == h["CHILD"]].iterrows():
            el = etree.SubElement(child, "EPISODE")
            for c in read["episodes"].columns:
                if c != "CHILD":
                    etree.SubElement(el, "PL" if c == "PLACE" else c).text = r[c] or None
    etree.ElementTree(root).write(str(out), xml_declaration=True, encoding="us-ascii")


def test_the_d2i_set_as_csv_and_as_xml_gives_identical_warehouses(tmp_path):
    from cscperf.warehouse import TABLES, connect

    xml = tmp_path / "d2i-2018.xml"
    _csv_set_to_xml(D2I, xml)
    con_csv, con_xml = connect(tmp_path / "csv.duckdb"), connect(tmp_path / "xml.duckdb")
    csv_summary = run_load(con_csv, "ssda903", [D2I], ssda903.parse)
    xml_summary = run_load(con_xml, "ssda903", [xml], ssda903.parse)
    compared = 0
    for t in TABLES:
        csv_rows, xml_rows = table_rows(con_csv, t.name), table_rows(con_xml, t.name)
        if t.name == "ssd_involvements":  # the one SW episode's child has no header row, so the XML has no CHILD for it
            assert [r[0] for r in csv_rows] == ["CHILD10:SW:20200101"] and xml_rows == []
            continue
        if t.name == "ssd_professionals":  # nor its social worker (SW999)
            assert [r[0] for r in csv_rows] == ["SW999"] and xml_rows == []
            continue
        assert csv_rows == xml_rows, t.name
        compared += bool(csv_rows)
    # every other table the 903 feeds, with rows (UPNs, home addresses, OC2 convictions and substance misuse among them)
    assert compared == 17
    loaded = lambda s: {t: c.loaded for t, c in s.tables.items() if t not in ("ssd_involvements", "ssd_professionals")}  # noqa: E731
    assert loaded(csv_summary) == loaded(xml_summary)
    assert [(i.field, i.rule) for i in csv_summary.rejected] == [(i.field, i.rule) for i in xml_summary.rejected]


def test_d2i_counts_reconcile_with_the_input_files(con):
    s = run_load(con, "ssda903", [D2I], ssda903.parse)
    src = {p.stem: pd.read_csv(p, dtype=str, keep_default_na=False, encoding="utf-8-sig") for p in D2I.glob("*.csv")}
    count = lambda table: con.execute(f"SELECT count(*) FROM {table}").fetchone()[0]  # noqa: E731
    assert count("ssd_person") == src["header"]["CHILD"].nunique() == 68
    assert count("ssd_cla_episodes") == len(src["episodes"]) == 148
    duplicates = src["reviews"].duplicated(["CHILD", "REVIEW"]).sum()
    assert count("ssd_cla_reviews") == len(src["reviews"]) - duplicates
    assert len([i for i in s.rejected if i.table == "ssd_cla_reviews"]) == duplicates
    assert all("appears again in this return" in i.rule for i in s.rejected)
    periods = con.execute("SELECT count(DISTINCT clae_cla_id) FROM ssd_cla_episodes").fetchone()[0]
    e = src["episodes"].assign(d=pd.to_datetime(src["episodes"]["DECOM"], dayfirst=True)).sort_values(["CHILD", "d"])
    first = e["CHILD"].ne(e["CHILD"].shift())
    prev = e["REC"].shift()
    assert periods == int((first | e["RNE"].eq("S") | (~first & prev.ne("X1") & prev.ne(""))).sum())
    assert count("ssd_care_leavers") == len(src["oc3"].drop_duplicates("CHILD"))
    assert count("ssd_missing") == len(src["missing"].drop_duplicates(["CHILD", "MIS_START"]))
    assert count("ssd_involvements") == len(src["sw_episodes"]) == 1


def test_the_d2i_xml_export_loads_and_reconciles(con):
    path = FIXTURES / "ssda903" / "fake_903_first30.xml"
    root = etree.parse(str(path)).getroot()
    s = run_load(con, "ssda903", [path], ssda903.parse)
    count = lambda table: con.execute(f"SELECT count(*) FROM {table}").fetchone()[0]  # noqa: E731
    assert count("ssd_person") == len(root.findall("CHILD")) == 30
    assert count("ssd_cla_episodes") + s.tables["ssd_cla_episodes"].rejected == len(root.findall("CHILD/EPISODE"))
    assert count("ssd_cla_reviews") + s.tables["ssd_cla_reviews"].rejected == len(root.findall("CHILD/HEADER/AREVIEW"))
    sources = con.execute("SELECT _source FROM ssd_cla_episodes ORDER BY _source LIMIT 1").fetchone()[0]
    assert sources.endswith(":/EXPSSDA903/CHILD[10]/EPISODE[1]")
