"""Section E: children looked after, on hand-built cases worked out in the comments."""

from __future__ import annotations

import datetime as dt
import itertools
import json
from pathlib import Path

import ibis
import pytest

from cscperf.indicators.catalogue import e_looked_after
from cscperf.indicators.model import Model, one_period
from cscperf.ingest import api_json, ssda903
from cscperf.ingest.core import run_load
from tests.indicators.builder import Built, d

NEW_PLACEMENT = ("S", "P", "B", "T", "U")
_pocs = itertools.count(1)

# (start, end, RNE, REC, legal status, placement type, provider)
Episode = tuple[str, str | None, str, str | None, str, str, str]


def care(w: Built, pid: str, episodes: list[Episode], dob: str = "2015-06-01") -> None:
    """A child with 903-style episodes: a new period of care at RNE S and a new placement at RNE S/P/B/T/U (a change
    of legal status only, L, keeps the placement), as the SSDA903 loader derives them."""
    w.child(pid, dob=dob)
    poc = pl = None
    placements: dict[str, dict] = {}
    for start, end, rne, rec, ls, place, provider in episodes:
        if rne == "S":
            poc = f"{pid}-poc{next(_pocs)}"
        if rne in NEW_PLACEMENT:
            pl = f"{poc}-pl-{start}"
            placements[pl] = dict(
                clap_cla_placement_id=pl,
                clap_person_id=pid,
                clap_cla_id=poc,
                clap_cla_placement_start_date=start,
                clap_cla_placement_type=place,
                clap_cla_placement_provider=provider,
            )
        placements[pl]["clap_cla_placement_end_date"] = end
        w.add(
            "ssd_cla_episodes",
            clae_person_id=pid,
            clae_cla_id=poc,
            clae_cla_episode_start_date=start,
            clae_cla_episode_ceased_date=end,
            clae_cla_episode_start_reason=rne,
            clae_cla_episode_ceased_reason=rec,
            clae_ext_legal_status=ls,
            clae_cla_placement_id=pl,
        )
    w.rows("ssd_cla_placement", list(placements.values()))


SSD, SSDA903, API = "ssd", "ssda903", "api-json"
EPISODE_COLS = "CHILD,DECOM,RNE,LS,CIN,PLACE,PLACE_PROVIDER,DEC,REC,REASON_PLACE_CHANGE,HOME_POST,PL_POST,URN"


def _dmy(day: str | None) -> str:
    return d(day).strftime("%d/%m/%Y") if day else ""


def load_cases(w: Built, source: str, folder: Path, cases: dict[str, list[Episode]], reviews: dict[str, list[str]] | None = None) -> None:
    """Children looked after, from SSD rows (`care`), an SSDA903 return (header, episodes, reviews) or DfE API records,
    which their loaders map into the same tables. Every child is born 1 Jun 2015."""
    reviews = reviews or {}
    if source == API:
        assert not reviews, "the API carries no reviews"
        return _load_api(w, folder, cases)
    if source == SSD:
        for pid, episodes in cases.items():
            care(w, pid, episodes)
        for pid, dates in reviews.items():
            for day in dates:
                w.add("ssd_cla_reviews", clar_cla_id=poc_of(w, pid), clar_ext_person_id=pid, clar_cla_review_date=day)
        return
    year = folder / "2023-24"
    year.mkdir(parents=True)
    header = [f"{pid},2,01/06/2015,WBRI,,," for pid in cases]
    (year / "header.csv").write_text("CHILD,SEX,DOB,ETHNIC,UPN,MOTHER,MC_DOB\n" + "\n".join(header) + "\n")
    rows = [
        f"{pid},{_dmy(start)},{rne},{ls},N1,{place},{provider},{_dmy(end)},{rec or ''},,,,"
        for pid, episodes in cases.items()
        for start, end, rne, rec, ls, place, provider in episodes
    ]
    (year / "episodes.csv").write_text(EPISODE_COLS + "\n" + "\n".join(rows) + "\n")
    review_rows = [f"{pid},01/06/2015,{_dmy(day)},PN1" for pid, dates in reviews.items() for day in dates]
    (year / "reviews.csv").write_text("CHILD,DOB,REVIEW,REVIEW_CODE\n" + "\n".join(review_rows) + "\n")
    run_load(w.con, "ssda903", [folder], ssda903.parse)


def _load_api(w: Built, folder: Path, cases: dict[str, list[Episode]]) -> None:
    """DfE API records: a social care episode per period of care, each episode a placement with its RNE and REC (the
    API carries no legal status and no reviews)."""
    records = []
    for pid, episodes in cases.items():
        periods: list[dict] = []
        for k, (start, end, rne, rec, _, place, _) in enumerate(episodes):
            if rne == "S":
                periods.append({"social_care_episode_id": f"{pid}-{start}", "referral_date": start, "child_looked_after_placements": []})
            placement = {"child_looked_after_placement_id": f"{pid}-{k}", "start_date": start, "start_reason": rne, "placement_type": place}
            periods[-1]["child_looked_after_placements"].append(placement | {"end_date": end, "end_reason": rec})
        details = {"sex": "F", "date_of_birth": "2015-06-01", "ethnicity": "WBRI"}
        records.append({"la_code": "874", "Children": {"la_child_id": pid, "child_details": details, "social_care_episodes": periods}})
    (folder / "records.json").write_text(json.dumps(records))
    run_load(w.con, "api-json", [folder / "records.json"], api_json.parse)


def in_care(w: Built, pid: str, start: str, dob: str = "2015-06-01", place: str = "U6", provider: str = "PR1", ls: str = "C2") -> None:
    """A child in one placement from `start`, still looked after."""
    care(w, pid, [(start, None, "S", None, ls, place, provider)], dob=dob)


def poc_of(w: Built, pid: str) -> str:
    return w.con.execute("SELECT max(clae_cla_id) FROM ssd_cla_episodes WHERE clae_person_id = ?", [pid]).fetchone()[0]


# --- numbers in care: open, started, ceased ---------------------------------------------------------


