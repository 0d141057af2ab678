"""Dashboard pages. Each drill-down level has its own URL:

/                                           every indicator as a tile (filter ?area=, ?changed=1: special cause only)
/indicators/{id}                            authority: trend, target, benchmarks, teams, figures, definition
/indicators/{id}/teams/{team}               team: workers (managers and up)
/indicators/{id}/exceptions[?team=&worker=]  the children behind the figure (child level, audited)
/indicators/{id}/exceptions.csv[...]         the same as CSV (child level, audited)
/children/{person}                          a child's timeline (child level, audited)
/permanency, /households/{id}, /adopters/{id}  the permanency service's lists and records (web/permanency_pages.py)
/caseloads                                  workers by team with caseloads; unallocated cases
/returns...                                 the statutory returns (web/returns_pages.py)
"""

from __future__ import annotations

import csv
import datetime as dt
from typing import Any

import pandas as pd
from fastapi import FastAPI, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from cscperf.errors import UserError
from cscperf.files import csv_text
from cscperf.indicators.exceptions import UNIT_PLURALS, list_unit
from cscperf.judge.breaks import SeriesBreak, breaks, within
from cscperf.judge.suppression import SUPPRESSED, format_value, is_small
from cscperf.judge.table import audience_of
from cscperf.report.text import chart_summary
from cscperf.web import data, returns_pages, views
from cscperf.web.app import Forbidden, check_csrf, current_user, render, require, require_children, state
from cscperf.web.store import ROLES, User

EXCEPTION_SORTS = ("person_id", "team", "worker", "start_date", "last_event_date", "due_date", "days_overdue", "status", "reason")


class NotFound(Exception):
    pass


def _indicator(ind_id: str) -> Any:
    ind = views.registry().get(ind_id)
    if ind is None:
        raise NotFound(f"no indicator '{ind_id}'")
    return ind


def _overview(request: Request, user: User) -> tuple[views.Overview, str]:
    """The judged overview for the user's audience, and the cache key of the data and targets it was judged from."""
    st = state(request)
    audience = audience_of(user.role)
    book, book_key = st.targets()
    with st.read() as (cur, fp):
        key = f"{fp.key}|{book_key}"
        return st.cache.get((fp.key, "overview", audience, book_key), lambda: views.overview(cur, book, audience)), key


def _period(request: Request, ov: views.Overview, period: str | None) -> dt.date | None:
    if period:
        try:
            return dt.date.fromisoformat(period)
        except ValueError as exc:
            raise NotFound("bad period") from exc
    return ov.period_end


