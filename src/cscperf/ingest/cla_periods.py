"""Periods of care, placements and legal-status spells derived from a child's looked-after episodes.

One home for the SSDA903 sequence rules, used by every loader whose input lists episodes without period ids
(the SSDA903 return and the DfE API child records). DfE, SSDA903 guidance ("Children looked after return:
guide", episode definitions): a period of care starts with an episode whose RNE is S; an episode whose REC is
anything but X1 ends the period, so the next episode starts a new one (and should carry RNE S). An episode with
RNE S, P, B, T or U starts a new placement; RNE L (a change of legal status only) continues the placement.

The input frame has one row per episode with 903 column names: CHILD, DECOM, DEC (dates), RNE, REC, LS, CIN,
PLACE, PLACE_PROVIDER, REASON_PLACE_CHANGE, PL_POST, URN, `_source`, plus the ids the caller chooses:
`episode_id`, and `period_key`, `placement_key`, `legal_key`, the id a period of care, placement or legal-status
spell gets when it starts at that episode.
"""

from __future__ import annotations

import pandas as pd

from cscperf.ingest.core import Issue, Parsed, split_source

NEW_PLACEMENT_RNE = ["S", "P", "B", "T", "U"]
ODD_RNE_RULE = "the previous episode ended the period of care (REC not X1) but RNE is not S; a new period of care was started"


def derive(e: pd.DataFrame, parsed: Parsed) -> dict[str, pd.DataFrame]:
    """Episodes, with periods of care, placements and legal status derived from their sequence.

    Returns the canonical ssd_cla_episodes, ssd_cla_placement and ssd_legal_status frames, plus `_periods`
    (cla_id, CHILD, start, end) and `_episodes` (the sorted input with cla_id, placement_id, legal_id)."""
    e = e.sort_values(["CHILD", "DECOM"], kind="stable").reset_index(drop=True)
    first = e["CHILD"].ne(e["CHILD"].shift())
    prev_rec = e["REC"].shift()
    closed_before = ~first & prev_rec.notna() & prev_rec.ne("X1")
    new_period = first | e["RNE"].eq("S") | closed_before
    odd = closed_before & e["RNE"].ne("S")
    for src, value in zip(e.loc[odd, "_source"], e.loc[odd, "RNE"], strict=True):
        source, location = split_source(src)
        parsed.warnings.append(Issue(source, location, "ssd_cla_episodes", "RNE", str(value), ODD_RNE_RULE))
    e["cla_id"] = e["period_key"].where(new_period).ffill()
    period_start = e.groupby(new_period.cumsum())["DECOM"].transform("first")
    new_placement = new_period | e["RNE"].isin(NEW_PLACEMENT_RNE)
    e["placement_id"] = e["placement_key"].where(new_placement).ffill()
    new_legal = new_period | e["LS"].ne(e["LS"].shift())
    e["legal_id"] = e["legal_key"].where(new_legal).ffill()
    episode_frame = pd.DataFrame(
        {
            "clae_cla_episode_id": e["episode_id"],
            "clae_person_id": e["CHILD"],
            "clae_cla_episode_start_date": e["DECOM"],
            "clae_cla_episode_start_reason": e["RNE"],
            "clae_cla_primary_need_code": e["CIN"],
            "clae_cla_episode_ceased_date": e["DEC"],
            "clae_cla_episode_ceased_reason": e["REC"],
            "clae_cla_id": e["cla_id"],
            "clae_cla_placement_id": e["placement_id"],
            "clae_entered_care_date": period_start,
            "clae_ext_legal_status": e["LS"],
            "_source": e["_source"],
        }
    )
    frames = {"ssd_cla_episodes": episode_frame, "ssd_cla_placement": _placements(e), "ssd_legal_status": _legal(e)}
    return frames | {"_periods": _periods(e), "_episodes": e}


def _ends(e: pd.DataFrame, key: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    """First and last rows of each run of consecutive episodes sharing `key` (raw values, blanks kept)."""
    return e.drop_duplicates(key, keep="first").set_index(key), e.drop_duplicates(key, keep="last").set_index(key)


def _placements(e: pd.DataFrame) -> pd.DataFrame:
    first, last = _ends(e, "placement_id")
    return pd.DataFrame(
        {
            "clap_cla_placement_id": first.index,
            "clap_cla_placement_start_date": first["DECOM"].to_numpy(),
            "clap_cla_placement_type": first["PLACE"].to_numpy(),
            "clap_cla_placement_urn": first["URN"].to_numpy(),
            "clap_cla_id": first["cla_id"].to_numpy(),
            "clap_cla_placement_provider": first["PLACE_PROVIDER"].to_numpy(),
            "clap_cla_placement_postcode": first["PL_POST"].to_numpy(),
            "clap_cla_placement_end_date": last["DEC"].to_numpy(),
            "clap_cla_placement_change_reason": last["REASON_PLACE_CHANGE"].to_numpy(),
            "clap_person_id": first["CHILD"].to_numpy(),
            "_source": first["_source"].to_numpy(),
        }
    )


def _legal(e: pd.DataFrame) -> pd.DataFrame:
    first, last = _ends(e, "legal_id")
    return pd.DataFrame(
        {
            "lega_legal_status_id": first.index,
            "lega_person_id": first["CHILD"].to_numpy(),
            "lega_legal_status": first["LS"].to_numpy(),
            "lega_legal_status_start_date": first["DECOM"].to_numpy(),
            "lega_legal_status_end_date": last["DEC"].to_numpy(),
            "_source": first["_source"].to_numpy(),
        }
    )


def _periods(e: pd.DataFrame) -> pd.DataFrame:
    first, last = _ends(e, "cla_id")
    return pd.DataFrame(
        {"cla_id": first.index, "CHILD": first["CHILD"].to_numpy(), "start": first["DECOM"].to_numpy(), "end": last["DEC"].to_numpy()}
    )


def period_of(frame: pd.DataFrame, date_col: str, periods: pd.DataFrame | None, within: bool) -> pd.Series:
    """The period of care (cla_id) of each row's child whose start is on or before the date (and, if `within`, not ended before it)."""
    if periods is None or periods.empty or frame.empty:
        return pd.Series(None, index=frame.index, dtype=object)
    left = frame[["CHILD", date_col]].reset_index().rename(columns={date_col: "_d"})
    has = left["_d"].notna()
    right = periods.astype({"CHILD": "str"}).sort_values("start")
    matched = pd.merge_asof(
        left[has].astype({"CHILD": "str"}).sort_values("_d"), right, left_on="_d", right_on="start", by="CHILD", direction="backward"
    )
    if within:
        matched.loc[matched["end"].notna() & (matched["_d"] > matched["end"]), "cla_id"] = None
    return matched.set_index("index")["cla_id"].reindex(frame.index)
