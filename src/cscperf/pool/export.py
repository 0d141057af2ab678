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
import pyarrow.parquet as pq

from cscperf.errors import UserError
from cscperf.files import open_private, output_folder
from cscperf.pool import layout
from cscperf.pool.pseudonym import Pseudonymiser, key_id, treatment
from cscperf.warehouse.schema import TABLES, Table


@dataclass(frozen=True)
class Exported:
    la_code: str
    rows: dict[str, int]
    replaced: bool


def authority_of(con: duckdb.DuckDBPyConnection, warehouse: Path) -> str:
    """The one authority a warehouse holds (the pool is partitioned by authority: export each one's own)."""
    codes = sorted(
        r[0]
        for r in con.execute(
            "SELECT DISTINCT pers_ext_la_code FROM ssd_person WHERE pers_ext_la_code IS NOT NULL "
            "UNION SELECT auth_la_code FROM ext_authority WHERE auth_la_code IS NOT NULL"
        ).fetchall()
    )
    if len(codes) != 1:
        found = ", ".join(codes) if codes else "none"
        raise UserError(f"{warehouse}: a pool export takes one authority's warehouse (LA codes found: {found})")
    return codes[0]


def pseudonymise(table: Table, data: pa.Table, pseudo: Pseudonymiser) -> pa.Table:
    """The table's columns as they go into the pool: hashed, prefixed, kept or dropped."""
    out: dict[str, pa.Array] = {}
    for col in table.columns:
        kind = treatment(col.name)
        if kind == "drop":
            continue
        values = data.column(col.name)
        if kind != "keep":
            distinct = values.unique().to_pylist()
            mapping = {v: pseudo.value(kind, v) for v in distinct}
            values = pa.array([mapping[v] for v in values.to_pylist()], type=pa.string())
        out[col.name] = values
    return pa.table(out)


def _write(data: pa.Table, path: Path) -> None:
    with open_private(path, binary=True) as fh:
        pq.write_table(data, fh)


def export_warehouse(warehouse: Path, key: bytes, root: Path) -> Exported:
    """Add (or replace) the warehouse's authority in the pool at `root`."""
    from cscperf.warehouse import connect

    if not Path(warehouse).exists():
        raise UserError(f"no warehouse at {warehouse}: run 'cscperf synth' or 'cscperf load' first")
    root = output_folder(Path(root))
    manifest = layout.read_manifest(root)
    if manifest.get("key_id") not in (None, key_id(key)):
        raise UserError(f"{root}: the pool was made with another key (its authorities' pseudonyms would not match)")
    con = connect(warehouse, read_only=True)
    try:
        la = authority_of(con, Path(warehouse))
        pseudo = Pseudonymiser(key, la)
        token = uuid.uuid4().hex[:8]
        staged: list[tuple[Path, Path]] = []
        rows: dict[str, int] = {}
        for table in TABLES:
            data = con.sql(f'SELECT * FROM "{table.name}"').to_arrow_table()
            stage = root / table.name / f".staging-{la}-{token}"
            _write(pseudonymise(table, data, pseudo), stage / "part-0.parquet")
            staged.append((stage, layout.partition_dir(root, table.name, la)))
            rows[table.name] = data.num_rows
    finally:
        con.close()
    replaced = _swap_in(staged, token)
    authorities = manifest.get("authorities", {}) | {la: {"exported_at": dt.datetime.now().isoformat(timespec="seconds")}}
    layout.write_manifest(root, {"key_id": key_id(key), "authorities": authorities})
    return Exported(la, rows, replaced)


def _swap_in(staged: list[tuple[Path, Path]], token: str) -> bool:
    """Move every staged partition into place (renames only, once all are written), then remove the old ones."""
    old: list[Path] = []
    for stage, final in staged:
        if final.exists():
            retired = final.with_name(f".old-{final.name}-{token}")
            final.rename(retired)
            old.append(retired)
        stage.rename(final)
    for path in old:
        shutil.rmtree(path)
    return bool(old)
