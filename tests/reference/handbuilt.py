"""A few hand-entered rows in an in-memory warehouse, for checking the reference (and the engine) by hand."""

from __future__ import annotations

import datetime as dt
import itertools
from typing import Any

import duckdb
import pandas as pd

from cscperf.warehouse import connect, insert_frame, table

LA = "874"


def day(text: str) -> dt.date:
    return dt.date.fromisoformat(text)


class HandBuilt:
    """One authority (LA 874) with a fixed 0-17 population per mid-year (default 10,000: a rate equals its count)."""

    def __init__(self, population: dict[int, int] | None = None) -> None:
        self.con: duckdb.DuckDBPyConnection = connect(":memory:")
        self._ids = itertools.count(1)
        self.periods_of_care: dict[str, tuple[str, str]] = {}  # child -> (period of care id, start) of the latest
        self.add("ext_authority", auth_la_code=LA, auth_la_name="Hand-built")
        for year, count in (population or {y: 10000 for y in range(2018, 2028)}).items():
            self.add("ext_population", popn_la_code=LA, popn_year=year, popn_age=5, popn_sex="F", popn_count=count)

    def add(self, name: str, **values: Any) -> str:
        """Insert one row, giving it a fresh primary key when none is passed."""
        pk = table(name).primary_key
        if pk and pk[0] not in values and len(pk) == 1:
            values[pk[0]] = f"{name[:4]}-{next(self._ids)}"
        insert_frame(self.con, table(name), pd.DataFrame([values]), "hand", "hand")
        return values[pk[0]] if pk else ""

    def child(self, pid: str) -> str:
        return self.add("ssd_person", pers_person_id=pid, pers_dob="2015-06-01", pers_sex="F", pers_ext_la_code=LA)

    def referral(self, pid: str, date: str, close: str | None = None, nfa: str = "N") -> str:
        return self.add("ssd_cin_episodes", cine_person_id=pid, cine_referral_date=date, cine_close_date=close, cine_referral_nfa=nfa)
