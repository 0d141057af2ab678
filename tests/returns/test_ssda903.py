"""The SSDA903 return: who and what each table holds for a collection year, worked out by hand on a small warehouse.

Collection year 2025 runs from 1 April 2024 to 31 March 2025. The children:
- G1, a girl in care since January 2022 (so in the OC2 cohort), with a UPN, a home address and two social workers;
- B1, a boy who came into care in May 2024 and left on his 18th birthday (15 June 2024);
- L1, a care leaver who left in 2023 and whose 19th birthday (1 September 2024) falls in the year;
- S1, on short breaks (V3) in July 2024;
- A1, adopted in October 2024;
- T1, in a temporary placement (T3) over the year end.
"""

from __future__ import annotations

import csv
import datetime as dt
from pathlib import Path

import pandas as pd
import pytest

from cscperf.errors import UserError
from cscperf.ingest import parser_for
from cscperf.ingest.core import Parsed, run_load
from cscperf.returns import ssda903
from cscperf.warehouse import connect

D = dt.date


def _episode(eid: str, child: str, start: D, rne: str, ls: str, placement: str, end: D | None = None, rec: str | None = None) -> dict:
    return dict(
        clae_cla_episode_id=eid,
        clae_person_id=child,
        clae_cla_episode_start_date=start,
        clae_cla_episode_start_reason=rne,
        clae_cla_primary_need_code="N1",
        clae_cla_episode_ceased_date=end,
        clae_cla_episode_ceased_reason=rec,
        clae_cla_id=f"CLA-{child}",
        clae_cla_placement_id=placement,
        clae_ext_legal_status=ls,
    )


def _placement(pid: str, child: str, start: D, typ: str, provider: str, postcode: str, urn: str | None, end: D | None = None) -> dict:
    return dict(
        clap_cla_placement_id=pid,
        clap_person_id=child,
        clap_cla_placement_start_date=start,
        clap_cla_placement_end_date=end,
        clap_cla_placement_type=typ,
        clap_cla_placement_provider=provider,
        clap_cla_placement_postcode=postcode,
        clap_cla_placement_urn=urn,
        clap_cla_id=f"CLA-{child}",
    )


