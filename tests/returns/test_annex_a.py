"""Ofsted's Annex A writer: each list's look-back worked by hand, the template layout, safe files, and the round trip."""

from __future__ import annotations

import datetime as dt
import json
import stat

import openpyxl
import pandas as pd
import pytest
from click.testing import CliRunner

from cscperf.cli import main
from cscperf.errors import UserError
from cscperf.ingest.annex_a import LIST11_NOT_HELD, TEMPLATE, header_aliases
from cscperf.returns import annex_a
from cscperf.warehouse import connect

AS_AT = dt.date(2025, 3, 31)  # six months back: records after 30 September 2024


def rows(con, table: str, *records: dict) -> None:
    for record in records:
        cols = ", ".join(record)
        con.execute(f"INSERT INTO {table} ({cols}) VALUES ({', '.join('?' * len(record))})", list(record.values()))


@pytest.fixture
def hand(tmp_path):
    """A hand-built warehouse: each record sits just inside or just outside its list's look-back."""
    con = connect(tmp_path / "hand.duckdb")
    d = dt.date.fromisoformat
    rows(
        con,
        "ssd_person",
        {"pers_person_id": "A", "pers_sex": "F", "pers_ethnicity": "WBRI", "pers_dob": d("2015-04-01")},  # 9 on AS_AT
        {"pers_person_id": "B", "pers_sex": "M", "pers_ethnicity": "APKN", "pers_dob": d("2015-03-31")},  # 10 on AS_AT
        {"pers_person_id": "C", "pers_sex": "U", "pers_dob": d("2021-06-01")},
    )
    rows(
        con,
        "ssd_contacts",
        {"cont_contact_id": "K1", "cont_person_id": "A", "cont_contact_date": d("2024-09-30"), "cont_contact_source_code": "6"},
        {
            "cont_contact_id": "K2",
            "cont_person_id": "A",
            "cont_contact_date": d("2024-10-01"),
            "cont_contact_source_code": "6",
            "cont_contact_source_desc": "Police",
        },
        {"cont_contact_id": "K3", "cont_person_id": "B", "cont_contact_date": d("2025-04-01"), "cont_contact_source_code": "1A"},
    )
    rows(
        con,
        "ssd_early_help_episodes",
        {"earl_episode_id": "E1", "earl_person_id": "B", "earl_episode_start_date": d("2024-01-01"), "earl_episode_organisation": "=cmd|x"},
    )
    ref = ("cine_referral_id", "cine_person_id", "cine_referral_date", "cine_cin_primary_need_code", "cine_referral_nfa", "cine_close_date")
    rows(
        con,
        "ssd_cin_episodes",
        *(
            dict(zip(ref, values, strict=True))
            for values in (
                ("R1", "A", d("2024-01-10"), "N1", "N", d("2024-09-29")),  # closed before the look-back: in no list
                ("R2", "A", d("2024-02-01"), "N1", "N", None),  # open: list 6 only (referred before the look-back)
                ("R3", "B", d("2025-01-05"), "N9", "Y", d("2025-01-05")),  # NFA referral: list 3 only
                ("R4", "B", d("2024-12-01"), "N2", "N", d("2025-05-01")),  # closes after the date: lists 3 and 6, shown open
            )
        ),
    )
    rows(
        con,
        "ssd_involvements",
        {"invo_involvements_id": "I1", "invo_person_id": "B", "invo_professional_team": "T1", "invo_professional_id": "W1",
         "invo_involvement_start_date": d("2024-06-01"), "invo_involvement_end_date": d("2025-01-31")},
        {"invo_involvements_id": "I2", "invo_person_id": "B", "invo_professional_team": "T2", "invo_professional_id": "W2",
         "invo_involvement_start_date": d("2025-02-01")},
    )  # fmt: skip
    rows(con, "ssd_department", {"dept_team_id": "T1", "dept_team_name": "Duty"}, {"dept_team_id": "T2", "dept_team_name": "Support"})
    rows(con, "ssd_professionals", {"prof_professional_id": "W1", "prof_professional_name": "W One"},
         {"prof_professional_id": "W2", "prof_professional_name": "W Two"})  # fmt: skip
    ep = ("clae_cla_episode_id", "clae_person_id", "clae_cla_id", "clae_cla_episode_start_date", "clae_cla_episode_ceased_date",
          "clae_cla_episode_ceased_reason", "clae_ext_legal_status", "clae_entered_care_date")  # fmt: skip
    rows(
        con,
        "ssd_cla_episodes",
        *(
            dict(zip(ep, values, strict=True))
            for values in (
                ("EP1", "A", "PC1", d("2023-05-01"), d("2024-10-10"), "E11", "C2", d("2023-05-01")),  # ceased in the look-back
                ("EP2", "B", "PC2", d("2024-11-01"), None, None, "V3", d("2024-11-01")),  # short break: not listed
                ("EP3", "C", "PC3", d("2023-01-01"), d("2024-09-30"), "E11", "C2", d("2023-01-01")),  # ceased before: not listed
            )
        ),
    )
    perm = ("perm_table_id", "perm_person_id", "perm_cla_id", "perm_adm_decision_date", "perm_permanence_order_date")
    perm += ("perm_permanence_order_type",)
    rows(
        con,
        "ssd_permanence",
        dict(zip(perm, ("PM1", "A", "PC1", d("2021-01-01"), d("2023-03-31"), "Adoption order"), strict=True)),  # 24 months before: out
        dict(zip(perm, ("PM2", "C", "PC3", d("2021-01-01"), d("2023-04-01"), "Adoption order"), strict=True)),  # just inside
    )
    yield con
    con.close()