@pytest.fixture(scope="module")
def flows():
    w = Built()
    # c1: ceases 10 Jan 2024 (returned home) and starts again 5 Feb 2024: two periods of care.
    care(w, "c1", [("2023-06-01", "2024-01-10", "S", "E4A", "C2", "U6", "PR1"), ("2024-02-05", None, "S", None, "V2", "U6", "PR1")])
    # c2: one period of care made of three episodes joined by X1 (a change of placement, then of legal status only).
    care(
        w,
        "c2",
        [
            ("2023-03-01", "2023-09-01", "S", "X1", "V2", "U6", "PR1"),
            ("2023-09-01", "2023-12-01", "P", "X1", "V2", "U4", "PR1"),
            ("2023-12-01", None, "L", None, "C2", "U4", "PR1"),
        ],
    )
    # c3: short breaks (V4) only: never counted.
    care(w, "c3", [("2023-11-01", None, "S", None, "V4", "U6", "PR1")])
    # c4: adopted on 31 Jan 2024: not looked after at 31 Jan.
    care(w, "c4", [("2022-05-01", "2024-01-31", "S", "E11", "E1", "A4", "PR1")])
    # c5: starts twice in February (1st and 20th): one starter.
    care(w, "c5", [("2024-02-01", "2024-02-10", "S", "E4B", "V2", "U6", "PR1"), ("2024-02-20", None, "S", None, "V2", "U6", "PR1")])
    # c6: SGO on 29 Feb 2024; started 28 Feb 2023, the day before the rolling year to 29 Feb 2024.
    care(w, "c6", [("2023-02-28", "2024-02-29", "S", "E45", "C2", "U3", "PR1")])
    # c7: ceases twice in the financial year: returned home (Nov), then independent living (Feb).
    care(w, "c7", [("2023-10-01", "2023-11-15", "S", "E13", "V2", "U6", "PR1"), ("2023-12-01", "2024-02-15", "S", "E5", "V2", "P2", "PR1")])
    # c8: a second episode opened while the first was never closed: two open episodes, one child.
    care(w, "c8", [("2023-05-01", None, "S", None, "C2", "U6", "PR1")])
    w.add(
        "ssd_cla_episodes",
        clae_person_id="c8",
        clae_cla_id=poc_of(w, "c8"),
        clae_cla_episode_start_date="2023-08-01",
        clae_cla_episode_start_reason="P",
        clae_ext_legal_status="C2",
    )
    return w


def test_cla_open_counts_each_child_once(flows):
    # 31 Jan 2024: c2, c6, c7 and c8 (two open episodes, counted once). c1 ceased 10 Jan, c3 is on short breaks,
    # c4's episode ends on the period end (so not open then), c5 has not started.
    assert flows.figure("cla_open", "2024-01-31")[0] == 4
    # 10,000 children aged 0-17: the rate per 10,000 equals the count.
    assert flows.figure("cla_open_rate", "2024-01-31") == (4, 10000, 4.0)
    # 29 Feb 2024: c1 (second period), c2, c5 (second period), c8. c6 ceased on 29 Feb, c7 on 15 Feb.
    assert flows.figure("cla_open", "2024-02-29")[0] == 4


def test_cla_started(flows):
    # February: c1 (5 Feb) and c5 (1 and 20 Feb: counted once).
    assert flows.figure("cla_started", "2024-02-29")[0] == 2
    # Rolling 12 months 1 Mar 2023 - 29 Feb 2024: c1 (June and Feb: once), c2 (1 Mar 2023; its X1 chain is one period),
    # c5, c7 (Oct and Dec: once), c8. c3 is short breaks only; c6 started 28 Feb 2023, before the window.
    assert flows.figure("cla_started", "2024-02-29", basis="rolling12")[0] == 5
    # January: no period of care starts (c2's X1 episodes are not starts).
    assert flows.figure("cla_started", "2024-01-31")[0] == 0


def test_cla_ceased_and_reason_groups(flows):
    # January: c1 returned home (E4A, 10 Jan) and c4 adopted (E11, 31 Jan); c2's X1 endings are not ceasings.
    assert flows.figure("cla_ceased", "2024-01-31")[0] == 2
    assert flows.figure("cla_ceased", "2024-01-31", breakdown="reason_group", value="adopted")[0] == 1
    # November: c7 returned home (E13).
    assert flows.figure("cla_ceased", "2023-11-30", breakdown="reason_group", value="returned home")[0] == 1
    # Year to date 1 Apr 2023 - 29 Feb 2024: c1, c4, c5 (E4B), c6 (E45 on 29 Feb) and c7 once, by its last ceasing (E5).
    assert flows.figure("cla_ceased", "2024-02-29", basis="ytd")[0] == 5
    groups = {"returned home": 2, "adopted": 1, "SGO": 1, "independent living": 1}
    for group, expected in groups.items():
        assert flows.figure("cla_ceased", "2024-02-29", basis="ytd", breakdown="reason_group", value=group)[0] == expected


# --- placement stability ----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def stability():
    w = Built()
    # Period end 31 Mar 2024; the 12 months run from 1 Apr 2023.
    # s1: three placements; the first ended on 1 Apr 2023, so it was open at the start of the window.
    care(
        w,
        "s1",
        [
            ("2023-01-01", "2023-04-01", "S", "X1", "C2", "U6", "PR1"),
            ("2023-04-01", "2023-10-01", "P", "X1", "C2", "U6", "PR4"),
            ("2023-10-01", None, "P", None, "C2", "K2", "PR4"),
        ],
    )
    # s2: five episodes but two placements: a holiday (T2, temporary) and the return to the same carer, then a
    # placement ending the day it started (under 24 hours), then a long-term foster placement.
    care(
        w,
        "s2",
        [
            ("2022-06-01", "2023-06-01", "S", "X1", "C2", "U6", "PR1"),
            ("2023-06-01", "2023-06-10", "P", "X1", "C2", "T2", "PR1"),
            ("2023-06-10", "2023-09-01", "P", "X1", "C2", "U6", "PR1"),
            ("2023-09-01", "2023-09-01", "P", "X1", "C2", "U6", "PR4"),
            ("2023-09-01", None, "P", None, "C2", "U4", "PR4"),
        ],
    )
    # s3: foster (open at the window start), a new foster carer, then placed for adoption with that carer (A5, not a
    # change) and a change of legal status only (L, not a placement): two placements.
    care(
        w,
        "s3",
        [
            ("2022-01-01", "2023-05-01", "S", "X1", "C2", "U6", "PR1"),
            ("2023-05-01", "2023-11-01", "P", "X1", "C2", "U4", "PR1"),
            ("2023-11-01", "2024-01-15", "T", "X1", "C2", "A5", "PR1"),
            ("2024-01-15", None, "L", None, "E1", "A5", "PR1"),
        ],
    )
    # s4: three placements across two periods of care (ended June, restarted September).
    care(
        w,
        "s4",
        [
            ("2023-04-15", "2023-06-30", "S", "E4A", "V2", "U6", "PR1"),
            ("2023-09-01", "2023-12-01", "S", "X1", "C2", "U6", "PR1"),
            ("2023-12-01", None, "P", None, "C2", "R1", "PR4"),
        ],
    )
    # s5: short breaks (V3), three stays: excluded.
    care(
        w,
        "s5",
        [
            ("2023-05-01", "2023-05-03", "S", "E8", "V3", "U6", "PR1"),
            ("2023-08-01", "2023-08-03", "S", "E8", "V3", "U6", "PR1"),
            ("2024-03-30", None, "S", None, "V3", "U6", "PR1"),
        ],
    )
    # Long-term stability: under 16 and looked after since at least 1 Oct 2021 (31 Mar 2024 - 30 months + 1 day);
    # the same carer since at least 1 Apr 2022 (31 Mar 2024 - 24 months + 1 day).
    # l1: same carer since 1 Sep 2021; RNE T (becomes long-term) and L do not change the carer: met.
    care(
        w,
        "l1",
        [
            ("2021-09-01", "2022-04-01", "S", "X1", "C2", "U6", "PR1"),
            ("2022-04-01", "2023-01-01", "T", "X1", "C2", "U4", "PR1"),
            ("2023-01-01", None, "L", None, "E1", "U4", "PR1"),
        ],
    )
    # l2: new carer on 2 Apr 2022, one day short of 2 years: not met.
    care(w, "l2", [("2021-06-01", "2022-04-02", "S", "X1", "C2", "U6", "PR1"), ("2022-04-02", None, "P", None, "C2", "U6", "PR4")])
    # l3: placed for adoption with new carers (A6) on 1 Jan 2023; with the placement before it (from 1 Feb 2022): met.
    care(
        w,
        "l3",
        [
            ("2021-01-01", "2022-02-01", "S", "X1", "C2", "U6", "PR1"),
            ("2022-02-01", "2023-01-01", "P", "X1", "C2", "U6", "PR4"),
            ("2023-01-01", None, "P", None, "E1", "A6", "PR1"),
        ],
    )
    # l4: 16 on the period end: excluded. l5: looked after from 2 Oct 2021, a day short of 2.5 years: excluded.
    in_care(w, "l4", "2020-01-01", dob="2008-03-31")
    in_care(w, "l5", "2021-10-02")
    # l6: from 1 Oct 2021 (exactly 2.5 years); a hospital stay (T1) and a return to the same carer: met.
    care(
        w,
        "l6",
        [
            ("2021-10-01", "2023-07-01", "S", "X1", "C2", "U6", "PR1"),
            ("2023-07-01", "2023-07-20", "P", "X1", "C2", "T1", "PR3"),
            ("2023-07-20", None, "P", None, "C2", "U6", "PR1"),
        ],
    )
    return w


