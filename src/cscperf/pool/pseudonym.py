"""What of a warehouse goes into the pool, and how its identifiers are replaced.

Every column of the canonical model has one treatment here (a test checks none is missed):

- `person`, `worker`, `record`: replaced by HMAC-SHA-256 with the pool's key over the authority's LA code and the
  value. Scoping by authority keeps each authority's records its own: two councils' case systems reuse the same
  local ids (P1, W1...) for different children, and every indicator joins on them.
- `link`: the Unique Pupil Number, replaced by HMAC-SHA-256 with the pool's key alone, so the same child known to
  two authorities links inside the pool (and only there: without the key the pseudonym cannot be recomputed).
- `team`: team ids are organisational, not personal; they are kept, prefixed with the LA code so two
  authorities' teams never merge.
- `drop`: free text, names, addresses, staff numbers, provenance: never leaves the authority.
- `keep`: codes, dates, flags and numbers.
"""

from __future__ import annotations

import hashlib
import hmac
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from cscperf.errors import UserError
from cscperf.pool.layout import POOLED

MIN_KEY_BYTES = 32
PSEUDONYM_HEX = 32  # 128 bits of the HMAC: collisions are negligible at national scale
KEY_CHECK = b"cscperf pool key check"

HASHED = ("person", "worker", "record", "link")
WORKER_COLUMNS = frozenset({"prof_professional_id", "invo_professional_id"})
LINK_COLUMNS = frozenset({"link_identifier_value"})
# Ids that are codes, not identifiers of a person or record.
CODE_ID_COLUMNS = frozenset({"invo_professional_role_id"})
TEAM_COLUMNS = frozenset({"dept_team_id", "dept_team_parent_id", "prof_ext_team_id", "estb_team_id"})
# Where a placement is, used only for equality (a return to the same placement): hashed like a record id.
RECORD_COLUMNS = frozenset({"clap_cla_placement_postcode"})
DROPPED_COLUMNS = frozenset(
    {
        "_load_id",
        "_source",
        "addr_address_postcode",
        "addr_address_json",
        "dept_team_name",
        "dept_team_parent_name",
        "prof_staff_id",
        "prof_professional_name",
        "prof_social_worker_registration_no",
        "prof_professional_job_title",
        "prof_professional_department",
        "cont_contact_source_desc",
        "cont_contact_outcome_json",
        "earl_episode_organisation",
        "earl_episode_reason",
        "earl_episode_end_reason",
        "cine_referral_source_desc",
        "cine_referral_outcome_json",
        "cina_assessment_outcome_json",
        "cinf_assessment_factors_json",
        "cinv_ext_not_seen_reason",
        "s47e_s47_outcome_json",
        "icpc_icpc_outcome_json",
        "cppv_ext_not_seen_reason",
        "clav_ext_not_seen_reason",
        "clea_care_leaver_personal_advisor",
        "lapp_previous_permanence_order_date",
    }
)


def treatment(column: str) -> str:
    """person, worker, record, link, team, drop or keep (see the module docstring)."""
    if column in DROPPED_COLUMNS:
        return "drop"
    if column in LINK_COLUMNS:
        return "link"
    if column in TEAM_COLUMNS or column.endswith("_team"):
        return "team"
    if column in WORKER_COLUMNS or column.endswith("worker_id"):
        return "worker"
    if column.endswith("person_id"):
        return "person"
    if column in RECORD_COLUMNS or (column.endswith("_id") and column not in CODE_ID_COLUMNS):
        return "record"
    return "keep"


def treatments() -> dict[str, dict[str, str]]:
    """Every canonical table's columns and their treatment."""
    return {t.name: {c.name: treatment(c.name) for c in t.columns} for t in POOLED}


def read_key(path: Path) -> bytes:
    """The pool's key: a file of at least 32 bytes (surrounding whitespace ignored), held by the pool's custodian."""
    try:
        key = Path(path).read_bytes().strip()
    except OSError as exc:
        raise UserError(f"{path}: cannot read the pool key ({exc.strerror or exc})") from None
    if len(key) < MIN_KEY_BYTES:
        raise UserError(f"{path}: the pool key must be at least {MIN_KEY_BYTES} bytes (make one with 'cscperf pool keygen')")
    return key


def key_id(key: bytes) -> str:
    """A fingerprint of the key, stored in the pool so every authority is checked to use the same key."""
    return hmac.new(key, KEY_CHECK, hashlib.sha256).hexdigest()[:16]


