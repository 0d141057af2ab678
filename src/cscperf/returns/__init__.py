"""Statutory returns: DfE's own validation rules run on what cscperf writes."""
