"""Hand-built warehouses for indicator tests: insert a few rows, compute, read one figure."""

from __future__ import annotations

import datetime as dt
import itertools
from typing import Any

import pandas as pd

from cscperf.indicators import compute, exceptions
from cscperf.warehouse import connect, insert_frame, table

LA = "874"
_ids = itertools.count(1)


def d(text: str) -> dt.date:
    return dt.date.fromisoformat(text)


class Built:
    """A warehouse in memory with one authority (LA 874) and helpers to add rows."""

    def __init__(self, population: int = 10000) -> None:
        self.con = connect(":memory:")
        self.rows("ext_authority", [{"auth_la_code": LA, "auth_la_name": "Test"}])
        # 10,000 children aged 0-17 in every mid-year, so a rate per 10,000 equals the count.
        self.rows(
            "ext_population",
            [{"popn_la_code": LA, "popn_year": y, "popn_age": 5, "popn_sex": "F", "popn_count": population} for y in range(2015, 2030)],
        )

    def rows(self, name: str, records: list[dict[str, Any]]) -> None:
        insert_frame(self.con, table(name), pd.DataFrame(records), "test", "test")

    def add(self, name: str, **values: Any) -> str:
        """Insert one row, filling the primary key with a fresh id when not given."""
        pk = table(name).primary_key
        if pk and pk[0] not in values:
            values[pk[0]] = f"{name}-{next(_ids)}"
        self.rows(name, [values])
        return values[pk[0]] if pk else ""

    def child(self, pid: str, dob: str = "2015-06-01", sex: str = "F", ethnicity: str = "WBRI") -> str:
        self.add("ssd_person", pers_person_id=pid, pers_dob=dob, pers_sex=sex, pers_ethnicity=ethnicity, pers_ext_la_code=LA)
        return pid

    def allocate(self, pid: str, worker: str, team: str, start: str, end: str | None = None) -> None:
        self.add(
            "ssd_involvements",
            invo_person_id=pid,
            invo_professional_id=worker,
            invo_professional_team=team,
            invo_involvement_start_date=start,
            invo_involvement_end_date=end,
        )

    def results(self, ids: list[str], period_end: str, bases=("month",), breakdowns=("la",)) -> pd.DataFrame:
        return compute(self.con, [d(period_end)], bases=bases, breakdowns=breakdowns, ids=ids)

    def figure(
        self, indicator: str, period_end: str, basis: str = "month", breakdown: str = "la", value: str = LA
    ) -> tuple[float | None, float | None, float | None]:
        """(numerator, denominator, value) of one figure; None for missing parts."""
        frame = self.results([indicator], period_end, bases=(basis,), breakdowns=(breakdown,))
        row = frame[(frame.basis == basis) & (frame.breakdown == breakdown) & (frame.breakdown_value == value)]
        assert len(row) == 1, f"expected one figure, got {len(row)}:\n{frame}"
        r = row.iloc[0]

        def clean(x: Any) -> float | None:
            return None if pd.isna(x) else float(x)

        return clean(r.numerator), clean(r.denominator), clean(r.value)

    def exceptions(self, indicator: str, period_end: str) -> pd.DataFrame:
        return exceptions(self.con, indicator, d(period_end))
