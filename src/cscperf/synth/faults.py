"""Data-quality faults of the kinds DfE's validation rules catch, injected and recorded (`synth --faults RATE`).

Each kind breaks one field of records the latest collection year's returns carry (an end before its
start, an assessment before its referral, an ICPC before its S47, overlapping episodes, a code not
in the year's list, a birth after care started, ...) and names the DfE rules expected to find it in
the CIN census or the SSDA903 return. A few kinds take a record out of every return (a missing
referral date, a missing visit date, a duplicated contact): no DfE rule can see those, so they name
cscperf's own check (`cscperf validate`) instead. Every fault is recorded in `ext_synth_faults`, so
a test can compare what validation finds with what was injected.

About `rate` of the eligible records of each kind get its fault; a child gets at most one fault, so
each finding can be traced to one cause. The same seed gives the same faults.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from cscperf.returns.written import year_bounds
from cscperf.synth._util import id_prefix

UNKNOWN_CODE = "XX9"
DAY = np.timedelta64(1, "D")
MISSING_DATE = "missing required date"
CIN, CLA = "ssd_cin_episodes", "ssd_cla_episodes"
DUPLICATE_ID = "duplicate record id"


@dataclass(frozen=True)
class Kind:
    name: str
    table: str
    field: str
    cin: tuple[str, ...] = ()  # DfE CIN census rules expected to find it
    ssda903: tuple[str, ...] = ()  # DfE SSDA903 rules expected to find it
    check: str = ""  # cscperf's own check, for faults no DfE rule sees
    uses: tuple[str, ...] = ()  # other tables the fault is placed by


@dataclass
class Year:
    """The latest collection year: the returns written for it carry the faulty records."""

    start: np.datetime64
    end: np.datetime64
    number: int  # the year the collection ends in (2025 = 2024-25)


def collection_year(end_date: dt.date) -> Year:
    """The last collection year that ends on or before `end_date`."""
    year = end_date.year if (end_date.month, end_date.day) >= (3, 31) else end_date.year - 1
    start, end = year_bounds(year)
    return Year(np.datetime64(start), np.datetime64(end), year)


def _d(frame: pd.DataFrame, column: str) -> np.ndarray:
    return frame[column].to_numpy(dtype="datetime64[D]")


def _within(d: np.ndarray, start: np.datetime64, end: np.datetime64) -> np.ndarray:
    return ~np.isnat(d) & (d >= start) & (d <= end)


def _lookup(frame: pd.DataFrame, key: str, value: str, wanted: pd.Series) -> np.ndarray:
    """`value` of the `frame` row whose `key` equals each of `wanted` (NaT where none)."""
    table = frame.drop_duplicates(key).set_index(key)[value]
    return wanted.map(table).to_numpy(dtype="datetime64[D]")


# Each picker returns, for its kind, a mask of eligible rows and the new values for those rows.
Picker = Callable[[dict[str, pd.DataFrame], Year], tuple[np.ndarray, np.ndarray]]


def _closed_before_referral(f: dict[str, pd.DataFrame], y: Year) -> tuple[np.ndarray, np.ndarray]:
    e = f["ssd_cin_episodes"]
    ref, close = _d(e, "cine_referral_date"), _d(e, "cine_close_date")
    return _within(ref, y.start + DAY, y.end) & _within(close, ref, y.end), ref - DAY


def _assessment_before_referral(f: dict[str, pd.DataFrame], y: Year) -> tuple[np.ndarray, np.ndarray]:
    a = f["ssd_cin_assessments"]
    ref = _lookup(f["ssd_cin_episodes"], "cine_referral_id", "cine_referral_date", a["cina_referral_id"])
    start = _d(a, "cina_assessment_start_date")
    return _within(ref, y.start + DAY, y.end) & _within(start, ref, y.end), ref - DAY


def _icpc_before_s47(f: dict[str, pd.DataFrame], y: Year) -> tuple[np.ndarray, np.ndarray]:
    c = f["ssd_initial_cp_conference"]
    s47 = _lookup(f["ssd_s47_enquiry"], "s47e_s47_enquiry_id", "s47e_s47_start_date", c["icpc_s47_enquiry_id"])
    icpc = _d(c, "icpc_icpc_date")
    return _within(s47, y.start + 2 * DAY, y.end) & _within(icpc, s47, y.end), s47 - DAY


def _plan_ends_before_start(f: dict[str, pd.DataFrame], y: Year) -> tuple[np.ndarray, np.ndarray]:
    p = f["ssd_cp_plans"]
    start, end = _d(p, "cppl_cp_plan_start_date"), _d(p, "cppl_cp_plan_end_date")
    return _within(start, y.start + DAY, y.end) & _within(end, start, y.end), start - DAY


def _code_in_year(table: str, start: str, extra: Callable[[pd.DataFrame], np.ndarray] | None = None) -> Picker:
    def pick(f: dict[str, pd.DataFrame], y: Year) -> tuple[np.ndarray, np.ndarray]:
        frame = f[table]
        mask = _within(_d(frame, start), y.start, y.end)
        if extra is not None:
            mask &= extra(frame)
        return mask, np.full(len(frame), UNKNOWN_CODE, dtype=object)

    return pick


def _placement_in_year(f: dict[str, pd.DataFrame], y: Year) -> tuple[np.ndarray, np.ndarray]:
    """Placements the year's 903 episodes point at (an episode carries its placement's type)."""
    e = f["ssd_cla_episodes"]
    used = e.loc[_within(_d(e, "clae_cla_episode_start_date"), y.start, y.end), "clae_cla_placement_id"]
    p = f["ssd_cla_placement"]
    return p["clap_cla_placement_id"].isin(used).to_numpy(), np.full(len(p), UNKNOWN_CODE, dtype=object)


def _born_after_referral(f: dict[str, pd.DataFrame], y: Year) -> tuple[np.ndarray, np.ndarray]:
    """Birth 41 weeks after a referral in the year (DfE allows a referral up to 40 weeks before birth)."""
    e = f["ssd_cin_episodes"]
    ref = _d(e, "cine_referral_date")
    late = 287 * DAY
    first = pd.Series(ref, index=e["cine_person_id"])[_within(ref, y.start, y.end - late)].groupby(level=0).min()
    p = f["ssd_person"]
    born = p["pers_person_id"].map(first).to_numpy(dtype="datetime64[D]") + late
    no_expected = p["pers_expected_dob"].isna().to_numpy() if "pers_expected_dob" in p else True
    return ~np.isnat(born) & no_expected, born


def _born_after_care_started(f: dict[str, pd.DataFrame], y: Year) -> tuple[np.ndarray, np.ndarray]:
    """Birth a week after the first episode the year's 903 return holds."""
    e = f["ssd_cla_episodes"]
    start, ceased = _d(e, "clae_cla_episode_start_date"), _d(e, "clae_cla_episode_ceased_date")
    in_year = (start <= y.end) & (np.isnat(ceased) | (ceased >= y.start))
    first = pd.Series(start, index=e["clae_person_id"])[in_year].groupby(level=0).min()
    p = f["ssd_person"]
    born = p["pers_person_id"].map(first).to_numpy(dtype="datetime64[D]") + 7 * DAY
    return ~np.isnat(born) & (born <= y.end), born


