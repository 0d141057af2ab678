"""Run fuzz cases through the real entry points and judge each one (issue #12).

Loader cases go through `cscperf load FORMAT PATH --force` (`cscperf.cli:run`, in-process, or as a
subprocess); push cases through `POST /api/v1/children` on the FastAPI app. A case passes when:
- the CLI exits 0, or exits 2 with exactly one `error:` line on stderr naming an input file or
  folder, and no traceback; the push API answers 202, 400, 413 or 422 with a JSON error;
- a refused load or push leaves the warehouse's tables and quarantine exactly as they were;
- a mixed case (valid records beside bad ones) loads its valid person ids and quarantines the rest.
"""

from __future__ import annotations

import contextlib
import io
import os
import subprocess
import sys
import traceback
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import duckdb
from fastapi.testclient import TestClient

from cscperf.cli import run
from cscperf.warehouse import TABLES, connect
from tests.ingest.fuzz_corpus import Case

CLEAN_EXITS = (0, 2)
PUSH_ANSWERS = (202, 400, 413, 422)


@dataclass
class Outcome:
    case: Case
    result: str  # loaded, refused, crash, violation
    detail: str = ""


def fingerprint(con: duckdb.DuckDBPyConnection) -> list[tuple]:
    """Rows and a content hash of every canonical table and the quarantine."""
    names = [t.name for t in TABLES] + ["cscperf_quarantine"]
    query = " UNION ALL ".join(f"SELECT '{n}', count(*), coalesce(sum(hash(t)), 0) FROM \"{n}\" t" for n in names)
    return sorted(con.execute(query).fetchall())


def _person_ids(con: duckdb.DuckDBPyConnection, ids: tuple[str, ...]) -> set[str]:
    """Which of `ids` are held by any table (in any of its person id columns)."""
    cols = [(t.name, c) for t in TABLES for c in t.column_names if c.endswith("person_id")]
    query = " UNION ".join(f'SELECT "{c}" FROM "{t}" WHERE "{c}" IN ({", ".join("?" * len(ids))})' for t, c in cols)
    return {r[0] for r in con.execute(query, list(ids) * len(cols)).fetchall()}


def _quarantined_by_latest_load(con: duckdb.DuckDBPyConnection) -> int:
    latest = con.execute("SELECT load_id FROM cscperf_loads ORDER BY started_at DESC LIMIT 1").fetchone()
    sql = "SELECT count(*) FROM cscperf_quarantine WHERE load_id = ? AND rule NOT LIKE 'warning%'"
    return con.execute(sql, [latest[0]]).fetchone()[0] if latest else 0


def write_case(case: Case, folder: Path) -> list[Path]:
    for rel, data in case.make().items():
        (folder / rel).parent.mkdir(parents=True, exist_ok=True)
        (folder / rel).write_bytes(data)
    return [folder / p for p in case.inputs]


def _names(paths: list[Path]) -> set[str]:
    """Names an error may give for the inputs: each path, and each file inside a folder."""
    out = {p.name for p in paths}
    for p in paths:
        if p.is_dir():
            out |= {f.name for f in p.rglob("*")}
    return out


def _cli_in_process(args: list[str]) -> tuple[int, str]:
    """`cscperf ARGS` through `cscperf.cli:run`: exit code and stderr; an escaping exception is a traceback."""
    err, argv = io.StringIO(), sys.argv
    sys.argv = ["cscperf", *args]
    umask = os.umask(0o022)  # `run` narrows the process umask: put it back so later tests see the usual one
    os.umask(umask)
    try:
        with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
            run()
        code = 0
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else 1
    except BaseException:  # noqa: BLE001 - any escaping exception is what the fuzzer looks for
        return -1, err.getvalue() + traceback.format_exc()
    finally:
        sys.argv = argv
        os.umask(umask)
    return code, err.getvalue()


def _cli_subprocess(args: list[str]) -> tuple[int, str]:
    code = "from cscperf.cli import run; run()"
    proc = subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True, timeout=300, check=False)
    return proc.returncode, proc.stderr


def _judge_cli(case: Case, paths: list[Path], code: int, err: str) -> str:
    """'' when the exit and stderr are clean, else what is wrong."""
    if code not in CLEAN_EXITS or "Traceback" in err:
        return f"exit {code}: {err.strip()[-2000:]}"
    if code == 0:
        return ""
    lines = [line for line in err.splitlines() if line.strip()]
    if len(lines) != 1 or not lines[0].startswith("error: "):
        return f"stderr is not one error line: {err[:500]!r}"
    if not any(name in lines[0] for name in _names(paths)):
        return f"the error names no input file: {lines[0][:300]}"
    return ""


