"""`cscperf pool export`: pseudonyms, what is dropped, replacing an authority, the key check."""

from __future__ import annotations

import hashlib
import hmac
import stat
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from cscperf.errors import UserError
from cscperf.pool import layout
from cscperf.pool.export import export_warehouse, write_partitions
from cscperf.pool.pseudonym import Pseudonymiser, read_key, treatment, treatments
from tests.pool.conftest import KEY_A, KEY_B, make_pool


def test_pseudonyms_by_hand() -> None:
    key = b"k" * 32
    by_hand = hmac.new(key, b"999\x1fP1", hashlib.sha256).hexdigest()[:32]
    assert Pseudonymiser(key, "999").value("person", "P1") == by_hand
    assert Pseudonymiser(key, "998").value("person", "P1") != by_hand  # local ids are the authority's own
    upn = hmac.new(key, b"link\x1fA123456789012", hashlib.sha256).hexdigest()[:32]
    assert Pseudonymiser(key, "999").value("link", "A123456789012") == Pseudonymiser(key, "998").value("link", "A123456789012") == upn
    assert Pseudonymiser(key, "999").value("team", "T1") == "999:T1"
    assert Pseudonymiser(key, "999").value("worker", None) is None


def test_a_column_of_pseudonyms_by_hand() -> None:
    # A key longer than SHA-256's 64-byte block is hashed first (RFC 2104), as hmac does.
    key = b"q" * 80
    pseudo = Pseudonymiser(key, "874")
    p1 = hmac.new(key, b"874\x1fP1", hashlib.sha256).hexdigest()[:32]
    p2 = hmac.new(key, b"874\x1fP2", hashlib.sha256).hexdigest()[:32]
    values = pa.chunked_array([["P1", None, "P2"], ["P1"]])
    assert pseudo.column("person", values).to_pylist() == [p1, None, p2, p1]
    assert pseudo.column("record", values).to_pylist() == [p1, None, p2, p1]  # one space for every kind of local id
    # kept pseudonyms (children's and workers' ids) are reused, and a value not seen before is added to them
    p3 = hmac.new(key, b"874\x1fP3", hashlib.sha256).hexdigest()[:32]
    assert pseudo.column("worker", pa.array(["P3", "P1", "P3"])).to_pylist() == [p3, p1, p3]
    assert pseudo.column("person", pa.array(["P2", "P3"])).to_pylist() == [p2, p3]
    upn = hmac.new(key, b"link\x1fP2", hashlib.sha256).hexdigest()[:32]
    assert pseudo.column("link", pa.array(["P2", None])).to_pylist() == [upn, None]
    assert pseudo.column("team", values).to_pylist() == ["874:P1", None, "874:P2", "874:P1"]
    assert pseudo.column("worker", pa.array([], type=pa.string())).to_pylist() == []


def test_every_column_has_a_treatment() -> None:
    kinds = {column: kind for table in treatments().values() for column, kind in table.items()}
    assert kinds["pers_person_id"] == kinds["clae_person_id"] == kinds["clar_ext_person_id"] == "person"
    assert kinds["invo_professional_id"] == kinds["cine_referral_worker_id"] == kinds["prof_professional_id"] == "worker"
    assert kinds["invo_professional_role_id"] == "keep"  # a role, not an id
    assert kinds["cine_referral_team"] == kinds["prof_ext_team_id"] == "team"
    assert kinds["clae_cla_id"] == kinds["clap_cla_placement_postcode"] == "record"
    assert kinds["prof_professional_name"] == kinds["cinv_ext_not_seen_reason"] == kinds["addr_address_postcode"] == "drop"
    assert kinds["pers_dob"] == kinds["pers_ext_la_code"] == "keep"
    assert treatment("_source") == "drop"


def test_key_file(tmp_path: Path) -> None:
    short = tmp_path / "short.key"
    short.write_text("too short\n")
    with pytest.raises(UserError, match="at least 32 bytes"):
        read_key(short)
    good = tmp_path / "good.key"
    good.write_text("x" * 40 + "\n")
    assert read_key(good) == b"x" * 40


def _pooled(root: Path, table: str, la: str) -> dict[str, list]:
    return pq.read_table(layout.partition_dir(root, table, la) / "part-0.parquet").to_pydict()


