"""The permanency service on the dashboard (issue #14): its exception lists and its households' and adopters' records.

/permanency                 the service's exception lists (households, adopters and children overdue or approaching),
                            and the children-in-care volume trigger (T19) month by month
/households/{id}            a fostering household: carers, approvals, places, reviews, visits, allegations, complaints,
                            panel, children placed (audited)
/adopters/{id}              an adoptive household: its journey's stages and its matches (audited)

Access follows the child pages (docs/dashboard.md): members see no records and no lists (area P's figures, suppressed,
are on the home page); a manager sees a household whose supervising social worker's team (fohh_team) is one of
theirs; adopters belong to no team, so only performance and admin see them. Area P's figures drill down to these
pages from their exception lists (`/indicators/{id}/exceptions`).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pandas as pd
from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, Response

from cscperf.indicators.exceptions import UNIT_PLURALS, list_unit
from cscperf.indicators.model import Settings
from cscperf.web import data, pages, views
from cscperf.web.app import Forbidden, render, require_children, state
from cscperf.web.store import User

AREA = "P"
TRIGGER_INDICATOR = "perm_cla_volume_trigger"
# T19 counts children looked after at a month end, short breaks aside: the rule of `cla_open`, whose stored figures
# the trigger's table shows month by month.
CLA_COUNT = "cla_open"
TRIGGER_MONTHS = 13
TRIGGER_MET = 2  # the trigger's figure counts the last two month ends at or above it: met when both are


def install(app: FastAPI) -> None:
    @app.get("/permanency", response_class=HTMLResponse)
    def permanency(request: Request) -> Response:
        user = require_children(request)
        ov, _ = pages._overview(request, user)
        lists = [_list_summary(request, user, ind) for ind in views.registry().values() if ind.area == AREA and ind.practice]
        context = {"ov": ov, "lists": lists, "trigger": _trigger(ov), "threshold": Settings().cla_volume_trigger}
        context["plurals"] = UNIT_PLURALS
        return render(request, "permanency.html", context)

    @app.get("/households/{household_id}", response_class=HTMLResponse)
    def household(request: Request, household_id: str) -> Response:
        user = require_children(request)
        with state(request).read() as (cur, _fp):
            record = data.household(cur, household_id)
        _check(user, record, "no such household")
        return _record_page(request, user, record, "household", f"Fostering household {household_id}")

    @app.get("/adopters/{adopter_id}", response_class=HTMLResponse)
    def adopter(request: Request, adopter_id: str) -> Response:
        user = require_children(request)
        ov, _ = pages._overview(request, user)
        with state(request).read() as (cur, _fp):
            record = data.adopter(cur, adopter_id, ov.period_end or dt.date.today())
        _check(user, record, "no such adopter")
        return _record_page(request, user, record, "adopter", f"Adopters {adopter_id}")


def _check(user: User, record: data.Record | None, missing: str) -> None:
    """The child page's rule: a manager gets the same answer for a record of another team and for none at all, so
    ids cannot be probed."""
    if record is None:
        raise Forbidden() if user.role == "manager" else pages.NotFound(missing)
    if not user.may_see_team(record.team):
        raise Forbidden()


def _record_page(request: Request, user: User, record: data.Record, kind: str, title: str) -> Response:
    state(request).store.audit(user, "view", str(request.url.path), [record.record_id, *record.children()])
    return render(request, "record.html", {"record": record, "kind": kind, "title": title})


def _list_summary(request: Request, user: User, ind: Any) -> dict[str, Any]:
    """A practice indicator's list as the user may see it: how many overdue and approaching (no ids: not audited)."""
    frame, end, _ = pages._exception_list(request, user, ind, "", "", "")
    status = frame["status"].value_counts()
    unit = list_unit(ind.id)
    return {"ind": ind, "unit": unit, "overdue": int(status.get("overdue", 0)), "approaching": int(status.get("approaching", 0))}


def _trigger(ov: views.Overview) -> dict[str, Any] | None:
    """T19: the children looked after at each of the last month ends, and the trigger's figure at the latest."""
    if ov.judged is None:
        return None
    rows = ov.judged.rows_of(CLA_COUNT)
    rows = rows[(rows["breakdown"] == "la") & (rows["basis"] == "month")].sort_values("period_end", ascending=False)
    tile = ov.tile(TRIGGER_INDICATOR)
    months = [(r.period_end, None if pd.isna(r.value) else int(r.value)) for r in rows.head(TRIGGER_MONTHS).itertuples()]
    return {"months": months, "tile": tile, "met": tile is not None and tile.fig.value is not None and tile.fig.value >= TRIGGER_MET}
