"""Simultaneous pushes, a CLI load and dashboard reads on one warehouse: no 500s and no duplicate rows.

The server runs on a loopback port (uvicorn in a thread, as `cscperf serve`), and pushes go in from
threads at the same moment (a barrier releases them together). Every request has a time limit, so a
push that is slow enough for a real client to time out and retry fails the test too.

Each pushed child (`record`) has one referral, one assessment, one child protection plan, one
disability and one placement with legal status, so a child gives exactly one row in each of
ssd_person, ssd_cin_episodes, ssd_involvements, ssd_cin_assessments, ssd_cp_plans, ssd_disability,
ssd_cla_episodes, ssd_cla_placement and ssd_legal_status: N distinct children pushed any number of
times leave N rows in each.
"""

from __future__ import annotations

import json
import subprocess
import sys
import threading
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest

from cscperf.warehouse import TABLES
from cscperf.web.app import WebSettings, create_app
from tests.web import fixture
from tests.web.conftest import PASSWORD, add_users, csrf_from
from tests.web.server import running

URL = "/api/v1/children"
TIMEOUT = 60.0  # seconds per request: a client waiting longer gives up (and retries, which multiplied rows)
PER_CHILD = (
    "ssd_person",
    "ssd_cin_episodes",
    "ssd_involvements",
    "ssd_cin_assessments",
    "ssd_cp_plans",
    "ssd_disability",
    "ssd_cla_episodes",
    "ssd_cla_placement",
    "ssd_legal_status",
)
PAGES = ["/", "/indicators/referrals", "/caseloads", "/loads", "/children/C1"]


def record(child_id: str) -> dict:
    """One child referred on 1 March 2024: an assessment, a plan from 10 March, looked after (U1, C2) from 5 March."""
    return {
        "la_code": fixture.LA,
        "Children": {
            "la_child_id": child_id,
            "child_details": {"sex": "F", "date_of_birth": "2016-06-01", "disabilities": ["AUTI"]},
            "social_care_episodes": [
                {
                    "social_care_episode_id": f"R-{child_id}",
                    "referral_date": "2024-03-01",
                    "care_worker_details": [{"worker_id": "W1", "start_date": "2024-03-01"}],
                    "child_and_family_assessments": [
                        {"child_and_family_assessment_id": f"A-{child_id}", "start_date": "2024-03-02", "authorisation_date": "2024-03-20"}
                    ],
                    "child_protection_plans": [{"child_protection_plan_id": f"CP-{child_id}", "start_date": "2024-03-10"}],
                    "child_looked_after_placements": [
                        {
                            "child_looked_after_placement_id": f"PL-{child_id}",
                            "start_date": "2024-03-05",
                            "start_reason": "S",
                            "placement_type": "U1",
                            "legal_status": "C2",
                        }
                    ],
                }
            ],
        },
    }


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """The dashboard on a loopback port over the hand-built warehouse, a push token and a signed-in client."""
    path = fixture.build(tmp_path_factory.mktemp("concurrent") / "w.duckdb")
    token = add_users(path).create_token("perf1")
    app = create_app(WebSettings(warehouse=path, secure_cookies=False, warm_caches=False, idle_release=0.2))
    with running(app) as base:
        yield base, token, path, app
    app.state.cscperf.close()


def signed_in(base: str) -> httpx.Client:
    client = httpx.Client(base_url=base, timeout=TIMEOUT)
    token = csrf_from(client.get("/login").text)
    r = client.post("/login", data={"username": "perf1", "password": PASSWORD, "csrf_token": token, "next": "/"})
    assert r.status_code == 303
    return client


def at_once(jobs: list[Callable[[], object]]) -> list[object]:
    """Run the jobs in threads released together; their results (or the exception each raised), in order."""
    barrier = threading.Barrier(len(jobs))
    out: list[object] = [None] * len(jobs)

    def run(i: int) -> None:
        barrier.wait()
        try:
            out[i] = jobs[i]()
        except Exception as exc:  # noqa: BLE001 - reported by the test, which asserts on it
            out[i] = exc

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(jobs))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(TIMEOUT * 3)
    return out


