"""The dashboard's files and uploads: the exceptions CSV neutralises formula-like text, the SQLite
file (signing key, password hashes) is private, and the push API refuses oversized bodies while
they stream in."""

from __future__ import annotations

import asyncio
import csv
import io
import json
import os
import sqlite3
import stat

import pytest
from fastapi.testclient import TestClient
from starlette.requests import Request

from cscperf.warehouse import connect
from cscperf.web.api import _body
from cscperf.web.app import WebSettings, create_app
from cscperf.web.store import WebStore, users_db_path
from tests.ingest.safety import rename_child
from tests.web import fixture
from tests.web.conftest import FAST_HASHER, add_users, login

EXC = "/indicators/cp_visits_in_timescale_pct/exceptions.csv"


def _mode(path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


@pytest.fixture
def wide_umask():
    """The usual umask 022 (files 0644 unless made private), whatever earlier tests left; put back after."""
    old = os.umask(0o022)
    yield
    os.umask(old)


@pytest.fixture
def hostile_app(tmp_path):
    """The dashboard fixture with child C1 (45 days overdue for a visit) renamed =1+2."""
    path = fixture.build(tmp_path / "w.duckdb")
    con = connect(path)
    rename_child(con, "C1", "=1+2")
    con.close()
    store = add_users(path)
    app = create_app(WebSettings(warehouse=path, secure_cookies=False, auto_recompute=False, warm_caches=False))
    yield app, store
    app.state.cscperf.close()


def test_exceptions_csv_download_neutralises_formula_like_ids(hostile_app):
    app, store = hostile_app
    with TestClient(app) as client:
        assert login(client, "perf1").status_code == 303
        r = client.get(EXC)
    assert r.status_code == 200
    rows = [(x["person_id"], x["days_overdue"]) for x in csv.DictReader(io.StringIO(r.text))]
    assert rows == [("'=1+2", "45"), ("C3", "26")]
    # the audit log keeps the id as it is in the data (it is not a spreadsheet)
    assert store.audit_rows(user="perf1")[0]["children"] == ["=1+2", "C3"]


def test_web_sqlite_and_its_journals_are_private(tmp_path, wide_umask):
    path = users_db_path(tmp_path / "w.duckdb")
    store = WebStore(path, hasher=FAST_HASHER)
    assert _mode(path) == 0o600
    reader = sqlite3.connect(path)  # an open reader keeps the WAL and shared-memory files in place
    try:
        reader.execute("SELECT count(*) FROM cscperf_users").fetchone()
        store.secret_key()  # a write
        journals = [path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")]
        assert [_mode(j) for j in journals] == [0o600, 0o600]  # SQLite gives them the database file's mode
    finally:
        reader.close()


def test_an_older_readable_web_sqlite_is_tightened(tmp_path, wide_umask):
    path = users_db_path(tmp_path / "w.duckdb")
    WebStore(path, hasher=FAST_HASHER).secret_key()
    os.chmod(path, 0o644)  # as made before this rule: any local user could read the signing key
    WebStore(path, hasher=FAST_HASHER)
    assert _mode(path) == 0o600


# --- push API body cap -----------------------------------------------------------------------


@pytest.fixture
def small_cap_client(tmp_path, monkeypatch):
    """A server whose body cap is 0.001 MB = int(0.001 x 1,048,576) = 1,048 bytes, and an API token."""
    monkeypatch.setenv("CSCPERF_MAX_BODY_MB", "0.001")
    path = fixture.build(tmp_path / "w.duckdb", results=False)
    token = add_users(path).create_token("perf1")
    app = create_app(WebSettings(warehouse=path, secure_cookies=False, auto_recompute=False, warm_caches=False))
    with TestClient(app) as client:
        yield client, {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    app.state.cscperf.close()


def _json_of_size(size: int) -> bytes:
    """A valid JSON body of exactly `size` bytes: a list padded with spaces."""
    body = json.dumps([{"la_code": fixture.LA, "Children": {"la_child_id": "X"}}]).encode()
    return body[:-1] + b" " * (size - len(body)) + b"]"


def test_a_body_one_byte_over_the_cap_is_refused_and_one_at_the_cap_is_read(small_cap_client):
    client, headers = small_cap_client
    over = client.post("/api/v1/children", content=_json_of_size(1049), headers=headers)
    assert over.status_code == 413 and "1,048 bytes" in over.json()["error"]
    at = client.post("/api/v1/children", content=_json_of_size(1048), headers=headers)
    assert at.status_code != 413  # read and handled (a record without details is a 202 with rejections or a 400)


def test_a_chunked_body_without_a_length_is_refused_too(small_cap_client):
    client, headers = small_cap_client

    def chunks():
        for _ in range(5):
            yield b" " * 512

    r = client.post("/api/v1/children", content=chunks(), headers=headers)
    assert r.status_code == 413


def test_reading_stops_at_the_chunk_that_passes_the_cap():
    """512-byte chunks against a 1,048-byte cap: 512, 1,024, then 1,536 > 1,048, so the third chunk is the
    last one read; the other seven are never received (nothing is buffered past the cap)."""
    received = []

    async def receive():
        received.append(1)
        return {"type": "http.request", "body": b"x" * 512, "more_body": len(received) < 10}

    request = Request({"type": "http", "method": "POST", "headers": []}, receive)
    assert asyncio.run(_body(request, 1048)) is None
    assert len(received) == 3


def test_a_declared_length_over_the_cap_is_refused_before_reading():
    received = []

    async def receive():
        received.append(1)
        return {"type": "http.request", "body": b"", "more_body": False}

    request = Request({"type": "http", "method": "POST", "headers": [(b"content-length", b"1049")]}, receive)
    assert asyncio.run(_body(request, 1048)) is None
    assert received == []
