"""Caps on the size of input cscperf accepts, so an oversized or hostile upload ends with a clear
"too large" message instead of exhausting memory.

The defaults are well above a large authority's real data (a year of Annex A lists is a few
hundred thousand rows of about 40 columns; a push is at most a few thousand child records) and can
be changed per installation with environment variables:

=============================  ===========================================================  =========
variable                       caps                                                          default
=============================  ===========================================================  =========
CSCPERF_MAX_WORKBOOK_ROWS      rows read from one Annex A workbook (all its lists)           500000
CSCPERF_MAX_WORKBOOK_COLUMNS   columns of one sheet (declared or found in a row)             1000
CSCPERF_MAX_WORKBOOK_MB        uncompressed size of a workbook's parts (xlsx is a zip)        1024
CSCPERF_MAX_BODY_MB            one push API request body (`POST /api/v1/children`)           20
=============================  ===========================================================  =========
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from cscperf.errors import UserError

MB = 1024 * 1024


@dataclass(frozen=True)
class Limits:
    workbook_rows: int = 500_000
    workbook_columns: int = 1_000
    workbook_bytes: int = 1024 * MB
    body_bytes: int = 20 * MB


# field -> (environment variable, multiplier from the variable's unit to the field's)
ENVIRONMENT = {
    "workbook_rows": ("CSCPERF_MAX_WORKBOOK_ROWS", 1),
    "workbook_columns": ("CSCPERF_MAX_WORKBOOK_COLUMNS", 1),
    "workbook_bytes": ("CSCPERF_MAX_WORKBOOK_MB", MB),
    "body_bytes": ("CSCPERF_MAX_BODY_MB", MB),
}


def limits() -> Limits:
    """The caps in force: the defaults, overridden by any of the environment variables (read on each call)."""
    values = {}
    for name, (variable, unit) in ENVIRONMENT.items():
        text = os.environ.get(variable)
        if text is None:
            continue
        values[name] = int(_positive(variable, text) * unit)
    return Limits(**values)


def _positive(variable: str, text: str) -> float:
    try:
        number = float(text)
    except ValueError:
        raise UserError(f"{variable}={text!r}: expected a positive number") from None
    if not number > 0:
        raise UserError(f"{variable}={text!r}: expected a positive number")
    return number