def test_three_or_more_placements(stability):
    # Denominator: s1-s4 and l1-l6 (s5 is on short breaks). Placements in the 12 months: s1 3, s2 2 (not 5), s3 2 (not
    # 4), s4 3 (two periods of care), l1-l6 1 each (l6's hospital stay and return are one placement).
    assert stability.figure("cla_3plus_placements_pct", "2024-03-31") == (2, 10, 20.0)


def test_long_term_stability(stability):
    # Denominator: l1, l2, l3, l6 (l4 is 16, l5 a day short, s1-s4 looked after under 2.5 years). Met: l1, l3, l6.
    assert stability.figure("cla_long_term_stability_pct", "2024-03-31") == (3, 4, 75.0)


# --- reviews ----------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def reviews():
    w = Built()

    def review(pid: str, date: str, by_poc: bool = True, cancelled: str | None = None) -> None:
        w.add(
            "ssd_cla_reviews",
            clar_cla_id=poc_of(w, pid) if by_poc else None,
            clar_ext_person_id=pid,
            clar_cla_review_date=date,
            clar_cla_review_cancelled=cancelled,
        )

    # r1, r2 start Thu 2 Nov 2023: the 20th working day is Thu 30 Nov. Both first reviews are on it.
    # r1's second is on 29 Feb 2024 (30 Nov + 3 months, clamped to the leap day): in time. r2's is on 1 Mar: late.
    for pid, second in (("r1", "2024-02-29"), ("r2", "2024-03-01")):
        in_care(w, pid, "2023-11-02")
        review(pid, "2023-11-30")
        review(pid, second)
    # r3 starts Fri 1 Dec 2023: working days skip 25-26 Dec and 1 Jan, so the 20th is Wed 3 Jan 2024 (18 Dec-22 Dec is
    # 15, 27-29 Dec 18, 2-3 Jan 20). Reviewed Thu 4 Jan: day 21, late. A cancelled review on 20 Dec does not count.
    in_care(w, "r3", "2023-12-01")
    review("r3", "2023-12-20", cancelled="Y")
    review("r3", "2024-01-04")
    # r4: a first period of care in 2023 with a review, then a new period from Mon 15 Jan 2024, due on Mon 12 Feb and
    # reviewed that day. Reviews are linked by child only, so the old one must be left out by date.
    care(w, "r4", [("2023-01-02", "2023-06-30", "S", "E4A", "V2", "U6", "PR1"), ("2024-01-15", None, "S", None, "V2", "U6", "PR1")])
    review("r4", "2023-06-01", by_poc=False)
    review("r4", "2024-02-12", by_poc=False)
    # r5 starts Tue 20 Feb 2024: first review due Tue 19 Mar; none held.
    in_care(w, "r5", "2024-02-20")
    # Short breaks: excluded.
    in_care(w, "r6", "2023-06-01", ls="V3")
    # r7 from Tue 4 Jan 2022, first review due Tue 1 Feb 2022, held 10 Feb: late, but more than 12 months before either
    # period end, so it no longer counts. Later reviews are in time: 1 May 2022 (<= 10 May), 20 Oct 2022 (<= 1 Nov),
    # 15 Apr 2023 (<= 20 Apr), 10 Oct 2023 (<= 15 Oct); next due 10 Apr 2024.
    in_care(w, "r7", "2022-01-04")
    for day in ("2022-02-10", "2022-05-01", "2022-10-20", "2023-04-15", "2023-10-10"):
        review("r7", day)
    return w


def test_reviews_in_timescale_29_february(reviews):
    # 29 Feb 2024: r1 in time; r2's second review is not yet late (its limit is 29 Feb); r3 late; r4 in time; r5's
    # first review is not due until 19 Mar (excluded); r7's late review was in 2022.
    assert reviews.figure("cla_reviews_in_timescale_pct", "2024-02-29") == (4, 5, 80.0)


def test_reviews_in_timescale_31_march(reviews):
    # 31 Mar 2024: r1, r4 and r7 in time; r2's second review came a day late; r3 late; r5 overdue since 19 Mar.
    assert reviews.figure("cla_reviews_in_timescale_pct", "2024-03-31") == (3, 6, 50.0)


def test_review_exceptions(reviews):
    rows = reviews.exceptions("cla_reviews_in_timescale_pct", "2024-03-31").set_index("person_id")
    assert rows.loc["r5", "status"] == "overdue"
    assert rows.loc["r5", "due_date"] == d("2024-03-19")
    assert rows.loc["r5", "days_overdue"] == 12
    assert rows.loc["r5", "reason"] == "first review (20 working days)"
    # r3: reviewed 4 Jan, second due 4 Apr, 4 days away: approaching.
    assert (rows.loc["r3", "status"], rows.loc["r3", "due_date"]) == ("approaching", d("2024-04-04"))
    assert rows.loc["r3", "last_event_date"] == d("2024-01-04")
    # r7: due 10 Apr, approaching. r1 (due 29 Aug), r2 (due 1 Sep) and r4 (due 12 May) are not due soon; r6 is on
    # short breaks.
    assert rows.loc["r7", "status"] == "approaching"
    assert set(rows.index) == {"r3", "r5", "r7"}


