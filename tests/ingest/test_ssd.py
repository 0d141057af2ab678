"""SSD tables from a folder (CSV, Parquet) and from a real PostgreSQL database."""

from __future__ import annotations

import datetime as dt
import os
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path

import pandas as pd
import pytest

from cscperf.errors import UserError
from cscperf.ingest import ssd
from cscperf.ingest.core import run_load

PG_BIN = next((p for p in sorted(Path("/usr/lib/postgresql").glob("*/bin"), reverse=True) if (p / "initdb").exists()), None)

PERSON_CSV = "PERS_PERSON_ID,pers_sex,pers_dob,pers_legacy_id\n1,M,2015-04-01,X9\n2,F,01/02/2016,X8\n3,F,2017-13-01,X7\n"


def _folder(tmp_path: Path) -> Path:
    folder = tmp_path / "ssd"
    folder.mkdir()
    (folder / "SSD_PERSON.csv").write_text(PERSON_CSV)
    plans = pd.DataFrame({"cppl_cp_plan_id": ["P1"], "cppl_person_id": ["1"], "cppl_cp_plan_start_date": [dt.date(2024, 1, 5)]})
    plans.to_parquet(folder / "ssd_cp_plans.parquet")
    (folder / "ssd_voice_of_child.csv").write_text("voch_table_id,voch_person_id\n1,1\n")
    (folder / "notes.csv").write_text("a\n1\n")
    return folder


def test_a_folder_of_ssd_files_loads_with_warnings_for_what_the_model_lacks(con, tmp_path):
    s = run_load(con, "ssd", [_folder(tmp_path)], ssd.parse)
    assert con.execute("SELECT pers_person_id, pers_dob FROM ssd_person ORDER BY 1").fetchall() == [
        ("1", dt.date(2015, 4, 1)),
        ("2", dt.date(2016, 2, 1)),
    ]
    assert con.execute("SELECT cppl_cp_plan_id, cppl_cp_plan_start_date FROM ssd_cp_plans").fetchall() == [("P1", dt.date(2024, 1, 5))]
    assert [(i.location, i.field, i.value) for i in s.rejected] == [("row 4", "pers_dob", "2017-13-01")]
    assert sorted((i.table, i.rule) for i in s.warnings) == [
        ("notes", "not an SSD table name; ignored"),
        ("ssd_person", "column not in the warehouse model; ignored"),
        ("ssd_voice_of_child", "not a table of the warehouse model; ignored"),
    ]


def test_wrong_inputs_are_user_errors(tmp_path):
    with pytest.raises(UserError, match="no .csv or .parquet files"):
        ssd.parse([tmp_path])
    with pytest.raises(UserError, match="not a usable database URL"):
        ssd.parse(["nosuchdriver://user:secret@host/db"])
    (tmp_path / "ssd_person.parquet").write_text("not parquet")
    with pytest.raises(UserError, match="ssd_person.parquet: not a readable Parquet file"):
        ssd.parse([tmp_path / "ssd_person.parquet"])


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def postgres():
    """A throwaway PostgreSQL cluster on a free port, run as the postgres user when the tests run as root."""
    if PG_BIN is None:
        pytest.skip("PostgreSQL server binaries not installed (scripts/install-system-deps.sh installs them)")
    base = Path(tempfile.mkdtemp(prefix="cscperf-pg-"))  # directly under /tmp: pytest's tmp dirs are private to root
    data, port = base / "data", _free_port()
    as_user: list[str] = []
    if os.geteuid() == 0:
        as_user = ["runuser", "-u", "postgres", "--"]
        shutil.chown(base, "postgres")
    subprocess.run(
        [*as_user, str(PG_BIN / "initdb"), "-D", str(data), "-U", "cscperf", "--auth=trust", "-E", "UTF8"], check=True, capture_output=True
    )
    opts = f"-p {port} -k {base} -c listen_addresses=127.0.0.1 -c fsync=off"
    subprocess.run(
        [*as_user, str(PG_BIN / "pg_ctl"), "-D", str(data), "-o", opts, "-l", str(base / "log"), "-w", "start"],
        check=True,
        capture_output=True,
    )
    try:
        yield f"postgresql+psycopg://cscperf:secret@127.0.0.1:{port}/postgres"
    finally:
        subprocess.run([*as_user, str(PG_BIN / "pg_ctl"), "-D", str(data), "-m", "immediate", "stop"], capture_output=True)
        shutil.rmtree(base, ignore_errors=True)


@pytest.mark.postgres
def test_ssd_tables_load_from_a_postgresql_database(con, postgres):
    import psycopg

    dsn = postgres.replace("postgresql+psycopg", "postgresql")
    for _ in range(20):
        try:
            conn = psycopg.connect(dsn, autocommit=True)
            break
        except psycopg.OperationalError:
            time.sleep(0.25)
    with conn:
        conn.execute("CREATE TABLE ssd_person (pers_person_id varchar PRIMARY KEY, pers_sex varchar, pers_dob timestamp, pers_upn varchar)")
        conn.execute("INSERT INTO ssd_person VALUES ('10', 'F', '2012-03-04 00:00', 'A1'), ('11', 'M', '2013-05-06 00:00', 'A2')")
        conn.execute(
            "CREATE TABLE ssd_cin_episodes (cine_referral_id int, cine_person_id varchar, cine_referral_date date, cine_close_date date)"
        )
        conn.execute("INSERT INTO ssd_cin_episodes VALUES (500, '10', '2024-02-01', '2024-01-01'), (501, '11', '2024-03-01', NULL)")
        conn.execute("CREATE TABLE staff_notes (x int)")
    s = run_load(con, "ssd", [postgres], ssd.parse)
    assert con.execute("SELECT pers_person_id, pers_dob FROM ssd_person ORDER BY 1").fetchall() == [
        ("10", dt.date(2012, 3, 4)),
        ("11", dt.date(2013, 5, 6)),
    ]
    assert con.execute("SELECT cine_referral_id, cine_person_id FROM ssd_cin_episodes").fetchall() == [("501", "11")]
    (rejected,) = s.rejected
    assert (rejected.field, rejected.rule.split(" (")[0]) == ("cine_close_date", "end date is before the start date")
    assert rejected.source.endswith("/postgres#ssd_cin_episodes") and "secret" not in rejected.source
    assert [(w.table, w.field) for w in s.warnings] == [("ssd_person", "pers_upn")]
    sources = con.execute("SELECT sources FROM cscperf_loads").fetchone()[0]
    assert "secret" not in sources and "***" in sources
