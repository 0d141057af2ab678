"""Unique Pupil Numbers (UPN): DfE's format and check letter, one home for every reader and writer.

A UPN is 13 characters: a check letter, the 3-digit LA code of the authority that allocated it, the
4-digit DfE establishment number, the 2-digit year of allocation and a 3-digit serial; a temporary
UPN ends in a letter instead of the last digit. The check letter is the sum of characters 2-13, each
times its position (2-13), modulo 23, read through `LETTERS` (a letter in position 13 counts as its
place in `LETTERS`). See DfE's "Unique pupil numbers (UPNs)" guide.

The identifier types below are the Standard Safeguarding Dataset's names in `ssd_linked_identifiers`.
"""

from __future__ import annotations

import re

import numpy as np

LETTERS = "ABCDEFGHJKLMNPQRTUVWXYZ"  # 23 letters: no I, O or S
UPN_TYPE = "Unique Pupil Number"
FORMER_UPN_TYPE = "Former Unique Pupil Number"
FORMAT = re.compile(rf"[{LETTERS}]\d{{11}}[0-9{LETTERS}]")
# Why a UPN is not given (CIN census and SSDA903): UN1 not yet of school age, UN2 never attended school in
# England, UN3 educated at home, UN4 unaccompanied asylum-seeking child, UN5 sources collating UPNs hold none,
# UN7 referral with no further action (CIN census only).
UNKNOWN_REASONS = ("UN1", "UN2", "UN3", "UN4", "UN5", "UN6", "UN7")


def check_letter(body: str) -> str:
    """The check letter for the 12 characters after it (LA code, establishment, year, serial)."""
    if len(body) != 12 or not body[:11].isdigit() or not (body[11].isdigit() or body[11] in LETTERS):
        raise ValueError(f"not the body of a UPN: {body!r}")
    values = [int(c) for c in body[:11]] + [int(body[11]) if body[11].isdigit() else LETTERS.index(body[11])]
    total = sum(v * weight for v, weight in zip(values, range(2, 14), strict=True))
    return LETTERS[total % 23]


def make_upn(la_code: str, establishment: int, year: int, serial: int) -> str:
    """A permanent UPN allocated by `la_code`'s establishment `establishment` in `year` (serial 0-999)."""
    body = f"{int(la_code):03d}{establishment:04d}{year % 100:02d}{serial:03d}"
    return check_letter(body) + body


def make_upns(la_codes: np.ndarray, establishments: np.ndarray, years: np.ndarray, serials: np.ndarray) -> np.ndarray:
    """`make_upn` for arrays of allocations at once (the same rule on whole columns): an object array of UPNs."""
    body = (
        np.asarray(la_codes).astype("int64") % 1000 * 10**9
        + np.asarray(establishments, dtype="int64") % 10**4 * 10**5
        + np.asarray(years, dtype="int64") % 100 * 10**3
        + np.asarray(serials, dtype="int64") % 1000
    )
    digits = body[:, None] // 10 ** np.arange(11, -1, -1, dtype="int64") % 10  # the 12 digits, left to right
    check = np.frombuffer(LETTERS.encode(), dtype=np.uint8)[digits @ np.arange(2, 14) % 23]
    text = np.column_stack([check, (digits + ord("0")).astype(np.uint8)])
    return np.ascontiguousarray(text).view("S13").ravel().astype(str).astype(object)


def problem(upn: str) -> str | None:
    """Why `upn` is not a valid UPN (format or check letter), or None when it is."""
    if not FORMAT.fullmatch(upn):
        return "not 13 characters: a letter, 11 digits and a digit or letter"
    if check_letter(upn[1:]) != upn[0]:
        return f"wrong check letter (expected {check_letter(upn[1:])})"
    return None