def test_reviews_late_before_the_12_month_look_back_no_longer_count():
    """The look-back shared with CP reviews (model.late_in_lookback): to 30 Nov 2024 the 12 months run from 1 Dec 2023."""
    w = Built()
    # Both start Mon 7 Aug 2023: first review due on the 20th working day, Tue 5 Sep (28 Aug was a bank holiday).
    # in: first review Fri 1 Sep (in time), second due 1 Dec 2023, held Mon 4 Dec (late, inside the 12 months);
    #     third due 4 Jun 2024, held 3 Jun; next due 3 Dec 2024.
    # out: first review Wed 30 Aug (in time), second due 30 Nov 2023, exactly 12 months before the period end, held Fri
    #     1 Dec (late, a day before the 12 months); third due 1 Jun 2024, held 31 May; next due 30 Nov 2024, the period end.
    for pid, reviews in (("in", ["2023-09-01", "2023-12-04", "2024-06-03"]), ("out", ["2023-08-30", "2023-12-01", "2024-05-31"])):
        in_care(w, pid, "2023-08-07")
        for day in reviews:
            w.add("ssd_cla_reviews", clar_cla_id=poc_of(w, pid), clar_ext_person_id=pid, clar_cla_review_date=day)
    assert w.figure("cla_reviews_in_timescale_pct", "2024-11-30") == (1, 2, 50.0)


# --- visits (regulation 28) -------------------------------------------------------------------------

# v3 and v4: placed 2 Jan 2023, seen every 5-6 weeks, the last on 10 Jan 2024, after the placement's first year.
REGULAR_VISITS = [
    "2023-01-05",
    "2023-02-10",
    "2023-03-20",
    "2023-04-28",
    "2023-06-05",
    "2023-07-14",
    "2023-08-22",
    "2023-10-02",
    "2023-11-10",
    "2023-12-20",
    "2024-01-10",
]


@pytest.fixture(scope="module")
def visits():
    w = Built()

    def visit(pid: str, date: str, seen: str = "Y", reason: str | None = None) -> None:
        w.add("ssd_cla_visits", clav_person_id=pid, clav_cla_visit_date=date, clav_cla_visit_seen=seen, clav_ext_not_seen_reason=reason)

    # v1: placed 1 Mar 2024, seen 8 Mar (within a week), next due 19 Apr: in time.
    in_care(w, "v1", "2024-03-01")
    visit("v1", "2024-03-08")
    # v2: placed 1 Mar 2024, first seen 9 Mar: late.
    in_care(w, "v2", "2024-03-01")
    visit("v2", "2024-03-09")
    # v3: the placement became long-term (U4) with the same carer on 1 Jun 2023 (RNE T: the clock does not restart).
    # After the first year (from 2 Jan 2024) visits may be 3 months apart: next due 10 Apr 2024.
    care(w, "v3", [("2023-01-02", "2023-06-01", "S", "X1", "C2", "U6", "PR1"), ("2023-06-01", None, "T", None, "C2", "U4", "PR1")])
    # v4: the same visits in an ordinary foster placement: 6 weeks apply, due 21 Feb 2024.
    in_care(w, "v4", "2023-01-02")
    for day in REGULAR_VISITS:
        visit("v3", day)
        visit("v4", day)
    visit("v4", "2024-03-01", seen="N", reason="Child refused to see worker")
    # v6: seen regularly, then a new carer on 20 Mar 2024 (RNE P): a visit was due by 27 Mar; none since.
    care(w, "v6", [("2023-06-01", "2024-03-20", "S", "X1", "C2", "U6", "PR1"), ("2024-03-20", None, "P", None, "C2", "U6", "PR4")])
    for day in ("2023-06-05", "2023-07-14", "2023-08-22", "2023-10-02", "2023-11-10", "2023-12-20", "2024-01-30", "2024-03-15"):
        visit("v6", day)
    # Short breaks: excluded.
    in_care(w, "v5", "2024-03-01", ls="V4")
    # v7: placed Tue 4 Jan 2022, first seen 20 Jan 2022 (late, but over 12 months ago), then every 28 days; the last
    # visit by 31 Mar 2024 is 14 Mar 2024 (784 days after 20 Jan 2022), next due 25 Apr: in time.
    in_care(w, "v7", "2022-01-04")
    for k in range(29):
        visit("v7", (d("2022-01-20") + dt.timedelta(days=28 * k)).isoformat())
    w.allocate("v4", "W4", "T2", "2023-01-02")
    return w


def test_cla_visits_in_timescale(visits):
    # 31 Mar 2024: v1, v3 and v7 in time; v2 (first visit late), v4 (6 weeks passed on 21 Feb), v6 (new placement) not.
    assert visits.figure("cla_visits_in_timescale_pct", "2024-03-31") == (3, 6, 50.0)


def test_cla_visit_exceptions(visits):
    rows = visits.exceptions("cla_visits_in_timescale_pct", "2024-03-31").set_index("person_id")
    # v4: last seen 10 Jan, due 21 Feb, 39 days overdue at 31 Mar, with the recorded reason and allocation.
    assert rows.loc["v4", "status"] == "overdue"
    assert (rows.loc["v4", "last_event_date"], rows.loc["v4", "due_date"]) == (d("2024-01-10"), d("2024-02-21"))
    assert rows.loc["v4", "days_overdue"] == 39
    assert rows.loc["v4", "reason"] == "Child refused to see worker"
    assert (rows.loc["v4", "team_id"], rows.loc["v4", "worker_id"]) == ("T2", "W4")
    # v6: no visit since the new placement on 20 Mar: due 27 Mar, 4 days overdue.
    assert (rows.loc["v6", "status"], rows.loc["v6", "due_date"], rows.loc["v6", "days_overdue"]) == ("overdue", d("2024-03-27"), 4)
    # v3: due 10 Apr, within 14 days: approaching. v1 (due 19 Apr), v2 (due 20 Apr) and v7 (due 25 Apr) are not listed.
    assert rows.loc["v3", "status"] == "approaching"
    assert set(rows.index) == {"v3", "v4", "v6"}