def _frames() -> dict[str, pd.DataFrame]:
    person = [
        dict(pers_person_id="G1", pers_sex="F", pers_dob=D(2012, 5, 10), pers_ethnicity="WBRI", pers_is_mother="N"),
        dict(pers_person_id="B1", pers_sex="M", pers_dob=D(2006, 6, 15), pers_ethnicity="WBRI", pers_upn_unknown="UN5"),
        dict(pers_person_id="L1", pers_sex="F", pers_dob=D(2005, 9, 1), pers_ethnicity="AIND"),
        dict(pers_person_id="S1", pers_sex="M", pers_dob=D(2014, 2, 2), pers_ethnicity="WBRI"),
        dict(pers_person_id="A1", pers_sex="F", pers_dob=D(2022, 11, 20), pers_ethnicity="WBRI"),
        dict(pers_person_id="T1", pers_sex="M", pers_dob=D(2009, 3, 3), pers_ethnicity="WBRI"),
    ]
    episodes = [
        _episode("E-G1", "G1", D(2022, 1, 10), "S", "C2", "P-G1"),
        _episode("E-B1", "B1", D(2024, 5, 1), "S", "V2", "P-B1", D(2024, 6, 15), "E5"),
        _episode("E-L1", "L1", D(2021, 3, 1), "S", "C2", "P-L1", D(2023, 2, 1), "E4A"),
        _episode("E-S1", "S1", D(2024, 7, 1), "S", "V3", "P-S1", D(2024, 7, 3), "E13"),
        _episode("E-A1a", "A1", D(2023, 1, 1), "S", "C2", "P-A1a", D(2024, 2, 1), "X1"),
        _episode("E-A1b", "A1", D(2024, 2, 1), "P", "E1", "P-A1b", D(2024, 10, 1), "E11"),
        _episode("E-T1a", "T1", D(2020, 4, 1), "S", "C2", "P-T1a", D(2025, 3, 20), "X1"),
        _episode("E-T1b", "T1", D(2025, 3, 20), "P", "C2", "P-T1b"),
    ]
    placements = [
        _placement("P-G1", "G1", D(2022, 1, 10), "U4", "PR1", "LE15 6HP", "XXXXXXX"),
        _placement("P-B1", "B1", D(2024, 5, 1), "U6", "PR4", "PE2 5BQ", "XXXXXXX", D(2024, 6, 15)),
        _placement("P-L1", "L1", D(2021, 3, 1), "U4", "PR1", "LE15 6HP", "XXXXXXX", D(2023, 2, 1)),
        _placement("P-S1", "S1", D(2024, 7, 1), "K2", "PR1", "LE15 6HP", "SC123456", D(2024, 7, 3)),
        _placement("P-A1a", "A1", D(2023, 1, 1), "U3", "PR1", "LE15 6HP", "XXXXXXX", D(2024, 2, 1)),
        _placement("P-A1b", "A1", D(2024, 2, 1), "A4", "PR1", "LE15 6HP", "SC999999", D(2024, 10, 1)),
        _placement("P-T1a", "T1", D(2020, 4, 1), "U4", "PR1", "LE15 6HP", "XXXXXXX", D(2025, 3, 20)),
        _placement("P-T1b", "T1", D(2025, 3, 20), "T3", "PR1", "LE15 6HP", None),
    ]
    return {
        "ssd_person": person,
        "ssd_linked_identifiers": [
            dict(
                link_table_id="U1", link_person_id="G1", link_identifier_type="Unique Pupil Number", link_identifier_value="A874123401001"
            ),
        ],
        "ssd_address": [
            dict(addr_table_id="AD1", addr_person_id="G1", addr_address_start_date=D(2012, 5, 10), addr_address_postcode="PE1 1AA"),
            dict(addr_table_id="AD2", addr_person_id="S1", addr_address_start_date=D(2014, 2, 2), addr_address_postcode="PE1 1AB"),
        ],
        "ssd_cla_episodes": episodes,
        "ssd_cla_placement": placements,
        "ssd_cla_health": [
            dict(
                clah_health_check_id="H1",
                clah_person_id="G1",
                clah_health_check_type="RHA",
                clah_health_check_date=D(2024, 6, 1),
                clah_health_check_status="Completed",
            ),
            dict(
                clah_health_check_id="H2",
                clah_person_id="G1",
                clah_health_check_type="DENTAL",
                clah_health_check_date=D(2023, 5, 1),
                clah_health_check_status="Completed",
            ),
        ],
        "ssd_cla_immunisations": [
            dict(clai_person_id="G1", clai_immunisations_status="Y", clai_immunisations_status_date=D(2024, 9, 1)),
        ],
        "ssd_sdq_scores": [dict(csdq_table_id="Q1", csdq_person_id="G1", csdq_sdq_completed_date=D(2024, 7, 1), csdq_sdq_score="14")],
        "ssd_cla_convictions": [dict(clac_cla_conviction_id="C1", clac_person_id="G1", clac_cla_conviction_date=D(2024, 11, 1))],
        "ssd_cla_substance_misuse": [
            dict(
                clas_substance_misuse_id="SM1",
                clas_person_id="G1",
                clas_substance_misuse_date=D(2024, 8, 1),
                clas_intervention_received="N",
                clas_ext_intervention_offered="Y",
            ),
        ],
        "ssd_care_leavers": [
            dict(
                clea_table_id="CL1",
                clea_person_id="L1",
                clea_ext_record_date=D(2024, 9, 1),
                clea_care_leaver_in_touch="YES",
                clea_care_leaver_activity="F2",
                clea_care_leaver_accommodation="D1",
            ),
            dict(
                clea_table_id="CL2",
                clea_person_id="B1",
                clea_ext_record_date=D(2024, 6, 15),
                clea_care_leaver_in_touch="YES",
                clea_care_leaver_activity="F2",
                clea_care_leaver_accommodation="D1",
            ),
        ],
        "ssd_permanence": [
            dict(
                perm_table_id="PM1",
                perm_person_id="A1",
                perm_adm_decision_date=D(2023, 3, 1),
                perm_matched_date=D(2024, 1, 15),
                perm_adopted_by_carer_flag="N",
                perm_permanence_order_date=D(2024, 10, 1),
                perm_number_of_adopters="2",
                perm_adopter_sex="MF",
                perm_adopter_legal_status="L11",
            ),
        ],
        "ssd_cla_previous_permanence": [
            dict(lapp_table_id="PP1", lapp_person_id="B1", lapp_previous_permanence_option="Z1"),
            dict(lapp_table_id="PP2", lapp_person_id="G1", lapp_previous_permanence_option="Z1"),
        ],
        "ssd_missing": [
            dict(
                miss_table_id="M1",
                miss_person_id="T1",
                miss_missing_episode_type="M",
                miss_missing_episode_start_date=D(2025, 3, 30),
                miss_missing_episode_end_date=D(2025, 4, 2),
            ),
            dict(
                miss_table_id="M2",
                miss_person_id="T1",
                miss_missing_episode_type="A",
                miss_missing_episode_start_date=D(2024, 5, 1),
                miss_missing_episode_end_date=D(2024, 5, 2),
            ),
        ],  # fmt: skip
        "ssd_professionals": [
            dict(prof_professional_id="W1", prof_social_worker_registration_no="SW123456"),
            dict(prof_professional_id="W2"),
        ],
        "ssd_involvements": [
            dict(
                invo_involvements_id="I1",
                invo_person_id="G1",
                invo_professional_id="W1",
                invo_involvement_start_date=D(2021, 12, 1),
                invo_involvement_end_date=D(2024, 6, 30),
                invo_worker_change_reason="FCONTA",
            ),
            dict(
                invo_involvements_id="I2",
                invo_person_id="G1",
                invo_professional_id="W2",
                invo_involvement_start_date=D(2024, 6, 30),
                invo_worker_change_reason="LEFTRL",
            ),
        ],
    }


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory):
    con = connect(tmp_path_factory.mktemp("w") / "w.duckdb")
    frames = {name: pd.DataFrame(rows) for name, rows in _frames().items()}
    run_load(con, "ssd", [], lambda _paths: Parsed(frames=frames))
    yield con
    con.close()


