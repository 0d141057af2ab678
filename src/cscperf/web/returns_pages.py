"""The dashboard's Returns pages (the year-end workflow of `cscperf returns`, read-only here):

/returns                           performance, admin: every prepared version with its status;
                                   managers: the children of their teams with issues to fix (audited)
/returns/{id}                      a version: status, check, files, comparison with last year, issues by rule
/returns/{id}/rules/{rule}         the children behind one rule, with explanations (child level, audited)
/returns/{id}/files/{name}         a file, checked against its SHA-256 (audited export)

Preparing, explaining and signing off stay on the command line, where each is audited with the
operating-system user; the pages read what `cscperf.returns.workflow` stored.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pandas as pd
from fastapi import FastAPI, Request
from fastapi.responses import FileResponse, HTMLResponse, Response

from cscperf.errors import UserError
from cscperf.returns import validator_defects, workflow
from cscperf.warehouse import results
from cscperf.web import data
from cscperf.web.app import render, require, state

MEDIA_TYPES = {".xml": "application/xml", ".csv": "text/csv", ".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}


class NoReturn(Exception):
    pass


def has_returns(cur: Any) -> bool:
    """A warehouse made before the workflow has no returns tables (the server does not create tables)."""
    return data.has_table(cur, "cscperf_returns")


def child_issues(cur: Any, person_id: str) -> list[dict[str, Any]]:
    """A child's validation issues for the child's page: the latest prepared version of each return, and the last
    `cscperf validate --year` check (the caller has checked the user may see this child)."""
    rows = _records(workflow.child_issues(cur, person_id))
    for r in rows:
        r["label"] = f"{workflow.NAMES[r['kind']]} {workflow.year_label(int(r['year']))}"
    return rows


def install(app: FastAPI) -> None:
    @app.exception_handler(NoReturn)
    async def no_return(request: Request, exc: NoReturn) -> Response:
        return render(request, "error.html", {"title": "Not found", "message": str(exc)}, 404)

    @app.get("/returns", response_class=HTMLResponse)
    def returns(request: Request) -> Response:
        user = require(request, "manager", "performance", "admin")
        st = state(request)
        with st.read() as (cur, _fp):
            ready = has_returns(cur)
            versions = [_version_row(cur, r) for r in workflow.all_returns(cur)] if ready and user.all_teams else []
            on = results.latest_period(cur) or dt.date.today()
            rows = _team_issues(cur, user.teams, on) if ready and not user.all_teams else []
            names = data.team_names(cur)
        if not user.all_teams:
            st.store.audit(user, "view", str(request.url.path), [r["child_id"] for r in rows])
        for r in rows:
            r["team_name"] = names.get(r["team_id"], r["team_id"])
        return render(request, "returns.html", {"versions": versions, "rows": rows, "on": on, "names": workflow.NAMES})

    @app.get("/returns/{rid}", response_class=HTMLResponse)
    def one_return(request: Request, rid: str) -> Response:
        require(request, "performance", "admin")
        with state(request).read() as (cur, _fp):
            found = _get(cur, rid)
            context = {
                "r": found,
                "label": workflow.year_label(found.year),
                "rules": _records(workflow.issue_summary(cur, rid)),
                "files": _records(workflow.files(cur, rid)),
                "file_problems": workflow.verify_files(cur, rid),
            }
        return render(request, "return.html", context)

    @app.get("/returns/{rid}/rules/{rule}", response_class=HTMLResponse)
    def rule_children(request: Request, rid: str, rule: str) -> Response:
        user = require(request, "performance", "admin")
        st = state(request)
        with st.read() as (cur, _fp):
            found = _get(cur, rid)
            rows = workflow.rule_rows(cur, rid, rule)
            summary = workflow.issue_summary(cur, rid)
        about = summary[summary["rule"] == rule]
        if about.empty:
            raise NoReturn(f"return {rid} has no issue for rule {rule}")
        st.store.audit(user, "view", str(request.url.path), [c for c in rows["child_id"] if c])
        context = {"r": found, "label": workflow.year_label(found.year), "rule": about.iloc[0].to_dict(), "rows": _records(rows)}
        if (about["rule_type"] == validator_defects.DEFECT).any():
            context["defect"] = validator_defects.explanation(rule, found.year)
        return render(request, "return_rule.html", context)

    @app.get("/returns/{rid}/files/{name}")
    def download(request: Request, rid: str, name: str) -> Response:
        user = require(request, "performance", "admin")
        st = state(request)
        with st.read() as (cur, _fp):
            _get(cur, rid)
            if name not in set(workflow.files(cur, rid)["file_name"]):
                raise NoReturn(f"return {rid} has no file '{name}'")
            try:
                path = workflow.file_path(cur, rid, name)
            except UserError as exc:
                return render(request, "error.html", {"title": "File not available", "message": str(exc)}, 409)
            children = workflow.children(cur, rid)
        st.store.audit(user, "export", str(request.url.path), children)  # before the file leaves the server
        return FileResponse(path, media_type=MEDIA_TYPES.get(path.suffix, "application/octet-stream"), filename=path.name)


def _get(cur: Any, rid: str) -> workflow.Prepared:
    if not has_returns(cur):
        raise NoReturn("no returns have been prepared yet")
    try:
        return workflow.get(cur, rid)
    except UserError as exc:
        raise NoReturn(f"no prepared return '{rid}'") from exc


def _version_row(cur: Any, r: workflow.Prepared) -> dict[str, Any]:
    summary = workflow.issue_summary(cur, r.return_id)
    errors = summary[summary["rule_type"] == "error"]
    queries = summary[summary["rule_type"] == "query"]
    return {
        "r": r,
        "label": workflow.year_label(r.year),
        "errors": int(errors["issues"].sum()),
        "queries": int(queries["issues"].sum()),
        "unexplained": int(queries["unexplained"].sum()),
    }


def _team_issues(cur: Any, teams: tuple[str, ...], on: dt.date) -> list[dict[str, Any]]:
    """The issues of the children allocated to `teams` on `on` (the dashboard's one visibility rule)."""
    issues = workflow.latest_issues(cur)
    allocated = data.allocated_teams(cur, on)
    mine = allocated[allocated["team_id"].isin(teams)].drop_duplicates("person_id")
    rows = issues.merge(mine, left_on="child_id", right_on="person_id")
    rows["label"] = [f"{workflow.NAMES[k]} {workflow.year_label(y)}" for k, y in zip(rows["kind"], rows["year"], strict=True)]
    return _records(rows)


def _records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    return frame.astype(object).where(frame.notna(), None).to_dict("records")
