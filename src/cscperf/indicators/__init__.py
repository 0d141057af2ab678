"""Indicators: the declarative registry, compiled to Ibis and computed on the warehouse."""

from cscperf.indicators.engine import RESULT_COLUMNS, compute, month_ends, periods_frame, store_results
from cscperf.indicators.exceptions import EXCEPTION_COLUMNS, exceptions
from cscperf.indicators.model import Settings
from cscperf.indicators.registry import AREAS, REGISTRY, Indicator

__all__ = [
    "AREAS",
    "EXCEPTION_COLUMNS",
    "REGISTRY",
    "RESULT_COLUMNS",
    "Indicator",
    "Settings",
    "compute",
    "exceptions",
    "month_ends",
    "periods_frame",
    "store_results",
]