def test_each_list_selects_its_look_back(hand):
    lists = annex_a.lists(hand, AS_AT)
    assert [(r.child, r.date.date(), r.source) for r in lists[1].itertuples()] == [("A", dt.date(2024, 10, 1), "6: Police")]
    assert [(r.child, r.nfa) for r in lists[3].itertuples()] == [("B", "No"), ("B", "Yes")]  # R4 (1 Dec), R3 (5 Jan)
    assert list(lists[3]["referrals_12m"]) == [0, 1]  # R3 has R4 in the 12 months before it
    six = lists[6]
    assert list(zip(six["child"], six["need"], strict=True)) == [("A", "N1"), ("B", "N2")]
    assert six["end"].isna().all()  # R4 closes after the reference date, so it was open on it
    [cla] = lists[8].itertuples()
    assert (cla.child, cla.ceased.date(), cla.reason) == ("A", dt.date(2024, 10, 10), "E11")
    assert list(lists[10]["child"]) == ["C"]
    assert lists[2]["end"].isna().all() and len(lists[11]) == 0


def test_person_columns_age_sex_and_allocation_on_the_reference_date(hand):
    lists = annex_a.lists(hand, AS_AT)
    three = lists[3].iloc[0]
    assert (three["sex"], three["ethnicity"], three["age"]) == ("a) Male", "APKN", 10)
    assert (three["team"], three["worker"]) == ("Support", "W Two")  # the allocation current on 31 March, not the ended one
    one = lists[1].iloc[0]
    assert (one["sex"], one["age"]) == ("b) Female", 9)  # ninth birthday passed, tenth on 1 April


def test_the_workbook_follows_the_template_and_is_private(hand, tmp_path):
    written = annex_a.write(hand, 2025, tmp_path / "out")
    [path] = written.files
    assert path.name == "annex_a_2025-03-31.xlsx" and stat.S_IMODE(path.stat().st_mode) == 0o600
    assert written.kind == "annex-a" and written.children == {"A", "B", "C"}
    assert written.counts["list_1"] == 1 and written.counts["list_6"] == 2
    assert [p.name for p in path.parent.iterdir()] == [path.name]  # no partial file left behind
    wb = openpyxl.load_workbook(path)
    assert wb.sheetnames == [f"List {n}" for n in range(1, 12)]
    for n, columns in TEMPLATE.items():
        assert [c.value for c in wb[f"List {n}"][1]] == [h for h, _ in columns]
    assert "List1_Contacts" in wb["List 1"].tables
    organisation = wb["List 2"].cell(2, 8)
    assert organisation.value == "'=cmd|x" and organisation.data_type == "s"  # formula text is neutralised


