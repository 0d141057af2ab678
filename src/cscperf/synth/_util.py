"""Vectorised helpers shared by the synthetic generators: dates, working days, draws and frames.

Dates are NumPy `datetime64[D]` arrays (NaT = not recorded). Ids are int64 numbers that start
with the LA code (`la * ID_BASE + n`) so ids stay unique across authorities; they become text
with a table-specific prefix when inserted (`store.py`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from cscperf.calendar.workdays import bank_holidays

ID_BASE = 10**8
NAT = np.datetime64("NaT", "D")
DAY = np.timedelta64(1, "D")
_HOLIDAYS = np.array(bank_holidays(), dtype="datetime64[D]")


def d64(day: dt.date) -> np.datetime64:
    return np.datetime64(day, "D")


def days(n: np.ndarray | int) -> np.ndarray:
    """Integer day counts as timedeltas (float input is rounded)."""
    return np.rint(np.asarray(n)).astype("int64").astype("timedelta64[D]")


def add_wd(start: np.ndarray, n: np.ndarray | int) -> np.ndarray:
    """The nth working day after start (n = 0 keeps start), matching calendar.workdays.due_date."""
    start = np.asarray(start, dtype="datetime64[D]")
    n = np.broadcast_to(np.asarray(n, dtype="int64"), start.shape)
    out = np.busday_offset(start, n, roll="backward", holidays=_HOLIDAYS)
    return np.where(n == 0, start, out)


def sub_wd(end: np.ndarray, n: np.ndarray) -> np.ndarray:
    """The working day n working days before end (n = 0 keeps end)."""
    end = np.asarray(end, dtype="datetime64[D]")
    out = np.busday_offset(end, -np.asarray(n, dtype="int64"), roll="forward", holidays=_HOLIDAYS)
    return np.where(np.asarray(n) == 0, end, out)


def to_workday(d: np.ndarray) -> np.ndarray:
    """Roll dates forward onto a working day (events such as referrals happen in office hours)."""
    return np.busday_offset(np.asarray(d, dtype="datetime64[D]"), 0, roll="forward", holidays=_HOLIDAYS)


def wd_between(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """wd(a, b): working days d with a < d <= b (b >= a)."""
    return np.busday_count(a + DAY, b + DAY, holidays=_HOLIDAYS)


def latest_before(dates: np.ndarray, groups: np.ndarray) -> np.ndarray:
    """For rows sorted by group, the latest date on the group's earlier rows: pandas' per-group
    `cummax().shift()` (NaT on a group's first row, and after a NaT row), without a Python call per group."""
    dates = np.asarray(dates, dtype="datetime64[D]")
    if not dates.size:
        return dates
    missing = np.isnat(dates)
    n = dates.astype("int64")
    low = n[~missing].min() if (~missing).any() else 0
    v = np.where(missing, 0, n - low + 1)  # 1 and up; 0 for NaT
    first = np.r_[True, groups[1:] != groups[:-1]]
    # Lifting each group above every value of the groups before makes one running maximum a running maximum per group.
    lift = (np.cumsum(first) - 1) * (int(v.max()) + 1)
    running = np.maximum.accumulate(lift + v) - lift
    latest = np.where(missing, NAT, (running + low - 1).astype("datetime64[D]"))
    return np.where(first, NAT, np.r_[NAT, latest[:-1]])


def add_months(d: np.ndarray, months: np.ndarray | int) -> np.ndarray:
    """d + n calendar months, clamped to the month's last day."""
    d = np.asarray(d, dtype="datetime64[D]")
    month = d.astype("datetime64[M]")
    day_in = (d - month.astype("datetime64[D]")).astype("int64")
    target = month + np.asarray(months, dtype="int64").astype("timedelta64[M]")
    last = ((target + 1).astype("datetime64[D]") - target.astype("datetime64[D]")).astype("int64")
    return target.astype("datetime64[D]") + days(np.minimum(day_in, last - 1))


def age_at(dob: np.ndarray, on: np.ndarray) -> np.ndarray:
    """Whole years of age at a date."""
    y_dob = dob.astype("datetime64[Y]").astype("int64")
    y_on = on.astype("datetime64[Y]").astype("int64")
    before = (on - on.astype("datetime64[Y]").astype("datetime64[D]")) < (dob - dob.astype("datetime64[Y]").astype("datetime64[D]"))
    return y_on - y_dob - before.astype("int64")


def birthday(dob: np.ndarray, age: np.ndarray | int) -> np.ndarray:
    return add_months(dob, np.asarray(age) * 12)


def choice(rng: np.random.Generator, n: int, probs: Sequence[float]) -> np.ndarray:
    """Indices drawn with the given (normalised) probabilities."""
    p = np.asarray(probs, dtype=float)
    return np.searchsorted(np.cumsum(p / p.sum()), rng.random(n), side="right").clip(0, len(p) - 1)


def codes(values: Sequence[str], idx: np.ndarray) -> pd.Categorical:
    """A categorical column from code indices (-1 = empty)."""
    return pd.Categorical.from_codes(np.asarray(idx, dtype="int64"), categories=list(dict.fromkeys(values)))


def pick(rng: np.random.Generator, table: dict[str, float], n: int) -> pd.Categorical:
    return codes(list(table), choice(rng, n, list(table.values())))


def flag(mask: np.ndarray) -> pd.Categorical:
    return codes(["N", "Y"], np.asarray(mask, dtype="int64"))


def within(mask: np.ndarray, values: pd.Categorical | np.ndarray) -> pd.Categorical | np.ndarray:
    """Keep values where mask is true, empty elsewhere."""
    if isinstance(values, pd.Categorical):
        return pd.Categorical.from_codes(np.where(mask, values.codes, -1), categories=values.categories)
    return np.where(mask, values, NAT if np.issubdtype(np.asarray(values).dtype, np.datetime64) else -1)


def group_offsets(counts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For groups of the given sizes: the owning group of each item and its position in the group."""
    owner = np.repeat(np.arange(len(counts)), counts)
    starts = np.cumsum(counts) - counts
    return owner, np.arange(owner.size) - starts[owner]


def group_cumsum(values: np.ndarray, owner: np.ndarray) -> np.ndarray:
    """Cumulative sum restarting at each group (owner sorted ascending)."""
    total = np.cumsum(values)
    first = np.r_[True, owner[1:] != owner[:-1]]
    base = np.maximum.accumulate(np.where(first, np.arange(owner.size), 0))
    return total - total[base] + values[base]


def make_ids(la: np.ndarray, n: int | None = None) -> np.ndarray:
    """Ids la * ID_BASE + row number (within this chunk)."""
    la = np.asarray(la, dtype="int64")
    return la * ID_BASE + np.arange(la.size if n is None else n)


def _as_column(values: object) -> object:
    """Text stays a NumPy object column: DuckDB reads those as they are, where pandas' Arrow-backed text (what it
    would infer) is converted to objects again on insert (two conversions of every id, code and postcode)."""
    if isinstance(values, np.ndarray) and values.dtype.kind in "OU":  # objects, or NumPy's fixed-width text
        return pd.Series(values.astype(object, copy=False), dtype=object, copy=False)
    return values


@dataclass
class Frames:
    """Rows generated for each table, appended in pieces and inserted together."""

    parts: dict[str, list[pd.DataFrame]] = field(default_factory=dict)

    def add(self, table: str, frame: pd.DataFrame | dict) -> None:
        frame = frame if isinstance(frame, pd.DataFrame) else pd.DataFrame({k: _as_column(v) for k, v in frame.items()})
        if len(frame):
            self.parts.setdefault(table, []).append(frame)

    def get(self, table: str) -> pd.DataFrame:
        parts = self.parts.get(table, [])
        if not parts:
            return pd.DataFrame()
        if len(parts) == 1:
            return parts[0]
        frame = pd.concat(parts, ignore_index=True)
        # An id column missing from some parts comes back as float with NaN: keep it an id (-1 = empty).
        ints = {c for part in parts for c in part.columns if pd.api.types.is_integer_dtype(part[c].dtype)}
        for c in ints:
            if not pd.api.types.is_integer_dtype(frame[c].dtype):
                frame[c] = frame[c].fillna(-1).astype("int64")
        return frame


# Ids that other tables refer to share one prefix wherever they appear.
ID_PREFIX = {
    "person_id": "P",
    "referral_id": "R",
    "cla_id": "PC",
    "cla_placement_id": "PL",
    "cp_plan_id": "CPP",
    "icpc_id": "ICPC",
    "s47_enquiry_id": "S47",
    "professional_id": "W",
    "worker_id": "W",
    "staff_id": "W",
    "icpc_meeting_id": "ICPC",
    "assessment_id": "CINA",
}


def id_prefix(column: str) -> str:
    """The prefix an integer id in `column` gets in the warehouse ('R' + 123 for a referral id)."""
    for suffix, prefix in ID_PREFIX.items():
        if column.endswith(suffix):
            return prefix
    return column.split("_", 1)[0].upper()
