"""The embedded DuckDB warehouse holding the canonical (SSD-shaped) model."""

from cscperf.warehouse.schema import BY_NAME, PROVENANCE, TABLES, Column, Table, table
from cscperf.warehouse.store import (
    DEFAULT_WAREHOUSE,
    begin_load,
    connect,
    create_schema,
    finish_load,
    insert_frame,
)

__all__ = [
    "BY_NAME",
    "DEFAULT_WAREHOUSE",
    "PROVENANCE",
    "TABLES",
    "Column",
    "Table",
    "begin_load",
    "connect",
    "create_schema",
    "finish_load",
    "insert_frame",
    "table",
]