def test_a_date_with_nothing_to_list_writes_nothing(hand, tmp_path):
    with pytest.raises(UserError, match="Annex A at 1990-03-31: .*no records"):
        annex_a.write_at(hand, dt.date(1990, 3, 31), tmp_path / "none")
    assert not (tmp_path / "none").exists() or not any((tmp_path / "none").iterdir())


def test_a_file_that_cannot_be_written_is_named_and_leaves_nothing_behind(hand, tmp_path):
    blocked = tmp_path / "annex.xlsx"
    blocked.mkdir()  # a folder where the workbook should go
    with pytest.raises(UserError, match=f"{blocked}: cannot write"):
        annex_a.save(annex_a.lists(hand, AS_AT), blocked)
    assert not [p for p in tmp_path.iterdir() if "partial" in p.name] and not any(blocked.iterdir())


@pytest.fixture(scope="module")
def tiny_path(tmp_path_factory):
    path = tmp_path_factory.mktemp("annex") / "tiny.duckdb"
    result = CliRunner().invoke(main, ["synth", "--profile", "tiny", "--years", "3", "--end-date", "2025-03-31", "--warehouse", str(path)])
    assert result.exit_code == 0, result.output
    return path


def held(number: int) -> list[str]:
    """The template fields of a list that the loader reads back (the others are derived or not held)."""
    readable = header_aliases(number)
    return [f for _, f in TEMPLATE[number] if f in readable and not (number == 11 and f in LIST11_NOT_HELD)]


@pytest.mark.parametrize("as_at", [AS_AT, dt.date(2024, 3, 31), dt.date(2024, 11, 15)])
def test_round_trip_load_the_written_workbook_and_write_it_again(tiny_path, tmp_path, as_at):
    con = connect(tiny_path, read_only=True)
    first = annex_a.lists(con, as_at)
    con.close()
    out = tmp_path / "annex.xlsx"
    export = ["export", "annex-a", "--as-at", as_at.isoformat(), "--out", str(out), "--warehouse", str(tiny_path)]
    result = CliRunner().invoke(main, export)
    assert result.exit_code == 0, result.output
    assert stat.S_IMODE(out.stat().st_mode) == 0o600
    back = tmp_path / "back.duckdb"
    result = CliRunner().invoke(main, ["load", "annex-a", str(out), "--warehouse", str(back)])
    assert result.exit_code == 0, result.output
    con = connect(back, read_only=True)
    second = annex_a.lists(con, as_at)
    tables = {"ssd_contacts": 1, "ssd_cin_assessments": 4, "ssd_s47_enquiry": 5, "ssd_cp_plans": 7}
    tables |= {"ssd_care_leavers": 9, "ssd_permanence": 10}
    counts = {t: con.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in tables}
    households = con.execute("SELECT count(*), sum(adop_number_of_adopters) FROM ext_adopter").fetchone()
    matches = con.execute("SELECT count(*) FROM ext_adoption_match WHERE adma_placed_date IS NOT NULL").fetchone()[0]
    con.close()
    assert counts == {t: len(first[n]) for t, n in tables.items()}  # key counts: one record per listed row
    # list 11: a household per family, its adopters its rows; a match per child placed (counted once per family)
    families = first[11].drop_duplicates("family")
    assert households == (len(families), len(first[11])) and matches == families["children_placed"].fillna(0).sum()
    in_care = set(first[8]["child"])
    for n in range(1, 12):
        fields = held(n)
        a, b = first[n][fields].astype(str), second[n][fields].astype(str)
        if n == 10:  # the date a child entered care comes back only for children still in list 8 (the model keeps it on the episode)
            keep = a["child"].isin(in_care)
            a.loc[~keep, "entered"] = b.loc[~keep, "entered"] = ""
        assert len(first[n]) > 0 or n == 10, f"list {n} is empty in the synthetic authority"
        assert a.sort_values(fields).reset_index(drop=True).equals(b.sort_values(fields).reset_index(drop=True)), f"list {n}"


def test_export_annex_a_is_audited(tiny_path, tmp_path):
    out = tmp_path / "a.xlsx"
    result = CliRunner().invoke(main, ["export", "annex-a", "--as-at", "2025-03-31", "--out", str(out), "--warehouse", str(tiny_path)])
    assert result.exit_code == 0, result.output
    audit = CliRunner().invoke(main, ["audit", "--json", "--warehouse", str(tiny_path)])
    [row] = [json.loads(line) for line in audit.output.splitlines() if str(out.resolve()) in line]
    assert row["route"].startswith("cli: export annex-a --as-at 2025-03-31 -> ") and len(row["children"]) > 100


