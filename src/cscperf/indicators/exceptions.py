"""Child-level exception lists behind practice (⚑) indicators.

A registry entry's exception rule returns one row per child or event with `person_id`, `event_id`,
`start_date`, `last_event_date`, `due_date`, `status` and `reason`; here the allocation at the period
end and days overdue are added, and the columns put in contract order.

A few of the permanency service's lists are not of children (`LIST_UNITS`): their `person_id` is a fostering
household's id, whose team and worker are its supervising social worker's, or an adopter's, who have none.
"""

from __future__ import annotations

import datetime as dt

import duckdb
import ibis
import ibis.expr.types as ir
import pandas as pd

from cscperf.errors import UserError
from cscperf.indicators.model import Model, Settings

EXCEPTION_COLUMNS = [
    "indicator_id",
    "person_id",
    "team_id",
    "worker_id",
    "event_id",
    "start_date",
    "last_event_date",
    "due_date",
    "days_overdue",
    "status",
    "reason",
]


# What a list's `person_id` holds where it is not a child: fostering households (standards T6, T11, T12) and adopters
# (T9, T10).
LIST_UNITS: dict[str, str] = {
    "perm_allegations_notified_72h_pct": "household",
    "perm_carers_no_annual_review": "household",
    "perm_carers_not_visited_6_weeks": "household",
    "perm_adopter_enquiries_same_day_pct": "adopter",
    "perm_adopters_no_placement_1_year": "adopter",
}


UNIT_PLURALS = {"child": "children", "household": "households", "adopter": "adopters"}


def list_unit(indicator_id: str) -> str:
    """'child', 'household' or 'adopter': what the rows of an indicator's exception list are."""
    return LIST_UNITS.get(indicator_id, "child")


def _allocated(model: Model, rows: ir.Table, unit: str) -> ir.Table:
    """Add team_id and worker_id: a child's allocation at the period end; a household's supervising social worker and
    team; none for adopters. Ids of other units are never looked up among children's (they may be the same numbers)."""
    if unit == "child":
        return model.allocated_at(rows)
    if unit == "household":
        h = model.table("ext_fostering_household")
        h = h.select(_hh=h.fohh_household_id, team_id=h.fohh_team, worker_id=h.fohh_worker_id)
        return rows.left_join(h, rows.person_id == h._hh).drop("_hh")
    return rows.mutate(team_id=ibis.null("string"), worker_id=ibis.null("string"))


def exception_rows(
    person_id: ir.Value,
    event_id: ir.Value,
    start_date: ir.Value,
    last_event_date: ir.Value,
    due_date: ir.Value,
    status: ir.Value,
    reason: ir.Value | None = None,
) -> dict[str, ir.Value]:
    """The columns every exception rule selects (a helper so rules read the same)."""
    return {
        "person_id": person_id.cast("string"),
        "event_id": event_id.cast("string"),
        "start_date": start_date.cast("date"),
        "last_event_date": last_event_date.cast("date"),
        "due_date": due_date.cast("date"),
        "status": status.cast("string"),
        "reason": (reason if reason is not None else ibis.null("string")).cast("string"),
    }


def with_status(m: Model, t: ir.Table, due_col: str, period_end: dt.date, approaching_wd: int) -> ir.Table:
    """Add `status`: 'overdue' once a working day has passed since the due date (so a deadline falling just
    before a weekend is not overdue until the next working day, matching "within N working days"), and
    'approaching' when due within the next `approaching_wd` working days."""
    t = m.with_wd(t.mutate(_pe=ibis.literal(period_end)), due_col, "_pe", "_past_due")
    status = ibis.cases(
        (t._past_due > 0, "overdue"),
        (t._past_due >= -approaching_wd, "approaching"),
        else_=ibis.null("string"),
    )
    return t.mutate(status=status).drop("_pe", "_past_due")


def exceptions(con: duckdb.DuckDBPyConnection, indicator_id: str, period_end: dt.date, settings: Settings | None = None) -> pd.DataFrame:
    """The child-level rows behind a practice indicator at a period end."""
    from cscperf.indicators.registry import REGISTRY  # the registry's entries import this module

    ind = REGISTRY.get(indicator_id)
    if ind is None:
        raise UserError(f"unknown indicator '{indicator_id}' (see 'cscperf indicators')")
    if ind.exceptions is None:
        raise UserError(f"indicator '{indicator_id}' has no child-level exception list (only ⚑ indicators do)")
    backend = ibis.duckdb.from_connection(con)
    model = Model(backend, settings)
    rows = ind.exceptions(model, period_end)
    rows = rows.filter(rows.status.notnull()).mutate(ref_date=ibis.literal(period_end))
    rows = _allocated(model, rows, list_unit(indicator_id))
    end = ibis.literal(period_end)
    rows = rows.mutate(
        indicator_id=ibis.literal(indicator_id),
        days_overdue=ibis.cases((rows.status == "overdue", end.delta(rows.due_date, unit="day")), else_=0),
    )
    frame = backend.execute(rows.select(*EXCEPTION_COLUMNS))
    for col in ("start_date", "last_event_date", "due_date"):
        frame[col] = pd.to_datetime(frame[col]).dt.date
    return frame.sort_values(["status", "days_overdue", "person_id"], ascending=[False, False, True], ignore_index=True)
