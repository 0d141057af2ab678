"""The API.

`POST /api/v1/children`: DfE CSC API child records, token-authenticated. Send `Authorization: Bearer
<token>` (tokens from `cscperf users token NAME`, performance or admin users) and a JSON body that is
one child record, a list of them, or `{"children": [...]}`. The records are loaded in one transaction
with the api-json loader, the push is audited, and the latest period's figures are recomputed in the
background (the dashboard shows them within seconds).

`POST /api/v1/permanency`: rows of the permanency service's tables (docs/permanency.md), same token. The body is
one JSON object: table name -> list of rows, each row an object keyed by column name as in the CSV layout
(`{"ext_fostering_visit": [{"fovi_visit_id": "V1", "fovi_household_id": "H1", "fovi_visit_date": "2024-03-01"}]}`),
values text, numbers or null. They are loaded exactly as `cscperf load ssd` loads the same tables' files
(`cscperf.ingest.ssd.parse_tables`): validation with rejected rows quarantined (table, row, field, rule), upsert by
primary key, one transaction, and a push identical to an earlier one is a no-op (`"status": "noop"`).

`GET /api/v1/figures[?period_end=YYYY-MM-DD]`: the judged table (`cscperf.judge.table`), the rows
`cscperf judge` writes, as a JSON list. For an API token or a signed-in user; members get the
suppressed version.

A push body that is not UTF-8 JSON is refused with 400, and so is one that is not records; a record of
the wrong shape (cscperf.ingest.api_shape: a list where one value belongs, `child_details` not an
object, text that is not valid Unicode, nesting too deep) is refused with 422 naming each record and
place, and nothing of the push is stored.

A push body over the cap (`CSCPERF_MAX_BODY_MB`, default 20 MB; see `cscperf.ingest.limits`) is refused
with 413 as soon as its declared length or the bytes received so far pass the cap, so an oversized
push is never held in memory.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response
from starlette.concurrency import run_in_threadpool

from cscperf.errors import UserError
from cscperf.ingest import api_shape
from cscperf.ingest.api_json import child_of
from cscperf.ingest.limits import limits
from cscperf.judge import table
from cscperf.judge.table import audience_of
from cscperf.warehouse import results
from cscperf.warehouse.schema import PERMANENCY_TABLES
from cscperf.web.app import state
from cscperf.web.live import push_records, push_tables
from cscperf.web.store import User

MAX_RECORDS = 5000
MAX_ROWS = 50_000  # rows of the permanency tables per push
PUSHABLE_TABLES = frozenset(t.name for t in PERMANENCY_TABLES)


class BadBody(Exception):
    """A push refused before anything is stored: the status and what to tell the sender."""

    def __init__(self, status: int, error: str, problems: list[str] | None = None) -> None:
        super().__init__(error)
        self.status, self.error, self.problems = status, error, problems


def _no_constant(name: str) -> None:
    raise BadBody(400, f"body: {name} is not JSON")


def _parse(raw: bytes) -> list[dict[str, Any]]:
    """The records of a push body, or BadBody saying what is wrong with it."""
    body = _json(raw)  # JSON between systems is UTF-8 (RFC 8259 §8.1); a leading BOM is let pass
    try:
        records = _records(body)
    except UserError as exc:
        raise BadBody(400, str(exc)) from None
    found = [f"record {i}{api_shape.describe(p)}" for i, r in enumerate(records, start=1) for p in api_shape.problems(r)]
    if found:
        raise BadBody(422, f"{len(found)} problem(s) in the records; nothing was stored", found)
    return records


def _parse_tables(raw: bytes) -> dict[str, list[dict[str, Any]]]:
    """The rows of a permanency push by table, or BadBody saying what is wrong with it (nothing is stored then)."""
    body = _json(raw)
    if not isinstance(body, dict) or not body or not all(isinstance(v, list) for v in body.values()):
        raise BadBody(400, 'body: expected an object of table name -> list of rows, e.g. {"ext_fostering_visit": [{...}]}')
    if sum(len(v) for v in body.values()) > MAX_ROWS:
        raise BadBody(400, f"body: at most {MAX_ROWS} rows per request")
    found = [f"{name}: not a permanency table (docs/permanency.md lists them)" for name in body if name.lower() not in PUSHABLE_TABLES]
    for name, rows in body.items():
        for i, row in enumerate(rows, start=1):
            if not isinstance(row, dict):
                found.append(f"{name} row {i}: not an object of column -> value")
                continue
            found += [
                f"{name} row {i} field {col}: not text, a number or null"
                for col, value in row.items()
                if value is not None and (isinstance(value, bool) or not isinstance(value, str | int | float))
            ]
    if found:
        raise BadBody(422, f"{len(found)} problem(s) in the push; nothing was stored", found)
    return {name.lower(): rows for name, rows in body.items()}


def _json(raw: bytes) -> Any:
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise BadBody(400, f"body: not UTF-8 (byte {exc.start} cannot be decoded)") from None
    try:
        return json.loads(text or "null", parse_constant=_no_constant)
    except json.JSONDecodeError as exc:
        raise BadBody(400, f"body: not JSON (line {exc.lineno}, column {exc.colno})") from None
    except RecursionError:
        raise BadBody(400, "body: JSON nested too deeply") from None


def _table_person_ids(tables: dict[str, list[dict[str, Any]]]) -> list[str]:
    """The children a permanency push names (columns *_person_id): the audit log lists them."""
    return [str(v) for rows in tables.values() for r in rows for k, v in r.items() if k.lower().endswith("_person_id") and v is not None]


def _records(body: Any) -> list[dict[str, Any]]:
    if isinstance(body, dict) and "children" in body:
        if not isinstance(body["children"], list):
            raise UserError('body: "children" must be a list of child records')
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
        child = child_of(r)
        pid = child.get("la_child_id") if child else None
        if pid is not None:
            ids.append(str(pid))
    return ids


def _bearer(request: Request) -> str:
    auth = request.headers.get("Authorization", "")
    return auth[7:].strip() if auth.lower().startswith("bearer ") else ""


def _token_user(request: Request) -> User | None:
    token = _bearer(request)
    return state(request).store.user_for_token(token) if token else None


def _reader(request: Request) -> User | None:
    """The user behind a request: an API token (Authorization: Bearer ...), else a signed-in session."""
    return _token_user(request) if _bearer(request) else request.state.user


def figures(request: Request, period_end: str = "") -> Response:
    user = _reader(request)
    if user is None:
        return JSONResponse({"error": "sign in, or send an API token (Authorization: Bearer ...)"}, status_code=401)
    st = state(request)
    audience = audience_of(user.role)
    book, book_key = st.targets()
    try:
        end = dt.date.fromisoformat(period_end) if period_end else None
    except ValueError:
        return JSONResponse({"error": f"period_end {period_end!r}: expected a date YYYY-MM-DD"}, status_code=400)
    with st.read() as (cur, fp):
        end = end or results.latest_period(cur)
        if end is None:
            return JSONResponse({"error": "no figures computed yet"}, status_code=404)
        try:
            rows = st.cache.get(
                (f"{fp.key}|{book_key}", "api", end, audience), lambda: table.json_rows(table.read(cur, end, audience, book).table())
            )
        except UserError as exc:
            return JSONResponse({"error": str(exc)}, status_code=404)
    return JSONResponse(rows, headers={"X-Cscperf-Audience": audience})


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
    app.add_api_route("/api/v1/figures", figures, methods=["GET"])

    async def accept(request: Request, parse: Callable[[bytes], Any]) -> tuple[Any, Any] | Response:
        """The pushing user and the parsed body, or the response that refuses them (no token, too large, bad body)."""
        user = _token_user(request)
        if user is None:
            return JSONResponse({"error": "a valid API token is required (Authorization: Bearer ...)"}, status_code=401)
        raw = await _body(request, body_cap)
        if raw is None:
            return JSONResponse({"error": f"body too large (the limit is {body_cap:,} bytes)"}, status_code=413)
        try:
            return user, await run_in_threadpool(parse, raw)  # up to 20 MB: keep the event loop free
        except BadBody as exc:
            body = {"error": exc.error} | ({"problems": exc.problems} if exc.problems else {})
            return JSONResponse(body, status_code=exc.status)

    async def push(request: Request, parse: Callable[[bytes], Any], write: Callable, person_ids: Callable, counted: str) -> Response:
        """A push's steps: accept the body, load it (one transaction, in the threadpool), audit who pushed which
        children, queue the recompute. `counted` names the reply's count (records pushed, or rows)."""
        st = state(request)
        accepted = await accept(request, parse)
        if isinstance(accepted, Response):
            return accepted
        user, payload = accepted
        try:
            result = await run_in_threadpool(write, st.access, payload, user.name)
        except UserError as exc:
            return JSONResponse({"error": str(exc)}, status_code=400)
        st.store.audit(user, "push", request.url.path, person_ids(payload))
        if result.status == "noop":  # the same push again: nothing changed, nothing to recompute
            return JSONResponse({"load_id": result.load_id, "status": "noop", counted: result.records}, status_code=200)
        st.recomputer.request(result.tables)
        body = {"load_id": result.load_id, "status": "done", counted: result.records, "rejected": result.rejected, "recompute": "queued"}
        return JSONResponse(body, status_code=202)

    @app.post("/api/v1/children")
    async def push_children(request: Request) -> Response:
        return await push(request, _parse, push_records, _person_ids, "records")

    @app.post("/api/v1/permanency")
    async def push_permanency(request: Request) -> Response:
        return await push(request, _parse_tables, push_tables, _table_person_ids, "rows")
