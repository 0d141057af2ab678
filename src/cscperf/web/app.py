"""The FastAPI application: settings, shared state, sessions, login and the access rules every route uses."""

from __future__ import annotations

import logging
import secrets
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterator
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

import duckdb
from fastapi import FastAPI, Form, Request
from fastapi.responses import HTMLResponse, JSONResponse, PlainTextResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from starlette.concurrency import run_in_threadpool

from cscperf.errors import UserError
from cscperf.judge.targets import TargetBook, load_targets, targets_path
from cscperf.web.auth import (
    SESSION_COOKIE,
    SESSION_MAX_AGE,
    Limit,
    LoginRateLimiter,
    Session,
    SessionCodec,
    client_address,
    csrf_ok,
)
from cscperf.web.db import Fingerprint, NoWarehouse, WarehouseAccess, WarehouseBusy, file_token, fingerprint
from cscperf.web.live import Recomputer
from cscperf.web.store import User, WebStore, users_db_path

HERE = Path(__file__).parent
log = logging.getLogger("cscperf.web")
LOCAL_HOSTS = ("127.0.0.1", "localhost", "::1")


@dataclass
class WebSettings:
    warehouse: Path
    secure_cookies: bool = True  # False only for localhost and the demo (plain http)
    demo: bool = False
    idle_release: float = 2.0
    poll_seconds: int = 3
    # Failed-login limits (docs/security.md): per address and user name, per address, per user name from anywhere.
    login_attempts: int = 5
    login_window: float = 300.0
    login_address_attempts: int = 20
    login_user_attempts: int = 20
    login_user_window: float = 60.0
    # Addresses of reverse proxies in front of the server: only from these is X-Forwarded-For believed.
    trusted_proxies: tuple[str, ...] = ()
    auto_recompute: bool = True
    warm_caches: bool = True
    targets: Path | None = None  # targets file (default: config/targets.yaml, as for the report)


class Forbidden(Exception):
    pass


class LoginRequired(Exception):
    pass


class BadTargets(Exception):
    """The targets file cannot be read: every page and the API say so, rather than judge against other targets."""


class PageCache:
    """Small LRU of page data keyed by the data fingerprint: new data means new keys."""

    def __init__(self, size: int = 1024) -> None:
        self._items: OrderedDict[tuple, Any] = OrderedDict()
        self._lock = threading.Lock()
        self.size = size

    def get(self, key: tuple, make: Callable[[], Any]) -> Any:
        with self._lock:
            if key in self._items:
                self._items.move_to_end(key)
                return self._items[key]
        value = make()  # outside the lock: two threads may both build a value; the results are equal
        with self._lock:
            self._items[key] = value
            if len(self._items) > self.size:
                self._items.popitem(last=False)
        return value


