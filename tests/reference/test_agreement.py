"""The engine against the independent reference, and `cscperf compute` against the public results contract.

The slow tests build the `peterborough` synthetic authority once and require every `la` figure of every
indicator the reference implements (24 month ends, every basis the registry declares) to agree exactly.
The fast tests at the end run the engine on the hand-built cases where it once departed from
indicators.md (a rolling 12 months after a leap February, an S47 awaiting its conference, the population
estimate at 30 June), so those stay fixed.
"""

from __future__ import annotations

import datetime as dt
import importlib.util
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from cscperf.indicators import REGISTRY, RESULT_COLUMNS, compute, month_ends
from cscperf.indicators.versions import definition_versions
from tests.reference import reference as ref
from tests.reference import test_reference
from tests.reference.handbuilt import LA, HandBuilt, day

END = dt.date(2026, 3, 31)
KEY = ["indicator_id", "basis", "period_end", "breakdown_value"]
COMPARED = [r.id for r in ref.REFS if r.id in REGISTRY]
CHECK_RESULTS = Path(__file__).resolve().parents[2].parent / "shared" / "tools" / "check_results.py"


def _same(a: pd.Series, b: pd.Series) -> pd.Series:
    return (a.isna() & b.isna()) | ((a - b).abs() <= 1e-9)


def merged_figures(engine: pd.DataFrame, reference: pd.DataFrame) -> pd.DataFrame:
    """Engine and reference `la` figures side by side, on the bases the registry declares for each id."""
    engine = engine[(engine.breakdown == "la") & engine.indicator_id.isin(COMPARED)]
    declared = [basis in REGISTRY[i].bases for i, basis in zip(reference.indicator_id, reference.basis, strict=True)]
    m = reference[declared].merge(engine, on=KEY, how="outer", suffixes=("_ref", "_eng"), indicator=True)
    m["agrees"] = (
        (m._merge == "both")
        & (m.period_start_ref == m.period_start_eng)
        & _same(m.numerator_ref, m.numerator_eng)
        & _same(m.denominator_ref, m.denominator_eng)
        & _same(m.value_ref, m.value_eng)
    )
    return m