# Regulation 28(3)-(5): tighter schedules by placement type and legal status. Period end 31 Mar 2024 unless said.
SCHEDULE_CASES: dict[str, tuple[list[Episode], list[str], list[str]]] = {
    # 28(2), foster care (U6): first visit within 1 week, then at most 6 weeks. b1 from Mon 1 Jan 2024: 5 Jan, 16 Feb
    # (5 Jan + 42 days exactly), 29 Mar (16 Feb + 42, leap February): met, next due 10 May. b2: 17 Feb is 6 weeks and
    # a day: late.
    "b1": ([("2024-01-01", None, "S", None, "C2", "U6", "PR1")], [], ["2024-01-05", "2024-02-16", "2024-03-29"]),
    "b2": ([("2024-01-01", None, "S", None, "C2", "U6", "PR1")], [], ["2024-01-05", "2024-02-17", "2024-03-29"]),
    # 28(4), interim care order at home (P1, C1): weekly until the first review, then at most 4 weeks. pA from Mon 8 Jan
    # 2024, reviewed Fri 2 Feb: 15, 22, 29 Jan (weekly; 29 Jan + 7 = 5 Feb is after the review, so the next is due
    # 29 Jan + 28 = 26 Feb), 26 Feb, 25 Mar (+28): met, next due 22 Apr. pF: 27 Feb is 4 weeks and a day: late.
    "pA": (
        [("2024-01-08", None, "S", None, "C1", "P1", "PR0")],
        ["2024-02-02"],
        ["2024-01-15", "2024-01-22", "2024-01-29", "2024-02-26", "2024-03-25"],
    ),
    "pF": (
        [("2024-01-08", None, "S", None, "C1", "P1", "PR0")],
        ["2024-02-02"],
        ["2024-01-15", "2024-01-22", "2024-01-29", "2024-02-27", "2024-03-25"],
    ),
    # pM: as pA, not seen after 26 Feb: due 25 Mar, overdue (28(2) would allow until 8 Apr).
    "pM": ([("2024-01-08", None, "S", None, "C1", "P1", "PR0")], ["2024-02-02"], ["2024-01-15", "2024-01-22", "2024-01-29", "2024-02-26"]),
    # The probe: pB (P1, C1) from Wed 1 Nov 2023, reviewed 28 Nov, seen 8, 15, 22 Nov then every 6 weeks (3 Jan, 14 Feb,
    # 27 Mar). After 22 Nov the next was due by 20 Dec (4 weeks): late. pC, the same visits in foster care (U6, C2),
    # meets 28(2) (22 Nov + 42 = 3 Jan, + 42 = 14 Feb, + 42 = 27 Mar).
    "pB": (
        [("2023-11-01", None, "S", None, "C1", "P1", "PR0")],
        ["2023-11-28"],
        ["2023-11-08", "2023-11-15", "2023-11-22", "2024-01-03", "2024-02-14", "2024-03-27"],
    ),
    "pC": (
        [("2023-11-01", None, "S", None, "C2", "U6", "PR1")],
        ["2023-11-28"],
        ["2023-11-08", "2023-11-15", "2023-11-22", "2024-01-03", "2024-02-14", "2024-03-27"],
    ),
    # Weekly before the first review (not held by 31 Mar; due Wed 3 Apr after Easter): pD (P1, C1) from Mon 4 Mar seen
    # 11, 18, then 26 Mar (8 days): late. pE seen 11, 18, 25 Mar (7 days each): met, next due Mon 1 Apr.
    "pD": ([("2024-03-04", None, "S", None, "C1", "P1", "PR0")], [], ["2024-03-11", "2024-03-18", "2024-03-26"]),
    "pE": ([("2024-03-04", None, "S", None, "C1", "P1", "PR0")], [], ["2024-03-11", "2024-03-18", "2024-03-25"]),
    # 28(5), care order made at home: pG (P1) under an interim order from 1 Nov 2023 (reviewed 28 Nov; 8, 15, 22 Nov,
    # then 4-weekly 20 Dec, 17 Jan), full care order (C2, RNE L) on Thu 1 Feb 2024: a visit within 1 week of it, by
    # 8 Feb, then 6-weekly: 8 Feb, 21 Mar (+42): met, next due 2 May. pH was seen on 9 Feb, the 8th day: late,
    # although only 23 days after 17 Jan.
    "pG": (
        [("2023-11-01", "2024-02-01", "S", "X1", "C1", "P1", "PR0"), ("2024-02-01", None, "L", None, "C2", "P1", "PR0")],
        ["2023-11-28"],
        ["2023-11-08", "2023-11-15", "2023-11-22", "2023-12-20", "2024-01-17", "2024-02-08", "2024-03-21"],
    ),
    "pH": (
        [("2023-11-01", "2024-02-01", "S", "X1", "C1", "P1", "PR0"), ("2024-02-01", None, "L", None, "C2", "P1", "PR0")],
        ["2023-11-28"],
        ["2023-11-08", "2023-11-15", "2023-11-22", "2023-12-20", "2024-01-17", "2024-02-09", "2024-03-21"],
    ),
    # 28(4), connected person under temporary approval (U3, reg 24): weekly until the first review, then 4-weekly for
    # the first 24 weeks. pJ from Mon 4 Dec 2023, reviewed Fri 22 Dec: 11, 18 Dec, then 15 Jan (18 Dec + 28), 12 Feb,
    # 11 Mar: met, next due 8 Apr. pK: 29 Jan is 6 weeks after 18 Dec: late (due 15 Jan).
    "pJ": (
        [("2023-12-04", None, "S", None, "C1", "U3", "PR1")],
        ["2023-12-22"],
        ["2023-12-11", "2023-12-18", "2024-01-15", "2024-02-12", "2024-03-11"],
    ),
    "pK": ([("2023-12-04", None, "S", None, "C1", "U3", "PR1")], ["2023-12-22"], ["2023-12-11", "2023-12-18", "2024-01-29", "2024-03-11"]),
    # pL (U3) from Mon 2 Oct 2023, reviewed 27 Oct: 9, 16, 23 Oct, then 4-weekly to 11 Mar and 8 Apr. 24 weeks end on
    # 18 Mar 2024 (2 Oct + 168 days): 11 Mar sets a 4-week limit (8 Apr), 8 Apr a 6-week one (28(2): 20 May). Seen
    # 20 May: met at 31 May 2024 (under the 4-week rule 20 May would be late: due 6 May).
    "pL": (
        [("2023-10-02", None, "S", None, "C2", "U3", "PR1")],
        ["2023-10-27"],
        [
            "2023-10-09",
            "2023-10-16",
            "2023-10-23",
            "2023-11-20",
            "2023-12-18",
            "2024-01-15",
            "2024-02-12",
            "2024-03-11",
            "2024-04-08",
            "2024-05-20",
        ],
    ),
}


@pytest.fixture(scope="module", params=[SSD, SSDA903])
def schedules(request, tmp_path_factory):
    """SCHEDULE_CASES with episodes and reviews from SSD rows or an SSDA903 return; visits are SSD rows."""
    w = Built()
    cases = {pid: episodes for pid, (episodes, _, _) in SCHEDULE_CASES.items()}
    reviews = {pid: dates for pid, (_, dates, _) in SCHEDULE_CASES.items() if dates}
    load_cases(w, request.param, tmp_path_factory.mktemp("903"), cases, reviews)
    for pid, (_, _, visits) in SCHEDULE_CASES.items():
        for day in visits:
            w.add("ssd_cla_visits", clav_person_id=pid, clav_cla_visit_date=day, clav_cla_visit_seen="Y")
    return w


