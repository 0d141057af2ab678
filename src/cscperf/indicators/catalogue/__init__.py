"""The catalogue: one module per area (A-H), each exporting INDICATORS in catalogue order.

Adding an indicator is adding one entry to its area's module (and its test); areas are found here
by module name order.
"""

from __future__ import annotations

import importlib
import pkgutil

from cscperf.indicators.registry import Indicator


def _collect() -> list[Indicator]:
    found: list[Indicator] = []
    for info in sorted(pkgutil.iter_modules(__path__), key=lambda i: i.name):
        if not info.name.startswith("_"):
            found.extend(importlib.import_module(f"{__name__}.{info.name}").INDICATORS)
    return found


ALL: list[Indicator] = _collect()
