"""Definition versions: stable across processes, blind to wording and dates, recorded in the committed history,
and stored with every computed figure (results stored before versions were kept still read)."""

from __future__ import annotations

import dataclasses
import json
import os
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pandas as pd

from cscperf.indicators import compute, store_results
from cscperf.indicators.model import Settings
from cscperf.indicators.registry import REGISTRY
from cscperf.indicators.versions import definition_history, definition_sql, definition_version, definition_versions, tables_read, version_of
from tests.indicators.builder import Built, d

SRC = Path(__file__).resolve().parents[2] / "src"
# Ibis writes `* EXCLUDE (...)` in hash-seed order for these (dropping several columns at once): the hash must not see it.
SEED_SENSITIVE = ["cin_open", "cla_open", "contacts_decided_1wd_pct", "care_leavers_eet_pct", "referrals_rate"]
SCRIPT = (
    "import json, sys; from cscperf.indicators.versions import definition_version; "
    "print(json.dumps({i: definition_version(i) for i in sys.argv[1:]}))"
)


def _versions_in_a_new_process(seed: str, tmp: Path) -> dict[str, str]:
    env = {**os.environ, "PYTHONPATH": str(SRC), "PYTHONHASHSEED": seed, "CSCPERF_CACHE_DIR": str(tmp / seed)}
    out = subprocess.run([sys.executable, "-c", SCRIPT, *SEED_SENSITIVE], env=env, capture_output=True, text=True, check=True)
    return json.loads(out.stdout)


def test_versions_are_the_same_in_every_process_and_as_recorded(tmp_path):
    """Fresh processes with different hash seeds and empty caches make the versions this one makes, and the ones the
    committed history recorded on another machine."""
    here = {i: definition_version(i) for i in SEED_SENSITIVE}
    assert _versions_in_a_new_process("1", tmp_path) == here
    assert _versions_in_a_new_process("2", tmp_path) == here
    recorded = {(c.indicator_id, c.version) for c in definition_history()}
    assert all((i, v) in recorded for i, v in here.items())
    assert all(len(v) == 12 and int(v, 16) >= 0 for v in here.values())


def test_every_current_definition_is_recorded_in_the_history():
    """A definition change must be recorded (indicators/definition_history.csv) with a sentence saying what changed."""
    recorded = {(c.indicator_id, c.version) for c in definition_history()}
    missing = sorted(f"{i} {v}" for i, v in definition_versions().items() if (i, v) not in recorded)
    assert not missing, "record these in src/cscperf/indicators/definition_history.csv: " + ", ".join(missing)
    assert all(c.change.strip() for c in definition_history())
    assert {c.indicator_id for c in definition_history()} <= set(REGISTRY)


def test_wording_does_not_change_the_version_but_counting_does():
    ind = REGISTRY["cp_visits_in_timescale_pct"]
    reworded = dataclasses.replace(ind, name="Visits", rule="Reworded.", notes="New note.", source="Elsewhere", target=50.0)
    assert version_of(reworded) == definition_version(ind.id)
    distinct = dataclasses.replace(ind, measure=dataclasses.replace(ind.measure, distinct_children=not ind.measure.distinct_children))
    assert version_of(distinct) != definition_version(ind.id)
    other_cohort = dataclasses.replace(ind, measure=REGISTRY["cin_visits_in_timescale_pct"].measure)
    assert version_of(other_cohort) != definition_version(ind.id)
    # A setting is part of the rule: visits every 15 working days is another definition.
    assert definition_version(ind.id, Settings(cp_visit_interval_wd=15)) != definition_version(ind.id)


def test_a_rate_changes_with_the_count_it_divides():
    rate = REGISTRY["referrals_rate"]
    assert tables_read(rate.id) == tables_read("referrals") | {"ext_population"}
    of_contacts = dataclasses.replace(rate, measure=dataclasses.replace(rate.measure, of="contacts"))
    assert version_of(of_contacts) != definition_version(rate.id)