def _read(folder: Path, table: str, year: int) -> list[dict]:
    with open(folder / f"{table}_{year}.csv", newline="") as fh:
        return list(csv.DictReader(fh))


def _by_child(rows: list[dict]) -> dict[str, list[dict]]:
    out: dict[str, list[dict]] = {}
    for r in rows:
        out.setdefault(r["CHILD"], []).append(r)
    return out


@pytest.fixture(scope="module")
def written(warehouse, tmp_path_factory):
    out = tmp_path_factory.mktemp("903")
    ssda903.write(warehouse, 2025, out)
    return out


def test_header_has_every_child_with_the_years_codes(written):
    header = {r["CHILD"]: r for r in _read(written, "header", 2025)}
    assert sorted(header) == ["A1", "B1", "G1", "L1", "S1", "T1"]  # L1 through OC3 only
    assert header["G1"]["SEX"] == "F" and header["B1"]["SEX"] == "M"  # M/F/U from 2024-25
    assert header["G1"]["UPN"] == "A874123401001" and header["B1"]["UPN"] == "UN5" and header["T1"]["UPN"] == ""
    # MOTHER (0/1) for girls looked after other than on short breaks; L1 was not looked after in the year
    assert header["G1"]["MOTHER"] == "0" and header["A1"]["MOTHER"] == "0"
    assert header["B1"]["MOTHER"] == "" and header["L1"]["MOTHER"] == ""


