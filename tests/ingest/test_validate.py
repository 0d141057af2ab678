"""`cscperf validate`: each rule finds exactly the hand-planted problem."""

from __future__ import annotations

from click.testing import CliRunner

from cscperf.cli import main
from cscperf.ingest.validate import run_checks


def _plant(con) -> None:
    sql = [
        "INSERT INTO ssd_person (pers_person_id) VALUES ('1'), ('2'), ('3')",
        # child 1: two overlapping CP plans; the second ends before it starts
        "INSERT INTO ssd_cp_plans (cppl_cp_plan_id, cppl_person_id, cppl_cp_plan_start_date, cppl_cp_plan_end_date) VALUES "
        "('P1', '1', '2024-01-01', '2024-06-30'), ('P2', '1', '2024-05-01', '2024-04-01')",
        # child 2: open referral with no allocation; a CIN visit after it closed (second referral)
        "INSERT INTO ssd_cin_episodes (cine_referral_id, cine_person_id, cine_referral_date, cine_close_date) VALUES "
        "('R1', '2', '2024-01-01', NULL), ('R0', '3', '2023-01-01', '2023-03-01')",
        "INSERT INTO ssd_involvements (invo_involvements_id, invo_person_id, invo_involvement_start_date, invo_involvement_end_date) "
        "VALUES ('I1', '2', '2024-01-01', '2024-02-01'), ('I2', '9', '2024-01-01', NULL)",
        "INSERT INTO ssd_cin_visits (cinv_cin_visit_id, cinv_person_id, cinv_cin_visit_date) VALUES "
        "('V1', '3', '2023-02-01'), ('V2', '3', '2023-04-01')",
        # a 2025-26 placement with the retired code Z1, and one in 2024-25 where Z1 was valid
        "INSERT INTO ssd_cla_placement (clap_cla_placement_id, clap_person_id, clap_cla_placement_start_date, clap_cla_placement_type) "
        "VALUES ('PL1', '1', '2025-05-01', 'Z1'), ('PL0', '1', '2025-03-01', 'Z1')",
        # child 3: a UPN with the wrong check letter (874204115002 gives A), and a valid former one
        "INSERT INTO ssd_linked_identifiers (link_table_id, link_person_id, link_identifier_type, link_identifier_value) VALUES "
        "('L1', '3', 'Unique Pupil Number', 'B874204115002'), ('L2', '3', 'Former Unique Pupil Number', 'A874204115002')",
    ]
    for statement in sql:
        con.execute(statement)


def test_each_rule_reports_the_planted_problem(con):
    _plant(con)
    found = run_checks(con)
    got = sorted(zip(found["rule"], found["table"], found["record_id"], found["person_id"], strict=True))
    assert got == [
        ("end before start", "ssd_cp_plans", "P2", "1"),
        ("invalid UPN", "ssd_linked_identifiers", "L1", "3"),
        ("open case with no allocated worker", "ssd_cin_episodes", "R1", "2"),
        ("orphaned reference", "ssd_involvements", "I2", "9"),
        ("overlapping child protection plans", "ssd_cp_plans", "P1", "1"),
        ("unknown code", "ssd_cla_placement", "PL1", "1"),
        ("visit when no referral was open", "ssd_cin_visits", "V2", "3"),
    ]
    detail = dict(zip(found["rule"], found["detail"], strict=True))
    assert detail["unknown code"] == "clap_cla_placement_type = Z1 is not a PLACE code for 2025-26"
    assert detail["orphaned reference"] == "invo_person_id = 9 not found in ssd_person"
    assert detail["invalid UPN"] == "Unique Pupil Number B874204115002: wrong check letter (expected A)"


def test_the_command_prints_a_table_and_writes_csv(tmp_path):
    from cscperf.warehouse import connect

    warehouse = tmp_path / "w.duckdb"
    con = connect(warehouse)
    _plant(con)
    con.close()
    out = tmp_path / "problems.csv"
    result = CliRunner().invoke(main, ["validate", "--warehouse", str(warehouse), "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "7 data-quality problems" in result.output and "visit when no referral was open" in result.output
    lines = out.read_text().splitlines()
    assert lines[0] == "rule,table,record_id,person_id,detail" and len(lines) == 8
