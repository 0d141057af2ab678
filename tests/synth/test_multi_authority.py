"""Several authorities in one warehouse: each keeps its own code, people, teams and population."""

from __future__ import annotations

from dataclasses import replace

import duckdb
import pytest

from cscperf.errors import UserError
from cscperf.synth import generator
from cscperf.synth.profiles import PROFILES, Profile
from tests.synth.conftest import END


@pytest.fixture(scope="module")
def two(tmp_path_factory):
    base = PROFILES["tiny"].authorities[0]
    auths = (replace(base, la_code="998", name="North (synthetic)", population=3000), replace(base, la_code="999", population=5000))
    profile = Profile("pair", "two small authorities", auths, chunk=2)
    path = tmp_path_factory.mktemp("pair") / "pair.duckdb"
    mp = pytest.MonkeyPatch()
    mp.setitem(generator.PROFILES, "pair", profile)
    try:
        generator.build_warehouse(path, profile="pair", years=1, seed=2, end_date=END, progress=False)
    finally:
        mp.undo()
    con = duckdb.connect(str(path), read_only=True)
    yield con
    con.close()


def test_each_authority_is_declared_with_its_population(two):
    assert two.execute("SELECT auth_la_code, auth_la_name FROM ext_authority ORDER BY 1").fetchall() == [
        ("998", "North (synthetic)"),
        ("999", "Tinytown (synthetic)"),
    ]
    pop = dict(two.execute("SELECT popn_la_code, sum(popn_count) FROM ext_population WHERE popn_year = 2024 GROUP BY 1").fetchall())
    assert pop == {"998": 3000, "999": 5000}


def test_people_and_teams_belong_to_their_authority(two):
    # Ids start with the LA code, so a child's records and their allocated team agree on the authority.
    mismatched = two.execute(
        """SELECT count(*) FROM ssd_involvements i
           JOIN ssd_person p ON p.pers_person_id = i.invo_person_id
           JOIN ssd_department d ON d.dept_team_id = i.invo_professional_team
           WHERE p.pers_ext_la_code <> d.dept_ext_la_code OR substr(i.invo_person_id, 2, 3) <> p.pers_ext_la_code"""
    ).fetchone()[0]
    assert mismatched == 0
    per_la = dict(two.execute("SELECT pers_ext_la_code, count(*) FROM ssd_person GROUP BY 1").fetchall())
    assert set(per_la) == {"998", "999"}
    assert per_la["999"] > per_la["998"]  # the larger authority knows more children


def _refuse(con: duckdb.DuckDBPyConnection) -> None:
    """A chunk_done that fails as writing a pool to a full disk would (module level: workers must import it)."""
    raise UserError("pool: cannot write (No space left on device)")


def test_a_chunk_failing_in_a_worker_stops_the_run_with_its_error():
    base = PROFILES["tiny"].authorities[0]
    auths = (replace(base, la_code="997", population=1000), replace(base, la_code="998", population=1000))
    mp = pytest.MonkeyPatch()
    mp.setitem(generator.PROFILES, "pair_of_chunks", Profile("pair_of_chunks", "two chunks", auths, chunk=1))
    done: list[object] = []
    try:
        with pytest.raises(UserError, match="No space left"):
            generator.build_chunks(
                profile="pair_of_chunks", years=1, seed=2, end_date=END, chunk_done=_refuse, collect=done.append, jobs=2, progress=False
            )
    finally:
        mp.undo()
    assert done == []