def test_sex_is_1_or_2_before_2024_25(warehouse, tmp_path):
    ssda903.write(warehouse, 2024, tmp_path / "y24")
    header = {r["CHILD"]: r["SEX"] for r in _read(tmp_path / "y24", "header", 2024)}
    assert header["G1"] == "2" and header["T1"] == "1"


def test_episodes_leave_out_what_short_breaks_and_temporary_placements_do_not_report(written):
    eps = _by_child(_read(written, "episodes", 2025))
    g1 = eps["G1"][0]
    assert (g1["DECOM"], g1["PLACE"], g1["PLACE_PROVIDER"], g1["HOME_POST"], g1["PL_POST"], g1["URN"]) == (
        "10/01/2022", "U4", "PR1", "PE1 1AA", "LE15 6HP", "XXXXXXX",
    )  # fmt: skip
    s1 = eps["S1"][0]  # V3: no home or placement postcode, no URN (rules 214, 398)
    assert (s1["LS"], s1["PLACE_PROVIDER"], s1["HOME_POST"], s1["PL_POST"], s1["URN"]) == ("V3", "PR1", "", "", "")
    t1 = eps["T1"]  # the temporary placement has no provider (rule 213); its episode is still open on 31 March
    assert [(e["PLACE"], e["PLACE_PROVIDER"], e["DEC"]) for e in t1] == [("U4", "PR1", "20/03/2025"), ("T3", "", "")]
    assert "L1" not in eps  # left care in 2023


def test_oc2_holds_the_children_looked_after_all_year_and_what_happened_to_them(written):
    oc2 = _by_child(_read(written, "oc2", 2025))
    assert sorted(oc2) == ["G1", "T1"]  # B1, S1 (short breaks) and A1 started or left in the year
    g1 = oc2["G1"][0]
    # aged 11 to 12: SDQ, conviction asked, no under-5 health check; RHA in the year, dental check the year before
    assert {k: g1[k] for k in ssda903.columns("oc2")[2:]} == {
        "SDQ_SCORE": "14", "SDQ_REASON": "", "CONVICTED": "1", "HEALTH_CHECK": "", "IMMUNISATIONS": "1", "TEETH_CHECK": "0",
        "HEALTH_ASSESSMENT": "1", "SUBSTANCE_MISUSE": "1", "INTERVENTION_RECEIVED": "0", "INTERVENTION_OFFERED": "1",
    }  # fmt: skip
    t1 = oc2["T1"][0]  # aged 15 to 16, no records: nothing done, nothing found; SDQ left blank for DfE's rules to query
    assert (t1["CONVICTED"], t1["IMMUNISATIONS"], t1["SUBSTANCE_MISUSE"], t1["INTERVENTION_RECEIVED"], t1["SDQ_SCORE"]) == (
        "0", "0", "0", "", "",
    )  # fmt: skip


def test_oc3_only_for_care_leavers_who_had_left_before_their_birthday(written):
    oc3 = _read(written, "oc3", 2025)
    # B1 left on his 18th birthday: no OC3 (rule 1016); L1's 19th birthday record is in
    assert [(r["CHILD"], r["DOB"], r["IN_TOUCH"], r["ACTIV"], r["ACCOM"]) for r in oc3] == [("L1", "01/09/2005", "YES", "F2", "D1")]


def test_adoption_tables(written):
    ad1 = _read(written, "ad1", 2025)
    fields = ["CHILD", "DATE_INT", "DATE_MATCH", "FOSTER_CARE", "NB_ADOPTR", "SEX_ADOPTR", "LS_ADOPTR"]
    assert [tuple(r[f] for f in fields) for r in ad1] == [("A1", "01/03/2023", "15/01/2024", "0", "2", "MF", "L11")]
    placed = _read(written, "placed_for_adoption", 2025)
    assert [(r["CHILD"], r["DATE_PLACED"], r["DATE_PLACED_CEASED"]) for r in placed] == [("A1", "01/03/2023", "")]


