"""Ingest: parse each input format into the canonical model and load it in one transaction.

`PARSERS` maps a format name (as typed after `cscperf load`) to "module:function" of a parser
`parse(paths: list[Path]) -> core.Parsed`; modules are imported only when their format is used.
Add a format by adding one line here.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from pathlib import Path

from cscperf.errors import UserError
from cscperf.ingest.core import Delete, Issue, LoadSummary, Parsed, run_load, undo_load

PARSERS: dict[str, str] = {
    "ssd": "cscperf.ingest.ssd:parse",
    "ssda903": "cscperf.ingest.ssda903:parse",
    "api-json": "cscperf.ingest.api_json:parse",
    "cin-xml": "cscperf.ingest.cin_xml:parse_cin_xml",
    "annex-a": "cscperf.ingest.annex_a:parse_annex_a",
}


def parser_for(fmt: str) -> Callable[[list[Path]], Parsed]:
    """The parse function for a format name; an unknown name is a UserError listing the known ones."""
    if fmt not in PARSERS:
        raise UserError(f"unknown format '{fmt}': choose one of {', '.join(sorted(PARSERS))}")
    module, _, func = PARSERS[fmt].partition(":")
    return getattr(importlib.import_module(module), func)


__all__ = ["PARSERS", "Delete", "Issue", "LoadSummary", "Parsed", "parser_for", "run_load", "undo_load"]