def sheet(path, number: int) -> list[dict]:
    """A list's rows read back from the workbook, by template field."""
    ws = openpyxl.load_workbook(path)[f"List {number}"]
    fields = [f for _, f in TEMPLATE[number]]
    return [dict(zip(fields, row, strict=True)) for row in ws.iter_rows(min_row=2, values_only=True)]


def dated(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text)


def test_list_11_holds_the_services_adopters_with_a_record_open_in_the_12_months(hand, tmp_path):
    # Look-back: records open after 31 March 2024. One row per adopter of the authority's own agency (OWN).
    d = dt.date.fromisoformat
    adopter = ("adop_adopter_id", "adop_agency", "adop_ethnicity", "adop_number_of_adopters", "adop_registration_date",
               "adop_stage1_start_date", "adop_stage2_start_date", "adop_approval_date", "adop_end_date", "adop_end_reason")  # fmt: skip
    for values in (
        ("H1", "OWN", "WBRI", 2, d("2024-01-10"), d("2024-02-01"), d("2024-05-01"), d("2024-09-01"), None, None),  # matched twice
        ("H2", "OWN", "APKN", 1, d("2023-01-01"), d("2023-02-01"), None, None, d("2024-03-31"), "WITHDRAWN"),  # left on the last day out
        ("H3", "OWN", "BCRB", 1, d("2023-06-01"), d("2023-07-01"), None, None, d("2024-04-01"), "WITHDRAWN"),  # left a day inside
        ("H4", "VAA1", "WBRI", 2, d("2024-06-01"), d("2024-07-01"), None, None, None, None),  # another agency's adopters
        ("H5", "OWN", "WBRI", 1, d("2025-04-01"), None, None, None, None, None),  # enquired after the date
        ("H6", "OWN", "WIRI", 1, d("2024-10-01"), d("2024-11-01"), d("2025-04-15"), None, d("2025-05-01"), "NOT_APPROVED"),  # later
    ):
        rows(hand, "ext_adopter", dict(zip(adopter, values, strict=True)))
    match = ("adma_match_id", "adma_adopter_id", "adma_person_id", "adma_matched_date", "adma_placed_date")
    rows(
        hand,
        "ext_adoption_match",
        dict(zip(match, ("M1", "H1", "A", d("2024-11-01"), d("2024-12-01")), strict=True)),
        dict(zip(match, ("M2", "H1", "C", d("2025-03-01"), d("2025-04-02")), strict=True)),  # placed after the date: not counted
    )
    hand.execute("UPDATE ssd_permanence SET perm_placed_ffa_cp_date = DATE '2025-03-15' WHERE perm_person_id = 'C'")  # C in FFA with H1
    # H1's stage 1 ended on 20 April 2024 and it applied on the 25th; stage 2 ended (30 August) after H6's date is shown
    hand.execute("""UPDATE ext_adopter SET adop_stage1_end_date = DATE '2024-04-20', adop_application_date = DATE '2024-04-25',
        adop_stage2_end_date = DATE '2024-08-30' WHERE adop_adopter_id = 'H1'""")
    hand.execute("UPDATE ext_adopter SET adop_stage2_end_date = DATE '2025-04-10' WHERE adop_adopter_id = 'H6'")  # after the date
    written = annex_a.write(hand, 2025, tmp_path / "out")
    got = sheet(written.files[0], 11)
    assert [(r["adopter"], r["family"], r["ethnicity"]) for r in got] == [
        ("H1-1", "H1", "WBRI"), ("H1-2", "H1", None), ("H3-1", "H3", "BCRB"), ("H6-1", "H6", "WIRI")
    ]  # fmt: skip
    h1, h3, h6 = got[0], got[2], got[3]
    assert (h1["ffa"], h1["enquiry"], h1["stage1_start"], h1["stage2_start"], h1["approved"]) == (
        "Yes", dated("2024-01-10"), dated("2024-02-01"), dated("2024-05-01"), dated("2024-09-01")
    )  # fmt: skip
    # the latest match by the date (1 March), the latest placement (1 December: C was placed after the date), one child placed
    assert (h1["matched"], h1["placed"], h1["children_placed"], h1["left"]) == (dated("2025-03-01"), dated("2024-12-01"), 1, None)
    assert (h3["ffa"], h3["left"], h3["left_reason"], h3["children_placed"]) == ("No", dated("2024-04-01"), 1, None)
    assert (h1["stage1_end"], h1["submitted"], h1["stage2_end"]) == (dated("2024-04-20"), dated("2024-04-25"), dated("2024-08-30"))
    # H6's stage 2, its end and refusal come after the date: not shown; each adopter's sex and disability are not held
    assert (h6["stage2_start"], h6["stage2_end"], h6["left"], h6["left_reason"]) == (None, None, None, None)
    assert all(r[f] is None for r in got for f in ("sex", "disability"))
    assert written.counts["list_11"] == 4


