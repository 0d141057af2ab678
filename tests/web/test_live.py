"""Sharing the warehouse: the server lets go of the file when idle, sees writes by another process, and warms its caches."""

from __future__ import annotations

import subprocess
import sys
import time

import duckdb
import pandas as pd
import pytest
from fastapi.testclient import TestClient

from cscperf.indicators.engine import store_results
from cscperf.web.app import WebSettings, create_app
from cscperf.web.db import WarehouseAccess, WarehouseBusy
from tests.web import fixture
from tests.web.conftest import add_users, login
from tests.web.test_routes import tile_value


def wait(condition, seconds: float = 10.0) -> bool:
    deadline = time.monotonic() + seconds
    while not condition() and time.monotonic() < deadline:
        time.sleep(0.05)
    return condition()


@pytest.fixture(scope="module")
def setup(tmp_path_factory):
    path = fixture.build(tmp_path_factory.mktemp("live") / "w.duckdb")
    add_users(path)
    app = create_app(WebSettings(warehouse=path, secure_cookies=False, auto_recompute=False, warm_caches=False, idle_release=0.2))
    with TestClient(app) as client:
        assert login(client, "perf1").status_code == 303
        yield app, client, path
    app.state.cscperf.close()


def test_server_releases_the_file_and_sees_another_process_write(setup):
    app, client, path = setup
    assert tile_value(client.get("/").text, "referrals") == "12"
    assert wait(lambda: not app.state.cscperf.access.is_open)  # idle: the file is free for a CLI load
    con = duckdb.connect(str(path))  # what `cscperf compute` does meanwhile: store figures (with a new computed_at)
    rows = [r for r in fixture.result_rows() if r["indicator_id"] == "referrals" and r["period_end"] == fixture.PERIOD_END]
    store_results(con, pd.DataFrame([{**rows[0], "numerator": 17, "value": 17}]))
    con.close()
    assert tile_value(client.get("/").text, "referrals") == "17"


def test_a_file_locked_by_another_process_gives_warehouse_busy(tmp_path):
    path = fixture.build(tmp_path / "w.duckdb", results=False)
    holder = subprocess.Popen(  # another process holding the write lock, as a running CLI load does
        [
            sys.executable,
            "-c",
            "import duckdb, sys, time; c = duckdb.connect(sys.argv[1]); print('locked', flush=True); time.sleep(60)",
            str(path),
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    access = WarehouseAccess(path, busy_timeout=0.5)
    try:
        assert holder.stdout.readline().strip() == "locked"
        with pytest.raises(WarehouseBusy, match="busy"), access.cursor():
            pass
    finally:
        holder.kill()
        holder.wait()
    with access.cursor() as cur:  # once the load has finished the server opens the file again
        assert cur.execute("SELECT count(*) FROM ssd_person").fetchone()[0] == 4
    access.close()


def test_new_data_warms_the_exception_lists(tmp_path):
    path = fixture.build(tmp_path / "w.duckdb")
    add_users(path)
    app = create_app(WebSettings(warehouse=path, secure_cookies=False, auto_recompute=False))
    try:
        with TestClient(app) as client:
            login(client, "perf1")
            client.get("/")
            st = app.state.cscperf
            key = next(k for k in st.cache._items if k[1] == "overview")[0]
            assert wait(lambda: (key, "exceptions", "cp_visits_in_timescale_pct", fixture.PERIOD_END) in st.cache._items, 60)
            frame = st.cache._items[(key, "exceptions", "cp_visits_in_timescale_pct", fixture.PERIOD_END)]
            assert sorted(frame.person_id) == ["C1", "C3"]
    finally:
        app.state.cscperf.close()


def test_writers_take_turns_in_the_order_they_asked(tmp_path):
    """Three writers queue behind a held write: none enters while it is held, then they enter 0, 1, 2 as they asked."""
    import threading

    access = WarehouseAccess(fixture.build(tmp_path / "w.duckdb", results=False))
    entered: list[int] = []

    def write(i: int) -> None:
        with access.writer() as cur:
            entered.append(i)
            cur.execute("SELECT 1").fetchone()

    threads = []
    with access.writer():
        for i in range(3):
            threads.append(threading.Thread(target=write, args=(i,)))
            threads[-1].start()
            assert wait(lambda i=i: access._write_lock._next == i + 2)  # ticket 0 is the held write; this one asked
        assert entered == []
    for t in threads:
        t.join(10)
    assert entered == [0, 1, 2]
    access.close()
