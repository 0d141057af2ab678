"""Sessions end on the server (logout, removal, role change) and the login rate limit (issue #12 items 3 and 11).

Each test holds on to a session cookie and replays it from a new client, as an attacker with a copy of
the cookie would: only a session that still exists in the web store logs anyone in.
"""

from __future__ import annotations

import sqlite3

import httpx
import pytest
from fastapi.testclient import TestClient

from cscperf.web.app import WebSettings, create_app
from cscperf.web.auth import SESSION_COOKIE
from cscperf.web.store import WebStore
from tests.web.conftest import FAST_HASHER, PASSWORD, csrf_from, login
from tests.web.server import running


def replay(app, cookie: str) -> int:
    """Status of GET / from a new client that sends only the given session cookie (303 = sent to log in)."""
    with TestClient(app, cookies={SESSION_COOKIE: cookie}) as other:
        return other.get("/", follow_redirects=False).status_code


def logged_in_cookie(client_for, name: str) -> tuple[TestClient, str]:
    client = client_for(name)
    return client, client.cookies[SESSION_COOKIE]


def test_a_copied_cookie_stops_working_at_logout(app, client_for):
    client, cookie = logged_in_cookie(client_for, "perf1")
    assert replay(app, cookie) == 200
    token = csrf_from(client.get("/").text)
    assert client.post("/logout", data={"csrf_token": token}, follow_redirects=False).status_code == 303
    assert replay(app, cookie) == 303


def test_logout_ends_only_that_session(app, client_for):
    laptop, _ = logged_in_cookie(client_for, "perf1")
    _, desktop_cookie = logged_in_cookie(client_for, "perf1")
    laptop.post("/logout", data={"csrf_token": csrf_from(laptop.get("/").text)})
    assert replay(app, desktop_cookie) == 200


def test_a_re_added_user_name_never_revives_an_old_cookie(app, client_for):
    store = WebStore(app.state.cscperf.store.path, hasher=FAST_HASHER)
    store.add_user("temp_readd", "performance", PASSWORD)
    _, cookie = logged_in_cookie(client_for, "temp_readd")
    store.remove_user("temp_readd")
    store.add_user("temp_readd", "performance", PASSWORD)  # same name, same role: still not the same person
    assert replay(app, cookie) == 303


def test_a_role_change_ends_the_users_sessions_and_the_new_role_applies_at_next_login(app, client_for):
    store = WebStore(app.state.cscperf.store.path, hasher=FAST_HASHER)
    store.add_user("temp_role", "performance", PASSWORD)
    client, cookie = logged_in_cookie(client_for, "temp_role")
    assert client.get("/loads").status_code == 200
    store.change_role("temp_role", "member")
    assert replay(app, cookie) == 303
    assert client_for("temp_role").get("/loads").status_code == 403  # logged in again: a member now


def test_a_role_change_revokes_api_tokens_only_when_the_new_role_may_not_hold_one(app):
    store = WebStore(app.state.cscperf.store.path, hasher=FAST_HASHER)
    store.add_user("temp_token", "performance", PASSWORD)
    token = store.create_token("temp_token")
    store.change_role("temp_token", "admin")
    assert store.user_for_token(token).role == "admin"
    store.change_role("temp_token", "manager", ["T1"])
    assert store.user_for_token(token) is None


def test_a_signed_cookie_naming_a_user_but_no_live_session_is_anonymous(app):
    # The cookie format before sessions lived on the server: a user name and an epoch, signed with the real key.
    old_style = app.state.cscperf.codec._serializer.dumps({"c": "x", "u": "perf1", "e": 0})
    assert replay(app, old_style) == 303


def test_an_expired_session_row_logs_nobody_in(app, client_for):
    _, cookie = logged_in_cookie(client_for, "mgr_a")
    with sqlite3.connect(app.state.cscperf.store.path) as con:
        con.execute("UPDATE cscperf_sessions SET expires_at = '2000-01-01T00:00:00+00:00' WHERE user_name = 'mgr_a'")
    con.close()
    assert replay(app, cookie) == 303