def visits_met(w: Built, period_end: str) -> dict[str, bool]:
    """Each child's `met` in cla_visits_in_timescale_pct at a period end."""
    rows = e_looked_after._visits_in_time(Model(ibis.duckdb.from_connection(w.con)), one_period(d(period_end), d(period_end)))
    frame = rows.select("person_id", "met").to_pandas()
    return dict(zip(frame.person_id, frame.met.astype(bool), strict=True))


def test_visit_schedules_at_their_boundaries(schedules):
    met = visits_met(schedules, "2024-03-31")
    expected = {
        "b1": True,  # 6 weeks exactly
        "b2": False,  # 6 weeks and a day
        "pA": True,  # weekly, then 4 weeks after the first review
        "pF": False,  # 4 weeks and a day
        "pM": False,  # 4 weeks passed on 25 Mar
        "pB": False,  # interim care order at home seen 6-weekly
        "pC": True,  # the same visits in foster care
        "pD": False,  # 8 days before the first review
        "pE": True,  # 7 days each
        "pG": True,  # within 1 week of the care order, then 6 weeks
        "pH": False,  # 8 days after the care order
        "pJ": True,  # connected person: weekly, then 4 weeks
        "pK": False,  # connected person seen 6 weeks after the last weekly visit
        "pL": True,
    }
    assert met == expected
    assert schedules.figure("cla_visits_in_timescale_pct", "2024-03-31") == (7, 14, 50.0)
    # After 24 weeks a connected-person placement follows 28(2): pL's 6-week gap 8 Apr - 20 May is in time.
    assert visits_met(schedules, "2024-05-31")["pL"] is True


def test_visit_exceptions_follow_the_same_schedules(schedules):
    rows = schedules.exceptions("cla_visits_in_timescale_pct", "2024-03-31").set_index("person_id")
    # Due by 14 Apr (cla_approaching_days) or overdue: pM (4 weeks after 26 Feb: 25 Mar, 6 days overdue), pD (weekly
    # after 26 Mar: 2 Apr), pE (1 Apr), pJ, pK and pL (4 weeks after 11 Mar: 8 Apr). pB's next is due 24 Apr (4 weeks
    # after 27 Mar), pG's 2 May (6 weeks after 21 Mar under the care order), pA's 22 Apr.
    assert set(rows.index) == {"pD", "pE", "pJ", "pK", "pL", "pM"}
    assert (rows.loc["pM", "status"], rows.loc["pM", "due_date"], rows.loc["pM", "days_overdue"]) == ("overdue", d("2024-03-25"), 6)
    assert (rows.loc["pE", "status"], rows.loc["pE", "due_date"]) == ("approaching", d("2024-04-01"))
    assert rows.loc["pD", "due_date"] == d("2024-04-02")
    assert rows.loc["pK", "due_date"] == d("2024-04-08")


# --- initial health assessments ---------------------------------------------------------------------


@pytest.fixture(scope="module", params=[SSD, SSDA903, API])
def iha(request, tmp_path_factory):
    """Periods of care from SSD rows, an SSDA903 return or DfE API records; health assessments are SSD rows (neither the
    903 nor the API carries IHAs). Child ids are upper case, as the API loader writes them."""
    w = Built()
    c2 = ("C2", "U6", "PR1")

    def stay(start: str, end: str | None = None, rec: str | None = None, ls: str = "C2") -> list[Episode]:
        return [(start, end, "S", rec, ls, "U6", "PR1")]

    cases = {
        # Starting Fri 1 Dec 2023, the 20th working day is Wed 3 Jan 2024, not Fri 29 Dec: 25-26 Dec and 1 Jan are bank
        # holidays. So December's starters fall due in January.
        "I1": stay("2023-12-01"),
        "I2": stay("2023-12-01"),
        # Looked after for only a few days: 4-8 Dec 2023. Excluded.
        "I3": stay("2023-12-04", "2023-12-08", "E4A", "V2"),
        # I4 ended on Tue 2 Jan, the 19th working day, and I5 on Wed 3 Jan, the 20th: both excluded. I12 ended on Thu
        # 4 Jan, the day after its 20th working day: counted.
        "I4": stay("2023-12-01", "2024-01-02", "E4A", "V2"),
        "I5": stay("2023-12-01", "2024-01-03", "E4A", "V2"),
        "I12": stay("2023-12-01", "2024-01-04", "E4A", "V2"),
        # Short breaks: excluded.
        "I6": stay("2023-12-01", ls="V3"),
        # I7 from Wed 10 Jan 2024, due Wed 7 Feb; only a refused IHA.
        "I7": stay("2024-01-10"),
        # I8 from Fri 5 Jan 2024, due Fri 2 Feb; the IHA on Sat 3 Feb is still within 20 working days.
        "I8": stay("2024-01-05"),
        # Month end: I10 from Wed 3 Jan 2024 is due Wed 31 Jan (January); I11 from Thu 4 Jan is due Thu 1 Feb (February).
        "I10": stay("2024-01-03"),
        "I11": stay("2024-01-04"),
        # Easter: from Mon 4 Mar 2024 the 20th working day would be Mon 1 Apr without the bank holidays; Good Friday
        # (29 Mar) and Easter Monday (1 Apr) put it on Wed 3 Apr.
        "I9": [("2024-03-04", "2024-03-20", "S", "X1", *c2), ("2024-03-20", None, "P", None, "C2", "K2", "PR4")],
    }
    if request.param == API:  # the API has no legal status, so short breaks cannot be told apart: I6 is left out
        del cases["I6"]
    load_cases(w, request.param, tmp_path_factory.mktemp(request.param), cases)

    def check(pid: str, date: str, kind: str = "IHA", status: str = "Completed") -> None:
        w.add(
            "ssd_cla_health", clah_person_id=pid, clah_health_check_type=kind, clah_health_check_date=date, clah_health_check_status=status
        )

    check("I1", "2024-01-03")  # day 20: in time
    check("I2", "2024-01-04")  # day 21: late
    check("I12", "2024-01-02")
    check("I7", "2024-01-20", status="Refused")
    check("I8", "2024-02-03")
    check("I10", "2024-01-31")  # day 20
    check("I9", "2024-04-03")  # day 20, after Easter
    return w


