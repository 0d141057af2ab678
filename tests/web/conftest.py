"""Shared helpers for the dashboard tests: a hand-built warehouse, users of every role, logged-in clients."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from argon2 import PasswordHasher
from fastapi.testclient import TestClient

from cscperf.web.app import WebSettings, create_app
from cscperf.web.store import WebStore, users_db_path
from tests.web import fixture

PASSWORD = "correct horse battery"
USERS = {
    "admin1": ("admin", ()),
    "perf1": ("performance", ()),
    "mgr_a": ("manager", ("T1",)),
    "mgr_b": ("manager", ("T2",)),
    "member1": ("member", ()),
}


# Cheap argon2 parameters so the tests do not spend seconds hashing; verification reads them from the hash.
FAST_HASHER = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)


def add_users(warehouse: Path) -> WebStore:
    store = WebStore(users_db_path(warehouse), hasher=FAST_HASHER)
    for name, (role, teams) in USERS.items():
        store.add_user(name, role, PASSWORD, teams)
    return store


def csrf_from(html: str) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert match, "no CSRF token in the page"
    return match.group(1)


def login(client: TestClient, name: str, password: str = PASSWORD):
    token = csrf_from(client.get("/login").text)
    return client.post("/login", data={"username": name, "password": password, "csrf_token": token, "next": "/"}, follow_redirects=False)


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory) -> Path:
    path = fixture.build(tmp_path_factory.mktemp("web") / "w.duckdb")
    add_users(path)
    return path


@pytest.fixture(scope="module")
def app(warehouse):
    app = create_app(WebSettings(warehouse=warehouse, secure_cookies=False, auto_recompute=False, warm_caches=False))
    yield app
    app.state.cscperf.close()


@pytest.fixture
def client_for(app):
    """client_for(name) -> a TestClient logged in as that user (None: anonymous)."""
    clients = []

    def make(name: str | None = None) -> TestClient:
        client = TestClient(app)
        clients.append(client)
        if name:
            assert login(client, name).status_code == 303
        return client

    yield make
    for c in clients:
        c.close()
