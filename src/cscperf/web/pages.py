"""Dashboard pages. Each drill-down level has its own URL:

/                                           every indicator as a tile (filter ?area=)
/indicators/{id}                            authority: trend, target, benchmarks, teams, figures, definition
/indicators/{id}/teams/{team}               team: workers (managers and up)
/indicators/{id}/exceptions[?team=&worker=]  the children behind the figure (child level, audited)
/indicators/{id}/exceptions.csv[...]         the same as CSV (child level, audited)
/children/{person}                          a child's timeline (child level, audited)
/caseloads                                  workers by team with caseloads; unallocated cases
"""

from __future__ import annotations

import csv
import datetime as dt
from typing import Any

import duckdb
import pandas as pd
from fastapi import FastAPI, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from cscperf.errors import UserError
from cscperf.files import csv_text
from cscperf.web import data, judging, views
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


def _overview(request: Request) -> tuple[views.Overview, Any]:
    st = state(request)
    with st.read() as (cur, fp):
        return st.cache.get((fp.key, "overview"), lambda: views.overview(cur)), fp


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
    def home(request: Request, area: str = "") -> Response:
        user = current_user(request)
        ov, fp = _overview(request)
        tiles = [t for t in ov.tiles if not area or t.ind.area == area]
        return render(
            request,
            "home.html",
            {"ov": ov, "tiles": tiles, "area": area, "areas": views.areas(), "suppress": user.role == "member", "fp": fp},
        )

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
    def tiles_fragment(request: Request, area: str = "") -> Response:
        user = current_user(request)
        ov, fp = _overview(request)
        tiles = [t for t in ov.tiles if not area or t.ind.area == area]
        return render(request, "_tiles.html", {"ov": ov, "tiles": tiles, "suppress": user.role == "member"})

    @app.get("/indicators/{ind_id}", response_class=HTMLResponse)
    def indicator(request: Request, ind_id: str, basis: str = "", period: str = "") -> Response:
        user = current_user(request)
        ind = _indicator(ind_id)
        basis = basis if basis in ind.bases else ind.rag_basis
        ov, fp = _overview(request)
        end = _period(request, ov, period)
        points = ov.series.get((ind.id, basis), [])
        tile = next((t for t in ov.tiles if t.ind.id == ind.id), None)
        suppress = user.role == "member"
        teams: list[views.BreakdownRow] = []
        if end and not suppress and "team" in ind.breakdowns:
            st = state(request)
            with st.read() as (cur, fp):
                teams = st.cache.get((fp.key, "teams", ind.id, basis, end), lambda: views.breakdown(cur, ind, basis, end, "team"))
        return render(
            request,
            "indicator.html",
            {
                "ind": ind,
                "basis": basis,
                "period": end,
                "points": points,
                "tile": tile,
                "teams": teams,
                "suppress": suppress,
                "chart": _trend_json(request, fp, ind, ov, basis, suppress, tile),
                "team_chart": views.spec_json(views.bars_spec(ind, teams, "By team")) if teams else None,
                "area_name": views.areas().get(ind.area, ind.area),
                "ov": ov,
                "display": judging.display,
                "basis_labels": views.BASIS_LABELS,
            },
        )

    @app.get("/indicators/{ind_id}/teams/{team_id}", response_class=HTMLResponse)
    def team(request: Request, ind_id: str, team_id: str, basis: str = "", period: str = "") -> Response:
        require(request, "manager", "performance", "admin")
        user = current_user(request)
        ind = _indicator(ind_id)
        basis = basis if basis in ind.bases else ind.rag_basis
        ov, _ = _overview(request)
        end = _period(request, ov, period)
        st = state(request)
        with st.read() as (cur, fp):
            names = _names(st, cur, fp)["teams"]
            if team_id not in names and team_id != "unallocated":
                raise NotFound(f"no team '{team_id}'")
            team_rows = st.cache.get((fp.key, "teams", ind.id, basis, end), lambda: views.breakdown(cur, ind, basis, end, "team"))
            all_workers = st.cache.get((fp.key, "workers", ind.id, basis, end), lambda: views.breakdown(cur, ind, basis, end, "worker"))
            members = _names(st, cur, fp)["members"].get(team_id, set())
            workers = [w for w in all_workers if w.key in members]
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
                "display": judging.display,
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
        ov, _ = _overview(request)
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
        st.store.audit(user, "view", str(request.url.path), [person_id])
        age = _age(who.dob, on)
        return render(
            request,
            "child.html",
            {"child": who, "age": age, "on": on, "events": events.to_dict("records"), "team_names": [names.get(t, t) for t in who.teams]},
        )

    @app.get("/caseloads", response_class=HTMLResponse)
    def caseloads(request: Request) -> Response:
        user = current_user(request)
        ov, _ = _overview(request)
        on = ov.period_end or dt.date.today()
        st = state(request)
        with st.read() as (cur, fp):
            names = _names(st, cur, fp)["teams"]
            teams = st.cache.get((fp.key, "caseloads", on), lambda: _team_caseloads(data.caseloads(cur, on), names))
            unalloc = _unallocated(cur, on)
        show_workers = user.role != "member"
        unalloc_total = unalloc.get("__la__")
        return render(
            request,
            "caseloads.html",
            {
                "on": on,
                "teams": teams,
                "show_workers": show_workers,
                "suppress": not show_workers,
                "unallocated_total": judging.display("count", unalloc_total, unalloc_total, None, not show_workers),
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
        require(request, "performance", "admin")
        ov, _ = _overview(request)
        rows = [(ind, judging.target_for(ind, ov.period_end)) for ind in views.registry().values()]
        return render(request, "targets.html", {"rows": rows, "on": ov.period_end})

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
    ov, _ = _overview(request)
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


def _trend_json(request: Request, fp: Any, ind: Any, ov: views.Overview, basis: str, suppress: bool, tile: Any) -> str:
    # The members' chart differs only when a point is actually suppressed: otherwise share one cached spec.
    hides = suppress and views.any_suppressed(ind, ov.series, basis)
    key = (fp.key, "trend", ind.id, basis, hides)
    return state(request).cache.get(
        key, lambda: views.spec_json(views.trend_spec(ind, ov.series, basis, suppress, tile.benchmark if tile else None))
    )


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


def _unallocated(cur: Any, on: dt.date) -> dict[str, float]:
    """Unallocated cases (key '__la__': the authority) from the stored results."""
    try:
        rows = cur.execute(
            "SELECT breakdown, breakdown_value, value FROM cscperf_results WHERE indicator_id = 'unallocated_cases' AND basis = 'month' "
            "AND period_end = ? AND breakdown IN ('la', 'team')",
            [on],
        ).fetchall()
    except duckdb.CatalogException:  # no figures computed yet
        return {}
    return {("__la__" if b == "la" else str(v)): float(x) for b, v, x in rows if x is not None}


def _team_caseloads(frame: pd.DataFrame, names: dict[str, str]) -> list[dict[str, Any]]:
    teams = []
    for team_id, group in frame.groupby(frame.team_id.fillna("(no team)"), sort=True):
        holding = group[group.caseload > 0]
        teams.append(
            {
                "team_id": team_id,
                "name": names.get(str(team_id), str(team_id)),
                "workers": group.to_dict("records"),
                "headcount": len(group),
                "children": int(group.caseload.sum()),
                "average": float(holding.caseload.mean()) if len(holding) else None,
                "max": int(group.caseload.max()) if len(group) else 0,
            }
        )
    return teams
