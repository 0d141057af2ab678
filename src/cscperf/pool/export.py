"""`cscperf pool export`: one authority's warehouse into the pool, pseudonymised (see pseudonym.py).

An authority exported again replaces its partition of every table: the new files are written to staging
folders first, and only once all are written are they swapped in, so readers see the old or the new export.
"""

from __future__ import annotations

import datetime as dt
import shutil
import uuid
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from cscperf.errors import UserError
from cscperf.files import open_private, output_folder
from cscperf.pool import layout
from cscperf.pool.pseudonym import Pseudonymiser, key_id, treatment
from cscperf.warehouse.schema import Table


@dataclass(frozen=True)
class Exported:
    la_code: str
    rows: dict[str, int]
    replaced: bool


# Where a row's authority is recorded, for the tables that do not record it themselves.
LA_COLUMNS = {
    "ssd_person": "pers_ext_la_code",
    "ssd_department": "dept_ext_la_code",
    "ext_population": "popn_la_code",
    "ext_authority": "auth_la_code",
}
TEAM_OF = {"ssd_professionals": "prof_ext_team_id", "ext_establishment": "estb_team_id"}
ASSESSMENT_OF = {"ssd_assessment_factors": "cinf_assessment_id"}


def authorities_of(con: duckdb.DuckDBPyConnection) -> list[str]:
    """The authorities a warehouse holds."""
    return sorted(
        r[0]
        for r in con.execute(
            "SELECT DISTINCT pers_ext_la_code FROM ssd_person WHERE pers_ext_la_code IS NOT NULL "
            "UNION SELECT auth_la_code FROM ext_authority WHERE auth_la_code IS NOT NULL"
        ).fetchall()
    )


def _rows_by_authority(table: Table) -> str:
    """SQL: the table's rows with `_la`, the authority each belongs to (through the child, team or assessment)."""
    t = f'"{table.name}"'
    if table.name in LA_COLUMNS:
        return f"SELECT t.*, t.{LA_COLUMNS[table.name]} AS _la FROM {t} t"
    if table.name in TEAM_OF:
        return f"SELECT t.*, d.dept_ext_la_code AS _la FROM {t} t LEFT JOIN ssd_department d ON d.dept_team_id = t.{TEAM_OF[table.name]}"
    if table.name in ASSESSMENT_OF:
        return (
            f"SELECT t.*, p.pers_ext_la_code AS _la FROM {t} t LEFT JOIN ssd_cin_assessments a "
            f"ON a.cina_assessment_id = t.{ASSESSMENT_OF[table.name]} LEFT JOIN ssd_person p ON p.pers_person_id = a.cina_person_id"
        )
    person = next(c.name for c in table.columns if treatment(c.name) == "person")
    return f"SELECT t.*, p.pers_ext_la_code AS _la FROM {t} t LEFT JOIN ssd_person p ON p.pers_person_id = t.{person}"


def authority_tables(con: duckdb.DuckDBPyConnection, table: Table, codes: list[str]) -> dict[str, pa.Table]:
    """The table's rows split by authority. A warehouse of one authority is all that authority's; in one holding
    several, a row that cannot be placed (no child, team or authority it belongs to) is a UserError."""
    if len(codes) == 1:
        return {codes[0]: con.sql(f'SELECT * FROM "{table.name}"').to_arrow_table()}
    data = con.sql(_rows_by_authority(table)).to_arrow_table()
    lost = data.column("_la").null_count
    if lost:
        raise UserError(f"{table.name}: {lost} rows belong to no authority in the warehouse (no child, team or LA code to place them)")
    out = {}
    for la in codes:
        part = data.filter(pc.equal(data.column("_la"), la))
        out[la] = part.drop_columns(["_la"])
    return out


def pseudonymise(table: Table, data: pa.Table, pseudo: Pseudonymiser) -> pa.Table:
    """The table's columns as they go into the pool: hashed, prefixed, kept or dropped."""
    out: dict[str, pa.Array] = {}
    for col in table.columns:
        kind = treatment(col.name)
        if kind == "drop":
            continue
        values = data.column(col.name)
        out[col.name] = values if kind == "keep" else pseudo.column(kind, values)
    return pa.table(out)


