"""The shape of a DfE children's social care API child record, checked before anything is read from it.

The specification (reference/dfe-csc-api-payload.md) gives each field one kind: a single value (a code,
a date, a flag, a score), an id, an object, or a list. A record holding something else where the
loader reads (a list for `sex`, text for `child_details`, a number for `purge`) is rejected whole,
naming the place: read anyway, `str()` of a list would be stored as the code "['A', 'B']", and an
object where a list belongs would fail deep in the loader. Fields the specification has that the
loader does not read are checked too; fields it does not have are ignored. Every string, key or
value, must be storable Unicode (a JSON escape such as "\\ud800" gives a lone surrogate, which
is not), and nesting stops at MAX_DEPTH (a real record nests 9 deep).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

MAX_DEPTH = 32

VALUE = "a single value (text, a number or true/false)"
ID = "an id (text or a whole number)"
FLAG = "true or false"


@dataclass(frozen=True)
class Obj:
    fields: Mapping[str, Shape]


@dataclass(frozen=True)
class ListOf:
    item: Shape


Shape = str | Obj | ListOf


def _obj(*values: str, **nested: Shape) -> Obj:
    """An object of the specification: single values, nested shapes, and `purge` (every object may carry it)."""
    return Obj({"purge": FLAG, **dict.fromkeys(values, VALUE), **nested})


EPISODE = _obj(
    "referral_date",
    "referral_source",
    "referral_no_further_action_flag",
    "closure_date",
    "closure_reason",
    social_care_episode_id=ID,
    care_worker_details=ListOf(_obj("start_date", "end_date", worker_id=ID)),
    child_and_family_assessments=ListOf(_obj("start_date", "authorisation_date", child_and_family_assessment_id=ID, factors=ListOf(VALUE))),
    child_in_need_plans=ListOf(_obj("start_date", "end_date", child_in_need_plan_id=ID)),
    section_47_assessments=ListOf(_obj("start_date", "icpc_required_flag", "icpc_date", "end_date", section_47_assessment_id=ID)),
    child_protection_plans=ListOf(_obj("start_date", "end_date", child_protection_plan_id=ID)),
    child_looked_after_placements=ListOf(
        _obj(
            "start_date",
            "start_reason",
            "placement_type",
            "postcode",
            "end_date",
            "end_reason",
            "change_reason",
            child_looked_after_placement_id=ID,
        )
    ),
    adoption=_obj("initial_decision_date", "matched_date", "placed_date"),
    care_leavers=_obj("contact_date", "activity", "accommodation"),
)

CHILD = _obj(
    la_child_id=ID,
    mis_child_id=ID,
    child_details=_obj(
        "unique_pupil_number",
        "former_unique_pupil_number",
        "unique_pupil_number_unknown_reason",
        "first_name",
        "surname",
        "date_of_birth",
        "expected_date_of_birth",
        "sex",
        "ethnicity",
        "postcode",
        "uasc_flag",
        "uasc_end_date",
        disabilities=ListOf(VALUE),
    ),
    health_and_wellbeing=_obj(sdq_assessments=ListOf(_obj("date", "score"))),
    social_care_episodes=ListOf(EPISODE),
)


Problem = tuple[str, str]  # (where, e.g. '/Children/child_details/sex'; what is wrong). Never the value: it may be a child's data.


def problems(record: Any) -> list[Problem]:
    """What is wrong with one record's shape (empty: the loader can read it)."""
    found = _unstorable(record)
    if found:
        return found
    if not isinstance(record, dict):
        return [("/", f"expected a child record (an object), got {_kind(record)}")]
    if "Children" not in record:  # a bare child object
        return _check(record, CHILD, "")
    found = _check(record.get("la_code"), VALUE, "/la_code")
    child = record["Children"]
    if isinstance(child, list):
        if len(child) != 1:
            return [*found, ("/Children", f"expected one child object, got a list of {len(child)}")]
        return found + _check(child[0], CHILD, "/Children[0]")
    if child is None:
        return [*found, ("/Children", "expected one child object, got null")]
    return found + _check(child, CHILD, "/Children")


def describe(problem: Problem) -> str:
    return f"{problem[0]}: {problem[1]}"


def _check(value: Any, shape: Shape, path: str) -> list[Problem]:
    if value is None:  # absent and null are the same to the loader
        return []
    if isinstance(shape, Obj):
        if not isinstance(value, dict):
            return [(path or "/", f"expected an object, got {_kind(value)}")]
        return [p for key, inner in shape.fields.items() for p in _check(value.get(key), inner, f"{path}/{key}")]
    if isinstance(shape, ListOf):
        if not isinstance(value, list):
            return [(path, f"expected a list, got {_kind(value)}")]
        return [p for i, item in enumerate(value) for p in _check(item, shape.item, f"{path}[{i}]")]
    return [] if _fits(value, shape) else [(path, f"expected {shape}, got {_kind(value)}")]


def _fits(value: Any, kind: str) -> bool:
    if kind == FLAG:
        return isinstance(value, bool)
    if kind == ID:
        return isinstance(value, str) or (isinstance(value, int) and not isinstance(value, bool))
    if isinstance(value, float):
        return math.isfinite(value)
    return isinstance(value, str | int | bool)


def _kind(value: Any) -> str:
    if isinstance(value, bool):
        return "true/false"
    if isinstance(value, float) and not math.isfinite(value):
        return "a number JSON does not allow (NaN or Infinity)"
    kinds = {dict: "an object", list: "a list", str: "text", int: "a number", float: "a number"}
    return next((name for t, name in kinds.items() if isinstance(value, t)), type(value).__name__)


def _unstorable(record: Any) -> list[Problem]:
    """Nesting deeper than MAX_DEPTH, and strings (keys or values) that are not valid Unicode. Iterative,
    so a deep record cannot exhaust the stack; paths name only the keys of the specification."""
    stack: list[tuple[Any, str, int]] = [(record, "", 0)]
    found: list[Problem] = []
    lone = "not valid Unicode (a lone surrogate such as \\ud800)"
    while stack:
        value, path, depth = stack.pop()
        if depth > MAX_DEPTH:
            return [(path, f"nested more than {MAX_DEPTH} deep")]
        if isinstance(value, dict):
            for key, inner in value.items():
                if not _valid_text(key):
                    found.append((path or "/", f"a field name is {lone}"))
                stack.append((inner, f"{path}/{key if key in _KNOWN_KEYS else '…'}", depth + 1))
        elif isinstance(value, list):
            stack.extend((inner, f"{path}[{i}]", depth + 1) for i, inner in enumerate(value))
        elif isinstance(value, str) and not _valid_text(value):
            found.append((path or "/", f"text is {lone}"))
    return found


def _keys(shape: Shape) -> set[str]:
    if isinstance(shape, Obj):
        return set(shape.fields) | {k for inner in shape.fields.values() for k in _keys(inner)}
    return _keys(shape.item) if isinstance(shape, ListOf) else set()


_KNOWN_KEYS = _keys(CHILD) | {"la_code", "Children"}


def _valid_text(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True