def test_two_authorities_in_one_pool(warehouses: dict[str, Path], pool_a: Path) -> None:
    assert set(layout.read_manifest(pool_a)["authorities"]) == {"999", "998"}
    for la, path in warehouses.items():
        con = duckdb.connect(str(path), read_only=True)
        original = {r[0] for r in con.execute("SELECT pers_person_id FROM ssd_person").fetchall()}
        workers = {r[0] for r in con.execute("SELECT prof_professional_id FROM ssd_professionals").fetchall()}
        n_contacts = con.execute("SELECT count(*) FROM ssd_contacts").fetchone()[0]
        con.close()
        person = _pooled(pool_a, "ssd_person", la)
        pseudo = Pseudonymiser(KEY_A, la)
        assert set(person["pers_person_id"]) == {pseudo.value("person", p) for p in original}
        assert not set(person["pers_person_id"]) & original
        assert set(_pooled(pool_a, "ssd_professionals", la)["prof_professional_id"]) == {pseudo.value("worker", w) for w in workers}
        assert len(_pooled(pool_a, "ssd_contacts", la)["cont_contact_id"]) == n_contacts
        assert "prof_professional_name" not in _pooled(pool_a, "ssd_professionals", la)
        assert "_source" not in person
        file = layout.partition_dir(pool_a, "ssd_person", la) / "part-0.parquet"
        assert stat.S_IMODE(file.stat().st_mode) == 0o600
    # the same local id in both authorities is two children in the pool
    ids = [set(_pooled(pool_a, "ssd_person", la)["pers_person_id"]) for la in ("999", "998")]
    assert not ids[0] & ids[1]


def test_export_again_replaces_the_authority(warehouses: dict[str, Path], tmp_path: Path) -> None:
    root = make_pool(warehouses, KEY_A, tmp_path / "pool")
    before = _pooled(root, "ssd_cla_episodes", "998")
    (again,) = export_warehouse(warehouses["998"], KEY_A, root)
    assert again.replaced and again.la_code == "998"
    assert _pooled(root, "ssd_cla_episodes", "998") == before
    assert sorted(p.name for p in (root / "ssd_cla_episodes").iterdir()) == ["la_code=998", "la_code=999"]  # no staging left


def test_another_key_is_refused(warehouses: dict[str, Path], pool_a: Path, tmp_path: Path) -> None:
    root = make_pool({"999": warehouses["999"]}, KEY_A, tmp_path / "pool")
    with pytest.raises(UserError, match="another key"):
        export_warehouse(warehouses["998"], KEY_B, root)


def test_exports_at_once_wait_for_the_pools_lock_and_both_are_kept(warehouses: dict[str, Path], tmp_path: Path) -> None:
    root = tmp_path / "pool"
    root.mkdir()
    with ThreadPoolExecutor(2) as pool:
        with layout.locked(root):  # held here, as by another export swapping its partitions in
            running = [pool.submit(export_warehouse, path, KEY_A, root) for path in warehouses.values()]
            time.sleep(1.0)
            # both wait (after writing their staging folders): nothing swapped in, no manifest yet
            assert not any(f.done() for f in running) and not (root / layout.MANIFEST).exists()
            assert not list(root.glob("*/la_code=*"))
        for f in running:
            f.result()
    assert set(layout.read_manifest(root)["authorities"]) == {"999", "998"}
    assert sorted(p.name for p in (root / "ssd_person").iterdir()) == ["la_code=998", "la_code=999"]


def test_a_pool_begun_with_another_key_meanwhile_is_refused_under_the_lock(warehouses: dict[str, Path], tmp_path: Path) -> None:
    # a second export opened the pool before the first claimed it for its key: it is refused when it takes the
    # lock, before any partition is swapped in, and leaves no staging folder behind
    root = make_pool({"999": warehouses["999"]}, KEY_A, tmp_path / "pool")
    before = _pooled(root, "ssd_person", "999")
    con = duckdb.connect(str(warehouses["998"]), read_only=True)
    try:
        with pytest.raises(UserError, match="another key"):
            write_partitions(con, KEY_B, root)
    finally:
        con.close()
    assert _pooled(root, "ssd_person", "999") == before
    assert sorted(p.name for p in (root / "ssd_person").iterdir()) == ["la_code=999"]


def test_no_authority(tmp_path: Path) -> None:
    from cscperf.warehouse import connect

    empty = tmp_path / "empty.duckdb"
    connect(empty).close()
    with pytest.raises(UserError, match="holds no authority"):
        export_warehouse(empty, KEY_A, tmp_path / "pool")


def test_a_warehouse_of_two_authorities_is_split_between_them(tmp_path: Path) -> None:
    """Each row goes to its child's, team's or assessment's authority: the pool computes as the warehouse does."""
    from dataclasses import replace

    from cscperf.indicators import compute
    from cscperf.pool.compute import compute_pool
    from cscperf.synth import generator
    from cscperf.synth.profiles import PROFILES, Profile
    from cscperf.warehouse import connect
    from tests.pool.conftest import END, assert_same_figures

    tiny = PROFILES["tiny"].authorities[0]
    both = (replace(tiny, la_code="998", name="Othertown (synthetic)"), tiny)
    path = tmp_path / "two.duckdb"
    with pytest.MonkeyPatch.context() as mp:
        mp.setitem(generator.PROFILES, "tiny_two", Profile("tiny_two", "two tiny authorities", both, chunk=2))
        generator.build_warehouse(path, profile="tiny_two", years=1, seed=5, end_date=END, progress=False)
    done = export_warehouse(path, KEY_A, tmp_path / "pool")
    assert [d.la_code for d in done] == ["998", "999"]
    con = connect(path, read_only=True)
    try:
        n_person = con.execute("SELECT count(*) FROM ssd_person").fetchone()[0]
        own = compute(con, [END], breakdowns=("la",), ids=layout.pooled_ids())
    finally:
        con.close()
    assert sum(d.rows["ssd_person"] for d in done) == n_person
    assert sum(d.rows["ssd_professionals"] for d in done) > 0
    pooled = compute_pool(tmp_path / "pool", "duckdb", [END], ("month", "rolling12", "ytd", "year"), ("la",), None)
    assert_same_figures(own, pooled)