def install(app: FastAPI) -> None:
    @app.exception_handler(NotFound)
    async def not_found(request: Request, exc: NotFound) -> Response:
        return render(request, "error.html", {"title": "Not found", "message": str(exc)}, 404)

    @app.get("/", response_class=HTMLResponse)
    def home(request: Request, area: str = "", changed: str = "") -> Response:
        user = current_user(request)
        ov, _ = _overview(request, user)
        tiles = views.shown_tiles(ov, area, changed == "1")
        context = {
            "ov": ov,
            "tiles": tiles,
            "area": area,
            "changed": changed == "1",
            "areas": views.areas(),
            "suppress": user.role == "member",
        }
        return render(request, "home.html", context)

    @app.get("/fragments/as-at", response_class=HTMLResponse)
    def as_at(request: Request, seen: str = "") -> Response:
        current_user(request)
        st = state(request)
        with st.read() as (cur, fp):
            last = data.last_load(cur)
        response = render(request, "_as_at.html", {"fp": fp, "last_load": last, "recomputing": st.recomputer.busy})
        if seen and seen != fp.key:
            response.headers["HX-Trigger"] = "data-changed"
        return response

    @app.get("/fragments/tiles", response_class=HTMLResponse)
    def tiles_fragment(request: Request, area: str = "", changed: str = "") -> Response:
        user = current_user(request)
        ov, _ = _overview(request, user)
        tiles = views.shown_tiles(ov, area, changed == "1")
        return render(request, "_tiles.html", {"ov": ov, "tiles": tiles, "suppress": user.role == "member"})

    @app.get("/indicators/{ind_id}", response_class=HTMLResponse)
    def indicator(request: Request, ind_id: str, basis: str = "", period: str = "") -> Response:
        user = current_user(request)
        ind = _indicator(ind_id)
        ov, key = _overview(request, user)
        tile = ov.tile(ind.id)
        judged_basis = tile.fig.basis if tile else ind.rag_basis
        basis = basis if basis in ind.bases else judged_basis
        end = _period(request, ov, period)
        suppress = user.role == "member"
        frame = views.series(ov, ind, basis) if ov.judged is not None else pd.DataFrame(columns=views.CHART_COLUMNS)
        teams: list[views.BreakdownRow] = []
        if end and not suppress and "team" in ind.breakdowns:
            teams = _breakdown(request, key, ind, basis, end, "team")
        st = state(request)
        with st.read() as (cur, fp_now):
            found = _breaks(st, cur, fp_now, ind.id, basis, frame)
        return render(
            request,
            "indicator.html",
            {
                "ind": ind,
                "basis": basis,
                "breaks": found,
                "judged_basis": judged_basis,
                "period": end,
                "points": frame[frame["basis"] == basis].sort_values("period_end", ascending=False).to_dict("records"),
                "tile": tile,
                "teams": teams,
                "suppress": suppress,
                "chart": _trend_json(request, key, ind, basis, audience_of(user.role), frame, tile, found),
                "chart_summary": chart_summary(ind.name, ind.unit, frame, basis),
                "team_chart": views.spec_json(views.bars_spec(ind, teams, "By team")) if teams else None,
                "area_name": views.areas().get(ind.area, ind.area),
                "unit_plural": UNIT_PLURALS[list_unit(ind.id)],
                "ov": ov,
                "basis_labels": views.BASIS_LABELS,
            },
        )

    @app.get("/indicators/{ind_id}/teams/{team_id}", response_class=HTMLResponse)
    def team(request: Request, ind_id: str, team_id: str, basis: str = "", period: str = "") -> Response:
        user = require(request, "manager", "performance", "admin")
        ind = _indicator(ind_id)
        ov, key = _overview(request, user)
        tile = ov.tile(ind.id)
        basis = basis if basis in ind.bases else (tile.fig.basis if tile else ind.rag_basis)
        end = _period(request, ov, period)
        st = state(request)
        with st.read() as (cur, fp):
            names = _names(st, cur, fp)["teams"]
            if team_id not in names and team_id != "unallocated":
                raise NotFound(f"no team '{team_id}'")
            members = _names(st, cur, fp)["members"].get(team_id, set())
        team_rows = _breakdown(request, key, ind, basis, end, "team")
        workers = [w for w in _breakdown(request, key, ind, basis, end, "worker") if w.key in members]
        team_row = next((r for r in team_rows if r.key == team_id), None)
        return render(
            request,
            "team.html",
            {
                "ind": ind,
                "basis": basis,
                "period": end,
                "team_id": team_id,
                "team_name": names.get(team_id, team_id),
                "team_row": team_row,
                "workers": workers,
                "may_see_children": user.may_see_team(team_id),
                "chart": views.spec_json(views.bars_spec(ind, workers, "By worker")) if workers else None,
                "basis_labels": views.BASIS_LABELS,
            },
        )

    @app.get("/indicators/{ind_id}/exceptions", response_class=HTMLResponse)
    def exceptions(
        request: Request, ind_id: str, team: str = "", worker: str = "", period: str = "", sort: str = "days_overdue", dir: str = "desc"
    ) -> Response:
        user = require_children(request)
        ind = _indicator(ind_id)
        frame, end, names = _exception_list(request, user, ind, team, worker, period)
        frame = _sorted(frame, sort, dir)
        state(request).store.audit(user, "view", str(request.url.path) + _query(request), frame.person_id)
        return render(
            request,
            "exceptions.html",
            {
                "ind": ind,
                "period": end,
                "rows": frame.to_dict("records"),
                "team": team,
                "worker": worker,
                "team_name": names["teams"].get(team, team),
                "worker_name": names["workers"].get(worker, worker),
                "sort": sort,
                "dir": dir,
                "columns": EXCEPTION_SORTS,
                "query": _query(request),
                "unit": list_unit(ind.id),
                "unit_path": data.UNIT_PATHS[list_unit(ind.id)],
                "unit_plural": UNIT_PLURALS[list_unit(ind.id)],
            },
        )

    @app.get("/indicators/{ind_id}/exceptions.csv")
    def exceptions_csv(
        request: Request, ind_id: str, team: str = "", worker: str = "", period: str = "", sort: str = "days_overdue", dir: str = "desc"
    ) -> Response:
        user = require_children(request)
        ind = _indicator(ind_id)
        frame, end, _ = _exception_list(request, user, ind, team, worker, period)
        frame = _sorted(frame, sort, dir)
        state(request).store.audit(user, "export", str(request.url.path) + _query(request), frame.person_id)
        text = csv_text(frame.drop(columns=["team", "worker"]), quoting=csv.QUOTE_MINIMAL)
        filename = f"{ind.id}-{end}-exceptions.csv"
        return Response(text, media_type="text/csv", headers={"Content-Disposition": f'attachment; filename="{filename}"'})

    @app.get("/children/{person_id}", response_class=HTMLResponse)
    def child(request: Request, person_id: str) -> Response:
        user = require_children(request)
        ov, _ = _overview(request, user)
        on = ov.period_end or dt.date.today()
        st = state(request)
        with st.read() as (cur, _fp):
            who = data.child(cur, person_id, on)
            if who is None:
                # Same answer as for a child of another team, so ids cannot be probed.
                raise Forbidden() if user.role == "manager" else NotFound("no such child")
            if not user.all_teams and not any(user.may_see_team(t) for t in who.teams):
                raise Forbidden()
            events = data.timeline(cur, person_id)
            names = _names(st, cur, _fp)["teams"]
            issues = returns_pages.child_issues(cur, person_id)
        st.store.audit(user, "view", str(request.url.path), [person_id])
        age = _age(who.dob, on)
        context = {"child": who, "age": age, "on": on, "events": events.to_dict("records"), "issues": issues}
        return render(request, "child.html", {**context, "team_names": [names.get(t, t) for t in who.teams]})

    @app.get("/caseloads", response_class=HTMLResponse)
    def caseloads(request: Request) -> Response:
        user = current_user(request)
        ov, _ = _overview(request, user)
        on = ov.period_end or dt.date.today()
        st = state(request)
        with st.read() as (cur, fp):
            names = _names(st, cur, fp)["teams"]
            teams = st.cache.get((fp.key, "caseloads", on), lambda: _team_caseloads(data.caseloads(cur, on), names))
        show_workers = user.role != "member"
        unallocated = ov.tile("unallocated_cases")
        return render(
            request,
            "caseloads.html",
            {
                "on": on,
                "teams": [{**t, "shown": _caseload_cells(t, not show_workers)} for t in teams],
                "show_workers": show_workers,
                "unallocated_total": unallocated.fig.display if unallocated else "–",
                "sees_children": user.sees_children,
            },
        )

    @app.get("/loads", response_class=HTMLResponse)
    def loads(request: Request) -> Response:
        require(request, "performance", "admin")
        st = state(request)
        with st.read() as (cur, fp):
            frame = data.loads(cur)
        return render(request, "loads.html", {"loads": frame.to_dict("records"), "fp": fp, "recomputer": st.recomputer})

    @app.get("/targets", response_class=HTMLResponse)
    def targets(request: Request) -> Response:
        user = require(request, "performance", "admin")
        ov, _ = _overview(request, user)
        book, _ = state(request).targets()
        on = ov.period_end or dt.date.today()
        rows = [(ind, book.at(ind.id, on)) for ind in views.registry().values()]
        return render(request, "targets.html", {"rows": rows, "on": on})

    @app.get("/admin/users", response_class=HTMLResponse)
    def users(request: Request, message: str = "") -> Response:
        require(request, "admin")
        return render(request, "users.html", {"users": state(request).store.list_users(), "roles": ROLES, "message": message})

    @app.post("/admin/users")
    def add_user(
        request: Request,
        name: str = Form(""),
        role: str = Form(""),
        teams: str = Form(""),
        password: str = Form(""),
        csrf_token: str = Form(""),
    ) -> Response:
        require(request, "admin")
        check_csrf(request, csrf_token)
        try:
            state(request).store.add_user(name, role, password, [t.strip() for t in teams.split(",") if t.strip()])
        except UserError as exc:
            return render(request, "users.html", {"users": state(request).store.list_users(), "roles": ROLES, "message": str(exc)}, 400)
        return RedirectResponse("/admin/users?message=added", status_code=303)

    @app.post("/admin/users/{name}/remove")
    def remove_user(request: Request, name: str, csrf_token: str = Form("")) -> Response:
        admin = require(request, "admin")
        check_csrf(request, csrf_token)
        if name == admin.name:
            return render(
                request,
                "users.html",
                {"users": state(request).store.list_users(), "roles": ROLES, "message": "you cannot remove yourself"},
                400,
            )
        try:
            state(request).store.remove_user(name)
        except UserError as exc:
            raise NotFound(str(exc)) from exc
        return RedirectResponse("/admin/users?message=removed", status_code=303)

    @app.get("/admin/audit", response_class=HTMLResponse)
    def audit(request: Request, user: str = "") -> Response:
        require(request, "admin")
        rows = state(request).store.audit_rows(user=user or None, limit=500)
        return render(request, "audit.html", {"rows": rows, "who": user})