class State:
    def __init__(self, settings: WebSettings) -> None:
        self.settings = settings
        self.store = WebStore(users_db_path(settings.warehouse))
        self.codec = SessionCodec(self.store.secret_key())
        self.limiter = LoginRateLimiter(
            pair=Limit(settings.login_attempts, settings.login_window),
            address=Limit(settings.login_address_attempts, settings.login_window),
            user=Limit(settings.login_user_attempts, settings.login_user_window),
        )
        self.access = WarehouseAccess(settings.warehouse, idle_release=settings.idle_release)
        self.recomputer = Recomputer(self.access)
        self.cache = PageCache()
        self._warmed: str | None = None
        self._warmer: threading.Thread | None = None
        self._warm_lock = threading.Lock()
        self._book: tuple[tuple, TargetBook] | None = None

    def targets(self) -> tuple[TargetBook, str]:
        """The target book and a key that changes when its file does (part of every judged page's cache key)."""
        path = targets_path(self.settings.targets)
        token = (str(path), *file_token(path)) if path is not None else ("registry",)
        cached = self._book
        if cached is None or cached[0] != token:
            try:
                cached = (token, load_targets(path))
            except UserError as exc:
                raise BadTargets(str(exc)) from exc
            self._book = cached
        return cached[1], repr(token)

    @contextmanager
    def read(self) -> Iterator[tuple[duckdb.DuckDBPyConnection, Fingerprint]]:
        """A cursor and the data's fingerprint; queues a recompute when a CLI load is newer than the figures,
        and warms the page caches for data not seen before."""
        with self.access.cursor() as cur:
            fp = self.access.fingerprint(cur)
            if self.settings.auto_recompute and not self.recomputer.busy and self.recomputer.needed(fp):
                self.recomputer.request()
            if self.settings.warm_caches and fp.key != self._warmed:
                self._start_warming(fp.key)
            yield cur, fp

    def _start_warming(self, key: str) -> None:
        with self._warm_lock:
            if self._warmed == key:
                return
            self._warmed = key
        self._warmer = threading.Thread(target=self._warm, name="cscperf-warm", daemon=True)
        self._warmer.start()

    def _warm(self) -> None:
        """Build what pages need for new data ahead of the first visitor: overview, caseloads, exception lists, trend charts."""
        from cscperf.web import data, pages, views

        try:
            with self.access.cursor() as cur:
                fp = fingerprint(cur)
                book, book_key = self.targets()
                key = f"{fp.key}|{book_key}"
                ov = self.cache.get((fp.key, "overview", "management", book_key), lambda: views.overview(cur, book, "management"))
                if ov.period_end is None:
                    return
                names = pages._names(self, cur, fp)["teams"]
                end = ov.period_end
                self.cache.get((fp.key, "caseloads", end), lambda: pages._team_caseloads(data.caseloads(cur, end), names))
                for ind in views.registry().values():
                    if self._warmed == "closed":
                        return
                    if ind.practice and not self.recomputer.busy:
                        self.cache.get(
                            (fp.key, "exceptions", ind.id, ov.period_end), lambda i=ind.id: pages._exceptions(cur, i, ov.period_end)
                        )
                for tile in ov.tiles:  # the trend charts
                    if self._warmed == "closed":
                        return
                    basis = tile.fig.basis
                    found = pages._breaks(self, cur, fp, tile.ind.id, basis, tile.fig.series)
                    self.cache.get(
                        (key, "trend", tile.ind.id, basis, "management"),
                        lambda t=tile, b=basis, f=found: views.spec_json(views.trend_spec(t.ind, t.fig.series, b, t.fig, f)),
                    )
        except Exception as exc:  # warming is an optimisation: the page builds what it needs (and shows any error) itself
            log.warning("warming the page caches failed: %s", type(exc).__name__)

    def close(self) -> None:
        self._warmed = "closed"
        if self._warmer is not None:
            self._warmer.join(30)
        self.recomputer.stop()
        self.access.close()


def state(request: Request) -> State:
    return request.app.state.cscperf


def session_of(request: Request) -> Session:
    return request.state.session


def current_user(request: Request) -> User:
    user = request.state.user
    if user is None:
        raise LoginRequired()
    return user


def require(request: Request, *roles: str) -> User:
    user = current_user(request)
    if user.role not in roles:
        raise Forbidden()
    return user


def require_children(request: Request) -> User:
    """Child-level data: managers (their teams), performance and admin; never members."""
    user = current_user(request)
    if not user.sees_children:
        raise Forbidden()
    return user


def create_app(settings: WebSettings) -> FastAPI:
    @asynccontextmanager
    async def lifespan(app: FastAPI) -> Any:
        yield
        app.state.cscperf.close()

    app = FastAPI(title="cscperf dashboard", docs_url=None, redoc_url=None, openapi_url=None, lifespan=lifespan)
    app.state.cscperf = State(settings)
    templates = Jinja2Templates(directory=str(HERE / "templates"))
    app.state.templates = templates
    app.mount("/static", StaticFiles(directory=str(HERE / "static")), name="static")
    _install_session_middleware(app)
    _install_error_handlers(app)
    _install_login_routes(app)

    from cscperf.web import api, pages, permanency_pages, returns_pages

    pages.install(app)
    returns_pages.install(app)
    permanency_pages.install(app)
    api.install(app)
    return app


def _install_session_middleware(app: FastAPI) -> None:
    @app.middleware("http")
    async def session_middleware(request: Request, call_next: Callable) -> Response:
        st = state(request)
        session = st.codec.loads(request.cookies.get(SESSION_COOKIE))
        fresh = session is None
        session = session or Session.anonymous()
        user = None
        if session.sid:
            # The session must still exist on the server: logout, removal and role changes delete it.
            user = await run_in_threadpool(st.store.session_user, session.sid)  # SQLite: keep the event loop free
            if user is None:
                session, fresh = Session.anonymous(), True
        request.state.session = session
        request.state.user = user
        request.state.set_session = None
        response: Response = await call_next(request)
        new_session = request.state.set_session or (session if fresh else None)
        if new_session is not None:
            set_session_cookie(request, response, new_session)
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        response.headers.setdefault(
            "Content-Security-Policy",
            "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; script-src 'self' 'unsafe-eval'",
        )
        if request.state.user is not None or request.url.path.startswith(("/indicators", "/children")):
            response.headers.setdefault("Cache-Control", "no-store")
        return response