def _two_referrals() -> Built:
    w = Built()
    w.child("C1")
    w.add("ssd_cin_episodes", cine_person_id="C1", cine_referral_date=d("2024-02-29"))
    w.add("ssd_cin_episodes", cine_person_id="C1", cine_referral_date=d("2024-03-01"))
    return w


def test_computed_figures_carry_their_version_whatever_the_dates():
    """The run's dates and bases are not part of the definition: Feb 2024 (ending on the leap day) and Mar 2024 share
    it. Referrals on 29 Feb and 1 Mar 2024: one in each month; the 12 months to 31 Mar hold both. The rate (10,000
    children) equals the count on its only basis, rolling12."""
    w = _two_referrals()
    ends, ids = [d("2024-02-29"), d("2024-03-31")], ["referrals", "referrals_rate"]
    frame = compute(w.con, ends, bases=["month", "rolling12"], breakdowns=["la"], ids=ids)
    count, rate = definition_version("referrals"), definition_version("referrals_rate")
    got = list(frame[["indicator_id", "basis", "period_end", "value", "definition_version"]].itertuples(index=False, name=None))
    assert got == [
        ("referrals", "month", d("2024-02-29"), 1.0, count),
        ("referrals", "month", d("2024-03-31"), 1.0, count),
        ("referrals", "rolling12", d("2024-02-29"), 1.0, count),
        ("referrals", "rolling12", d("2024-03-31"), 2.0, count),
        ("referrals_rate", "rolling12", d("2024-02-29"), 1.0, rate),
        ("referrals_rate", "rolling12", d("2024-03-31"), 2.0, rate),
    ]
    assert count != rate


OLD_DDL = """
CREATE TABLE cscperf_results (
    indicator_id VARCHAR, basis VARCHAR, period_start DATE, period_end DATE,
    breakdown VARCHAR, breakdown_value VARCHAR, numerator DOUBLE, denominator DOUBLE,
    value DOUBLE, unit VARCHAR, computed_at TIMESTAMP
)
"""


def test_results_stored_before_versions_still_read_and_new_ones_carry_theirs():
    w = _two_referrals()
    w.con.execute("DROP TABLE cscperf_results")  # the warehouse creates today's table: put an old one in its place
    w.con.execute(OLD_DDL)
    w.con.execute(
        "INSERT INTO cscperf_results VALUES "
        "('referrals', 'month', DATE '2024-02-01', DATE '2024-02-29', 'la', '874', 1, NULL, 1, 'count', now())"
    )
    store_results(w.con, compute(w.con, [d("2024-03-31")], bases=["month"], breakdowns=["la"], ids=["referrals"]))
    store_results(w.con, pd.DataFrame([{**_row("2024-01-31")}]))  # a frame without versions (a hand-made one) stores too
    rows = w.con.execute("SELECT period_end, numerator, definition_version FROM cscperf_results ORDER BY period_end").fetchall()
    assert rows == [
        (d("2024-01-31"), 0.0, None),
        (d("2024-02-29"), 1.0, None),
        (d("2024-03-31"), 1.0, definition_version("referrals")),
    ]


def _row(end: str) -> dict[str, object]:
    return {
        "indicator_id": "referrals",
        "basis": "month",
        "period_start": d(end).replace(day=1),
        "period_end": d(end),
        "breakdown": "la",
        "breakdown_value": "874",
        "numerator": 0.0,
        "denominator": None,
        "value": 0.0,
        "unit": "count",
    }


def test_definitions_compile_the_same_from_several_threads_at_once():
    """The web server compiles definitions on request threads (a push's recompute beside page reads); they share one
    compiler, which used to fail with DuckDB's "closed pending query result" when two threads met in it."""
    ids = [i for i, ind in REGISTRY.items() if ind.measure.kind != "rate"][:24]
    alone = {i: definition_sql(REGISTRY[i]) for i in ids}
    with ThreadPoolExecutor(6) as threads:
        together = list(threads.map(lambda i: definition_sql(REGISTRY[i]), ids * 3))
    assert together == [alone[i] for i in ids * 3]