def push(base: str, token: str, records: list[dict]) -> Callable[[], int]:
    def go() -> int:
        r = httpx.post(base + URL, json=records, headers={"Authorization": f"Bearer {token}"}, timeout=TIMEOUT)
        return r.status_code

    return go


def rows_for(app, ids: list[str]) -> dict[str, int]:
    """{table: rows about these children} for each table a pushed child has one row in."""
    from cscperf.ingest.api_json import person_column

    with app.state.cscperf.access.cursor() as cur:
        cur.execute("CREATE OR REPLACE TEMP TABLE _ids AS SELECT unnest(?) AS id", [ids])
        sql = 'SELECT count(*) FROM "{}" WHERE "{}" IN (SELECT id FROM _ids)'
        return {t: cur.execute(sql.format(t, person_column(t) or "pers_person_id")).fetchone()[0] for t in PER_CHILD}


def repeated_keys(app) -> dict[str, int]:
    """{table: keys found more than once} over every canonical table with a primary key (empty when all is well)."""
    out = {}
    with app.state.cscperf.access.cursor() as cur:
        for t in TABLES:
            if t.primary_key:
                key = ", ".join(f'"{c}"' for c in t.primary_key)
                n = cur.execute(f'SELECT count(*) FROM (SELECT {key} FROM "{t.name}" GROUP BY {key} HAVING count(*) > 1)').fetchone()[0]
                if n:
                    out[t.name] = n
    return out


def test_the_same_child_pushed_twice_at_once_is_stored_once(server):
    base, token, _path, app = server
    statuses = at_once([push(base, token, [record("S1")]), push(base, token, [record("S1")])])
    assert statuses == [202, 202]
    assert rows_for(app, ["S1"]) == dict.fromkeys(PER_CHILD, 1)
    assert repeated_keys(app) == {}


def test_three_pushes_of_the_same_50_children_leave_50(server):
    base, token, _path, app = server
    ids = [f"F{i}" for i in range(50)]
    statuses = at_once([push(base, token, [record(c) for c in ids]) for _ in range(3)])
    assert statuses == [202, 202, 202]
    assert rows_for(app, ids) == dict.fromkeys(PER_CHILD, 50)
    assert repeated_keys(app) == {}


def test_six_pushes_of_200_children_with_a_cli_load_and_page_reads_at_once(server, tmp_path):
    """6 x 200 records of the same 200 ids, a `cscperf load api-json` of 20 of them and five dashboard pages:
    200 rows per table, every page answers without a server error, and the CLI load either loads or
    says the warehouse is busy (the server holds the file; it never corrupts or duplicates)."""
    base, token, path, app = server
    ids = [f"H{i}" for i in range(200)]
    upload = tmp_path / "twenty.json"
    upload.write_text(json.dumps([record(c) for c in ids[:20]]))
    reader = signed_in(base)

    def cli_load() -> subprocess.CompletedProcess:
        cmd = [sys.executable, "-c", "from cscperf.cli import run; run()", "load", "api-json", str(upload), "--warehouse", str(path)]
        return subprocess.run(cmd, capture_output=True, text=True, timeout=TIMEOUT * 2, env=_env())

    def read_pages() -> list[int]:
        return [reader.get(p).status_code for p in PAGES for _ in range(2)]

    jobs: list[Callable[[], object]] = [push(base, token, [record(c) for c in ids]) for _ in range(6)]
    out = at_once([*jobs, cli_load, read_pages])
    reader.close()
    assert out[:6] == [202] * 6
    cli = out[6]
    assert isinstance(cli, subprocess.CompletedProcess)
    assert cli.returncode == 0 or "in use by another process" in cli.stderr, cli.stderr[-2000:]
    assert "Traceback" not in cli.stderr
    assert out[7] == [200] * (2 * len(PAGES))
    assert rows_for(app, ids) == dict.fromkeys(PER_CHILD, 200)
    assert repeated_keys(app) == {}
    after = signed_in(base)  # and afterwards every page still answers
    assert [after.get(p).status_code for p in PAGES] == [200] * len(PAGES)
    after.close()


def _env() -> dict[str, str]:
    import os

    src = str(Path(__file__).resolve().parents[2] / "src")
    return {**os.environ, "PYTHONPATH": os.pathsep.join([src, os.environ.get("PYTHONPATH", "")])}
