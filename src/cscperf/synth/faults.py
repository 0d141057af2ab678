"""Data-quality faults of the kinds case-recording systems produce, for validation work.

In the given share of rows of the main tables: a required date goes missing, an end date falls
before its start, a code is not in the code list, or a row is duplicated with the same id.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from cscperf.synth._util import days

# table: (date that may go missing, (start, end) pair, coded column)
TARGETS: dict[str, tuple[str, tuple[str, str] | None, str | None]] = {
    "ssd_contacts": ("cont_contact_date", ("cont_contact_date", "cont_ext_decision_date"), "cont_ext_outcome"),
    "ssd_cin_episodes": ("cine_referral_date", ("cine_referral_date", "cine_close_date"), "cine_cin_primary_need_code"),
    "ssd_cin_assessments": ("cina_assessment_start_date", ("cina_assessment_start_date", "cina_assessment_auth_date"), None),
    "ssd_s47_enquiry": ("s47e_s47_start_date", ("s47e_s47_start_date", "s47e_s47_end_date"), None),
    "ssd_cp_plans": ("cppl_cp_plan_start_date", ("cppl_cp_plan_start_date", "cppl_cp_plan_end_date"), "cppl_cp_plan_initial_category"),
    "ssd_cin_plans": ("cinp_cin_plan_start_date", ("cinp_cin_plan_start_date", "cinp_cin_plan_end_date"), None),
    "ssd_cla_episodes": (
        "clae_cla_episode_start_date",
        ("clae_cla_episode_start_date", "clae_cla_episode_ceased_date"),
        "clae_cla_episode_ceased_reason",
    ),
    "ssd_cla_placement": (
        "clap_cla_placement_start_date",
        ("clap_cla_placement_start_date", "clap_cla_placement_end_date"),
        "clap_cla_placement_type",
    ),
    "ssd_cla_visits": ("clav_cla_visit_date", None, None),
    "ssd_cp_visits": ("cppv_cp_visit_date", None, None),
    "ssd_cla_reviews": ("clar_cla_review_date", None, "clar_cla_review_participation"),
    "ssd_person": ("pers_dob", None, "pers_ethnicity"),
    "ssd_care_leavers": ("clea_ext_record_date", None, "clea_care_leaver_accommodation"),
    "ssd_involvements": ("invo_involvement_start_date", ("invo_involvement_start_date", "invo_involvement_end_date"), None),
}
UNKNOWN_CODE = "XX9"


def inject(rng: np.random.Generator, table: str, frame: pd.DataFrame, rate: float) -> pd.DataFrame:
    """Return the frame with faults in about `rate` of its rows (spread over the four kinds)."""
    if rate <= 0 or table not in TARGETS or frame.empty:
        return frame
    missing, pair, coded = TARGETS[table]
    frame = frame.copy()
    n = len(frame)
    kind = np.where(rng.random(n) < rate, rng.integers(0, 4, n), -1)
    if (kind == 0).any():
        frame[missing] = np.where(kind == 0, np.datetime64("NaT"), frame[missing].to_numpy(dtype="datetime64[D]"))
    if pair and (kind == 1).any():
        start = frame[pair[0]].to_numpy(dtype="datetime64[D]")
        stop = frame[pair[1]].to_numpy(dtype="datetime64[D]")
        frame[pair[1]] = np.where((kind == 1) & ~np.isnat(stop) & ~np.isnat(start), start - days(rng.integers(1, 60, n)), stop)
    if coded and (kind == 2).any():
        col = frame[coded].astype(object).to_numpy()
        frame[coded] = np.where(kind == 2, UNKNOWN_CODE, col)
    dup = frame[kind == 3]
    return pd.concat([frame, dup], ignore_index=True) if len(dup) else frame
