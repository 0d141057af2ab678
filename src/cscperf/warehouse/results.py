"""Computed figures: the one module that creates, writes and reads `cscperf_results` (declared in `schema.RESULTS`).

Writers (the engine, the dashboard's recompute) call `store`; readers (the dashboard, the report,
`cscperf judge`) call `read` and the small look-ups below, so the table's columns are named in one place.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

import duckdb
import pandas as pd

from cscperf.warehouse.schema import RESULT_COLUMNS, RESULTS, VERSION_COLUMN
from cscperf.warehouse.transaction import transaction

NAME = RESULTS.name
SELECT = ", ".join(RESULT_COLUMNS)


def ddl() -> str:
    return f"CREATE TABLE IF NOT EXISTS {NAME} ({', '.join(f'{c.name} {c.type}' for c in RESULTS.columns)})"


def create(con: duckdb.DuckDBPyConnection) -> None:
    con.execute(ddl())
    # warehouses from before definition versions were kept: their figures read back with no version
    con.execute(f"ALTER TABLE {NAME} ADD COLUMN IF NOT EXISTS {VERSION_COLUMN} VARCHAR")


def exists(con: duckdb.DuckDBPyConnection) -> bool:
    row = con.execute("SELECT count(*) FROM information_schema.tables WHERE table_name = ?", [NAME]).fetchone()
    return bool(row and row[0])


def store(con: duckdb.DuckDBPyConnection, frame: pd.DataFrame) -> int:
    """Write figures, replacing those with the same indicator, basis and period end (one transaction)."""
    create(con)
    versions = frame[VERSION_COLUMN] if VERSION_COLUMN in frame.columns else None
    con.register("incoming", frame.assign(computed_at=pd.Timestamp.now(), **{VERSION_COLUMN: versions}))
    try:
        with transaction(con):
            con.execute(
                f"DELETE FROM {NAME} r USING (SELECT DISTINCT indicator_id, basis, period_end FROM incoming) k "
                "WHERE r.indicator_id = k.indicator_id AND r.basis = k.basis AND r.period_end = k.period_end"
            )
            columns = f"{SELECT}, computed_at, {VERSION_COLUMN}"
            con.execute(f"INSERT INTO {NAME} ({columns}) SELECT {columns} FROM incoming")
    finally:
        con.unregister("incoming")
    return len(frame)


def read(
    con: duckdb.DuckDBPyConnection,
    *,
    breakdown: str = "la",
    period_ends: Iterable[dt.date] | None = None,
    since: dt.date | None = None,
    indicator_id: str | None = None,
    basis: str | None = None,
    breakdown_value: str | None = None,
) -> pd.DataFrame:
    """Stored figures of one breakdown, filtered; every result column, `period_end` as dates. Empty without the table."""
    if not exists(con):
        return pd.DataFrame(columns=RESULT_COLUMNS)
    where, args = ["breakdown = ?"], [breakdown]
    for column, value in (("indicator_id", indicator_id), ("basis", basis), ("breakdown_value", breakdown_value)):
        if value is not None:
            where.append(f"{column} = ?")
            args.append(value)
    if since is not None:
        where.append("period_end >= ?")
        args.append(since)
    if period_ends is not None:
        where.append("period_end IN (SELECT unnest(?::DATE[]))")
        args.append(list(period_ends))
    sql = f"SELECT {SELECT} FROM {NAME} WHERE {' AND '.join(where)} ORDER BY indicator_id, basis, period_end, breakdown_value"
    frame = con.execute(sql, args).df()
    frame["period_end"] = pd.to_datetime(frame["period_end"]).dt.date
    return frame


def versions(con: duckdb.DuckDBPyConnection, indicator_id: str, basis: str) -> pd.DataFrame:
    """An indicator's whole-authority period ends and the definition versions that made them (null where stored without)."""
    frame = _versions(con, basis, indicator_id)
    return frame.drop(columns="indicator_id") if "indicator_id" in frame else frame


def versions_by_indicator(con: duckdb.DuckDBPyConnection, basis: str) -> dict[str, pd.DataFrame]:
    """`versions` for every indicator at once (one query, for judging them all): indicator id -> its frame."""
    frame = _versions(con, basis)
    if frame.empty:
        return {}
    return {str(i): part.drop(columns="indicator_id").reset_index(drop=True) for i, part in frame.groupby("indicator_id")}


def _versions(con: duckdb.DuckDBPyConnection, basis: str, indicator_id: str | None = None) -> pd.DataFrame:
    """indicator_id, period_end, definition_version of the `la` figures on `basis` (one indicator, or all)."""
    if not exists(con):
        return pd.DataFrame({"period_end": [], VERSION_COLUMN: []})
    has_version = con.execute(
        "SELECT count(*) FROM information_schema.columns WHERE table_name = ? AND column_name = ?", [NAME, VERSION_COLUMN]
    ).fetchone()[0]  # type: ignore[index]
    version = VERSION_COLUMN if has_version else "CAST(NULL AS VARCHAR)"  # a warehouse from before versions were kept
    where, args = "basis = ? AND breakdown = 'la'", [basis]
    if indicator_id is not None:
        where, args = where + " AND indicator_id = ?", [*args, indicator_id]
    select = f"SELECT DISTINCT indicator_id, period_end, {version} AS {VERSION_COLUMN} FROM {NAME}"
    frame = con.execute(f"{select} WHERE {where} ORDER BY indicator_id, period_end", args).df()
    frame["period_end"] = pd.to_datetime(frame["period_end"]).dt.date
    return frame


def latest_period(con: duckdb.DuckDBPyConnection) -> dt.date | None:
    """The latest period end with authority-level figures."""
    if not exists(con):
        return None
    row = con.execute(f"SELECT max(period_end) FROM {NAME} WHERE breakdown = 'la'").fetchone()
    return row[0] if row else None


def la_code(con: duckdb.DuckDBPyConnection) -> str | None:
    """The authority the stored figures are for (the first, should there be several)."""
    if not exists(con):
        return None
    row = con.execute(f"SELECT min(breakdown_value) FROM {NAME} WHERE breakdown = 'la'").fetchone()
    return row[0] if row else None


def computed_at(con: duckdb.DuckDBPyConnection) -> str | None:
    """When figures were last stored, as text (part of the dashboard's data fingerprint)."""
    if not exists(con):
        return None
    row = con.execute(f"SELECT CAST(max(computed_at) AS VARCHAR) FROM {NAME}").fetchone()
    return row[0] if row else None
