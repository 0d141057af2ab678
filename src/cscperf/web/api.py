"""The push API: `POST /api/v1/children` with DfE CSC API child records, token-authenticated.

Send `Authorization: Bearer <token>` (tokens from `cscperf users token NAME`, performance or admin
users) and a JSON body that is one child record, a list of them, or `{"children": [...]}`. The
records are loaded in one transaction with the api-json loader, the push is audited, and the latest
period's figures are recomputed in the background (the dashboard shows them within seconds).

A body over the cap (`CSCPERF_MAX_BODY_MB`, default 20 MB; see `cscperf.ingest.limits`) is refused
with 413 as soon as its declared length or the bytes received so far pass the cap, so an oversized
push is never held in memory.
"""

from __future__ import annotations

import json
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response

from cscperf.errors import UserError
from cscperf.ingest.limits import limits
from cscperf.web.app import state
from cscperf.web.live import push_records

MAX_RECORDS = 5000


def _records(body: Any) -> list[dict[str, Any]]:
    if isinstance(body, dict) and isinstance(body.get("children"), list):
        body = body["children"]
    if isinstance(body, dict):
        body = [body]
    if not isinstance(body, list) or not body or not all(isinstance(r, dict) for r in body):
        raise UserError('body: expected a child record, a list of them, or {"children": [...]}')
    if len(body) > MAX_RECORDS:
        raise UserError(f"body: at most {MAX_RECORDS} records per request")
    return body


def _person_ids(records: list[dict[str, Any]]) -> list[str]:
    ids = []
    for r in records:
        child = r.get("Children", r)
        child = child[0] if isinstance(child, list) and len(child) == 1 else child
        pid = child.get("la_child_id") if isinstance(child, dict) else None
        if pid is not None:
            ids.append(str(pid))
    return ids


async def _body(request: Request, cap: int) -> bytes | None:
    """The request body, or None as soon as it is known to be over `cap` bytes (declared or received)."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > cap:
        return None
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > cap:
            return None
        chunks.append(chunk)
    return b"".join(chunks)


def install(app: FastAPI) -> None:
    body_cap = limits().body_bytes  # read at start-up: a bad setting stops the server, not each push

    @app.post("/api/v1/children")
    async def push_children(request: Request) -> Response:
        st = state(request)
        auth = request.headers.get("Authorization", "")
        token = auth[7:].strip() if auth.lower().startswith("bearer ") else ""
        user = st.store.user_for_token(token) if token else None
        if user is None:
            return JSONResponse({"error": "a valid API token is required (Authorization: Bearer ...)"}, status_code=401)
        raw = await _body(request, body_cap)
        if raw is None:
            return JSONResponse({"error": f"body too large (the limit is {body_cap:,} bytes)"}, status_code=413)
        try:
            records = _records(json.loads(raw or b"null"))
        except json.JSONDecodeError as exc:
            return JSONResponse({"error": f"body: not JSON (line {exc.lineno}, column {exc.colno})"}, status_code=400)
        except UserError as exc:
            return JSONResponse({"error": str(exc)}, status_code=400)
        from starlette.concurrency import run_in_threadpool

        try:
            result = await run_in_threadpool(push_records, st.access, records, user.name)
        except UserError as exc:
            return JSONResponse({"error": str(exc)}, status_code=400)
        st.store.audit(user, "push", "/api/v1/children", _person_ids(records))
        st.recomputer.request(result.tables)
        body = {"load_id": result.load_id, "records": result.records, "rejected": result.rejected, "recompute": "queued"}
        return JSONResponse(body, status_code=202)
