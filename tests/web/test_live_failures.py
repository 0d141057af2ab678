"""The live recompute when a definition fails: the others still run, the loads page names the failed ones, and the
log names the error's type and place but never its message (which can hold a child's data)."""

from __future__ import annotations

import datetime as dt
import logging
from pathlib import Path

import pandas as pd
import pytest

from cscperf.warehouse import connect
from cscperf.web import live
from cscperf.web.db import WarehouseAccess


def test_one_failing_definition_is_named_and_the_others_still_run(tmp_path: Path, monkeypatch, caplog) -> None:  # noqa: ANN001
    path = tmp_path / "w.duckdb"
    connect(path).close()
    computed: list[str] = []

    def compute(cur, ends, ids):  # noqa: ANN001, ANN202
        if ids == ["referrals"]:
            raise ValueError("Could not convert 'Jane Smith 2015-13-01' to DATE")
        computed.extend(ids)
        return pd.DataFrame()

    monkeypatch.setattr(live, "_engine", lambda: (compute, lambda cur, frame: 0))
    monkeypatch.setattr(live, "_latest_period_end", lambda cur: dt.date(2026, 3, 31))
    access = WarehouseAccess(path)
    try:
        recomputer = live.Recomputer(access)
        with caplog.at_level(logging.WARNING, logger="cscperf.web"):
            assert recomputer.recompute_now({"ssd_cin_episodes"}) == 0
    finally:
        access.close()
    assert recomputer.failed_ids == ["referrals"] and recomputer.last_error == "could not recompute referrals"
    assert "referrals" not in computed and "contacts" in computed and len(computed) > 100
    [failed] = [r.getMessage() for r in caplog.records if "recompute of" in r.getMessage()]
    assert failed.startswith("recompute of referrals failed: ValueError at test_live_failures.py:")
    assert failed.endswith("in compute")
    assert "Smith" not in caplog.text and "2015-13-01" not in caplog.text


def test_where_an_error_was_raised() -> None:
    with pytest.raises(KeyError) as caught:
        {}["x"]
    assert live.where(caught.value).startswith("test_live_failures.py:")
    assert live.where(ValueError("never raised")) == "an unknown place"