def _episode_ends_before_start(f: dict[str, pd.DataFrame], y: Year) -> tuple[np.ndarray, np.ndarray]:
    e = f["ssd_cla_episodes"]
    start, ceased = _d(e, "clae_cla_episode_start_date"), _d(e, "clae_cla_episode_ceased_date")
    return _within(start, y.start + DAY, y.end) & _within(ceased, start, y.end), start - DAY


def _episodes_overlap(f: dict[str, pd.DataFrame], y: Year) -> tuple[np.ndarray, np.ndarray]:
    """An episode that ends three days after the next one (same period of care, starting in the year) began."""
    e = f["ssd_cla_episodes"]
    order = np.lexsort((_d(e, "clae_cla_episode_start_date"), e["clae_cla_id"].to_numpy()))
    nxt = np.full(len(e), -1)
    same = e["clae_cla_id"].to_numpy()[order][1:] == e["clae_cla_id"].to_numpy()[order][:-1]
    nxt[order[:-1][same]] = order[1:][same]
    start, ceased = _d(e, "clae_cla_episode_start_date"), _d(e, "clae_cla_episode_ceased_date")
    has = nxt >= 0
    next_start = np.where(has, start[np.maximum(nxt, 0)], np.datetime64("NaT"))
    next_ceased = np.where(has, ceased[np.maximum(nxt, 0)], np.datetime64("NaT"))
    new = next_start + 3 * DAY
    fits = np.isnat(next_ceased) | (next_ceased > new)
    return has & _within(next_start, y.start, y.end - 3 * DAY) & (ceased == next_start) & fits, new


