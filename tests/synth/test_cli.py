"""`cscperf synth` on the command line: help and clear errors."""

from __future__ import annotations

from click.testing import CliRunner

from cscperf.cli import main
from cscperf.errors import UserError


def test_help_lists_the_options():
    result = CliRunner().invoke(main, ["synth", "--help"])
    assert result.exit_code == 0
    for option in ("--profile", "--years", "--seed", "--end-date", "--faults", "--warehouse"):
        assert option in result.output


def test_unknown_profile_is_a_user_error(tmp_path):
    result = CliRunner().invoke(main, ["synth", "--profile", "atlantis", "--warehouse", str(tmp_path / "w.duckdb")])
    assert isinstance(result.exception, UserError)
    assert str(result.exception) == "unknown profile 'atlantis': choose one of peterborough, large, england, tiny, rutland"
    assert not (tmp_path / "w.duckdb").exists()


def test_faults_out_of_range_is_rejected_by_the_option(tmp_path):
    result = CliRunner().invoke(main, ["synth", "--profile", "tiny", "--faults", "0.9", "--warehouse", str(tmp_path / "w.duckdb")])
    assert result.exit_code == 2
    assert "0.9 is not in the range 0<=x<=0.5" in result.output


def test_builds_a_tiny_authority(tmp_path):
    path = tmp_path / "w.duckdb"
    args = ["synth", "--profile", "tiny", "--years", "1", "--seed", "2", "--end-date", "2024-03-31", "--warehouse", str(path)]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    assert "Synthetic profile 'tiny' (seed 2): 1 authority" in result.output
    assert "2024-03-31" in result.output
    assert path.exists()