# --- login rate limit ---------------------------------------------------------------------------
def limited_app(warehouse, **limits):
    settings = WebSettings(warehouse=warehouse, secure_cookies=False, auto_recompute=False, warm_caches=False, **limits)
    return create_app(settings)


@pytest.fixture
def make_app(warehouse):
    apps = []

    def make(**limits):
        apps.append(limited_app(warehouse, **limits))
        return apps[-1]

    yield make
    for a in apps:
        a.state.cscperf.close()


def from_address(app, address: str) -> TestClient:
    return TestClient(app, client=(address, 40000))


def test_a_flood_of_bad_passwords_does_not_lock_the_user_out_from_another_address(make_app):
    app = make_app(login_attempts=3)
    with from_address(app, "203.0.113.9") as attacker, from_address(app, "10.0.0.5") as desk:
        assert [login(attacker, "perf1", f"guess {i}").status_code for i in range(4)] == [401, 401, 401, 429]
        assert login(desk, "perf1").status_code == 303


def test_the_per_user_limit_is_higher_and_shorter_and_spares_the_users_own_address(make_app):
    # 2 per address and user, 4 per user name from anywhere within 60 s.
    app = make_app(login_attempts=2, login_user_attempts=4, login_user_window=60.0)
    with from_address(app, "10.0.0.5") as desk:
        assert login(desk, "perf1").status_code == 303  # the user's own address, known from now on
    for i in range(4):  # one bad password from each of four addresses: 4 of 4 for the user name
        with from_address(app, f"203.0.113.{i}") as attacker:
            assert login(attacker, "perf1", "guess").status_code == 401
    with from_address(app, "198.51.100.1") as elsewhere:
        r = login(elsewhere, "perf1")
        assert r.status_code == 429 and 0 < int(r.headers["Retry-After"]) <= 61  # a minute at most, not five
    with from_address(app, "10.0.0.5") as desk:
        assert login(desk, "perf1").status_code == 303


def test_one_address_trying_many_user_names_is_limited(make_app):
    app = make_app(login_address_attempts=3)
    with from_address(app, "203.0.113.9") as sprayer, from_address(app, "10.0.0.5") as desk:
        assert [login(sprayer, name, "guess").status_code for name in ("a1", "a2", "a3", "a4")] == [401, 401, 401, 429]
        assert login(desk, "mgr_a").status_code == 303


def server_login(base: str, name: str, password: str, forwarded_for: str) -> int:
    with httpx.Client(base_url=base) as http:
        token = csrf_from(http.get("/login").text)
        data = {"username": name, "password": password, "csrf_token": token, "next": "/"}
        return http.post("/login", data=data, headers={"X-Forwarded-For": forwarded_for}).status_code


def test_the_server_ignores_x_forwarded_for_unless_a_proxy_is_configured(make_app):
    # Through uvicorn as `cscperf serve` runs it: every request comes from 127.0.0.1 whatever the header says.
    with running(make_app(login_address_attempts=3)) as base:
        codes = [server_login(base, f"u{i}", "guess", f"198.51.100.{i}") for i in range(4)]
    assert codes == [401, 401, 401, 429]


def test_behind_a_configured_proxy_the_forwarded_address_is_limited(make_app):
    with running(make_app(login_address_attempts=3, trusted_proxies=("127.0.0.1",))) as base:
        spread = [server_login(base, f"v{i}", "guess", f"198.51.100.{i}") for i in range(4)]
        one_place = [server_login(base, f"w{i}", "guess", "10.9.9.9, 198.51.100.77") for i in range(4)]
    assert spread == [401, 401, 401, 401]  # four addresses, one failure each
    assert one_place == [401, 401, 401, 429]  # the right-most hop before the proxy, whatever the client put first
