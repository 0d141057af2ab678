"""DfE's UPN check letter and format, worked by hand."""

from __future__ import annotations

import numpy as np
import pytest

from cscperf.ingest.upn import check_letter, make_upn, make_upns, problem


def test_check_letter_of_a_permanent_upn():
    # 8*2 + 7*3 + 4*4 + 2*5 + 0*6 + 4*7 + 1*8 + 1*9 + 5*10 + 0*11 + 0*12 + 2*13 = 184 = 8 * 23 + 0 -> A
    assert check_letter("874204115002") == "A"
    # 1*13 = 13 -> the 14th letter with I and O left out: P
    assert check_letter("000000000001") == "P"


def test_a_letter_in_position_13_counts_as_its_place_in_the_alphabet_used():
    # as the first example with the last 2 (worth 26) replaced by A (worth 0): 158 = 6 * 23 + 20 -> X
    assert check_letter("87420411500A") == "X"


def test_make_upn_puts_la_school_year_and_serial_in_place():
    assert make_upn("874", 2041, 2015, 2) == "A874204115002"


def test_make_upns_is_the_same_rule_on_whole_columns():
    # The first as above; 000 0000 00 001 is check_letter's second example (P); 857 3001 2020 999 against make_upn.
    upns = make_upns(np.array(["874", "000", "857"]), np.array([2041, 0, 3001]), np.array([2015, 2000, 2020]), np.array([2, 1, 999]))
    assert upns.tolist() == ["A874204115002", "P000000000001", make_upn("857", 3001, 2020, 999)]
    assert all(isinstance(u, str) for u in upns)


@pytest.mark.parametrize(
    ("upn", "why"),
    [
        ("A874204115002", None),
        ("B874204115002", "wrong check letter (expected A)"),
        ("A87420411500", "not 13 characters: a letter, 11 digits and a digit or letter"),
        ("I874204115002", "not 13 characters: a letter, 11 digits and a digit or letter"),  # I is not a check letter
        ("X87420411500A", None),
    ],
)
def test_problem_names_what_is_wrong(upn, why):
    assert problem(upn) == why


def test_a_malformed_body_is_refused():
    with pytest.raises(ValueError, match="not the body of a UPN"):
        check_letter("87420411500")