def test_columns_the_warehouse_holds_are_filled(hand, tmp_path):
    d = dt.date.fromisoformat
    hand.execute("INSERT INTO ext_authority (auth_la_code, auth_la_name) VALUES ('874', 'Peterborough')")  # ONS code E06000031
    # list 8: A (in care 1 May 2023 to 10 October 2024, placed in Peterborough) was unaccompanied; its last missing
    # episode (1 August) was offered a return interview, not accepted. C comes back into care on 1 December 2024, after
    # a period that ended on 30 September 2024 (within the 12 months), placed in Cambridgeshire.
    rows(hand, "ssd_immigration_status", {"immi_immigration_status_id": "U1", "immi_person_id": "A", "immi_immigration_status": "UASC",
                                          "immi_immigration_status_start_date": d("2023-05-01")})  # fmt: skip
    miss = ("miss_table_id", "miss_person_id", "miss_missing_episode_type", "miss_missing_episode_start_date", "miss_missing_rhi_offered",
            "miss_missing_rhi_accepted")  # fmt: skip
    rows(hand, "ssd_missing", dict(zip(miss, ("MS1", "A", "M", d("2024-05-01"), "N", "N"), strict=True)),
         dict(zip(miss, ("MS2", "A", "M", d("2024-08-01"), "Y", "N"), strict=True)))  # fmt: skip
    place = ("clap_cla_placement_id", "clap_person_id", "clap_cla_id", "clap_cla_placement_start_date", "clap_ext_placement_la")
    rows(hand, "ssd_cla_placement", dict(zip(place, ("PL1", "A", "PC1", d("2023-05-01"), "E06000031"), strict=True)),
         dict(zip(place, ("PL4", "C", "PC4", d("2024-12-01"), "E10000003"), strict=True)))  # fmt: skip
    rows(hand, "ssd_cla_episodes", {"clae_cla_episode_id": "EP4", "clae_person_id": "C", "clae_cla_id": "PC4",
                                    "clae_cla_episode_start_date": d("2024-12-01"), "clae_ext_legal_status": "C2"})  # fmt: skip
    # list 7: B was under police protection (L1) on 5-7 October 2024, in the six months; A's EPO (L2) ended on 29 September
    plan = ("cppl_cp_plan_id", "cppl_person_id", "cppl_cp_plan_start_date")
    rows(hand, "ssd_cp_plans", dict(zip(plan, ("CP1", "A", d("2024-10-01")), strict=True)),
         dict(zip(plan, ("CP2", "B", d("2024-11-01")), strict=True)))  # fmt: skip
    legal = ("lega_legal_status_id", "lega_person_id", "lega_legal_status", "lega_legal_status_start_date", "lega_legal_status_end_date")
    rows(hand, "ssd_legal_status", dict(zip(legal, ("LS1", "B", "L1", d("2024-10-05"), d("2024-10-07")), strict=True)),
         dict(zip(legal, ("LS2", "A", "L2", d("2024-09-25"), d("2024-09-29")), strict=True)))  # fmt: skip
    # list 9: care leavers A (formerly unaccompanied) and B; list 10: C is in sibling group G1
    leaver = ("clea_table_id", "clea_person_id", "clea_care_leaver_latest_contact")
    rows(hand, "ssd_care_leavers", dict(zip(leaver, ("CL1", "A", d("2025-01-01")), strict=True)),
         dict(zip(leaver, ("CL2", "B", d("2025-01-01")), strict=True)))  # fmt: skip
    rows(hand, "ext_sibling_group", {"sibg_table_id": "S1", "sibg_group_id": "G1", "sibg_person_id": "C"})

    path = annex_a.write(hand, 2025, tmp_path / "out").files[0]
    eight = {r["child"]: r for r in sheet(path, 8)}
    columns = ("uasc", "second_period", "placement_la", "location", "ri_offered", "ri_accepted")
    assert {c: tuple(r[f] for f in columns) for c, r in eight.items()} == {
        "A": ("Y", "N", "E06000031", "Inside LA boundary", "Y", "N"),
        "C": ("N", "Y", "E10000003", "Outside LA boundary", None, None),
    }
    assert {r["child"]: r["epo"] for r in sheet(path, 7)} == {"A": "N", "B": "Y"}
    assert {r["child"]: r["uasc"] for r in sheet(path, 9)} == {"A": "Y", "B": "N"}
    assert {r["child"]: r["family"] for r in sheet(path, 10)} == {"C": "G1"}