# --- helpers -------------------------------------------------------------------------------------
def _query(request: Request) -> str:
    return f"?{request.url.query}" if request.url.query else ""


def _exception_list(request: Request, user: User, ind: Any, team: str, worker: str, period: str) -> tuple[pd.DataFrame, dt.date, dict]:
    """The exception rows a user may see, filtered to a team or worker; managers only ever get their own teams."""
    if not ind.practice:
        raise NotFound(f"'{ind.id}' has no child-level list")
    if team and not user.may_see_team(team):
        raise Forbidden()
    ov, _ = _overview(request, user)
    end = _period(request, ov, period)
    if end is None:
        raise NotFound("no figures computed yet")
    st = state(request)
    with st.read() as (cur, fp):
        frame = st.cache.get((fp.key, "exceptions", ind.id, end), lambda: _exceptions(cur, ind.id, end))
        names = _names(st, cur, fp)
    if worker:
        frame = frame[frame.worker_id.astype(str) == worker]
        if not user.all_teams and not frame.team_id.isin(user.teams).all():
            raise Forbidden()
    if team:
        frame = frame[frame.team_id.astype(str) == team]
    if not user.all_teams:
        frame = frame[frame.team_id.isin(user.teams)]
    frame = frame.assign(
        team=frame.team_id.map(lambda t: names["teams"].get(str(t), t) if t is not None else "unallocated"),
        worker=frame.worker_id.map(lambda w: names["workers"].get(str(w), w) if w is not None else ""),
    )
    return frame, end, names


