import subprocess
import sys


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
