import datetime as dt
import textwrap

import pytest

from cscperf.errors import UserError
from cscperf.judge.targets import load_targets


def write(tmp_path, text):
    p = tmp_path / "targets.yaml"
    p.write_text(textwrap.dedent(text))
    return p


def test_registry_defaults_apply_without_file_entries(tmp_path, registry):
    book = load_targets(write(tmp_path, "indicators: {}\n"), registry)
    t = book.at("assess_pct", dt.date(2025, 1, 31))
    assert (t.target, t.basis, t.tolerance, t.tolerance_kind, t.source) == (90.0, "ytd", 5.0, "absolute", "registry")
    band = book.at("cp_rate", dt.date(2025, 1, 31))
    assert band.band == (35.0, 45.0) and band.tolerance_kind == "relative" and band.tolerance == pytest.approx(0.10)
    assert not book.at("contacts", dt.date(2025, 1, 31)).has_target


def test_effective_from_dates(tmp_path, registry):
    path = write(
        tmp_path,
        """
        indicators:
          assess_pct:
            - {from: 2024-04-01, target: 85, tolerance: 3}
            - {from: 2025-04-01, target: 92}
        """,
    )
    book = load_targets(path, registry)
    assert book.at("assess_pct", dt.date(2024, 3, 31)).target == 90.0  # before the first entry: registry default
    first = book.at("assess_pct", dt.date(2025, 3, 31))
    assert (first.target, first.tolerance, first.effective_to) == (85.0, 3.0, dt.date(2025, 3, 31))
    second = book.at("assess_pct", dt.date(2025, 4, 1))
    assert (second.target, second.tolerance, second.basis) == (92.0, 5.0, "ytd")


def test_band_and_relative_tolerance_and_unit_defaults(tmp_path, registry):
    path = write(
        tmp_path,
        """
        defaults:
          percent: {tolerance: 2}
        indicators:
          cp_rate: {band: [30, 40], tolerance_relative: 0.2, basis: rolling12}
          visits_pct: {}
        """,
    )
    book = load_targets(path, registry)
    cp = book.at("cp_rate", dt.date(2025, 1, 1))
    assert (cp.band, cp.tolerance, cp.tolerance_kind, cp.basis) == ((30.0, 40.0), 0.2, "relative", "rolling12")
    assert cp.tolerance_at(30.0) == pytest.approx(6.0)
    visits = book.at("visits_pct", dt.date(2025, 1, 1))
    assert (visits.target, visits.tolerance) == (98.0, 2.0)  # registry target, file's default tolerance


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("indicators:\n  nope_pct: {target: 1}\n", "indicator nope_pct: unknown indicator id"),
        ("indicators:\n  assess_pct: {target: ninety}\n", "indicator assess_pct, field target: expected a number"),
        ("indicators:\n  assess_pct: {target: 90, from: 2025-13-01}\n", "indicator assess_pct, field from: expected a date"),
        (
            "indicators:\n  assess_pct:\n    - {from: 2024-04-01, to: 2025-06-30, target: 85}\n    - {from: 2025-04-01, target: 90}\n",
            "indicator assess_pct, field from: effective dates overlap",
        ),
        ("indicators:\n  assess_pct:\n    - {from: 2024-04-01, target: 85}\n    - {from: 2024-04-01, target: 90}\n", "overlap"),
        ("indicators:\n  assess_pct: {target: 90, basis: weekly}\n", "field basis"),
        # Only the bases the indicator is computed on: quarter where an entry is quarterly.
        ("indicators:\n  assess_pct: {target: 90, basis: quarter}\n", "expected one of month, rolling12, ytd, year, got 'quarter'"),
        ("indicators:\n  conferences: {target: 9, basis: year}\n", "field basis: expected one of month, quarter, ytd, got 'year'"),
        ("indicators:\n  cp_rate: {band: [45, 35]}\n", "field band: low 45.0 is above high 35.0"),
        ("indicators:\n  cp_rate: {targt: 4}\n", "field targt: unknown field"),
    ],
)
def test_invalid_config_names_file_indicator_and_field(tmp_path, registry, body, message):
    path = write(tmp_path, body)
    with pytest.raises(UserError) as err:
        load_targets(path, registry)
    assert str(path) in str(err.value) and message in str(err.value)


def test_missing_file(tmp_path, registry):
    with pytest.raises(UserError, match="targets file not found"):
        load_targets(tmp_path / "none.yaml", registry)


def test_a_quarterly_indicator_takes_a_quarter_target(tmp_path, registry):
    book = load_targets(write(tmp_path, "indicators:\n  conferences: {target: 12, basis: quarter}\n"), registry)
    target = book.at("conferences", dt.date(2024, 6, 30))
    assert (target.target, target.basis) == (12.0, "quarter")