def _dated_in_year(table: str, column: str) -> Picker:
    def pick(f: dict[str, pd.DataFrame], y: Year) -> tuple[np.ndarray, np.ndarray]:
        frame = f[table]
        return _within(_d(frame, column), y.start, y.end), np.full(len(frame), np.datetime64("NaT"), dtype="datetime64[D]")

    return pick


def _not_nfa(frame: pd.DataFrame) -> np.ndarray:
    return (frame["cine_referral_nfa"].astype(object) == "N").to_numpy()


# Kinds for children looked after come first: they are few, and most are children in need too, so the CIN
# kinds would otherwise take them (a child gets one fault).
KINDS: tuple[tuple[Kind, Picker], ...] = (
    (Kind("born_after_care_started", "ssd_person", "pers_dob", ssda903=("302",), uses=(CLA,)), _born_after_care_started),
    (Kind("episode_ends_before_start", "ssd_cla_episodes", "clae_cla_episode_ceased_date", ssda903=("356",)), _episode_ends_before_start),
    (Kind("episodes_overlap", "ssd_cla_episodes", "clae_cla_episode_ceased_date", ssda903=("501",)), _episodes_overlap),
    (
        Kind("legal_status_not_in_list", "ssd_cla_episodes", "clae_ext_legal_status", ssda903=("144",)),
        _code_in_year("ssd_cla_episodes", "clae_cla_episode_start_date"),
    ),
    (Kind("placement_type_not_in_list", "ssd_cla_placement", "clap_cla_placement_type", ssda903=("146",), uses=(CLA,)), _placement_in_year),
    (Kind("cin_closed_before_referral", "ssd_cin_episodes", "cine_close_date", cin=("8630",)), _closed_before_referral),
    (
        Kind("assessment_before_referral", "ssd_cin_assessments", "cina_assessment_start_date", ("1103",), uses=(CIN,)),
        _assessment_before_referral,
    ),
    (Kind("icpc_before_s47", "ssd_initial_cp_conference", "icpc_icpc_date", ("8615",), uses=("ssd_s47_enquiry",)), _icpc_before_s47),
    (Kind("cp_plan_ends_before_start", "ssd_cp_plans", "cppl_cp_plan_end_date", cin=("8925",)), _plan_ends_before_start),
    (
        Kind("abuse_category_not_in_list", "ssd_cp_plans", "cppl_cp_plan_initial_category", cin=("8905",)),
        _code_in_year("ssd_cp_plans", "cppl_cp_plan_start_date"),
    ),
    (
        Kind("primary_need_not_in_list", "ssd_cin_episodes", "cine_cin_primary_need_code", cin=("8650",)),
        _code_in_year("ssd_cin_episodes", "cine_referral_date", _not_nfa),
    ),
    (Kind("born_41_weeks_after_referral", "ssd_person", "pers_dob", ("8606",), uses=(CIN,)), _born_after_referral),
    (
        Kind("missing_referral_date", "ssd_cin_episodes", "cine_referral_date", check=MISSING_DATE),
        _dated_in_year("ssd_cin_episodes", "cine_referral_date"),
    ),
    (
        Kind("missing_visit_date", "ssd_cla_visits", "clav_cla_visit_date", check=MISSING_DATE),
        _dated_in_year("ssd_cla_visits", "clav_cla_visit_date"),
    ),
    (Kind("duplicate_contact", "ssd_contacts", "cont_contact_id", check=DUPLICATE_ID), _dated_in_year("ssd_contacts", "cont_contact_date")),
)
FAULT_COLUMNS = [
    "faul_fault_id",
    "faul_kind",
    "faul_table",
    "faul_record_id",
    "faul_person_id",
    "faul_field",
    "faul_year",
    "faul_cin_rules",
    "faul_903_rules",
    "faul_check",
]


