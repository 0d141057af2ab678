import subprocess
import sys

import pandas as pd
import pytest


def run(*args):
    return subprocess.run([sys.executable, "-c", "from cscperf.cli import run; run()", *args], capture_output=True, text=True)


def test_targets_command_shows_effective_targets():
    out = run("targets", "--on", "2025-01-31")
    assert out.returncode == 0, out.stderr
    line = next(x for x in out.stdout.splitlines() if "assessments_45wd_pct" in x)
    assert "85" in line and "ytd" in line and "2024-04-01" in line  # the 2024-25 entry of config/targets.yaml


def test_targets_command_invalid_file_is_one_line_exit_2(tmp_path):
    bad = tmp_path / "t.yaml"
    bad.write_text("indicators:\n  assessments_45wd_pct: {target: high}\n")
    out = run("targets", "--targets", str(bad))
    assert out.returncode == 2
    assert "Traceback" not in out.stderr
    assert f"{bad}, indicator assessments_45wd_pct, field target: expected a number" in out.stderr


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory):
    from tests.web import fixture

    return fixture.build(tmp_path_factory.mktemp("judge") / "w.duckdb")


def judged(warehouse, tmp_path, *extra):
    out = tmp_path / "judged.csv"
    done = run("judge", "--warehouse", str(warehouse), "--period-end", "2024-03-31", "--out", str(out), *extra)
    assert done.returncode == 0, done.stderr
    return pd.read_csv(out, dtype=str, keep_default_na=False).set_index("indicator_id")


def test_judge_writes_one_row_per_indicator(warehouse, tmp_path):
    from cscperf.indicators.registry import REGISTRY
    from cscperf.judge.table import COLUMNS

    frame = judged(warehouse, tmp_path)
    assert frame.reset_index().columns.tolist() == COLUMNS and list(frame.index) == list(REGISTRY)
    a = frame.loc["assessments_45wd_pct"]
    # 8 of 10 year to date against 90 %: 10 points short, beyond the 5-point tolerance; February was 9 of 10.
    assert (a.basis, a.value, a.numerator, a.denominator, a.target, a.rag, a.direction_month) == (
        "ytd",
        "80.0",
        "8.0",
        "10.0",
        "90.0",
        "red",
        "worse",
    )
    assert a.direction_year == "" and a.period_end == "2024-03-31"
    r = frame.loc["referrals"]
    assert (r.value, r.direction_month, r.suppressed) == ("12.0", "better", "False")  # 15 to 12, fewer is better


def test_members_rows_leave_small_numbers_empty(warehouse, tmp_path):
    staff = judged(warehouse, tmp_path).loc["cp_plans_open"]
    members = judged(warehouse, tmp_path, "--audience", "members").loc["cp_plans_open"]
    assert (staff.value, staff.numerator, staff.suppressed) == ("2.0", "2.0", "False")
    assert (members.value, members.numerator, members.direction_month, members.suppressed) == ("", "", "", "True")


def test_judge_invalid_targets_is_one_line_exit_2(warehouse, tmp_path):
    bad = tmp_path / "t.yaml"
    bad.write_text("indicators:\n  assessments_45wd_pct: {basis: weekly}\n")
    out = run("judge", "--warehouse", str(warehouse), "--period-end", "2024-03-31", "--targets", str(bad), "--out", str(tmp_path / "j.csv"))
    assert out.returncode == 2 and "Traceback" not in out.stderr
    assert f"{bad}, indicator assessments_45wd_pct, field basis: expected one of month, rolling12, ytd, year, got 'weekly'" in out.stderr
    assert not (tmp_path / "j.csv").exists()


def test_judge_a_month_never_computed_is_exit_2(warehouse, tmp_path):
    out = run("judge", "--warehouse", str(warehouse), "--period-end", "2024-04-30", "--out", str(tmp_path / "j.csv"))
    assert out.returncode == 2 and "Traceback" not in out.stderr
    assert "--period-end 2024-04-30: no figures stored for that month end" in out.stderr


def test_judge_csv_has_the_spc_columns(tmp_path):
    # 14 months of referrals to March 2024 (a count, fewer is better, no target): 13 alternating 10 and 12, then 30 in March. Mean 172/14
    # = 12.29; moving ranges twelve of 2 and 20 (10 -> 30): 44/13; upper limit 12.29 + 9.00 = 21.29 < 30: special cause
    # upwards, so 'concern'; no target: assurance 'none'.
    from cscperf.indicators import store_results
    from cscperf.judge.assess import months_back
    from cscperf.warehouse import connect
    from tests.web import fixture

    path = fixture.build(tmp_path / "w.duckdb", results=False)
    values = [10.0, 12.0] * 6 + [10.0, 30.0]
    rows = []
    for n, v in zip(range(13, -1, -1), values, strict=True):
        end = months_back(fixture.PERIOD_END, n)
        rows.append(dict(indicator_id="referrals", basis="month", period_start=end.replace(day=1), period_end=end, breakdown="la",
                         breakdown_value=fixture.LA, numerator=v, denominator=None, value=v, unit="count"))  # fmt: skip
    con = connect(path)
    store_results(con, pd.DataFrame(rows))
    con.close()
    r = judged(path, tmp_path).loc["referrals"]
    assert (float(r.spc_mean), float(r.spc_upper)) == (pytest.approx(172 / 14), pytest.approx(172 / 14 + 2.66 * 44 / 13))
    assert (r.spc_variation, r.spc_assurance) == ("concern", "none")
    assert judged(path, tmp_path).loc["cla_open"].spc_variation == ""  # no figures: empty