def _names(st: Any, cur: Any, fp: Any) -> dict[str, Any]:
    """Team and worker names, and each team's workers, once per data fingerprint."""

    def make() -> dict[str, Any]:
        w = data.workers(cur)
        members: dict[str, set[str]] = {}
        for worker_id, team_id in zip(w.worker_id.astype(str), w.team_id, strict=True):
            members.setdefault(str(team_id), set()).add(worker_id)
        return {
            "teams": data.team_names(cur),
            "workers": dict(zip(w.worker_id.astype(str), w.worker_name.astype(str), strict=True)),
            "members": members,
        }

    return st.cache.get((fp.key, "names"), make)


def _trend_json(
    request: Request, key: str, ind: Any, basis: str, audience: str, frame: pd.DataFrame, tile: Any, found: list[SeriesBreak]
) -> str:
    # The members' chart differs only when a point is actually suppressed: otherwise share management's cached spec.
    hides = audience == "members" and bool(frame["suppressed"].astype(bool).any()) if "suppressed" in frame else False
    # Laney's P′ also leaves out months whose parts alone are hidden from members: their limits may differ then too.
    hides = hides or (audience == "members" and tile is not None and tile.fig.spc is not None and tile.fig.spc.method == "laney")
    cache_key = (key, "trend", ind.id, basis, "members" if hides else "management")
    fig = tile.fig if tile else None
    return state(request).cache.get(cache_key, lambda: views.spec_json(views.trend_spec(ind, frame, basis, fig, found)))