def test_iha_counted_in_the_month_it_fell_due(iha):
    # December: nothing fell due (December's starters reach their 20th working day in January).
    assert iha.figure("cla_iha_20wd_pct", "2023-12-31") == (0, 0, None)
    # January: I1 (met), I2 (day 21), I12 (met; left the day after its due date), I10 (met, due 31 Jan). I3, I4 and I5
    # left care on or before their 20th working day; I6 is on short breaks.
    assert iha.figure("cla_iha_20wd_pct", "2024-01-31") == (3, 4, 75.0)
    # February: I7 (refused only: not met), I8 (Saturday after its due Friday: met), I11 (due 1 Feb, none).
    assert iha.figure("cla_iha_20wd_pct", "2024-02-29") == (1, 3, pytest.approx(100 / 3))
    # I9 started in March but fell due in April, after Easter.
    assert iha.figure("cla_iha_20wd_pct", "2024-03-31") == (0, 0, None)
    assert iha.figure("cla_iha_20wd_pct", "2024-04-30") == (1, 1, 100.0)
    # Longer windows are the sum of the months.
    assert iha.figure("cla_iha_20wd_pct", "2024-01-31", basis="ytd") == (3, 4, 75.0)
    assert iha.figure("cla_iha_20wd_pct", "2024-04-30", basis="rolling12") == (5, 8, 62.5)


def test_iha_exceptions(iha):
    rows = iha.exceptions("cla_iha_20wd_pct", "2024-01-31").set_index("person_id")
    # Due within 5 working days: I11 Thu 1 Feb, I8 Fri 2 Feb (its IHA comes after the period end) and I7 Wed 7 Feb.
    # I1, I2 and I10 had an IHA; I4, I5 and I12 left care; I9 has not started.
    assert set(rows.index) == {"I7", "I8", "I11"}
    assert (rows.loc["I7", "status"], rows.loc["I7", "due_date"]) == ("approaching", d("2024-02-07"))
    rows = iha.exceptions("cla_iha_20wd_pct", "2024-02-29").set_index("person_id")
    assert set(rows.index) == {"I7", "I11"}
    assert (rows.loc["I7", "status"], rows.loc["I7", "days_overdue"]) == ("overdue", 22)
    assert (rows.loc["I11", "due_date"], rows.loc["I11", "days_overdue"]) == (d("2024-02-01"), 28)


# --- annual health, dental, immunisations (OC2 cohort) ----------------------------------------------


@pytest.fixture(scope="module")
def oc2():
    w = Built()

    def check(pid: str, date: str, kind: str = "RHA", status: str = "Completed") -> None:
        w.add(
            "ssd_cla_health", clah_person_id=pid, clah_health_check_type=kind, clah_health_check_date=date, clah_health_check_status=status
        )

    def immunised(pid: str, date: str, status: str) -> None:
        w.add("ssd_cla_immunisations", clai_person_id=pid, clai_immunisations_status=status, clai_immunisations_status_date=date)

    # Period end 29 Feb 2024: the 12 months run from 1 Mar 2023; continuously looked after = in care since then.
    in_care(w, "h1", "2023-03-01", dob="2013-05-05")  # from the first day of the 12 months: in the cohort
    check("h1", "2023-09-01")
    check("h1", "2023-03-01", kind="DENTAL")
    immunised("h1", "2023-06-01", "Y")
    in_care(w, "h2", "2023-03-02", dob="2013-05-05")  # a day short: not in the cohort
    check("h2", "2023-09-01")
    # h3, under 5: assessments 31 Aug 2023 and 29 Feb 2024 (31 Aug + 6 months, clamped): met. Immunisations lapsed.
    in_care(w, "h3", "2022-01-01", dob="2021-01-01")
    check("h3", "2023-08-31")
    check("h3", "2024-02-29")
    immunised("h3", "2023-01-01", "Y")
    immunised("h3", "2024-01-15", "N")
    # h4, under 5: 28 Aug 2023 and 29 Feb 2024 are more than 6 months apart (limit 28 Feb); a refused one in
    # between does not count; a refused dental check does not count; no immunisation record.
    in_care(w, "h4", "2022-01-01", dob="2021-01-01")
    check("h4", "2023-08-28")
    check("h4", "2023-12-01", status="Refused")
    check("h4", "2024-02-29")
    check("h4", "2023-10-01", kind="DENTAL", status="Refused")
    # h5: short breaks (V4) until 1 Apr 2023, then a care order: a short-break episode in the 12 months, excluded.
    care(w, "h5", [("2022-01-01", "2023-04-01", "S", "X1", "V4", "U6", "PR1"), ("2023-04-01", None, "L", None, "C2", "U6", "PR1")])
    check("h5", "2023-09-01")
    # h6: left care in June 2023 and came back in July: not continuous.
    care(w, "h6", [("2021-01-01", "2023-06-30", "S", "E4A", "C2", "U6", "PR1"), ("2023-07-15", None, "S", None, "C2", "U6", "PR1")])
    # h7: assessed and dental check on 28 Feb 2023, the day before the 12 months; immunisations up to date.
    in_care(w, "h7", "2020-01-01", dob="2012-01-01")
    check("h7", "2023-02-28")
    check("h7", "2023-02-28", kind="DENTAL")
    immunised("h7", "2022-12-01", "Y")
    return w


def test_annual_health_assessment(oc2):
    # Cohort h1, h3, h4, h7. Met: h1 (one assessment, aged 10), h3 (under 5, two within 6 months).
    assert oc2.figure("cla_health_assessment_pct", "2024-02-29") == (2, 4, 50.0)


def test_dental_check(oc2):
    # Only h1 (on the first day of the 12 months).
    assert oc2.figure("cla_dental_check_pct", "2024-02-29") == (1, 4, 25.0)


def test_immunisations(oc2):
    # h1 and h7 up to date; h3's latest status is N; h4 has none.
    assert oc2.figure("cla_immunisations_pct", "2024-02-29") == (2, 4, 50.0)


# --- personal education plans -----------------------------------------------------------------------


@pytest.fixture(scope="module")
def peps():
    w = Built()

    def pep(pid: str, date: str) -> None:
        w.add("ext_cla_pep", pepr_person_id=pid, pepr_pep_date=date)

    # School year 2023/24: reception to year 11 = born 1 Sep 2007 to 31 Aug 2019.
    in_care(w, "e1", "2023-01-01", dob="2019-08-31")  # reception (youngest)
    pep("e1", "2023-10-01")  # + 6 months = 1 Apr 2024
    in_care(w, "e2", "2023-01-01", dob="2019-09-01")  # nursery: not of school age
    in_care(w, "e3", "2023-01-01", dob="2007-09-01")  # year 11 (oldest)
    pep("e3", "2023-09-29")  # due 29 Mar 2024
    in_care(w, "e4", "2023-01-01", dob="2007-08-31")  # year 12: not of school age
    # e5 in care from Tue 5 Mar 2024: 17 working days by 31 Mar (Good Friday 29 Mar): excluded.
    in_care(w, "e5", "2024-03-05", dob="2012-01-01")
    # e6 from Thu 29 Feb 2024: exactly 20 working days by 31 Mar; no PEP.
    in_care(w, "e6", "2024-02-29", dob="2012-01-01")
    # e7: PEP on 31 Aug 2023, + 6 months = 29 Feb 2024 (clamped).
    in_care(w, "e7", "2022-01-01", dob="2012-01-01")
    pep("e7", "2023-08-31")
    return w