def test_synth_straight_to_the_pool(tmp_path: Path) -> None:
    """`synth --pool` writes what `synth` then `pool export` would (same seed, same figures)."""
    from click.testing import CliRunner

    from cscperf.cli import main
    from cscperf.pool.compute import compute_pool
    from tests.pool.conftest import END, assert_same_figures

    key = tmp_path / "pool.key"
    key.write_bytes(KEY_A)
    synth = ["synth", "--profile", "tiny", "--years", "1", "--seed", "5", "--end-date", f"{END}"]
    done = CliRunner().invoke(main, [*synth, "--pool", str(tmp_path / "direct"), "--key-file", str(key)])
    assert done.exit_code == 0, done.output
    assert CliRunner().invoke(main, [*synth, "--warehouse", str(tmp_path / "w.duckdb")]).exit_code == 0
    export_warehouse(tmp_path / "w.duckdb", KEY_A, tmp_path / "exported")
    for table in ("ssd_person", "ssd_involvements", "ssd_cla_episodes"):
        direct, exported = (pq.read_table(layout.partition_dir(tmp_path / p, table, "999")) for p in ("direct", "exported"))
        assert direct.sort_by(direct.column_names[0]).equals(exported.sort_by(exported.column_names[0]))
    bases, breakdowns = ("month", "ytd"), ("la", "worker")
    a = compute_pool(tmp_path / "direct", "duckdb", [END], bases, breakdowns, None)
    b = compute_pool(tmp_path / "exported", "duckdb", [END], bases, breakdowns, None)
    assert_same_figures(a, b, unallocated=True)


def test_keygen_makes_a_private_key_once(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from cscperf.cli import main

    key = tmp_path / "pool.key"
    assert CliRunner().invoke(main, ["pool", "keygen", "--out", str(key)]).exit_code == 0
    assert len(read_key(key)) == 64 and stat.S_IMODE(key.stat().st_mode) == 0o600
    again = CliRunner().invoke(main, ["pool", "keygen", "--out", str(key)])
    assert again.exit_code != 0 and "keeps its key" in str(again.exception)
    alone = CliRunner().invoke(main, ["synth", "--profile", "tiny", "--pool", str(tmp_path / "pool")])
    assert alone.exit_code != 0 and "--key-file" in str(alone.exception)


def test_synth_in_parallel_writes_the_same_pool(tmp_path: Path) -> None:
    """Chunks generated by two worker processes give the pool one process gives: each chunk's data comes from
    (seed, chunk) alone, each worker writes only its own authorities, and the manifest lists them all."""
    from dataclasses import replace

    from click.testing import CliRunner

    from cscperf.cli import main
    from cscperf.synth import generator
    from cscperf.synth.profiles import PROFILES, Profile

    tiny = PROFILES["tiny"].authorities[0]
    three = (replace(tiny, la_code="997", population=2_000), replace(tiny, la_code="998", population=3_000), tiny)
    key = tmp_path / "pool.key"
    key.write_bytes(KEY_A)
    pools = {jobs: tmp_path / f"jobs-{jobs}" for jobs in (1, 2)}
    with pytest.MonkeyPatch.context() as mp:
        mp.setitem(generator.PROFILES, "tiny_three", Profile("tiny_three", "three tiny authorities", three, chunk=1))
        for jobs, pool in pools.items():
            args = ["synth", "--profile", "tiny_three", "--years", "1", "--seed", "5", "--end-date", "2026-03-31"]
            done = CliRunner().invoke(main, [*args, "--pool", str(pool), "--key-file", str(key), "--jobs", str(jobs)])
            assert done.exit_code == 0, done.output
            assert "3 authorities" in done.output
    one, two = pools[1], pools[2]
    assert sorted(layout.read_manifest(one)["authorities"]) == sorted(layout.read_manifest(two)["authorities"]) == ["997", "998", "999"]
    files = sorted(p.relative_to(one) for p in one.rglob("*.parquet"))
    assert files == sorted(p.relative_to(two) for p in two.rglob("*.parquet"))
    assert len(files) == 3 * len(layout.POOLED)  # every table, every authority
    for f in files:
        assert pq.read_table(one / f).equals(pq.read_table(two / f)), f
    assert not [p for p in two.rglob(".*") if p.name != layout.LOCK]  # no staging or retired folders left behind
    # The chunks differ from one another (their own random streams), not copies of one chunk.
    people = {la: pq.read_table(layout.partition_dir(one, "ssd_person", la)).num_rows for la in ("997", "998", "999")}
    assert people["997"] < people["998"] < people["999"]