def _breakdown(request: Request, key: str, ind: Any, basis: str, end: dt.date, kind: str) -> list[views.BreakdownRow]:
    """Team or worker figures for management views, cached per data and targets."""
    st = state(request)
    book, _ = st.targets()
    with st.read() as (cur, _fp):
        return st.cache.get((key, kind, ind.id, basis, end), lambda: views.breakdown(cur, ind, basis, end, kind, book))


def _breaks(st: Any, cur: Any, fp: Any, ind_id: str, basis: str, frame: pd.DataFrame) -> list[SeriesBreak]:
    """The breaks in series within the charted figures (cscperf.judge.breaks), once per data fingerprint."""
    ends = frame.loc[frame["basis"] == basis, "period_end"] if not frame.empty else frame.get("period_end", [])
    if len(ends) == 0:
        return []
    found = st.cache.get((fp.key, "breaks", ind_id, basis), lambda: breaks(ind_id, cur, basis))
    return within(found, min(ends), max(ends))


def _exceptions(cur: Any, ind_id: str, end: dt.date) -> pd.DataFrame:
    from cscperf.indicators.exceptions import exceptions

    frame = exceptions(cur, ind_id, end)
    # Missing values as None (not NaN), so pages show blanks and filters compare cleanly.
    for col in ("team_id", "worker_id", "person_id", "event_id", "status", "reason", "start_date", "last_event_date", "due_date"):
        frame[col] = frame[col].astype(object).where(frame[col].notna(), None)
    return frame


def _sorted(frame: pd.DataFrame, sort: str, direction: str) -> pd.DataFrame:
    if sort not in EXCEPTION_SORTS:
        sort = "days_overdue"
    return frame.sort_values([sort, "person_id"], ascending=[direction == "asc", True], na_position="last", kind="stable")


def _age(dob: dt.date | None, on: dt.date) -> int | None:
    if dob is None:
        return None
    return on.year - dob.year - ((on.month, on.day) < (dob.month, dob.day))


def _team_caseloads(frame: pd.DataFrame, names: dict[str, str]) -> list[dict[str, Any]]:
    """Per team: workers in post, different children allocated, and the average and highest caseload of the
    workers holding cases (`holding`, the number the average is taken over)."""
    teams = []
    for team_id, group in frame.groupby(frame.team_id.fillna("(no team)"), sort=True):
        holding = group[group.caseload > 0]
        teams.append(
            {
                "team_id": team_id,
                "name": names.get(str(team_id), str(team_id)),
                "workers": group.to_dict("records"),
                "headcount": len(group),
                "holding": len(holding),
                "children": int(group.team_children.max()) if len(group) else 0,
                "average": float(holding.caseload.mean()) if len(holding) else None,
                "max": int(group.caseload.max()) if len(group) else 0,
            }
        )
    return teams


def _caseload_cells(team: dict[str, Any], suppress: bool) -> dict[str, str]:
    """A team's children, average and highest caseload as shown. For members, the judge's primary suppression
    (cscperf.judge.suppression): 1-5 children is `c`, and so are an average and a maximum taken over 1-5
    children or 1-5 workers holding cases (so a small count cannot be worked back from them)."""
    small_children = is_small(team["children"])
    hide_spread = suppress and (small_children or is_small(team["holding"]))
    return {
        "children": SUPPRESSED if suppress and small_children else format_value(team["children"], "count"),
        "average": SUPPRESSED if hide_spread and team["average"] is not None else format_value(team["average"], "average"),
        "max": SUPPRESSED if hide_spread else format_value(team["max"], "count"),
    }