def test_pep_in_date(peps):
    # 31 Mar 2024: e1, e3, e6, e7 in the cohort; only e1's PEP is in date.
    assert peps.figure("cla_pep_pct", "2024-03-31") == (1, 4, 25.0)
    # 29 Feb 2024: e1, e3 and e7 (due that day) in date; e6 has been in care 0 working days, e5 not yet.
    assert peps.figure("cla_pep_pct", "2024-02-29") == (3, 3, 100.0)


def test_pep_exceptions(peps):
    rows = peps.exceptions("cla_pep_pct", "2024-03-31").set_index("person_id")
    assert (rows.loc["e3", "status"], rows.loc["e3", "days_overdue"], rows.loc["e3", "reason"]) == ("overdue", 2, "PEP out of date")
    assert (rows.loc["e7", "due_date"], rows.loc["e7", "days_overdue"]) == (d("2024-02-29"), 31)
    # e6: no PEP, due on the 20th working day in care, Thu 28 Mar.
    assert (rows.loc["e6", "due_date"], rows.loc["e6", "reason"]) == (d("2024-03-28"), "no PEP recorded")
    # e1: due 1 Apr, the day after the period end: approaching.
    assert (rows.loc["e1", "status"], rows.loc["e1", "due_date"]) == ("approaching", d("2024-04-01"))
    assert set(rows.index) == {"e1", "e3", "e6", "e7"}


# --- missing, foster carers, social workers ---------------------------------------------------------


@pytest.fixture(scope="module")
def missing():
    w = Built()

    def went_missing(pid: str, start: str, end: str | None, kind: str = "M") -> None:
        w.add(
            "ssd_missing",
            miss_person_id=pid,
            miss_missing_episode_start_date=start,
            miss_missing_episode_end_date=end,
            miss_missing_episode_type=kind,
        )

    # March 2024.
    in_care(w, "m1", "2023-01-01")
    went_missing("m1", "2024-02-25", "2024-03-02")  # open at the start of March
    went_missing("m1", "2024-03-10", "2024-03-11")
    in_care(w, "m2", "2023-01-01")
    went_missing("m2", "2024-03-10", "2024-03-10", kind="A")  # away, not missing
    care(w, "m3", [("2023-01-01", "2024-03-05", "S", "E4A", "C2", "U6", "PR1")])  # left care in March
    went_missing("m3", "2024-03-03", "2024-03-04")
    w.child("m4")  # never looked after
    went_missing("m4", "2024-03-10", "2024-03-11")
    in_care(w, "m5", "2023-01-01", ls="V3")  # short breaks
    went_missing("m5", "2024-03-10", "2024-03-11")
    in_care(w, "m6", "2023-01-01")
    went_missing("m6", "2024-02-20", "2024-02-28")  # over before March
    in_care(w, "m7", "2024-03-20")
    went_missing("m7", "2024-03-15", "2024-03-16")  # before coming into care

    # Foster placements at 31 Mar 2024.
    in_care(w, "f1", "2023-01-01", place="U6", provider="PR1")
    in_care(w, "f2", "2023-01-01", place="U4", provider="PR4")
    in_care(w, "f3", "2023-01-01", place="U1", provider="PR1")
    in_care(w, "f4", "2023-01-01", place="K2", provider="PR1")  # children's home: not foster
    in_care(w, "f5", "2023-01-01", place="U6", provider="PR1", ls="V4")  # short breaks
    return w


def test_missing(missing):
    # Looked after in March: m1, m2, m3, m6, m7 and f1-f4 (9). Went missing: m1 (open at the start, and again) and
    # m3 (before leaving care). Episodes: m1's two and m3's one.
    assert missing.figure("cla_missing_pct", "2024-03-31") == (2, 9, pytest.approx(200 / 9))
    assert missing.figure("cla_missing_children", "2024-03-31")[0] == 2
    assert missing.figure("cla_missing_episodes", "2024-03-31")[0] == 3
    # February: m1 (from 25 Feb) and m6.
    assert missing.figure("cla_missing_episodes", "2024-02-29")[0] == 2


def test_foster_in_house(missing):
    # Foster placements at 31 Mar 2024: m1, m2, m6, m7, f1, f3 (PR1) and f2 (PR4); f4 is a children's home.
    assert missing.figure("cla_foster_in_house_pct", "2024-03-31") == (6, 7, pytest.approx(600 / 7))


def test_three_or_more_social_workers():
    w = Built()
    for wid, qualified in (("A", "Y"), ("B", "Y"), ("C", "Y"), ("FS", "N")):  # FS: a family support worker
        w.add("ssd_professionals", prof_professional_id=wid, prof_ext_team_id="T1", prof_ext_qualified_flag=qualified)
    for pid in ("w1", "w2", "w3", "w4", "w5", "w6"):
        in_care(w, pid, "2022-01-01")
    # Period end Sun 31 Mar 2024; the 12 months start Sat 1 Apr 2023. An end date is the first day no longer allocated.
    w.allocate("w1", "A", "T1", "2023-01-01", "2023-04-01")  # last allocated 31 Mar 2023, before the 12 months
    w.allocate("w1", "B", "T1", "2023-04-01", "2023-10-01")
    w.allocate("w1", "C", "T1", "2023-10-01")
    w.allocate("w2", "A", "T1", "2023-01-01", "2023-04-02")  # allocated on 1 Apr 2023, the first day: counted
    w.allocate("w2", "B", "T1", "2023-04-02", "2023-10-01")
    w.allocate("w2", "C", "T1", "2023-10-01")
    w.allocate("w3", "A", "T1", "2023-01-01", "2023-06-01")
    w.allocate("w3", "B", "T1", "2023-06-01", "2023-09-01")
    w.allocate("w3", "A", "T1", "2023-09-01")  # the same worker again: two different workers
    w.allocate("w4", "A", "T1", "2023-05-01", "2023-08-01")
    w.allocate("w4", "B", "T1", "2023-08-01")
    w.allocate("w4", "FS", "T1", "2023-09-01")  # not a social worker: two social workers
    w.allocate("w5", "A", "T1", "2023-05-01", "2023-08-01")
    w.allocate("w5", "B", "T1", "2023-08-01", "2024-03-31")
    w.allocate("w5", "C", "T1", "2024-03-31")  # allocated on the period end itself: counted
    w.allocate("w6", "A", "T1", "2023-05-01", "2023-08-01")
    w.allocate("w6", "B", "T1", "2023-08-01")
    w.allocate("w6", "C", "T1", "2023-07-01", "2023-07-01")  # ends the day it starts: allocated on no day
    # Three or more social workers: w2 and w5, of 6 looked after.
    assert w.figure("cla_social_workers_3plus_pct", "2024-03-31") == (2, 6, pytest.approx(100 / 3))
