"""The pool on disk: one Parquet dataset per canonical table, partitioned by authority.

    POOL/pool.json                              the key's fingerprint and the authorities in the pool
    POOL/<table>/la_code=<LA>/part-0.parquet    one authority's rows of one table
    POOL/.pool.lock                             taken by an export while it swaps its partitions in and updates pool.json

Readers take `<table>/la_code=*/*.parquet`; anything else (staging folders while an authority is replaced)
starts with a dot and is never read.
"""

from __future__ import annotations

import fcntl
import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from cscperf.errors import UserError
from cscperf.files import open_private
from cscperf.warehouse.schema import PERMANENCY_TABLES, TABLES, Table

MANIFEST = "pool.json"
LOCK = ".pool.lock"
PARTITION = "la_code"
# The children's social care model is pooled; the permanency service's own records (households, adopters, staff)
# are a service's management data, often of a service shared by several authorities, and stay out of the pool.
POOLED: tuple[Table, ...] = tuple(t for t in TABLES if t not in PERMANENCY_TABLES)
POOL_TABLES = tuple(t.name for t in POOLED)
POOLED_AREAS = frozenset("ABCDEFGH")  # catalogue areas computed on a pool (not P, the permanency service)


def pooled_ids() -> list[str]:
    """The indicators a pool computes: every one outside the permanency service's area."""
    from cscperf.indicators.registry import REGISTRY

    return [i for i, ind in REGISTRY.items() if ind.area in POOLED_AREAS]


def partition_dir(root: Path, table: str, la_code: str) -> Path:
    return root / table / f"{PARTITION}={la_code}"


def table_glob(root: Path, table: str) -> str:
    return str(root / table / f"{PARTITION}=*" / "*.parquet")


def read_manifest(root: Path) -> dict:
    path = root / MANIFEST
    if not path.exists():
        return {}
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise UserError(f"{path}: not a readable pool manifest ({exc})") from None


@contextmanager
def locked(root: Path) -> Iterator[None]:
    """Hold the pool's lock: exports running at once (separate commands, or synth's chunk workers) take turns to
    check the key, swap their partitions in and update the manifest, so none undoes another's."""
    fd = os.open(root / LOCK, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # closing releases the lock


def write_manifest(root: Path, manifest: dict) -> None:
    tmp = root / f".{MANIFEST}.tmp"
    with open_private(tmp) as fh:
        json.dump(manifest, fh, indent=1, sort_keys=True)
    tmp.replace(root / MANIFEST)


def check_pool(root: Path) -> dict:
    """The manifest of a pool to compute from; a folder that is not a pool is a UserError naming it."""
    root = Path(root)
    manifest = read_manifest(root)
    if not manifest.get("authorities"):
        raise UserError(f"{root}: not a pool (no {MANIFEST} with authorities): add one with 'cscperf pool export'")
    missing = [t for t in POOL_TABLES if not any((root / t).glob(f"{PARTITION}=*/*.parquet"))]
    if missing:
        raise UserError(f"{root}: the pool has no data for {', '.join(missing)}")
    return manifest