def _write(data: pa.Table, path: Path) -> None:
    with open_private(path, binary=True) as fh:
        pq.write_table(data, fh)


def export_warehouse(warehouse: Path, key: bytes, root: Path) -> list[Exported]:
    """Add (or replace) the warehouse's authorities in the pool at `root`."""
    from cscperf.warehouse import connect

    if not Path(warehouse).exists():
        raise UserError(f"no warehouse at {warehouse}: run 'cscperf synth' or 'cscperf load' first")
    con = connect(warehouse, read_only=True)
    try:
        if not authorities_of(con):
            raise UserError(f"{warehouse}: holds no authority (no LA code on any child or in ext_authority)")
        return export_connection(con, key, root)
    finally:
        con.close()


def export_connection(con: duckdb.DuckDBPyConnection, key: bytes, root: Path) -> list[Exported]:
    """Add (or replace) every authority a warehouse connection holds in the pool at `root`."""
    root = open_pool(root, key)
    exported = write_partitions(con, key, root)
    record_exports(root, key, exported)
    return exported


def open_pool(root: Path, key: bytes) -> Path:
    """The pool folder at `root` (made if new), checked to be made with `key` (or none yet)."""
    root = output_folder(Path(root))
    _check_key(root, layout.read_manifest(root), key)
    return root


def _check_key(root: Path, manifest: dict, key: bytes) -> None:
    if manifest.get("key_id") not in (None, key_id(key)):
        raise UserError(f"{root}: the pool was made with another key (its authorities' pseudonyms would not match)")


def write_partitions(con: duckdb.DuckDBPyConnection, key: bytes, root: Path) -> list[Exported]:
    """Write (or replace) the partitions of every authority the connection holds, leaving the manifest to
    `record_exports`. Writers of different authorities may run at once: each touches only its own partitions."""
    codes = authorities_of(con)
    token = uuid.uuid4().hex[:8]
    staged: list[tuple[Path, Path]] = []
    rows: dict[str, dict[str, int]] = {la: {} for la in codes}
    pseudos = {la: Pseudonymiser(key, la) for la in codes}  # one per authority for the export: each id hashed once
    for table in layout.POOLED:
        for la, data in authority_tables(con, table, codes).items():
            stage = root / table.name / f".staging-{la}-{token}"
            _write(pseudonymise(table, data, pseudos[la]), stage / "part-0.parquet")
            staged.append((stage, layout.partition_dir(root, table.name, la)))
            rows[la][table.name] = data.num_rows
    with layout.locked(root):
        try:  # checked again under the lock: another export may have begun the pool with another key meanwhile
            manifest = layout.read_manifest(root)
            _check_key(root, manifest, key)
        except UserError:
            for stage, _ in staged:
                shutil.rmtree(stage)
            raise
        if "key_id" not in manifest:  # the first export claims the pool for its key before its data goes in
            layout.write_manifest(root, {"key_id": key_id(key), "authorities": {}})
        replaced = _swap_in(staged, token)
    return [Exported(la, rows[la], la in replaced) for la in codes]


def record_exports(root: Path, key: bytes, exported: list[Exported]) -> None:
    """Add the exported authorities to the pool's manifest, under the pool's lock."""
    with layout.locked(root):
        manifest = layout.read_manifest(root)
        _check_key(root, manifest, key)
        now = dt.datetime.now().isoformat(timespec="seconds")
        authorities = manifest.get("authorities", {}) | {e.la_code: {"exported_at": now} for e in exported}
        layout.write_manifest(root, {"key_id": key_id(key), "authorities": authorities})


def _swap_in(staged: list[tuple[Path, Path]], token: str) -> set[str]:
    """Move every staged partition into place (renames only, once all are written), then remove the old ones.
    Returns the authorities replaced."""
    old: list[Path] = []
    replaced: set[str] = set()
    for stage, final in staged:
        if final.exists():
            retired = final.with_name(f".old-{final.name}-{token}")
            final.rename(retired)
            old.append(retired)
            replaced.add(final.name.split("=", 1)[1])
        stage.rename(final)
    for path in old:
        shutil.rmtree(path)
    return replaced
