"""Definition versions: a short hash of what makes an indicator's figures, stored with every computed figure.

The hash covers the registry entry's computing parts (measure, unit, bases, snapshot/additive) and the SQL
its whole-authority (`la`) figure compiles to with the shared building blocks inlined, so a change to a
cohort, a shared block or a setting changes the version; the wording (name, rule, notes) and the run's
dates do not. A rate's version covers the count it divides. The SQL is compiled against an empty warehouse
schema, never a real warehouse, and normalised where Ibis's output depends on Python's hash seed, so the
same code and library versions (requirements.lock) give the same version in every process on every machine.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import json
import re
import threading
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import duckdb
import ibis
import sqlglot
from sqlglot import exp

from cscperf.indicators import sql_cache
from cscperf.indicators.model import MONTHS, PERIODS, RUN_DB, SNAPSHOT_PERIODS, Model, Settings
from cscperf.indicators.registry import REGISTRY, Indicator
from cscperf.warehouse.schema import BY_NAME, TABLES

VERSION_LENGTH = 12
HISTORY_PATH = Path(__file__).with_name("definition_history.csv")
# Tables every rate reads besides its count's: the mid-year population estimates.
RATE_TABLES = frozenset({"ext_population"})
_EXCLUDE = re.compile(r"EXCLUDE \(([^()]*)\)")


def _computing_parts(ind: Indicator) -> dict[str, object]:
    m = ind.measure
    return {
        "id": ind.id,
        "kind": m.kind,
        "of": m.of,
        "distinct_children": m.distinct_children,
        "where_met": m.where_met,
        "unit": ind.unit,
        "bases": list(ind.bases),
        "snapshot": ind.snapshot,
        "additive": ind.additive,
    }


def _sorted_excludes(sql: str) -> str:
    # Ibis drops columns as a set, so `* EXCLUDE (a, b)` comes out in hash-seed order: the same query either way.
    return _EXCLUDE.sub(lambda mt: "EXCLUDE (" + ", ".join(sorted(c.strip() for c in mt.group(1).split(","))) + ")", sql)


@cache
def _schema_digest() -> str:
    text = json.dumps([[t.name, [[c.name, c.type] for c in t.columns]] for t in TABLES])
    return hashlib.sha256(text.encode()).hexdigest()[:16]


# The compiler below is one DuckDB connection for the whole process; ibis asks it for schemas while compiling, and
# two threads doing so at once (a push's recompute beside a page read) break each other's pending query.
_COMPILING = threading.RLock()


@cache
def _compiler() -> ibis.BaseBackend:
    """An in-memory DuckDB with the warehouse schema and an empty run database: enough to compile any cohort."""
    from cscperf.warehouse.store import create_schema

    con = duckdb.connect()
    create_schema(con)
    con.execute(f"ATTACH ':memory:' AS {RUN_DB}")
    for name in (PERIODS, SNAPSHOT_PERIODS, MONTHS):
        con.execute(f"CREATE TABLE {RUN_DB}.{name} (basis VARCHAR, period_start DATE, period_end DATE)")
    return ibis.duckdb.from_connection(con)


@cache
def _model(settings: Settings) -> Model:
    return Model(_compiler(), settings, shared=False)


def definition_sql(ind: Indicator, settings: Settings | None = None, sole_la: str | None = None) -> str:
    """The SQL of the indicator's `la` figures, as the engine builds them but with shared blocks inlined (and, given
    `sole_la`, as for a warehouse of that one authority, whose code needs no lookup)."""
    from cscperf.indicators import engine

    if ind.measure.cohort is None:
        raise ValueError(f"{ind.id}: a {ind.measure.kind} has no cohort of its own")
    with _COMPILING:
        model = _model(settings or Settings())
        periods = model.run_table(SNAPSHOT_PERIODS if ind.snapshot else MONTHS if ind.additive else PERIODS)
        rows = engine._narrow(ind.measure.cohort(model, periods), ("la",))
        dated = engine._counts_children_monthly(ind)
        attached = engine._attach(model, rows, ("la",), sole_la, dated)
        aggregate = engine._aggregate_first_in_window if dated else engine._aggregate
        return _sorted_excludes(str(model.backend.compile(aggregate(ind, attached, "la"))))


def version_of(ind: Indicator, settings: Settings | None = None) -> str:
    """The definition version of a registry entry (12 hex digits), made afresh."""
    parts = _computing_parts(ind)
    if ind.measure.kind == "rate":
        parts["counts"] = definition_version(ind.measure.of, settings)  # type: ignore[arg-type]
    else:
        parts["sql"] = definition_sql(ind, settings)
    return hashlib.sha256(json.dumps(parts, sort_keys=True).encode()).hexdigest()[:VERSION_LENGTH]


def definition_version(ind_id: str, settings: Settings | None = None) -> str:
    """The registered indicator's definition version, from the SQL cache when this code has made it before."""
    settings = settings or Settings()
    cached = sql_cache.load()
    key = ("definition_version", ind_id, repr(settings), _schema_digest())
    if key not in cached:
        cached[key] = version_of(REGISTRY[ind_id], settings)
    return cached[key]


def definition_versions(ids: list[str] | None = None, settings: Settings | None = None) -> dict[str, str]:
    """Versions of the given indicators (default: all), saving any newly made to the SQL cache file."""
    out = {i: definition_version(i, settings) for i in (ids if ids is not None else REGISTRY)}
    sql_cache.save(sql_cache.load())
    return out


def tables_read(ind_id: str) -> frozenset[str]:
    """The warehouse tables whose records an indicator counts (what a change of source system can affect): not the
    people table where it only gives the authority's code, as in a warehouse of one authority."""
    ind = REGISTRY[ind_id]
    if ind.measure.kind == "rate":
        return tables_read(ind.measure.of) | RATE_TABLES  # type: ignore[arg-type]
    cached = sql_cache.load()
    key = ("tables_read", ind_id, _schema_digest())
    if key not in cached:
        cached[key] = ",".join(sorted(_tables_in(definition_sql(ind, sole_la="000"))))
    return frozenset(t for t in cached[key].split(",") if t)


def _tables_in(sql: str) -> frozenset[str]:
    names = {t.name for t in sqlglot.parse_one(sql, read="duckdb").find_all(exp.Table)}
    return frozenset(n for n in names if n in BY_NAME)


@dataclass(frozen=True)
class DefinitionChange:
    """One row of the committed history: the version an indicator's definition became, when and why."""

    indicator_id: str
    version: str
    date: dt.date
    change: str


def definition_history(path: Path = HISTORY_PATH) -> list[DefinitionChange]:
    """Every recorded definition version, oldest first within each indicator (a test requires each current one)."""
    with path.open(newline="", encoding="utf-8") as f:
        rows = [DefinitionChange(r["indicator_id"], r["version"], dt.date.fromisoformat(r["date"]), r["change"]) for r in csv.DictReader(f)]
    return sorted(rows, key=lambda c: (c.indicator_id, c.date))