def set_session_cookie(request: Request, response: Response, session: Session) -> None:
    st = state(request)
    response.set_cookie(
        SESSION_COOKIE,
        st.codec.dumps(session),
        max_age=SESSION_MAX_AGE,
        httponly=True,
        samesite="lax",
        secure=st.settings.secure_cookies,
        path="/",
    )


def _install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(LoginRequired)
    async def login_required(request: Request, exc: LoginRequired) -> Response:
        if request.url.path.startswith("/api/") or request.headers.get("HX-Request"):
            return PlainTextResponse("login required", status_code=401)
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        return RedirectResponse(f"/login?next={quote(target)}", status_code=303)

    @app.exception_handler(Forbidden)
    async def forbidden(request: Request, exc: Forbidden) -> Response:
        return render(
            request, "error.html", {"title": "Not available to you", "message": "Your role does not give access to this page."}, 403
        )

    @app.exception_handler(WarehouseBusy)
    async def busy(request: Request, exc: WarehouseBusy) -> Response:
        return render(request, "error.html", {"title": "Warehouse busy", "message": str(exc)}, 503)

    @app.exception_handler(NoWarehouse)
    async def missing(request: Request, exc: NoWarehouse) -> Response:
        return render(request, "error.html", {"title": "No data yet", "message": str(exc)}, 503)

    @app.exception_handler(BadTargets)
    async def bad_targets(request: Request, exc: BadTargets) -> Response:
        if request.url.path.startswith("/api/"):
            return JSONResponse({"error": f"targets file: {exc}"}, status_code=500)
        return render(request, "error.html", {"title": "Targets file not valid", "message": str(exc)}, 500)


def render(request: Request, template: str, context: dict[str, Any], status_code: int = 200) -> Response:
    ctx = {"request": request, "user": request.state.user, "csrf": session_of(request).csrf, "settings": state(request).settings}
    ctx.update(context)
    return request.app.state.templates.TemplateResponse(request, template, ctx, status_code=status_code)


def check_csrf(request: Request, supplied: str | None) -> None:
    token = supplied or request.headers.get("X-CSRF-Token")
    if not csrf_ok(session_of(request), token):
        raise CsrfFailed()


class CsrfFailed(Exception):
    pass


def _client(request: Request) -> str:
    peer = request.client.host if request.client else "unknown"
    return client_address(peer, request.headers.getlist("x-forwarded-for"), state(request).settings.trusted_proxies)


def _safe_next(target: str | None) -> str:
    # Only local paths: never redirect off-site after login.
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/"
    return target


def _install_login_routes(app: FastAPI) -> None:
    @app.exception_handler(CsrfFailed)
    async def csrf_failed(request: Request, exc: CsrfFailed) -> Response:
        return PlainTextResponse("form expired or not sent from this site (CSRF check failed): reload the page", status_code=403)

    @app.get("/login", response_class=HTMLResponse)
    async def login_form(request: Request, next: str = "/") -> Response:
        return render(request, "login.html", {"next": _safe_next(next), "error": None})

    @app.post("/login")
    def login(
        request: Request,
        username: str = Form(""),
        password: str = Form(""),
        csrf_token: str = Form(""),
        next: str = Form("/"),
    ) -> Response:
        check_csrf(request, csrf_token)
        st = state(request)
        client = _client(request)
        wait = st.limiter.retry_after(client, username)
        if wait:
            response = render(request, "login.html", {"next": _safe_next(next), "error": f"Too many attempts: try again in {wait} s."}, 429)
            response.headers["Retry-After"] = str(wait)
            return response
        user = st.store.authenticate(username, password)
        if user is None:
            st.limiter.failed(client, username)
            return render(request, "login.html", {"next": _safe_next(next), "error": "Wrong user name or password."}, 401)
        st.limiter.succeeded(client, username)
        old = session_of(request).sid
        if old:  # logging in over another login ends that one
            st.store.end_session(old)
        # A new session (and CSRF token) at login, so a token seen before login is useless after it.
        request.state.set_session = Session(csrf=secrets.token_urlsafe(24), sid=st.store.start_session(user.name))
        return RedirectResponse(_safe_next(next), status_code=303)

    @app.post("/logout")
    def logout(request: Request, csrf_token: str = Form("")) -> Response:
        check_csrf(request, csrf_token)
        sid = session_of(request).sid
        if sid:  # ends this session on the server: a copy of the cookie no longer works
            state(request).store.end_session(sid)
        request.state.set_session = Session.anonymous()
        return RedirectResponse("/login", status_code=303)

    @app.get("/healthz")
    async def healthz() -> JSONResponse:
        return JSONResponse({"status": "ok"})