class Pseudonymiser:
    """Replaces one authority's identifiers with the pool's pseudonyms.

    HMAC-SHA-256 (RFC 2104) from hashlib's SHA-256 states after the padded key, copied for each value rather than
    made again (a quarter of the time of `hmac.new`). A column is hashed over its distinct values, with the messages
    built and the digests turned to hex on whole arrays, so Python does only the two hashes a value. A child's or
    worker's id is hashed once however many tables hold it; other ids (a record's, a UPN) once per column, so what
    is kept stays the size of the caseload."""

    BLOCK = 64  # SHA-256's block size in bytes
    KEPT = frozenset({"person", "worker"})  # kinds whose pseudonyms are kept for the next column
    _HEX = np.array([int.from_bytes(f"{b:02x}".encode(), "little") for b in range(256)], dtype="<u2")  # byte -> 2 hex digits

    def __init__(self, key: bytes, la_code: str) -> None:
        self.la_code = la_code
        padded = (hashlib.sha256(key).digest() if len(key) > self.BLOCK else key).ljust(self.BLOCK, b"\0")
        self._inner = hashlib.sha256(bytes(b ^ 0x36 for b in padded))
        self._outer = hashlib.sha256(bytes(b ^ 0x5C for b in padded))
        self._done: dict[str, tuple[pa.Array, pa.Array]] = {}  # scope -> values hashed so far (kept kinds), pseudonyms

    def _digests(self, messages: list[bytes]) -> bytes:
        """The HMACs of the messages, 32 bytes each, end to end."""

        def one(message: bytes, inner_copy=self._inner.copy, outer_copy=self._outer.copy) -> bytes:  # noqa: ANN001
            inner = inner_copy()
            inner.update(message)
            outer = outer_copy()
            outer.update(inner.digest())
            return outer.digest()

        return b"".join(map(one, messages))

    def _hex(self, digests: bytes, n: int) -> pa.Array:
        """The first PSEUDONYM_HEX hex digits of each of n digests, as a string array built from one buffer."""
        head = np.frombuffer(digests, dtype=np.uint8).reshape(n, 32)[:, : PSEUDONYM_HEX // 2]
        text = np.ascontiguousarray(self._HEX[head])
        offsets = np.arange(0, PSEUDONYM_HEX * (n + 1), PSEUDONYM_HEX, dtype=np.int32)
        return pa.StringArray.from_buffers(n, pa.py_buffer(offsets), pa.py_buffer(text))

    def _hash(self, scope: str, distinct: pa.Array, keep: bool) -> pa.Array:
        """Pseudonyms of distinct, non-null text values: HMAC over the scope, a unit separator and the value."""
        if not keep or scope not in self._done:
            pseudonyms = self._hash_new(scope, distinct)
            if keep:
                self._done[scope] = distinct, pseudonyms
            return pseudonyms
        known, known_as = self._done[scope]
        at = pc.index_in(distinct, value_set=known)
        new = pc.filter(distinct, pc.is_null(at))
        if len(new):
            known = pa.concat_arrays([known, new])
            known_as = pa.concat_arrays([known_as, self._hash_new(scope, new)])
            self._done[scope] = known, known_as
            at = pc.index_in(distinct, value_set=known)
        return known_as.take(at)

    def _hash_new(self, scope: str, values: pa.Array) -> pa.Array:
        messages = pc.binary_join_element_wise(f"{scope}\x1f", values, "").cast(pa.binary()).to_pylist()
        return self._hex(self._digests(messages), len(messages))

    def _scope(self, kind: str) -> str:
        """What a value's message starts with: the LA code (local ids are the authority's own), or, for a UPN, the
        same in every authority. Person, worker and record ids share one space: a value means the same wherever."""
        if kind == "link":
            return "link"
        if kind in HASHED:
            return self.la_code
        raise ValueError(f"no pseudonym for a {kind} column")

    def value(self, kind: str, value: str | None) -> str | None:
        """The pseudonym (or prefixed team id) of one value; None stays None."""
        return self.column(kind, pa.array([value], type=pa.string()))[0].as_py()

    def column(self, kind: str, values: pa.Array | pa.ChunkedArray) -> pa.Array:
        """The pseudonyms (or prefixed team ids) of a column of text; nulls stay null."""
        values = values.combine_chunks() if isinstance(values, pa.ChunkedArray) else values
        values = values.cast(pa.string())
        if kind == "team":
            return pc.binary_join_element_wise(f"{self.la_code}:", values, "")
        coded = pc.dictionary_encode(values)
        return self._hash(self._scope(kind), coded.dictionary, kind in self.KEPT).take(coded.indices)