def _person_column(frame: pd.DataFrame) -> str:
    return next(c for c in frame.columns if c.endswith("person_id"))


def inject(
    rng: np.random.Generator, frames: dict[str, pd.DataFrame], rate: float, end_date: dt.date, batch: int = 0
) -> tuple[dict[str, pd.DataFrame], pd.DataFrame]:
    """The frames with faults in about `rate` of each kind's eligible records (at least one where any is eligible),
    and one row per fault injected."""
    if rate <= 0:
        return frames, pd.DataFrame(columns=FAULT_COLUMNS)
    year = collection_year(end_date)
    frames = dict(frames)
    taken: set[int] = set()  # persons already given a fault
    records = []
    for kind, picker in KINDS:
        if any(t not in frames or frames[t].empty for t in (kind.table, *kind.uses)):
            continue
        frame = frames[kind.table]
        eligible, new = picker(frames, year)
        persons = frame[_person_column(frame)].to_numpy()
        free = eligible & ~np.isin(persons, list(taken))
        rows = np.flatnonzero(free & (rng.random(len(frame)) < rate))
        if not len(rows) and free.any():  # every kind at least once where a record can take it, even on a tiny LA
            rows = rng.choice(np.flatnonzero(free), 1)
        rows = rows[np.sort(np.unique(persons[rows], return_index=True)[1])]  # one record per child
        if not len(rows):
            continue
        frames[kind.table] = _apply(frame, kind, rows, new)
        taken.update(persons[rows].tolist())
        records.append(_record(kind, frame, rows, year, batch, len(records)))
    table = pd.concat(records, ignore_index=True) if records else pd.DataFrame(columns=FAULT_COLUMNS)
    return frames, table


def _apply(frame: pd.DataFrame, kind: Kind, rows: np.ndarray, new: np.ndarray) -> pd.DataFrame:
    frame = frame.copy()
    if kind.check == DUPLICATE_ID:
        return pd.concat([frame, frame.iloc[rows]], ignore_index=True)
    col = frame[kind.field]
    if pd.api.types.is_datetime64_any_dtype(col.dtype):
        values = col.to_numpy(dtype="datetime64[D]").copy()
        values[rows] = new[rows]
        frame[kind.field] = values.astype(col.dtype)
    else:
        values = col.astype(object).to_numpy().copy()
        values[rows] = new[rows]
        frame[kind.field] = values
    return frame


def _text_ids(frame: pd.DataFrame, column: str, rows: np.ndarray) -> list[str]:
    values = frame[column].to_numpy()[rows]
    if pd.api.types.is_integer_dtype(frame[column].dtype):
        return [f"{id_prefix(column)}{v}" for v in values]
    return [str(v) for v in values]


def _record(kind: Kind, frame: pd.DataFrame, rows: np.ndarray, year: Year, batch: int, part: int) -> pd.DataFrame:
    key = frame.columns[0]  # every synthetic frame starts with its id
    return pd.DataFrame(
        {
            "faul_fault_id": [f"F{batch}-{part}-{i}" for i in range(len(rows))],
            "faul_kind": kind.name,
            "faul_table": kind.table,
            "faul_record_id": _text_ids(frame, key, rows),
            "faul_person_id": _text_ids(frame, _person_column(frame), rows),
            "faul_field": kind.field,
            "faul_year": year.number,
            "faul_cin_rules": ",".join(kind.cin),
            "faul_903_rules": ",".join(kind.ssda903),
            "faul_check": kind.check,
        }
    )