def test_missing_episodes_of_the_year_end_within_it(written):
    missing = _read(written, "missing", 2025)
    # T1 went missing on 30 March 2025 and came back on 2 April: still missing at 31 March (no MIS_END, rule 571)
    assert [(r["CHILD"], r["MISSING"], r["MIS_START"], r["MIS_END"]) for r in missing] == [
        ("T1", "A", "01/05/2024", "02/05/2024"),
        ("T1", "M", "30/03/2025", ""),
    ]


def test_previous_permanence_only_for_children_who_started_in_the_year(written):
    prev = _read(written, "previous_permanence", 2025)
    assert [(r["CHILD"], r["PREV_PERM"]) for r in prev] == [("B1", "Z1")]  # G1's is recorded but she started in 2022


def test_social_worker_episodes_while_looked_after(written):
    sw = _read(written, "sw_episodes", 2025)
    # W1 was allocated before G1 came into care: reported from 10 January 2022; W2 has no SWE number
    assert [(r["CHILD"], r["SW_ID"], r["SW_DECOM"], r["SW_DEC"], r["SW_REASON"]) for r in sw] == [
        ("G1", "SW123456", "10/01/2022", "30/06/2024", "FCONTA"),
        ("G1", "XXW2", "30/06/2024", "", "LEFTRL"),
    ]
    assert "sw_episodes" not in ssda903.tables_for(2023) and "sw_episodes" in ssda903.tables_for(2024)


def test_the_xml_holds_the_same_records(written, tmp_path):
    target = connect(tmp_path / "x.duckdb")
    run_load(target, "ssda903", [written / "ssda903_2025.xml"], parser_for("ssda903"))
    ssda903.write(target, 2025, tmp_path / "again")
    target.close()
    for table in ssda903.tables_for(2025):
        assert _read(tmp_path / "again", table, 2025) == _read(written, table, 2025), table


def test_a_year_with_no_data_names_the_year_and_writes_nothing(warehouse, tmp_path):
    out = tmp_path / "none"
    with pytest.raises(UserError, match=r"no SSDA903 return for 2018-19: .* 2018-04-01 and 2019-03-31"):
        ssda903.write(warehouse, 2019, out)
    assert not out.exists() or not any(out.iterdir())
    with pytest.raises(UserError, match="--year 1999: not a collection year"):
        ssda903.write(warehouse, 1999, out)


def test_a_failure_while_writing_leaves_nothing_half_written(warehouse, tmp_path, monkeypatch):
    def broken(tables, path):  # noqa: ANN001, ANN202
        raise OSError("disk full")

    monkeypatch.setattr(ssda903, "write_xml", broken)
    with pytest.raises(OSError, match="disk full"):
        ssda903.write(warehouse, 2025, tmp_path / "out")
    assert list((tmp_path / "out").iterdir()) == []


@pytest.fixture(scope="module")
def synthetic(tmp_path_factory):
    from cscperf.synth.generator import build_warehouse

    path = tmp_path_factory.mktemp("synth903") / "tiny.duckdb"
    build_warehouse(path, profile="tiny", years=8, seed=5, end_date=D(2025, 3, 31), progress=False)
    con = connect(path, read_only=True)
    yield con
    con.close()


@pytest.mark.parametrize("year", [2018, 2022, 2025])
@pytest.mark.parametrize("fmt", ["csv", "xml"])
def test_a_return_read_back_and_written_again_holds_the_same_records(synthetic, tmp_path, year, fmt):
    first = ssda903.write(synthetic, year, tmp_path / "first")
    assert first.counts["episodes"] > 20
    source = [tmp_path / "first"] if fmt == "csv" else [tmp_path / "first" / f"ssda903_{year}.xml"]
    target = connect(tmp_path / "t.duckdb")
    summary = run_load(target, "ssda903", source, parser_for("ssda903"))
    assert summary.rejected == []
    again = ssda903.write(target, year, tmp_path / "again")
    target.close()
    assert again.counts == first.counts and again.children == first.children
    for table in ssda903.tables_for(year):
        assert _read(tmp_path / "again", table, year) == _read(tmp_path / "first", table, year), table


