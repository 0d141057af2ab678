"""The registry is the public contract: every id in the catalogue, with its unit, documented, and portable SQL."""

import datetime as dt
from pathlib import Path

import ibis
import pytest

from cscperf.indicators import REGISTRY
from cscperf.indicators.docs import DOC_PATH, render
from cscperf.indicators.engine import PERIODS, Engine, Run, _attach, periods_frame
from cscperf.warehouse import connect

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
SHARED_IDS = Path(__file__).resolve().parents[3] / "shared" / "spec" / "indicator-ids.txt"
PERMANENCY = "perm_"


def _ids(path: Path) -> dict[str, str]:
    lines = [line.split() for line in path.read_text().splitlines() if line.strip() and not line.startswith("#")]
    return {k: unit for k, unit in lines}


def test_fixture_matches_the_shared_spec_when_present():
    if not SHARED_IDS.exists():
        pytest.skip("../shared/spec is not beside this checkout")
    assert _ids(FIXTURES / "indicator-ids.txt") == _ids(SHARED_IDS)


def test_every_catalogue_id_is_registered_with_its_unit():
    """The shared list holds the national catalogue; the permanency service's measures (area P) are the ids beginning
    perm_, which the shared results checker accepts with the unit given in each row."""
    expected = _ids(FIXTURES / "indicator-ids.txt")
    assert {k: v.unit for k, v in REGISTRY.items() if not k.startswith(PERMANENCY)} == expected
    assert {v.area for k, v in REGISTRY.items() if k.startswith(PERMANENCY)} == {"P"}
    assert not [k for k, v in REGISTRY.items() if v.area == "P" and not k.startswith(PERMANENCY)]


def test_docs_are_current():
    assert DOC_PATH.read_text() == render(), "run: python -m cscperf.indicators.docs"


def test_entries_are_complete():
    for ind in REGISTRY.values():
        assert ind.name and ind.rule and ind.source, ind.id
        if ind.unit == "percent":
            assert ind.numerator and ind.denominator, ind.id
        if ind.variant_of:
            assert ind.variant_of in REGISTRY, ind.id


@pytest.fixture(scope="module")
def engine():
    con = connect(":memory:")
    with Run(con, periods_frame([dt.date(2024, 3, 31)], ["month", "ytd"])) as run:
        engine = Engine(con, run)
        engine._share()
        yield engine


def test_every_indicator_compiles_for_sql_server(engine):
    """Definitions stay backend-neutral: the same Ibis expressions compile for SQL Server (where councils keep
    their SSD), the strictest of the dialects Ibis targets."""
    dialect = "mssql"
    failures = []
    for ind in REGISTRY.values():
        try:
            if ind.measure.cohort is not None:
                rows = ind.measure.cohort(engine.model, engine.model.run_table(PERIODS))
                ibis.to_sql(_attach(engine.model, rows, ("la", "team", "worker")), dialect=dialect)
            if ind.exceptions is not None:
                ibis.to_sql(ind.exceptions(engine.model, dt.date(2024, 3, 31)), dialect=dialect)
        except Exception as exc:  # noqa: BLE001 - collect every failure for one message
            failures.append(f"{ind.id}: {type(exc).__name__}: {str(exc)[:120]}")
    assert not failures, "\n".join(failures)