def test_list_11_leaving_reasons_go_back_as_they_came(tmp_path):
    # A workbook's list 11 loaded, then written as at 31 March 2025: reason 1 (withdrew), 3 before an approval (not
    # approved) and after one (approval ended), and 5, which the model has no code for, all come back; an adoption
    # (F4's order) is shown by its order date, not as leaving.
    headers = [h for h, _ in TEMPLATE[11]]
    fields = [f for _, f in TEMPLATE[11]]
    given = [
        {"adopter": "F1-1", "family": "F1", "enquiry": dt.datetime(2024, 5, 1), "left": dt.datetime(2024, 6, 1), "left_reason": 1},
        {"adopter": "F2-1", "family": "F2", "enquiry": dt.datetime(2024, 5, 1), "left": dt.datetime(2024, 9, 1), "left_reason": 3},
        {"adopter": "F3-1", "family": "F3", "enquiry": dt.datetime(2024, 5, 1), "approved": dt.datetime(2024, 8, 1),
         "left": dt.datetime(2024, 12, 1), "left_reason": 3},
        {"adopter": "F4-1", "family": "F4", "enquiry": dt.datetime(2024, 5, 1), "approved": dt.datetime(2024, 8, 1),
         "matched": dt.datetime(2024, 9, 1), "placed": dt.datetime(2024, 9, 9), "children_placed": 1, "order": dt.datetime(2025, 3, 1)},
        {"adopter": "F5-1", "family": "F5", "enquiry": dt.datetime(2024, 5, 1), "left": dt.datetime(2024, 7, 1), "left_reason": 5},
    ]  # fmt: skip
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "List 11"
    ws.append(headers)
    for row in given:
        ws.append([row.get(f) for f in fields])
    wb.save(tmp_path / "in.xlsx")
    result = CliRunner().invoke(main, ["load", "annex-a", str(tmp_path / "in.xlsx"), "--warehouse", str(tmp_path / "w.duckdb")])
    assert result.exit_code == 0, result.output
    con = connect(tmp_path / "w.duckdb")
    reasons = dict(con.execute("SELECT adop_adopter_id, adop_end_reason FROM ext_adopter").fetchall())
    assert reasons == {"F1": "WITHDRAWN", "F2": "NOT_APPROVED", "F3": "APPROVAL_TERMINATED", "F4": "ADOPTED", "F5": "ANNEX_A_5"}
    back = annex_a.lists(con, AS_AT)[11]
    con.close()
    left = {r.family: (None if pd.isna(r.left) else r.left.date(), None if pd.isna(r.left_reason) else r.left_reason)
            for r in back.itertuples()}  # fmt: skip
    assert left == {
        "F1": (dt.date(2024, 6, 1), 1),
        "F2": (dt.date(2024, 9, 1), 3),
        "F3": (dt.date(2024, 12, 1), 3),
        "F4": (None, None),
        "F5": (dt.date(2024, 7, 1), 5),
    }