def test_the_rules_comparing_with_last_year_get_the_signed_return_else_last_year_re_written(tmp_path):
    from cscperf.returns import workflow
    from cscperf.returns.dfe_rules import ISSUE_COLUMNS, DfeReport

    con = connect(tmp_path / "w.duckdb")
    run_load(con, "ssd", [], lambda _paths: Parsed(frames={name: pd.DataFrame(rows) for name, rows in _frames().items()}))
    con.execute("INSERT INTO ext_authority (auth_la_code, auth_la_name) VALUES ('874', 'Peterborough')")
    given: list[tuple[list[str], list[str]]] = []

    def check(kind, files, year, la_name, previous=(), compared_with=""):  # what DfE's rules are given; they find nothing
        given.append(
            (
                [p.parent.name for p in sorted(previous, key=lambda p: p.name.startswith("episodes_before"))],
                sorted(p.name for p in previous),
            )
        )
        return DfeReport(kind, year, f"lac{year - 1}_{year % 100}", pd.DataFrame(columns=ISSUE_COLUMNS), 1, compared_with=compared_with)

    csvs = sorted(f"{t}_2024.csv" for t in ssda903.tables_for(2024))
    history = f"{ssda903.HISTORY_PREFIX}2024.csv"  # the episodes before 2023-24, always from the warehouse
    first = workflow.prepare(con, tmp_path / "w.duckdb", "ssda903", 2025, "tester", check=check)
    # no 2023-24 return was signed: 2023-24 is written from the warehouse beside the draft, then removed
    assert given[-1] == ([workflow.PREVIOUS_FOLDER] * (len(csvs) + 1), sorted([*csvs, history]))
    assert "the SSDA903 2023-24 return re-written from the warehouse (none was signed off)" in first.check_note
    assert not (first.folder / workflow.PREVIOUS_FOLDER).exists()
    workflow.prepare(con, tmp_path / "w.duckdb", "ssda903", 2024, "tester", check=check)
    workflow.sign_off(con, "ssda903-2024-v1", "perf", "performance")
    second = workflow.prepare(con, tmp_path / "w.duckdb", "ssda903", 2025, "tester", check=check)
    assert given[-1] == (["ssda903-2024-v1"] * len(csvs) + [workflow.PREVIOUS_FOLDER], sorted([*csvs, history]))  # the signed files
    assert "last year's return: the signed SSDA903 2023-24 return ssda903-2024-v1" in second.check_note
    (tmp_path / "w.returns" / "ssda903-2024-v1" / "header_2024.csv").write_text("CHILD\n")
    with pytest.raises(UserError, match="header_2024.csv: missing or changed since return ssda903-2024-v1 was prepared"):
        workflow.prepare(con, tmp_path / "w.duckdb", "ssda903", 2025, "tester", check=check)
    con.close()


def test_last_years_return_is_skipped_only_when_the_warehouse_has_no_such_year(tmp_path):
    from cscperf.returns import workflow

    con = connect(tmp_path / "w.duckdb")
    run_load(con, "ssd", [], lambda _paths: Parsed(frames={name: pd.DataFrame(rows) for name, rows in _frames().items()}))
    # the records begin in 2020-21 (T1 looked after from 1 April 2020): for 2020-21's rules there is no last year
    previous, basis = workflow.last_years_903(con, 2021, tmp_path / "first")
    assert previous == [] and basis == "none: the warehouse holds no SSDA903 2019-20 records (this is its first year of data)"
    # 2023-24 has records but cannot be written (a file stands where its folder goes): an error naming the year and why
    blocked = tmp_path / "blocked"
    blocked.write_text("")
    with pytest.raises(UserError, match=r"last year's SSDA903 2023-24 return, .* could not be written: .*blocked: exists and is not"):
        workflow.last_years_903(con, 2025, blocked)
    con.close()