class LoaderHarness:
    """One warehouse, loaded with a valid file first, that every loader case is run against."""

    def __init__(self, folder: Path, subprocess_every: int = 0) -> None:
        self.folder, self.warehouse = folder, folder / "w.duckdb"
        self.subprocess_every, self.count = subprocess_every, 0
        seed = Path(__file__).resolve().parents[1] / "fixtures" / "cin" / "cin_2024_small.xml"
        code, err = _cli_in_process(["load", "cin-xml", str(seed), "--warehouse", str(self.warehouse)])
        assert code == 0, err
        with self._con() as con:
            self.last = fingerprint(con)

    @contextlib.contextmanager
    def _con(self) -> Iterator[duckdb.DuckDBPyConnection]:
        con = connect(self.warehouse)
        try:
            yield con
        finally:
            con.close()

    def run(self, case: Case) -> Outcome:
        case_dir = self.folder / case.id
        case_dir.mkdir()
        paths = write_case(case, case_dir)
        before = self.last  # nothing else writes to this warehouse: no need to open it before each load
        self.count += 1
        sub = self.subprocess_every and self.count % self.subprocess_every == 0
        args = ["load", case.fmt, *map(str, paths), "--force", "--warehouse", str(self.warehouse)]
        code, err = (_cli_subprocess if sub else _cli_in_process)(args)
        with self._con() as con:
            self.last = fingerprint(con)
            problem = _judge_cli(case, paths, code, err)
            if problem:
                return Outcome(case, "crash" if code not in CLEAN_EXITS or "Traceback" in err else "violation", problem)
            if code != 0:
                if self.last != before:
                    return Outcome(case, "violation", "the warehouse changed although the load failed")
                if case.valid_ids:
                    return Outcome(case, "violation", f"valid records lost: the load was refused ({err.strip()[:300]})")
                return Outcome(case, "refused", err.strip())
            return self._check_loaded(con, case)

    @staticmethod
    def _check_loaded(con: duckdb.DuckDBPyConnection, case: Case) -> Outcome:
        if case.valid_ids:
            missing = set(case.valid_ids) - _person_ids(con, case.valid_ids)
            if missing:
                return Outcome(case, "violation", f"valid records lost: {sorted(missing)} not loaded")
            if not _quarantined_by_latest_load(con):
                return Outcome(case, "violation", "the bad record was neither rejected nor quarantined")
        return Outcome(case, "loaded")


class PushHarness:
    """The web app over its own warehouse, with an API token, for the push cases."""

    def __init__(self, folder: Path) -> None:
        from cscperf.web.app import WebSettings, create_app
        from cscperf.web.store import WebStore, users_db_path
        from tests.web import fixture
        from tests.web.conftest import FAST_HASHER

        path = fixture.build(folder / "push.duckdb", results=False)
        store = WebStore(users_db_path(path), hasher=FAST_HASHER)
        store.add_user("fuzzer", "performance", "a long enough password 1", [])
        self.auth = {"Authorization": f"Bearer {store.create_token('fuzzer')}"}
        self.app = create_app(WebSettings(warehouse=path, secure_cookies=False, warm_caches=False, auto_recompute=False))
        self.client = TestClient(self.app, raise_server_exceptions=True)

    def close(self) -> None:
        self.client.close()
        self.app.state.cscperf.close()

    def _fingerprint(self) -> list[tuple]:
        with self.app.state.cscperf.access.cursor() as cur:
            return fingerprint(cur)

    def run(self, case: Case) -> Outcome:
        body = case.make()["body"]
        before = self._fingerprint()
        try:
            r = self.client.post("/api/v1/children", content=body, headers=self.auth | {"Content-Type": "application/json"})
        except Exception:  # noqa: BLE001 - an exception raised in the app is what the fuzzer looks for
            return Outcome(case, "crash", traceback.format_exc()[-2000:])
        if r.status_code not in PUSH_ANSWERS:
            return Outcome(case, "crash", f"status {r.status_code}: {r.text[:500]}")
        answer = r.json()
        if r.status_code != 202:
            if not isinstance(answer.get("error"), str) or not answer["error"]:
                return Outcome(case, "violation", f"status {r.status_code} without an error message: {r.text[:300]}")
            if self._fingerprint() != before:
                return Outcome(case, "violation", "the warehouse changed although the push was refused")
            if case.valid_ids:
                return Outcome(case, "violation", f"valid records lost: {answer['error']}")
            return Outcome(case, "refused", answer["error"])
        with self.app.state.cscperf.access.cursor() as cur:
            missing = set(case.valid_ids) - _person_ids(cur, case.valid_ids) if case.valid_ids else set()
        if missing:
            return Outcome(case, "violation", f"valid records lost: {sorted(missing)} not loaded")
        if case.valid_ids and not answer.get("rejected"):
            return Outcome(case, "violation", "the bad record was neither rejected nor reported")
        return Outcome(case, "loaded")