@pytest.fixture(scope="session")
def peterborough(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from cscperf.synth.generator import build_warehouse

    path = tmp_path_factory.mktemp("reference") / "peterborough.duckdb"
    build_warehouse(path, profile="peterborough", years=5, seed=1, end_date=END, progress=False)
    return path


@pytest.fixture(scope="session")
def figures(peterborough: Path) -> pd.DataFrame:
    con = duckdb.connect(str(peterborough), read_only=True)
    try:
        ends = month_ends(END, 24)
        engine = compute(con, ends, breakdowns=("la",))
        reference = ref.compute(con, ends, ids=COMPARED)
    finally:
        con.close()
    return merged_figures(engine, reference)


def test_reference_covers_sections_a_to_e() -> None:
    areas = {REGISTRY[i].area for i in COMPARED}
    assert {"A", "B", "C", "D", "E"} <= areas, areas
    assert {"cla_open", "cla_started", "cla_ceased"} <= set(COMPARED)


@pytest.mark.slow
@pytest.mark.parametrize("indicator_id", COMPARED)
def test_engine_agrees_with_reference(figures: pd.DataFrame, indicator_id: str) -> None:
    mine = figures[figures.indicator_id == indicator_id]
    # 24 month ends x month/rolling12/ytd, plus `year` at the two 31 Marches, for each declared basis.
    expected = sum(24 if b != "year" else 2 for b in REGISTRY[indicator_id].bases)
    assert len(mine) == expected
    unexplained = mine[~mine.agrees]
    shown = ["basis", "period_end", "period_start_ref", "period_start_eng", "numerator_ref", "numerator_eng"]
    shown += ["denominator_ref", "denominator_eng", "_merge"]
    assert unexplained.empty, f"{len(unexplained)} of {len(mine)} figures differ:\n{unexplained[shown].head(12).to_string()}"


# --- the engine on hand-built cases it once got wrong (fast) ------------------------------------------------


def engine_figure(hb: HandBuilt, indicator: str, end: str, basis: str = "month") -> tuple[float | None, ...]:
    frame = compute(hb.con, [day(end)], bases=(basis,), breakdowns=("la",), ids=[indicator])
    row = frame[(frame.basis == basis) & (frame.breakdown == "la") & (frame.breakdown_value == LA)].iloc[0]
    return tuple(None if pd.isna(x) else float(x) for x in (row.numerator, row.denominator, row.value))


def test_engine_rolling12_after_a_leap_february() -> None:
    hb = HandBuilt()
    hb.child("A")
    hb.referral("A", "2024-02-29")  # before the 12 months March 2024 - February 2025
    assert engine_figure(hb, "referrals", "2025-02-28", "rolling12") == (0, None, 0)


def test_engine_s47_awaiting_conference_has_not_ended() -> None:
    hb = HandBuilt()
    hb.child("A")
    # Enquiry finished 10 March with a conference needed (not NFA), conference not yet held.
    hb.add("ssd_s47_enquiry", s47e_person_id="A", s47e_s47_start_date="2026-03-02", s47e_s47_end_date="2026-03-10", s47e_s47_nfa="N")
    assert engine_figure(hb, "s47_to_icpc_pct", "2026-03-31") == (0, 0, None)


def test_engine_rate_uses_the_mid_year_estimate_of_30_june() -> None:
    hb = HandBuilt(population={2023: 10000, 2024: 20000})
    hb.child("A")
    hb.add(
        "ssd_cla_episodes",
        clae_person_id="A",
        clae_cla_episode_start_date="2024-01-10",
        clae_cla_episode_start_reason="S",
        clae_cla_id="PC-A",
        clae_entered_care_date="2024-01-10",
    )
    assert engine_figure(hb, "cla_open_rate", "2024-06-30", "rolling12") == (1, 20000, 0.5)


# Hand-built figures where indicators.md can be read two ways and the engine took the other reading:
# "% of open plans" (the reference: 1 of 6 plans) or of children on a plan (the engine: 1 of 5 children,
# one child having two overlapping plans).
AMBIGUOUS = {("cp_plans_open_2y_plus_pct", "2025-02-28")}
HAND_BUILT_CASES = [
    name
    for name in dir(test_reference)
    if name.startswith("test_")
    and name not in ("test_add_months_clamps_to_month_end", "test_period_windows", "test_working_days_count_after_start_up_to_end")
]


def _close(a: tuple[float | None, ...], b: tuple[float | None, ...]) -> bool:
    return all((x is None and y is None) or (x is not None and y is not None and abs(x - y) <= 1e-9) for x, y in zip(a, b, strict=True))


@pytest.mark.slow
@pytest.mark.parametrize("case", HAND_BUILT_CASES)
def test_engine_agrees_on_hand_built_cases(monkeypatch: pytest.MonkeyPatch, case: str) -> None:
    """Replay the reference's hand-worked cases (boundaries: leap days, holidays, short breaks, X1...) on the engine."""
    reference_figure = test_reference.figure
    checked = []

    def both(hb: HandBuilt, indicator: str, end: str, basis: str = "month") -> tuple[float | None, ...]:
        mine = reference_figure(hb, indicator, end, basis)
        if indicator in REGISTRY and basis in REGISTRY[indicator].bases and (indicator, end) not in AMBIGUOUS:
            engine = engine_figure(hb, indicator, end, basis)
            assert _close(engine, mine), f"{indicator} {basis} {end}: engine {engine}, reference {mine}"
            checked.append(indicator)
        return mine

    monkeypatch.setattr(test_reference, "figure", both)
    getattr(test_reference, case)()
    assert checked


# --- the public contract: `cscperf compute` output passes check_results.py ------------------------------


def _check_results_module():  # noqa: ANN202 - a module loaded by path
    if not CHECK_RESULTS.exists():
        pytest.skip(f"{CHECK_RESULTS} not found: the shared contract checker sits beside the repository")
    spec = importlib.util.spec_from_file_location("check_results", CHECK_RESULTS)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.slow
def test_cli_compute_meets_the_results_contract(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    checker = _check_results_module()
    from cscperf.cli import main
    from cscperf.synth.generator import build_warehouse

    warehouse = tmp_path / "tiny.duckdb"
    build_warehouse(warehouse, profile="tiny", years=2, seed=2, end_date=END, progress=False)
    out = tmp_path / "results.csv"
    args = ["compute", "--warehouse", str(warehouse), "--period-end", "2026-03-31", "--months", "3", "--out", str(out)]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    assert result.output.startswith("computed ")
    frame = pd.read_csv(out)
    assert set(frame.breakdown) >= {"la", "team", "worker"}
    # The contract's columns, then the definition version of every figure (check_results accepts an extra column).
    assert list(frame.columns) == [*RESULT_COLUMNS, "definition_version"]
    assert (frame.definition_version == frame.indicator_id.map(definition_versions())).all()
    # 31 March ends a quarter too: the quarterly entries (the permanency service's family group conferences) have one.
    assert set(frame.basis) == {"month", "rolling12", "ytd", "year", "quarter"}
    assert set(frame[frame.basis == "quarter"].indicator_id) == {i for i, ind in REGISTRY.items() if "quarter" in ind.bases}
    capsys.readouterr()
    assert checker.main(str(out), True) == 0, capsys.readouterr().out
    # Stored too: the same figures are in the warehouse.
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        stored = con.execute("SELECT count(*) FROM cscperf_results").fetchone()[0]
    finally:
        con.close()
    assert stored == len(frame)
    assert np.isfinite(frame.loc[frame.indicator_id == "referrals", "value"]).all()
