"""cscperf: children's social care performance information for English local authorities."""

__version__ = "0.1.0"
