"""Known defects of D2I's SSDA903 validator: an issue is re-typed only when its own record shows the false alarm."""

from __future__ import annotations

import pandas as pd

from cscperf.returns import validator_defects as vd
from cscperf.returns.dfe_rules import REPO

EPISODES = pd.DataFrame(
    {
        "CHILD": ["1", "1", "2", "3"],
        "DECOM": ["01/04/2024", "10/01/2025", "01/06/2024", "01/05/2024"],
        "DEC": ["10/01/2025", "", "01/09/2024", ""],
        "LS": ["C2", "V3", "C2", "C2"],
        "PLACE": ["K3", "U1", "H5", "K2"],
    }
)
MISSING = pd.DataFrame(
    {"CHILD": ["1", "2", "3"], "MIS_START": ["29/03/2025", "20/08/2024", "25/03/2025"], "MIS_END": ["", "", "27/03/2025"]}
)
SW = pd.DataFrame(
    {
        "CHILD": ["1", "1", "2"],
        "SW_DECOM": ["01/04/2024", "29/03/2025", "01/04/2024"],
        "SW_DEC": ["28/03/2025", "", "30/03/2025"],
    }
)
TABLES = {"Episodes": EPISODES, "Missing": MISSING, "SWEpisodes": SW}


def issues(*rows: tuple[str, str, int]) -> pd.DataFrame:
    return pd.DataFrame([{"rule": r, "rule_type": "error", "table": t, "row_id": str(i)} for r, t, i in rows])


def test_only_records_that_show_the_defect_are_retyped():
    found = issues(
        ("146", "Episodes", 0),  # K3 in 2024-25: the validator's 'k3'
        ("146", "Episodes", 2),  # H5 is not the defect: stays an error
        ("575", "Missing", 0),  # still missing on 31 March in an open episode (child 1's second)
        ("575", "Missing", 1),  # missing in an episode that ended 01/09/2024 with no end: a real error
        ("577", "Missing", 2),  # has an end: not this defect
        ("SW11bSTG2", "SWEpisodes", 0),  # next worker from 29/03, a day after: the defect
        ("SW11bSTG2", "SWEpisodes", 2),  # nobody follows: a real error
    )
    marked = vd.mark(found, 2025, TABLES, vd.CHECKED_VERSION)
    assert marked["rule_type"].tolist() == ["defect", "error", "defect", "error", "error", "defect", "error"]


def test_a_defect_is_year_bound_and_version_bound():
    k3 = issues(("146", "Episodes", 0))
    assert vd.mark(k3, 2026, TABLES, vd.CHECKED_VERSION)["rule_type"].tolist() == ["error"]  # fixed in 2025-26's list
    assert vd.mark(k3, 2025, TABLES, "0.1.18")["rule_type"].tolist() == ["error"]  # a new version is re-checked first
    short_break = issues(("218", "Episodes", 1))
    assert vd.mark(short_break, 2026, TABLES, vd.CHECKED_VERSION)["rule_type"].tolist() == ["defect"]
    assert vd.explanation("218", 2026) and vd.explanation("218", 2025) is None


def test_every_defect_is_explained_and_pinned_to_the_locked_validator():
    lock = (REPO / "requirements-dfe-rules.lock").read_text()
    assert f"csc-validator-be-903=={vd.CHECKED_VERSION}" in lock
    assert all(len(d.why) > 60 for d in vd.DEFECTS)


def test_rule_1001_is_a_defect_only_for_care_leavers_aged_20_or_over():
    oc3 = pd.DataFrame({"CHILD": ["7", "8"], "DOB": ["31/03/2005", "01/04/2005"]})  # 20 on 31/03/2025; 19 then
    found = issues(("1001", "OC3", 0), ("1001", "OC3", 1))
    marked = vd.mark(found, 2025, {**TABLES, "OC3": oc3}, vd.CHECKED_VERSION)
    assert marked["rule_type"].tolist() == ["defect", "error"]
