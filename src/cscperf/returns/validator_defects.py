"""Known defects of Data to Insight's SSDA903 validator: records it flags that DfE's published rules accept.

Each defect names the rule, the collection years, the validator version it was found in, why the flagged record is
right, and a test on the written record. An issue becomes a "defect" (shown, explained, not counted as an error and
not blocking sign-off) only when its record passes that test; anything else the validator flags stays an error. A
defect is tied to the validator version it was checked against: a new version re-opens it until it is re-checked.
docs/returns.md explains each one; they are worth reporting to Data to Insight.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

DEFECT = "defect"  # the rule_type of an issue one of these explains
CHECKED_VERSION = "0.1.17"  # csc-validator-be-903, as pinned in requirements-dfe-rules.lock
# Validator tables to the return's CSV files.
FILES = {"Header": "header", "Episodes": "episodes", "SWEpisodes": "sw_episodes", "Missing": "missing", "OC3": "oc3"}

Tables = dict[str, pd.DataFrame]  # the return's CSVs by validator table name, as text


@dataclass(frozen=True)
class Defect:
    rule: str
    years: tuple[int, ...] | None  # collection years (2025 = 2024-25); None for every year
    why: str
    applies: Callable[[Tables, str, int, int], bool]  # (tables, table flagged, row, year) -> one of its false alarms

    def covers(self, rule: str, year: int) -> bool:
        return rule == self.rule and (self.years is None or year in self.years)


def _date(text: object) -> pd.Timestamp:
    return pd.to_datetime(text, format="%d/%m/%Y", errors="coerce")


def _short_break(t: Tables, table: str, row: int, year: int) -> bool:
    return t[table].loc[row, "LS"] in ("V3", "V4")


def _supported_accommodation(t: Tables, table: str, row: int, year: int) -> bool:
    return t[table].loc[row, "PLACE"] == "K3"


def _followed_within_5_days(t: Tables, table: str, row: int, year: int) -> bool:
    sw = t[table]
    end = _date(sw.loc[row, "SW_DEC"])
    starts = _date(sw.loc[sw["CHILD"] == sw.loc[row, "CHILD"], "SW_DECOM"])
    return bool(((starts >= end) & (starts <= end + pd.Timedelta(days=5))).any())


def _still_missing_in_open_episode(t: Tables, table: str, row: int, year: int) -> bool:
    missing, episodes = t[table], t["Episodes"]
    if missing.loc[row, "MIS_END"]:
        return False
    start = _date(missing.loc[row, "MIS_START"])
    own = episodes[episodes["CHILD"] == missing.loc[row, "CHILD"]]
    return bool(((own["DEC"] == "") & (own["DECOM"].map(_date) <= start)).any())


def _aged_20_or_over(t: Tables, table: str, row: int, year: int) -> bool:
    born = _date(t[table].loc[row, "DOB"])
    return bool(born + pd.DateOffset(years=20) <= pd.Timestamp(year, 3, 31))


_OPEN_DEC_OVERWRITTEN = (
    "the validator gives each rule shallow copies of the tables, and rules 165, 365 and 1001 write 31 March into the "
    "DEC of open episodes in place; this rule then reads an episode that has ended while the child is still missing. "
    "The episode is open on 31 March: the child has not ceased to be looked after and the missing period may run on."
)
DEFECTS: tuple[Defect, ...] = (
    Defect(
        "218",
        (2026,),
        "2025-26's rule 218 asks a URN of every episode but P1, P3, R1, R2, R5, T0-T4 and Z11-Z14; a short break "
        "(legal status V3/V4) must have none (rules 214 and 398). The 2024-25 version let them through by accident "
        "(a missing PL_LA read as 'NAN').",
        _short_break,
    ),
    Defect(
        "146",
        (2025,),
        "2024-25's rule 146 lists the new supported-accommodation code as 'k3' in lower case, so K3 never matches.",
        _supported_accommodation,
    ),
    Defect(
        "SW11bSTG2",
        None,
        "the rule compares each social worker episode with the one before it in reverse order, so an episode ending in "
        "the last 5 days of the year is flagged even when the next worker's episode starts within 5 days.",
        _followed_within_5_days,
    ),
    Defect(
        "1001",
        None,
        "the rule drops care leavers aged 20 or over at the year end from its header, meaning not to test them ('we "
        "would not expect to see sufficient episodes in the past 2 years'), and then flags every one of them as not "
        "a relevant or former relevant child.",
        _aged_20_or_over,
    ),
    Defect("575", None, _OPEN_DEC_OVERWRITTEN, _still_missing_in_open_episode),
    Defect("577", None, _OPEN_DEC_OVERWRITTEN, _still_missing_in_open_episode),
)


def find(rule: str, year: int) -> Defect | None:
    return next((d for d in DEFECTS if d.covers(rule, year)), None)


def explanation(rule: str, year: int) -> str | None:
    """Why the validator's `rule` flags records DfE's rules accept in `year` (for the pages and reports)."""
    defect = find(rule, year)
    return defect.why if defect else None


def read_tables(files: Sequence[Path], year: int) -> Tables:
    """The 903 CSVs the validator read (named as cscperf writes them, `episodes_2025.csv`, or plainly, `episodes.csv`),
    by its table names, rows in file order as the validator numbers them."""
    by_stem = {Path(f).stem: Path(f) for f in files}
    found = {table: by_stem.get(f"{name}_{year}", by_stem.get(name)) for table, name in FILES.items()}
    return {table: pd.read_csv(path, dtype=str, keep_default_na=False) for table, path in found.items() if path is not None}


def mark(issues: pd.DataFrame, year: int, tables: Tables, version: str) -> pd.DataFrame:
    """The issues with each error a known defect explains re-typed as DEFECT; nothing changes under another version."""
    if version != CHECKED_VERSION or issues.empty:
        return issues
    out = issues.copy()
    for k, issue in out.iterrows():
        defect = find(issue["rule"], year)
        if issue["rule_type"] == "error" and defect and _explained(defect, tables, issue, year):
            out.loc[k, "rule_type"] = DEFECT
    return out


def _explained(defect: Defect, tables: Tables, issue: pd.Series, year: int) -> bool:
    table = issue["table"]
    if table not in tables or not str(issue["row_id"]).isdigit():
        return False
    return defect.applies(tables, table, int(issue["row_id"]), year)
